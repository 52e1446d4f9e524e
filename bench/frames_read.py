"""Where reading the detectors' frames spends its time, on an embedded workspace.

    python bench/frames_read.py --workspace /data/prov-ws
    python bench/frames_read.py --workspace /data/prov-ws --workspace /data/prov2x-ws    # back to back, with k
    python bench/frames_read.py --workspace /data/prov-ws --cache-mb 2048

The frames every detector shares (bench/detectors.py's FRAMES) are read
through a GraphView, as `liandong analyze` reads them, with each call to the
backend timed. The time splits into:

- sql: the backend's own query, fetched and nothing else (nodes of a label;
  relationships of a type joined to their two end nodes), run again apart
  after the frames, so it is the SQLite part alone;
- sql without the join: the same relationships without their end nodes'
  keys (ids only), to show what the joins cost;
- backend: the whole `backend.nodes()` / `backend.relationships()` call
  (sql plus JSON decoding, the DataFrame and its sort), from the frame read;
- view: the rest of the frame read (canonical ids, dates, scope, merges).

Each workspace runs in a child process of its own, so every one starts with
a cold SQLite cache (the operating system's file cache is warm after the
first read; run twice to see). With two or more workspaces, each part's
growth is printed as k in time ~ elements^k, as in docs/scaling.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARTS = ("sql", "sql_no_join", "backend", "view", "total")


def measure(workspace: str, cache_mb: int | None) -> dict:
    """Time the frame read of one workspace (runs in the child process)."""
    from analytics import GraphView
    from bench.detectors import FRAMES
    from graphmodel import open_backend

    backend = open_backend(workspace, create=False)
    if cache_mb:
        backend._db.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
    calls: list[tuple[str, str, float]] = []
    nodes, relationships = backend.nodes, backend.relationships

    def timed_nodes(label, *args, **kwargs):
        started = time.perf_counter()
        frame = nodes(label, *args, **kwargs)
        calls.append(("node", label, time.perf_counter() - started))
        return frame

    def timed_relationships(rel_type, *args, **kwargs):
        started = time.perf_counter()
        frame = relationships(rel_type, *args, **kwargs)
        calls.append(("rel", rel_type, time.perf_counter() - started))
        return frame

    backend.nodes, backend.relationships = timed_nodes, timed_relationships  # type: ignore[method-assign]
    view = GraphView(backend)
    started = time.perf_counter()
    for frame in FRAMES:
        getattr(view, frame)
    total = time.perf_counter() - started
    backend_seconds = sum(s for _, _, s in calls)

    db = backend._db
    per_call = []
    sql_total = no_join_total = 0.0
    for kind, name, seconds in calls:
        if kind == "node":
            query = "SELECT n.id, n.key, n.props FROM nodes n WHERE n.label = ?"
            sql, count = _fetch(db, query, name)
            no_join = sql
        else:
            sql, count = _fetch(
                db,
                "SELECT r.id, s.label, s.key, e.label, e.key, r.props FROM rels r "
                "JOIN nodes s ON s.id = r.start_id JOIN nodes e ON e.id = r.end_id WHERE r.type = ?",
                name,
            )
            no_join, _ = _fetch(db, "SELECT r.id, r.start_id, r.end_id, r.props FROM rels r WHERE r.type = ?", name)
        sql_total += sql
        no_join_total += no_join
        per_call.append(
            {
                "kind": kind,
                "name": name,
                "rows": count,
                "backend": round(seconds, 2),
                "sql": round(sql, 2),
                "sql_no_join": round(no_join, 2),
            }
        )
    elements = sum(backend._counts()[0].values()) + sum(backend._counts()[1].values())
    backend.close()
    return {
        "workspace": workspace,
        "cache_mb": cache_mb or 512,
        "elements": elements,
        "sql": round(sql_total, 1),
        "sql_no_join": round(no_join_total, 1),
        "backend": round(backend_seconds, 1),
        "view": round(total - backend_seconds, 1),
        "total": round(total, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "calls": per_call,
    }


def _fetch(db, query: str, name: str) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    for _ in db.execute(query, [name]):
        count += 1
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", action="append", required=True, help="an embedded workspace (repeatable)")
    parser.add_argument("--cache-mb", type=int, help="SQLite page cache for the read (the backend uses 512)")
    parser.add_argument("--calls", action="store_true", help="print every backend call too")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.workspace[0], args.cache_mb)))
        return
    results = []
    for workspace in args.workspace:
        command = [sys.executable, __file__, "--child", "--workspace", workspace]
        if args.cache_mb:
            command += ["--cache-mb", str(args.cache_mb)]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{workspace}: {result['elements']:,} elements, cache {result['cache_mb']} MB, "
            f"peak RSS {result['peak_rss_mb']:,} MB",
            flush=True,
        )
        for part in PARTS:
            print(f"  {part:<12} {result[part]:8.1f} s")
        if args.calls:
            for call in sorted(result["calls"], key=lambda c: -c["backend"]):
                print(
                    f"    {call['kind']:<4} {call['name']:<24} {call['rows']:>10,} rows  backend {call['backend']:7.2f}"
                    f"  sql {call['sql']:7.2f}  no join {call['sql_no_join']:7.2f}"
                )
    for first, second in itertools.pairwise(results):
        ratio = second["elements"] / first["elements"]
        print(f"growth {first['workspace']} -> {second['workspace']} (elements x{ratio:.2f}):")
        for part in PARTS:
            if first[part] > 0 and second[part] > 0:
                k = math.log(second[part] / first[part]) / math.log(ratio)
                print(f"  {part:<12} {first[part]:8.1f} -> {second[part]:8.1f} s   k = {k:.2f}")
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "frames_read.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()

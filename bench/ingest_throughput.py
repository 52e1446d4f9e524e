"""Write throughput of each backend: N nodes then N relationships, batched.

Prints records/s per backend and scale, and for Neo4j also a naive writer
(one record per transaction, through the same code path with batch size 1) on
a sample, for the ratio. Figures go to stdout and to a JSON file.

    python bench/ingest_throughput.py                         # 1e5 and 1e6, embedded + Neo4j if NEO4J_URI is set
    python bench/ingest_throughput.py --scales 100000 --backends embedded

Neo4j: start one with ``bash tools/neo4j-dev/run`` and export NEO4J_URI /
NEO4J_PASSWORD. The Neo4j database is cleared first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphmodel import EdgeRecord, EmbeddedBackend, GraphBackend, NodeRecord, NodeRef  # noqa: E402

POSTS = ["主任", "副主任", "科长", "书记", "局长"]


def people(n: int):
    for i in range(n):
        yield NodeRecord(
            "Person", f"p{i:08d}", {"name": f"干部{i}", "birth_date": dt.date(1960 + i % 35, 1 + i % 12, 1)}
        )


def organisations(n: int):
    for i in range(n):
        yield NodeRecord("Organisation", f"o{i:07d}", {"name": f"单位{i}", "tier": "county", "region_code": "330782"})


def postings(n_rels: int, n_people: int, n_orgs: int):
    for i in range(n_rels):
        yield EdgeRecord(
            "SERVES_AT",
            NodeRef("Person", f"p{i % n_people:08d}"),
            # The second posting of a person goes to another organisation, so all n are distinct.
            NodeRef("Organisation", f"o{(i * 7919 + i // n_people) % n_orgs:07d}"),
            {"post": POSTS[i % len(POSTS)], "start_date": dt.date(2000 + i % 24, 1, 1)},
        )


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(backend: GraphBackend, n: int, batch_size: int) -> dict:
    n_orgs = max(n // 10, 1)
    n_people = n - n_orgs
    t_nodes = timed(
        lambda: backend.write(
            (r for gen in (organisations(n_orgs), people(n_people)) for r in gen), source="bench", batch_size=batch_size
        )
    )
    report = {}
    t_rels = timed(
        lambda: report.setdefault(
            "r", backend.write(postings(n, n_people, n_orgs), source="bench", batch_size=batch_size)
        )
    )
    assert report["r"].relationships_written == n and not report["r"].unresolved
    assert backend.count_nodes() == n and backend.count_relationships() == n
    return {
        "nodes": n,
        "relationships": n,
        "batch_size": batch_size,
        "node_seconds": round(t_nodes, 2),
        "relationship_seconds": round(t_rels, 2),
        "nodes_per_s": round(n / t_nodes),
        "relationships_per_s": round(n / t_rels),
        "records_per_s": round(2 * n / (t_nodes + t_rels)),
    }


def naive(backend: GraphBackend, sample: int) -> dict:
    backend.clear()
    n_orgs = max(sample // 10, 1)
    backend.write(organisations(n_orgs), source="naive")
    backend.write(people(sample), source="naive")
    t = timed(lambda: backend.write(postings(sample, sample, n_orgs), source="naive", batch_size=1))
    return {"relationships": sample, "seconds": round(t, 2), "relationships_per_s": round(sample / t)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["embedded", "neo4j"], choices=["embedded", "neo4j"])
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--out", default="bench/results/ingest_throughput.json")
    args = parser.parse_args()

    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": [],
    }
    for kind in args.backends:
        if kind == "neo4j" and not os.environ.get("NEO4J_URI"):
            print("neo4j: skipped (set NEO4J_URI and NEO4J_PASSWORD; start one with bash tools/neo4j-dev/run)")
            continue
        for n in args.scales:
            tmp = None
            if kind == "embedded":
                tmp = tempfile.mkdtemp(prefix="liandong-bench-")
                backend: GraphBackend = EmbeddedBackend(Path(tmp) / "ws")
            else:
                from graphmodel.backends.neo4j_ import Neo4jBackend

                backend = Neo4jBackend()
                backend.clear()
            try:
                row = {"backend": kind, **run(backend, n, args.batch_size)}
                if kind == "neo4j" and n == args.scales[0]:
                    row["naive"] = naive(backend, args.naive_sample)
                    row["batched_vs_naive"] = round(row["relationships_per_s"] / row["naive"]["relationships_per_s"], 1)
                if kind == "neo4j":
                    backend.clear()
            finally:
                backend.close()
                if tmp:
                    shutil.rmtree(tmp, ignore_errors=True)
            row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            results["runs"].append(row)
            extra = ""
            if "naive" in row:
                extra = f"  naive {row['naive']['relationships_per_s']:,}/s  ratio {row['batched_vs_naive']}x"
            print(
                f"{kind:8s} n={n:>9,}  nodes {row['nodes_per_s']:>9,}/s  rels {row['relationships_per_s']:>9,}/s  "
                f"all {row['records_per_s']:>9,}/s  peak RSS {row['peak_rss_mb']} MB{extra}",
                flush=True,
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()

"""Every stage of liandong end to end, each in its own process: wall time, CPU, peak memory, counts and rates.

    python bench/end_to_end.py --scale small
    python bench/end_to_end.py --scales tiny,small --repeat 3    # and how each stage grows with size
    python bench/end_to_end.py --scale province --exports /data/prov --workspace /data/prov-ws
    python bench/end_to_end.py --scale small --stages analyze,export-report --workspace /data/small-ws
    NEO4J_URI=neo4j://127.0.0.1:7687 NEO4J_PASSWORD=... \\
        python bench/end_to_end.py --scale small --backend neo4j --clear --server-pid 12345

Stages, in order: generate, ingest, resolve, analyze (every detector, as
`liandong analyze`), analyze-split (the same detectors in one process with the
graph's frames read first and timed apart, as bench/detectors.py does, so each
detector's own time excludes reads), export-dossier, export-report,
export-network, export-graph. Each runs in a child process (the `liandong`
command, or this script for analyze-split), so its wall time includes
starting Python and importing what it needs (measured apart per stage as
"startup"; "net" seconds leave it out), and its peak memory is that
process's own (ru_maxrss from os.wait4), not hidden by an earlier stage.
CPU seconds (user + system, from the same wait4) are reported beside wall
time: on a machine shared with other work they move much less than wall
time does. With --backend neo4j the server's memory and CPU are not the
client's; --server-pid PID also samples that process's resident memory
during each stage (from /proc, every 0.2 s) and adds the CPU it used.

Rows per stage: generate, rows written to the export files; ingest, rows
read; resolve, Organisation, Person and Company records compared; analyze,
analyze-split and the dossier, report and network exports, graph elements
(nodes plus relationships: each of these reads the graph afresh);
export-graph, nodes plus relationships written. Ingest also gets nodes/s and
relationships/s from the graph's counts after it.

Figures go to stdout and to bench/results/end_to_end_<scale>_<backend>.json;
with --scales also a growth table (time and rows between consecutive scales;
a stage whose time grows faster than its rows stands out) in
bench/results/end_to_end_growth_<backend>.json. A run of some --stages only
writes ..._partial.json instead, so it never replaces a whole run's figures. --repeat N runs each scale N
times (fresh exports and workspace each time, unless --exports is given) and
keeps, per stage, the run with the least wall time; all samples are kept.

The embedded backend starts from an empty workspace when ingest is among the
stages. On Neo4j the database named by NEO4J_URI / NEO4J_DATABASE is emptied
first, which --clear must confirm when it holds anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
CLI = [sys.executable, str(REPO / "cli.py")]
STAGES = (
    "generate",
    "ingest",
    "resolve",
    "analyze",
    "analyze-split",
    "export-dossier",
    "export-report",
    "export-network",
    "export-graph",
)
# What each stage's process imports before it does any work: its fixed cost, measured apart.
STAGE_IMPORTS = {
    "generate": "cli, ingest.generator",
    "ingest": "cli, ingest.load, ingest.mapping",
    "resolve": "cli, ingest.resolve",
    "analyze": "cli, analytics",
    "analyze-split": "cli, analytics",
    "export-dossier": "cli, analytics, analytics.dossier",
    "export-report": "cli, analytics, analytics.report",
    "export-network": "cli, analytics, analytics.network",
    "export-graph": "cli, ingest.graph_json",
}
# Generated data is messy on purpose: ingest exits 3 when it quarantined rows, which is expected here.
OK_EXIT = {"ingest": {0, 3}}
KEY = "liandong-bench-key-not-for-real-data"
SCALE_NAMES = ("tiny", "small", "province", "province2x")
# Below this many net seconds a stage is mostly fixed cost, and its growth says little.
MEANINGFUL_SECONDS = 0.3


@dataclass
class Child:
    """One finished child process."""

    exit_code: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    server_peak_rss_mb: float | None = None
    server_cpu_seconds: float | None = None


@dataclass
class Run:
    """What one run of one scale needs to know: folders, backend, options."""

    scale: str
    seed: int
    backend: str
    exports: Path
    workspace: Path
    work: Path
    as_of: str | None
    server_pid: int | None
    env: dict[str, str] = field(default_factory=dict)

    def liandong(self) -> list[str]:
        """The command prefix: the CLI with this run's backend."""
        prefix = [*CLI, "--workspace", str(self.workspace)]
        if self.backend == "neo4j":
            prefix += ["--neo4j-uri", self.env["NEO4J_URI"]]
        return prefix


# ------------------------------------------------------------------------------------------- processes
def _rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU a running process has used so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_child(argv: list[str], env: dict[str, str], cwd: Path, server_pid: int | None = None) -> Child:
    """Run ``argv`` to its end: its wall time, CPU and own peak RSS (and the server's, sampled)."""
    out_path, err_path = cwd / ".child.stdout", cwd / ".child.stderr"
    server_peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            kb = _rss_kb(server_pid) if server_pid else None
            if kb is not None:
                server_peak[0] = max(server_peak[0], kb)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True) if server_pid else None
    server_cpu_before = _cpu_seconds(server_pid) if server_pid else None
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        if sampler:
            sampler.start()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        # wait4 reaps the child and reports its own resource use: ru_maxrss is its peak RSS (KiB on Linux).
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        if sampler:
            sampler.join()
    server_cpu_after = _cpu_seconds(server_pid) if server_pid else None
    server_cpu = (
        server_cpu_after - server_cpu_before if server_cpu_before is not None and server_cpu_after is not None else None
    )
    return Child(
        proc.returncode,
        seconds,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        out_path.read_text(encoding="utf-8", errors="replace"),
        err_path.read_text(encoding="utf-8", errors="replace"),
        server_peak[0] / 1024 if server_pid else None,
        server_cpu,
    )


def _json_out(child: Child) -> Any:
    text = child.stdout.strip()
    return json.loads(text) if text else None


def _python(run: Run, code: str) -> Child:
    return run_child([sys.executable, "-c", code], {**run.env, "PYTHONPATH": str(REPO)}, run.work)


def _graph_counts(run: Run) -> dict[str, Any]:
    child = run_child([*run.liandong(), "stats", "--json"], run.env, run.work)
    if child.exit_code != 0:
        raise RuntimeError(f"stats failed: {child.stderr.strip()[-2000:]}")
    stats = _json_out(child)
    return {
        "nodes": sum(stats["nodes"].values()),
        "relationships": sum(stats["relationships"].values()),
        "by_label": stats["nodes"],
        "by_type": stats["relationships"],
    }


def _clear_neo4j(run: Run) -> None:
    child = _python(run, "from graphmodel.backends.neo4j_ import Neo4jBackend\nb = Neo4jBackend()\nb.clear()\n")
    if child.exit_code != 0:
        raise RuntimeError(f"could not clear Neo4j: {child.stderr.strip()[-2000:]}")


def _stage_argv(run: Run, stage: str) -> list[str]:
    out = run.work / "outputs"
    as_of = ["--as-of", run.as_of] if run.as_of else []
    if stage == "generate":
        return [*CLI, "generate", "--scale", run.scale, "--seed", str(run.seed), "--out", str(run.exports), "--json"]
    if stage == "ingest":
        return [*run.liandong(), "ingest", str(run.exports), "--quarantine", str(run.work / "quarantine"), "--json"]
    if stage == "resolve":
        return [*run.liandong(), "entities", "resolve", "--json"]
    if stage == "analyze":
        return [*run.liandong(), "analyze", "--out", str(out / "analyses"), *as_of, "--json"]
    if stage == "analyze-split":
        target = ["--neo4j"] if run.backend == "neo4j" else ["--workspace", str(run.workspace)]
        return [sys.executable, str(Path(__file__).resolve()), "--split-child", *target, *as_of]
    # The exports use what the analyze stage wrote when it still matches the graph (as an analyst's
    # 'analyze' then 'export' would); without that stage they run the detectors themselves.
    results = ["--results", str(out / "analyses")]
    if stage == "export-dossier":
        return [*run.liandong(), "export", "dossier", "--out", str(out / "dossier.xlsx"), *results, *as_of, "--json"]
    if stage == "export-report":
        return [*run.liandong(), "export", "report", "--out", str(out / "report.html"), *results, *as_of, "--json"]
    if stage == "export-network":
        return [*run.liandong(), "export", "network", "--out", str(out / "network.gexf"), *results, "--json"]
    if stage == "export-graph":
        return [*run.liandong(), "export", "graph", "--out", str(out / "graph.jsonl"), "--json"]
    raise ValueError(stage)


# ------------------------------------------------------------------------------------------- one scale
def _rate(count: float, seconds: float) -> float | None:
    return round(count / seconds) if seconds > 0 else None


def _by_format(files: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for f in files:
        entry = out.setdefault(f["format"] or "-", {"rows": 0, "write_seconds": 0.0})
        entry["rows"] += f["read"]
        entry["write_seconds"] += f["seconds"].get("write", 0.0)
    return {k: {**v, "write_seconds": round(v["write_seconds"], 2)} for k, v in out.items()}


def _reuse(result: dict[str, Any]) -> dict[str, Any]:
    """Which detectors an export took from analyze's results, and which it ran itself (and why)."""
    return {"reused": result["reused"], "ran": result["ran"]}


def _describe(stage: str, result: Any, graph: dict[str, Any] | None) -> dict[str, Any]:
    """Counts of one stage from its command's JSON and the graph's counts."""
    elements = graph["nodes"] + graph["relationships"] if graph else None
    if stage == "generate":
        return {"rows": result["rows"], "files": result["files"], "world": result["world"]}
    if stage == "ingest":
        files = result["files"]
        return {
            "rows": sum(f["read"] for f in files),
            "files": len(files),
            "rows_loaded": sum(f["loaded"] for f in files),
            "rows_quarantined": sum(f["quarantined"] for f in files),
            "links_unresolved": sum(f["links_unresolved"] for f in files),
            # Summed over files. Read and map run in a worker process ahead of the writer, so with a
            # worker these overlap the write seconds; per format, to see which tables grow how.
            "file_seconds": {
                part: round(sum(f["seconds"].get(part, 0.0) for f in files), 1) for part in ("read", "map", "write")
            },
            "write_seconds_by_format": _by_format(files),
        }
    if stage == "resolve":
        return {
            "rows": sum(v["records"] for v in result.values()),
            "links": sum(v["links"] for v in result.values()),
            "accepted": sum(v["accepted"] for v in result.values()),
            "entities": {label: v["clusters"] for label, v in result.items()},
        }
    if stage == "analyze":
        return {
            "rows": elements,
            "detections": {n: v["detections"] for n, v in result.items()},
            # In-process seconds per detector, in registry order; each includes the frames it reads first.
            "detector_seconds": {n: v["seconds"] for n, v in result.items()},
        }
    if stage == "analyze-split":
        return {"rows": elements, **result}
    if stage == "export-dossier":
        return {"rows": elements, "targets": result["targets"], "target_sheets": result["sheets"], **_reuse(result)}
    if stage == "export-report":
        return {"rows": elements, "detections": sum(result["detections"].values()), **_reuse(result)}
    if stage == "export-network":
        return {"rows": elements, "network_nodes": result["nodes"], "network_edges": result["edges"], **_reuse(result)}
    if stage == "export-graph":
        return {
            "rows": result["nodes"] + result["relationships"],
            "nodes_written": result["nodes"],
            "relationships_written": result["relationships"],
        }
    raise ValueError(stage)


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def run_scale(run: Run, stages: list[str], clear: bool) -> dict[str, Any]:
    """Run the chosen stages of one scale once; return the figures (also when a stage fails)."""
    figures: dict[str, Any] = {
        "scale": run.scale,
        "seed": run.seed,
        "backend": run.backend,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": _machine(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "stages": {},
    }
    startup = {stage: _python(run, f"import {STAGE_IMPORTS[stage]}") for stage in stages}
    figures["startup"] = {
        stage: {
            "seconds": round(c.seconds, 2),
            "cpu_seconds": round(c.cpu_seconds, 2),
            "peak_rss_mb": round(c.peak_rss_mb),
        }
        for stage, c in startup.items()
    }
    print(
        f"[{run.scale}/{run.backend}] startup (python + imports) per stage: "
        + ", ".join(f"{stage} {c.seconds:.2f} s" for stage, c in startup.items()),
        flush=True,
    )
    graph: dict[str, Any] | None = None
    if "ingest" in stages:
        if run.backend == "neo4j":
            before = _graph_counts(run)
            if before["nodes"] and not clear:
                raise SystemExit(
                    f"Neo4j at {run.env['NEO4J_URI']} holds {before['nodes']:,} nodes; pass --clear to empty it "
                    "before the ingest stage, or leave ingest out of --stages"
                )
            _clear_neo4j(run)
        elif run.workspace.exists() and any(run.workspace.iterdir()):
            raise SystemExit(f"{run.workspace} is not empty; the ingest stage needs a new workspace folder")
    elif any(s != "generate" for s in stages):
        graph = _graph_counts(run)
    for stage in stages:
        if stage == "generate" and (run.exports / "truth.json").exists():
            print(f"[{run.scale}/{run.backend}] generate: reusing {run.exports}", flush=True)
            figures["stages"]["generate"] = {"skipped": f"reused {run.exports}"}
            continue
        child = run_child(_stage_argv(run, stage), run.env, run.work, run.server_pid)
        if child.exit_code not in OK_EXIT.get(stage, {0}):
            figures["stages"][stage] = {
                "exit_code": child.exit_code,
                "seconds": round(child.seconds, 2),
                "error": child.stderr.strip()[-3000:],
            }
            print(f"[{run.scale}/{run.backend}] {stage} FAILED (exit {child.exit_code}):\n{child.stderr[-3000:]}")
            figures["failed"] = stage
            break
        if stage in ("ingest", "resolve"):
            graph = _graph_counts(run)
        row: dict[str, Any] = {
            "seconds": round(child.seconds, 2),
            "net_seconds": round(max(child.seconds - startup[stage].seconds, 0.0), 2),
            "cpu_seconds": round(child.cpu_seconds, 2),
            "net_cpu_seconds": round(max(child.cpu_seconds - startup[stage].cpu_seconds, 0.0), 2),
            "peak_rss_mb": round(child.peak_rss_mb),
            "exit_code": child.exit_code,
        }
        if child.server_peak_rss_mb is not None:
            row["server_peak_rss_mb"] = round(child.server_peak_rss_mb)
        if child.server_cpu_seconds is not None:
            row["server_cpu_seconds"] = round(child.server_cpu_seconds, 2)
        row.update(_describe(stage, _json_out(child), graph))
        row["rows_per_s"] = _rate(row["rows"], child.seconds)
        if stage in ("ingest", "resolve") and graph:
            row["graph"] = graph
        if stage == "ingest" and graph:
            row["nodes_per_s"] = _rate(graph["nodes"], child.seconds)
            row["relationships_per_s"] = _rate(graph["relationships"], child.seconds)
        figures["stages"][stage] = row
        _print_stage(run, stage, row)
    figures["graph"] = {k: graph[k] for k in ("nodes", "relationships")} if graph else None
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def best_of(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one scale as one: per stage, the run with the least wall time, and every sample's times."""
    if len(samples) == 1:
        return samples[0]
    figures = dict(samples[0])
    figures["repeats"] = len(samples)
    figures["load_average_at_start"] = [s["load_average_at_start"] for s in samples]
    figures["load_average_at_end"] = [s["load_average_at_end"] for s in samples]
    figures["stages"] = {}
    for stage in samples[0]["stages"]:
        rows = [s["stages"][stage] for s in samples if "rows" in s["stages"].get(stage, {})]
        if not rows:
            figures["stages"][stage] = samples[0]["stages"][stage]
            continue
        best = dict(min(rows, key=lambda r: r["seconds"]))
        best["samples_seconds"] = [r["seconds"] for r in rows]
        best["samples_cpu_seconds"] = [r["cpu_seconds"] for r in rows]
        figures["stages"][stage] = best
    figures["failed"] = next((s["failed"] for s in samples if "failed" in s), None)
    if figures["failed"] is None:
        del figures["failed"]
    return figures


def _print_stage(run: Run, stage: str, row: dict[str, Any]) -> None:
    extra = ""
    if stage == "ingest":
        extra = f", {row.get('relationships_per_s') or 0:,} relationships/s, {row['rows_quarantined']:,} quarantined"
    if "server_peak_rss_mb" in row:
        extra += f", server peak {row['server_peak_rss_mb']:,} MB"
    if "server_cpu_seconds" in row:
        extra += f", server CPU {row['server_cpu_seconds']:.1f} s"
    print(
        f"[{run.scale}/{run.backend}] {stage:<15} {row['seconds']:9.2f} s  CPU {row['cpu_seconds']:8.2f} s  "
        f"peak RSS {row['peak_rss_mb']:6,} MB  rows {row['rows']:>10,}  {row['rows_per_s'] or 0:>9,} rows/s{extra}",
        flush=True,
    )


def print_table(figures: dict[str, Any]) -> None:
    repeats = f", best of {figures['repeats']}" if "repeats" in figures else ""
    print(f"\n{figures['scale']} (seed {figures['seed']}), {figures['backend']}{repeats}; net = less startup")
    print(f"{'stage':<15} {'seconds':>8} {'net s':>7} {'CPU s':>7} {'peak MB':>8} {'rows':>10} {'rows/s':>8}  notes")
    for stage, row in figures["stages"].items():
        if "rows" not in row:
            print(f"{stage:<15} {row.get('skipped') or 'FAILED: ' + row['error'][-200:]}")
            continue
        notes = []
        if stage == "ingest":
            notes.append(
                f"{row['graph']['nodes']:,} nodes, {row['graph']['relationships']:,} relationships, "
                f"{row['relationships_per_s']:,} rel/s"
            )
            parts = row["file_seconds"]
            notes.append(f"file s read {parts['read']:.0f} / map {parts['map']:.0f} / write {parts['write']:.0f}")
        elif stage == "analyze-split":
            notes.append(
                f"read frames {row['read_seconds']:.1f}s (peak {row['read_peak_rss_mb']:,} MB), "
                + ", ".join(f"{n} {s:.2f}s" for n, s in row["detector_seconds"].items())
            )
        if "server_peak_rss_mb" in row:
            notes.append(f"server {row['server_peak_rss_mb']:,} MB, CPU {row.get('server_cpu_seconds', 0):.1f} s")
        if "samples_seconds" in row:
            notes.append(f"samples {row['samples_seconds']}")
        print(
            f"{stage:<15} {row['seconds']:>8.2f} {row['net_seconds']:>7.2f} {row['cpu_seconds']:>7.2f} "
            f"{row['peak_rss_mb']:>8,} {row['rows']:>10,} {row['rows_per_s'] or 0:>8,}  {'; '.join(notes)}"
        )


# -------------------------------------------------------------------------------------------- growth
def _timings(fig: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per stage, and per detector (from analyze-split when it ran, else analyze): net wall, CPU, rows, memory."""
    found: dict[str, dict[str, Any]] = {}
    split = "rows" in fig["stages"].get("analyze-split", {})
    for stage, row in fig["stages"].items():
        if "rows" not in row:
            continue
        cpu = row["net_cpu_seconds"] + row.get("server_cpu_seconds", 0.0)
        found[stage] = {"wall": row["net_seconds"], "cpu": cpu, "rows": row["rows"], "mb": row["peak_rss_mb"]}
        if stage != ("analyze-split" if split else "analyze"):
            continue
        parts = dict(row.get("detector_seconds", {}))
        if split:
            parts = {"read frames": row["read_seconds"], **parts}
        cpus = {"read frames": row.get("read_cpu_seconds"), **row.get("detector_cpu_seconds", {})}
        for name, seconds in parts.items():
            found[f"  {name}"] = {"wall": seconds, "cpu": cpus.get(name), "rows": row["rows"], "mb": None}
    return found


def growth(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each stage (and detector) and each pair of consecutive scales: how its time grew against its rows.

    Times are net of the startup each process pays. ``wall_per_row`` is the
    wall-time ratio over the rows ratio (1 linear, above 1 faster than
    linear); ``k_wall`` and ``k_cpu`` are k in time ~ rows^k. k is left out
    when the stage took under MEANINGFUL_SECONDS at the smaller scale (fixed
    costs dominate there).
    """

    def k(t1: float | None, t2: float | None, rows_x: float) -> float | None:
        if not t1 or not t2 or t1 < MEANINGFUL_SECONDS or rows_x <= 1.0:
            return None
        return round(math.log(t2 / t1) / math.log(rows_x), 2)

    out = []
    for a, b in zip(runs, runs[1:], strict=False):
        first, second = _timings(a), _timings(b)
        for stage, one in first.items():
            two = second.get(stage)
            if two is None or not one["rows"]:
                continue
            rows_x = two["rows"] / one["rows"]
            wall_x = two["wall"] / one["wall"] if one["wall"] else None
            out.append(
                {
                    "stage": stage.strip(),
                    "detector": stage.startswith("  "),
                    "from": a["scale"],
                    "to": b["scale"],
                    "rows_x": round(rows_x, 2),
                    "wall_x": round(wall_x, 2) if wall_x else None,
                    "wall_per_row": round(wall_x / rows_x, 2) if wall_x else None,
                    "k_wall": k(one["wall"], two["wall"], rows_x),
                    "k_cpu": k(one["cpu"], two["cpu"], rows_x),
                    "memory_x": round(two["mb"] / one["mb"], 2) if one["mb"] and two["mb"] else None,
                    "wall_seconds": [one["wall"], two["wall"]],
                    "cpu_seconds": [
                        round(one["cpu"], 2) if one["cpu"] is not None else None,
                        round(two["cpu"], 2) if two["cpu"] is not None else None,
                    ],
                }
            )
    return out


def print_growth(rows: list[dict[str, Any]]) -> None:
    print(
        "\nGrowth between consecutive scales: times net of startup; per row 1.0 = linear; k in time ~ rows^k "
        f"(blank: under {MEANINGFUL_SECONDS} s at the smaller scale, fixed costs dominate; CPU includes the "
        "server's with --server-pid)"
    )
    print(
        f"{'stage':<24} {'scales':<20} {'rows x':>7} {'wall x':>7} {'per row':>8} {'k wall':>7} {'k CPU':>6} "
        f"{'mem x':>6}  net wall s"
    )

    def show(v: Any) -> str:
        return "" if v is None else str(v)

    for g in rows:
        name = ("  " if g["detector"] else "") + g["stage"]
        # CPU time moves less than wall time when other work shares the machine, so it decides when known.
        k = g["k_cpu"] if g["k_cpu"] is not None else g["k_wall"]
        flag = "  <- faster than linear" if (k or 0) > 1.2 else ""
        print(
            f"{name:<24} {g['from'] + ' -> ' + g['to']:<20} {g['rows_x']:>7} {show(g['wall_x']):>7} "
            f"{show(g['wall_per_row']):>8} {show(g['k_wall']):>7} {show(g['k_cpu']):>6} {show(g['memory_x']):>6}  "
            f"{g['wall_seconds'][0]} -> {g['wall_seconds'][1]}{flag}"
        )


# ------------------------------------------------------------------------------ analyze-split's process
def split_child(workspace: str | None, as_of: str | None) -> None:
    """The analyze-split stage's process: read the frames, then each detector on them; print JSON."""
    import resource

    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "bench"))
    from detectors import FRAMES  # every frame the detectors read, so the read is timed apart

    from analytics import GraphView, detector_names, run_detectors
    from graphmodel import open_backend

    backend = open_backend(workspace or "", neo4j_uri=None if workspace else os.environ["NEO4J_URI"], create=False)
    view = GraphView(backend)
    started, cpu = time.perf_counter(), time.process_time()
    for frame in FRAMES:
        getattr(view, frame)
    read, read_cpu = time.perf_counter() - started, time.process_time() - cpu
    read_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, cpus, found = {}, {}, {}
    for name in detector_names():
        cpu = time.process_time()
        result = run_detectors(view, [name], as_of=as_of)[name]
        cpus[name] = round(time.process_time() - cpu, 3)
        seconds[name] = result.stats["seconds"]
        found[name] = len(result)
    backend.close()
    print(
        json.dumps(
            {
                "read_seconds": round(read, 2),
                "read_cpu_seconds": round(read_cpu, 2),
                "read_peak_rss_mb": round(read_peak),
                "detector_seconds": seconds,
                "detector_cpu_seconds": cpus,
                "detections": found,
            }
        )
    )


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=SCALE_NAMES)
    parser.add_argument("--scales", help="Several scales in order, e.g. tiny,small: runs each, then the growth table.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--exports",
        help="Folder of generated exports: reused (generate skipped) when it holds truth.json, else generated "
        "there. With --scales, a parent folder holding one folder per scale. Default: a temporary folder.",
    )
    parser.add_argument(
        "--workspace",
        help="Embedded workspace folder (must be empty or new when ingest runs; with --scales, a parent "
        "folder). Default: a temporary folder. With Neo4j it only receives audit.log.",
    )
    parser.add_argument("--stages", help=f"Comma-separated subset of: {','.join(STAGES)} (default: all, in order).")
    parser.add_argument("--backend", default="embedded", choices=["embedded", "neo4j"])
    parser.add_argument("--as-of", help="Day passed to analyze, export dossier and export report (default: theirs).")
    parser.add_argument("--repeat", type=int, default=1, help="Runs per scale; the least wall time per stage is kept.")
    parser.add_argument("--clear", action="store_true", help="Neo4j: empty a non-empty database before ingest.")
    parser.add_argument("--server-pid", type=int, help="Neo4j server process: sample its memory and CPU per stage.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folders (printed at the end).")
    parser.add_argument("--split-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--neo4j", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.split_child:
        split_child(None if args.neo4j else args.workspace, args.as_of)
        return

    scales = args.scales.split(",") if args.scales else [args.scale]
    unknown = [s for s in scales if s not in SCALE_NAMES]
    if unknown:
        parser.error(f"unknown scale {', '.join(unknown)}; choose from {', '.join(SCALE_NAMES)}")
    stages = [s.strip() for s in args.stages.split(",")] if args.stages else list(STAGES)
    if any(s not in STAGES for s in stages):
        parser.error(f"--stages takes {', '.join(STAGES)}")
    stages = [s for s in STAGES if s in stages]
    if args.repeat < 1 or (args.repeat > 1 and args.workspace and "ingest" in stages):
        parser.error("--repeat N needs N >= 1, and a temporary workspace (no --workspace) when ingest runs")
    env = {k: v for k, v in os.environ.items() if k not in ("LIANDONG_WORKSPACE", "PYTHONPATH")}
    env["LIANDONG_SECRET_KEY"] = KEY
    if args.backend == "neo4j":
        if not env.get("NEO4J_URI") or not env.get("NEO4J_PASSWORD"):
            parser.error("--backend neo4j needs NEO4J_URI and NEO4J_PASSWORD in the environment")
    else:
        env.pop("NEO4J_URI", None)  # the CLI would otherwise use a Neo4j named in the caller's environment

    # A run of some stages only does not replace the figures of a whole run.
    partial = "" if stages == list(STAGES) else "_partial"
    temp = Path(tempfile.mkdtemp(prefix="liandong-e2e-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    all_figures: list[dict[str, Any]] = []
    failed = False
    try:
        for scale in scales:
            many = len(scales) > 1
            samples: list[dict[str, Any]] = []
            for attempt in range(args.repeat):
                scratch = temp / scale / str(attempt)
                if args.exports:
                    exports = Path(args.exports) / scale if many else Path(args.exports)
                else:
                    exports = scratch / "exports"
                if args.workspace:
                    workspace = Path(args.workspace) / scale if many else Path(args.workspace)
                else:
                    workspace = scratch / "workspace"
                work = scratch / "work"
                work.mkdir(parents=True, exist_ok=True)
                if "generate" not in stages and not (exports / "truth.json").exists() and "ingest" in stages:
                    parser.error(f"{exports} holds no generated exports (truth.json); add the generate stage")
                run = Run(scale, args.seed, args.backend, exports, workspace, work, args.as_of, args.server_pid, env)
                # After the first run the database holds only this benchmark's own data, so later runs clear it.
                samples.append(run_scale(run, stages, args.clear or bool(all_figures) or bool(samples)))
                if not args.keep:
                    shutil.rmtree(scratch, ignore_errors=True)
                if "failed" in samples[-1]:
                    break
            figures = best_of(samples)
            out = RESULTS / f"end_to_end_{scale}_{args.backend}{partial}.json"
            out.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
            print_table(figures)
            print(f"written {out}", flush=True)
            all_figures.append(figures)
            if "failed" in figures:
                failed = True
                break
        if len(all_figures) > 1:
            rows = growth(all_figures)
            print_growth(rows)
            out = RESULTS / f"end_to_end_growth_{args.backend}{partial}.json"
            out.write_text(
                json.dumps({"scales": [f["scale"] for f in all_figures], "growth": rows}, indent=2), encoding="utf-8"
            )
            print(f"written {out}")
    finally:
        if args.keep:
            print(f"kept {temp}")
        else:
            shutil.rmtree(temp, ignore_errors=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Every detector on one workspace: wall time and memory per detector, and accuracy against the truth.

    python bench/detectors.py --workspace /tmp/prov/workspace --truth /tmp/prov/exports/truth.json
    NEO4J_URI=neo4j://127.0.0.1:7687 NEO4J_PASSWORD=... python bench/detectors.py --neo4j --truth ...

Reading the graph into the shared frames is timed apart ("read"); each
detector's time then excludes the reads other detectors already made.
Memory: the process's peak RSS after each step (it only grows), and, with
--trace, each detector's own peak of traced allocations (slower).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import GraphView, detector_names, run_detectors, write_results  # noqa: E402
from analytics.evaluation import evaluate_detectors, evaluation_params, load_truth  # noqa: E402
from graphmodel import open_backend  # noqa: E402
from ingest.evaluation import ExportTruth  # noqa: E402

# Every frame the detectors read: read (and timed) before any detector runs.
FRAMES = (
    "organisations",
    "people",
    "companies",
    "findings",
    "rectifications",
    "tours",
    "inspected",
    "members",
    "posts",
    "relatives",
    "company_roles",
    "tenders",
    "bids",
    "company_contacts",
    "leads",
    "transfers",
)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="liandong-workspace")
    parser.add_argument("--neo4j", action="store_true", help="use the Neo4j named by NEO4J_URI / NEO4J_PASSWORD")
    parser.add_argument("--truth", help="truth.json of the generated exports, to print accuracy too")
    parser.add_argument("--key", default="liandong-demo-key-not-for-real-data", help="secret key of the ingest")
    parser.add_argument("--trace", action="store_true", help="trace each detector's own peak memory")
    parser.add_argument("--out", help="write every result (CSV, evidence, JSON) into this folder")
    parser.add_argument("--as-of", help="judge on this day when no --truth is given")
    args = parser.parse_args()
    import os

    backend = open_backend(args.workspace, neo4j_uri=os.environ.get("NEO4J_URI") if args.neo4j else None, create=False)
    truth = load_truth(args.truth) if args.truth else {}
    export_truth = ExportTruth(backend, Path(args.truth).parent, args.key.encode()) if truth else None
    params = evaluation_params(truth, export_truth) if truth else {}
    view = GraphView(backend)
    started = time.perf_counter()
    for frame in FRAMES:
        getattr(view, frame)
    read = time.perf_counter() - started
    print(f"{'read frames':<22} {read:8.1f} s   peak RSS {rss_mb():7.0f} MB", flush=True)
    results = {}
    for name in detector_names():
        kwargs = params.get(name, {"as_of": truth.get("as_of") or args.as_of})
        result = run_detectors(view, [name], measure=args.trace, **kwargs)[name]
        results[name] = result
        traced = f"   traced peak {result.stats['peak_mb']:7.0f} MB" if args.trace else ""
        print(
            f"{name:<22} {result.stats['seconds']:8.1f} s   peak RSS {rss_mb():7.0f} MB{traced}   {len(result):,} found"
        )
    total = time.perf_counter() - started
    print(f"{'all detectors':<22} {total:8.1f} s (with the reads)", flush=True)
    if args.out:
        write_results(results, args.out)
    if truth:
        t = time.perf_counter()
        scores = evaluate_detectors(results, truth, export_truth)
        print(f"evaluation {time.perf_counter() - t:.0f} s")
        print(json.dumps(scores, indent=1))


if __name__ == "__main__":
    main()

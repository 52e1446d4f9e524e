"""Generate, ingest and resolve one scale end to end; print wall time, rows/s, stages and peak memory.

    python bench/ingest_scale.py --scale small
    python bench/ingest_scale.py --scale province --exports /tmp/liandong-province   # reuses the exports
    NEO4J_URI=… NEO4J_PASSWORD=… python bench/ingest_scale.py --scale small --backend neo4j

Stages per file are read (parse the file), map (validate rows and build
records) and write (batched upserts); entity resolution and its pairwise
scores against the generator's truth follow. Figures go to stdout and to
bench/results/ingest_<scale>_<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphmodel import EmbeddedBackend, GraphBackend  # noqa: E402
from ingest.evaluation import entity_resolution_scores  # noqa: E402
from ingest.generator import SCALES, generate  # noqa: E402
from ingest.load import Ingester  # noqa: E402
from ingest.resolve import Resolver  # noqa: E402

KEY = b"bench-key"


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=list(SCALES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--exports", help="Folder of exports (generated there if empty or missing).")
    parser.add_argument("--backend", default="embedded", choices=["embedded", "neo4j"])
    parser.add_argument("--no-evaluate", action="store_true", help="Skip the entity-resolution scores.")
    parser.add_argument("--keep", help="Keep the embedded workspace in this folder (for tracing), not a temporary one.")
    args = parser.parse_args()

    figures: dict[str, object] = {
        "scale": args.scale,
        "seed": args.seed,
        "backend": args.backend,
        "cpus": os.cpu_count(),
    }
    exports = Path(args.exports or tempfile.mkdtemp(prefix=f"liandong-{args.scale}-"))
    if not (exports / "truth.json").exists():
        start = time.perf_counter()
        generated = generate(args.scale, args.seed, exports)
        figures["generate_seconds"] = round(time.perf_counter() - start, 1)
        figures["world"] = generated.sizes
        print(f"generate: {figures['generate_seconds']} s, {generated.sizes}", flush=True)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="liandong-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    backend: GraphBackend
    if args.backend == "embedded":
        backend = EmbeddedBackend(work / "ws")
    else:
        from graphmodel.backends.neo4j_ import Neo4jBackend

        backend = Neo4jBackend()
        backend.clear()
    try:
        start = time.perf_counter()
        report = Ingester(backend, work / "quarantine", secret_key=KEY).ingest([exports])
        wall = time.perf_counter() - start
        rows = sum(f.rows_read for f in report.files)
        stages = {k: round(sum(f.seconds.get(k, 0.0) for f in report.files), 1) for k in ("read", "map", "write")}
        figures["ingest"] = {
            "seconds": round(wall, 1),
            "files": len(report.files),
            "rows": rows,
            "rows_per_s": round(rows / wall),
            "quarantined": report.rows_quarantined,
            "stages_seconds": stages,
            "peak_rss_mb": peak_mb(),
        }
        print(
            f"ingest: {wall:.1f} s, {rows:,} rows, {rows / wall:,.0f} rows/s, stages {stages}, "
            f"quarantined {report.rows_quarantined:,}, peak RSS {peak_mb()} MB",
            flush=True,
        )
        start = time.perf_counter()
        resolution = Resolver(backend).run()
        figures["resolve"] = {
            "seconds": round(time.perf_counter() - start, 1),
            "clusters": resolution.clusters,
            "records": resolution.records,
            "peak_rss_mb": peak_mb(),
        }
        print(f"resolve: {figures['resolve']['seconds']} s, {resolution.clusters}", flush=True)
        if not args.no_evaluate:
            scores = entity_resolution_scores(backend, exports, KEY)
            figures["entity_resolution"] = {
                k: {m: v[m] for m in ("precision", "recall", "f1")} for k, v in scores.items()
            }
            for kind, v in scores.items():
                print(f"  {kind:<13} precision {v['precision']:.4f} recall {v['recall']:.4f}", flush=True)
        figures["stats"] = backend.stats()
    finally:
        backend.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    out = Path(__file__).parent / "results" / f"ingest_{args.scale}_{args.backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()

"""Entity resolution on an independent generator: 31 offices' own exports, scored against their truth.

Generates the offices' exports with ``ingest.offices`` (a generator written
apart from the resolver and from ``liandong generate``), ingests them with the
offices' own mappings (``ingest/offices/mappings``, nothing shipped), resolves
entities exactly as ``liandong entities resolve`` does (``Resolver(backend).run()``),
and prints per kind (organisation, person, company) the pairwise precision and
recall of the records' ``canonical_id`` against ``truth_records.csv``, and how
many of the decoy pairs (look-alike records of different entities,
``decoys.csv``) were merged into one entity. Then the same on the project's own
generator (``liandong generate`` + ``entities evaluate``) for comparison.

    python bench/er_offices.py --seed 1
    python bench/er_offices.py --seed 2 --scale small --out bench/results/er_offices_2.json
    NEO4J_URI=neo4j://127.0.0.1:7689 NEO4J_PASSWORD=… python bench/er_offices.py --seed 1 --backend neo4j

Nothing here asserts a figure: low recall is what this benchmark is for.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphmodel import EmbeddedBackend, GraphBackend, load_schema
from ingest.evaluation import ExportTruth, entity_resolution_scores, pairwise_scores
from ingest.linkage import calibration
from ingest.load import Ingester
from ingest.mapping import load_mapping
from ingest.offices import KINDS, generate_offices, mapping_paths
from ingest.resolve import Resolver

KEY = b"liandong-bench-er-offices"
LABELS = {"organisation": "Organisation", "person": "Person", "company": "Company"}


def open_backend(kind: str, folder: Path) -> GraphBackend:
    if kind == "embedded":
        return EmbeddedBackend(folder)
    from graphmodel.backends.neo4j_ import Neo4jBackend

    backend = Neo4jBackend()
    backend.clear()
    return backend


def canonical_ids(backend: GraphBackend) -> dict[str, dict[str, str]]:
    """label -> {record key: canonical id} (a record resolution left alone stands for itself)."""
    out = {}
    for label in LABELS.values():
        key = backend.schema.node(label).key
        frame = backend.nodes(label)
        if frame.empty:
            out[label] = {}
            continue
        ids = frame["canonical_id"] if "canonical_id" in frame else frame[key]
        out[label] = dict(zip(frame[key], ids.fillna(frame[key]), strict=True))
    return out


def score_offices(folder: Path, canonical: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Pairwise scores per kind against truth_records.csv, and merged decoy pairs per kind and decoy."""
    truth: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with open(folder / "truth_records.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[row["kind"]].append((row["key"], row["entity"]))
    out: dict[str, Any] = {}
    for kind in KINDS:
        ids = canonical[LABELS[kind]]
        present = [(ids[key], entity) for key, entity in truth[kind] if key in ids]
        scores: dict[str, Any] = pairwise_scores(present)
        scores["records_missing"] = len(truth[kind]) - len(present)
        out[kind] = scores
    pairs: Counter = Counter()
    merged: Counter = Counter()
    entity_pairs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    entity_merged: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    with open(folder / "decoys.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ids = canonical[LABELS[row["kind"]]]
            group = (row["kind"], row["decoy"])
            pair = (row["entity_a"], row["entity_b"])
            pairs[group] += 1
            entity_pairs[group].add(pair)
            a, b = ids.get(row["key_a"]), ids.get(row["key_b"])
            if a is not None and a == b:
                merged[group] += 1
                entity_merged[group].add(pair)
    out["decoys"] = [
        {
            "kind": kind,
            "decoy": decoy,
            "pairs": pairs[(kind, decoy)],
            "merged": merged[(kind, decoy)],
            "entity_pairs": len(entity_pairs[(kind, decoy)]),
            "entity_pairs_merged": len(entity_merged[(kind, decoy)]),
        }
        for kind, decoy in sorted(pairs)
    ]
    for kind in KINDS:
        rows = [d for d in out["decoys"] if d["kind"] == kind]
        out[kind]["decoy_pairs"] = sum(d["pairs"] for d in rows)
        out[kind]["decoy_pairs_merged"] = sum(d["merged"] for d in rows)
    return out


# What two records of one entity share, per kind: (label, property or properties that must be equal and filled).
EVIDENCE = {
    "organisation": [("same name", ("name",))],
    "person": [("same resident-ID hash", ("resident_id_hash",)), ("same name and birth date", ("name", "birth_date"))],
    "company": [("same USCC", ("uscc",)), ("same name", ("name",))],
}


def evidence(backend: GraphBackend, folder: Path, canonical: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Truly-same record pairs that carry the same identifier or name, and how many of them were merged."""
    records: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    with open(folder / "truth_records.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            records[row["kind"]][row["entity"]].append(row["key"])
    out = []
    for kind, tests in EVIDENCE.items():
        label = LABELS[kind]
        frame = backend.nodes(label).set_index(backend.schema.node(label).key)
        ids = canonical[label]
        for what, props in tests:
            if not all(p in frame for p in props):
                continue
            values = {
                key: tuple(str(v) for v in row) if all(v == v and v is not None for v in row) else None
                for key, row in zip(frame.index, frame[list(props)].itertuples(index=False), strict=True)
            }
            pairs = merged = 0
            for keys in records[kind].values():
                for i, a in enumerate(keys):
                    for b in keys[i + 1 :]:
                        if values.get(a) is not None and values.get(a) == values.get(b):
                            pairs += 1
                            merged += ids.get(a) == ids.get(b)
            out.append({"kind": kind, "evidence": what, "true_pairs": pairs, "merged": merged})
    return out


def run_offices(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    folder = work / "offices"
    clock = time.perf_counter()
    generated = generate_offices(folder, args.seed, args.scale)
    figures: dict[str, Any] = {"generate_seconds": round(time.perf_counter() - clock, 2), "sizes": generated.sizes}
    figures["rows"] = sum(generated.files.values())
    print(f"offices: {len(generated.files)} files, {figures['rows']:,} rows ({figures['generate_seconds']} s)")
    schema = load_schema()
    mappings = [load_mapping(path, schema) for path in mapping_paths()]
    backend = open_backend(args.backend, work / "ws-offices")
    try:
        clock = time.perf_counter()
        report = Ingester(backend, work / "q-offices", mappings=mappings, builtin=False, secret_key=KEY).ingest(
            [generated.exports]
        )
        figures["ingest_seconds"] = round(time.perf_counter() - clock, 2)
        figures["rows_quarantined"] = report.rows_quarantined
        figures["links_unresolved"] = report.links_unresolved
        print(
            f"  ingest {figures['ingest_seconds']} s; quarantined {report.rows_quarantined}, "
            f"links unresolved {report.links_unresolved}"
        )
        clock = time.perf_counter()
        resolver = Resolver(backend)
        resolution = resolver.run()
        figures["resolve_seconds"] = round(time.perf_counter() - clock, 2)
        figures["resolution"] = {
            label: {
                "records": resolution.records[label],
                "accepted": resolution.accepted[label],
                "entities": resolution.clusters[label],
            }
            for label in resolution.records
        }
        canonical = canonical_ids(backend)
        figures["scores"] = score_offices(folder, canonical)
        figures["evidence"] = evidence(backend, folder, canonical)
        truth: dict[str, dict[str, str]] = defaultdict(dict)
        with open(folder / "truth_records.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                truth[LABELS[row["kind"]]][row["key"]] = row["entity"]
        figures["calibration"] = calibration_figures(resolver, truth)
    finally:
        backend.close()
    return figures


def run_own(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from ingest.generator import generate

    exports = work / "own"
    clock = time.perf_counter()
    generated = generate(args.scale, args.seed, exports)
    figures: dict[str, Any] = {"generate_seconds": round(time.perf_counter() - clock, 2)}
    figures["rows"] = sum(n for f, n in generated.files.items() if not f.startswith("truth"))
    print(f"liandong generate: {figures['rows']:,} rows ({figures['generate_seconds']} s)")
    backend = open_backend(args.backend, work / "ws-own")
    try:
        clock = time.perf_counter()
        report = Ingester(backend, work / "q-own", secret_key=KEY).ingest([exports])
        figures["ingest_seconds"] = round(time.perf_counter() - clock, 2)
        figures["rows_quarantined"] = report.rows_quarantined
        print(f"  ingest {figures['ingest_seconds']} s; quarantined {report.rows_quarantined}")
        clock = time.perf_counter()
        resolver = Resolver(backend)
        resolver.run()
        figures["resolve_seconds"] = round(time.perf_counter() - clock, 2)
        export_truth = ExportTruth(backend, exports, KEY)
        figures["scores"] = entity_resolution_scores(backend, exports, KEY, truth=export_truth)
        truth = {label: dict(export_truth.items[kind]) for kind, label in LABELS.items()}
        figures["calibration"] = calibration_figures(resolver, truth)
    finally:
        backend.close()
    return figures


BANDS = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0000001]


def calibration_figures(resolver: Resolver, truth: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Per kind and probability band: scored pairs whose two records both have a truth, their mean match
    probability, and the share that truly are one entity (identity pairs decided outside the model excluded)."""
    out = []
    for label, scored in resolver.scored.items():
        entity = truth.get(label, {})
        known = scored[scored["a"].isin(entity) & scored["b"].isin(entity)]
        if known.empty:
            continue
        match = [entity[a] == entity[b] for a, b in zip(known["a"], known["b"], strict=True)]
        table = calibration(known["probability"], match, BANDS)
        for row in table.itertuples():
            out.append(
                {
                    "label": label,
                    "band": f"[{row.band.left:g}, {min(row.band.right, 1):g})",
                    "pairs": int(row.pairs),
                    "mean_probability": round(float(row.mean_probability), 4),
                    "share_matching": round(float(row.share_matching), 4),
                }
            )
    return out


def show(title: str, figures: dict[str, Any], decoys: bool) -> None:
    print(f"\n{title}: resolve {figures['resolve_seconds']} s")
    print(
        f"  {'kind':<13}{'precision':>10}{'recall':>9}{'f1':>8}{'records':>9}{'true pairs':>12}"
        + ("   decoy pairs merged" if decoys else "")
    )
    for kind in KINDS:
        s = figures["scores"][kind]
        line = f"  {kind:<13}{s['precision']:>10.4f}{s['recall']:>9.4f}{s['f1']:>8.4f}"
        line += f"{s['items']:>9,}{s['true_pairs']:>12,}"
        if decoys:
            line += f"   {s['decoy_pairs_merged']:,} of {s['decoy_pairs']:,}"
        print(line)
    if "evidence" in figures:
        print("  truly-same record pairs that carry the same … (merged / pairs):")
        for e in figures["evidence"]:
            print(f"    {e['kind']:<13}{e['evidence']:<30}{e['merged']:>6,} / {e['true_pairs']:,}")
    if figures.get("calibration"):
        print("  calibration (scored pairs with both records in the truth: mean probability / share truly one):")
        for c in figures["calibration"]:
            print(
                f"    {c['label']:<13}{c['band']:<16}{c['pairs']:>7,}  {c['mean_probability']:.4f} / "
                f"{c['share_matching']:.4f}"
            )
    if decoys:
        print("  decoys (record pairs merged / pairs; entity pairs with a merge / entity pairs):")
        for d in figures["scores"]["decoys"]:
            print(
                f"    {d['kind']:<13}{d['decoy']:<30}{d['merged']:>6,} / {d['pairs']:<6,}"
                f"{d['entity_pairs_merged']:>5,} / {d['entity_pairs']:,}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="small", choices=["tiny", "small"])
    parser.add_argument("--backend", default="embedded", choices=["embedded", "neo4j"])
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one, removed after)")
    parser.add_argument("--no-own", action="store_true", help="skip the run on liandong's own generator")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    if args.backend == "neo4j" and not os.environ.get("NEO4J_URI"):
        parser.error("--backend neo4j needs NEO4J_URI (and NEO4J_PASSWORD)")
    work = args.work or Path(tempfile.mkdtemp(prefix="liandong-er-offices-"))
    figures: dict[str, Any] = {"seed": args.seed, "scale": args.scale, "backend": args.backend}
    try:
        figures["offices"] = run_offices(args, work)
        if not args.no_own:
            figures["own"] = run_own(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    show(f"ingest.offices (seed {args.seed}, {args.scale}, {args.backend})", figures["offices"], decoys=True)
    if "own" in figures:
        show(f"liandong generate (seed {args.seed}, {args.scale}, {args.backend})", figures["own"], decoys=False)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

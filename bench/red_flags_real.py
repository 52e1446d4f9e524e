"""The red flags on data none of us wrote: real OCDS publishers and real labelled cartels.

1. **OCDS samples** (Ukraine, Moldova, Taiwan; ``../shared/data/ocds``): each folder ingested as its
   publisher wrote it (Ukraine with ``bid_status: active -> valid``), then ``red-flags``: processes, flags per
   indicator, the coverage (how many processes had the fields each indicator needs), and on Ukraine the
   processes Cardinal 0.0.8 flagged (``cardinal_indicators_records.json``) against ours.
2. **Labelled bid-rigging markets** (Brazil, Italy; ``../shared/data/bidrigging``), loaded as bid tables with
   ``--columns tender=Tender,bidder=Competitors,amount=Bid_value,winner=Winner`` (no statuses: the bids are
   taken as valid, ``assume_valid``). Per indicator, how many tenders it flags and what share of them are
   cartel tenders (a proven cartel member bid: ``Collusive_competitor_original``), beside the share among
   all tenders. The label is read after flagging, for the figures only.

    python bench/red_flags_real.py /work/shared/data [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from analytics import GraphView
from analytics.red_flags import detect_red_flags
from graphmodel import EmbeddedBackend
from ingest.load import Ingester
from ingest.procurement import bid_table_mapping

OCDS_FOLDERS = {
    "Ukraine records": ("ocds/ukraine/sample/records", {"bid_status": {"active": "valid"}}),
    "Ukraine releases": ("ocds/ukraine/sample/releases", {"bid_status": {"active": "valid"}}),
    "Moldova records": ("ocds/moldova/sample/records", {}),
    "Taiwan releases": ("ocds/taiwan/sample/releases", {}),
}
MARKETS = {"Brazil": "DB_Collusion_Brazil_processed.csv", "Italy": "DB_Collusion_Italy_processed.csv"}
SPEC = "tender=Tender,bidder=Competitors,amount=Bid_value,winner=Winner"


def _flags(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in result.detections:
        if d.kind == "process-flag":
            out.setdefault(d.details["indicator"], set()).add(d.details["ocid"])
    return out


def ocds(root: Path, work: Path) -> dict:
    out = {}
    for name, (folder, codes) in OCDS_FOLDERS.items():
        backend = EmbeddedBackend(work / name.replace(" ", "_"))
        started = time.perf_counter()
        report = Ingester(backend, work / f"q-{name}", codelists=codes).ingest([root / folder])
        result = detect_red_flags(GraphView(backend))
        flags = _flags(result)
        row = {
            "files": len(report.files),
            "rows_loaded": sum(f.rows_loaded for f in report.files),
            "quarantined": sum(f.rows_quarantined for f in report.files),
            "processes": result.stats["processes"],
            "flags": {k: len(v) for k, v in sorted(flags.items())},
            "buyer_patterns": sum(d.kind == "buyer-pattern" for d in result.detections),
            "usable": {r["indicator"]: r["usable"] for r in result.stats["coverage"]},
            "seconds": round(time.perf_counter() - started, 2),
        }
        reference = root / "ocds/ukraine/cardinal_indicators_records.json"
        if name == "Ukraine records" and reference.exists():
            cardinal = json.loads(reference.read_text(encoding="utf-8"))["OCID"]
            theirs: dict[str, set[str]] = {}
            for ocid, codes_ in cardinal.items():
                for code in codes_:
                    theirs.setdefault(code, set()).add(ocid)
            row["cardinal"] = {
                code: {
                    "cardinal": len(theirs.get(code, ())),
                    "ours": len(flags.get(code, ())),
                    "both": len(theirs.get(code, set()) & flags.get(code, set())),
                }
                for code in sorted(set(theirs) | set(flags))
            }
        out[name] = row
        backend.close()
    return out


def markets(root: Path, work: Path) -> dict:
    out = {}
    for name, file in MARKETS.items():
        path = root / "bidrigging" / file
        backend = EmbeddedBackend(work / name)
        started = time.perf_counter()
        Ingester(backend, work / f"q-{name}", mappings=[bid_table_mapping(SPEC, backend.schema)]).ingest([path])
        result = detect_red_flags(GraphView(backend), assume_valid=True)
        seconds = time.perf_counter() - started
        raw = pd.read_csv(path)
        cartel = raw.groupby("Tender")["Collusive_competitor_original"].max().astype(bool)
        cartel.index = cartel.index.astype(str)
        base = float(cartel.mean())
        rows = {}
        for code, processes in sorted(_flags(result).items()):
            ids = [p.removeprefix("tender:") for p in processes]
            hit = cartel.reindex(ids).fillna(False)
            rows[code] = {"tenders": len(ids), "cartel_share": round(float(hit.mean()), 3) if len(ids) else None}
        out[name] = {
            "tenders": int(cartel.size),
            "cartel_share_all": round(base, 3),
            "indicators": rows,
            "usable": {r["indicator"]: r["usable"] for r in result.stats["coverage"]},
            "seconds": round(seconds, 2),
        }
        backend.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="the shared data folder (holding ocds/ and bidrigging/)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = {"ocds": ocds(args.root, Path(tmp)), "markets": markets(args.root, Path(tmp))}
    for name, row in figures["ocds"].items():
        print(f"{name:<17} processes {row['processes']:>4}  loaded {row['rows_loaded']:>3}  "
              f"quarantined {row['quarantined']}  flags {row['flags']}  buyer patterns {row['buyer_patterns']}  "
              f"{row['seconds']} s")  # fmt: skip
        print(f"{'':<17} usable per indicator {row['usable']}")
        if "cardinal" in row:
            print(f"{'':<17} against Cardinal 0.0.8: {row['cardinal']}")
    for name, row in figures["markets"].items():
        print(
            f"{name:<8} tenders {row['tenders']}, cartel tenders {row['cartel_share_all']:.1%} of all "
            f"({row['seconds']} s)"
        )
        for code, r in row["indicators"].items():
            share = "—" if r["cartel_share"] is None else f"{r['cartel_share']:.1%}"
            print(f"    {code}: {r['tenders']:>4} tenders flagged, cartel tenders among them {share}")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

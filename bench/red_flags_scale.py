"""Ingest plus red flags on generated OCDS: N processes, ~10 bids each; wall time per stage against 60 s.

    python bench/red_flags_scale.py --processes 2000                  # smoke check, seconds
    python bench/red_flags_scale.py --processes 10000 --profile       # and where the time goes
    python bench/red_flags_scale.py                                   # the aim: 100,000 processes, 1,000,000 bids
    python bench/red_flags_scale.py --workdir /tmp/rf --keep          # keep (and reuse) the generated file

One run:

1. generate (seeded, deterministic; reported, not counted) one OCDS JSON Lines gzip file, one compiled
   release per line: ~2,000 buyers and ~20,000 firms as parties with identifiers (USCC) and addresses
   (some with telephone and e-mail), a tender with its tender period, procurementMethod open / selective /
   limited, 10 % of processes with 2–3 lots (relatedLots on bids, relatedLot on items and awards), bids
   valid mostly and some disqualified, amounts around the budget, one active award per lot to a bidder,
   some cancelled and unsuccessful tenders. Nothing is planted;
2. ingest it into a fresh embedded workspace (``Ingester`` in this process, as ``liandong ingest`` does);
3. run the red-flags detector (``run_detectors(view, ["red-flags"])``, as ``liandong analyze red-flags``
   does before writing its flags), timing inside it: the graph read (``GraphView.tenders`` / ``.bids``),
   ``procurement_frames`` (the pandas tables), ``compute_flags`` (Cardinal's indicators) and the
   detections built from the flags (the rest).

Printed: each stage's seconds, rows/s, peak RSS (this process and forked ingest workers), and the total of
(2) and (3) against the 60 s aim. Figures also go to bench/results/red_flags_<processes>.json.

Figures, 2026-12-08, on the project machine (2 cores, shared with other work), seed 1, seconds; before ->
after the changes that came with this bench (compute_flags without a pandas groupby per process, same
flags; the OCDS mapping remembering firms' keys, nodes and contacts):

| processes / bids | ingest (read/map/write/other) | graph read | frames | compute_flags | detections | total |
|---|---|---:|---:|---:|---:|---:|
| 10^4 / 99,868 | 25.0 (3.0/15.2/3.2/3.6) -> 15.7 (2.6/8.2/3.8/1.1) | 1.4 | 0.1 | 97.6 -> 1.3 | 36 -> 2.2 | 160 -> 21 |
| 10^5 / 1,000,563 | 212 (42/77/56/36), mapped in a worker | 18.5 | 2.1 | 993 -> 17.6 | 15.0 | 265 |
| same, ingest in-process (workers=0) | 338 (49/154/61/73) -> 256 (49/91/65/51) | | | | | |

Detections after include 883c646 (analytics/red_flags.py, linear in the flags; before it, 43 s at 10^4
and hours at 10^5). The 10^5 "before" figures are the earlier code run on the same file apart (ingest with
workers=0 beside another job; compute_flags on the same tables). Run-to-run spread on this shared machine is
about 20 % (another 10^5 ingest took 281 s). Peak RSS: 0.9–1.2 GB at 10^4; at 10^5 3.4–7.3 GB in this
process and 8–11 GB in the forked mapping worker. compute_flags alone on the 10^5 tables in a fresh process:
11.3 s; its flags, fences and coverage are identical to the earlier code's at 2,000, 10^4 and 10^5 processes.

What stands between this and 60 s at 10^5 (ingest is 80 % of the time; only its mapping is OCDS's own):

* ingest reads the file twice (once to recognise it, once to map it: ``other`` and ``read``), with the
  standard library's json (orjson, already a dependency, parses these lines 1.5x faster); the mapping
  worker's time is about a third Python's garbage collector walking the parsed file (gc.freeze() after
  reading, or the collector paused while mapping, in ingest/load.py); the embedded backend writes the 1.3 M
  distinct records (1.0 M BID_ON) at ~24,000 a second.
* the OCDS mapping (ingest/ocds.py) makes 5.9 M records, 59 a process: each process repeats its firms'
  Company, address and contact records, which load.py then drops as duplicates within the file. Emitting
  them once per file would need load.py to tell the mapping which rows were quarantined after it.
* memory: the whole file is parsed into Python objects in the main process and again in the worker.
* red flags alone take 53 s at 10^5: the graph read (SQLite to GraphView frames) 18.5 s, compute_flags
  17.6 s (half of it _prepare: pandas groupby-first over 10^6 bid rows and one Python object per bid),
  detections 15 s.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AIM_SECONDS = 60.0
REGIONS = ("330102", "330106", "330782", "320102", "440305", "510104", "110105", "370202")
CLASSES = ("45", "30", "33", "34", "39", "48", "50", "71", "72", "79", "90", "09")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
WORDS = ("华", "盛", "信", "达", "鑫", "源", "通", "远", "恒", "泰", "海", "天", "宏", "建", "新", "安")
TRADES = ("建设工程", "科技", "医疗器械", "信息技术", "环境工程", "物业管理", "设备", "建材", "商贸", "咨询")


def peak_mb() -> tuple[int, int]:
    """Peak RSS in MB of this process and of its (forked ingest) children."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return me, kids


# ------------------------------------------------------------------------------------------------ generate


def _party(rng: random.Random, pid: str, name: str, role: str, contacts: bool) -> dict[str, Any]:
    from ingest.generator.identity import uscc

    region = rng.choice(REGIONS)
    code = uscc(rng, region)
    party: dict[str, Any] = {
        "id": f"CN-USCC-{code}",
        "name": name,
        "identifier": {"scheme": "CN-USCC", "id": code, "legalName": name},
        "address": {
            "streetAddress": f"{rng.choice(WORDS)}{rng.choice(WORDS)}路{rng.randint(1, 999)}号",
            "locality": "杭州市" if region.startswith("33") else "某市",
            "region": region,
            "postalCode": f"{rng.randint(100000, 899999)}",
            "countryName": "中国",
        },
        "roles": [role],
    }
    if contacts:
        party["contactPoint"] = {
            "name": rng.choice(SURNAMES) + "经理",
            "telephone": f"0571-8{rng.randint(1000000, 9999999)}",
            "email": f"{pid.lower()}@example.cn",
        }
    return party


def generate(path: Path, processes: int, bids_per_process: int, seed: int = 1) -> dict[str, int]:
    """Write ``processes`` compiled releases, one per line, gzip-compressed; return their counts."""
    import orjson

    rng = random.Random(seed)
    n_buyers = max(2, min(2_000, processes // 50))
    n_firms = max(20, min(20_000, processes // 5))
    buyers = [
        _party(rng, f"B{i}", f"{rng.choice(('某市', '某县', '某区'))}{rng.choice(TRADES)}局{i}", "buyer", True)
        for i in range(n_buyers)
    ]
    firms = [
        _party(
            rng,
            f"F{i}",
            f"{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司{i}",
            "tenderer",
            rng.random() < 0.3,
        )
        for i in range(n_firms)
    ]
    market = max(30, n_firms // 50)
    counts = {"processes": processes, "bids": 0, "lots": 0, "awards": 0, "buyers": n_buyers, "firms": n_firms}
    base_day = 19_000  # days since the epoch: 2022-01-08
    with gzip.open(path, "wb", compresslevel=3) as out:
        for i in range(processes):
            ocid = f"ocds-bench01-{i:07d}"
            b = rng.randrange(n_buyers)
            buyer = buyers[b]
            start_day = base_day + rng.randrange(3 * 365)
            start = f"{_iso_day(start_day)}T09:00:00+08:00"
            length = rng.choice((5, 12, 16, 20, 20, 21, 25, 30, 30, 35, 45, 60))
            end_day = start_day + length
            end = f"{_iso_day(end_day)}T17:00:00+08:00"
            method = rng.choices(("open", "selective", "limited"), weights=(70, 15, 15))[0]
            status = rng.choices(("complete", "active", "cancelled", "unsuccessful"), weights=(85, 7, 5, 3))[0]
            budget = round(10 ** rng.uniform(4.5, 7.5), -2)
            n_lots = rng.choice((2, 2, 3)) if rng.random() < 0.10 else 1
            lots = [f"L{k + 1}" for k in range(n_lots)] if n_lots > 1 else [None]
            cls = rng.choice(CLASSES)
            n_bids = max(1, min(2 * bids_per_process - 1, round(rng.gauss(bids_per_process, bids_per_process / 3))))
            # bidders from the buyer's market, distinct
            offset = (b * 37) % n_firms
            chosen = {(offset + rng.randrange(market * 3)) % n_firms for _ in range(n_bids)}
            while len(chosen) < n_bids:
                chosen.add(rng.randrange(n_firms))
            bidders = sorted(chosen)
            tender: dict[str, Any] = {
                "id": f"{ocid}-tender",
                "title": f"{buyer['name']}{cls}类采购项目{i}",
                "status": status,
                "procurementMethod": method,
                "procurementMethodDetails": {"open": "公开招标", "selective": "邀请招标", "limited": "竞争性谈判"}[
                    method
                ],
                "value": {"amount": budget, "currency": "CNY"},
                "tenderPeriod": {"startDate": start, "endDate": end},
                "datePublished": start,
                "procuringEntity": {"id": buyer["id"], "name": buyer["name"]},
            }
            items = []
            for k, lot in enumerate(lots):
                item: dict[str, Any] = {
                    "id": str(k + 1),
                    "description": f"{cls}类货物",
                    "classification": {"scheme": "CPV", "id": f"{cls}{rng.randint(100000, 999999)}"},
                }
                if lot:
                    item["relatedLot"] = lot
                items.append(item)
            tender["items"] = items
            if n_lots > 1:
                share = round(budget / n_lots, 2)
                tender["lots"] = [
                    {
                        "id": lot,
                        "title": f"第{k + 1}包",
                        "status": status,
                        "value": {"amount": share, "currency": "CNY"},
                    }
                    for k, lot in enumerate(lots)
                ]
                counts["lots"] += n_lots
            details = []
            valid_of: dict[str | None, list[tuple[float, int]]] = {lot: [] for lot in lots}
            lot_budget = budget / n_lots
            for j, f in enumerate(bidders):
                lot = lots[j % n_lots]
                amount = round(lot_budget * rng.uniform(0.78, 1.06), 2)
                bid_status = "disqualified" if rng.random() < 0.08 else "valid"
                if status != "cancelled" and rng.random() < 0.002:
                    bid_status = "withdrawn"
                day = start_day + rng.randrange(max(1, length)) + (1 if rng.random() < 0.01 else 0)
                bid: dict[str, Any] = {
                    "id": f"{ocid}-bid-{j + 1}",
                    "date": f"{_iso_day(day)}T{rng.randint(8, 16):02d}:{rng.randint(0, 59):02d}:00+08:00",
                    "status": bid_status,
                    "value": {"amount": amount, "currency": "CNY"},
                    "tenderers": [{"id": firms[f]["id"], "name": firms[f]["name"]}],
                }
                if lot:
                    bid["relatedLots"] = [lot]
                details.append(bid)
                if bid_status == "valid":
                    valid_of[lot].append((amount, f))
            counts["bids"] += len(details)
            awards = []
            winners: set[int] = set()
            if status in ("complete", "active"):
                for k, lot in enumerate(lots):
                    valid = sorted(valid_of[lot])
                    if not valid:
                        continue
                    amount, f = valid[0] if rng.random() < 0.8 else rng.choice(valid)
                    winners.add(f)
                    award: dict[str, Any] = {
                        "id": f"{ocid}-award-{k + 1}",
                        "status": "active",
                        "date": f"{_iso_day(end_day + rng.randint(3, 20))}T10:00:00+08:00",
                        "value": {"amount": amount, "currency": "CNY"},
                        "suppliers": [{"id": firms[f]["id"], "name": firms[f]["name"]}],
                    }
                    if lot:
                        award["relatedLots"] = [lot]
                    awards.append(award)
            counts["awards"] += len(awards)
            parties = [buyer]
            for f in bidders:
                party = firms[f]
                if f in winners:
                    party = {**party, "roles": ["tenderer", "supplier"]}
                parties.append(party)
            release: dict[str, Any] = {
                "ocid": ocid,
                "id": f"{ocid}-compiled",
                "date": f"{_iso_day(end_day + 25)}T00:00:00+08:00",
                "tag": ["compiled"],
                "initiationType": "tender",
                "language": "zh",
                "buyer": {"id": buyer["id"], "name": buyer["name"]},
                "parties": parties,
                "tender": tender,
                "bids": {"details": details},
            }
            if awards:
                release["awards"] = awards
            out.write(orjson.dumps(release))
            out.write(b"\n")
    return counts


def _iso_day(days: int) -> str:
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=days)).isoformat()


# ------------------------------------------------------------------------------------------------- measure


def flags_only(backend: Any) -> tuple[dict[str, float], Any]:
    """The graph read, ``procurement_frames`` and ``compute_flags`` alone (no detections built)."""
    from analytics import GraphView
    from analytics.cardinal import compute_flags
    from analytics.red_flags import procurement_frames

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    view = GraphView(backend)
    view.tenders  # noqa: B018
    view.bids  # noqa: B018
    seconds["graph_read"] = time.perf_counter() - started
    started = time.perf_counter()
    tenders, bids = procurement_frames(view)
    seconds["procurement_frames"] = time.perf_counter() - started
    started = time.perf_counter()
    found = compute_flags(tenders, bids)
    seconds["compute_flags"] = time.perf_counter() - started
    seconds["detections"] = float("nan")
    seconds["total"] = seconds["graph_read"] + seconds["procurement_frames"] + seconds["compute_flags"]
    counts = found.flags["indicator"].value_counts().sort_index()
    return seconds, {"flags_by_indicator": {k: int(v) for k, v in counts.items()}, "flags": len(found.flags)}


def red_flags(backend: Any) -> tuple[dict[str, float], Any]:
    """Run the red-flags detector as ``liandong analyze`` does, with its stages timed."""
    import analytics.cardinal as cardinal
    import analytics.red_flags as red_flags_module
    from analytics import GraphView
    from analytics.registry import run_detectors

    seconds: dict[str, float] = {"graph_read": 0.0, "procurement_frames": 0.0, "compute_flags": 0.0}
    frames, compute = red_flags_module.procurement_frames, cardinal.compute_flags

    def timed_frames(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return frames(*args, **kwargs)
        finally:
            seconds["procurement_frames"] += time.perf_counter() - started

    def timed_compute(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return compute(*args, **kwargs)
        finally:
            seconds["compute_flags"] += time.perf_counter() - started

    started = time.perf_counter()
    view = GraphView(backend)
    view.tenders  # noqa: B018 - the graph read, timed apart from the pandas work on it
    view.bids  # noqa: B018
    seconds["graph_read"] = time.perf_counter() - started
    red_flags_module.procurement_frames = timed_frames  # type: ignore[assignment]
    cardinal.compute_flags = timed_compute  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        result = run_detectors(view, ["red-flags"])["red-flags"]
        detector = time.perf_counter() - started
    finally:
        red_flags_module.procurement_frames = frames  # type: ignore[assignment]
        cardinal.compute_flags = compute  # type: ignore[assignment]
    seconds["detections"] = detector - seconds["procurement_frames"] - seconds["compute_flags"]
    seconds["total"] = seconds["graph_read"] + detector
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=100_000, help="contracting processes (default 100,000)")
    parser.add_argument("--bids-per-process", type=int, default=10, help="mean bids per process (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the generated file and the workspace go (default: a temporary folder); "
        "a generated file of the same size and seed there is reused",
    )
    parser.add_argument("--keep", action="store_true", help="keep the workdir (else it is removed)")
    parser.add_argument("--profile", action="store_true", help="cProfile ingest and red flags; print the top")
    parser.add_argument(
        "--no-detections",
        action="store_true",
        help="stop after compute_flags (graph read, procurement_frames, compute_flags); no detections built",
    )
    args = parser.parse_args()

    from graphmodel import EmbeddedBackend
    from ingest.load import Ingester

    work = args.workdir or Path(tempfile.mkdtemp(prefix="liandong-redflags-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"processes": args.processes, "bids_per_process": args.bids_per_process}
    data = work / f"ocds_{args.processes}_{args.bids_per_process}_s{args.seed}.jsonl.gz"
    counts_file = data.with_suffix(".counts.json")
    try:
        started = time.perf_counter()
        if data.exists() and counts_file.exists():
            counts = json.loads(counts_file.read_text())
            print(f"generate: reused {data}", flush=True)
        else:
            counts = generate(data, args.processes, args.bids_per_process, args.seed)
            counts_file.write_text(json.dumps(counts))
        figures["generate_seconds"] = round(time.perf_counter() - started, 1)
        figures["generated"] = counts
        size = data.stat().st_size / 2**20
        print(
            f"generate: {figures['generate_seconds']} s (not counted), {counts['processes']:,} processes, "
            f"{counts['bids']:,} bids, {counts['lots']:,} lots, {counts['awards']:,} awards, "
            f"{counts['buyers']:,} buyers, {counts['firms']:,} firms; {size:.1f} MB gzip",
            flush=True,
        )

        ws = work / "ws"
        if ws.exists():
            shutil.rmtree(ws)
        shutil.rmtree(work / "quarantine", ignore_errors=True)
        backend = EmbeddedBackend(ws)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        report = Ingester(backend, work / "quarantine").ingest([data])
        ingest_s = time.perf_counter() - started
        if profiler:
            profiler.disable()
            print("-- ingest profile (this process; a forked mapping worker is not in it)")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        rows = sum(f.rows_read for f in report.files)
        stages = {k: round(sum(f.seconds.get(k, 0.0) for f in report.files), 1) for k in ("read", "map", "write")}
        # The rest: recognising the file (which reads and parses it once more), links, the quality table.
        stages["other"] = round(ingest_s - sum(stages.values()), 1)
        statuses = [f.status for f in report.files]
        figures["ingest"] = {
            "seconds": round(ingest_s, 1),
            "rows": rows,
            "bids_per_s": round(counts["bids"] / ingest_s),
            "stages_seconds": stages,
            "quarantined": report.rows_quarantined,
            "status": statuses,
            "peak_rss_mb": peak_mb(),
        }
        print(
            f"ingest: {ingest_s:.1f} s, {rows:,} processes ({counts['bids'] / ingest_s:,.0f} bids/s), stages {stages}, "
            f"quarantined {report.rows_quarantined:,}, files {statuses}, peak RSS (self, children) {peak_mb()} MB",
            flush=True,
        )

        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        if args.no_detections:
            seconds, stats = flags_only(backend)
            by_kind: dict[str, int] = {"flags (no detections built)": stats["flags"]}
        else:
            seconds, result = red_flags(backend)
            stats = result.stats
            by_kind = {}
            for d in result.detections:
                by_kind[d.kind] = by_kind.get(d.kind, 0) + 1
        if profiler:
            profiler.disable()
            print("-- red-flags profile")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        figures["red_flags"] = {
            **{k: None if v != v else round(v, 2) for k, v in seconds.items()},
            "bids_per_s": round(counts["bids"] / seconds["total"]),
            "detections": by_kind,
            "flags_by_indicator": stats.get("flags_by_indicator"),
            "peak_rss_mb": peak_mb(),
        }
        print(
            f"red flags: {seconds['total']:.1f} s ({counts['bids'] / seconds['total']:,.0f} bids/s) = graph read "
            f"{seconds['graph_read']:.1f} + procurement_frames {seconds['procurement_frames']:.1f} + compute_flags "
            f"{seconds['compute_flags']:.1f} + detections {seconds['detections']:.1f}; {by_kind}, "
            f"flags {stats.get('flags_by_indicator')}; peak RSS {peak_mb()} MB",
            flush=True,
        )
        total = ingest_s + seconds["total"]
        figures["total_seconds"] = round(total, 1)
        verdict = "within" if total <= AIM_SECONDS else "over"
        scale = 1_000_000 / max(1, counts["bids"])
        print(
            f"total ingest + red flags: {total:.1f} s for {counts['bids']:,} bids in {counts['processes']:,} "
            f"processes — {verdict} the {AIM_SECONDS:.0f} s aim (set for 1,000,000 bids"
            + (f"; {total * scale:,.0f} s there if time grew only linearly)" if scale > 1.01 else ")")
            + (" — detections not built" if args.no_detections else ""),
            flush=True,
        )
        backend.close()
        out = Path(__file__).parent / "results" / f"red_flags_{args.processes}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

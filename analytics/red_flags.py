"""Procurement red flags (招投标风险信号): Cardinal's indicators on the graph, and the buyers they gather at.

The indicators are Open Contracting Partnership's Cardinal ones (see :mod:`analytics.cardinal` for each
definition, its defaults and its outlier fences): short submission period (R003), single bid (R018), price
close to the winning bid (R024), excessive unsuccessful bids (R025), identical bid prices (R028), late bid
won (R030), all bids but the winner's disqualified (R035), lowest bid disqualified (R036), excessive
disqualified bids (R038), heterogeneous supplier (R048) and heavily discounted bid (R058). They run on every
tender the graph holds, from OCDS or from a bid table loaded with ``--columns``, wherever the fields an
indicator needs exist; ``stats["coverage"]`` says, per indicator, how many processes had them.

What Cardinal cannot say, this detector adds from the graph:

* each flag names the tender, its buyer and the firms by name, with the values that tripped it;
* **buyer patterns**: a buyer whose processes carry one indicator far more often than the processes of all
  buyers do (a one-sided binomial test of its count against the indicator's overall rate, Benjamini-Hochberg
  over every buyer and indicator tested, kept at ``alpha``), with the cadres serving there when its flagged
  tenders were announced — "3 of 5 tenders had a single bid, and who was in charge".

Detections: ``kind`` ``process-flag`` (one per indicator and process; the firms it names in ``where``),
``party-flag`` (R025, R038, R048: one per indicator and firm or buyer) and ``buyer-pattern``. ``details`` of
every flag carry ``indicator`` (the R-code), ``ocid`` and the values that tripped it.

As of a day, the detector sees the tenders announced by then, the bids submitted by then, and awards made
by then; a tender's lots share their process's ocid (a bid table's tender is a process of its own).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .base import Detection, DetectorError, DetectorResult, Evidence, InputsAbsent, iso, judged_day
from .graphview import GraphView
from .terms import date_text, money, number, say, term

__all__ = [
    *("detect_red_flags", "procurement_frames", "buyer_tests", "read_settings", "shared_flags", "write_flags"),
    "FLAG_SOURCE",
]

NAME = "red-flags"
#: The provenance source under which ``liandong analyze`` writes the flags into the graph (``:all`` or
#: ``:<scope>`` appended).
FLAG_SOURCE = "analysis:red-flags"
#: The schema's Tender.method back to OCDS procurementMethod, for tenders that did not come from OCDS.
_OCDS_METHOD = {
    "open": "open",
    "invited": "selective",
    "competitive_negotiation": "limited",
    "inquiry": "limited",
    "single_source": "direct",
}


def shared_flags(view: GraphView, as_of: Any = None) -> DetectorResult | None:
    """The red-flags result other detectors read (bid-rings, targets), computed once per view and day and
    shared with ``analyze``'s own run of it; None when the graph holds no tenders."""
    day = judged_day(as_of)
    params = {} if day is None else {"as_of": day.date().isoformat()}
    try:
        return view.memo(NAME, params, lambda: detect_red_flags(view, **params))
    except DetectorError:
        return None


def read_settings(path: str | Any) -> dict[str, Any]:
    """Cardinal's settings from a YAML file, or from Cardinal's own INI file (top-level keys, ``[R003]``
    sections, ``[exclusions]``); numbers in an INI file are read as numbers. The values are checked when the
    detector runs (an unknown indicator or key is refused by name)."""
    import configparser
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8-sig")
    if p.suffix.lower() in (".ini", ".cfg", ".conf"):
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string("[__top__]\n" + text)
        except configparser.Error as exc:
            raise DetectorError(f"{p.name} is not a valid settings file: {exc}") from None
        out: dict[str, Any] = {k: _ini_value(v) for k, v in parser["__top__"].items()}
        for section in parser.sections():
            # Cardinal's prepare-step sections (codelists, defaults, corrections …) belong to ingest here
            # (--codelists); they are not the indicators' settings.
            if section.split(".")[0] in _PREPARE_SECTIONS:
                continue
            if section != "__top__":
                out[section] = {k: _ini_value(v) for k, v in parser[section].items()}
        return out
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DetectorError(f"{p.name} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DetectorError(f"{p.name} must map settings to values, e.g. R003: {{threshold: 10}}")
    return data


_PREPARE_SECTIONS = ("codelists", "defaults", "redactions", "corrections", "modifications")


def _ini_value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def procurement_frames(
    view: GraphView, as_of: Any = None, assume_valid: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tenders and bids of the view as :func:`analytics.cardinal.compute_flags` reads them.

    Parameters
    ----------
    view : GraphView
    as_of : date, optional
        Leave out tenders announced, bids submitted and awards made after it.
    assume_valid : bool
        Bids whose source gave no status (a bid table without a status column) count as valid; by default
        they count as submitted bids of unknown validity, so indicators that need valid bids skip them.
    """
    day = judged_day(as_of)
    t = view.tenders.copy()
    b = view.bids.copy()
    if day is not None:
        start = pd.to_datetime(t["announced"], errors="coerce").fillna(
            pd.to_datetime(t["period_start"], errors="coerce")
        )
        t = t[start.isna() | (start <= day)]
        b = b[b["tender"].isin(t["tender"])]
        b = b[b["submitted"].isna() | (b["submitted"] <= day + pd.Timedelta(days=1))]
        # (a dict, not a Series: pandas cannot map through an empty Series of dates)
        awarded = pd.to_datetime(b["tender"].map(dict(zip(t["tender"], t["awarded"], strict=True))), errors="coerce")
        b = b.assign(won=b["won"] & ~(awarded > day))
    process = t["ocid"].where(t["ocid"].notna(), t["tender"])
    method = t["procurement_method"].where(t["procurement_method"].notna(), t["method"].map(_OCDS_METHOD))
    tenders = pd.DataFrame(
        {
            "process": process.astype(object),
            "tender": t["tender"],
            "lot": t["lot"].where(t["lot"].notna(), None),
            "buyer": t["buyer"].where(t["buyer"].notna(), None),
            "procuring_entity": None,
            "status": t["status"].where(t["status"].notna(), None),
            "method": method.where(method.notna(), None),
            "method_details": t["method_details"].where(t["method_details"].notna(), None),
            "currency": t["currency"].where(t["currency"].notna(), None),
            "value": pd.to_numeric(t["budget"], errors="coerce"),
            "period_start": pd.to_datetime(t["period_start"]),
            "period_end": pd.to_datetime(t["period_end"]),
            "classifications": [tuple(c) if isinstance(c, list | tuple) else () for c in t["classifications"]],
        }
    ).reset_index(drop=True)
    of_process = dict(zip(tenders["tender"], tenders["process"], strict=True))
    of_lot = dict(zip(tenders["tender"], tenders["lot"], strict=True))
    is_bid = b["amount"].notna() | b["bid_id"].notna() | b["submitted"].notna() | ~b["won"]
    status = b["status"].where(b["status"].notna(), None)
    unknown = "valid" if assume_valid else "unknown"
    status = status.where(~(status.isna() & is_bid), unknown)
    bids = pd.DataFrame(
        {
            "process": b["tender"].map(of_process),
            "tender": b["tender"],
            "lot": b["tender"].map(of_lot),
            "company": b["company"],
            "bid": b["bid_id"].where(b["bid_id"].notna(), None),
            "amount": b["amount"].astype(float),
            # the bid's currency, else its tender's, else ISO 4217's "XXX" (none given): a bid table without
            # currencies is one currency, not none
            "currency": b["currency"]
            .fillna(b["tender"].map(dict(zip(tenders["tender"], tenders["currency"], strict=True))))
            .fillna("XXX"),
            "status": status.where(status.notna(), None),
            "date": pd.to_datetime(b["submitted"]),
            "won": b["won"].astype(bool),
            "award_amount": b["award_amount"].astype(float),
        }
    ).reset_index(drop=True)
    return tenders, bids


def detect_red_flags(
    view: GraphView,
    *,
    as_of: dt.date | str | None = None,
    settings: Mapping[str, Any] | None = None,
    assume_valid: bool = False,
    alpha: float = 0.05,
    min_buyer_processes: int = 3,
) -> DetectorResult:
    """Raise Cardinal's red flags on every tender of the graph, and find the buyers they gather at.

    Parameters
    ----------
    view : GraphView
    as_of : date or ISO text, optional
        Judge on this day: nothing announced, submitted or awarded after it is seen.
    settings : mapping, optional
        Cardinal's settings (thresholds, procurement-method filters, currency …; see
        :func:`analytics.cardinal.compute_flags`), e.g. ``{"R003": {"threshold": 10}}``.
    assume_valid : bool
        Count bids with no status (bid tables without one) as valid bids (default: of unknown validity).
    alpha : float
        False discovery rate over the buyer patterns tested.
    min_buyer_processes : int
        A buyer is tested for an indicator only with at least this many processes.

    Returns
    -------
    DetectorResult
        Process flags, party flags and buyer patterns; ``stats`` holds ``coverage`` (per indicator: processes,
        usable, flagged, needs) and ``meta`` (quartiles and fences).
    """
    from . import cardinal

    if not 0 < alpha < 1:
        raise DetectorError("alpha is a false discovery rate between 0 and 1, e.g. 0.05")
    tenders, bids = procurement_frames(view, as_of, assume_valid)
    if tenders.empty:
        raise InputsAbsent(term("redflags.no_tenders"))
    try:
        found = cardinal.compute_flags(tenders, bids, settings)
    except ValueError as exc:
        raise DetectorError(str(exc)) from exc
    flags = found.flags
    process_rows = flags[flags["level"] == "process"]
    firm_rows = flags[(flags["level"] == "tenderer") & flags["process"].notna()]
    # Everything the flagged processes' detections read, grouped once (a province has 10^5 processes).
    flagged = set(process_rows["process"].astype(str))
    lots = tenders[tenders["process"].isin(flagged)]
    lots_of: dict[str, list[Any]] = {}
    for t in lots.itertuples(index=False):
        lots_of.setdefault(t.process, []).append(t)
    placed = bids[bids["process"].isin(flagged)].sort_values(["process", "amount"], na_position="last")
    bidders_of: dict[str, set[str]] = {}
    bids_of: dict[str, list[Any]] = {}
    for b in placed.itertuples(index=False):
        bidders_of.setdefault(b.process, set()).add(b.company)
        if b.status is not None and len(bids_of.setdefault(b.process, [])) < 12:
            bids_of[b.process].append(b)
    named_by: dict[tuple[str, str], set[str]] = {}
    for f in firm_rows.itertuples(index=False):
        named_by.setdefault((f.indicator, str(f.process)), set()).add(f.subject)
    detections: list[Detection] = []

    def process_name(row: Any) -> str:
        title = view.name_of("Tender", row.tender)
        buyer = view.name_of("Organisation", row.buyer) if isinstance(row.buyer, str) else ""
        return say("redflags.process", title=title, buyer=buyer) if buyer else title

    for r in process_rows.itertuples(index=False):
        p = str(r.process)
        companies = tuple(sorted(named_by.get((r.indicator, p), ())))
        mine = lots_of.get(p, [])
        row = mine[0]
        details = _details(r.indicator, p, r.value, r.threshold, r.details)
        detections.append(
            Detection(
                detector=NAME,
                kind="process-flag",
                subject=f"{r.indicator}:{p}",
                score=1.0,
                summary=say(
                    "redflags.summary",
                    indicator=_title(r.indicator),
                    process=process_name(row),
                    why=_why(r.indicator, r.value, r.threshold, r.details),
                ),
                where={
                    "tenders": tuple(t.tender for t in mine),
                    "organisations": (row.buyer,) if isinstance(row.buyer, str) else (),
                    # a single bid names its one bidder; other flags the firms the indicator names
                    "companies": (companies or tuple(sorted(bidders_of.get(p, ()))))
                    if r.indicator == "R018"
                    else companies,
                },
                evidence=_evidence(view, mine, bids_of.get(p, []), companies),
                details=details,
            )
        )
    for r in flags[(flags["level"] != "process") & flags["process"].isna()].itertuples(index=False):
        label = "Company" if r.level == "tenderer" else "Organisation"
        who = view.name_of(label, r.subject) or term("word.unknown")
        detections.append(
            Detection(
                detector=NAME,
                kind="party-flag",
                subject=f"{r.indicator}:{r.level}:{r.subject}",
                score=1.0,
                summary=say(
                    "redflags.party",
                    indicator=_title(r.indicator),
                    who=who,
                    why=_why(r.indicator, r.value, r.threshold, r.details),
                ),
                where={"companies" if label == "Company" else "organisations": (r.subject,)},
                evidence=(
                    Evidence(
                        term("role.screen"),
                        "Screen",
                        f"{r.indicator}:{r.subject}",
                        _why(r.indicator, r.value, r.threshold, r.details),
                    ),
                ),
                details={
                    **_details(r.indicator, None, r.value, r.threshold, r.details),
                    "level": r.level,
                    "party": r.subject,
                },
            )
        )
    patterns = _buyer_patterns(view, tenders, process_rows, alpha, min_buyer_processes)
    detections.extend(patterns)
    coverage = found.coverage.to_dict("records")
    return DetectorResult(
        NAME,
        detections,
        params={
            "as_of": iso(as_of),
            "settings": dict(settings or {}),
            "assume_valid": assume_valid,
            "alpha": alpha,
            "min_buyer_processes": min_buyer_processes,
        },
        stats={
            "processes": int(tenders["process"].nunique()),
            "tenders": len(tenders),
            "bids": int((bids["status"].notna()).sum()),
            "coverage": coverage,
            "meta": found.meta,
            "flags_by_indicator": {k: int(v) for k, v in flags["indicator"].value_counts().sort_index().items()},
        },
    )


def _title(code: str) -> str:
    return say("redflags.title", name=term(f"redflags.indicator.{code}"), code=code)


#: Indicators whose value and fence are ratios: said as percentages.
_RATIOS = ("R024", "R025", "R038", "R058")


def _why(code: str, value: Any, threshold: Any, details: Any) -> str:
    d = details if isinstance(details, Mapping) else {}
    key = f"redflags.why.{code}"
    shown = _pct if code in _RATIOS else _num
    return say(
        key,
        value=shown(value),
        threshold=shown(threshold),
        **{k: _num(v) if isinstance(v, float) else v for k, v in d.items() if isinstance(v, str | int | float)},
    )


def _pct(x: Any) -> Any:
    if isinstance(x, int | float) and not (isinstance(x, float) and math.isnan(x)):
        return f"{float(x):.1%}"
    return "—"


def _num(x: Any) -> Any:
    if isinstance(x, float):
        if math.isnan(x):
            return "—"
        return number(round(x, 4))
    return x


def _details(code: str, ocid: str | None, value: Any, threshold: Any, details: Any) -> dict[str, Any]:
    extra = dict(details) if isinstance(details, Mapping) else {}
    return {
        "indicator": code,
        "ocid": ocid,
        "value": None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value),
        "threshold": None
        if threshold is None or (isinstance(threshold, float) and math.isnan(threshold))
        else float(threshold),
        **extra,
    }


def _evidence(view: GraphView, lots: list[Any], bids: list[Any], named: tuple[str, ...]) -> tuple[Evidence, ...]:
    """The process's tenders (lots) and its bids, lowest first (at most 12)."""
    out = []
    for t in lots:
        period = ""
        if pd.notna(t.period_start) and pd.notna(t.period_end):
            period = say("redflags.period", start=date_text(t.period_start), end=date_text(t.period_end))
        out.append(
            Evidence(
                term("role.tender"),
                "Tender",
                t.tender,
                say(
                    "redflags.tender",
                    title=view.name_of("Tender", t.tender),
                    budget=money(t.value) if pd.notna(t.value) else "—",
                    period=period,
                ),
                iso(t.period_start) if pd.notna(t.period_start) else None,
            )
        )
    for b in bids:
        out.append(
            Evidence(
                term("role.bid"),
                "Company",
                b.company,
                say(
                    "redflags.bid",
                    firm=view.name_of("Company", b.company),
                    amount=money(b.amount) if pd.notna(b.amount) else "—",
                    status=term(f"redflags.status.{b.status}", str(b.status)),
                    won=term("redflags.won") if b.won else "",
                    mark=term("redflags.named") if b.company in named else "",
                ),
                iso(b.date) if pd.notna(b.date) else None,
            )
        )
    return tuple(out)


def buyer_tests(
    buyers: pd.Series, flagged: Mapping[str, set[str]], minimum: int = 3
) -> list[tuple[str, str, int, int, float, float, float]]:
    """Test each buyer and indicator: is the buyer's count of flagged processes higher than the indicator's
    rate over all processes would give (one-sided binomial)? Benjamini-Hochberg over every (indicator,
    buyer) pair with at least ``minimum`` processes.

    Parameters
    ----------
    buyers : Series
        process -> buyer, one row per process that has a buyer.
    flagged : mapping
        indicator -> the processes it flagged.

    Returns
    -------
    list of (indicator, buyer, flagged, processes, overall rate, p, q)
        Every pair tested; a pair with fewer than two flagged processes keeps p = 1 (it is still counted in
        the correction, so the correction is not flattered by leaving the hopeless out).
    """
    from scipy.stats import binom

    total = len(buyers)
    if total == 0:
        return []
    n_per_buyer = buyers.value_counts()
    tests: list[tuple[str, str, int, int, float, float]] = []
    for code in sorted(flagged):
        hit = set(flagged[code]) & set(buyers.index)
        rate = len(hit) / total
        if rate <= 0 or rate >= 1:
            continue
        k_per_buyer = buyers[buyers.index.isin(hit)].value_counts()
        for buyer, n in n_per_buyer.items():
            if n < minimum:
                continue
            k = int(k_per_buyer.get(buyer, 0))
            p = float(binom.sf(k - 1, n, rate)) if k >= 2 else 1.0
            tests.append((code, str(buyer), k, int(n), rate, p))
    m = len(tests)
    order = sorted(range(m), key=lambda i: tests[i][5])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, tests[i][5] * m / rank)
        q[i] = running
    return [(*t, q[i]) for i, t in enumerate(tests)]


def _buyer_patterns(
    view: GraphView, tenders: pd.DataFrame, process_rows: pd.DataFrame, alpha: float, minimum: int
) -> list[Detection]:
    """Buyers whose processes carry an indicator more often than all processes do (see :func:`buyer_tests`)."""
    buyers = tenders.groupby("process")["buyer"].first().dropna()
    if buyers.empty or process_rows.empty:
        return []
    tests = buyer_tests(buyers, {c: set(r["process"]) for c, r in process_rows.groupby("indicator")}, minimum)
    flagged_processes = {code: set(rows["process"]) for code, rows in process_rows.groupby("indicator")}
    posts = view.posts
    announced = view.tenders.set_index("tender")["announced"]
    out = []
    for code, buyer, k, n, rate, p, q in tests:
        if q > alpha:
            continue
        mine = tenders[(tenders["buyer"] == buyer) & tenders["process"].isin(flagged_processes[code])]
        first_day = mine["period_start"].min()
        days = pd.to_datetime(mine["tender"].map(announced))
        start, end = days.min(), days.max()
        cadres = []
        if len(posts) and pd.notna(start):
            at = posts[posts["organisation"] == buyer]
            during = at[(at["start_date"] <= end) & (at["end_date"].isna() | (at["end_date"] >= start))]
            cadres = sorted(set(during["person"]))
        names = "、".join(
            say("redflags.cadre", name=view.name_of("Person", c), post=_post(posts, c, buyer)) for c in cadres[:6]
        )
        unit = view.name_of("Organisation", buyer)
        out.append(
            Detection(
                detector=NAME,
                kind="buyer-pattern",
                subject=f"{code}:buyer:{buyer}",
                score=round(-math.log10(max(q, 1e-300)), 3),
                summary=say(
                    "redflags.pattern",
                    unit=unit,
                    n=n,
                    k=k,
                    indicator=_title(code),
                    rate=f"{rate:.0%}",
                    cadres=say("redflags.cadres", names=names) if names else "",
                ),
                where={
                    "organisations": (buyer,),
                    "tenders": tuple(sorted(mine["tender"])),
                    "cadres": tuple(cadres),
                },
                evidence=tuple(
                    Evidence(
                        term("role.tender"),
                        "Tender",
                        t,
                        say("redflags.flagged_tender", title=view.name_of("Tender", t), indicator=_title(code)),
                        iso(announced.get(t)),
                    )
                    for t in sorted(mine["tender"])[:12]
                ),
                details={
                    "indicator": code,
                    "ocid": None,
                    "buyer": buyer,
                    "processes": n,
                    "flagged": k,
                    "overall_rate": round(rate, 4),
                    "p_value": p,
                    "q_value": q,
                    "first_period": iso(first_day) if pd.notna(first_day) else None,
                },
            )
        )
    return sorted(out, key=lambda d: -d.score)


def _post(posts: pd.DataFrame, person: str, unit: str) -> str:
    rows = posts[(posts["person"] == person) & (posts["organisation"] == unit)]
    return str(rows["post"].dropna().iloc[0]) if "post" in rows and rows["post"].notna().any() else ""


def write_flags(backend: Any, result: DetectorResult, scope: str | None = None) -> int:
    """Put a red-flags result into the graph: one ``RedFlag`` node per detection, ``FLAGS`` to the tenders,
    firms and buyers it names. The flags of the previous run over the same scope are replaced (retracted
    first), so the graph holds the latest run's. Returns the number of flags written."""
    from graphmodel import EdgeRecord, NodeRecord, NodeRef

    source = f"{FLAG_SOURCE}:{scope or 'all'}"
    if source in set(backend.sources()):
        backend.retract_source(source)
    records: list[Any] = []
    run = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    for d in result.detections:
        key = f"{d.subject}"
        props = {
            "indicator": d.details.get("indicator"),
            "kind": d.kind,
            "ocid": d.details.get("ocid"),
            "summary": d.summary,
            "value": d.details.get("value"),
            "threshold": d.details.get("threshold"),
            "as_of": result.params.get("as_of"),
            "computed": run,
        }
        records.append(NodeRecord("RedFlag", key, {k: v for k, v in props.items() if v is not None}))
        for role, label in (("tenders", "Tender"), ("companies", "Company"), ("organisations", "Organisation")):
            for target in d.where.get(role, ()):
                records.append(EdgeRecord("FLAGS", NodeRef("RedFlag", key), NodeRef(label, target)))
    if records:
        backend.write(records, source=source)
    return len(result.detections)

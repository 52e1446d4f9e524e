"""Red flags of Open Contracting Partnership's Cardinal (cardinal-rs), computed with pandas.

:func:`compute_flags` takes the procurement tables the graph side builds (one row per lot of a process,
one row per bid on a lot) and returns the red flags of eleven Cardinal indicators, with Cardinal's
definitions, defaults and outlier fences (cardinal-rs ``src/indicators/*.rs``, ``src/lib.rs`` and the
pages ``docs/cli/indicators/R/0NN.md``). What each indicator tests is in the docstring of its function
below; the choices this module had to make where the tables differ from OCDS releases are these.

Scope of all indicators (as Cardinal's ``indicators`` command)
    A process whose tender status is ``cancelled`` is left out of every indicator (Cardinal's
    ``is_cancelled_contracting_process``), and so is a process whose ``method_details`` is in the
    ``exclusions.procurement_method_details`` setting. A process with lots counts as cancelled when every
    one of its tender rows is. Beyond Cardinal, processes whose tender status is ``cancelled``,
    ``unsuccessful`` or ``withdrawn`` are left out of the price-based indicators R024, R028 and R058.

Bids
    The ``bids`` table has one row per (bid, lot). Rows that share a ``bid`` id within a process are one
    OCDS bid: its tenderers are the companies of those rows, and its status, amount, currency and date
    are the first non-null values of those rows. A row without a ``bid`` id but with a status is a bid of
    its own; a row without a status is an award supplier with no bid record and is not a bid. A bid is
    *submitted* when its status is set and is neither ``invited`` nor ``withdrawn`` (so ``pending``,
    ``valid``, ``disqualified`` and any other mapped status count, as in Cardinal's
    ``get_submitted_bids``); a bid is *valid* when its status is ``valid``.

Lots
    Cardinal reads no ``relatedLots``: it pools all bids of a process and all active awards of a
    process. This module does the same. Where Cardinal needs "exactly one active award with one supplier"
    (R024, R025, R058), a process qualifies when exactly one company won in it and its wins lie on one
    lot (or on the process as a whole): a process whose winner won on several lots is read as several
    awards and left out, as Cardinal leaves out several active awards. R030 and R003 read the tender
    period of the bid's own lot row (the same period on every row when the publisher has none per lot);
    R003 flags a process when its shortest lot period is short. R048 reads the classifications of the
    lots a company won, counting a lot only when one company won it (Cardinal's single-supplier award).

Awards
    ``won`` marks suppliers of active awards. The tables carry no pending awards, so Cardinal's
    exclusion of processes with an award that is not final (pending) cannot be applied; the tables are
    assumed to hold final awards only.

Currency
    Price comparisons (R024, R036, R058) use the ``currency`` setting, or else the first currency seen
    on a bid with an amount, in input order (Cardinal takes the first currency it observes); bids in
    another currency or with no currency are skipped. R028 compares (amount, currency) pairs as Cardinal
    does, whatever the currency.

Procurement methods
    ``price_comparison_procurement_methods`` (an allow list) and ``no_price_comparison_procurement_methods``
    (a deny list, ignored when the allow list is set) are matched against ``method_details``
    (``tender/procurementMethodDetails``), for R024, R028, R036 and R058. When the allow list is set, a
    process without ``method_details`` is left out. R003 and R018 filter on ``method``
    (``tender/procurementMethod``); a process without a method is left out only when a filter is set.

Fences
    Quartiles and percentiles are Cardinal's (the ``statrs`` crate): the R-8 (median-unbiased) sample
    quantile, ``h = (n + 1/3) p + 1/3``, the minimum when ``floor(h) <= 0``, the maximum when
    ``floor(h) >= n``, otherwise linear interpolation between the ``floor(h)``-th and next order statistic.
    Lower fence ``Q1 - 1.5 IQR``, upper fence ``Q3 + 1.5 IQR``; a ``threshold`` setting replaces the fence.
    ``meta`` holds the unrounded values (Cardinal prints them rounded to 4 decimals); ``None`` where a
    value could not be computed or is replaced by a threshold.

Outputs differ from Cardinal's in form only: Cardinal's value for some flags is always 1.0 or 0.0;
here ``value`` is the number that tripped the flag (days, count of tenderers, ratio...), and ``details``
carries Cardinal's own output as ``cardinal_value``. Tenderer-level rows of indicators that flag
tenderers of flagged processes (R024, R028, R030, R035, R058) name those processes in ``details``.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = ["INDICATORS", "CardinalResult", "compute_flags", "cardinal_quantile"]

INDICATORS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "R003": ("short submission period", "投标期过短", ("process",)),
    "R018": ("single bid", "单一投标", ("process",)),
    "R024": ("price close to the winning bid", "报价与中标价过于接近", ("process", "tenderer")),
    "R025": ("excessive unsuccessful bids", "未中标投标过多", ("tenderer",)),
    "R028": ("identical bid prices", "投标报价相同", ("process", "tenderer")),
    "R030": ("late bid won", "逾期投标中标", ("process", "tenderer")),
    "R035": ("all bids except the winner's disqualified", "除中标人外投标均被取消资格", ("process", "tenderer")),
    "R036": ("lowest bid disqualified", "最低报价被取消资格", ("process",)),
    "R038": ("excessive disqualified bids", "被取消资格投标过多", ("buyer", "procuring_entity", "tenderer")),
    "R048": ("heterogeneous supplier", "供应商经营范围异质", ("tenderer",)),
    "R058": ("heavily discounted bid", "中标价大幅低于次低价", ("process", "tenderer")),
}

NEEDS: dict[str, str] = {
    "R003": "tender period start and end dates",
    "R018": "submitted bids (bid status) and procurement method",
    "R024": "one winner, two or more valid single-tenderer bids with amounts in the main currency",
    "R025": "one winner and valid single-tenderer bids",
    "R028": "submitted bids with amounts and currencies",
    "R030": "tender period end date, valid bids with dates, winners",
    "R035": "bid statuses (valid, disqualified) and winners",
    "R036": "a winner and submitted bids with amounts in the main currency, one of them valid",
    "R038": "submitted bids with statuses, buyer or procuring entity",
    "R048": "winners and item classifications of the lots they won",
    "R058": "one winner, two or more valid single-tenderer bids with amounts in the main currency",
}

FLAG_COLUMNS = ["indicator", "level", "process", "subject", "value", "threshold", "details"]

_GLOBAL_KEYS = ("currency", "no_price_comparison_procurement_methods", "price_comparison_procurement_methods")
_EXCLUSION_KEYS = ("procurement_method_details",)
# Each indicator's settings: name -> (kind, default). Kinds: int, float, methods (pipe-separated), details.
_INDICATOR_KEYS: dict[str, dict[str, tuple[str, Any]]] = {
    "R003": {
        "threshold": ("int", 15),
        "procurement_methods": ("methods", ""),
        "procurement_method_details": ("details", {}),
    },
    "R018": {"procurement_methods": ("methods", "open|selective")},
    "R024": {"threshold": ("float", None)},
    "R025": {"percentile": ("int", 75), "threshold": ("float", None)},
    "R028": {},
    "R030": {},
    "R035": {"threshold": ("int", 1)},
    "R036": {},
    "R038": {
        "threshold": ("float", None),
        "minimum_submitted_bids": ("int", 2),
        "minimum_contracting_processes": ("int", 2),
    },
    "R048": {"digits": ("int", 2), "threshold": ("int", None), "minimum_contracting_processes": ("int", 20)},
    "R058": {"threshold": ("float", None)},
}

_NOT_SUBMITTED = {"invited", "withdrawn"}
_PRICE_EXCLUDED_STATUSES = {"cancelled", "unsuccessful", "withdrawn"}


@dataclass
class CardinalResult:
    """Flags, the quartiles and fences used (``meta``, like Cardinal's "Meta") and per-indicator coverage."""

    flags: pd.DataFrame
    meta: dict[str, dict[str, float | None]] = field(default_factory=dict)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)


# --------------------------------------------------------------------------------------------- statistics


def cardinal_quantile(values: Iterable[float], tau: float) -> float:
    """The tau-th sample quantile as Cardinal computes it (statrs: R-8, median-unbiased); NaN if empty."""
    data = sorted(float(v) for v in values)
    n = len(data)
    if n == 0 or not 0.0 <= tau <= 1.0:
        return math.nan
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    hf = int(h)
    if hf <= 0 or tau == 0.0:
        return data[0]
    if hf >= n or tau == 1.0:
        return data[-1]
    low, high = data[hf - 1], data[hf]
    return low + (h - hf) * (high - low)


def _quartiles(values: list[float]) -> tuple[float, float]:
    return cardinal_quantile(values, 0.25), cardinal_quantile(values, 0.75)


def _clean(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


# ----------------------------------------------------------------------------------------------- settings


def _methods(value: Any, key: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(part for part in value.split("|") if part)
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ValueError(f"setting {key!r} must be a pipe-separated string or a list of strings, not {value!r}")


def _resolve_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate the settings and fill in Cardinal's defaults; unknown names raise ValueError."""
    settings = dict(settings or {})
    allowed_top = [*_GLOBAL_KEYS, "exclusions", *_INDICATOR_KEYS]
    for key in settings:
        if key not in allowed_top:
            raise ValueError(f"unknown Cardinal setting {key!r}; allowed: {', '.join(allowed_top)}")
    currency = settings.get("currency")
    if currency is not None and not isinstance(currency, str):
        raise ValueError(f"setting 'currency' must be a string, not {currency!r}")
    resolved: dict[str, Any] = {
        "currency": currency,
        "price": _methods(settings.get("price_comparison_procurement_methods"), "price_comparison_procurement_methods"),
        "no_price": _methods(
            settings.get("no_price_comparison_procurement_methods"), "no_price_comparison_procurement_methods"
        ),
    }
    exclusions = settings.get("exclusions") or {}
    if not isinstance(exclusions, Mapping):
        raise ValueError(f"setting 'exclusions' must be a mapping, not {exclusions!r}")
    for key in exclusions:
        if key not in _EXCLUSION_KEYS:
            raise ValueError(f"unknown setting 'exclusions.{key}'; allowed: {', '.join(_EXCLUSION_KEYS)}")
    resolved["exclude_details"] = _methods(
        exclusions.get("procurement_method_details"), "exclusions.procurement_method_details"
    )
    for code, keys in _INDICATOR_KEYS.items():
        section = settings.get(code) or {}
        if not isinstance(section, Mapping):
            raise ValueError(f"setting {code!r} must be a mapping of its options, not {section!r}")
        for key in section:
            if key not in keys:
                allowed = ", ".join(keys) or "none"
                raise ValueError(f"unknown setting {code}.{key!r}; allowed for {code}: {allowed}")
        values: dict[str, Any] = {}
        for key, (kind, default) in keys.items():
            value = section.get(key)
            name = f"{code}.{key}"
            if value is None:
                value = default
                if kind == "methods":
                    value = _methods(default, name)
            elif kind == "int":
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                    raise ValueError(f"setting {name!r} must be an integer, not {value!r}")
                value = int(value)
            elif kind == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                    raise ValueError(f"setting {name!r} must be a number, not {value!r}")
                value = float(value)
            elif kind == "methods":
                value = _methods(value, name)
            elif kind == "details":
                if not isinstance(value, Mapping) or not all(
                    isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in value.items()
                ):
                    raise ValueError(f"setting {name!r} must map procurement method details to whole days")
                value = dict(value)
            values[key] = value
        resolved[code] = values
    return resolved


# ------------------------------------------------------------------------------------------- preparation


def _first(series: pd.Series) -> Any:
    values = series.dropna()
    return values.iloc[0] if len(values) else None


def _str_or_none(x: Any) -> str | None:
    if type(x) is str:
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT:
        return None
    return str(x)


def _ns(values: pd.Series) -> list[int | None]:
    """Date-times as integer nanoseconds (UTC for zone-aware ones), None where missing."""
    s = pd.to_datetime(values)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(None)
    arr = s.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(arr)
    return [None if m else int(v) for v, m in zip(arr.view("i8").tolist(), missing.tolist(), strict=True)]


_DAY_NS = 86_400 * 10**9


class _Bid(NamedTuple):
    """One OCDS bid, as plain values (amount NaN when missing; dates in nanoseconds or None)."""

    tenderers: frozenset[str]
    status: Any
    amount: float
    currency: Any
    date: int | None
    period_end: int | None


@dataclass
class _Data:
    processes: list[str]
    proc: pd.DataFrame  # index process: tender, buyer, procuring_entity, method, method_details, cancelled, price_out
    lots: pd.DataFrame  # the tender rows, with duration
    bids: pd.DataFrame  # one row per OCDS bid: process, key, tenderers, status, amount, currency, date, period_end
    rows: pd.DataFrame  # bid rows (all, incl. award-only)
    winners: dict[str, frozenset[str]]
    single_winner: dict[str, str]  # process -> the one winner whose wins lie on one lot
    currency: str | None
    # The same, as plain Python values for the per-process loops (pandas' groupby costs ~50 µs a group).
    by_process: dict[str, list[_Bid]] = field(default_factory=dict)  # the OCDS bids of each process, in order
    info: dict[str, dict[str, Any]] = field(default_factory=dict)  # proc's columns: name -> {process: value}


def _prepare(tenders: pd.DataFrame, bids: pd.DataFrame, cfg: Mapping[str, Any]) -> _Data:
    t = tenders.copy()
    for column in (
        "process",
        "tender",
        "lot",
        "buyer",
        "procuring_entity",
        "status",
        "method",
        "method_details",
        "currency",
    ):
        if column not in t.columns:
            t[column] = None
    for column in ("period_start", "period_end"):
        if column not in t.columns:
            t[column] = pd.NaT
        t[column] = pd.to_datetime(t[column])
    if "value" not in t.columns:
        t["value"] = np.nan
    if "classifications" not in t.columns:
        t["classifications"] = [() for _ in range(len(t))]
    t["_lot_order"] = t["lot"].map(lambda x: "" if _str_or_none(x) is None else "\x01" + str(x))
    t = t.sort_values(["process", "_lot_order", "tender"], kind="stable").reset_index(drop=True)

    b = bids.copy()
    for column in ("process", "tender", "company", "lot", "bid", "status", "currency"):
        if column not in b.columns:
            b[column] = None
    if "amount" not in b.columns:
        b["amount"] = np.nan
    if "date" not in b.columns:
        b["date"] = pd.NaT
    if "won" not in b.columns:
        b["won"] = False
    b["date"] = pd.to_datetime(b["date"])
    b["won"] = b["won"].fillna(False).astype(bool)
    b["amount"] = pd.to_numeric(b["amount"], errors="coerce")
    b["_row"] = np.arange(len(b))

    processes = sorted(set(t["process"].dropna().astype(str)) | set(b["process"].dropna().astype(str)))

    grouped = t.groupby("process", sort=True)
    # GroupBy.first is the first non-null value of each group, as _first.
    proc = pd.DataFrame(
        {
            "tender": grouped["tender"].first(),
            "buyer": grouped["buyer"].first(),
            "procuring_entity": grouped["procuring_entity"].first(),
            "method": grouped["method"].first(),
            "method_details": grouped["method_details"].first(),
        }
    )
    # The set of a process's tender statuses is {cancelled}; is non-empty and within the price exclusions.
    status = t["status"]
    known = status.notna()
    flags = pd.DataFrame(
        {
            "process": t["process"],
            "known": known,
            "cancelled": (status == "cancelled") | ~known,
            "price_out": status.isin(_PRICE_EXCLUDED_STATUSES) | ~known,
        }
    ).groupby("process", sort=True)
    any_known = flags["known"].any()
    proc["cancelled"] = any_known & flags["cancelled"].all()
    proc["price_out"] = any_known & flags["price_out"].all()
    proc = proc.reindex(processes)
    for column in ("tender", "buyer", "procuring_entity", "method", "method_details"):
        proc[column] = proc[column].map(_str_or_none).astype(object)
    # A process seen only in the bids: its first bid row's tender.
    bid_tender = b.dropna(subset=["process"]).groupby("process")["tender"].first()
    missing = proc["tender"].isna()
    proc.loc[missing, "tender"] = bid_tender.reindex(proc.index[missing]).map(_str_or_none).to_numpy()
    proc["cancelled"] = proc["cancelled"].astype(object).fillna(False).astype(bool)
    proc["price_out"] = proc["price_out"].astype(object).fillna(False).astype(bool)
    excluded = cfg["exclude_details"]
    proc["in_scope"] = ~proc["cancelled"] & ~proc["method_details"].map(lambda d: d is not None and d in excluded)

    # The lot row of each bid row, for its tender period.
    ends = t[["process", "tender", "period_end"]].drop_duplicates(["process", "tender"])
    ends = ends.rename(columns={"period_end": "_period_end"})
    b = b.merge(ends, on=["process", "tender"], how="left", sort=False)
    b = b.sort_values("_row", kind="stable").reset_index(drop=True)

    in_scope = set(proc.index[proc["in_scope"]])
    b = b[b["process"].isin(in_scope)]
    t = t[t["process"].isin(in_scope)]

    # One row per OCDS bid.
    submitted = b[b["status"].notna()].copy()  # (notna: None, NaN, NA and NaT, as _str_or_none)
    submitted["_key"] = [
        f"id:{bid}" if _str_or_none(bid) is not None else f"row:{row}"
        for bid, row in zip(submitted["bid"].tolist(), submitted["_row"].tolist(), strict=True)
    ]
    if len(submitted):
        g = submitted.groupby(["process", "_key"], sort=False)
        # Group numbers follow the groups' first appearance, as the rows of the aggregates below.
        members: list[set[str]] = [set() for _ in range(g.ngroups)]
        for n, company in zip(g.ngroup().tolist(), submitted["company"].tolist(), strict=True):
            name = _str_or_none(company)
            if name is not None:
                members[n].add(name)
        firsts = g[["status", "amount", "currency", "date", "_period_end"]].first()
        one = pd.DataFrame(
            {
                "tenderers": [frozenset(m) for m in members],
                "status": firsts["status"].to_numpy(),
                "amount": firsts["amount"].to_numpy(),
                "currency": firsts["currency"].to_numpy(),
                "date": firsts["date"].to_numpy(),
                "period_end": firsts["_period_end"].to_numpy(),
                "order": g["_row"].min().to_numpy(),
            },
            index=firsts.index,
        ).reset_index()
        one = one.sort_values("order", kind="stable").reset_index(drop=True)
        one["amount"] = pd.to_numeric(one["amount"], errors="coerce")
        one["status"] = one["status"].astype(object).where(one["status"].notna(), None)
        one["currency"] = one["currency"].astype(object).where(one["currency"].notna(), None)
    else:
        one = pd.DataFrame(
            columns=["process", "_key", "tenderers", "status", "amount", "currency", "date", "period_end", "order"]
        )

    won = b[b["won"]]
    winners_of: dict[str, set[str]] = {}
    lots_of: dict[str, set[str | None]] = {}
    for p, company, lot in zip(won["process"].tolist(), won["company"].tolist(), won["lot"].tolist(), strict=True):
        winners_of.setdefault(p, set()).add(str(company))
        lots_of.setdefault(p, set()).add(_str_or_none(lot))
    winners = {p: frozenset(c) for p, c in winners_of.items()}
    single_winner = {p: next(iter(c)) for p, c in winners_of.items() if len(c) == 1 and len(lots_of[p]) == 1}

    currency = cfg["currency"]
    if currency is None:
        priced = one[one["amount"].notna() & one["currency"].map(_str_or_none).notna()]
        currency = str(priced["currency"].iloc[0]) if len(priced) else None

    by_process: dict[str, list[_Bid]] = {}
    if len(one):
        for p, *fields in zip(
            one["process"].tolist(),
            one["tenderers"].tolist(),
            one["status"].tolist(),
            one["amount"].astype(float).tolist(),
            one["currency"].tolist(),
            _ns(one["date"]),
            _ns(one["period_end"]),
            strict=True,
        ):
            by_process.setdefault(p, []).append(_Bid(*fields))
    index = proc.index.tolist()
    info = {column: dict(zip(index, proc[column].tolist(), strict=True)) for column in proc.columns}
    return _Data(processes, proc, t, one, b, winners, single_winner, currency, by_process, info)


def _price_comparison(d: _Data, cfg: Mapping[str, Any], process: str) -> bool:
    """Cardinal's ``matches_procurement_method_details`` with the price-comparison allow/deny lists."""
    details = d.info["method_details"][process]
    include, exclude = cfg["price"], cfg["no_price"]
    if details is None:
        return not include
    if include:
        return details in include
    return details not in exclude


def _method_matches(method: Any, methods: frozenset[str]) -> bool:
    if not methods:
        return True
    return method is not None and method in methods


def _groups(d: _Data, keep: Any) -> list[tuple[str, list[_Bid]]]:
    """The processes (sorted) with the OCDS bids ``keep`` accepts, in input order; processes without any left out."""
    out = []
    for process in sorted(d.by_process):
        rows = [r for r in d.by_process[process] if keep(r)]
        if rows:
            out.append((process, rows))
    return out


def _has(x: float) -> bool:
    return x == x  # not NaN


def _submitted(r: _Bid) -> bool:
    return r.status not in _NOT_SUBMITTED


def _union(rows: Iterable[_Bid]) -> frozenset[str]:
    return frozenset().union(*(r.tenderers for r in rows))


# -------------------------------------------------------------------------------------------- indicators


def _whole_days(delta: pd.Timedelta | int) -> int:
    """Whole days of a duration (or of nanoseconds), truncated toward zero (chrono's ``num_days``)."""
    ns = int(delta.value) if isinstance(delta, pd.Timedelta) else int(delta)
    day = 86_400 * 10**9
    return ns // day if ns >= 0 else -((-ns) // day)


def _r003(d: _Data, cfg: Mapping[str, Any], out: list[dict[str, Any]]) -> int:
    """R003 short submission period (cardinal-rs ``src/indicators/r003.rs``).

    The submission period is the tender period's end minus its start, in whole days (truncated). A process
    is flagged when that is less than the threshold (15 days; per ``procurement_method_details`` when set
    for the process's method details). Only processes whose method is in ``procurement_methods`` (all by
    default) are tested.
    """
    s = cfg["R003"]
    usable = 0
    lots = d.lots[d.lots["period_start"].notna() & d.lots["period_end"].notna()]
    shortest: dict[str, tuple[int, Any]] = {}  # process -> (nanoseconds, lot) of its first shortest lot
    for process, start, end, lot in zip(
        lots["process"].tolist(), _ns(lots["period_start"]), _ns(lots["period_end"]), lots["lot"].tolist(), strict=True
    ):
        ns = end - start  # type: ignore[operator]
        if process not in shortest or ns < shortest[process][0]:
            shortest[process] = (ns, lot)
    for process in sorted(shortest):
        if not _method_matches(d.info["method"][process], s["procurement_methods"]):
            continue
        usable += 1
        details = d.info["method_details"][process]
        threshold = s["procurement_method_details"].get(details, s["threshold"]) if details else s["threshold"]
        ns, lot = shortest[process]
        days = _whole_days(ns)
        if days < threshold:
            out.append(
                _flag(
                    "R003",
                    "process",
                    process,
                    d.info["tender"][process],
                    float(days),
                    float(threshold),
                    {
                        "days": days,
                        "exact_days": ns / _DAY_NS,
                        "lot": _str_or_none(lot),
                        "cardinal_value": 1.0,
                    },
                )
            )
    return usable


def _r018(d: _Data, cfg: Mapping[str, Any], out: list[dict[str, Any]]) -> int:
    """R018 single bid (cardinal-rs ``src/indicators/r018.rs``).

    A process whose method is competitive (``procurement_methods``, default open|selective) is flagged
    when its number of tenderers is 1. Cardinal reads ``tender/numberOfTenderers``; here it is the number
    of distinct companies with submitted bids in the process.
    """
    methods = cfg["R018"]["procurement_methods"]
    usable = 0
    for process, g in _groups(d, _submitted):
        if not _method_matches(d.info["method"][process], methods):
            continue
        usable += 1
        tenderers = _union(g)
        if len(tenderers) == 1:
            out.append(
                _flag(
                    "R018",
                    "process",
                    process,
                    d.info["tender"][process],
                    1.0,
                    1.0,
                    {"tenderers": 1, "bids": len(g), "tenderer": next(iter(tenderers)), "cardinal_value": 1.0},
                )
            )
    return usable


def _second_lowest_ratios(d: _Data, cfg: Mapping[str, Any]) -> dict[str, tuple[float, str, str, float, float]]:
    """Per process: (ratio, winner, lowest other tenderer, winning amount, lowest other amount).

    Cardinal's ``SecondLowestBidRatio`` (``src/indicators/util.rs``): a process with one active award to
    one supplier; among its valid single-tenderer bids with amounts in the main currency, the winner's
    lowest bid and the lowest bid of anyone else; the ratio (other - winner) / winner, kept only when the
    winner's bid is not above the other (price-only award). Processes whose winning amount is 0 are left
    out (the ratio is undefined).
    """
    ratios: dict[str, tuple[float, str, str, float, float]] = {}
    currency = d.currency
    if currency is None:
        return ratios

    def keep(r: _Bid) -> bool:
        return r.status == "valid" and _has(r.amount) and len(r.tenderers) == 1 and r.currency == currency

    for process, g in _groups(d, keep):
        if d.info["price_out"][process] or not _price_comparison(d, cfg, process):
            continue
        winner = d.single_winner.get(process)
        if winner is None:
            continue
        mine = [r.amount for r in g if next(iter(r.tenderers)) == winner]
        others = [r for r in g if next(iter(r.tenderers)) != winner]
        if not mine or not others:
            continue
        w_amount = float(min(mine))
        lowest = others[0]
        for r in others[1:]:
            if r.amount < lowest.amount:  # the first of the ties, as idxmin
                lowest = r
        o_amount = float(lowest.amount)
        if o_amount < w_amount or w_amount == 0:
            continue
        ratios[process] = (
            (o_amount - w_amount) / w_amount,
            winner,
            next(iter(lowest.tenderers)),
            w_amount,
            o_amount,
        )
    return ratios


def _r024(d: _Data, cfg: Mapping[str, Any], ratios: Mapping[str, tuple], out: list, meta: dict) -> int:
    """R024 price close to the winning bid (cardinal-rs ``src/indicators/r024.rs``).

    The difference (second-lowest valid bid - winning bid) / winning bid of each process is compared with
    the lower fence Q1 - 1.5 IQR of all differences (or the ``threshold``); a process is flagged when its
    difference is at or below the fence, provided Q1 > 0 and the fence > 0. The winner and the
    second-lowest bidder are flagged as tenderers.
    """
    threshold = cfg["R024"]["threshold"]
    values = [r[0] for r in ratios.values()]
    if threshold is None:
        q1, q3 = _quartiles(values)
        fence = q1 - 1.5 * (q3 - q1)
        meta["R024"] = {"q1": _clean(q1), "q3": _clean(q3), "lower_fence": _clean(fence)}
        guard = q1
    else:
        fence, guard = threshold, 1.0
        meta["R024"] = {"q1": None, "q3": None, "lower_fence": fence}
    tenderers: dict[str, list[str]] = {}
    if guard > 0 and fence > 0:
        for process, (ratio, winner, other, w_amount, o_amount) in sorted(ratios.items()):
            if ratio <= fence:
                details = {"winning_amount": w_amount, "second_lowest_amount": o_amount, "winner": winner}
                details |= {"second_lowest_bidder": other, "currency": d.currency, "cardinal_value": ratio}
                out.append(_flag("R024", "process", process, d.info["tender"][process], ratio, fence, details))
                for company in (winner, other):
                    tenderers.setdefault(company, []).append(process)
    _tenderer_rows("R024", tenderers, 0.0, out)
    return len(ratios)


def _r058(d: _Data, cfg: Mapping[str, Any], ratios: Mapping[str, tuple], out: list, meta: dict) -> int:
    """R058 heavily discounted bid (cardinal-rs ``src/indicators/r058.rs``).

    The same difference as R024; a process is flagged when it is at or above the upper fence
    Q3 + 1.5 IQR (or the ``threshold``), provided the fence > 0. The winner is flagged as a tenderer.
    """
    threshold = cfg["R058"]["threshold"]
    values = [r[0] for r in ratios.values()]
    if threshold is None:
        q1, q3 = _quartiles(values)
        fence = q3 + 1.5 * (q3 - q1)
        meta["R058"] = {"q1": _clean(q1), "q3": _clean(q3), "upper_fence": _clean(fence)}
    else:
        fence = threshold
        meta["R058"] = {"q1": None, "q3": None, "upper_fence": fence}
    tenderers: dict[str, list[str]] = {}
    if fence > 0:
        for process, (ratio, winner, other, w_amount, o_amount) in sorted(ratios.items()):
            if ratio >= fence:
                details = {"winning_amount": w_amount, "second_lowest_amount": o_amount, "winner": winner}
                details |= {"second_lowest_bidder": other, "currency": d.currency, "cardinal_value": ratio}
                out.append(_flag("R058", "process", process, d.info["tender"][process], ratio, fence, details))
                tenderers.setdefault(winner, []).append(process)
    _tenderer_rows("R058", tenderers, 0.0, out)
    return len(ratios)


def _r025(d: _Data, cfg: Mapping[str, Any], out: list, meta: dict) -> int:
    """R025 excessive unsuccessful bids (cardinal-rs ``src/indicators/r025.rs``).

    Over processes with one active award to one supplier, each tenderer with a valid single-tenderer bid
    counts one bid per process, and one win when it is the supplier. A tenderer is flagged when its number
    of bids is at or above the ``percentile`` (75th) of all tenderers' numbers of bids, and its ratio of
    wins to bids is at or below the lower fence Q1 - 1.5 IQR of all ratios (or the ``threshold``),
    provided Q1 > 0 and the fence > 0.
    """
    s = cfg["R025"]
    bids_count: dict[str, int] = {}
    wins: dict[str, int] = {}
    usable = 0
    for process, g in _groups(d, lambda r: r.status == "valid" and len(r.tenderers) == 1):
        winner = d.single_winner.get(process)
        if winner is None:
            continue
        usable += 1
        for company in sorted(_union(g)):
            bids_count[company] = bids_count.get(company, 0) + 1
            wins[company] = wins.get(company, 0) + int(company == winner)
    upper = cardinal_quantile([float(v) for v in bids_count.values()], s["percentile"] / 100)
    ratios = {c: wins[c] / n for c, n in bids_count.items()}
    if s["threshold"] is None:
        q1, q3 = _quartiles(list(ratios.values()))
        fence = q1 - 1.5 * (q3 - q1)
        meta["R025"] = {"q1": _clean(q1), "q3": _clean(q3), "upper_fence": _clean(upper), "lower_fence": _clean(fence)}
        guard = q1
    else:
        fence, guard = s["threshold"], 1.0
        meta["R025"] = {"q1": None, "q3": None, "upper_fence": _clean(upper), "lower_fence": fence}
    if guard > 0 and fence > 0:
        for company in sorted(ratios):
            if bids_count[company] >= upper and ratios[company] <= fence:
                details = {"bids": bids_count[company], "wins": wins[company], "bids_fence": upper}
                details["cardinal_value"] = ratios[company]
                out.append(_flag("R025", "tenderer", None, company, ratios[company], fence, details))
    return usable


def _r028(d: _Data, cfg: Mapping[str, Any], out: list) -> int:
    """R028 identical bid prices (cardinal-rs ``src/indicators/r028.rs``).

    Among the submitted bids of a process, two bids with the same amount and currency from different sets
    of tenderers flag the process, and all those tenderers. (A tenderer may submit several bids at one
    price.) Processes whose method details are not price-comparison are left out.
    """

    def keep(r: _Bid) -> bool:
        return _submitted(r) and _has(r.amount) and _str_or_none(r.currency) is not None and len(r.tenderers) > 0

    usable = 0
    tenderers: dict[str, list[str]] = {}
    for process, g in _groups(d, keep):
        if d.info["price_out"][process] or not _price_comparison(d, cfg, process):
            continue
        usable += 1
        by_price: dict[tuple[float, Any], set[frozenset[str]]] = {}
        for r in g:
            by_price.setdefault((r.amount, r.currency), set()).add(r.tenderers)
        groups = []
        for (amount, currency), sets in sorted(by_price.items(), key=lambda kv: kv[0]):
            if len(sets) > 1:
                groups.append((float(amount), str(currency), sorted(frozenset().union(*sets))))
        if groups:
            companies = sorted({c for _, _, cs in groups for c in cs})
            most = max(len(cs) for _, _, cs in groups)
            details: dict[str, Any] = {"prices": [{"amount": a, "currency": c, "tenderers": cs} for a, c, cs in groups]}
            details["cardinal_value"] = 1.0
            out.append(_flag("R028", "process", process, d.info["tender"][process], float(most), 2.0, details))
            for company in companies:
                tenderers.setdefault(company, []).append(process)
    _tenderer_rows("R028", tenderers, 1.0, out)
    return usable


def _r030(d: _Data, out: list) -> int:
    """R030 late bid won (cardinal-rs ``src/indicators/r030.rs``).

    A process is flagged when a valid bid dated after the tender period's end date comes from a supplier
    of an active award of the process; that supplier is flagged as a tenderer.
    """
    usable = 0
    tenderers: dict[str, list[str]] = {}
    dated = _groups(d, lambda r: r.status == "valid" and r.date is not None and r.period_end is not None)
    for process, g in dated:
        winners = d.winners.get(process)
        if not winners:
            continue
        usable += 1
        late_winners: dict[str, float] = {}
        for r in g:
            if r.date > r.period_end:  # type: ignore[operator]
                for company in r.tenderers & winners:
                    days = (r.date - r.period_end) / _DAY_NS  # type: ignore[operator]
                    late_winners[company] = max(days, late_winners.get(company, 0.0))
        if late_winners:
            value = max(late_winners.values())
            details = {"late_winners": dict(sorted(late_winners.items())), "cardinal_value": 1.0}
            out.append(_flag("R030", "process", process, d.info["tender"][process], value, 0.0, details))
            for company in late_winners:
                tenderers.setdefault(company, []).append(process)
    _tenderer_rows("R030", tenderers, 1.0, out)
    return usable


def _r035(d: _Data, cfg: Mapping[str, Any], out: list) -> int:
    """R035 all bids except the winner's disqualified (cardinal-rs ``src/indicators/r035.rs``).

    A process is flagged when exactly one tenderer has valid bids, that tenderer is the set of suppliers
    of the active awards, and at least ``threshold`` (1, never less) other tenderers have disqualified
    bids. The value is the number of those other tenderers; the winner is flagged as a tenderer.
    """
    threshold = max(cfg["R035"]["threshold"], 1)
    usable = 0
    tenderers: dict[str, list[str]] = {}
    for process, g in _groups(d, lambda r: True):
        valid = _union(r for r in g if r.status == "valid")
        disqualified = _union(r for r in g if r.status == "disqualified")
        if not valid and not disqualified:
            continue
        usable += 1
        others = disqualified - valid
        if len(valid) == 1 and valid == d.winners.get(process, frozenset()) and len(others) >= threshold:
            winner = next(iter(valid))
            details: dict[str, Any] = {"winner": winner, "disqualified_tenderers": sorted(others)}
            details["cardinal_value"] = float(len(others))
            tender = d.info["tender"][process]
            out.append(_flag("R035", "process", process, tender, float(len(others)), threshold, details))
            tenderers.setdefault(winner, []).append(process)
    _tenderer_rows("R035", tenderers, 0.0, out)
    return usable


def _r036(d: _Data, cfg: Mapping[str, Any], out: list) -> int:
    """R036 lowest bid disqualified (cardinal-rs ``src/indicators/r036.rs``).

    In a process with at least one active award and price-comparison method details, among the submitted
    bids with amounts in the main currency: flagged when some bid is valid and the lowest bid (the first
    one in input order among equal lowest amounts) is disqualified.
    """
    currency = d.currency
    if currency is None:
        return 0
    usable = 0
    for process, g in _groups(d, lambda r: _submitted(r) and _has(r.amount) and r.currency == currency):
        if not d.winners.get(process) or not _price_comparison(d, cfg, process):
            continue
        if not any(r.status == "valid" for r in g):
            continue
        usable += 1
        lowest = g[0]
        for r in g[1:]:
            if r.amount < lowest.amount:  # the first of the ties, in input order
                lowest = r
        if lowest.status == "disqualified":
            lowest_valid = float(min(r.amount for r in g if r.status == "valid"))
            details = {
                "disqualified_tenderers": sorted(lowest.tenderers),
                "lowest_valid_amount": lowest_valid,
                "currency": d.currency,
                "cardinal_value": 1.0,
            }
            tender = d.info["tender"][process]
            out.append(_flag("R036", "process", process, tender, float(lowest.amount), lowest_valid, details))
    return usable


def _r038(d: _Data, cfg: Mapping[str, Any], out: list, meta: dict) -> int:
    """R038 excessive disqualified bids (cardinal-rs ``src/indicators/r038.rs``).

    For each buyer, procuring entity and tenderer, the ratio of disqualified to submitted bids across
    processes. Buyers and procuring entities count when they received at least
    ``minimum_contracting_processes`` (2) submitted bids — Cardinal's source compares this minimum with the
    number of submitted bids, not processes, and its documented example relies on that; tenderers count
    with at least ``minimum_submitted_bids`` (2). Each group is flagged at or above its upper fence
    Q3 + 1.5 IQR (or the ``threshold``), provided the fence > 0.
    """
    s = cfg["R038"]
    orgs: dict[str, dict[str, list[int]]] = {"buyer": {}, "procuring_entity": {}, "tenderer": {}}
    usable = 0
    for process, g in _groups(d, _submitted):
        usable += 1
        disq = [r.status == "disqualified" for r in g]
        for level in ("buyer", "procuring_entity"):
            org = _str_or_none(d.info[level][process])
            if org is not None:
                counts = orgs[level].setdefault(org, [0, 0])
                counts[0] += sum(disq)
                counts[1] += len(g)
        for r, is_disq in zip(g, disq, strict=True):
            for company in r.tenderers:
                counts = orgs["tenderer"].setdefault(company, [0, 0])
                counts[0] += int(is_disq)
                counts[1] += 1
    names = {"buyer": "Buyer", "procuring_entity": "ProcuringEntity", "tenderer": "Tenderer"}
    result: dict[str, float | None] = {}
    for level, table in orgs.items():
        minimum = s["minimum_submitted_bids"] if level == "tenderer" else s["minimum_contracting_processes"]
        ratios = {org: n / total for org, (n, total) in table.items() if total >= minimum}
        name = names[level]
        if not ratios:
            result |= {f"{name}_q1": None, f"{name}_q3": None, f"{name}_upper_fence": None}
            continue
        if s["threshold"] is None:
            q1, q3 = _quartiles(list(ratios.values()))
            fence = q3 + 1.5 * (q3 - q1)
            result |= {f"{name}_q1": _clean(q1), f"{name}_q3": _clean(q3), f"{name}_upper_fence": _clean(fence)}
        else:
            fence = s["threshold"]
            result |= {f"{name}_q1": None, f"{name}_q3": None, f"{name}_upper_fence": fence}
        if fence > 0:
            for org in sorted(ratios):
                if ratios[org] >= fence:
                    n, total = table[org]
                    details = {"disqualified": n, "submitted": total, "cardinal_value": ratios[org]}
                    out.append(_flag("R038", level, None, org, ratios[org], fence, details))
    meta["R038"] = result
    return usable


def _r048(d: _Data, cfg: Mapping[str, Any], out: list, meta: dict) -> int:
    """R048 heterogeneous supplier (cardinal-rs ``src/indicators/r048.rs``).

    For each supplier of active awards, the variety is the number of distinct classification prefixes
    (first ``digits`` characters, 2) of the items it was awarded, across processes; only suppliers seen in
    at least ``minimum_contracting_processes`` (20) processes count. A supplier is flagged when its variety
    is at or above the upper fence Q3 + 1.5 IQR of all varieties (or the ``threshold``). Awards to several
    suppliers are left out: here a lot counts only when one company won it.
    """
    s = cfg["R048"]
    won = d.rows[d.rows["won"]]
    lot_classes: dict[tuple[Any, Any], Any] = {}
    lots = zip(d.lots["process"].tolist(), d.lots["tender"].tolist(), d.lots["classifications"].tolist(), strict=True)
    for process, tender, classes in lots:
        lot_classes.setdefault((process, tender), classes)
    won_by: dict[tuple[Any, Any], set[str]] = {}
    for process, tender, company in zip(
        won["process"].tolist(), won["tender"].tolist(), won["company"].tolist(), strict=True
    ):
        if _str_or_none(process) is None or _str_or_none(tender) is None:
            continue  # as groupby, which leaves out missing keys
        won_by.setdefault((process, tender), set()).add(str(company))
    codes: dict[str, set[str]] = {}
    per_process: dict[str, set[str]] = {}
    for (process, tender), companies in sorted(won_by.items(), key=lambda kv: kv[0]):
        classes = lot_classes.get((process, tender))
        if len(companies) != 1 or classes is None or isinstance(classes, float) or len(classes) == 0:
            continue
        company = next(iter(companies))
        codes.setdefault(company, set()).update(str(c)[: s["digits"]] for c in classes if c)
        # A supplier is counted once per process.
        per_process.setdefault(company, set()).add(process)
    usable = len(set().union(*per_process.values())) if per_process else 0
    lengths = {
        c: float(len(codes[c])) for c, ps in per_process.items() if len(ps) >= s["minimum_contracting_processes"]
    }
    if s["threshold"] is None:
        q1, q3 = _quartiles(list(lengths.values()))
        fence = q3 + 1.5 * (q3 - q1)
        meta["R048"] = {"q1": _clean(q1), "q3": _clean(q3), "upper_fence": _clean(fence)}
    else:
        fence = float(s["threshold"])
        meta["R048"] = {"q1": None, "q3": None, "upper_fence": fence}
    for company in sorted(lengths):
        if lengths[company] >= fence:
            details = {"classes": sorted(codes[company]), "processes": len(per_process[company])}
            details["cardinal_value"] = lengths[company]
            out.append(_flag("R048", "tenderer", None, company, lengths[company], fence, details))
    return usable


# ------------------------------------------------------------------------------------------------ output


def _flag(
    indicator: str,
    level: str,
    process: str | None,
    subject: Any,
    value: float,
    threshold: float | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "indicator": indicator,
        "level": level,
        "process": process,
        "subject": None if subject is None else str(subject),
        "value": float(value),
        "threshold": math.nan if threshold is None else float(threshold),
        "details": details,
    }


def _tenderer_rows(indicator: str, tenderers: Mapping[str, list[str]], value: float, out: list) -> None:
    for company in sorted(tenderers):
        processes = sorted(set(tenderers[company]))
        details = {"processes": processes, "cardinal_value": value}
        out.append(_flag(indicator, "tenderer", None, company, float(len(processes)), None, details))


def compute_flags(
    tenders: pd.DataFrame, bids: pd.DataFrame, settings: Mapping[str, Any] | None = None
) -> CardinalResult:
    """Compute the eleven Cardinal red flags of the processes in ``tenders`` and ``bids``.

    ``settings`` mirrors Cardinal's ini file: top-level ``currency``,
    ``price_comparison_procurement_methods``, ``no_price_comparison_procurement_methods``, ``exclusions``
    and one mapping per indicator code; anything unknown raises ValueError. For tenderer-level rows of
    process flags, ``value`` is the number of flagged processes of that tenderer.
    """
    cfg = _resolve_settings(settings)
    with _gc_paused():
        return _compute(tenders, bids, cfg)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: the tables make millions of small objects (one per bid), none
    in a cycle, and every full collection walks all of them and the caller's (a quarter of the time at 10^5
    bids)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute(tenders: pd.DataFrame, bids: pd.DataFrame, cfg: dict[str, Any]) -> CardinalResult:
    d = _prepare(tenders, bids, cfg)
    out: list[dict[str, Any]] = []
    meta: dict[str, dict[str, float | None]] = {}
    usable: dict[str, int] = {}
    usable["R003"] = _r003(d, cfg, out)
    usable["R018"] = _r018(d, cfg, out)
    ratios = _second_lowest_ratios(d, cfg)
    usable["R024"] = _r024(d, cfg, ratios, out, meta)
    usable["R025"] = _r025(d, cfg, out, meta)
    usable["R028"] = _r028(d, cfg, out)
    usable["R030"] = _r030(d, out)
    usable["R035"] = _r035(d, cfg, out)
    usable["R036"] = _r036(d, cfg, out)
    usable["R038"] = _r038(d, cfg, out, meta)
    usable["R048"] = _r048(d, cfg, out, meta)
    usable["R058"] = _r058(d, cfg, ratios, out, meta)

    flags = pd.DataFrame(out, columns=FLAG_COLUMNS)
    if len(flags):
        flags["_p"] = flags["process"].fillna("")
        flags = flags.sort_values(["indicator", "level", "_p", "subject"], kind="stable").drop(columns="_p")
        flags = flags.reset_index(drop=True)
    flags["process"] = flags["process"].astype(object).where(flags["process"].notna(), None)
    flags["value"] = flags["value"].astype(float)
    flags["threshold"] = flags["threshold"].astype(float)
    counts = flags["indicator"].value_counts()
    coverage = pd.DataFrame(
        [
            {
                "indicator": code,
                "processes": len(d.processes),
                "usable": usable[code],
                "flagged": int(counts.get(code, 0)),
                "needs": NEEDS[code],
            }
            for code in INDICATORS
        ]
    )
    return CardinalResult(flags=flags, meta=dict(sorted(meta.items())), coverage=coverage)

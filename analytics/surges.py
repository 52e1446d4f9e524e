"""Surges (异常激增): where findings rose far faster than everywhere else, judged as outbreak detection is.

For each region (or sector system) and period (year or quarter), the count of findings is compared with
what its **own earlier periods** lead one to expect, scaled by how much all the other regions changed
between those periods and this one:

    expected[r, t] = mean over s in the window before t of  count[r, s] * others[t] / others[s]

where ``others[t]`` is the count of every other region in period ``t``. Nothing after ``t`` enters, so a
region whose count jumps is flagged in the period it jumps, even if it stays high afterwards (a model
fitted over the whole window would take the jump into the region's own level and miss it).

Counts vary more than Poisson, and an expectation from a few periods is itself uncertain. The
overdispersion ``phi`` is estimated, again only from earlier periods, from every group's one-step-ahead
prediction errors, each against its own variance (the count's, plus the prediction's: a mean of scaled
counts); a period is judged once at least 30 such errors lie behind it. The p-value is the larger of the
upper tails of Student's t (the excess in units of its spread, ``phi`` having been estimated) and of a
negative binomial of that mean and variance (counts are skewed), in the spirit of the quasi-Poisson
models of the Farrington method of disease surveillance. All (group, period) tests go to
Benjamini–Hochberg at ``fdr``.

What it promises: among the surges it reports, the expected share that are not real departures from
the region's own trend is at most ``fdr`` (``bench/calibration.py`` checks it on null worlds where every
region follows the province's trend with overdispersed counts).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, nbinom, poisson
from scipy.stats import t as student_t

from ingest.parse import region_name

from .base import Detection, DetectorError, DetectorResult, Evidence, iso, judged_day
from .graphview import GraphView

__all__ = ["detect_surges", "surge_tests"]

NAME = "surges"
_MIN_RESIDUALS = 30  # earlier one-step predictions the overdispersion is learnt from before a period is judged


def surge_tests(counts: pd.DataFrame, window: int = 3, min_history: int = 2) -> pd.DataFrame:
    """One-step-ahead expectations and p-values for a table of counts.

    Parameters
    ----------
    counts : DataFrame
        Rows are groups (regions or systems), columns are periods in order, values are counts (0 where
        nothing was found).
    window : int
        Earlier periods each expectation averages over (the most recent ones).
    min_history : int
        Earlier periods a group needs before its count is predicted.

    Returns
    -------
    DataFrame
        One row per (group, period) tested: ``group``, ``period``, ``observed``, ``expected``, ``phi``,
        ``p``. A period is tested once ``_MIN_RESIDUALS`` one-step predictions of earlier periods lie behind
        it, so ``phi`` has data.
    """
    y = counts.to_numpy(dtype=float)
    periods = list(counts.columns)
    groups = list(counts.index)
    total = y.sum(axis=0)
    predicted = np.full(y.shape, np.nan)
    spread = np.full(y.shape, np.nan)  # the variance of the prediction itself, per unit of dispersion
    others = total[None, :] - y  # every other group's count, per group and period
    for t in range(min_history, y.shape[1]):
        past = list(range(max(0, t - window), t))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(others[:, past] > 0, others[:, [t]] / others[:, past], np.nan)
        scaled = y[:, past] * ratio
        n = np.isfinite(scaled).sum(axis=1)
        usable = n >= min_history
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(scaled, axis=1) / n
            # Each scaled count y_s * r_s has variance phi * mu_s * r_s^2, about phi * (y_s * r_s) * r_s.
            error = np.nansum(scaled * ratio, axis=1) / n**2
        predicted[:, t] = np.where(usable, mean, np.nan)
        spread[:, t] = np.where(usable, mean + error, np.nan)
    rows = []
    for t in range(y.shape[1]):
        earlier, var = predicted[:, :t], spread[:, :t]
        mask = np.isfinite(earlier) & (var > 0)
        if mask.sum() < _MIN_RESIDUALS:
            continue  # too few earlier predictions to learn the spread from
        phi = max(1.0, float(np.mean((y[:, :t][mask] - earlier[mask]) ** 2 / var[mask])))
        df = int(mask.sum())
        for g in range(y.shape[0]):
            mu = predicted[g, t]
            if not np.isfinite(mu):
                continue
            observed = int(y[g, t])
            if mu <= 0:
                p = 1.0 if observed == 0 else 0.0
            else:
                # The excess over the prediction, in units of its spread (the count's own and the
                # prediction's), read on Student's t with the df residuals phi was estimated from.
                variance = phi * spread[g, t]
                z = (observed - 0.5 - mu) / np.sqrt(variance)
                # Counts are skewed: the negative binomial of that mean and variance, where it is the larger.
                dispersion = variance / mu
                law = (
                    poisson.sf(observed - 1, mu)
                    if dispersion <= 1.0 + 1e-9
                    else nbinom.sf(observed - 1, mu / (dispersion - 1.0), 1.0 / dispersion)
                )
                p = max(float(student_t.sf(z, df)), float(law))
            rows.append((groups[g], periods[t], observed, float(mu), phi, min(1.0, p)))
    return pd.DataFrame(rows, columns=["group", "period", "observed", "expected", "phi", "p"])


def _period(dates: pd.Series, period: str) -> pd.Series:
    if period == "year":
        return dates.dt.year.astype(str)
    return dates.dt.year.astype(str) + "Q" + dates.dt.quarter.astype(str)


def detect_surges(
    view: GraphView,
    *,
    group_by: Literal["region", "city", "system"] = "region",
    period: Literal["year", "quarter"] = "year",
    category: str | None = None,
    fdr: float = 0.05,
    window: int = 3,
    min_history: int = 2,
    as_of: dt.date | str | None = None,
) -> DetectorResult:
    """Find regions (or systems) whose findings rose far beyond their own past, scaled by everyone else's.

    Parameters
    ----------
    view : GraphView
    group_by : {"region", "city", "system"}
        The organisations' region code (a county or district, or the city's own units), the city it lies
        in, or the sector system.
    period : {"year", "quarter"}
    category : str, optional
        Count only findings of this category (a code of the taxonomy).
    fdr : float
        False discovery rate for Benjamini–Hochberg over every (group, period) tested.
    window, min_history : int
        Earlier periods an expectation averages over, and the fewest it needs.
    as_of : date or ISO text, optional
        Judge on this day: later findings are not seen, and a period not yet over is not judged.

    Returns
    -------
    DetectorResult
        One detection per (group, period) surge, strongest first.
    """
    if group_by not in ("region", "city", "system"):
        raise DetectorError('group_by is "region", "city" or "system"')
    if period not in ("year", "quarter"):
        raise DetectorError('period is "year" or "quarter"')
    if not 0 < fdr < 1:
        raise DetectorError("fdr is a false discovery rate between 0 and 1, e.g. 0.05")
    if window < 1 or min_history < 1 or min_history > window:
        raise DetectorError("window and min_history are counts of periods, with 1 <= min_history <= window")
    day = judged_day(as_of)
    params = {
        "group_by": group_by,
        "period": period,
        "category": category,
        "fdr": fdr,
        "window": window,
        "min_history": min_history,
        "as_of": iso(as_of),
    }
    findings = view.findings.dropna(subset=["organisation", "found_date"]).copy()
    findings["found_date"] = pd.to_datetime(findings["found_date"])
    if category is not None:
        findings = findings[findings["category"] == category]
    if day is not None:
        findings = findings[findings["found_date"] <= day]
    orgs = view.organisations
    if group_by == "system":
        group = findings["organisation"].map(orgs["system"])
    else:
        codes = findings["organisation"].map(orgs["region_code"]).astype("string")
        codes = codes.where(codes.str.fullmatch(r"[1-9]\d{5}", na=False))
        group = codes if group_by == "region" else codes.str.slice(0, 4) + "00"
    findings["group"] = group
    findings = findings.dropna(subset=["group"])
    stats = {"findings": len(findings)}
    if findings.empty:
        return DetectorResult(NAME, [], params=params, stats={**stats, "tests": 0})
    findings["period"] = _period(findings["found_date"], period)
    if day is not None:
        # A period still running on the day judged is not complete: judging it would compare a part with wholes.
        end = (day + pd.offsets.YearEnd(0)) if period == "year" else (day + pd.offsets.QuarterEnd(0))
        if end.normalize() != day.normalize():
            findings = findings[findings["period"] != _period(pd.Series([day]), period).iloc[0]]
            if findings.empty:
                return DetectorResult(NAME, [], params=params, stats={**stats, "tests": 0})
    first, last = findings["found_date"].min(), findings["found_date"].max()
    span = pd.period_range(first, last, freq="Y" if period == "year" else "Q")
    labels = list(_period(pd.Series(span.to_timestamp()), period))
    counts = findings.groupby(["group", "period"]).size().unstack(fill_value=0).reindex(columns=labels, fill_value=0)
    tests = surge_tests(counts, window=window, min_history=min_history)
    stats["tests"] = len(tests)
    stats["groups"] = len(counts)
    stats["periods"] = len(labels)
    if tests.empty:
        return DetectorResult(NAME, [], params=params, stats=stats)
    tests["q"] = false_discovery_control(tests["p"].to_numpy(), method="bh")
    detections = []
    for row in tests[tests["q"] <= fdr].itertuples(index=False):
        detections.append(_detection(view, findings, counts, row, group_by))
    detections.sort(key=lambda d: (-d.score, d.subject))
    return DetectorResult(NAME, detections, params=params, stats=stats)


def _group_name(view: GraphView, group_by: str, group: str) -> str:
    if group_by == "system":
        return view.system_name(group)
    return region_name(group) or f"行政区划{group}"


def _detection(view: GraphView, findings: pd.DataFrame, counts: pd.DataFrame, row: object, group_by: str) -> Detection:
    group, period = str(row.group), str(row.period)  # type: ignore[attr-defined]
    observed, expected = int(row.observed), float(row.expected)  # type: ignore[attr-defined]
    p, q, phi = float(row.p), float(row.q), float(row.phi)  # type: ignore[attr-defined]
    name = _group_name(view, group_by, group)
    history = counts.loc[group]
    past = {str(k): int(v) for k, v in history.items() if str(k) < period}
    ratio = observed / expected if expected > 0 else float("inf")
    hit = findings[(findings["group"] == group) & (findings["period"] == period)].sort_values("found_date")
    evidence = [
        Evidence(
            "以往各期发现问题数",
            "Screen",
            f"{group}|{period}",
            "；".join(f"{k}：{v}" for k, v in past.items()) + f"；{period}：{observed}",
        ),
        Evidence(
            "按其他地区同期变化推算的预期",
            "Screen",
            f"{group}|{period}|expected",
            f"预期{expected:.1f}个，实际{observed}个（{ratio:.1f}倍）；离散系数{phi:.2f}；p={p:.2g}，q={q:.2g}",
        ),
    ]
    for f in hit.head(3).itertuples(index=False):
        evidence.append(
            Evidence(
                "本期发现问题",
                "Finding",
                str(f.finding),
                str(getattr(f, "description", None) or view.name_of("Organisation", f.organisation)),
                iso(f.found_date),
            )
        )
    where = "系统" if group_by == "system" else ""
    return Detection(
        detector=NAME,
        kind=f"surge-by-{group_by}",
        subject=f"{group}|{period}",
        score=round(float(-np.log10(max(q, 1e-300))), 3),
        summary=f"{name}{where}{period}发现问题{observed}个，按以往水平和其他地区同期变化预期{expected:.1f}个"
        f"（{ratio:.1f}倍）；q={q:.2g}",
        where={
            "organisations": tuple(sorted(hit["organisation"].unique())),
            "findings": tuple(sorted(hit["finding"])),
        },
        evidence=tuple(evidence),
        details={
            ("system" if group_by == "system" else "region_code"): group,
            "period": period,
            "observed": observed,
            "expected": round(expected, 2),
            "ratio": round(ratio, 3) if np.isfinite(ratio) else None,
            "phi": round(phi, 3),
            "p_value": p,
            "q_value": q,
            "history": past,
        },
    )

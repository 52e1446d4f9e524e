"""Systemic problems (共性问题, 系统性问题): a category found in more of one system's units than elsewhere.

The Shaoxing case is the archetype: the same bonus-payment problem across
the supply-and-marketing system at province, city and district. The unit of
evidence is the **organisation**, not the finding: a tour that finds one
unit's problem five times has found one unit with the problem. For every
sector system *S* and problem category *c*:

1. **Pooled across tiers.** At each tier, the units inspected there (a tour
   inspected them, or they have findings) are split into *S*'s and the other
   systems'; ``x_t`` of *S*'s ``n_t`` units have a finding of *c*, ``K_t`` of
   all ``N_t``. If system labels said nothing about *c* within a tier,
   ``x_t`` would be hypergeometric(``N_t``, ``K_t``, ``n_t``); the stratified
   exact test (the exact conditional form of Cochran–Mantel–Haenszel) takes
   the tail of ``sum x_t`` under the convolution of those laws. The p-value
   is exact (no mid-p), so discreteness only makes it conservative.
2. **Many tests.** Every (system, category) pair that can be tested goes to
   Benjamini–Hochberg at ``fdr`` before anything that depends on counts.
3. **Per tier.** Each tier then gets its share of *S*'s units with *c*, a
   95% Wilson interval, the comparable share (other systems, same tier) and
   its own exact p-value. A tier shows the hit when at least ``min_orgs``
   units there have it and the interval lies above the comparable share. A
   hit is **cross-tier** when at least ``min_tiers`` tiers show it, and
   **single-tier** otherwise: a separate kind, reported, never dropped.

Discrete tests cannot all reach small p-values: a system with two units at
a tier can never be significant among hundreds of pairs. Benjamini–Hochberg
runs with Tarone's screen (Gilbert 2005): pairs whose smallest reachable
p-value (from the margins alone) could never be rejected leave the family.

What it promises: among the pairs it reports, the expected share that are
not real differences is at most ``fdr``, when units' category presence is
exchangeable across systems within a tier (``bench/calibration.py`` checks
this on null worlds with findings clustered inside units).

``group_by="region"`` asks the same question of region subtrees (a city and
the counties under it) instead of sector systems.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control, hypergeom

from ingest.parse import region_name

from .base import Detection, DetectorError, DetectorResult, Evidence, iso, judged_day
from .graphview import GraphView
from .terms import say, term, tier_name

__all__ = [
    "detect_systemic_problems",
    "discrete_bh",
    "pair_tests",
    "smallest_p",
    "stratified_exact_p",
    "tarone_family",
    "tier_shows",
]

NAME = "systemic-problems"
TIER_ORDER = ("province", "city", "county", "township", "village")


def stratified_exact_p(strata: list[tuple[int, int, int, int]]) -> float:
    """P(sum of x_t >= observed) when each stratum's x_t ~ Hypergeometric(N_t, K_t, n_t), independently.

    ``strata`` holds ``(x_t, N_t, K_t, n_t)``: units with the category in the group, units, units with the
    category, units in the group.

    Examples
    --------
    >>> round(stratified_exact_p([(3, 10, 3, 3)]), 4)  # all three with it are in the group of three
    0.0083
    >>> stratified_exact_p([(0, 10, 3, 3)])
    1.0
    """
    observed = sum(x for x, *_ in strata)
    if observed <= 0:
        return 1.0
    law = np.array([1.0])
    for _, total, with_category, in_group in strata:
        support = np.arange(0, min(with_category, in_group) + 1)
        law = np.convolve(law, hypergeom.pmf(support, total, with_category, in_group))
    return float(min(1.0, max(0.0, law[observed:].sum())))


def pair_tests(units: pd.DataFrame, findings: pd.DataFrame) -> list[tuple[str, str, float, list[tuple]]]:
    """The stratified exact test of every (group, category) pair on the units inspected.

    Parameters
    ----------
    units : DataFrame
        One row per unit inspected: ``organisation``, ``tier``, ``group``.
    findings : DataFrame
        ``organisation``, ``category``: what was found where (several findings of one category at one unit
        count once).

    Returns
    -------
    list of (group, category, p, rows)
        ``rows`` holds ``(tier, x, N, K, n)`` per tier where the group has units: its units with the
        category, the tier's units, the tier's units with the category, the group's units. Pairs whose
        category is found at none of the group's tiers are not listed (their p-value would be 1).
    """
    units = units.dropna(subset=["tier", "group"]).drop_duplicates("organisation")
    comparable = units.groupby("tier")["group"].nunique()
    units = units[units["tier"].isin(comparable.index[comparable >= 2])]
    has = findings[["organisation", "category"]].drop_duplicates().merge(units, on="organisation")
    units_at = units.groupby("tier").size()
    units_in = units.groupby(["tier", "group"]).size()
    with_cat = has.groupby(["tier", "category"]).size()
    with_cat_in = has.groupby(["group", "category", "tier"]).size()
    tiers = sorted(units_at.index, key=lambda t: TIER_ORDER.index(t) if t in TIER_ORDER else len(TIER_ORDER))
    pairs = []
    for group in sorted(units["group"].unique()):
        group_tiers = [t for t in tiers if (t, group) in units_in.index]
        for category in sorted(has["category"].unique()):
            rows = []
            for tier in group_tiers:
                x = int(with_cat_in.get((group, category, tier), 0))
                k = int(with_cat.get((tier, category), 0))
                rows.append((tier, x, int(units_at[tier]), k, int(units_in[(tier, group)])))
            if not any(k for _, _, _, k, _ in rows):
                continue
            pairs.append((group, category, stratified_exact_p([r[1:] for r in rows]), rows))
    return pairs


def wilson(x: int, n: int) -> tuple[float, float]:
    """95% Wilson interval of the share ``x / n`` ((0, 1) when ``n`` is 0)."""
    if not n:
        return 0.0, 1.0
    low, high = binomtest(x, n).proportion_ci(method="wilson")
    return float(low), float(high)


def tier_shows(x: int, total: int, k: int, n: int, min_orgs: int = 2) -> bool:
    """Whether a tier shows a hit: at least ``min_orgs`` of the group's units there have the category and
    the interval of their share lies above the share among the tier's other units (the pooled test has
    already decided that there is a hit; this says where)."""
    others = total - n
    return x >= min_orgs and others > 0 and wilson(x, n)[0] > (k - x) / others


def smallest_p(rows: list[tuple]) -> float:
    """The smallest p-value a pair could reach with its margins: every unit that could have the category
    is in the group, at every tier. It depends on the margins alone, not on the group's own count."""
    return float(np.prod([hypergeom.pmf(min(k, n), total, k, n) for _, _, total, k, n in rows]))


def tarone_family(smallest: list[float] | np.ndarray, fdr: float) -> np.ndarray:
    """Which tests stay in the family: those whose smallest reachable p-value is at most ``fdr / k``, for
    the smallest ``k`` at which no more than ``k`` tests are left (Tarone 1990)."""
    low = np.asarray(smallest, dtype=float)
    if not len(low):
        return np.zeros(0, dtype=bool)
    k = next(k for k in range(1, len(low) + 1) if int((low <= fdr / k).sum()) <= k)
    return low <= fdr / k


def discrete_bh(p_values: list[float], smallest: list[float], fdr: float) -> np.ndarray:
    """Benjamini–Hochberg for discrete tests, with Tarone's screen (Gilbert 2005): a test whose smallest
    reachable p-value is above ``fdr / k`` can never be rejected among ``k`` tests, so it is left out of
    the family (its q-value is 1); ``k`` is the smallest count for which at most ``k`` tests could be.
    The screen reads the margins only, so it keeps the false-discovery rate.

    Examples
    --------
    >>> discrete_bh([0.001, 0.5, 0.6], [0.0001, 0.2, 0.3], 0.05).round(3).tolist()
    [0.001, 1.0, 1.0]
    """
    p, low = np.asarray(p_values, dtype=float), np.asarray(smallest, dtype=float)
    q = np.ones(len(p))
    if not len(p):
        return q
    testable = tarone_family(low, fdr)
    if testable.any():
        q[testable] = false_discovery_control(p[testable], method="bh")
    return q


def detect_systemic_problems(
    view: GraphView,
    *,
    fdr: float = 0.05,
    min_tiers: int = 2,
    min_orgs: int = 2,
    group_by: Literal["system", "region"] = "system",
    as_of: dt.date | str | None = None,
    before: dt.date | str | None = None,
) -> DetectorResult:
    """Find problem categories found in more of one system's (or region subtree's) units than elsewhere.

    Parameters
    ----------
    view : GraphView
    fdr : float
        False discovery rate for Benjamini–Hochberg over every (group, category) pair tested.
    min_tiers : int
        Tiers that must each show the excess on their own for a hit to be cross-tier (at least 2).
    min_orgs : int
        Units with the category, at a tier, for that tier to show it.
    group_by : {"system", "region"}
        Sector systems (``Organisation.system``) or region subtrees (the city part of the region code).
    as_of : date or ISO text, optional
        Judge on this day: findings found after it, and tours begun after it, are not seen.
    before : date or ISO text, optional
        Only findings (and tours) dated strictly before this day (what was known the day before).

    Returns
    -------
    DetectorResult
        One detection per significant (group, category), strongest first; ``kind`` is
        ``cross-tier`` or ``single-tier``.
    """
    if min_tiers < 2:
        raise DetectorError("min_tiers must be at least 2: a problem at one tier is not a cross-tier pattern")
    if not 0 < fdr < 1:
        raise DetectorError("fdr is a false discovery rate between 0 and 1, e.g. 0.05")
    if group_by not in ("system", "region"):
        raise DetectorError('group_by is "system" or "region"')
    limits = [(judged_day(as_of), False)] if as_of is not None else []
    if before is not None:
        try:
            limits.append((pd.Timestamp(before), True))
        except ValueError as exc:
            raise DetectorError(f"before {before!r} is not a date; write it as 2024-12-31") from exc

    def seen(dates: pd.Series) -> pd.Series:
        keep = pd.Series(True, index=dates.index)
        for day, strict in limits:
            keep &= (dates < day) if strict else (dates <= day)
        return keep

    orgs = view.organisations[["name", "tier", "system", "region_code"]].copy()
    if group_by == "region":
        codes = orgs["region_code"].astype("string")
        orgs["group"] = codes.where(codes.str.len() == 6).str.slice(0, 4) + "00"
        orgs.loc[orgs["tier"] == "province", "group"] = pd.NA  # the province is above every subtree
    else:
        orgs["group"] = orgs["system"]
    findings = view.findings.dropna(subset=["organisation", "category"])
    findings = findings[seen(pd.to_datetime(findings["found_date"]))] if limits else findings
    f = findings.merge(orgs[["tier", "group"]], left_on="organisation", right_index=True, how="inner")
    f = f.dropna(subset=["tier", "group"])
    # The units inspected: those a tour (begun by the day judged) inspected, and those with findings.
    units = set(f["organisation"])
    inspected = view.inspected
    if len(inspected):
        tours = view.tours.set_index("tour")["start_date"] if len(view.tours) else pd.Series(dtype="datetime64[ns]")
        started = pd.to_datetime(inspected["tour"].map(tours))
        keep = seen(started) | started.isna() if limits else pd.Series(True, index=inspected.index)
        units |= set(inspected.loc[keep, "organisation"])
    population = orgs.loc[orgs.index.isin(units)].dropna(subset=["tier", "group"])
    stats = {"findings": len(findings), "findings_with_tier_and_group": len(f), "units": len(population)}
    params = {
        "fdr": fdr,
        "min_tiers": min_tiers,
        "min_orgs": min_orgs,
        "group_by": group_by,
        "as_of": iso(as_of),
        "before": iso(before),
    }
    comparable = population.groupby("tier")["group"].nunique()
    tiers = [t for t in comparable.index if comparable[t] >= 2]  # a tier of one group compares with nothing
    f = f[f["tier"].isin(tiers)]
    pairs = pair_tests(population.rename_axis("organisation").reset_index(), f[["organisation", "category"]])
    stats["pairs_tested"] = len(pairs)
    if not pairs:
        return DetectorResult(NAME, [], params=params, stats=stats)
    smallest = [smallest_p(rows) for *_, rows in pairs]
    q = discrete_bh([p for _, _, p, _ in pairs], smallest, fdr)
    stats["pairs_testable"] = int(tarone_family(smallest, fdr).sum())
    detections = []
    by_org_cat = f.groupby(["organisation", "category"])
    for (group, category, p, rows), q_value in zip(pairs, q, strict=True):
        if q_value > fdr:
            continue
        detections.append(
            _detection(
                view, f, by_org_cat, group_by, group, category, p, float(q_value), rows, fdr, min_tiers, min_orgs
            )
        )
    detections.sort(key=lambda d: (-d.score, d.subject))
    return DetectorResult(NAME, detections, params=params, stats=stats)


def _detection(
    view: GraphView,
    f: pd.DataFrame,
    by_org_cat: Any,
    group_by: str,
    group: str,
    category: str,
    p: float,
    q_value: float,
    rows: list[tuple],
    fdr: float,
    min_tiers: int,
    min_orgs: int,
) -> Detection:
    """One hit: per tier its share with a 95% Wilson interval, the comparable share and its own p-value;
    cross-tier when ``min_tiers`` tiers show it on their own, single-tier otherwise."""
    per_tier = {}  # rows come in tier order (pair_tests)
    showing = []
    for tier, x, total, k, n in rows:
        others = total - n
        expected = n * (k - x) / others if others else 0.0
        low, high = wilson(x, n)
        tier_p = float(hypergeom.sf(x - 1, total, k, n)) if x > 0 else 1.0
        per_tier[tier] = {
            "units": n,
            "units_with": x,
            "share": round(x / n, 4) if n else 0.0,
            "share_ci": [round(float(low), 4), round(float(high), 4)],
            "comparable_share": round((k - x) / others, 4) if others else None,
            "expected": round(expected, 2),
            "p": tier_p,
        }
        if tier_shows(x, total, k, n, min_orgs):
            showing.append(tier)
    kind = "cross-tier" if len(showing) >= min_tiers else "single-tier"
    hit = f[(f["group"] == group) & (f["category"] == category)]
    affected = {
        tier: tuple(sorted(hit.loc[hit["tier"] == tier, "organisation"].unique()))
        for tier, *_ in rows
        if (hit["tier"] == tier).any()
    }
    observed = sum(r[1] for r in rows)
    expected = sum(v["expected"] for v in per_tier.values())
    ratio = observed / expected if expected > 0 else float("inf")
    group_name = view.system_name(group) if group_by == "system" else (region_name(group) or group)
    category_name = view.category_name(category)
    evidence = [
        Evidence(
            say("systemic.tier_role", tier=tier_name(tier), units_with=v["units_with"], units=v["units"]),
            "Screen",
            f"{group}|{category}|{tier}",
            say(
                "systemic.tier_text",
                share=f"{v['share']:.0%}",
                low=f"{v['share_ci'][0]:.0%}",
                high=f"{v['share_ci'][1]:.0%}",
                others=f"{(v['comparable_share'] or 0):.0%}",
                p=f"{v['p']:.2g}",
            ),
        )
        for tier, v in per_tier.items()
        if v["units"]
    ]
    for tier, org_ids in affected.items():
        for org in org_ids[:3]:
            example = by_org_cat.get_group((org, category)).sort_values("found_date").iloc[0]
            evidence.append(
                Evidence(
                    say("systemic.example", tier=tier_name(tier)),
                    "Finding",
                    example["finding"],
                    str(
                        example.get("description")
                        or say("systemic.example_text", unit=view.name_of("Organisation", org), category=category_name)
                    ),
                    iso(example["found_date"]),
                )
            )
    tiers_text = term("word.and").join(
        tier_name(t) for t in (showing or [max(per_tier, key=lambda t: per_tier[t]["share"])])
    )
    summary = say(
        "systemic.summary",
        group=group_name,
        kind=term(f"kind.{kind}"),
        category=category_name,
        tiers=tiers_text,
        observed=observed,
        expected=f"{expected:.1f}",
        ratio=f"{ratio:.1f}",
        q=f"{q_value:.2g}",
    )
    return Detection(
        detector=NAME,
        kind=kind,
        subject=f"{group}|{category}",
        score=round(float(-np.log10(max(q_value, 1e-300))), 3),
        summary=summary,
        where={
            "organisations": tuple(sorted({o for ids in affected.values() for o in ids})),
            "findings": tuple(sorted(hit["finding"])),
        },
        evidence=tuple(evidence),
        details={
            group_by: group,
            "category": category,
            "tiers": showing,
            "p_value": float(p),
            "q_value": q_value,
            "ratio": round(ratio, 3) if np.isfinite(ratio) else None,
            "units_with": observed,
            "expected_units": round(expected, 2),
            "organisations_by_tier": {t: list(ids) for t, ids in affected.items()},
            "per_tier": per_tier,
        },
    )

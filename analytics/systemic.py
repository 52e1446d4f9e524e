"""Systemic problems (共性问题, 系统性问题): a category over-represented in one system at two or more tiers.

The Shaoxing case is the archetype: the same bonus-payment problem across
the supply-and-marketing system at province, city and district. The test,
for every sector system *S* and problem category *c*:

1. **Per tier.** Among the findings at one tier (province, city, county ...),
   is *c* more common in *S* than in the other systems of that tier? A
   one-sided hypergeometric test (Fisher's exact test, with Lancaster's
   mid-p, which is less conservative for small counts) against the base rate
   of the comparable organisations: those of the same tier in other systems.
2. **Across tiers.** "Over-represented at two or more tiers" is a partial
   conjunction hypothesis (Benjamini & Heller 2008): its p-value, by Simes'
   rule, is ``min over i >= u of (n - u + 1) / (i - u + 1) * p_(i)`` for the
   ``n`` tiers' sorted p-values and ``u = min_tiers``.
3. **Many tests.** Benjamini–Hochberg over all (system, category) pairs
   tested, at false discovery rate ``alpha``.

A pair is tested only with minimum support: at least ``min_orgs`` distinct
organisations with the category in the system at ``min_tiers`` tiers or
more (below that it could not be called systemic whatever its p-value).
Each detection lists the affected organisations per tier, the counts
against the expected counts, and the example findings.

``group_by="region"`` asks the same question of region subtrees (a city and
the counties under it) instead of sector systems.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, hypergeom

from .base import Detection, DetectorError, DetectorResult, Evidence, iso
from .graphview import GraphView

__all__ = ["detect_systemic_problems", "partial_conjunction_p"]

NAME = "systemic-problems"
TIER_ORDER = ("province", "city", "county", "township", "village")


def partial_conjunction_p(p_values: list[float] | np.ndarray, u: int) -> float:
    """Simes partial-conjunction p-value: evidence that at least ``u`` of the ``n`` hypotheses are false.

    Examples
    --------
    >>> round(partial_conjunction_p([0.001, 0.002, 0.6], 2), 4)
    0.004
    """
    p = np.sort(np.asarray(p_values, dtype=float))
    n = len(p)
    if n < u:
        return 1.0
    i = np.arange(u, n + 1)
    return float(min(1.0, np.min((n - u + 1) / (i - u + 1) * p[i - 1])))


def _mid_p(k: int, total: int, with_category: int, in_group: int) -> float:
    # P(X > k) + P(X = k) / 2 for X ~ Hypergeometric(total, with_category, in_group).
    if k <= 0:
        return 1.0
    return float(
        hypergeom.sf(k, total, with_category, in_group) + 0.5 * hypergeom.pmf(k, total, with_category, in_group)
    )


def detect_systemic_problems(
    view: GraphView,
    *,
    alpha: float = 0.05,
    min_tiers: int = 2,
    min_orgs: int = 2,
    group_by: Literal["system", "region"] = "system",
    before: dt.date | str | None = None,
) -> DetectorResult:
    """Find problem categories over-represented in one system (or region subtree) across tiers.

    Parameters
    ----------
    view : GraphView
    alpha : float
        False discovery rate for Benjamini–Hochberg.
    min_tiers : int
        Tiers at which the category must be over-represented (at least 2).
    min_orgs : int
        Distinct organisations with the category, per tier, for a tier to count as support.
    group_by : {"system", "region"}
        Sector systems (``Organisation.system``) or region subtrees (the city part of the region code).
    before : date or ISO text, optional
        Use only findings dated before this day (to ask what was known then).

    Returns
    -------
    DetectorResult
        One detection per significant (group, category), strongest first.
    """
    if min_tiers < 2:
        raise DetectorError("min_tiers must be at least 2: a problem at one tier is not a cross-tier pattern")
    if not 0 < alpha < 1:
        raise DetectorError("alpha is a false discovery rate between 0 and 1, e.g. 0.05")
    if group_by not in ("system", "region"):
        raise DetectorError('group_by is "system" or "region"')
    orgs = view.organisations[["name", "tier", "system", "region_code"]].copy()
    if group_by == "region":
        codes = orgs["region_code"].astype("string")
        orgs["group"] = codes.where(codes.str.len() == 6).str.slice(0, 4) + "00"
        orgs.loc[orgs["tier"] == "province", "group"] = pd.NA  # the province is above every subtree
    else:
        orgs["group"] = orgs["system"]
    findings = view.findings.dropna(subset=["organisation", "category"])
    if before is not None:
        findings = findings[findings["found_date"] < pd.Timestamp(before)]
    f = findings.merge(orgs[["tier", "group"]], left_on="organisation", right_index=True, how="inner")
    f = f.dropna(subset=["tier"])
    tests: list[dict] = []
    for tier, at_tier in f.groupby("tier", sort=False):
        grouped = at_tier.dropna(subset=["group"])
        if grouped["group"].nunique() < 2:
            continue  # no comparable organisations at this tier
        counts = grouped.groupby(["group", "category"]).size()
        org_counts = grouped.groupby(["group", "category"])["organisation"].nunique()
        per_group = grouped.groupby("group").size()
        per_category = grouped.groupby("category").size()
        total = len(grouped)
        for (group, category), k in counts.items():
            n_group, n_cat = int(per_group[group]), int(per_category[category])
            tests.append(
                {
                    "group": group,
                    "category": category,
                    "tier": tier,
                    "k": int(k),
                    # At the rate of the comparable organisations: the same tier, other groups.
                    "expected": n_group * (n_cat - int(k)) / max(total - n_group, 1),
                    "orgs": int(org_counts[(group, category)]),
                    "findings_in_group": n_group,
                    "p": _mid_p(int(k), total, n_cat, n_group),
                }
            )
    table = pd.DataFrame(tests)
    stats = {"findings": len(findings), "findings_with_tier_and_group": int(f["group"].notna().sum())}
    params = {"alpha": alpha, "min_tiers": min_tiers, "min_orgs": min_orgs, "group_by": group_by, "before": iso(before)}
    if table.empty:
        return DetectorResult(NAME, [], params=params, stats={**stats, "pairs_tested": 0})
    # Tiers where the group has findings but none of this category count too (their p-value is 1).
    tiers_of_group = f.dropna(subset=["group"]).groupby("group")["tier"].agg(lambda s: sorted(set(s)))
    pairs = []
    for (group, category), rows in table.groupby(["group", "category"], sort=True):
        if int((rows["orgs"] >= min_orgs).sum()) < min_tiers:
            continue
        p_by_tier = dict(zip(rows["tier"], rows["p"], strict=True))
        ps = [p_by_tier.get(t, 1.0) for t in tiers_of_group[group]]
        pairs.append((group, category, partial_conjunction_p(ps, min_tiers), rows))
    stats["pairs_tested"] = len(pairs)
    if not pairs:
        return DetectorResult(NAME, [], params=params, stats=stats)
    q = false_discovery_control([p for _, _, p, _ in pairs], method="bh")
    detections = []
    by_org_cat = f.groupby(["organisation", "category"])
    for (group, category, p, rows), q_value in zip(pairs, q, strict=True):
        if q_value > alpha:
            continue
        rows = rows.assign(order=rows["tier"].map({t: i for i, t in enumerate(TIER_ORDER)})).sort_values("order")
        over = rows[(rows["p"] <= alpha) & (rows["orgs"] >= min_orgs)]
        hit = f[(f["group"] == group) & (f["category"] == category)]
        affected = {tier: tuple(sorted(hit.loc[hit["tier"] == tier, "organisation"].unique())) for tier in over["tier"]}
        evidence = [
            Evidence(
                f"over-represented at {r.tier} tier",
                "Screen",
                f"{group}|{category}|{r.tier}",
                f"{r.k} findings where {r.expected:.1f} expected from comparable organisations "
                f"({r.orgs} organisations; mid-p {r.p:.2g})",
            )
            for r in over.itertuples(index=False)
        ]
        for tier, org_ids in affected.items():
            for org in org_ids[:3]:
                example = by_org_cat.get_group((org, category)).sort_values("found_date").iloc[0]
                evidence.append(
                    Evidence(
                        f"example at {tier} tier",
                        "Finding",
                        example["finding"],
                        str(
                            example.get("description")
                            or f"{view.name_of('Organisation', org)}: {view.category_name(category)}"
                        ),
                        iso(example["found_date"]),
                    )
                )
        ratio = float(over["k"].sum() / max(over["expected"].sum(), 1e-9)) if len(over) else 0.0
        detections.append(
            Detection(
                detector=NAME,
                kind=f"systemic-by-{group_by}",
                subject=f"{group}|{category}",
                score=round(float(-np.log10(max(q_value, 1e-300))), 3),
                summary=f"{view.category_name(category)} over-represented in "
                f"{view.system_name(group) if group_by == 'system' else group} at {len(over)} tiers "
                f"({', '.join(over['tier'])}): {int(over['k'].sum())} findings, {ratio:.1f}x the comparable rate",
                where={
                    "organisations": tuple(sorted({o for ids in affected.values() for o in ids})),
                    "findings": tuple(sorted(hit.loc[hit["tier"].isin(list(affected)), "finding"])),
                },
                evidence=tuple(evidence),
                details={
                    group_by: group,
                    "category": category,
                    "tiers": list(over["tier"]),
                    "p_value": float(p),
                    "q_value": float(q_value),
                    "ratio": round(ratio, 3),
                    "organisations_by_tier": {t: list(ids) for t, ids in affected.items()},
                    "per_tier": {
                        r.tier: {"findings": r.k, "expected": round(r.expected, 2), "organisations": r.orgs, "p": r.p}
                        for r in rows.itertuples(index=False)
                    },
                },
            )
        )
    return DetectorResult(NAME, detections, params=params, stats=stats)

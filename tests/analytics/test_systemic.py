"""Systemic problems: a category found in more of one system's units at two tiers is found, as a cross-tier
hit; the same excess at one tier only (bait) is at most a single-tier hit; units' own mix of categories,
found several times each, is not a systemic problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import DetectorError, GraphView
from analytics.systemic import detect_systemic_problems, discrete_bh, pair_tests, smallest_p, stratified_exact_p

from .builders import GraphBuilder

CATEGORIES = ["A01", "A02", "B01", "B02", "C01"]
SYSTEMS = ("supply_marketing", "education", "health", "transport")


def _world(backend, future: bool = False):
    g = GraphBuilder()
    for tier in ("city", "county"):
        for system in SYSTEMS:
            for i in range(6):
                org = g.org(f"org:{tier}:{system}:{i}", tier=tier, system=system)
                # Background: each unit has two categories, the same mix in every system, each found three
                # times (a tour finds one unit's problem again and again).
                for category in (CATEGORIES[i % 5], CATEGORIES[(i + 1) % 5]):
                    for n in range(3):
                        g.finding(org, category, f"2022-0{1 + n}-10")
                if system == "supply_marketing":
                    # PLANTED: bonus payments (C01) at every supply-and-marketing unit, at both tiers.
                    g.finding(org, "C01", "2022-10-10")
                if system == "education" and tier == "county":
                    # BAIT: an excess at one tier only is no cross-tier pattern.
                    g.finding(org, "B02", "2022-10-11")
                if future and system == "health":
                    # After the day judged: must change nothing.
                    for n in range(3):
                        g.finding(org, "A01", f"2024-0{1 + n}-10")
    return GraphView(g.write(backend))


def test_systemic_problem_across_tiers_and_not_the_bait(backend):
    result = detect_systemic_problems(_world(backend))
    cross = [(d.details["system"], d.details["category"]) for d in result if d.kind == "cross-tier"]
    assert cross == [("supply_marketing", "C01")]
    found = next(d for d in result if d.kind == "cross-tier")
    assert found.details["tiers"] == ["city", "county"]
    assert len(found.details["organisations_by_tier"]["city"]) == 6
    assert found.details["per_tier"]["city"]["units_with"] == 6 and found.details["per_tier"]["city"]["units"] == 6
    low, high = found.details["per_tier"]["county"]["share_ci"]
    assert low > found.details["per_tier"]["county"]["comparable_share"] and high == 1.0
    assert found.details["q_value"] < 0.05 and found.details["ratio"] > 2
    assert "供销" in found.summary or "supply_marketing" in found.summary
    assert found.evidence[0].label == "Screen" and any(e.label == "Finding" for e in found.evidence)
    # The bait is at most a single-tier hit, never a cross-tier one; nothing else is found.
    assert {(d.details["system"], d.details["category"]) for d in result if d.kind != "cross-tier"} <= {
        ("education", "B02")
    }
    assert all(
        d.kind == "single-tier" and d.details["tiers"] in ([], ["county"]) for d in result if d.kind != "cross-tier"
    )
    assert result.stats["pairs_tested"] == len(SYSTEMS) * len(CATEGORIES)


def test_findings_after_the_day_judged_change_nothing(backend):
    view = _world(backend, future=True)
    judged = detect_systemic_problems(view, as_of="2023-12-31")
    assert [(d.subject, d.kind, d.details["per_tier"]) for d in judged] == [
        (d.subject, d.kind, d.details["per_tier"]) for d in detect_systemic_problems(_world_again(backend))
    ]
    assert judged.params["as_of"] == "2023-12-31"


def _world_again(backend):
    backend.clear()
    return _world(backend)


def test_null_worlds_keep_the_false_discovery_rate():
    # Units have their own mix (Dirichlet 0.3 per category, 8-20 findings each); systems do not differ.
    # Every hit is a false discovery; BH promises an expected share of at most 5% per world with hits,
    # so over worlds the mean false-discovery proportion (here: 1 when anything is found) stays near 0.05.
    rng = np.random.default_rng(7)
    worlds, with_any = 60, 0
    for _ in range(worlds):
        units, found = _null_world(rng)
        pairs = pair_tests(units, found)
        q = discrete_bh([p for *_, p, _ in pairs], [smallest_p(rows) for *_, rows in pairs], 0.05)
        with_any += bool((q <= 0.05).any())
    assert with_any / worlds <= 0.1  # FDR = FWER under the complete null; 0.05 nominal, slack for 60 worlds


def _null_world(rng, systems: int = 6, per_tier=(5, 12), categories: int = 12):
    units, found = [], []
    for tier, n in zip(("city", "county"), per_tier, strict=True):
        for s in range(systems):
            for i in range(n):
                org = f"{tier}:{s}:{i}"
                units.append((org, tier, f"s{s}"))
                mix = rng.dirichlet(0.3 * np.ones(categories))
                for c in rng.choice(categories, size=rng.integers(8, 21), p=mix):
                    found.append((org, f"c{c}"))
    return (
        pd.DataFrame(units, columns=["organisation", "tier", "group"]),
        pd.DataFrame(found, columns=["organisation", "category"]),
    )


def test_stratified_exact_p_is_the_tail_of_the_summed_hypergeometrics():
    # Two strata of (x, N, K, n): by enumeration over both hypergeometrics.
    from scipy.stats import hypergeom

    strata = [(2, 10, 4, 3), (1, 8, 2, 4)]
    exact = sum(
        hypergeom.pmf(a, 10, 4, 3) * hypergeom.pmf(b, 8, 2, 4) for a in range(4) for b in range(3) if a + b >= 3
    )
    assert stratified_exact_p(strata) == pytest.approx(exact)
    assert stratified_exact_p([(0, 10, 4, 3)]) == 1.0


def test_systemic_bad_parameters(backend):
    view = GraphView(backend)
    with pytest.raises(DetectorError, match="at least 2"):
        detect_systemic_problems(view, min_tiers=1)
    with pytest.raises(DetectorError, match="between 0 and 1"):
        detect_systemic_problems(view, fdr=5)
    with pytest.raises(DetectorError, match="not a date"):
        detect_systemic_problems(view, as_of="last week")
    assert len(detect_systemic_problems(view)) == 0  # an empty graph finds nothing, without error

"""Systemic problems: a category over-represented in one system at two tiers is found; the same
excess at one tier only (bait), and ordinary variation, are not."""

from __future__ import annotations

import pytest

from analytics import DetectorError, GraphView
from analytics.systemic import detect_systemic_problems, partial_conjunction_p

from .builders import GraphBuilder

CATEGORIES = ["A01", "A02", "B01", "B02", "C01"]


def _world(backend):
    g = GraphBuilder()
    for tier in ("city", "county"):
        for system in ("supply_marketing", "education", "health", "transport"):
            for i in range(6):
                org = g.org(f"org:{tier}:{system}:{i}", tier=tier, system=system)
                # Background: every organisation has two findings of every category.
                for n, category in enumerate(CATEGORIES * 2):
                    g.finding(org, category, f"2022-0{1 + n % 9}-10")
                if system == "supply_marketing":
                    # PLANTED: bonus payments (C01) across the supply-and-marketing system at both tiers.
                    for n in range(4):
                        g.finding(org, "C01", f"2022-10-1{n}")
                if system == "education" and tier == "county":
                    # BAIT: an excess at one tier only is no cross-tier pattern.
                    for n in range(4):
                        g.finding(org, "B02", f"2022-10-1{n}")
    return GraphView(g.write(backend))


def test_systemic_problem_across_tiers_and_not_the_bait(backend):
    result = detect_systemic_problems(_world(backend))
    assert [(d.details["system"], d.details["category"]) for d in result] == [("supply_marketing", "C01")]
    found = result.detections[0]
    assert found.details["tiers"] == ["city", "county"]
    assert len(found.details["organisations_by_tier"]["city"]) == 6
    assert found.details["q_value"] < 0.05 and found.details["ratio"] > 2
    assert found.evidence[0].label == "Screen" and any(e.label == "Finding" for e in found.evidence)
    assert result.stats["pairs_tested"] >= 20  # every system x category with support was tested


def test_systemic_bad_parameters(backend):
    view = GraphView(backend)
    with pytest.raises(DetectorError, match="at least 2"):
        detect_systemic_problems(view, min_tiers=1)
    with pytest.raises(DetectorError, match="between 0 and 1"):
        detect_systemic_problems(view, alpha=5)
    assert len(detect_systemic_problems(view)) == 0  # an empty graph finds nothing, without error


@pytest.mark.parametrize(
    "ps, u, expected",
    [
        ([0.001, 0.002, 0.6], 2, 0.004),  # two small p-values: evidence for two tiers
        ([0.001, 0.6, 0.7], 2, 0.7),  # one small p-value: no evidence for two
        ([0.01, 0.02], 2, 0.02),
        ([0.01], 2, 1.0),  # fewer tiers than asked for
    ],
)
def test_partial_conjunction(ps, u, expected):
    assert partial_conjunction_p(ps, u) == pytest.approx(expected)

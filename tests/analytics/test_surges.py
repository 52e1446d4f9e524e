"""Surges: a region whose findings jump far beyond its own past, scaled by everyone else's change, is
found in the year it jumps; regions growing with the province, and a surged region that stays high, are
not; later records change nothing; on null worlds the false-discovery rate holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

from analytics import DetectorError, GraphView
from analytics.surges import detect_surges, surge_tests

from .builders import GraphBuilder

# Thirty counties: the overdispersion is learnt from at least 30 earlier one-step predictions.
REGIONS = ["330110", *(f"3301{i:02d}" for i in range(40, 69))]
# Findings per year: the province doubles from 2020 to 2024; 330110 (余杭) jumps fivefold in 2023 and stays.
GROWTH = {2020: 1.0, 2021: 1.2, 2022: 1.5, 2023: 1.7, 2024: 2.0}
SURGE, SURGE_YEAR = "330110", 2023


def _counts(region: str, year: int) -> int:
    base = 4 + REGIONS.index(region) % 3  # each region its own level
    count = round(base * GROWTH[year])
    if region == SURGE and year >= SURGE_YEAR:
        count *= 5
    return count


def _world(backend, future: bool = False):
    g = GraphBuilder()
    for region in REGIONS:
        org = g.org(f"org:{region}", tier="county", system="education", region=region)
        for year in GROWTH:
            for n in range(_counts(region, year)):
                g.finding(org, "A01", f"{year}-{1 + n % 12:02d}-15")
        if future:
            for n in range(40):  # after the day judged: must change nothing
                g.finding(org, "A01", f"2025-0{1 + n % 9}-15")
    return GraphView(g.write(backend))


def test_the_surge_is_found_in_the_year_it_jumps_and_nothing_else(backend):
    result = detect_surges(_world(backend))
    assert [(d.details["region_code"], d.details["period"]) for d in result] == [(SURGE, str(SURGE_YEAR))]
    hit = result.detections[0]
    assert hit.details["observed"] == _counts(SURGE, SURGE_YEAR)
    assert hit.details["expected"] == pytest.approx(_counts(SURGE, 2022) * 1.7 / 1.5, rel=0.15)
    assert "余杭" in hit.summary and "330110" not in hit.summary
    assert hit.evidence[0].label == "Screen" and any(e.label == "Finding" for e in hit.evidence)
    assert result.stats["tests"] == len(REGIONS) * 2  # 2023 and 2024: the years with 30 predictions behind them


def test_later_records_change_nothing(backend):
    judged = detect_surges(_world(backend, future=True), as_of="2024-12-31")
    backend.clear()
    plain = detect_surges(_world(backend))
    assert [(d.subject, d.details["observed"], d.details["expected"]) for d in judged] == [
        (d.subject, d.details["observed"], d.details["expected"]) for d in plain
    ]


def test_bad_parameters(backend):
    view = GraphView(backend)
    with pytest.raises(DetectorError, match="between 0 and 1"):
        detect_surges(view, fdr=2)
    with pytest.raises(DetectorError, match="not a date"):
        detect_surges(view, as_of="soon")
    with pytest.raises(DetectorError, match="period"):
        detect_surges(view, period="month")  # type: ignore[arg-type]
    assert len(detect_surges(view)) == 0  # an empty graph finds nothing, without error


def _null_counts(rng: np.random.Generator, regions: int = 30, periods: int = 8, phi: float = 2.0) -> pd.DataFrame:
    # Every region follows the province's trend; counts negative binomial with variance phi * mean.
    level = rng.lognormal(np.log(15), 0.6, regions)
    trend = np.cumprod(np.r_[1.0, rng.uniform(0.9, 1.5, periods - 1)])
    mean = level[:, None] * trend[None, :]
    size = mean / (phi - 1)
    counts = rng.negative_binomial(size, 1 / phi)
    return pd.DataFrame(
        counts, index=[f"r{i}" for i in range(regions)], columns=[str(2015 + t) for t in range(periods)]
    )


def test_null_worlds_keep_the_false_discovery_rate():
    rng = np.random.default_rng(3)
    worlds, with_any = 60, 0
    for _ in range(worlds):
        tests = surge_tests(_null_counts(rng))
        with_any += bool((false_discovery_control(tests["p"].to_numpy(), method="bh") <= 0.05).any())
    assert with_any / worlds <= 0.1  # nominal 0.05 (FDR = FWER under the complete null), slack for 60 worlds

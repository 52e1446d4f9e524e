"""What the HTML briefing says, checked on its figures and page (no browser): systemic marks only at the
tiers where a problem was found, rings labelled by name with a legend by role, findings apart from rankings on
a log axis, leads and rectification in the catalogue's words, counts as whole numbers and offices by name."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from analytics import GraphView, run_detectors
from analytics.base import Detection, DetectorResult, Evidence
from analytics.report import report_figures, write_html_report
from analytics.terms import enum_label, record_keys, term, tier_name


@pytest.fixture(scope="module")
def view(tiny_world):
    return GraphView(tiny_world.backend)


@pytest.fixture(scope="module")
def results(view):
    return run_detectors(view, as_of="2024-12-31", errors="keep")


def _systemic(view: GraphView, tiers: list[str]) -> DetectorResult:
    f = view.findings.merge(view.organisations[["tier", "system"]], left_on="organisation", right_index=True)
    row = f.dropna(subset=["tier", "system", "category"]).iloc[0]
    details = {
        "system": row["system"],
        "category": row["category"],
        "tiers": tiers,
        "per_tier": {t: {"share": 0.5} for t in ("province", "city", "county")},
    }
    detection = Detection(
        "systemic-problems", "cross-tier", f"{row['system']}|{row['category']}", 3.0, "共性问题", details=details
    )
    return DetectorResult("systemic-problems", [detection])


def _ring(view: GraphView) -> DetectorResult:
    bids = view.bids.merge(view.tenders[["tender", "buyer"]], on="tender")
    shared = bids.groupby("tender")["company"].nunique()
    tenders = sorted(shared[shared >= 2].index)[:3]
    companies = sorted(set(bids.loc[bids["tender"].isin(tenders), "company"]))
    buyers = set(bids.loc[bids["tender"].isin(tenders), "buyer"].dropna())
    cadre = view.posts.loc[view.posts["organisation"].isin(buyers), "person"].iloc[0]
    buyer_tender = bids.loc[bids["buyer"].isin(view.posts.loc[view.posts["person"] == cadre, "organisation"]), "tender"]
    detection = Detection(
        "bid-rings",
        "bid-ring",
        "ring:" + companies[0],
        5.0,
        "团伙",
        where={"companies": tuple(companies), "tenders": tuple(tenders), "cadres": (cadre,)},
        evidence=tuple(Evidence("成员同场投标", "Tender", t, "同场投标") for t in tenders),
        details={"cadres_at_buyers": {cadre: sorted(set(buyer_tender) & set(tenders))}},
    )
    return DetectorResult("bid-rings", [detection])


def _traces_in_row(fig: go.Figure, row: int) -> list[go.Scatter]:
    axis = "y" if row == 1 else f"y{row}"
    return [t for t in fig.data if isinstance(t, go.Scatter) and t.yaxis == axis]


def test_heatmap_marks_a_systemic_problem_only_at_the_tiers_where_it_was_found(view):
    fig = report_figures(view, {"systemic-problems": _systemic(view, ["city"])})[term("detector.systemic-problems")]
    titles = [a.text for a in fig.layout.annotations]
    assert tier_name("city") in titles and tier_name("county") in titles
    row_of = {text: n for n, text in enumerate(titles, start=1)}
    assert _traces_in_row(fig, row_of[tier_name("city")]), "the city panel is not marked"
    for tier in ("province", "county"):
        if tier_name(tier) in row_of:
            assert not _traces_in_row(fig, row_of[tier_name(tier)]), f"the {tier} panel is marked"
    # Axes in the taxonomy's words, never codes.
    heat = next(t for t in fig.data if isinstance(t, go.Heatmap))
    assert set(heat.x) == {view.category_name(c) for c in view.findings["category"].dropna()} - {""} or not heat.x
    assert not any(re.fullmatch(r"[A-Z]\d\d|[a-z_]+", str(v)) for v in (*heat.x, *heat.y))


def test_a_problem_shown_at_no_single_tier_is_marked_at_its_strongest(view):
    result = _systemic(view, [])
    result.detections[0].details["per_tier"]["city"]["share"] = 0.9  # type: ignore[index]
    fig = report_figures(view, {"systemic-problems": result})[term("detector.systemic-problems")]
    titles = [a.text for a in fig.layout.annotations]
    marked = [titles[n - 1] for n in range(1, len(titles) + 1) if _traces_in_row(fig, n)]
    assert marked == [tier_name("city")]


def test_ring_network_labels_firms_tenders_buyers_and_cadres_by_name(view):
    ring = _ring(view)
    fig = report_figures(view, {"bid-rings": ring})[term("detector.bid-rings")]
    drawn = [t for t in fig.data if t.mode == "markers+text"]
    legend = {t.name for t in drawn if t.showlegend}
    roles = {term(f"report.ring.role.{r}") for r in ("company", "winner", "tender", "buyer", "cadre")}
    assert legend <= roles and term("report.ring.role.tender") in legend and term("report.ring.role.buyer") in legend
    assert term("report.ring.role.cadre") in legend
    names = [n for t in drawn for n in t.hovertext]
    d = ring.detections[0]
    assert {view.name_of("Company", c) for c in d.where["companies"]} <= set(names)
    assert view.name_of("Person", d.where["cadres"][0]) in names
    titles = set(view.tenders.loc[view.tenders["tender"].isin(d.where["tenders"]), "title"])
    assert all(any(n.startswith(t) for n in names) for t in titles)
    assert not record_keys(" ".join(names + [x for t in drawn for x in t.text]))
    assert fig.layout.showlegend is not False


def test_overview_keeps_rankings_apart_on_a_log_axis(view, results):
    fig = report_figures(view, results)[term("report.section.overview")]
    bar = fig.data[0]
    assert fig.layout.xaxis.type == "log"
    assert term("detector.targets") not in bar.y and term("detector.profiles") not in bar.y
    assert set(bar.y) == {
        term(f"detector.{n}") for n, r in results.items() if len(r) and n not in ("targets", "profiles")
    }
    assert list(bar.text) == [str(x) for x in bar.x]


def test_lead_flow_and_rectification_speak_the_catalogue(view, results):
    figures = report_figures(view, results)
    sankey = figures[term("report.section.leads")].data[0]
    labels = set(sankey.node.label)
    sources = {enum_label("Lead", "source", s) for s in view.leads["source"].dropna()}
    outcomes = {enum_label("Lead", "status", s) for s in view.leads["status"].dropna()}
    assert sources | outcomes <= labels
    assert labels - sources - outcomes <= {term("report.leads.transferred"), term("report.leads.kept")}
    assert not any(re.search(r"[a-z]{3,}", label) for label in labels)
    rect = figures[term("report.section.rectification")]
    names = {t.name for t in rect.data}
    assert {term("report.rectification.overdue"), term("report.rectification.unverified")} <= names
    assert sum(sum(t.x) for t in rect.data) == len(view.rectifications)


def test_page_opens_with_what_was_analysed_and_a_section_per_check(view, results, tmp_path):
    targets = DetectorResult(
        "targets",
        [
            Detection(
                "targets",
                "target",
                view.organisations.index[0],
                19.0,
                "对象",
                evidence=(Evidence("风险特征", "Screen", "x", "问题数：19"),),
                details={"relay_to": "330302 巡察办", "tier": "county", "system": None},
            )
        ],
    )
    skipped = DetectorResult("surges", [], skipped="需要发现问题，本图中没有")
    page = write_html_report(view, {**results, "targets": targets, "surges": skipped}, tmp_path / "r.html").read_text(
        encoding="utf-8"
    )
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert "<h1>联动分析简报</h1>" in text and "数据截至2024年12月31日" in text
    for word in ("单位", "发现问题", "问题线索", "招标项目"):
        assert f"<td>{word}</td>" in text
    assert f"<td>{len(view.findings)}</td>" in text
    assert term("report.format.findings") in text  # the sources, by kind
    for name in results:
        assert f"id='check-{name}'" in text and term(f"report.method.{name}") in text
    assert "需要发现问题，本图中没有" in text  # the skipped check says why
    assert "温州市鹿城区巡察办" in text and "330302 巡察办" not in text
    assert "19.0" not in text


def test_english_switch(view, results, tmp_path, monkeypatch):
    monkeypatch.setenv("LIANDONG_LANG", "en")
    page = write_html_report(view, results, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in page and "Cross-tier analysis briefing" in page and "What was analysed" in page

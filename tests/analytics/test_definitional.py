"""Detectors whose pattern is a definition: recurrence, conflict of interest, duplicate leads,
overdue transfers and inspector ties. Each graph below plants what must be found beside near
misses that must not be, and runs on both backends (the answers must be the same)."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import DetectorError, GraphView
from analytics.conflict import detect_conflicts
from analytics.duplicate_leads import detect_duplicate_leads
from analytics.inspector_ties import detect_inspector_ties
from analytics.overdue_transfers import detect_overdue_transfers
from analytics.recurrence import detect_recurrence

from .builders import D, GraphBuilder


def test_recurrence_after_reported_rectification(backend):
    g = GraphBuilder()
    # A is written by two tiers; the resolver made them one organisation (canonical org:330000:A).
    a = g.org("org:330000:A", tier="county")
    a_city = g.org("org:330100:A", canonical="org:330000:A")
    f1 = g.finding(a, "C02", "2020-03-10", key="finding:f1")
    g.rectify(f1, "completed", "2020-07-01", verified=True)
    g.finding(a_city, "C02", "2021-05-01", key="finding:f2")  # FOUND: same category, after the report
    g.finding(a, "B01", "2021-05-01", key="finding:f3")  # not: another category
    # B: rectification still in progress, so a later finding is no recurrence after rectification.
    b = g.org("org:B")
    g1 = g.finding(b, "C02", "2020-03-01", key="finding:g1")
    g.rectify(g1, "in_progress")
    g.finding(b, "C02", "2022-03-01", key="finding:g2")
    # C: the second finding came before the rectification was reported.
    c = g.org("org:C")
    h1 = g.finding(c, "C02", "2020-03-01", key="finding:h1")
    g.rectify(h1, "completed", "2020-07-01")
    g.finding(c, "C02", "2020-06-01", key="finding:h2")
    # X was merged into Y; the problem came back in Y (FOUND, via the successor).
    x, y = g.org("org:X"), g.org("org:Y")
    g.rel("SUCCEEDED_BY", x, y)
    x1 = g.finding(x, "A01", "2020-03-01", key="finding:x1")
    g.rectify(x1, "completed", "2020-08-01", verified=False)
    g.finding(y, "A01", "2023-04-01", key="finding:y1")
    g.finding(a, "C02", "2026-01-01", key="finding:f9")  # after the day judged below
    view = GraphView(g.write(backend))
    result = detect_recurrence(view, as_of="2025-12-31")
    pairs = {(d.details["first_finding"], d.details["later_finding"]): d for d in result}
    assert set(pairs) == {("finding:f1", "finding:f2"), ("finding:x1", "finding:y1")}
    sham = pairs[("finding:f1", "finding:f2")]
    assert sham.kind == "sham-rectification" and sham.where["organisations"] == ("org:330000:A",)
    roles = ["首次发现的问题", "报告已完成的整改", "再次发现的问题", "此类问题的基准比例"]
    assert [e.role for e in sham.evidence] == roles
    moved = pairs[("finding:x1", "finding:y1")]
    assert moved.details["successor"] and "承继单位" in [e.role for e in moved.evidence]
    assert sham.score > moved.score  # verified-yet-back and sooner
    frame = result.to_frame()
    assert list(frame["subject"]) == [d.subject for d in result] and len(result.evidence_frame()) == 9
    # Without a day judged, the 2026 finding is a second return of C02 at A: one detection, two pairs.
    everything = {d.subject: d for d in detect_recurrence(view)}
    assert len(everything) == 2
    assert [p["later_finding"] for p in everything["org:330000:A|C02"].details["pairs"]] == ["finding:f2", "finding:f9"]


def test_recurrence_is_weighed_against_its_category_base_rate():
    from analytics.recurrence import category_base_rates

    day = pd.Timestamp
    # Eight units rectified something. C02 came back at 3 of the 4 that rectified it; it turned up at 1 of the
    # 4 that rectified other problems. A01 is everywhere: found after the report at every unit.
    done = pd.DataFrame(
        [(f"u{i}", "C02" if i < 4 else "B01", day("2021-01-01")) for i in range(8)],
        columns=["organisation", "category", "reported_date"],
    )
    later = [(f"u{i}", "C02", day("2022-01-01")) for i in (0, 1, 2, 4)]
    later += [(f"u{i}", "A01", day("2022-01-01")) for i in range(8)]
    later += [(f"u{i}", "B01", day("2022-01-01")) for i in (4,)]
    rates = category_base_rates(pd.DataFrame(later, columns=["organisation", "category", "found_date"]), done)
    c02 = rates.loc["C02"]
    assert (c02["rectified"], c02["back"], c02["others"], c02["turned_up"]) == (4, 3, 4, 1)
    assert c02["recurrence_rate"] == 0.75 and c02["base_rate"] == 0.25
    assert c02["ratio"] == pytest.approx((3.5 / 5) / (1.5 / 5))
    b01 = rates.loc["B01"]
    assert (b01["back"], b01["turned_up"]) == (1, 0)


def test_conflict_of_interest_paths_in_time(backend):
    g = GraphBuilder()
    buyer, other_buyer = g.org("org:B", name="某县卫生健康局"), g.org("org:B2")
    cadre, spouse, stranger = g.person("p:cadre", "王某"), g.person("p:spouse", "李某"), g.person("p:x")
    g.serves(cadre, buyer, "2019-01-01", "2022-12-31", post="局长")
    g.rel("RELATIVE_OF", cadre, spouse, relation="spouse", declared=True)
    firm = g.company("c:firm", "某医疗器械有限公司")
    own = g.company("c:own")
    unrelated = g.company("c:unrelated")
    g.rel("OFFICER_OF", spouse, firm, role="legal_representative")
    g.rel("SHAREHOLDER_OF", cadre, own, share=0.4)
    g.rel("OFFICER_OF", stranger, unrelated, role="manager")
    g.tender("t:1", buyer, "2021-05-01", [(firm, 100.0, True), (unrelated, 110.0, False)])  # FOUND: spouse's firm won
    g.tender("t:2", buyer, "2023-06-01", [(firm, 100.0, True)])  # not: the cadre had left
    g.tender("t:3", other_buyer, "2021-05-01", [(firm, 100.0, True)])  # not: not the cadre's organisation
    g.tender("t:4", buyer, "2020-02-01", [(own, 90.0, False), (unrelated, 80.0, True)])  # FOUND: own firm bid
    result = detect_conflicts(GraphView(g.write(backend)))
    found = {(d.details["cadre"], d.details["company"], d.details["tender"]): d for d in result}
    assert set(found) == {("p:cadre", "c:firm", "t:1"), ("p:cadre", "c:own", "t:4")}
    rel = found[("p:cadre", "c:firm", "t:1")]
    assert rel.kind == "relative-firm" and rel.details["won"] and rel.where["relatives"] == ("p:spouse",)
    assert [e.label for e in rel.evidence] == ["Person", "Person", "Company", "Tender", "Tender"]
    assert found[("p:cadre", "c:own", "t:4")].kind == "own-firm"
    assert rel.score > found[("p:cadre", "c:own", "t:4")].score  # a won tender outranks a lost bid
    # How the relative is related comes from a personal-matters report: secret unless asked for.
    assert rel.details["relation"] == "(secret)"
    assert "配偶" not in rel.summary and all("配偶" not in e.text for e in rel.evidence)
    assert "亲属" in rel.summary  # said without saying how
    revealed = detect_conflicts(GraphView(backend), reveal_secrets=True)
    assert {d.details["relation"] for d in revealed} == {"spouse", "self"}
    shown = next(d for d in revealed if d.details["relation"] == "spouse")
    assert "配偶" in shown.summary and any("配偶" in e.text for e in shown.evidence)


def test_conflict_of_interest_needs_the_role_held_when_the_tender_was_announced(backend):
    g = GraphBuilder()
    buyer = g.org("org:B", name="某县教育体育局")
    cadre, brother = g.person("p:cadre", "张某"), g.person("p:brother", "张某某")
    g.serves(cadre, buyer, "2018-01-01", None, post="党组书记、局长")
    g.rel("RELATIVE_OF", cadre, brother, relation="sibling", declared=True)
    left, joined, held, undated = (g.company(f"c:{k}") for k in ("left", "joined", "held", "undated"))
    g.rel(
        "OFFICER_OF", brother, left, role="legal_representative", start_date=D("2015-01-01"), end_date=D("2019-12-31")
    )
    g.rel("OFFICER_OF", brother, joined, role="manager", start_date=D("2022-01-01"))
    g.rel("SHAREHOLDER_OF", brother, held, share=0.6, start_date=D("2019-06-01"), end_date=D("2023-06-30"))
    g.rel("OFFICER_OF", brother, undated, role="supervisor")
    for firm in (left, joined, held, undated):
        g.tender(f"t:{firm.key[2:]}", buyer, "2021-03-01", [(firm, 100.0, True)])
    g.tender("t:later", buyer, "2025-03-01", [(held, 100.0, True)])  # after the day judged below
    view = GraphView(g.write(backend))
    result = detect_conflicts(view)
    found = {d.details["company"]: d for d in result}
    # NOT: the brother had left 'left' before the tender, and joined 'joined' after it.
    assert set(found) == {"c:held", "c:undated"}
    assert found["c:held"].details["role_start"] == "2019-06-01"
    assert "任职起止日期不详" in found["c:undated"].evidence[2].text
    # 党组书记、局长 is a leading post: it weighs in the score.
    assert found["c:held"].details["leading_post"] and found["c:held"].score == pytest.approx(1.0 + 1.0 + 0.25)
    # As of a day, nothing after it is seen: the 2025 tender and nothing else drops out.
    everything = {d.details["tender"] for d in result}
    judged = {d.details["tender"] for d in detect_conflicts(view, as_of="2024-12-31")}
    assert everything - judged == set() and "t:later" not in judged
    assert {d.details["tender"] for d in detect_conflicts(view, as_of="2020-12-31")} == set()


@pytest.mark.parametrize(
    "title, leading",
    [
        ("党组书记、局长", True),
        ("党委书记", True),
        ("副局长", False),
        ("县长", True),
        ("副主任", False),
        ("主任", True),
        ("办公室主任", False),  # heads an office inside the unit, not the unit
        ("综合科科长", False),
        ("教导主任", False),
        ("纪委书记", False),
        ("副总经理", False),
        ("副局长（主持工作）", True),  # the acting head
        ("董事长兼总经理", True),
        ("科员", False),
        ("一级主任科员", False),
        (None, False),
    ],
)
def test_leading_posts_are_read_from_patterns(title, leading):
    from analytics.conflict import is_leading_post

    assert is_leading_post(title) is leading


def test_duplicate_leads_across_departments(backend):
    g = GraphBuilder()
    d1, d2 = g.org("dept:纪委监委"), g.org("dept:巡察办")
    org, subject, other = g.org("org:O"), g.person("p:s"), g.person("p:other")
    g.lead("l:1", d1, "2022-03-01", org, "C07", subject)
    g.lead("l:2", d2, "2022-03-15", org, "C07", subject)  # FOUND with l:1: same allegation, another department
    g.lead("l:3", d1, "2022-09-05", org, "C07", subject)  # not: months later, same department as l:1
    g.lead("l:4", d2, "2022-03-10", org, "B01", subject)  # not: another category
    g.lead("l:5", d2, "2022-03-12", org, "C07", other)  # not: another person
    g.lead("l:6", d2, "2022-03-02", org, "C07")  # not: names only the unit
    result = detect_duplicate_leads(GraphView(g.write(backend)))
    assert [d.where["leads"] for d in result] == [("l:1", "l:2")]
    assert result.detections[0].where["departments"] == ("dept:纪委监委", "dept:巡察办")
    assert detect_duplicate_leads(GraphView(backend), window_days=10).detections == []
    # As of a day before l:2 was received, the pair is not yet there.
    assert detect_duplicate_leads(GraphView(backend), as_of="2022-03-14").detections == []
    assert [d.where["leads"] for d in detect_duplicate_leads(GraphView(backend), as_of="2022-03-15")] == [
        ("l:1", "l:2")
    ]


def test_overdue_transfers(backend):
    g = GraphBuilder()
    dept, org = g.org("dept:D"), g.org("org:O")
    lead = g.lead("l:1", dept, "2022-01-01", org, "C07")
    g.transfer("t:none", lead, dept, "2022-02-01", "2022-05-01")  # FOUND: no feedback
    g.transfer("t:late", lead, dept, "2022-02-01", "2022-05-01", "2022-05-20")  # FOUND: 19 days late
    g.transfer("t:ok", lead, dept, "2022-02-01", "2022-05-01", "2022-04-20")  # not: on time
    g.transfer("t:future", lead, dept, "2022-11-01", "2023-02-01")  # not: not yet due
    view = GraphView(g.write(backend))
    result = detect_overdue_transfers(view, as_of="2022-12-31")
    assert {d.subject: d.details["days_late"] for d in result} == {"t:none": 244, "t:late": 19}
    assert result.detections[0].kind == "no-feedback" and result.params["as_of"] == "2022-12-31"
    with pytest.raises(DetectorError, match="2024-12-31"):
        detect_overdue_transfers(view, as_of="end of year")


def test_inspector_ties_with_a_swap(backend):
    g = GraphBuilder()
    target, elsewhere = g.org("org:T", name="某镇"), g.org("org:E")
    m, n, q, z, w = (g.person(f"p:{x}") for x in "mnqzw")
    rel_n, rel_z = g.person("p:rel_n"), g.person("p:rel_z")
    g.serves(m, target, "2018-01-01", "2020-12-31")  # FOUND: M once worked at the target
    g.rel("RELATIVE_OF", n, rel_n, relation="sibling", declared=True)
    g.serves(rel_n, target, "2021-01-01")  # FOUND: N's sibling serves there now
    g.serves(q, target, "2023-06-01")  # not: Q's post began after the tour
    g.rel("RELATIVE_OF", z, rel_z, relation="spouse", declared=True)
    g.serves(rel_z, target, "2015-01-01", "2022-01-01")  # not: Z's spouse had left
    g.tour("v:1", "2023-03-01", [target], [(m, "member"), (n, "deputy"), (q, "member"), (z, "member")])
    g.tour("v:2", "2023-03-02", [elsewhere], [(w, "member")])
    result = detect_inspector_ties(GraphView(g.write(backend)))
    found = {(d.details["inspector"], d.kind) for d in result}
    assert found == {("p:m", "former-post"), ("p:n", "relative")}
    tie_m = next(d for d in result if d.details["inspector"] == "p:m")
    assert tie_m.details["swap_with"] == "p:w" and tie_m.details["swap_tour"] == "v:2"
    tie_n = next(d for d in result if d.details["inspector"] == "p:n")
    assert tie_n.details["swap_with"] is None  # no deputy elsewhere in the round
    assert tie_n.where["relatives"] == ("p:rel_n",)
    # As of a day before the tours began, no tour is seen, so no tie.
    assert detect_inspector_ties(GraphView(backend), as_of="2023-02-28").detections == []
    assert len(detect_inspector_ties(GraphView(backend), as_of="2023-03-01")) == 2


def test_an_office_extends_the_leading_posts(tmp_path, monkeypatch):
    from analytics.conflict import LEADING_POSTS_ENV, is_leading_post

    extra = tmp_path / "posts.yaml"
    extra.write_text('patterns:\n  - "负责人"\n', encoding="utf-8")
    assert not is_leading_post("处室负责人")
    monkeypatch.setenv(LEADING_POSTS_ENV, str(extra))
    assert is_leading_post("处室负责人") and is_leading_post("局长")
    extra.write_text("patterns: [\n", encoding="utf-8")  # broken YAML: a clear error, not a traceback
    monkeypatch.setenv(LEADING_POSTS_ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(DetectorError, match="cannot read the leading posts"):
        is_leading_post("局长")

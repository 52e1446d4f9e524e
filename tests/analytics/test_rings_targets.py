"""Bid rings on the graph and on a bid table, the bids CLI, and next-round targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analytics import GraphView
from analytics.bid_rings import detect_bid_rings
from analytics.bids import analyse_bids
from analytics.targets import _relay_office, detect_targets
from cli import main

from .builders import GraphBuilder
from .test_bids import HONEST, RING, planted_ring


def test_the_engine_finds_the_ring_and_nothing_else():
    found = analyse_bids(planted_ring())
    assert [sorted(m) for m in found.rings["members"]] == [sorted(RING)]
    honest_only = planted_ring()
    honest_only = honest_only[~honest_only["bidder"].isin(RING)]
    found = analyse_bids(honest_only)
    assert found.rings.empty  # an honest market: tight tenders happen, rings do not
    assert len(found.pairs) > 100 and not found.pairs["significant"].any()


def _market(g: GraphBuilder, seed: int = 3):
    """A city market: 14 honest firms meet in 40 tenders with spread prices (they meet often: co-bidding alone
    proves nothing); a 3-firm ring takes 8 tenders of one buyer with cover bids 1-3% above the winner, in turn."""
    rng = np.random.default_rng(seed)
    buyer, other = g.org("org:B", name="某县交通运输局"), g.org("org:O")
    honest = [g.company(f"c:h{i:02d}") for i in range(14)]
    ring = [g.company(f"c:r{i}") for i in range(3)]
    for t in range(40):
        chosen = rng.choice(len(honest), size=int(rng.integers(4, 7)), replace=False)
        amounts = rng.uniform(0.8, 0.99, size=chosen.size) * 1e6
        low = int(np.argmin(amounts))
        g.tender(
            f"t:h{t:02d}",
            other if t % 2 else buyer,
            f"2022-{1 + t % 12:02d}-05",
            [(honest[c], float(a), i == low) for i, (c, a) in enumerate(zip(chosen, amounts, strict=True))],
        )
    for t in range(8):
        price = float(rng.uniform(0.94, 0.99) * 1e6)
        winner = t % 3
        g.tender(
            f"t:r{t}",
            buyer,
            f"2023-{1 + t:02d}-10",
            [
                (ring[i], price if i == winner else price * float(rng.uniform(1.01, 1.03)), i == winner)
                for i in range(3)
            ],
        )
    phone = g.node("Phone", "13800000000")
    g.rel("HAS_PHONE", ring[0], phone)
    g.rel("HAS_PHONE", ring[2], phone)
    cadre = g.person("p:director", "局长甲")
    g.serves(cadre, buyer, "2021-01-01", post="局长")
    return ring


def test_bid_ring_on_the_graph_with_its_context(backend):
    g = GraphBuilder()
    ring = _market(g)
    result = detect_bid_rings(GraphView(g.write(backend)))
    assert [d.where["companies"] for d in result] == [tuple(r.key for r in ring)]
    found = result.detections[0]
    assert found.details["rotation"] == 1.0 and found.details["meetings"] == 8
    assert found.details["pair_q_min"] < 0.05 and found.details["side"] == "tight" and found.details["pairs"] == 3
    assert found.details["price_lock"] < 0.5  # covers priced off the winner
    assert found.where["organisations"] == ("org:B",) and found.where["cadres"] == ("p:director",)
    assert [c["kind"] for c in found.details["shared_contacts"]] == ["phone"]
    assert any(e.role == "共用联系电话" for e in found.evidence)
    assert "3家企业" in found.summary and "轮流中标" in found.summary
    # Before the ring's tenders were announced there was no ring to see.
    assert len(detect_bid_rings(GraphView(backend), before="2023-01-01")) == 0
    assert len(detect_bid_rings(GraphView(backend), as_of="2022-12-31")) == 0
    # As of a day after the last tender, the same ring as with no day at all.
    later = detect_bid_rings(GraphView(backend), as_of="2099-12-31")
    assert [d.where["companies"] for d in later] == [d.where["companies"] for d in result]


def test_bids_score_cli(tmp_path):
    table = planted_ring().rename(columns={"tender": "项目编号", "bidder": "投标人", "amount": "投标报价"})
    table["是否中标"] = np.where(table.pop("winner"), "是", "否")
    path = tmp_path / "招投标.csv"
    table.to_csv(path, index=False, encoding="gb18030")
    out = tmp_path / "scores.csv"
    runner = CliRunner()
    spec = "tender=项目编号,bidder=投标人,amount=投标报价,winner=是否中标"
    result = runner.invoke(main, ["bids", "score", str(path), "--columns", spec, "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out, keep_default_na=False)
    assert list(scores.columns) == ["bidder", "score", "ring"]
    assert len(scores) == len(RING) + len(HONEST)
    assert set(scores.loc[scores["ring"] == "R1", "bidder"]) == set(RING)
    assert "price direction: both" in result.output
    # One proven member opens the rest: with R1 known, the other three rank first among the rest.
    known = tmp_path / "已查实.txt"
    known.write_text("# 已查实的围标企业\nR1\nNOT-A-BIDDER\n", encoding="gb18030")
    out_known = tmp_path / "scores_known.csv"
    result = runner.invoke(
        main, ["bids", "score", str(path), "--columns", spec, "--out", str(out_known), "--known", str(known)]
    )
    assert result.exit_code == 0, result.output
    assert "known colluders: 1 of 2 found in the table (not found: NOT-A-BIDDER)" in result.output
    assert "price direction: tight" in result.output  # learned from R1's tenders
    ranked = pd.read_csv(out_known, keep_default_na=False)
    assert list(ranked.columns) == ["bidder", "score", "ring", "known"]
    others = ranked[~ranked["known"]]
    assert set(others.head(3)["bidder"]) == set(RING) - {"R1"}
    empty = tmp_path / "none.txt"
    empty.write_text("# nobody yet\n", encoding="utf-8")
    refused = runner.invoke(main, ["bids", "score", str(path), "--columns", spec, "--known", str(empty)])
    assert refused.exit_code == 1 and "names no bidder" in refused.output
    bad = runner.invoke(main, ["bids", "score", str(path), "--columns", "tender=项目编号,bidder=公司"])
    assert bad.exit_code == 1 and "column(s) not found" in bad.output and "投标人" in bad.output


def test_a_unit_toured_in_the_last_year_waits_unless_new_evidence_arrived(backend):
    """Units toured within rest_months rank after the rest, unless a lead from outside the tours arrived
    since; the summary says which, in words."""
    g = GraphBuilder()
    orgs = _history(g)  # all twelve toured 2021-03-01; four with six leads each before it
    dept = g.org("dept:330102b", region="330102")
    fresh = g.org("org:fresh", tier="county", region="330102")  # never toured, one lead
    g.lead("l:fresh", dept, "2021-05-01", fresh, "C02")
    g.lead("l:new:0", dept, "2021-06-01", orgs[0], "C02")  # after the tour: org 0 is news again
    g.lead("l:tour:1", dept, "2021-03-20", orgs[1], "C02", source="tour")  # the tour's own lead is not news
    view = GraphView(g.write(backend))
    result = detect_targets(view, as_of="2022-01-01", top=None)
    order = [d.subject for d in result.detections]
    assert order[:2] == [orgs[0].key, fresh.key]
    by = {d.subject: d for d in result.detections}
    resting = [o for o in order if by[o].details["resting"]]
    assert set(resting) == {o.key for o in orgs[1:]}  # toured 2021-03-01, nothing new since
    assert order[-len(resting) :] == resting  # after every other unit (the two departments included)
    assert set(resting[:3]) == {o.key for o in orgs[1:4]}  # and among themselves by risk
    assert all(by[o].details["risk"] > by[fresh.key].details["risk"] for o in resting[:3])
    assert by[orgs[1].key].details["resting"] and not by[orgs[0].key].details["resting"]
    assert by[orgs[0].key].details["new_evidence_since"] == {"leads": 1}
    assert "新收到问题线索1条" in by[orgs[0].key].summary
    assert "暂不列为重点" in by[orgs[1].key].summary and "2021年3月1日" in by[orgs[1].key].summary
    assert not by[fresh.key].details["resting"] and "暂不列为重点" not in by[fresh.key].summary
    # With no rest the old order holds: the four risky units first.
    plain = detect_targets(view, as_of="2022-01-01", top=None, rest_months=None)
    assert {d.subject for d in plain.detections[:4]} == {o.key for o in orgs[:4]}
    # Reasons come in words, never feature codes.
    for d in result.detections:
        assert d.details["reasons"] and all(
            not any(c.isascii() and c.isalpha() for c in r) for r in d.details["reasons"]
        )


def _history(g: GraphBuilder):
    """Twelve county units inspected in 2021; the risky ones (many leads) had serious findings then."""
    orgs = []
    dept = g.org("dept:330102", region="330102")
    for i in range(12):
        org = g.org(f"org:{i:02d}", tier="county", region="330102")
        orgs.append(org)
        risky = i < 4
        for n in range(6 if risky else 1):
            g.lead(f"l:{i}:{n}", dept, f"2020-0{1 + n}-01", org, "C02")
    tour = g.tour("v:2021", "2021-03-01", orgs, [])
    for i, org in enumerate(orgs):
        g.finding(org, "C02", "2021-04-01", tour, severity="serious" if i < 4 else "minor")
    return orgs


def test_targets_rank_by_record_and_never_see_the_future(backend):
    g = GraphBuilder()
    orgs = _history(g)
    view = GraphView(g.write(backend))
    # (all twelve were toured ten months before: without rest_months=None they would all wait; see below)
    result = detect_targets(view, as_of="2022-01-01", top=None, rest_months=None)
    assert "transparent" in result.params["method"]  # 12 past outcomes are too few to learn weights from
    top4 = {d.subject for d in result.detections[:4]}
    assert top4 == {o.key for o in orgs[:4]}
    assert result.detections[0].details["relay_to"] == "330102"
    assert "杭州市上城区巡察办" in result.detections[0].summary
    assert result.detections[0].evidence and result.detections[0].details["top_features"]
    # A serious finding dated after the cut-off must change nothing.
    before = {d.subject: d.score for d in result}
    g2 = GraphBuilder()
    g2.finding(orgs[11], "C02", "2022-06-01", severity="severe", key="finding:future")
    g2.write(backend)
    after = {
        d.subject: d.score for d in detect_targets(GraphView(backend), as_of="2022-01-01", top=None, rest_months=None)
    }
    assert after == before


def test_a_tour_that_found_nothing_is_a_negative_example(backend):
    g = GraphBuilder()
    orgs = _history(g)
    quiet = [g.org(f"org:quiet:{i}", tier="county", region="330102") for i in range(3)]
    g.tour("v:quiet", "2021-03-01", quiet, [])  # inspected, nothing found: an outcome all the same
    g.tour("v:late", "2021-12-20", [orgs[5]], [])  # still running at the cut-off: its outcome is not known yet
    result = detect_targets(GraphView(g.write(backend)), as_of="2022-01-01", top=None)
    assert (result.params["examples"], result.params["positives"]) == (len(orgs) + len(quiet), 4)


@pytest.mark.parametrize(
    "tier, region, office, name",
    [
        ("county", "330102", "330102", "杭州市上城区巡察办"),
        ("village", "330102", "330102", "杭州市上城区巡察办"),
        ("city", "330100", "330100", "杭州市巡察办"),
        ("province", "330000", "330000", "浙江省委巡视办"),
        (None, None, None, None),
    ],
)
def test_relay_office(tier, region, office, name):
    from analytics.terms import office_name

    assert _relay_office(tier, region) == office
    assert office is None or office_name(office) == name


def test_a_null_market_in_the_graph_gives_no_ring_and_the_engine_s_answer(backend):
    """The calibration holds through the graph: an honest market written to either backend gives no ring,
    and the detector tests the same pairs as the engine on the bid table."""
    from .test_bids import _honest_market

    market = _honest_market(np.random.default_rng(3), regions=3)
    g = GraphBuilder()
    buyers = {b: g.org(f"org:{b}", name=f"{b}采购单位") for b in sorted(market["buyer"].unique())}
    firms = {f: g.company(f"c:{f}") for f in sorted(market["bidder"].unique())}
    for tender, rows in market.groupby("tender", sort=True):
        first = rows.iloc[0]
        bids = [(firms[r.bidder], float(r.amount), bool(r.winner)) for r in rows.itertuples()]
        g.tender(f"t:{tender}", buyers[first["buyer"]], first["date"], bids)
    result = detect_bid_rings(GraphView(g.write(backend)))
    assert len(result) == 0
    table = market.assign(buyer="org:" + market["buyer"], bidder="c:" + market["bidder"])
    assert result.stats["pairs_tested"] == len(analyse_bids(table).pairs) > 100

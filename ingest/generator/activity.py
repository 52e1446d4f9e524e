"""What happens in the generated world: procurement, inspections, leads.

Each builder adds one kind of activity to the world in :mod:`world`, planting
its patterns next to background that looks like them:

* procurement — honest markets where firms of one trade and city keep meeting
  (so co-bidding alone is no proof), bid rings that rotate wins with cover
  bids, shared addresses in business parks, and cadres' relatives in bidders;
* inspections — rounds of tours covering every organisation once a term,
  categories over-represented in a system at two or more tiers (and, as
  bait, at one tier only), rectifications some of which are sham and come
  back at a look-back tour, relays of provincial findings to lower tiers,
  and inspectors with ties to their targets;
* leads — petitions and transfers, some recorded by two departments, some
  transfers answered late or never.

Under the hard setting (:mod:`.hard`) prices, rotation, cover bids and the
mix of findings inside a unit are drawn from realistic ranges instead.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from . import hard
from . import identity as ident
from .world import (
    CATEGORY_NAMES,
    INDUSTRIES,
    LEAF_WEIGHTS,
    LEAVES,
    SYSTEMS,
    Bid,
    Case,
    Company,
    Finding,
    Lead,
    Rectification,
    Ring,
    Round,
    SystemicPattern,
    Tender,
    Tour,
    Transfer,
)

if TYPE_CHECKING:
    from .world import _Builder

D = dt.date
_NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 14 -> 十四, 21 -> 二十一 (team numbers: 第十四巡视组)."""
    if not 1 <= n <= 99:
        raise ValueError(f"team number {n} out of range")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens - 1] + "十")
    return head + (_NUMERALS[ones - 1] if ones else "")


TENDER_TITLES = {
    "交通设施": ["道路养护工程", "公路标志标线采购", "桥梁维修加固工程"],
    "道路工程": ["农村公路提升改造工程", "道路白改黑工程"],
    "教育科技": ["智慧校园建设项目", "教学信息化设备采购"],
    "教学设备": ["课桌椅采购项目", "实验室设备采购"],
    "医疗器械": ["医疗设备采购项目", "检验试剂采购"],
    "医药": ["药品配送服务项目"],
    "环境服务": ["城区环卫一体化服务项目", "垃圾分类收运服务"],
    "市政工程": ["市政道路改造工程", "污水管网改造工程"],
    "园林绿化": ["绿化养护服务项目", "公园提升改造工程"],
    "测绘": ["不动产测绘服务", "地形图测绘项目"],
    "土地整理": ["土地综合整治项目", "高标准农田建设项目"],
    "农业开发": ["农业产业园建设项目", "农村人居环境整治项目"],
    "农资": ["化肥农药统一采购", "农资储备项目"],
    "水利工程": ["河道综合治理工程", "山塘水库除险加固工程"],
    "物流": ["农村物流配送服务项目"],
}


# ---------------------------------------------------------------- procurement
def build_market(b: _Builder) -> None:
    """Companies per county and trade, tenders by buyers, honest bids, rings, and relatives' firms."""
    w, rng, s = b.w, b.rng, b.scale
    counties = [c for c in w.region_names if not c.endswith("00")]
    trades = sorted({t for ts in INDUSTRIES.values() for t in ts})
    by_city_trade: dict[tuple[str, str], list[str]] = {}
    parks: dict[str, list[str]] = {}
    for county in counties:
        county_name = w.region_names[county]
        # A few business-park addresses that many honest firms register at (bait for "shared address").
        parks[county] = [ident.address(rng, county_name) for _ in range(2)]
        for _ in range(s.companies_per_county):
            trade = rng.choice(trades)
            by_city_trade.setdefault((county[:4], trade), []).append(_company(b, county, trade, parks[county]))

    buyers = [o for o in w.orgs.values() if o.system in INDUSTRIES and o.tier in ("province", "city", "county")]
    small_buyers = [o for o in w.orgs.values() if o.tier in ("township", "village")]
    first, last = D(min(s.years), 1, 1), D(max(s.years), 12, 31)

    def buyer_market(org_region: str) -> str:
        # Provincial buyers buy from the capital's market.
        return org_region[:4] if not org_region.endswith("0000") else sorted(w.region_names)[1][:4]

    def new_tender(buyer, trade: str) -> Tender:
        budget = round(math.exp(rng.gauss(13.5 if buyer.tier != "village" else 11.5, 1.0)), -3)
        announced = b.date_in(first, last - dt.timedelta(days=60))
        title = rng.choice(TENDER_TITLES.get(trade, ["服务采购项目"]))
        t = Tender(
            b.next_id("T"),
            buyer.org_id,
            f"{w.region_names.get(buyer.region_code, '')}{title}",
            budget,
            announced,
            announced + dt.timedelta(days=rng.randint(20, 45)),
            rng.choice(["open", "open", "open", "invited", "competitive_negotiation", "inquiry"]),
        )
        w.tenders[t.tender_id] = t
        return t

    prices: dict[tuple[str, str], hard.MarketPrices] = {}

    def market_prices(market: tuple[str, str]) -> hard.MarketPrices:
        if market not in prices:
            prices[market] = hard.market_prices(w.seed, market)
        return prices[market]

    def honest_bids(t: Tender, pool: list[str], k: int) -> None:
        chosen = rng.sample(pool, min(k, len(pool)))
        if b.hard and t.market:
            # Each market has its own price level and spread; a tender's bids share a common shock.
            level, shock = market_prices(t.market), rng.gauss(0.0, 0.03)
            for cid in chosen:
                t.bids.append(Bid(cid, round(t.budget * hard.honest_ratio(rng, level, shock), 2)))
            return
        for cid in chosen:
            # Each firm prices at its own cost level: spread is wide and unimodal.
            t.bids.append(Bid(cid, round(t.budget * rng.uniform(0.80, 0.99) * rng.gauss(1.0, 0.03), 2)))

    # Rings first: a trade and a city, members, buyers, and the tenders they carve up.
    markets = sorted(
        {
            (o.region_code[:4] if not o.region_code.endswith("0000") else buyer_market(o.region_code), t)
            for o in buyers
            for t in INDUSTRIES[o.system or ""]
        }
    )
    rng.shuffle(markets)
    n_ring_tenders = 0
    ringed: set[str] = set()
    # One ring per market; more rings than markets (a dense province) put a second ring, of other firms,
    # into markets that already have one.
    for ring_id in range(1, (s.rings if markets else 0) + 1):
        city4, trade = markets[(ring_id - 1) % len(markets)]
        pool = by_city_trade.setdefault((city4, trade), [])
        # Rings live in real markets: make sure members have honest competitors around them.
        county = next(c for c in counties if c[:4] == city4)
        while sum(1 for c in pool if c not in ringed) < 9:
            pool.append(_company(b, county, trade, parks[county]))
        free = [c for c in pool if c not in ringed]
        members = rng.sample(free, rng.randint(3, min(6, len(free) - 3)))
        ringed.update(members)
        city_buyers = [
            o for o in buyers if buyer_market(o.region_code) == city4 and trade in INDUSTRIES[o.system or ""]
        ]
        ring_buyers = rng.sample(city_buyers, min(len(city_buyers), rng.randint(2, 4)))
        tenders = []
        style = hard.ring_style(rng, len(members)) if b.hard else None
        for k in range(rng.randint(6, 14)):
            t = new_tender(rng.choice(ring_buyers), trade)
            t.ring = ring_id
            t.market = (city4, trade)
            if style is not None:
                _hard_ring_bids(b, t, members, style, [c for c in pool if c not in members], market_prices(t.market))
                tenders.append(t.tender_id)
                continue
            bidders = [m for m in members if rng.random() < 0.85] or members[:2]
            if len(bidders) < 2:
                bidders = members[:2]
            winner = bidders[k % len(bidders)]  # 轮流坐庄: taking turns to win
            win_price = round(t.budget * rng.uniform(0.94, 0.99), 2)
            t.bids.append(Bid(winner, win_price))
            for cid in bidders:
                if cid != winner:
                    t.bids.append(Bid(cid, round(win_price * rng.uniform(1.01, 1.05), 2)))  # 陪标: cover bids
            outsiders = [c for c in pool if c not in members]
            if outsiders and rng.random() < 0.3:
                # An outsider who prices honestly; now and then it beats the ring.
                t.bids.append(Bid(rng.choice(outsiders), round(t.budget * rng.uniform(0.86, 1.0), 2)))
            tenders.append(t.tender_id)
        # Members are tied by more than bidding: shared officers, addresses, phones.
        share = rng.sample(members, 2)
        ca, cb = w.companies[share[0]], w.companies[share[1]]
        if rng.random() < 0.6:
            cb.address = ca.address
        if rng.random() < 0.5:
            cb.phone = ca.phone
        if rng.random() < 0.6:
            front = ca.officers[0][0]
            cb.officers.append((front, "supervisor"))
        w.rings.append(Ring(ring_id, tuple(members), tuple(r.org_id for r in ring_buyers), tuple(tenders)))
        n_ring_tenders += len(tenders)

    # Honest tenders fill the rest of the market.
    for _ in range(max(s.tenders - n_ring_tenders, 0)):
        buyer = rng.choice(buyers) if rng.random() < 0.6 or not small_buyers else rng.choice(small_buyers)
        trade = rng.choice(INDUSTRIES.get(buyer.system or "", trades) or trades)
        key = (buyer_market(buyer.region_code), trade)
        if not by_city_trade.get(key):  # no such firms here: a neighbouring market's firms bid
            key = rng.choice(sorted(by_city_trade))
        pool = by_city_trade[key]
        t = new_tender(buyer, trade)
        t.market = key
        lo, hi = s.bidders_per_tender
        honest_bids(t, pool, rng.randint(lo, hi))

    for t in w.tenders.values():
        # Keep one bid per firm (the lowest), then rank; the lowest wins.
        best: dict[str, Bid] = {}
        for bid in t.bids:
            if bid.company_id not in best or bid.amount < best[bid.company_id].amount:
                best[bid.company_id] = bid
        t.bids = sorted(best.values(), key=lambda x: (x.amount, x.company_id))
        for rank, bid in enumerate(t.bids, start=1):
            bid.rank, bid.won = rank, rank == 1

    plant_relatives_in_bidders(b)


def _hard_ring_bids(
    b: _Builder,
    t: Tender,
    members: list[str],
    style: hard.RingStyle,
    outsiders: list[str],
    level: hard.MarketPrices,
) -> None:
    """A ring tender under the hard setting: members skip, winners drawn unequally, margins varied."""
    rng = b.rng
    bidders = [m for m, p in zip(members, style.participation, strict=True) if rng.random() < p]
    if len(bidders) < 2:
        bidders = rng.sample(members, 2)
    weights = [style.win_weights[members.index(m)] for m in bidders]
    winner = rng.choices(bidders, weights=weights)[0]
    win_price = round(t.budget * min(0.999, style.win_ratio + rng.gauss(0.0, 0.015)), 2)
    t.bids.append(Bid(winner, win_price))
    covers = [m for m in bidders if m != winner]
    for cid, margin in zip(covers, hard.cover_margins(rng, style, len(covers)), strict=True):
        t.bids.append(Bid(cid, round(win_price * (1.0 + margin), 2)))
    if outsiders and rng.random() < style.outsider_wins:
        # A firm outside the ring undercuts the designated winner.
        t.bids.append(Bid(rng.choice(outsiders), round(win_price * (1.0 - rng.uniform(0.005, 0.07)), 2)))
    elif outsiders and rng.random() < style.outsider_bids:
        shock = rng.gauss(0.0, 0.03)
        t.bids.append(Bid(rng.choice(outsiders), round(t.budget * hard.honest_ratio(rng, level, shock), 2)))


def _company(b: _Builder, county: str, trade: str, park: list[str]) -> str:
    w, rng, s = b.w, b.rng, b.scale
    county_name = w.region_names[county]
    city_name = w.region_names[county[:4] + "00"]
    address = rng.choice(park) if rng.random() < 0.08 else ident.address(rng, county_name)
    # Registration refuses a name already taken, so every company's name is its own.
    for _ in range(50):
        name = ident.company_name(rng, rng.choice([city_name, county_name, w.province_name[:2]]), trade)
        if name not in b.company_names:
            break
    else:
        name = name.replace("有限", f"{county_name}分公司有限", 1)
    b.company_names.add(name)
    company = Company(
        b.next_id("C"),
        name,
        ident.uscc(rng, county),
        county,
        trade,
        address,
        ident.phone(rng),
        b.date_in(D(1998, 1, 1), D(min(s.years), 1, 1)),
    )
    owner = b.person(county, 1955, 1990)
    company.officers.append((owner.person_id, "legal_representative"))
    company.shareholders.append((owner.person_id, round(rng.uniform(0.3, 1.0), 2)))
    if rng.random() < 0.4:
        company.officers.append((b.person(county, 1955, 1995).person_id, rng.choice(["supervisor", "manager"])))
    w.companies[company.company_id] = company
    return company.company_id


def plant_relatives_in_bidders(b: _Builder) -> None:
    """Conflicts of interest: a serving cadre's relative runs a firm that bids at the cadre's unit.

    Near misses are planted too: the relative's firm bids only at other units,
    or the cadre had left the unit before the tender.
    """
    w, rng = b.w, b.rng
    tenders = sorted(w.tenders.values(), key=lambda t: t.tender_id)
    rng.shuffle(tenders)
    wanted = max(3, len(tenders) // 40)
    planted = 0
    for t in tenders:
        if planted >= wanted:
            break
        serving = b.serving(t.buyer, t.announced)
        cadres = [pid for pid in serving if w.people[pid].relatives and w.people[pid].relatives[0][2]]
        if not cadres or not t.bids:
            continue
        cadre = w.people[rng.choice(cadres)]
        relative_id = cadre.relatives[0][0]
        bidder = w.companies[t.bids[0 if rng.random() < 0.7 else -1].company_id]
        role = rng.choice(["legal_representative", "supervisor", "shareholder"])
        if role == "shareholder":
            bidder.shareholders.append((relative_id, round(rng.uniform(0.1, 0.5), 2)))
        else:
            bidder.officers.append((relative_id, role))
        planted += 1
    # Near misses: relatives of cadres in firms that may bid anywhere (mostly not at the cadre's unit).
    people, companies = sorted(w.people), sorted(w.companies)
    for _ in range(wanted):
        person = w.people[rng.choice(people)]
        if not person.relatives or not person.posts:
            continue
        company = w.companies[rng.choice(companies)]
        company.officers.append((person.relatives[0][0], "manager"))


# ---------------------------------------------------------------- inspections
def _jurisdiction(b: _Builder, level: str, region: str) -> list[str]:
    w = b.w
    out = []
    if not b.orgs_by_region:
        for org in w.orgs.values():
            b.orgs_by_region.setdefault(org.region_code, []).append(org.org_id)
    candidates = (w.orgs[o] for o in (list(w.orgs) if level == "provincial" else b.orgs_by_region.get(region, [])))
    for org in candidates:
        if org.kind == "inspection_office":
            continue
        if level == "provincial":
            if org.tier == "province" or (org.kind == "party_committee" and org.tier in ("city", "county")):
                out.append(org.org_id)
        elif level == "city":
            if org.region_code == region and org.tier == "city" and org.kind != "party_committee":
                out.append(org.org_id)
        elif (
            org.region_code == region
            and org.tier in ("county", "township", "village")
            and org.kind != "party_committee"
        ):
            out.append(org.org_id)
    return sorted(out)


def build_inspections(b: _Builder) -> None:
    """Rounds, tours, teams and findings, with systemic problems, sham rectification and ties."""
    w, rng, s = b.w, b.rng, b.scale
    # Systemic problems: a system and a category, over-represented at two or three tiers.
    systems = [code for code, *_ in SYSTEMS]
    rare = [c for c in LEAVES if LEAF_WEIGHTS[c] <= 6]
    pairs = [(sy, c) for sy in systems for c in rare]
    rng.shuffle(pairs)
    boost: dict[tuple[str, str, str], float] = {}
    for system, category in pairs[: s.systemic_patterns]:
        tiers = (
            ("province", "city", "county")
            if rng.random() < 0.5
            else tuple(rng.sample(["province", "city", "county"], 2))
        )
        w.systemic.append(SystemicPattern(system, category, tiers))
        for tier in tiers:
            boost[(system, category, tier)] = 6.0
    # Bait: over-represented at a single tier only — not a cross-tier pattern.
    for system, category in pairs[s.systemic_patterns : 2 * s.systemic_patterns]:
        boost[(system, category, rng.choice(["city", "county"]))] = 6.0

    offices = [("provincial", w.province_code)]
    offices += [("city", r) for r in w.region_names if r.endswith("00") and not r.endswith("0000")]
    offices += [("county", r) for r in w.region_names if not r.endswith("00")]
    years = list(s.years)
    n_rounds = len(years) * s.rounds_per_year
    inspected: list[tuple[str, str]] = []  # (tour_id, org_id) for look-back candidates
    for level, region in offices:
        office = w.offices[region]
        targets = _jurisdiction(b, level, region)
        rng.shuffle(targets)
        # Cover the jurisdiction once over the term, round by round; the last round is the held-out one.
        per_round = [targets[i::n_rounds] for i in range(n_rounds)]
        for r in range(n_rounds):
            year = years[r // s.rounds_per_year]
            half = r % s.rounds_per_year
            start = D(year, 3 + half * 6, 1)
            rnd = Round(
                b.next_id("R"),
                f"{year}年第{half + 1}轮{'巡视' if level == 'provincial' else '巡察'}",
                level,
                office,
                start,
                start + dt.timedelta(days=75),
            )
            w.rounds[rnd.round_id] = rnd
            batch = per_round[r]
            teams = max(1, min(s.tours_per_round[level], len(batch)))
            for k in range(teams):
                group = batch[k::teams]
                if not group:
                    continue
                _tour(b, rnd, level, region, group, "regular", k + 1, boost, inspected)
            # Look-back tours (回头看) revisit a few organisations inspected in earlier rounds.
            earlier = [
                (tid, oid)
                for tid, oid in inspected
                if w.tours[tid].level == level
                and w.orgs[oid].region_code == w.orgs[office].region_code
                and w.tours[tid].end < start
            ]
            if r >= 2 and earlier:
                picks = rng.sample(earlier, min(len(earlier), max(1, len(earlier) // 30)))
                _tour(b, rnd, level, region, sorted({oid for _, oid in picks}), "lookback", teams + 1, boost, inspected)
    _relay(b)


def _tour(
    b: _Builder,
    rnd: Round,
    level: str,
    region: str,
    targets: list[str],
    kind: str,
    team_no: int,
    boost: dict[tuple[str, str, str], float],
    inspected: list[tuple[str, str]],
) -> Tour:
    w, rng, s = b.w, b.rng, b.scale
    start = rnd.start + dt.timedelta(days=rng.randint(0, 10))
    end = start + dt.timedelta(days=rng.randint(30, 60))
    label = {"provincial": "省委", "city": "市委", "county": "县委"}[level]
    tour = Tour(
        b.next_id("V"),
        rnd.round_id,
        level,
        kind,
        b.next_id("G"),
        f"{rnd.name}{label}第{chinese_number(team_no)}{'巡视' if level == 'provincial' else '巡察'}组",
        targets,
        start,
        end,
        end + dt.timedelta(days=rng.randint(20, 50)),
    )
    w.tours[tour.tour_id] = tour
    _staff(b, tour, region)
    for org_id in targets:
        inspected.append((tour.tour_id, org_id))
        org = w.orgs[org_id]
        if kind == "lookback":
            _lookback_findings(b, tour, org_id)
            continue
        if b.hard:
            _hard_findings(b, tour, org_id, boost)
            continue
        n = _poisson(rng, s.findings_per_org * org.risk)
        weights = [LEAF_WEIGHTS[c] * boost.get((org.system or "", c, org.tier), 1.0) for c in LEAVES]
        for category in rng.choices(LEAVES, weights=weights, k=n):
            _finding(b, tour, org_id, category)
    return tour


def _hard_findings(b: _Builder, tour: Tour, org_id: str, boost: dict[tuple[str, str, str], float]) -> None:
    """A regular tour's findings at one unit under the hard setting: 8-20 of them, from the unit's own mix."""
    rng, org = b.rng, b.w.orgs[org_id]
    mix = b.mix_of.get(org_id)
    if mix is None:
        weights = [LEAF_WEIGHTS[c] * boost.get((org.system or "", c, org.tier), 1.0) for c in LEAVES]
        mix = b.mix_of[org_id] = hard.category_mix(rng, weights)
    if org.tier == "village":
        n = _poisson(rng, b.scale.findings_per_org * org.risk)
    else:
        n = hard.findings_per_unit(rng, org.risk)
    for category in rng.choices(LEAVES, weights=mix, k=n):
        _finding(b, tour, org_id, category)


def _finding(b: _Builder, tour: Tour, org_id: str, category: str) -> Finding:
    w, rng = b.w, b.rng
    org = w.orgs[org_id]
    found = tour.start + dt.timedelta(days=rng.randint(5, max(6, (tour.end - tour.start).days)))
    serious = rng.random() < min(0.9, 0.12 * org.risk * org.risk)
    severity = "severe" if serious and rng.random() < 0.3 else ("serious" if serious else "minor")
    amount = round(math.exp(rng.gauss(11.0, 1.2)), -2) if category[0] == "C" and rng.random() < 0.7 else None
    f = Finding(
        b.next_id("F"),
        tour.tour_id,
        org_id,
        category,
        found,
        severity,
        amount,
        f"{org.name}存在{CATEGORY_NAMES[category]}问题",
    )
    w.findings[f.finding_id] = f
    b.findings_by_org.setdefault(org_id, []).append(f.finding_id)
    # Rectification: due two months after feedback; most are done, some reported done but not really.
    deadline = tour.feedback + dt.timedelta(days=60)
    roll = rng.random()
    if tour.feedback + dt.timedelta(days=30) > w.as_of:
        status, reported = "in_progress", None
    elif roll < 0.78:
        status, reported = "completed", deadline - dt.timedelta(days=rng.randint(0, 25))
    elif roll < 0.9:
        status, reported = "in_progress", None
    else:
        status, reported = "overdue", None
    serving = b.serving(org_id, tour.feedback)
    responsible = serving[0] if serving else None
    sham = status == "completed" and rng.random() < 0.06 * org.risk
    r = Rectification(
        b.next_id("Z"),
        f.finding_id,
        deadline,
        reported,
        status,
        status == "completed" and not sham and rng.random() < 0.7,
        responsible,
        sham,
    )
    w.rectifications[r.rectification_id] = r
    b.rect_of[f.finding_id] = r.rectification_id
    return f


def _lookback_findings(b: _Builder, tour: Tour, org_id: str) -> None:
    """A look-back tour finds sham rectifications again (in the successor if the unit was merged)."""
    w, rng = b.w, b.rng
    for finding_id in list(b.findings_by_org.get(org_id, [])):
        finding = w.findings[finding_id]
        rect = w.rectifications[b.rect_of[finding_id]]
        if rect.reported is None or rect.reported >= tour.start:
            continue
        if rect.sham or rng.random() < 0.04:
            target = w.orgs[org_id].successor if w.orgs[org_id].successor and rng.random() < 0.5 else org_id
            _finding(b, tour, target or org_id, finding.category)
    # Look-back tours also find new, unrelated problems (noise for the recurrence detector).
    # (Under the hard setting they follow the unit's own mix of problems, when it has one.)
    for category in rng.choices(LEAVES, weights=b.mix_of.get(org_id), k=_poisson(rng, 1.0)):
        _finding(b, tour, org_id, category)


def _relay(b: _Builder) -> None:
    """接力: provincial findings in a system feed a lower tier's tour of the same system."""
    w, rng = b.w, b.rng
    provincial = [f for f in w.findings.values() if w.tours[f.tour_id].level == "provincial"]
    by_system: dict[str, list[Tour]] = {}
    for t in w.tours.values():
        if t.level != "provincial" and t.kind == "regular":
            for system in {w.orgs[o].system for o in t.targets if w.orgs[o].system}:
                by_system.setdefault(system or "", []).append(t)
    for tours in by_system.values():
        tours.sort(key=lambda t: (t.start, t.tour_id))
    for f in provincial:
        system = w.orgs[f.org_id].system
        if not system or rng.random() > 0.3:
            continue
        later = [t for t in by_system.get(system, []) if t.start > f.found]
        if later:
            tour = later[0]
            tour.relayed_from.append(f.finding_id)
            if tour.kind == "regular" and rng.random() < 0.5:
                tour.kind = "relay"


def _staff(b: _Builder, tour: Tour, region: str) -> None:
    """Team members from the inspecting tier's cadre pool; now and then one with a tie to a target."""
    w, rng = b.w, b.rng
    pool = b.pool.get(region)
    if pool is None:
        pool = sorted(
            pid
            for pid, p in w.people.items()
            if p.posts
            and w.orgs[p.posts[-1].org_id].region_code[:4] == region[:4]
            and w.orgs[p.posts[-1].org_id].tier not in ("village", "township")
        )
        b.pool[region] = pool
    members = rng.sample(pool, min(len(pool), rng.randint(3, 5)))
    if rng.random() < 0.12:
        # A tie: someone who used to work at a target, or a relative of a cadre there.
        target = rng.choice(tour.targets)
        former = [
            pid for pid in pool if any(p.org_id == target and p.end and p.end < tour.start for p in w.people[pid].posts)
        ]
        if former:
            members[-1] = rng.choice(former)
    tour.members = [
        (pid, "leader" if i == 0 else ("deputy" if i == 1 else "member"))
        for i, pid in enumerate(dict.fromkeys(members))
    ]


# ---------------------------------------------------------------------- leads
def build_leads(b: _Builder) -> None:
    """Leads about organisations and cadres; duplicates across departments; transfers and cases."""
    w, rng, s = b.w, b.rng, b.scale
    orgs = sorted(w.orgs.values(), key=lambda o: o.org_id)
    first, last = D(min(s.years), 1, 1), w.as_of
    group = 0
    for org in orgs:
        if org.kind == "inspection_office":
            continue
        for _ in range(_poisson(rng, s.leads_per_org_year * len(s.years) * org.risk)):
            received = b.date_in(first, last - dt.timedelta(days=20))
            source = rng.choices(["petition", "tour", "audit", "big_data", "supervision"], [50, 20, 10, 10, 10])[0]
            cadres = b.serving(org.org_id, received)
            subject = rng.choice(cadres) if cadres and rng.random() < 0.7 else None
            category = rng.choices(LEAVES, weights=[LEAF_WEIGHTS[c] for c in LEAVES])[0]
            who = w.people[subject].name if subject else org.name
            summary = f"反映{who}{CATEGORY_NAMES[category]}问题"
            dept = w.discipline.get(org.region_code) or w.discipline[w.province_code]
            lead = Lead(
                b.next_id("L"),
                source,
                received,
                org.org_id,
                subject,
                category,
                summary,
                "registered",
                [(dept, received, b.next_id("X"))],
            )
            if source == "petition":
                p = b.person(org.region_code, 1950, 1995)
                lead.petitioner = p.person_id
            if rng.random() < 0.12:
                # 一个线索几个部门同时办理: the same allegation registered by a second department.
                group += 1
                lead.duplicate_group = group
                other = w.offices.get(org.region_code) or w.offices[w.province_code]
                lead.departments.append((other, received + dt.timedelta(days=rng.randint(0, 25)), b.next_id("X")))
            _dispose(b, lead)
            w.leads[lead.lead_id] = lead


def _dispose(b: _Builder, lead: Lead) -> None:
    w, rng = b.w, b.rng
    org = w.orgs[lead.subject_org]
    roll = rng.random()
    lead.status = rng.choice(["inquiry", "verification", "pending", "closed"])
    if lead.source in ("tour", "audit", "big_data") or roll < 0.3:
        when = lead.received + dt.timedelta(days=rng.randint(3, 30))
        deadline = when + dt.timedelta(days=rng.choice([30, 60, 90]))
        late = rng.random()
        if late < 0.72:
            feedback: dt.date | None = deadline - dt.timedelta(days=rng.randint(0, 25))
        elif late < 0.84:
            feedback = deadline + dt.timedelta(days=rng.randint(5, 60))
        else:
            feedback = None
        if feedback and feedback > w.as_of:
            feedback = None
        recipient = w.discipline.get(org.region_code) or w.discipline[w.province_code]
        lead.transfer = Transfer(b.next_id("Y"), recipient, when, deadline, feedback)
    if rng.random() < 0.08 * org.risk:
        lead.status = "case_opened"
        lead.case = Case(
            b.next_id("K"),
            lead.received + dt.timedelta(days=rng.randint(30, 120)),
            rng.choice(["investigating", "review", "concluded"]),
            rng.choice(["warning", "serious_warning", "removal_from_post", "demerit", "organisational"]),
        )


def _poisson(rng, lam: float) -> int:
    # Knuth's method; lam stays small here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1

"""The generator's ``hard`` setting (``liandong generate --difficulty hard``).

The default world plants exactly what the detectors test for: cover bids 1–5 %
above the winner, wins taken strictly in turn, one honest price spread in every
market, the generator's own post titles (书记, 主任 …), findings drawn
independently of each other inside a unit, and every system with many units at
every tier. Under ``hard`` each of these is drawn from ranges plausible for real
procurement and inspection data instead. The ranges were set from what such data
looks like, never from what a detector needs; where a range is wide it is
because real markets and offices differ that much.

1. **Honest price dispersion differs by market.** Each market (a city and a
   trade) gets its own bid-to-budget centre and its own spread, drawn from a
   generator seeded by the world's seed and the market alone (so adding a
   tender elsewhere does not move them). Centre ``U(0.80, 0.97)`` of the
   budget; log-scale spread ``sigma`` log-uniform on ``[0.008, 0.15]``, so a
   tender's coefficient of variation runs from under 1 % (standard goods such
   as 化肥农药统一采购, or works scored against a 评标基准价, where honest bidders
   crowd round the expected benchmark) to about 15 % (works and services priced
   on each firm's own costs). Each tender adds a common shock (log-normal,
   sigma 0.03) that moves all its bids together. A bid above the budget (the
   最高限价) is reflected below it.
2. **Imperfect rotation.** Per ring: each member takes part in a tender with
   its own probability ``U(0.5, 0.95)`` (at least two members always bid);
   the designated winner is drawn with weights from a flat Dirichlet (shares
   over the members, so some take most wins and some none); with probability
   ``U(0.05, 0.25)`` per tender an outsider undercuts the designated winner by
   ``U(0.5 %, 7 %)`` and wins; besides, an outsider bids at the market's honest
   price with probability ``U(0.2, 0.6)`` (and wins when that is lowest). The
   ring's winning price is ``U(0.85, 0.99)`` of the budget per ring, with a
   per-tender jitter (normal, sd 0.015, at most 0.999).
3. **Varied cover margins.** Per ring a margin scale log-uniform on
   ``[0.5 %, 20 %]``; per tender that scale times a log-normal factor (sigma
   0.4); each cover bid that times ``U(0.5, 1.5)`` (at least 0.2 %). With a
   per-ring probability ``U(0, 0.35)`` per tender, one cover bid is put far
   above, ``U(25 %, 60 %)`` over the winner (a 陪标 bid meant to lose, often
   above the ceiling price). Rings with wide margins therefore have tenders
   *more* dispersed than honest tenders in tight markets.
4. **Real-world post titles.** Titles as rosters write them, by kind of unit:
   compound titles joined by 、 (党组书记、局长; 县委常委、县纪委书记、县监委主任;
   党委副书记、镇长; 党支部书记、村委会主任), deputies (副局长, 常务副部长,
   纪委副书记、监委副主任), the acting head (副局长（主持工作）), enterprise
   titles in the supply-and-marketing co-ops' firms (党委书记、董事长, 总经理,
   副总经理) and ranks or middle posts that are not in the leadership
   (一级主任科员, 四级调研员, 办公室主任, 护理部主任, 财务科科长). Every title
   carries the generator's own two facts: whether it is in the unit's leading
   group (``Post.leading``, the roster's 是否班子成员, as in the default world)
   and whether it is the unit's head (``Post.head``, 主要负责人: the Party
   secretary and the administrative head of the unit, including an acting
   head). Neither is read from the title by any pattern. Weights in
   :data:`TITLES` (a unit's first post is its head; the others are drawn). A
   post held earlier at another unit is one of that unit's posts other than
   its head, or a civil-service rank (:data:`RANKS`: 主任科员, 四级调研员 …).
5. **Findings clustered inside units.** A unit above village level gets
   ``8 + min(12, Poisson(6 x risk))`` findings at a regular tour (8–20, as
   Nanzhang's 915 problems in 49 units average 19), a village
   ``Poisson(findings_per_org x risk)`` as by default. Each unit's categories
   come from its own mix, drawn once from a Dirichlet whose mean is the
   default's category weights (planted systemic boosts included) and whose
   total concentration is ``a x K`` for K categories, ``a ~ U(0.1, 0.3)`` per
   unit (so the average concentration per category is at most 0.3, as
   ``bench/calibration.py``'s clustered null worlds). A look-back tour's new
   problems come from the same mix.
6. **Small tiers.** Each system is, with probability 0.25 (at least one
   system per world), thin at the city or the county tier: present in only a
   few regions (never all), with ``randint(4, 6)`` units there in all (fewer
   when those regions cannot hold so many; a district's
   natural-resources office is the city bureau's branch, urban districts have
   no supply-and-marketing co-op, a water bureau merged into agriculture).
   The province tier already has five units per system.

What ``truth.json`` records is computed from the world exactly as by default,
with the same keys: ring members, buyers and tenders (outsider-won tenders
included); conflict-of-interest paths through any post held at the buyer,
whatever its title.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Difficulty",
    "DIFFICULTIES",
    "MarketPrices",
    "RingStyle",
    "TITLES",
    "RANKS",
    "market_prices",
    "honest_ratio",
    "ring_style",
    "cover_margins",
    "unit_titles",
    "earlier_titles",
    "earlier_title",
    "category_mix",
    "findings_per_unit",
    "thin_tiers",
]

Difficulty = Literal["default", "hard"]
DIFFICULTIES: tuple[str, ...] = ("default", "hard")


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


# ------------------------------------------------------------------ prices
@dataclass(frozen=True)
class MarketPrices:
    """One market's honest bids: ``centre`` of the budget, and the log-scale spread ``sigma``."""

    centre: float
    sigma: float


def market_prices(seed: int, market: tuple[str, str]) -> MarketPrices:
    """The honest price level and spread of one market (a city's 4-digit code and a trade)."""
    # A generator of its own per market: the draw does not depend on the order markets are met in.
    rng = random.Random(f"liandong-hard:{seed}:{market[0]}:{market[1]}")
    return MarketPrices(round(rng.uniform(0.80, 0.97), 4), round(_log_uniform(rng, 0.008, 0.15), 5))


def honest_ratio(rng: random.Random, prices: MarketPrices, shock: float) -> float:
    """One honest bid as a share of the budget; ``shock`` is the tender's common log-shock."""
    ratio = prices.centre * math.exp(shock + rng.gauss(0.0, prices.sigma))
    if ratio > 1.0:  # above the ceiling price: reflected below it
        ratio = 2.0 - ratio
    return max(ratio, 0.3)


# ------------------------------------------------------------------- rings
@dataclass(frozen=True)
class RingStyle:
    """How one ring plays: who bids and wins, at what price, and how its cover bids sit."""

    participation: tuple[float, ...]
    win_weights: tuple[float, ...]
    win_ratio: float
    margin: float
    far_cover: float
    outsider_bids: float
    outsider_wins: float


def ring_style(rng: random.Random, members: int) -> RingStyle:
    """Draw one ring's habits (ranges in the module docstring)."""
    participation = tuple(rng.uniform(0.5, 0.95) for _ in range(members))
    gammas = [rng.gammavariate(1.0, 1.0) for _ in range(members)]
    total = sum(gammas) or 1.0
    return RingStyle(
        participation=participation,
        win_weights=tuple(g / total for g in gammas),
        win_ratio=rng.uniform(0.85, 0.99),
        margin=_log_uniform(rng, 0.005, 0.20),
        far_cover=rng.uniform(0.0, 0.35),
        outsider_bids=rng.uniform(0.2, 0.6),
        outsider_wins=rng.uniform(0.05, 0.25),
    )


def cover_margins(rng: random.Random, style: RingStyle, covers: int) -> list[float]:
    """Margins over the winning price of one tender's ``covers`` cover bids."""
    scale = style.margin * math.exp(rng.gauss(0.0, 0.4))
    margins = [max(0.002, scale * rng.uniform(0.5, 1.5)) for _ in range(covers)]
    if margins and rng.random() < style.far_cover:
        margins[rng.randrange(len(margins))] = rng.uniform(0.25, 0.60)
    return margins


# ------------------------------------------------------------------ titles
# (title, weight, in the leading group (班子成员), the unit's head (主要负责人)).
# {c} is the level's character (省, 市, 县, 区), {t} a township's (镇, 乡), {x} 巡视 or 巡察.
Title = tuple[str, int, bool, bool]

TITLES: dict[str, tuple[list[Title], list[Title]]] = {
    # family: (heads, others)
    "party_committee": (
        [("{c}委书记", 1, True, True)],
        [
            ("{c}委副书记", 3, True, False),
            ("{c}委副书记、{c}长", 2, True, False),
            ("{c}委常委、常务副{c}长", 2, True, False),
            ("{c}委常委、组织部部长", 2, True, False),
            ("{c}委常委、宣传部部长", 1, True, False),
            ("{c}委常委、政法委书记", 1, True, False),
            ("{c}委常委、{c}委办公室主任", 1, True, False),
        ],
    ),
    "government": (
        [("{c}长", 3, True, True), ("{c}委副书记、{c}长", 3, True, True)],
        [
            ("副{c}长", 4, True, False),
            ("常务副{c}长", 1, True, False),
            ("{c}政府党组成员", 1, True, False),
            ("{c}政府办公室主任", 1, False, False),
        ],
    ),
    "bureau": (
        [
            ("党组书记、局长", 6, True, True),
            ("局长", 2, True, True),
            ("党委书记、局长", 1, True, True),
            ("副局长（主持工作）", 1, True, True),
        ],
        [
            ("党组成员、副局长", 4, True, False),
            ("副局长", 4, True, False),
            ("党组成员、纪检监察组组长", 1, True, False),
            ("一级主任科员", 2, False, False),
            ("二级主任科员", 1, False, False),
            ("四级调研员", 2, False, False),
            ("三级调研员", 1, False, False),
            ("办公室主任", 2, False, False),
            ("财务科科长", 1, False, False),
        ],
    ),
    "department": (
        [("党组书记、厅长", 6, True, True), ("厅长", 2, True, True)],
        [
            ("党组成员、副厅长", 4, True, False),
            ("副厅长", 3, True, False),
            ("一级巡视员", 1, False, False),
            ("二级巡视员", 1, False, False),
            ("办公室主任", 1, False, False),
            ("财务处处长", 1, False, False),
            ("一级调研员", 1, False, False),
        ],
    ),
    "commission": (
        [("党组书记、主任", 6, True, True), ("主任", 2, True, True)],
        [
            ("党组成员、副主任", 4, True, False),
            ("副主任", 4, True, False),
            ("一级主任科员", 2, False, False),
            ("四级调研员", 1, False, False),
            ("办公室主任", 1, False, False),
        ],
    ),
    "discipline": (
        [("{c}委常委、{c}纪委书记、{c}监委主任", 4, True, True), ("纪委书记、监委主任", 2, True, True)],
        [
            ("纪委副书记、监委副主任", 4, True, False),
            ("纪委常委、监委委员", 2, True, False),
            ("第一纪检监察室主任", 2, False, False),
            ("一级主任科员", 1, False, False),
            ("四级调研员", 1, False, False),
        ],
    ),
    "organisation": (
        [("{c}委常委、组织部部长", 4, True, True), ("组织部部长", 1, True, True)],
        [
            ("常务副部长", 3, True, False),
            ("副部长", 3, True, False),
            ("干部科科长", 1, False, False),
            ("一级主任科员", 1, False, False),
            ("四级调研员", 1, False, False),
        ],
    ),
    "inspection": (
        [("主任", 3, True, True), ("{c}委{x}办主任", 2, True, True)],
        [
            ("副主任", 4, True, False),
            ("{x}组组长", 2, False, False),
            ("一级主任科员", 1, False, False),
            ("二级主任科员", 1, False, False),
        ],
    ),
    "township": (
        [("党委书记", 1, True, True)],
        [
            ("党委副书记、{t}长", 4, True, True),
            ("副{t}长", 3, True, False),
            ("党委副书记", 2, True, False),
            ("人大主席", 1, True, False),
            ("党委委员、纪委书记", 2, True, False),
            ("党委委员、武装部部长", 1, True, False),
            ("党委委员、组织委员", 1, True, False),
            ("党政办主任", 1, False, False),
            ("四级主任科员", 1, False, False),
        ],
    ),
    "subdistrict": (
        [("党工委书记", 1, True, True)],
        [
            ("党工委副书记、办事处主任", 4, True, True),
            ("办事处副主任", 3, True, False),
            ("党工委副书记", 2, True, False),
            ("人大工委主任", 1, True, False),
            ("党工委委员、纪工委书记", 2, True, False),
            ("党政办主任", 1, False, False),
            ("四级主任科员", 1, False, False),
        ],
    ),
    "village": (
        [
            ("党支部书记、村委会主任", 5, True, True),
            ("党支部书记", 3, True, True),
            ("党总支书记、村委会主任", 1, True, True),
        ],
        [("村委会副主任", 1, True, False), ("村务监督委员会主任", 1, False, False)],
    ),
    "community": (
        [
            ("党委书记、居委会主任", 3, True, True),
            ("党支部书记、居委会主任", 3, True, True),
            ("社区党委书记", 1, True, True),
        ],
        [("居委会副主任", 1, True, False)],
    ),
    "health_centre": (
        [("党支部书记、院长", 3, True, True), ("院长", 3, True, True)],
        [("副院长", 4, True, False), ("护理部主任", 1, False, False), ("办公室主任", 1, False, False)],
    ),
    "school": (
        [("党支部书记、校长", 3, True, True), ("校长", 3, True, True)],
        [("副校长", 4, True, False), ("教导主任", 1, False, False), ("总务主任", 1, False, False)],
    ),
    "coop": (
        [("党组书记、理事会主任", 3, True, True), ("理事会主任", 2, True, True), ("主任", 1, True, True)],
        [
            ("理事会副主任", 4, True, False),
            ("监事会主任", 1, True, False),
            ("办公室主任", 1, False, False),
            ("一级主任科员", 1, False, False),
        ],
    ),
    "coop_enterprise": (
        [
            ("党委书记、董事长", 3, True, True),
            ("董事长", 1, True, True),
            ("董事长、总经理", 1, True, True),
            ("总经理", 2, True, True),
        ],
        [
            ("副总经理", 4, True, False),
            ("董事、副总经理", 1, True, False),
            ("财务总监", 1, True, False),
            ("综合部经理", 1, False, False),
        ],
    ),
    "station": (
        [("所长", 3, True, True), ("党支部书记、所长", 2, True, True)],
        [("副所长", 4, True, False), ("四级主任科员", 1, False, False), ("一级科员", 1, False, False)],
    ),
    "centre": (
        [("主任", 6, True, True), ("党支部书记、主任", 3, True, True), ("副主任（主持工作）", 1, True, True)],
        [
            ("副主任", 4, True, False),
            ("综合科科长", 1, False, False),
            ("办公室主任", 1, False, False),
        ],
    ),
}
#: Civil-service ranks (职级), held in any unit above village level.
RANKS: list[Title] = [
    ("主任科员", 2, False, False),
    ("一级主任科员", 2, False, False),
    ("二级主任科员", 1, False, False),
    ("四级调研员", 1, False, False),
    ("一级科员", 1, False, False),
]


def title_family(name: str, kind: str) -> str:
    """Which list of titles a unit's roster draws from, by its kind and the ending of its name."""
    if kind == "village":
        return "community" if name.removesuffix("党支部").endswith("社区") else "village"
    if kind == "township":
        return "subdistrict" if "街道" in name else "township"
    if kind in ("party_committee", "inspection_office"):
        return {"party_committee": "party_committee", "inspection_office": "inspection"}[kind]
    if kind == "discipline_commission":
        return "discipline"
    if kind == "organisation_department":
        return "organisation"
    if name.endswith("人民政府"):
        return "government"
    if "供销合作社" in name:
        # The co-op itself, or one of the firms and centres it runs (社有企业).
        return "coop" if name.endswith(("供销合作社", "联合社")) else "coop_enterprise"
    for ending, family in (
        ("局", "bureau"),
        ("厅", "department"),
        ("委员会", "commission"),
        ("卫生院", "health_centre"),
        ("学校", "school"),
        ("所", "station"),
    ):
        if name.endswith(ending):
            return family
    return "centre"


def _places(name: str, tier: str, region_name: str) -> tuple[str, str, str]:
    """The words a title template leaves open: level (县), township (镇), tour (巡察)."""
    level = region_name[-1] if region_name[-1:] in "省市县区旗州" else "县"
    return level, "乡" if name.endswith("乡委员会") else "镇", "巡视" if tier == "province" else "巡察"


def _fill(template: str, level: str, township: str, tour_word: str) -> str:
    return template.replace("{c}", level).replace("{t}", township).replace("{x}", tour_word)


def _draw(rng: random.Random, titles: Sequence[Title]) -> Title:
    return rng.choices(list(titles), weights=[t[1] for t in titles])[0]


def unit_titles(
    rng: random.Random, name: str, kind: str, tier: str, region_name: str, posts: int
) -> list[tuple[str, bool, bool]]:
    """``posts`` titles for one unit's cadres, the first its head: (title, leading group, head)."""
    heads, others = TITLES[title_family(name, kind)]
    places = _places(name, tier, region_name)
    out = []
    for k in range(posts):
        title, _, leading, head = _draw(rng, heads if k == 0 else others)
        out.append((_fill(title, *places), leading, head))
    return out


def earlier_titles(name: str, kind: str) -> list[Title]:
    """What a cadre may have held earlier at a unit (交流任职): not its head; a rank or another post there."""
    _, others = TITLES[title_family(name, kind)]
    return [t for t in others if not t[3]] + (RANKS if kind != "village" else [])


def earlier_title(rng: random.Random, name: str, kind: str, tier: str, region_name: str) -> tuple[str, bool, bool]:
    """A post held earlier at another unit: (title, leading group, head)."""
    title, _, leading, head = _draw(rng, earlier_titles(name, kind))
    return _fill(title, *_places(name, tier, region_name)), leading, head


# ---------------------------------------------------------------- findings
def category_mix(rng: random.Random, weights: Sequence[float]) -> list[float]:
    """A unit's own category mix: Dirichlet with mean ``weights`` and total concentration ``U(0.1, 0.3) x K``."""
    total = sum(weights)
    concentration = rng.uniform(0.1, 0.3) * len(weights)
    gammas = [rng.gammavariate(concentration * w / total, 1.0) if w > 0 else 0.0 for w in weights]
    mass = sum(gammas)
    if mass <= 0.0:  # every draw underflowed: fall back on the mean
        return [w / total for w in weights]
    return [g / mass for g in gammas]


def findings_per_unit(rng: random.Random, risk: float) -> int:
    """Findings at one regular tour of a unit above village level: 8 to 20, more in riskier units."""
    # Knuth's Poisson draw (the mean stays small).
    limit, extra, p = math.exp(-6.0 * risk), 0, rng.random()
    while p > limit and extra < 12:
        extra += 1
        p *= rng.random()
    return 8 + extra


# ------------------------------------------------------------------ tiers
def thin_tiers(
    rng: random.Random,
    systems: Sequence[str],
    regions: dict[str, list[str]],
    units_per_region: dict[str, int],
) -> dict[tuple[str, str], int]:
    """Units of each thin (region, system): systems present in few regions of one tier.

    Parameters
    ----------
    systems : the systems' codes
    regions : tier ("city", "county") -> its region codes, in build order
    units_per_region : tier -> units a system has in one region (its office and subordinate units)

    Returns
    -------
    dict
        ``(region, system) -> units`` for every region of a thin tier (0: the system is absent there);
        pairs not named keep the default.
    """
    thin = [(system, rng.choice(sorted(regions))) for system in systems if rng.random() < 0.25]
    if not thin and systems:
        thin = [(rng.choice(list(systems)), rng.choice(sorted(regions)))]
    out: dict[tuple[str, str], int] = {}
    for system, tier in thin:
        per_region = units_per_region[tier]
        wanted = rng.randint(4, 6)
        if wanted >= per_region * len(regions[tier]):
            continue  # the tier is small already
        # Present in few regions (never all of them), with one to all of its usual units in each.
        count = min(len(regions[tier]) - 1, wanted, -(-wanted // per_region) + rng.randint(0, 1))
        wanted = min(wanted, count * per_region)
        hosts = rng.sample(regions[tier], count)
        units = dict.fromkeys(hosts, 1)
        for _ in range(wanted - count):
            region = rng.choice([r for r in hosts if units[r] < per_region])
            units[region] += 1
        for region in regions[tier]:
            out[(region, system)] = units.get(region, 0)
    return out

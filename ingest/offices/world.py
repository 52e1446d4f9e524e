"""The true world the 31 offices' exports describe: regions, units, cadres with their posts, companies, tenders.

One province (江西省 360000), six of its cities and four counties of each, with
their real GB/T 2260 codes and names. Every entity has a truth id (``O:…`` for a
unit, ``P…`` for a person, ``C…`` for a company); the offices' files never show
it. Homonym decoys are planted here: common names for cadres in different
counties, the same town name in two counties, sound-alike and same-named
companies in two cities, branches beside their parent companies.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from stdnum.cn import ric, uscc

from ingest.parse import region_name

from .names import _HOMOPHONES, CORE_DEPARTMENTS, DEPARTMENTS, RATES, Department

__all__ = ["PROVINCE", "CITIES", "Scale", "SCALES", "Region", "Org", "Post", "Person", "Company", "Tender", "World"]

PROVINCE = "360000"
# Six cities of 江西省 and four counties (县, 区 or county-level 市) of each.
CITIES: dict[str, tuple[str, ...]] = {
    "360100": ("360102", "360103", "360121", "360124"),  # 南昌市: 东湖区 西湖区 南昌县 进贤县
    "360400": ("360402", "360423", "360424", "360483"),  # 九江市: 濂溪区 武宁县 修水县 庐山市
    "360700": ("360702", "360722", "360731", "360781"),  # 赣州市: 章贡区 信丰县 于都县 瑞金市
    "360800": ("360802", "360821", "360826", "360881"),  # 吉安市: 吉州区 吉安县 泰和县 井冈山市
    "360900": ("360902", "360921", "360981", "360983"),  # 宜春市: 袁州区 奉新县 丰城市 高安市
    "361100": ("361102", "361123", "361128", "361130"),  # 上饶市: 信州区 玉山县 鄱阳县 婺源县
}


@dataclass(frozen=True)
class Scale:
    """How big the world is."""

    name: str
    departments: dict[str, int]  # per tier: how many government departments a region has
    towns: int  # per county
    party_standing: int  # 常委 besides the secretary and one deputy
    gov_deputies: int
    dept_deputies: int  # at most, per department
    companies_per_city: int
    tenders: dict[str, int]  # per office tier
    bidders: tuple[int, int]
    homonyms: tuple[int, int]  # (common names planted, cadres per name)


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        "tiny",
        {"county": 7, "city": 8, "province": 8},
        3,
        1,
        1,
        1,
        10,
        {"county": 2, "city": 3, "province": 3},
        (3, 4),
        (4, 2),
    ),
    "small": Scale(
        "small",
        {"county": 18, "city": 20, "province": 16},
        6,
        2,
        2,
        2,
        45,
        {"county": 8, "city": 12, "province": 14},
        (3, 6),
        (8, 3),
    ),
}


@dataclass(frozen=True)
class Region:
    code: str
    name: str  # 修水县
    short: str  # 修水
    suffix: str  # 县 / 区 / 市 / 省: what a unit of this region calls its own place in its own files
    tier: str  # province, city, county
    parent: str | None


def _region(code: str, tier: str, parent: str | None) -> Region:
    name = region_name(code)
    if name is None:
        raise ValueError(f"unknown region code {code}")
    return Region(code, name, name[:-1], name[-1], tier, parent)


@dataclass
class Org:
    eid: str
    region: Region
    role: str  # party, gov, discipline, orgdept, inspection, dept, town, school, hospital, tcm_hospital
    tier: str  # Organisation.tier: province, city, county, township
    kind: str  # Organisation.kind
    full: str  # the full name, place included: never written for two units
    parent: str | None = None
    dept: Department | None = None
    town: str | None = None  # a township's own name (太平镇)


@dataclass
class Post:
    org: str
    level: str  # head, deputy, standing, chief (a township's 镇长)
    start: dt.date
    end: dt.date | None = None


@dataclass
class Person:
    eid: str
    name: str
    gender: str  # 男 / 女
    birth: dt.date
    rid: str
    posts: list[Post] = field(default_factory=list)
    province_listed: bool = False  # a county leader the province's roster lists too


@dataclass
class Company:
    eid: str
    city: Region
    region: Region  # the county it is registered in
    place: str  # the place word in its name (九江, 修水)
    trade: str  # 字号 (东升)
    industry: str  # 劳务
    form: str  # 有限公司 / 有限责任公司
    style: str  # prefix_first / bracketed
    uscc: str
    legal: str
    established: dt.date
    branch_of: str | None = None
    branch_place: str | None = None  # 修水 in …修水分公司
    planted: str | None = None  # the decoy it was planted for


@dataclass
class Tender:
    number: str
    office: str
    buyer: str
    title: str
    announced: dt.date
    bids: list[tuple[str, float, bool]] = field(default_factory=list)  # (company, amount, won)


@dataclass
class World:
    seed: int
    scale: Scale
    regions: dict[str, Region]
    orgs: dict[str, Org] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    companies: dict[str, Company] = field(default_factory=dict)
    tenders: list[Tender] = field(default_factory=list)
    # (kind, decoy, entity a, entity b): entity pairs that look alike and are not one.
    decoys: list[tuple[str, str, str, str]] = field(default_factory=list)

    def offices(self) -> list[Region]:
        """The 31 offices, province first, then each city followed by its counties."""
        out = [self.regions[PROVINCE]]
        for city, counties in CITIES.items():
            out.append(self.regions[city])
            out.extend(self.regions[c] for c in counties)
        return out

    def units_of(self, region: str) -> list[Org]:
        return [o for o in self.orgs.values() if o.region.code == region]


_SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国文辉林斌波宇浩凯鹏飞俊峰志新海燕红梅玲晓春雪亮成"
    "兵辉东金云龙晨思佳欣宏荣忠德清源琳雯慧婷瑶琪毅凡翔彬晖韬博旭昊鑫诚远中兴"
)
_COMMON_NAMES = ("王伟", "李娜", "张伟", "刘洋", "王芳", "李强", "张敏", "陈静", "刘杰", "王磊")
_TOWN_NAMES = (
    "城关",
    "新塘",
    "白沙",
    "黄田",
    "石门",
    "大桥",
    "马口",
    "杨林",
    "梅林",
    "古城",
    "长安",
    "三江",
    "南岭",
    "龙岗",
    "桃源",
    "高桥",
    "麻田",
    "沙溪",
    "青龙",
    "东山",
    "西坑",
    "花园",
    "朱坊",
    "溪口",
    "港口",
    "洋溪",
    "黄坑",
    "上塘",
    "下洲",
    "湖田",
    "樟树",
    "枫林",
    "白鹭",
    "金竹",
    "罗坊",
    "江口",
    "沙田",
    "新田",
    "安和",
    "石桥",
)
# Characters of trade names (字号), rich in sound-alikes, and industries.
_TRADE = "东升宏达恒信金盛华瑞鑫源建兴嘉祥泰隆昌通明安顺鹏凯宇德富永美天诚利丰晨光中正万博鼎盈亿和汇泽广"
_INDUSTRIES = (
    "建材",
    "劳务",
    "建筑工程",
    "工程咨询",
    "物业管理",
    "园林绿化",
    "信息技术",
    "医疗器械",
    "办公用品",
    "餐饮管理",
    "交通设施",
    "环保科技",
    "装饰工程",
    "电力工程",
    "水利工程",
    "商贸",
)
_STREETS = ("人民路", "解放路", "建设路", "中山路", "滨江路", "新华路", "胜利路", "文化路", "工业大道", "迎宾大道")
# Planted company decoys: (decoy, [(city, trade, industry, form, style), (city, trade, industry, form, style)]).
_PLANTED_COMPANIES = (
    (
        "sound_alike",
        (
            ("360400", "宏达", "建材", "有限公司", "prefix_first"),
            ("360700", "鸿达", "建材", "有限公司", "prefix_first"),
        ),
    ),
    (
        "sound_alike",
        (
            ("360100", "恒信", "物业管理", "有限公司", "prefix_first"),
            ("360800", "恒鑫", "物业管理", "有限责任公司", "prefix_first"),
        ),
    ),
    (
        "sound_alike",
        (
            ("360900", "金盛", "园林绿化", "有限公司", "bracketed"),
            ("361100", "锦盛", "园林绿化", "有限公司", "prefix_first"),
        ),
    ),
    (
        "same_trade_name",
        (
            ("360400", "东升", "劳务", "有限责任公司", "bracketed"),
            ("361100", "东升", "劳务", "有限公司", "prefix_first"),
        ),
    ),
    (
        "same_trade_name",
        (
            ("360100", "华瑞", "建筑工程", "有限公司", "prefix_first"),
            ("360700", "华瑞", "建筑工程", "有限公司", "prefix_first"),
        ),
    ),
)
# The same town name in two counties of two cities: 修水县太平镇 and 于都县太平镇.
_PLANTED_TOWNS = (("太平", ("360424", "360731")),)


def _sound_key(text: str) -> str:
    return "".join(_HOMOPHONES.get(c, c)[0] for c in text)


class _Builder:
    def __init__(self, scale: Scale, seed: int):
        self.rng = random.Random(f"offices-world:{seed}")
        regions = {PROVINCE: _region(PROVINCE, "province", None)}
        for city, counties in CITIES.items():
            regions[city] = _region(city, "city", PROVINCE)
            for county in counties:
                regions[county] = _region(county, "county", city)
        self.w = World(seed, scale, regions)
        self.scale = scale
        self.n_people = 0
        self.rid_seen: set[str] = set()

    # --- units ---------------------------------------------------------------------------------------------------

    def add_org(
        self, region: Region, role: str, key: str, kind: str, full: str, tier: str | None = None, **extra: object
    ) -> Org:
        org = Org(f"O:{region.code}:{key}", region, role, tier or region.tier, kind, full, **extra)  # type: ignore[arg-type]
        if org.eid in self.w.orgs:
            raise ValueError(f"duplicate unit {org.eid}")
        self.w.orgs[org.eid] = org
        return org

    def units(self) -> None:
        rng, scale = self.rng, self.scale
        towns_taken: dict[str, list[str]] = {c: [] for cs in CITIES.values() for c in cs}
        for base, counties in _PLANTED_TOWNS:
            for c in counties:
                towns_taken[c].append(base)
        for region in self.w.offices():
            r = region
            office_word = "巡视" if r.tier == "province" else "巡察"
            upper = self.w.orgs.get(f"O:{r.parent}:party") if r.parent else None
            upper_gov = self.w.orgs.get(f"O:{r.parent}:gov") if r.parent else None
            party = self.add_org(
                r, "party", "party", "party_committee", f"中共{r.name}委员会", parent=upper.eid if upper else None
            )
            gov = self.add_org(
                r, "gov", "gov", "other", f"{r.name}人民政府", parent=upper_gov.eid if upper_gov else None
            )
            self.add_org(
                r, "discipline", "discipline", "discipline_commission", f"中共{r.name}纪律检查委员会", parent=party.eid
            )
            self.add_org(
                r, "orgdept", "orgdept", "organisation_department", f"中共{r.name}委员会组织部", parent=party.eid
            )
            self.add_org(
                r,
                "inspection",
                "inspection",
                "inspection_office",
                f"中共{r.name}委员会{office_word}工作领导小组办公室",
                parent=party.eid,
            )
            offered = [d for d in DEPARTMENTS if d.at(r.tier) is not None]
            core = [d for d in offered if d.key in CORE_DEPARTMENTS]
            rest = [d for d in offered if d.key not in CORE_DEPARTMENTS]
            chosen = core + rng.sample(rest, max(0, min(len(rest), scale.departments[r.tier] - len(core))))
            for d in sorted(chosen, key=DEPARTMENTS.index):
                name = d.at(r.tier)
                assert name is not None
                self.add_org(r, "dept", f"dept:{d.key}", d.kind, f"{r.name}{name[0]}", parent=gov.eid, dept=d)
            if r.tier != "county":
                continue
            bases = towns_taken[r.code]
            pool = [t for t in _TOWN_NAMES if t not in bases]
            bases.extend(rng.sample(pool, scale.towns - len(bases)))
            for base in bases:
                # Districts have 街道; counties 镇 and 乡.
                word = "街道" if r.suffix == "区" and rng.random() < 0.6 else ("乡" if rng.random() < 0.25 else "镇")
                if base == "太平":
                    word = "镇"
                town = base + word
                self.add_org(
                    r, "town", f"town:{town}", "township", f"{r.name}{town}", tier="township", parent=gov.eid, town=town
                )
            self.add_org(r, "school", "school", "school", f"{r.name}第一中学", parent=gov.eid)
            self.add_org(r, "hospital", "hospital", "hospital", f"{r.name}人民医院", parent=gov.eid)
            self.add_org(r, "tcm_hospital", "tcm_hospital", "hospital", f"{r.name}中医院", parent=gov.eid)
        self.unit_decoys()

    def unit_decoys(self) -> None:
        w = self.w
        towns: dict[str, list[Org]] = {}
        for org in w.orgs.values():
            if org.role == "town":
                assert org.town is not None
                towns.setdefault(org.town, []).append(org)
        for same in towns.values():
            for i, a in enumerate(same):
                for b in same[i + 1 :]:
                    w.decoys.append(("organisation", "same_town_name", a.eid, b.eid))
        for region in w.offices():
            w.decoys.append(
                ("organisation", "discipline_vs_committee", f"O:{region.code}:discipline", f"O:{region.code}:party")
            )
            if region.tier == "county":
                w.decoys.append(
                    (
                        "organisation",
                        "hospital_vs_tcm_hospital",
                        f"O:{region.code}:hospital",
                        f"O:{region.code}:tcm_hospital",
                    )
                )

    # --- people --------------------------------------------------------------------------------------------------

    def resident_id(self, birth: dt.date, gender: str, home: str) -> str:
        rng = self.rng
        counties = [c for cs in CITIES.values() for c in cs]
        while True:
            place = home if rng.random() < 0.7 else rng.choice(counties)
            seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if gender == "男" else (0, 2, 4, 6, 8))
            body = f"{place}{birth:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")  # it reads the first 17 characters
            if number not in self.rid_seen:
                self.rid_seen.add(number)
                return number

    def person(self, home: str) -> Person:
        rng = self.rng
        self.n_people += 1
        gender = "男" if rng.random() < 0.72 else "女"
        given = rng.choice(_GIVEN) + ("" if rng.random() < 0.35 else rng.choice(_GIVEN))
        birth = dt.date(rng.randint(1963, 1992), rng.randint(1, 12), rng.randint(1, 28))
        p = Person(
            f"P{self.n_people:05d}", rng.choice(_SURNAMES) + given, gender, birth, self.resident_id(birth, gender, home)
        )
        self.w.people[p.eid] = p
        return p

    def start(self, earliest: int = 2016) -> dt.date:
        return dt.date(self.rng.randint(earliest, 2023), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def cadres(self) -> None:
        rng, scale = self.rng, self.scale
        for org in list(self.w.orgs.values()):
            home = (
                org.region.code if org.region.tier == "county" else rng.choice(CITIES.get(org.region.code, ("360102",)))
            )
            if org.role == "party":
                levels = ["head", "deputy"] + ["standing"] * scale.party_standing
            elif org.role == "gov":
                levels = ["head"] + ["deputy"] * scale.gov_deputies
            elif org.role in ("discipline", "orgdept"):
                levels = ["head", "deputy"]
            elif org.role == "dept":
                levels = ["head"] + ["deputy"] * rng.randint(0 if scale.dept_deputies < 2 else 1, scale.dept_deputies)
            elif org.role == "town":
                levels = ["head", "chief"]
            else:
                levels = ["head"]
            for level in levels:
                p = self.person(home)
                p.posts.append(Post(org.eid, level, self.start()))
                if org.region.tier == "county" and org.role in ("party", "gov") and level == "head":
                    p.province_listed = rng.random() < 0.5
        self.transfers()
        self.homonyms()

    def transfers(self) -> None:
        """Earlier posts in another county of the same city (8% of county cadres; 10% of city cadres)."""
        rng, w = self.rng, self.w
        for p in list(w.people.values()):
            post = p.posts[0]
            org = w.orgs[post.org]
            region = org.region
            if region.tier == "county" and rng.random() < 0.08:
                others = [c for c in CITIES[region.parent or ""] if c != region.code]
                target = rng.choice(others)
                same = f"O:{target}:{post.org.split(':', 2)[2]}"
                level = post.level
                if same not in w.orgs:
                    same = rng.choice([o.eid for o in w.units_of(target) if o.role == "dept"])
                    level = "head" if level == "head" else "deputy"
            elif region.tier == "city" and region.code in CITIES and rng.random() < 0.10:
                target = rng.choice(CITIES[region.code])
                same = rng.choice([o.eid for o in w.units_of(target) if o.role in ("dept", "town")])
                level = "head"
            else:
                continue
            end = post.start - dt.timedelta(days=rng.randint(10, 120))
            start = dt.date(end.year - rng.randint(2, 5), rng.randint(1, 12), rng.randint(1, 28))
            p.posts.insert(0, Post(same, level, start, end))

    def homonyms(self) -> None:
        """Common names given to cadres of different counties, born in different years."""
        rng, w = self.rng, self.w
        n_names, per_name = self.scale.homonyms
        by_county: dict[str, list[Person]] = {}
        for p in w.people.values():
            region = w.orgs[p.posts[-1].org].region
            if region.tier == "county" and len(p.posts) == 1:
                by_county.setdefault(region.code, []).append(p)
        counties = sorted(by_county)
        for name in _COMMON_NAMES[:n_names]:
            years: set[int] = set()
            for county in rng.sample(counties, per_name):
                p = rng.choice(by_county[county])
                by_county[county].remove(p)
                while p.birth.year in years:
                    p.birth = p.birth.replace(year=p.birth.year + 1)
                years.add(p.birth.year)
                p.name = name
                p.gender = "女" if name in ("李娜", "王芳", "张敏", "陈静") else "男"
                self.rid_seen.discard(p.rid)
                p.rid = self.resident_id(p.birth, p.gender, county)
        by_name: dict[str, list[Person]] = {}
        for p in w.people.values():
            by_name.setdefault(p.name, []).append(p)
        for same in by_name.values():
            for i, a in enumerate(same):
                for b in same[i + 1 :]:
                    w.decoys.append(("person", "homonym", a.eid, b.eid))

    # --- companies -----------------------------------------------------------------------------------------------

    def uscc(self, region: str) -> str:
        body = "91" + region + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        return body + uscc.calc_check_digit(body)

    def company(
        self,
        city: str,
        trade: str,
        industry: str,
        form: str,
        style: str,
        planted: str | None = None,
        county: str | None = None,
    ) -> Company:
        rng, w = self.rng, self.w
        county = county or rng.choice(CITIES[city])
        c_region = w.regions[county]
        place = w.regions[city].short if (planted or rng.random() < 0.8) else c_region.short
        legal = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + ("" if rng.random() < 0.3 else rng.choice(_GIVEN))
        c = Company(
            f"C{len(w.companies) + 1:05d}",
            w.regions[city],
            c_region,
            place,
            trade,
            industry,
            form,
            style,
            self.uscc(county),
            legal,
            dt.date(rng.randint(2000, 2021), rng.randint(1, 12), rng.randint(1, 28)),
            planted=planted,
        )
        w.companies[c.eid] = c
        return c

    def branch(self, parent: Company, county: str) -> Company:
        rng, w = self.rng, self.w
        region = w.regions[county]
        legal = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
        b = Company(
            f"C{len(w.companies) + 1:05d}",
            parent.city,
            region,
            parent.place,
            parent.trade,
            parent.industry,
            parent.form,
            parent.style,
            self.uscc(county),
            legal,
            dt.date(rng.randint(max(parent.established.year, 2005), 2022), rng.randint(1, 12), 1),
            branch_of=parent.eid,
            branch_place=region.short,
            planted=parent.planted,
        )
        w.companies[b.eid] = b
        w.decoys.append(("company", "branch", b.eid, parent.eid))
        return b

    def companies(self) -> None:
        rng, w = self.rng, self.w
        taken = set()
        for decoy, pair in _PLANTED_COMPANIES:
            made = [
                self.company(city, trade, ind, form, style, planted=decoy) for city, trade, ind, form, style in pair
            ]
            w.decoys.append(("company", decoy, made[0].eid, made[1].eid))
            for _, trade, ind, _, _ in pair:
                taken.add(_sound_key(trade + ind))
        dongsheng = next(c for c in w.companies.values() if c.trade == "东升" and c.city.code == "360400")
        self.branch(dongsheng, "360424" if dongsheng.region.code != "360424" else "360423")
        styles, forms = RATES["company.registered_style"], RATES["company.registered_form"]
        for city in CITIES:
            count = 0
            while count < self.scale.companies_per_city:
                trade = "".join(rng.sample(_TRADE, 2))
                industry = rng.choice(_INDUSTRIES)
                key = _sound_key(trade + industry)
                if key in taken:
                    continue
                taken.add(key)
                form = "有限公司" if rng.random() < forms["有限公司"] else "有限责任公司"
                style = "prefix_first" if rng.random() < styles["prefix_first"] else "bracketed"
                c = self.company(city, trade, industry, form, style)
                count += 1
                if rng.random() < 0.10:
                    self.branch(c, rng.choice([k for k in CITIES[city] if k != c.region.code]))

    # --- tenders -------------------------------------------------------------------------------------------------

    def tenders(self) -> None:
        rng, w = self.rng, self.w
        by_county: dict[str, list[Company]] = {}
        by_city: dict[str, list[Company]] = {}
        for c in w.companies.values():
            by_county.setdefault(c.region.code, []).append(c)
            by_city.setdefault(c.city.code, []).append(c)
        everyone = list(w.companies.values())
        subjects = (
            "办公设备采购",
            "道路维修工程",
            "物业服务",
            "绿化养护",
            "食堂服务",
            "信息化建设",
            "校舍改造",
            "劳务派遣",
            "建材采购",
            "监理服务",
            "医疗设备采购",
            "防汛物资采购",
        )
        for office in w.offices():
            buyers = [
                o
                for o in w.units_of(office.code)
                if o.role in ("dept", "town", "school", "hospital", "tcm_hospital", "gov")
            ]
            planted = [
                c
                for c in (
                    by_county.get(office.code, [])
                    if office.tier == "county"
                    else by_city.get(office.code, [])
                    if office.tier == "city"
                    else []
                )
                if c.planted
            ]
            for n in range(1, self.scale.tenders[office.tier] + 1):
                buyer = rng.choice(buyers)
                year = rng.randint(2021, 2024)
                t = Tender(
                    f"{n:03d}",
                    office.code,
                    buyer.eid,
                    rng.choice(subjects),
                    dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
                )
                k = rng.randint(*self.scale.bidders)
                chosen: list[Company] = []
                if planted:
                    chosen.append(planted.pop())
                while len(chosen) < k:
                    roll = rng.random()
                    if office.tier == "county":
                        pool = (
                            by_county.get(office.code, [])
                            if roll < 0.5
                            else (by_city[office.parent or ""] if roll < 0.8 else everyone)
                        )
                    elif office.tier == "city":
                        pool = by_city[office.code] if roll < 0.8 else everyone
                    else:
                        pool = everyone
                    c = rng.choice(pool or everyone)
                    if c not in chosen:
                        chosen.append(c)
                budget = rng.randint(20, 800) * 10_000
                winner = rng.randrange(len(chosen))
                for i, c in enumerate(chosen):
                    t.bids.append((c.eid, round(budget * rng.uniform(0.82, 0.99), 2), i == winner))
                w.tenders.append(t)


def build_world(scale: Scale, seed: int) -> World:
    """The true world for one seed."""
    b = _Builder(scale, seed)
    b.units()
    b.cadres()
    b.companies()
    b.tenders()
    return b.w

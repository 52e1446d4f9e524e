"""A city inspection office's own exports: 嘉兴市 (330400) and its districts 南湖区 (330402) and 秀洲区 (330411).

:func:`build_world` makes the office's records: a seeded background of unremarkable units, cadres, tours,
findings, rectifications, leads, transfers, firms and tenders, into which one instance of every pattern
the detectors look for is planted, each beside look-alikes that are not that pattern. The known answers
are in :class:`Answers`; the builder checks them against its own records (a background that happened to
form a pattern would make the answers wrong). :func:`write_exports` writes the files as the office's
systems export them: its own unit codes (``JX-0009``), its own category and system words
(``office/taxonomy.yaml``), dates in mixed styles, title rows and merged two-row headers in XLSX, one GBK
CSV, full-width characters here and there. The mappings that read them are in ``office/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from stdnum.cn import ric, uscc

OFFICE = Path(__file__).parent / "office"
TAXONOMY = OFFICE / "taxonomy.yaml"
MAPPING_NAMES = (
    "units",
    "cadres",
    "firms",
    "declarations",
    "findings_city",
    "findings_nanhu",
    "findings_xiuzhou",
    "rectification",
    "teams",
    "leads_jw",
    "leads_xcb",
    "transfers",
    "bids",
)
MAPPINGS = tuple(OFFICE / f"{name}.yaml" for name in MAPPING_NAMES)
AS_OF = dt.date(2025, 1, 15)  # the next round's planning day

_CATEGORIES = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))["categories"]
LEAVES = [c["code"] for c in _CATEGORIES if c.get("parent")]
# How the office writes each category: its name, an alias, or the bare code.
_WORDS = {c["code"]: [c["name"], *c.get("aliases", [])] for c in _CATEGORIES if c.get("parent")}
# The problem texts each category's findings and petitions are written in; every one carries a keyword the
# 秀洲 findings and the 纪委 register are classified by (checked in build_world).
PHRASES = {
    "Z1-01": ["落实上级决策部署打折扣、搞变通", "贯彻上级决策部署不到位，重点任务推进缓慢"],
    "Z1-02": ["意识形态工作责任制落实不到位", "意识形态阵地管理存在薄弱环节"],
    "Z1-03": ["形式主义问题突出，台账材料重留痕轻实效", "文山会海问题仍然存在"],
    "Z2-01": ["选人用人程序不规范", "干部任用前未按规定征求纪检意见"],
    "Z2-02": ["下属支部软弱涣散，长期未换届", "基层党组织软弱涣散，战斗堡垒作用发挥不充分"],
    "Z2-03": ["三会一课制度落实不严", "组织生活会流于形式，批评与自我批评辣味不足"],
    "Z2-04": ["党费收缴不及时、标准不准确", "党员档案管理混乱，党费台账缺失"],
    "Z3-01": ["违规收受管理服务对象礼品礼金", "公款吃喝问题禁而未绝", "公车私用现象时有发生"],
    "Z3-02": ["以加班费名义违规发放津补贴", "超标准发放年终奖金", "违规发放节日津补贴"],
    "Z3-03": ["专项资金拨付不及时、挤占挪用", "专项资金使用绩效不高"],
    "Z3-04": ["工程项目招投标不规范，化整为零规避招标", "部分项目存在围标嫌疑"],
    "Z3-05": ["国有资产底数不清、账实不符", "资产出租未经评估、租金长期未收缴"],
    "Z3-06": ["三公经费管控不严，公务接待超标准", "三公经费支出无预算"],
    "Z3-07": ["领导干部亲属经商办企业问题未如实报告", "亲属经商办企业与本单位存在业务往来"],
}
_JW_DOC = yaml.safe_load((OFFICE / "leads_jw.yaml").read_text(encoding="utf-8"))
_JW_UNIT = re.compile(_JW_DOC["fields"]["unit_name"]["extract"])  # how the 纪委 register's unit is read

OFFICES = {"JX": ("嘉兴市", "330400"), "NH": ("南湖区", "330402"), "XZ": ("秀洲区", "330411")}
OFFICE_BODY = {"JX": "中共嘉兴市委巡察办", "NH": "中共南湖区委巡察办", "XZ": "中共秀洲区委巡察办"}
HOT = "JX-0009"  # 嘉兴市交通运输局: serious findings every time, a ring's buyer, a conflict, leads
CLEAN = "JX-0024"  # 嘉兴市河道管理中心: inspected, never a problem found

# ------------------------------------------------------------------------------------------- units
_CITY_UNITS: list[tuple[str, str, str | None, str | None, bool]] = [
    # code, name, system, parent, inspectors' own unit (never a target)
    ("JX-0001", "中共嘉兴市委", None, None, True),
    ("JX-0002", "中共嘉兴市委巡察工作领导小组办公室", None, "JX-0001", True),
    ("JX-0003", "中共嘉兴市纪律检查委员会", None, "JX-0001", True),
    ("JX-0004", "中共嘉兴市委组织部", None, "JX-0001", True),
    ("JX-0005", "嘉兴市审计局", None, "JX-0001", True),
    ("JX-0006", "嘉兴市供销合作社", "gx", "JX-0001", False),
    ("JX-0007", "嘉兴市再生资源回收有限公司", "gx", "JX-0006", False),
    ("JX-0008", "嘉兴市农业生产资料有限公司", "gx", "JX-0006", False),
    ("JX-0009", "嘉兴市交通运输局", "jt", "JX-0001", False),
    ("JX-0010", "嘉兴市公路与运输管理中心", "jt", "JX-0009", False),
    ("JX-0011", "嘉兴市港航管理服务中心", "jt", "JX-0009", False),
    ("JX-0012", "嘉兴市教育局", "jy", "JX-0001", False),
    ("JX-0013", "嘉兴市第一中学", "jy", "JX-0012", False),
    ("JX-0014", "嘉兴市实验小学", "jy", "JX-0012", False),
    ("JX-0015", "嘉兴市卫生健康委员会", "ws", "JX-0001", False),
    ("JX-0016", "嘉兴市第一医院", "ws", "JX-0015", False),
    ("JX-0017", "嘉兴市中医医院", "ws", "JX-0015", False),
    ("JX-0018", "嘉兴市综合行政执法局", "cg", "JX-0001", False),
    ("JX-0019", "嘉兴市市政设施管理中心", "cg", "JX-0018", False),
    ("JX-0020", "嘉兴市农业农村局", "nn", "JX-0001", False),
    ("JX-0021", "嘉兴市农业经济局", "nn", "JX-0001", False),
    ("JX-0022", "嘉兴市农业技术推广中心", "nn", "JX-0020", False),
    ("JX-0023", "嘉兴市水利局", "sl", "JX-0001", False),
    ("JX-0024", "嘉兴市河道管理中心", "sl", "JX-0023", False),
    ("JX-0025", "嘉兴市民政局", "mz", "JX-0001", False),
    ("JX-0026", "嘉兴市社会福利中心", "mz", "JX-0025", False),
    ("JX-0027", "嘉兴市财政局", "cz", "JX-0001", False),
    ("JX-0028", "嘉兴市国库支付中心", "cz", "JX-0027", False),
    ("JX-0029", "嘉兴市市场监督管理局", "sc", "JX-0001", False),
    ("JX-0030", "嘉兴市食品药品检验检测中心", "sc", "JX-0029", False),
]
_COUNTY_UNITS: list[tuple[str, str | None, int | None, bool]] = [
    # name after the district's, system, parent's number, inspectors' own unit
    ("委", None, None, True),
    ("委巡察工作领导小组办公室", None, 1, True),
    ("纪律检查委员会", None, 1, True),
    ("审计局", None, 1, True),
    ("供销合作社", "gx", 1, False),
    ("农资有限公司", "gx", 5, False),
    ("交通运输局", "jt", 1, False),
    ("教育局", "jy", 1, False),
    ("实验中学", "jy", 8, False),
    ("卫生健康局", "ws", 1, False),
    ("人民医院", "ws", 10, False),
    ("综合行政执法局", "cg", 1, False),
    ("农业农村局", "nn", 1, False),
    ("水利局", "sl", 1, False),
    ("民政局", "mz", 1, False),
    ("财政局", "cz", 1, False),
    ("市场监督管理局", "sc", 1, False),
]
_TOWNS = {"NH": ["新兴街道", "建设街道", "七星街道", "凤桥镇"], "XZ": ["新城街道", "王江泾镇", "油车港镇", "洪合镇"]}
_SYSTEM_WORDS = {
    "gx": ["供销社", "供销合作", "供销系统"],
    "jt": ["交通", "交通运输", "交通口"],
    "jy": ["教育", "教育口"],
    "ws": ["卫健", "卫生健康", "卫生口"],
    "cg": ["综合执法", "城管", "城市管理"],
    "nn": ["农业农村", "农口"],
    "sl": ["水利", "水务"],
    "mz": ["民政"],
    "cz": ["财政", "财税"],
    "sc": ["市场监管", "市监"],
}

_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = list(
    "伟芳娜秀敏静丽强磊军洋勇艳杰涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志宏晓俊峰婷雪琳颖"
    "浩宇欣然凯亮斌文博瑞嘉怡思源泽晨昊天佳慧丹凤梅琴云海波宁雯倩"
)
# The planted people's names (the background never uses them).
QIAN, SUN = "钱立群", "孙晓梅"  # cadre at the hot unit and his wife, a shareholder of a bidder there
ZHOU, ZHOU_SON = "周建国", "周子涵"  # his son's firm bids at another buyer: no conflict
WU, WU_BROTHER = "吴永康", "吴永平"  # his brother's firm bids where he served, after he left: no conflict
ZHENG = "郑卫东"  # inspector who once worked at a target of his own tour
FENG, CHEN = "冯国庆", "陈慧敏"  # inspector whose wife serves at a target of his tour
CHU = "褚红英"  # inspector who once worked at a target of another team of her round
WEI, JIANG = "卫志强", "蒋丽娟"  # inspector whose wife came to a target after the tour began
PLANTED_NAMES = {QIAN, SUN, ZHOU, ZHOU_SON, WU, WU_BROTHER, ZHENG, FENG, CHEN, CHU, WEI, JIANG}


# ------------------------------------------------------------------------------------------- records
@dataclass
class Unit:
    code: str
    name: str
    office: str
    tier: str
    system: str | None
    parent: str | None
    pool: bool
    region: str
    risk: float = 0.0
    dissolved: dt.date | None = None
    successor: str | None = None

    @property
    def key(self) -> str:
        return f"unit:{self.code}"


@dataclass
class Post:
    unit: str
    title: str
    start: dt.date
    end: dt.date | None = None


@dataclass
class Person:
    name: str
    rid: str
    gender: str
    posts: list[Post] = field(default_factory=list)
    office: str = "JX"

    def serving(self, unit: str, day: dt.date) -> bool:
        return any(p.unit == unit and p.start <= day and (p.end is None or day <= p.end) for p in self.posts)


@dataclass
class Relative:
    declarant: Person
    person: Person
    relation: str
    firm: Company | None = None
    firm_by_name: bool = False  # the declaration gives the firm's name without its credit code
    role: str | None = None
    share: str | None = None


@dataclass
class Company:
    uscc: str
    name: str
    trade: str
    legal: Person
    address: str
    phone: str
    established: dt.date
    registrar: str
    shareholders: list[tuple[str, str]] = field(default_factory=list)
    officers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"firm:{self.uscc}"


@dataclass
class Tour:
    office: str
    year: int
    half: int
    team: int
    start: dt.date
    end: dt.date
    kind: str = "常规巡察"
    targets: list[str] = field(default_factory=list)
    members: list[tuple[Person, str]] = field(default_factory=list)

    @property
    def round(self) -> str:
        return f"{self.year}年第{'一二'[self.half - 1]}轮"

    @property
    def team_name(self) -> str:
        return f"第{'一二三'[self.team - 1]}巡察组"

    @property
    def key(self) -> str:
        return f"xc:{self.office}:{self.round}:{self.team_name}"


@dataclass
class Finding:
    ref: str
    tour: Tour
    unit: str
    category: str
    severity: str
    found: dt.date
    text: str
    amount: float | None = None
    row: str = ""  # 秀洲: the feedback row this finding is one problem of

    @property
    def key(self) -> str:
        return f"wt:{self.ref}"


@dataclass
class Rectification:
    finding: Finding
    word: str  # progress as the ledger writes it
    status: str  # what the mapping makes of it
    reported: dt.date | None
    verified: str  # 已验收 / 未验收 / ""

    @property
    def key(self) -> str:
        return f"zg:{self.finding.ref}"


@dataclass
class Lead:
    dept: str  # jw | xcb
    ref: str
    received: dt.date
    source: str
    unit: str
    person: Person | None
    category: str
    text: str
    status: str
    petitioner: str | None = None

    @property
    def key(self) -> str:
        return f"xs:{self.dept}:{self.ref}"


@dataclass
class Transfer:
    ref: str
    lead: Lead
    date: dt.date
    recipient: str
    deadline: dt.date
    feedback: dt.date | None
    result: str = ""

    @property
    def key(self) -> str:
        return f"yj:{self.ref}"


@dataclass
class Bid:
    company: Company
    amount: float
    with_code: bool = True
    rank: int = 0
    won: bool = False


@dataclass
class Tender:
    ref: str
    title: str
    buyer: str
    budget_wan: float
    method: str
    announced: dt.date
    bids: list[Bid] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"zb:{self.ref}"


@dataclass
class Answers:
    """What each detector must find in the office's graph, and the look-alikes it must not."""

    systemic: tuple[str, str] = ("gx", "Z3-02")
    systemic_decoy: tuple[str, str] = ("jy", "Z2-03")
    systemic_units: dict[str, set[str]] = field(default_factory=dict)  # tier -> unit keys planted
    recurrences: set[tuple[str, str]] = field(default_factory=set)  # (rectification key, later finding key)
    sham: set[str] = field(default_factory=set)  # rectification keys whose recurrence is a verified sham
    recurrence_decoys: set[str] = field(default_factory=set)  # rectification keys
    after_status_change: tuple[str, str] = ("", "")  # the recurrence 基本完成 -> completed brings in
    basic_done: int = 0  # ledger rows written 基本完成
    ring: set[str] = field(default_factory=set)  # company keys
    ring_tenders: set[str] = field(default_factory=set)
    ring_decoy: set[str] = field(default_factory=set)
    conflicts: set[tuple[str, str, str]] = field(default_factory=set)  # (cadre, company name, tender key)
    conflict_decoys: set[tuple[str, str, str]] = field(default_factory=set)
    duplicates: set[frozenset[str]] = field(default_factory=set)  # lead keys
    duplicate_decoys: set[frozenset[str]] = field(default_factory=set)
    overdue: dict[str, str] = field(default_factory=dict)  # transfer key -> kind
    overdue_decoys: set[str] = field(default_factory=set)
    ties: set[tuple[str, str, str, str]] = field(default_factory=set)  # (tour key, inspector, unit key, kind)
    tie_decoys: set[tuple[str, str, str]] = field(default_factory=set)
    hot: str = f"unit:{HOT}"
    clean: str = f"unit:{CLEAN}"
    lazy_tour: str = ""
    findings_per_unit: dict[str, int] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)  # file name -> the mapping's format


@dataclass
class World:
    units: dict[str, Unit]
    people: list[Person]
    relatives: list[Relative]
    companies: list[Company]
    tours: list[Tour]
    findings: list[Finding]
    rectifications: list[Rectification]
    leads: list[Lead]
    transfers: list[Transfer]
    tenders: list[Tender]
    answers: Answers


# ------------------------------------------------------------------------------------------- helpers
class _Ids:
    """Unique names, resident IDs and credit codes."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set(PLANTED_NAMES)
        self.rids: set[str] = set()
        self.codes: set[str] = set()

    def name(self) -> str:
        while True:
            given = "".join(self.rng.choice(_GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(_SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def rid(self, gender: str, born: dt.date | None = None) -> str:
        while True:
            born = born or dt.date(self.rng.randint(1962, 1996), self.rng.randint(1, 12), self.rng.randint(1, 28))
            place = self.rng.choice(("330402", "330411", "330421", "330424", "330481", "330482", "330483"))
            seq = self.rng.randrange(0, 100, 1) * 10 + self.rng.choice(
                (1, 3, 5, 7, 9) if gender == "男" else (0, 2, 4, 6, 8)
            )
            body = f"{place}{born:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 of 18
            if number not in self.rids:
                self.rids.add(number)
                return number

    def person(self, name: str | None = None, office: str = "JX") -> Person:
        gender = self.rng.choice(("男", "女"))
        return Person(name or self.name(), self.rid(gender), gender, office=office)

    def uscc(self, region: str = "330400") -> str:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        while True:
            body = "91" + region + "MA" + "".join(self.rng.choice(alphabet) for _ in range(7))
            code = body + uscc.calc_check_digit(body)
            if code not in self.codes:
                self.codes.add(code)
                return code


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _classify(text: str, keywords: dict[str, str]) -> str | None:
    return next((code for word, code in keywords.items() if word in text), None)


def _titles(unit: Unit) -> list[str]:
    name = unit.name
    if unit.pool:
        return ["主任", "副主任", "科长", "副科长"] if not name.endswith("委") else ["书记", "副书记"]
    if name.endswith("合作社"):
        return ["党组书记、主任", "副主任", "副主任"]
    if name.endswith("公司"):
        return ["党委书记、董事长", "总经理", "副总经理"]
    if name.endswith(("中学", "小学")):
        return ["党委书记", "校长", "副校长"]
    if name.endswith("医院"):
        return ["党委书记", "院长", "副院长"]
    if name.endswith("中心"):
        return ["主任", "副主任"]
    if name.endswith("街道"):
        return ["党工委书记", "办事处主任", "副主任"]
    if name.endswith("镇"):
        return ["党委书记", "镇长", "副镇长"]
    if name.endswith("委员会"):
        return ["党组书记、主任", "副主任", "副主任", "办公室主任"]
    return ["党组书记、局长", "副局长", "副局长", "办公室主任"]


# ------------------------------------------------------------------------------------------- the world
def build_world(seed: int = 20250115) -> World:
    """The office's records, background and planted patterns, with the answers (checked against them)."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    answers = Answers()
    units = _units(rng)
    people, pool = _cadres(rng, ids, units)
    named = {p.name: p for p in people}

    # -- planted people: cadres, inspectors and their relatives
    qian = named[QIAN]
    zhou, wu = named[ZHOU], named[WU]
    chen, jiang = named[CHEN], named[JIANG]
    sun = ids.person(SUN)
    zhou_son, wu_brother = ids.person(ZHOU_SON), ids.person(WU_BROTHER)
    people += [sun, zhou_son, wu_brother]

    companies, trades, plants = _companies(rng, ids, people)
    relatives = [
        Relative(qian, sun, "妻子", plants["K1"], firm_by_name=True, share="40%"),
        Relative(zhou, zhou_son, "儿子", plants["K2"], role="法定代表人"),
        Relative(wu, wu_brother, "弟弟", plants["K3"], role="经理"),
        Relative(named[FENG], chen, "妻子"),
        Relative(named[WEI], jiang, "妻子"),
    ]
    relatives += _background_relatives(rng, ids, people, pool, plants["background"])
    for r in relatives:
        # The register agrees with the declaration: a legal representative is the register's, an officer
        # is among its officers (a shareholder is in its shareholders already, or not listed there).
        if r.firm is not None and r.role == "法定代表人":
            r.firm.legal = r.person
            r.firm.officers[0] = (r.person.name, "执行董事")
        elif r.firm is not None and r.role:
            r.firm.officers.append((r.person.name, r.role))

    tours = _tours(rng, units, pool, relatives)
    findings, rects = _findings(rng, units, tours, answers)
    leads, transfers = _leads(rng, units, people, answers)
    tenders = _tenders(rng, units, trades, plants, answers)

    world = World(units, people, relatives, companies, tours, findings, rects, leads, transfers, tenders, answers)
    _plant_answers(world)
    _check(world)
    return world


def _units(rng: random.Random) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for code, name, system, parent, pool in _CITY_UNITS:
        units[code] = Unit(code, name, "JX", "city", system, parent, pool, "330400")
    for office in ("NH", "XZ"):
        place, region = OFFICES[office]
        for n, (suffix, system, parent_no, pool) in enumerate(_COUNTY_UNITS, start=1):
            name = f"中共{place}{suffix}" if suffix.startswith(("委", "纪律")) else f"{place}{suffix}"
            parent_code = f"{office}-{parent_no:04d}" if parent_no else "JX-0001"
            units[f"{office}-{n:04d}"] = Unit(
                f"{office}-{n:04d}", name, office, "county", system, parent_code, pool, region
            )
        for n, town in enumerate(_TOWNS[office], start=len(_COUNTY_UNITS) + 1):
            units[f"{office}-{n:04d}"] = Unit(
                f"{office}-{n:04d}", f"{place}{town}", office, "township", None, f"{office}-0001", False, region
            )
    for u in units.values():
        u.risk = 0.0 if u.pool else rng.betavariate(2, 4)
    units[HOT].risk = 1.0
    units[CLEAN].risk = 0.0
    units["JX-0021"].dissolved, units["JX-0021"].successor = dt.date(2022, 6, 30), "JX-0020"
    return units


def _cadres(rng: random.Random, ids: _Ids, units: dict[str, Unit]) -> tuple[list[Person], dict[str, list[Person]]]:
    """Every unit's cadres (some with an earlier post elsewhere), and each office's inspectors."""
    people: list[Person] = []
    pool: dict[str, list[Person]] = defaultdict(list)  # office -> inspectors
    others = {o: [u.code for u in units.values() if u.office == o and not u.pool and not u.dissolved] for o in OFFICES}
    special = {
        # unit, title -> planted name
        (HOT, "副局长"): QIAN,
        ("JX-0012", "副局长"): ZHOU,
        ("JX-0027", "副局长"): WU,
        ("NH-0010", "副局长"): CHEN,
    }
    for u in units.values():
        for i, title in enumerate(_titles(u) * (2 if u.pool else 1)):
            name = special.pop((u.code, title), None)
            p = ids.person(name, u.office)
            start = dt.date(rng.randint(2014, 2022), rng.randint(1, 12), 1)
            if u.dissolved:
                p.posts.append(Post(u.code, title, start, u.dissolved))
                p.posts.append(Post(u.successor or u.code, title, u.dissolved + dt.timedelta(days=1)))
            else:
                p.posts.append(Post(u.code, title, start))
            if not u.pool and name is None and rng.random() < 0.3:
                before = rng.choice([c for c in others[u.office] if c != u.code])
                first = start - dt.timedelta(days=rng.randint(700, 2000))
                p.posts.insert(
                    0, Post(before, rng.choice(("科长", "副科长", "办公室副主任")), first, start - dt.timedelta(days=1))
                )
            people.append(p)
            if u.pool and not u.code.endswith("0001") and i < 8:
                pool[u.office].append(p)
    named = {p.name: p for p in people}
    # Planted posts.
    named[QIAN].posts[0].start = dt.date(2019, 3, 1)
    named[ZHOU].posts[0].start = dt.date(2018, 5, 1)
    wu = named[WU]
    wu.posts = [
        Post("JX-0023", "副局长", dt.date(2015, 1, 5), dt.date(2020, 6, 30)),
        Post("JX-0027", "副局长", dt.date(2020, 7, 1)),
    ]
    named[CHEN].posts = [Post("NH-0010", "副局长", dt.date(2018, 4, 1))]
    jiang = ids.person(JIANG, "XZ")
    jiang.posts = [
        Post("XZ-0004", "科员", dt.date(2016, 9, 1), dt.date(2024, 5, 31)),
        Post("XZ-0008", "办公室副主任", dt.date(2024, 6, 1)),
    ]
    people.append(jiang)
    # Inspectors: one with a former post at a target of his own tour, one at a target of another team.
    for name, office, posts in (
        (
            ZHENG,
            "JX",
            [
                Post("JX-0020", "科长", dt.date(2016, 3, 1), dt.date(2020, 12, 31)),
                Post("JX-0005", "副局长", dt.date(2021, 1, 1)),
            ],
        ),
        (
            CHU,
            "JX",
            [
                Post("JX-0025", "科长", dt.date(2015, 4, 1), dt.date(2019, 7, 31)),
                Post("JX-0003", "副主任", dt.date(2019, 8, 1)),
            ],
        ),
        (FENG, "NH", [Post("NH-0004", "副局长", dt.date(2017, 2, 1))]),
        (WEI, "XZ", [Post("XZ-0004", "副局长", dt.date(2016, 8, 1))]),
    ):
        p = ids.person(name, office)
        p.posts = posts
        people.append(p)
        pool[office].append(p)
    return people, pool


_TRADE_WORDS = [
    "恒达",
    "宏远",
    "华越",
    "鼎盛",
    "永欣",
    "金泰",
    "天成",
    "瑞丰",
    "嘉禾",
    "中诚",
    "盛世",
    "博远",
    "国信",
    "联创",
    "东方",
    "新宇",
    "正泰",
    "安达",
    "万通",
    "卓越",
    "信达",
    "同创",
    "华信",
    "众成",
    "海越",
    "远航",
    "振华",
    "明德",
    "通源",
    "锦程",
    "华泰",
    "兴业",
    "汇丰",
    "德诚",
    "晶华",
    "和顺",
    "长青",
    "立信",
    "宏图",
    "先锋",
    "嘉信",
    "隆盛",
    "润泽",
    "朗润",
    "凯盛",
    "世纪",
    "广厦",
    "金鼎",
    "荣盛",
    "晟达",
    "精诚",
    "开元",
    "弘毅",
    "佳和",
    "宝利",
    "协力",
    "恒信",
    "华宇",
    "天宇",
    "宏盛",
    "越秀",
    "南洋",
    "北辰",
    "广信",
    "聚源",
    "鸿运",
    "丰源",
    "誉达",
    "启明",
    "之江",
]
_SHOP_WORDS = [
    "福满",
    "乐享",
    "悦来",
    "聚贤",
    "禾丰",
    "康源",
    "绿洲",
    "金穗",
    "百味",
    "四季",
    "好运",
    "佳美",
    "新禾",
    "田园",
    "乐邦",
    "安心",
    "顺心",
    "美家",
    "如意",
    "吉祥",
    "喜临",
    "和美",
    "同乐",
    "众鑫",
]
_TRADES = {
    "construction": "{place}{w}建设工程有限公司",
    "it": "{place}{w}信息技术有限公司",
    "property": "{place}{w}物业服务有限公司",
    "medical": "浙江{w}医疗器械有限公司",
    "consulting": "{place}{w}工程咨询有限公司",
}
_ROADS = ["中山路", "广益路", "南溪路", "昌盛路", "凌公塘路", "洪兴路", "秀洲大道", "新气象路", "槜李路", "纺工路"]


def _company(
    rng: random.Random, ids: _Ids, name: str, trade: str, people: list[Person], region: str = "330402"
) -> Company:
    legal = ids.person()
    people.append(legal)
    district = {"330402": "南湖区", "330411": "秀洲区"}[region]
    address = f"浙江省嘉兴市{district}{rng.choice(_ROADS)}{rng.randint(1, 2999)}号"
    phone = f"0573-8{rng.randint(1000000, 9999999)}" if rng.random() < 0.7 else f"13{rng.randint(100000000, 999999999)}"
    holders = [(legal.name, "")]
    for _ in range(rng.randint(0, 2)):
        holders.append((ids.name(), ""))
    shares = sorted((rng.randint(10, 60) for _ in holders[1:]), reverse=True)
    first = 100 - sum(shares)
    while first <= 0:
        shares = [max(s // 2, 5) for s in shares]
        first = 100 - sum(shares)
    holders = [(n, f"{s}%") for (n, _), s in zip(holders, [first, *shares], strict=True)]
    officers = [(legal.name, "执行董事")]
    if rng.random() < 0.7:
        officers.append((ids.name(), rng.choice(("监事", "经理", "总经理"))))
    registrar = {"330402": "嘉兴市南湖区市场监督管理局", "330411": "嘉兴市秀洲区市场监督管理局"}[region]
    if rng.random() < 0.3:
        registrar = "嘉兴市市场监督管理局"
    return Company(
        ids.uscc(region),
        name,
        trade,
        legal,
        address,
        phone,
        dt.date(rng.randint(2003, 2019), rng.randint(1, 12), rng.randint(1, 28)),
        registrar,
        holders,
        officers,
    )


def _companies(
    rng: random.Random, ids: _Ids, people: list[Person]
) -> tuple[list[Company], dict[str, list[Company]], dict[str, Any]]:
    words = list(_TRADE_WORDS)
    rng.shuffle(words)
    reserved = {"华越", "鼎盛", "永欣", "金泰", "恒泰", "通衢", "博雅", "清源"}
    words = [w for w in words if w not in reserved]
    trades: dict[str, list[Company]] = defaultdict(list)
    companies: list[Company] = []
    for trade, pattern in _TRADES.items():
        for _ in range(11):
            region = rng.choice(("330402", "330411"))
            place = rng.choice(("嘉兴市", "嘉兴"))
            c = _company(rng, ids, pattern.format(place=place, w=words.pop()), trade, people, region)
            trades[trade].append(c)
            companies.append(c)
    plants: dict[str, Any] = {}
    # The ring: four builders, two of them at one address (written once with full-width digits), two with one
    # phone (written two ways), one man legal representative of two.
    ring = [
        _company(rng, ids, "嘉兴市华越建设工程有限公司", "construction", people),
        _company(rng, ids, "嘉兴市鼎盛建设工程有限公司", "construction", people),
        _company(rng, ids, "浙江永欣建设有限公司", "construction", people),
        _company(rng, ids, "嘉兴市金泰市政工程有限公司", "construction", people),
    ]
    ring[1].address = ring[0].address.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    ring[3].phone = (
        "(0573)" + ring[1].phone.removeprefix("0573-") if ring[1].phone.startswith("0573-") else ring[1].phone
    )
    ring[2].legal = ring[0].legal
    ring[2].shareholders = [(ring[0].legal.name, "70%"), (ids.name(), "30%")]
    ring[2].officers = [(ring[0].legal.name, "执行董事")]
    plants["ring"] = ring
    # Two look-alike dealers at one address and phone, which met twice only.
    d1 = _company(rng, ids, "嘉兴市恒泰建材有限公司", "construction", people)
    d2 = _company(rng, ids, "嘉兴恒泰建材销售有限公司", "construction", people)
    d2.address, d2.phone = d1.address, d1.phone
    plants["decoy"] = [d1, d2]
    # The relatives' firms.
    plants["K1"] = _company(rng, ids, "嘉兴通衢工程咨询有限公司", "consulting", people)
    plants["K1"].shareholders = [(plants["K1"].legal.name, "60%"), (SUN, "40%")]
    plants["K2"] = _company(rng, ids, "嘉兴市博雅教育科技有限公司", "it", people)
    plants["K3"] = _company(rng, ids, "嘉兴市清源水利工程有限公司", "construction", people)
    # Firms the background's relatives run: they never bid.
    background = []
    for w in _SHOP_WORDS:
        kind = rng.choice(
            ("餐饮管理有限公司", "商贸有限公司", "文化传媒有限公司", "农业开发有限公司", "家政服务有限公司")
        )
        background.append(_company(rng, ids, f"嘉兴{w}{kind}", "other", people, rng.choice(("330402", "330411"))))
    plants["background"] = background
    companies += ring + [d1, d2, plants["K1"], plants["K2"], plants["K3"], *background]
    return companies, trades, plants


def _background_relatives(
    rng: random.Random, ids: _Ids, people: list[Person], pool: dict[str, list[Person]], firms: list[Company]
) -> list[Relative]:
    inspectors = {id(p) for ps in pool.values() for p in ps}
    cadres = [p for p in people if p.posts and id(p) not in inspectors and p.name not in PLANTED_NAMES]
    out = []
    firms = list(firms)
    for cadre in rng.sample(cadres, 45):
        for _ in range(rng.randint(1, 2)):
            relation = rng.choice(("妻子", "丈夫", "儿子", "女儿", "女婿", "父亲", "哥哥"))
            relative = ids.person()
            people.append(relative)
            r = Relative(cadre, relative, relation)
            if firms and rng.random() < 0.45:
                r.firm = firms.pop()
                r.firm_by_name = rng.random() < 0.3
                if rng.random() < 0.5:
                    r.role = rng.choice(("法定代表人", "监事", "经理"))
                else:
                    r.share = f"{rng.randint(5, 50)}%"
            out.append(r)
    return out


def _ties(p: Person, targets: Iterable[str], day: dt.date, relatives: dict[int, list[Person]]) -> list[tuple[str, str]]:
    """(target, kind) ties of an inspector, as inspector-ties defines them."""
    out = []
    for t in targets:
        if any(post.unit == t and post.start < day for post in p.posts):
            out.append((t, "former-post"))
        for r in relatives.get(id(p), ()):
            if r.serving(t, day):
                out.append((t, "relative"))
    return out


def _tours(
    rng: random.Random, units: dict[str, Unit], pool: dict[str, list[Person]], relatives: list[Relative]
) -> list[Tour]:
    kin: dict[int, list[Person]] = defaultdict(list)
    for r in relatives:
        kin[id(r.declarant)].append(r.person)
        kin[id(r.person)].append(r.declarant)
    by_name = {p.name: p for ps in pool.values() for p in ps}
    # (office, year, half) -> {team: [forced targets]}
    forced: dict[tuple[str, int, int], dict[int, list[str]]] = {
        ("JX", 2021, 1): {1: ["JX-0021", HOT], 2: ["JX-0025"]},
        ("JX", 2021, 2): {1: ["JX-0018"], 2: ["JX-0023"]},
        ("JX", 2022, 2): {1: ["JX-0006"], 2: [CLEAN]},
        ("JX", 2023, 1): {1: [HOT, "JX-0025"], 3: ["JX-0018"]},
        ("JX", 2023, 2): {1: ["JX-0020"], 2: ["JX-0023", "JX-0007"]},
        ("JX", 2024, 1): {1: ["JX-0025"], 2: ["JX-0020"]},
        ("JX", 2024, 2): {1: ["JX-0008", HOT]},
        ("NH", 2022, 1): {1: ["NH-0015"]},
        ("NH", 2023, 1): {1: ["NH-0015", "NH-0005"]},
        ("NH", 2023, 2): {1: ["NH-0010"], 2: ["NH-0008"]},
        ("NH", 2024, 1): {1: ["NH-0006", "NH-0009"]},
        ("XZ", 2023, 1): {1: ["XZ-0009"]},
        ("XZ", 2023, 2): {1: ["XZ-0005"]},
        ("XZ", 2024, 1): {2: ["XZ-0008"]},
        ("XZ", 2024, 2): {1: ["XZ-0006"]},
    }
    forced_members = {
        ("JX", 2024, 1, 2): [(ZHENG, "组员")],
        ("JX", 2024, 1, 3): [(CHU, "组员")],
        ("NH", 2023, 2, 1): [(FENG, "副组长")],
        ("XZ", 2024, 1, 2): [(WEI, "组员")],
    }
    per_team = {"JX": 4, "NH": 3, "XZ": 3}
    tours: list[Tour] = []
    for year in range(2021, 2025):
        for half in (1, 2):
            for office in OFFICES:
                base = dt.date(year, 3 if half == 1 else 9, rng.randint(3, 10))
                eligible = [
                    u.code
                    for u in units.values()
                    if u.office == office and not u.pool and (u.dissolved is None or u.dissolved > base)
                ]
                plan = forced.get((office, year, half), {})
                taken = {c for cs in plan.values() for c in cs}
                free = [c for c in eligible if c not in taken]
                rng.shuffle(free)
                used: set[int] = set()
                for team in (1, 2, 3):
                    start = base + dt.timedelta(days=team - 1)
                    tour = Tour(office, year, half, team, start, start + dt.timedelta(days=rng.randint(40, 55)))
                    tour.targets = list(plan.get(team, []))
                    while len(tour.targets) < per_team[office]:
                        tour.targets.append(free.pop())
                    if rng.random() < 0.1:
                        tour.kind = "专项巡察"
                    for name, role in forced_members.get((office, year, half, team), []):
                        tour.members.append((by_name[name], role))
                        used.add(id(by_name[name]))
                    for role in ("组长", "副组长", "组员"):
                        if any(r == role for _, r in tour.members):
                            continue
                        # No background inspector is tied to a target of their own tour.
                        candidates = [
                            p
                            for p in pool[office]
                            if id(p) not in used
                            and p.name not in (ZHENG, CHU, FENG, WEI)
                            and not _ties(p, tour.targets, tour.start, kin)
                        ]
                        p = rng.choice(candidates)
                        tour.members.append((p, role))
                        used.add(id(p))
                    tours.append(tour)
    lookback = next(t for t in tours if (t.office, t.year, t.half, t.team) == ("JX", 2023, 1, 3))
    lookback.kind = "巡察“回头看”"
    return tours


_NUMBER_STEM = {"JX": "JXXC-{y}-{h}-{n:03d}", "NH": "NH-{y}-0{h}-{n:03d}", "XZ": "XZ{y}-{h}-{n:03d}"}


def _findings(
    rng: random.Random, units: dict[str, Unit], tours: list[Tour], answers: Answers
) -> tuple[list[Finding], list[Rectification]]:
    findings: list[Finding] = []
    rects: list[Rectification] = []
    counters: dict[tuple[str, int, int], int] = defaultdict(int)
    # Problems whose rectification was reported done (or 基本完成): never found again in the background,
    # in the unit or in the unit that took over its work, so the planted recurrences are the only ones.
    done: set[tuple[str, str]] = set()
    reserved = {
        ("JX-0018", "Z3-05"),
        ("JX-0021", "Z3-03"),
        ("JX-0020", "Z3-03"),
        ("JX-0025", "Z3-06"),
        ("JX-0025", "Z3-01"),
        ("JX-0023", "Z3-04"),
        ("NH-0015", "Z2-01"),
    }
    successor_of = {u.code: u.successor for u in units.values() if u.successor}
    planted: dict[tuple[str, int, int, str], list[tuple[str, str, str]]] = {
        # (office, year, half, unit) -> [(category, severity, role)]
        ("JX", 2021, 2, "JX-0018"): [("Z3-05", "severe", "sham-first")],
        ("JX", 2023, 1, "JX-0018"): [("Z3-05", "serious", "sham-later")],
        ("JX", 2021, 1, "JX-0021"): [("Z3-03", "serious", "successor-first")],
        ("JX", 2023, 2, "JX-0020"): [("Z3-03", "serious", "successor-later")],
        ("JX", 2021, 1, "JX-0025"): [("Z3-06", "minor", "other-category-first")],
        ("JX", 2023, 1, "JX-0025"): [("Z3-01", "minor", "other-category-later")],
        ("JX", 2021, 2, "JX-0023"): [("Z3-04", "serious", "not-completed-first")],
        ("JX", 2023, 2, "JX-0023"): [("Z3-04", "serious", "not-completed-later")],
        ("NH", 2022, 1, "NH-0015"): [("Z2-01", "minor", "before-report-first")],
        ("NH", 2023, 1, "NH-0015"): [("Z2-01", "minor", "before-report-later")],
    }
    systemic = {"JX-0006": 3, "JX-0007": 3, "JX-0008": 3, "NH-0005": 3, "NH-0006": 2, "XZ-0005": 3, "XZ-0006": 2}
    decoy = {"NH-0008": 3, "NH-0009": 3, "XZ-0008": 3, "XZ-0009": 3}
    # Their extra findings are the only ones of that category there, so none of them is a recurrence.
    reserved |= {(u, "Z3-02") for u in systemic} | {(u, "Z2-03") for u in decoy}
    lazy = next(t for t in tours if (t.office, t.year, t.half, t.team) == ("XZ", 2022, 2, 3))
    answers.lazy_tour = lazy.key
    roles: dict[str, Finding] = {}
    for tour in sorted(tours, key=lambda t: (t.start, t.office, t.team)):
        if tour is lazy:
            continue  # a team that found nothing
        plan: dict[str, list[tuple[str, str, str]]] = {}
        for code in tour.targets:
            unit = units[code]
            wanted: list[tuple[str, str, str]] = list(planted.get((tour.office, tour.year, tour.half, code), []))
            if code in systemic and (tour.year, tour.half) >= (2022, 2):
                wanted += [("Z3-02", "minor", "systemic")] * systemic.pop(code)
            if code in decoy and tour.year >= 2023:
                wanted += [("Z2-03", "minor", "decoy")] * decoy.pop(code)
            n = 0 if code == CLEAN else _poisson(rng, 0.6 + 3.0 * unit.risk)
            wanted += [("", "", "background")] * n
            plan[code] = wanted
        if not any(plan.values()):
            first = next(c for c in tour.targets if c != CLEAN)
            plan[first] = [("", "", "background")]
        for code, wanted in plan.items():
            unit = units[code]
            chain = {code, *(c for c, s in successor_of.items() if s == code)}
            for category, severity, role in wanted:
                if role == "background":
                    options = [c for c in LEAVES if not any((u, c) in done or (u, c) in reserved for u in chain)]
                    if not options:
                        continue  # every problem it could have was fixed and may not come back
                    category, severity = rng.choice(options), "minor"
                    if rng.random() < 0.08 + 0.75 * unit.risk:
                        severity = "severe" if rng.random() < 0.3 else "serious"
                counters[(tour.office, tour.year, tour.half)] += 1
                n_ = counters[(tour.office, tour.year, tour.half)]
                ref = _NUMBER_STEM[tour.office].format(y=tour.year, h=tour.half, n=n_)
                found = _day(rng, tour.start + dt.timedelta(days=5), tour.end)
                if tour.office == "NH":
                    found = found.replace(day=1)  # 南湖 writes the year and the month only
                text = rng.choice(PHRASES[category])
                amount = round(rng.uniform(0.5, 80), 2) if category.startswith("Z3") and rng.random() < 0.5 else None
                f = Finding(ref, tour, code, category, severity, found, text, amount)
                findings.append(f)
                if role != "background" and role not in ("systemic", "decoy"):
                    roles[role] = f
                rect = _rectification(rng, f, role)
                rects.append(rect)
                if rect.status == "completed" or rect.word == "基本完成":
                    done.update((u, category) for u in chain)
    if systemic or decoy:
        raise AssertionError(f"planted findings not placed: {systemic} {decoy}")
    # Xiuzhou writes every problem of one unit and tour in one row: number them as the row's parts.
    rows: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.tour.office == "XZ":
            rows[(f.tour.key, f.unit)].append(f)
    for group in rows.values():
        stem, day = group[0].ref, max(f.found for f in group)
        for i, f in enumerate(group, start=1):
            # One row, one feedback date for all its problems.
            f.row, f.ref, f.found = stem, f"{stem}-{i}", day
    answers.recurrences = {
        (rects[findings.index(roles["sham-first"])].key, roles["sham-later"].key),
        (rects[findings.index(roles["successor-first"])].key, roles["successor-later"].key),
    }
    answers.sham = {rects[findings.index(roles["sham-first"])].key}
    answers.recurrence_decoys = {
        rects[findings.index(roles[r])].key
        for r in ("other-category-first", "not-completed-first", "before-report-first")
    }
    answers.after_status_change = (
        rects[findings.index(roles["not-completed-first"])].key,
        roles["not-completed-later"].key,
    )
    answers.basic_done = sum(r.word == "基本完成" for r in rects)
    for tier in ("city", "county"):
        answers.systemic_units[tier] = {
            f"unit:{f.unit}"
            for f in findings
            if f.category == "Z3-02" and units[f.unit].system == "gx" and units[f.unit].tier == tier
        }
    per_unit: dict[str, int] = defaultdict(int)
    for f in findings:
        per_unit[f"unit:{f.unit}"] += 1
    answers.findings_per_unit = dict(per_unit)
    return findings, rects


def _rectification(rng: random.Random, f: Finding, role: str) -> Rectification:
    def done(word: str, days: tuple[int, int] = (45, 150), verified: str | None = None) -> Rectification:
        reported = f.found + dt.timedelta(days=rng.randint(*days))
        if reported >= AS_OF:
            return Rectification(f, "正在推进", "in_progress", None, "")
        v = verified if verified is not None else rng.choice(("已验收", "未验收", ""))
        return Rectification(f, word, "completed" if word != "基本完成" else "in_progress", reported, v)

    if role == "sham-first":
        return Rectification(f, "已销号", "completed", dt.date(2022, 3, 15), "已验收")
    if role == "successor-first":
        return Rectification(f, "已完成", "completed", dt.date(2021, 9, 20), "")
    if role == "other-category-first":
        return Rectification(f, "整改完成", "completed", dt.date(2021, 8, 30), "未验收")
    if role == "not-completed-first":
        return Rectification(f, "基本完成", "in_progress", dt.date(2022, 2, 28), "")
    if role == "before-report-first":
        return Rectification(f, "已销号", "completed", dt.date(2023, 6, 30), "已验收")
    if role in ("systemic", "decoy") or role.endswith("later"):
        return Rectification(f, rng.choice(("持续整改", "正在推进", "整改中")), "in_progress", None, "")
    if f.found > dt.date(2024, 9, 1):
        word = rng.choice(("未启动", "正在推进"))
        return Rectification(f, word, "pending" if word == "未启动" else "in_progress", None, "")
    roll = rng.random()
    if roll < 0.6:
        return done(rng.choice(("已销号", "已完成", "整改完成")))
    if roll < 0.68:
        return done("基本完成")
    if roll < 0.85:
        return Rectification(f, rng.choice(("正在推进", "整改中", "持续整改")), "in_progress", None, "")
    if roll < 0.93:
        return Rectification(f, "超期未完成", "overdue", None, "")
    return Rectification(f, "未启动", "pending", None, "")


def _leads(
    rng: random.Random, units: dict[str, Unit], people: list[Person], answers: Answers
) -> tuple[list[Lead], list[Transfer]]:
    targets = [u for u in units.values() if not u.pool and u.dissolved is None and _JW_UNIT.match(u.name)]
    city = [u for u in targets if u.office == "JX"]
    serving: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        if p.name in PLANTED_NAMES:
            continue
        for post in p.posts:
            serving[post.unit].append(p)
    named = {p.name: p for p in people}
    leads: list[Lead] = []

    def person_at(unit: str, day: dt.date) -> Person | None:
        here = [p for p in serving[unit] if p.serving(unit, day)]
        return rng.choice(here) if here and rng.random() < 0.6 else None

    def clashes(lead: Lead) -> bool:
        # Would the background make an allegation look registered twice (duplicate-leads' rule)?
        for other in leads:
            if other.dept == lead.dept or other.unit != lead.unit or other.category != lead.category:
                continue
            if abs((other.received - lead.received).days) > 31:
                continue
            same = (other.person is None and lead.person is None) or (
                other.person is not None and other.person is lead.person
            )
            if same:
                return True
        return False

    def add(dept: str, unit: Unit, received: dt.date, person: Person | None, category: str, **kw: Any) -> Lead:
        n = sum(1 for x in leads if x.dept == dept and x.received.year == received.year) + 1
        ref = f"JW{received.year}{n:04d}" if dept == "jw" else f"XCB-{received.year}-{n:03d}"
        phrase = rng.choice(PHRASES[category])
        text = f"反映其{phrase}" if person else f"反映该单位{phrase}"
        if dept == "jw":
            source = kw.get("source") or rng.choice(("来信", "来访", "网络举报", "电话举报", "上级交办"))
            status = kw.get("status") or rng.choice(("谈话函询", "初步核实", "暂存待查", "予以了结", "立案审查调查"))
        else:
            source = kw.get("source") or rng.choice(
                ("巡察发现", "巡察发现", "巡察中受理信访", "审计移交", "大数据比对")
            )
            status = kw.get("status") or rng.choice(("已登记", "函询", "初核", "了结", "立案"))
        petitioner = _petitioner(rng) if dept == "jw" and source in ("来信", "来访", "网络举报", "电话举报") else None
        lead = Lead(dept, ref, received, source, unit.code, person, category, text, status, petitioner)
        leads.append(lead)
        return lead

    # The planted allegation, registered by both departments 18 days apart, and its look-alikes.
    hot, edu, hospital, coop = units[HOT], units["JX-0012"], units["JX-0016"], units["NH-0005"]
    qian = named[QIAN]
    jw = add("jw", hot, dt.date(2023, 3, 2), qian, "Z3-01", source="来信", status="初步核实")
    xcb = add("xcb", hot, dt.date(2023, 3, 20), qian, "Z3-01", source="巡察发现", status="初核")
    answers.duplicates = {frozenset({jw.key, xcb.key})}
    far_a = add("jw", edu, dt.date(2022, 4, 10), None, "Z3-02")
    far_b = add("xcb", edu, dt.date(2022, 6, 15), None, "Z3-02")
    same_a = add("jw", hospital, dt.date(2022, 11, 3), None, "Z3-04")
    same_b = add("jw", hospital, dt.date(2022, 11, 12), None, "Z3-04")
    coop_head = next(p for p in serving[coop.code] if p.serving(coop.code, dt.date(2023, 9, 1)))
    one_a = add("jw", coop, dt.date(2023, 9, 1), coop_head, "Z3-02")
    one_b = add("xcb", coop, dt.date(2023, 9, 12), None, "Z3-02")
    answers.duplicate_decoys = {
        frozenset({far_a.key, far_b.key}),
        frozenset({same_a.key, same_b.key}),
        frozenset({one_a.key, one_b.key}),
    }
    overdue_lead = add("xcb", hot, dt.date(2024, 5, 28), None, "Z3-04", source="审计移交")
    ontime_lead = add("xcb", units["JX-0029"], dt.date(2023, 11, 20), None, "Z3-06")
    notdue_lead = add("xcb", units["JX-0027"], dt.date(2024, 11, 25), None, "Z3-03")
    # The background: the riskier a unit, the more it is complained about.
    for dept, count, pool_ in (("jw", 70, targets), ("xcb", 55, city)):
        weights = [0.3 + 2.0 * u.risk for u in pool_]
        made = 0
        while made < count:
            unit = rng.choices(pool_, weights)[0]
            received = _day(rng, dt.date(2021, 1, 4), dt.date(2024, 12, 20))
            person = person_at(unit.code, received)
            category = rng.choice(LEAVES)
            probe = Lead(dept, "", received, "", unit.code, person, category, "", "")
            if clashes(probe):
                continue
            add(dept, unit, received, person, category)
            made += 1
    leads.sort(key=lambda x: (x.dept, x.received, x.ref))
    # Transfers of the 巡察办's leads to the discipline commission or the organisation department.
    transfers: list[Transfer] = []

    def transfer(lead: Lead, date: dt.date, days: int, feedback: dt.date | None) -> Transfer:
        recipient = "市委组织部" if lead.category == "Z2-01" else rng.choice(("市纪委监委", "嘉兴市纪委监委"))
        result = (
            "" if feedback is None else rng.choice(("已谈话提醒", "予以了结", "给予党内警告处分", "已初核，未发现问题"))
        )
        t = Transfer(
            f"YJ-{date.year}-{len(transfers) + 1:03d}",
            lead,
            date,
            recipient,
            date + dt.timedelta(days=days),
            feedback,
            result,
        )
        transfers.append(t)
        return t

    late = transfer(xcb, dt.date(2023, 4, 6), 91, dt.date(2023, 8, 20))
    overdue = transfer(overdue_lead, dt.date(2024, 6, 10), 92, None)
    ontime = transfer(ontime_lead, dt.date(2023, 12, 1), 91, dt.date(2024, 2, 20))
    notdue = transfer(notdue_lead, dt.date(2024, 12, 10), 90, None)
    answers.overdue = {late.key: "late-feedback", overdue.key: "no-feedback"}
    answers.overdue_decoys = {ontime.key, notdue.key}
    planted_leads = {xcb.key, overdue_lead.key, ontime_lead.key, notdue_lead.key}
    for lead in [x for x in leads if x.dept == "xcb" and x.key not in planted_leads]:
        if rng.random() < 0.4:
            date = lead.received + dt.timedelta(days=rng.randint(5, 20))
            days = rng.choice((30, 60, 90))
            feedback: dt.date | None = date + dt.timedelta(days=rng.randint(7, days - 1))
            transfer(lead, date, days, feedback if feedback and feedback < AS_OF else None)
    return leads, transfers


def _petitioner(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)


def _tenders(
    rng: random.Random,
    units: dict[str, Unit],
    trades: dict[str, list[Company]],
    plants: dict[str, Any],
    answers: Answers,
) -> list[Tender]:
    buyers = [u for u in units.values() if not u.pool and u.dissolved is None and u.tier != "township"]
    tenders: list[Tender] = []
    counters: dict[int, int] = defaultdict(int)

    def new(buyer: str, announced: dt.date, trade: str, budget: float | None = None) -> Tender:
        counters[announced.year] += 1
        ref = f"JXGZ-{announced.year}-{counters[announced.year]:04d}"
        title = {
            "construction": "维修改造工程",
            "it": "信息化系统建设项目",
            "property": "物业管理服务采购项目",
            "medical": "医疗设备采购项目",
            "consulting": "工程造价咨询服务项目",
        }[trade]
        method = rng.choice(("公开招标", "公开招标", "竞争性磋商", "邀请招标", "询价"))
        t = Tender(
            ref,
            f"{units[buyer].name}{announced.year}年{title}",
            buyer,
            budget or round(rng.uniform(40, 900), 1),
            method,
            announced,
        )
        tenders.append(t)
        return t

    def honest(t: Tender, bidders: Sequence[Company]) -> None:
        for c in bidders:
            t.bids.append(Bid(c, round(t.budget_wan * 10_000 * rng.uniform(0.80, 1.0), 2)))

    trade_of = {"hospital": ["medical", "it", "property"], "school": ["it", "property", "construction"]}
    ring, (d1, d2) = plants["ring"], plants["decoy"]
    for _ in range(150):
        buyer = rng.choice(buyers)
        kind = "hospital" if buyer.name.endswith("医院") else "school" if buyer.name.endswith(("中学", "小学")) else ""
        trade = rng.choice(trade_of.get(kind, ["construction", "construction", "it", "property", "consulting"]))
        t = new(buyer.code, _day(rng, dt.date(2021, 2, 1), dt.date(2024, 11, 30)), trade)
        honest(t, rng.sample(trades[trade], rng.randint(3, 6)))
    # Ring members bid in ordinary building tenders too, at ordinary prices, and the look-alikes apart.
    building = [t for t in tenders if t.bids[0].company.trade == "construction"]
    for c in [*ring, d1, d2]:
        for t in rng.sample(building, 3):
            if all(b.company not in (d1, d2) for b in t.bids):
                honest(t, [c])
    # The ring: 13 tight-priced tenders, the winner rotating, mostly at the hot unit.
    ring_buyers = [HOT] * 9 + ["NH-0007"] * 2 + ["XZ-0007"] * 2
    for i, code in enumerate(ring_buyers):
        t = new(code, dt.date(2021 + i // 4, 1 + (i * 3) % 12, 5 + i), "construction", round(rng.uniform(300, 1500), 1))
        members = ring if i % 3 else [m for j, m in enumerate(ring) if j != i % 4]
        winner = members[i % len(members)]
        low = t.budget_wan * 10_000 * rng.uniform(0.93, 0.97)
        for m in members:
            amount = low if m is winner else low * (1 + rng.uniform(0.003, 0.018))
            t.bids.append(Bid(m, round(amount, 2)))
        answers.ring_tenders.add(t.key)
    answers.ring = {c.key for c in ring}
    # The look-alikes: two tight tenders together, never a third.
    for code, day in (("NH-0013", dt.date(2022, 8, 16)), ("XZ-0014", dt.date(2023, 10, 9))):
        t = new(code, day, "construction", round(rng.uniform(100, 300), 1))
        outsider = rng.choice(trades["construction"])
        low = t.budget_wan * 10_000 * 0.95
        for c, f in ((d1, 1.0), (d2, 1.006), (outsider, 1.011)):
            t.bids.append(Bid(c, round(low * f, 2)))
    answers.ring_decoy = {d1.key, d2.key}
    # The conflicts: the hot unit buys from its deputy director's wife's firm; two look-alikes that are not.
    k1, k2, k3 = plants["K1"], plants["K2"], plants["K3"]
    t1 = new(HOT, dt.date(2023, 6, 12), "consulting", 88.0)
    t1.bids.append(Bid(k1, 88.0 * 10_000 * 0.86))
    honest(t1, rng.sample(trades["consulting"], 2))
    for b in t1.bids[1:]:
        b.amount = max(b.amount, 88.0 * 10_000 * 0.9)
    t2 = new("JX-0015", dt.date(2023, 9, 18), "it", 260.0)
    honest(t2, [k2, *rng.sample(trades["it"], 3)])
    t3 = new("JX-0023", dt.date(2022, 5, 10), "construction", 410.0)
    t3.bids.append(Bid(k3, 410.0 * 10_000 * 0.84))
    honest(t3, rng.sample(trades["construction"], 2))
    answers.conflicts = {(QIAN, k1.name, t1.key)}
    answers.conflict_decoys = {(ZHOU, k2.name, t2.key), (WU, k3.name, t3.key)}
    # Ranks and winners; a few bidders written without their credit code.
    for t in tenders:
        for rank, b in enumerate(sorted(t.bids, key=lambda b: b.amount), start=1):
            b.rank, b.won = rank, rank == 1
        for b in t.bids:
            if b.company not in ring and b.company not in (k1, d1, d2) and rng.random() < 0.04:
                b.with_code = False
    return tenders


def _plant_answers(world: World) -> None:
    """The inspector ties the tours hold (only the planted two), and their look-alikes."""
    a = world.answers
    for t in world.tours:
        for p, _ in t.members:
            for target, kind in _ties(p, t.targets, t.start, _kin(world)):
                a.ties.add((t.key, p.name, f"unit:{target}", kind))
    tour = {(t.office, t.year, t.half, t.team): t for t in world.tours}
    # 褚 once worked at 民政局, which another team of her round inspects; 卫's wife came to 秀洲区教育局 after
    # his tour there began.
    a.tie_decoys = {
        (tour[("JX", 2024, 1, 3)].key, CHU, "unit:JX-0025"),
        (tour[("XZ", 2024, 1, 2)].key, WEI, "unit:XZ-0008"),
    }
    expected = {
        (tour[("JX", 2024, 1, 2)].key, ZHENG, "unit:JX-0020", "former-post"),
        (tour[("NH", 2023, 2, 1)].key, FENG, "unit:NH-0010", "relative"),
    }
    if a.ties != expected:
        raise AssertionError(f"inspector ties {a.ties} are not the planted {expected}")
    if "JX-0025" not in tour[("JX", 2024, 1, 1)].targets or "XZ-0008" not in tour[("XZ", 2024, 1, 2)].targets:
        raise AssertionError("a decoy inspector's unit is not inspected in the round")


def _kin(world: World) -> dict[int, list[Person]]:
    kin: dict[int, list[Person]] = defaultdict(list)
    for r in world.relatives:
        kin[id(r.declarant)].append(r.person)
        kin[id(r.person)].append(r.declarant)
    return kin


def _check(world: World) -> None:
    """The answers follow from the records by the detectors' own rules (the background formed no pattern)."""
    a = world.answers
    units = world.units
    # Recurrences: a later finding of the category in the unit (or its successor) after a completed report.
    found: set[tuple[str, str]] = set()
    changed: set[tuple[str, str]] = set()
    for r in world.rectifications:
        if r.reported is None:
            continue
        places = [r.finding.unit]
        while units[places[-1]].successor:
            places.append(units[places[-1]].successor or "")
        for f in world.findings:
            if f.unit in places and f.category == r.finding.category and f.found > r.reported and f is not r.finding:
                if r.status == "completed":
                    found.add((r.key, f.key))
                if r.word == "基本完成":
                    changed.add((r.key, f.key))
    if found != a.recurrences or changed != {a.after_status_change}:
        raise AssertionError(f"recurrences {found} / {changed} are not the planted ones")
    # Conflicts: a cadre serving at the buyer when a firm of theirs or their declared relative's bid.
    ties: dict[int, list[tuple[Person, Company]]] = defaultdict(list)
    for kin in world.relatives:
        if kin.firm is not None:
            ties[id(kin.firm)].append((kin.declarant, kin.firm))
    conflicts = set()
    for t in world.tenders:
        for b in t.bids:
            for cadre, firm in ties.get(id(b.company), ()):
                if cadre.serving(t.buyer, t.announced):
                    conflicts.add((cadre.name, firm.name, t.key))
    if conflicts != a.conflicts:
        raise AssertionError(f"conflicts {conflicts} are not the planted {a.conflicts}")
    # Overdue transfers as of the planning day.
    late = {t.key for t in world.transfers if t.deadline < AS_OF and (t.feedback is None or t.feedback > t.deadline)}
    if late != set(a.overdue):
        raise AssertionError(f"overdue {late} are not the planted {set(a.overdue)}")
    # Every problem text is classified as its category by the keyword tables the mappings use.
    for name in ("findings_xiuzhou", "leads_jw"):
        doc = yaml.safe_load((OFFICE / f"{name}.yaml").read_text(encoding="utf-8"))
        fields = doc["each"][0]["fields"] if name == "findings_xiuzhou" else doc["fields"]
        keywords = {str(k): str(v) for k, v in fields["category"]["keywords"].items()}
        for code, phrases in PHRASES.items():
            for phrase in phrases:
                if _classify(phrase, keywords) != code:
                    raise AssertionError(f"{name}: {phrase!r} is not classified as {code}")
    for lead in world.leads:
        if lead.dept == "jw":
            m = _JW_UNIT.match(units[lead.unit].name + "副局长")
            if m is None or m.group("value") != units[lead.unit].name:
                raise AssertionError(f"the 纪委 register's unit of {units[lead.unit].name} cannot be read back")


# ------------------------------------------------------------------------------------------- writing
_DATE_STYLES = ("excel", "zh", "dot", "slash", "compact")


def _date(d: dt.date | None, style: str, excel: bool = True) -> Any:
    """A date as one of the styles offices mix in one column (an Excel date cell only in XLSX)."""
    if d is None:
        return None
    if style == "excel" and excel:
        return d
    return {
        "zh": f"{d.year}年{d.month}月{d.day}日",
        "dot": f"{d:%Y.%m.%d}",
        "slash": f"{d.year}/{d.month}/{d.day}",
        "compact": f"{d:%Y%m%d}",
        "iso": d.isoformat(),
        "excel": d.isoformat(),
    }[style]


def _styles(rng: random.Random) -> Iterator[str]:
    while True:
        yield rng.choice(_DATE_STYLES)


_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in [*range(0x30, 0x3A), *range(0x41, 0x5B), 0x2D]})


def _full_width(text: str) -> str:
    return text.translate(_FULL)


def _sheet(
    path: Path,
    title: str | None,
    upper: Sequence[str | None],
    lower: Sequence[str | None] | None,
    rows: Iterable[Sequence[Any]],
    groups: Sequence[tuple[int, int]] = (),
) -> None:
    """An XLSX with an optional title row and a two-row header: ``groups`` (first, last column, 1-based)
    are merged across in the upper row; every other column's header is merged down both rows."""
    wb = Workbook()
    ws: Worksheet = wb.active  # type: ignore[assignment]
    ws.title = "Sheet1"
    width = len(upper)
    r = 1
    if title:
        ws.cell(1, 1, title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        r = 2
    for c, name in enumerate(upper, start=1):
        if name is not None:
            ws.cell(r, c, name)
    if lower is not None:
        grouped = {c for first, last in groups for c in range(first, last + 1)}
        for first, last in groups:
            ws.merge_cells(start_row=r, start_column=first, end_row=r, end_column=last)
        for c, name in enumerate(lower, start=1):
            if c in grouped:
                ws.cell(r + 1, c, name)
            else:
                ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
        r += 1
    for row in rows:
        r += 1
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(r, c, value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    wb.save(path)


def _csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], encoding: str = "utf-8") -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for row in rows:
            out.writerow(["" if v is None else v for v in row])


def write_exports(world: World, folder: str | Path, seed: int = 7) -> dict[str, Path]:
    """Write the office's exports into ``folder``; returns file name -> path (the answers say each one's format)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    styles = _styles(rng)
    units = world.units
    formats = world.answers.formats
    formats.clear()

    def done(name: str, fmt: str) -> None:
        formats[name] = fmt

    # 1. The unit register: title row; 单位层级 and 机构改革情况 merged over their columns.
    region_words = {
        "330400": ["市本级", "嘉兴市本级", "330400"],
        "330402": ["南湖区", "南湖", "330402"],
        "330411": ["秀洲区", "秀洲", "330411"],
    }
    rows = []
    for n, u in enumerate(units.values(), start=1):
        code = _full_width(u.code) if n % 17 == 5 else u.code
        rows.append(
            [
                n,
                code,
                u.name,
                u.parent,
                "√" if u.tier == "city" else None,
                "√" if u.tier == "county" else None,
                "√" if u.tier == "township" else None,
                rng.choice(region_words[u.region]),
                rng.choice(_SYSTEM_WORDS[u.system]) if u.system else None,
                _date(u.dissolved, next(styles)),
                u.successor,
            ]
        )
    _sheet(
        folder / "01_被巡察单位名录.xlsx",
        "嘉兴市巡察工作信息平台·被巡察单位名录（2024年12月导出）",
        [
            "序号",
            "单位编码",
            "单位名称",
            "上级单位编码",
            "单位层级",
            None,
            None,
            "所在地区",
            "所属系统",
            "机构改革情况",
            None,
        ],
        [None, None, None, None, "市本级", "县（市、区）", "乡镇（街道）", None, None, "撤并时间", "并入单位编码"],
        rows,
        groups=[(5, 7), (10, 11)],
    )
    done("01_被巡察单位名录.xlsx", "jx-units")

    # 2. Cadres: the city's XLSX with 任职信息 merged over four columns; the districts' flat CSVs.
    def birth_text(p: Person) -> Any:
        born = dt.date(int(p.rid[6:10]), int(p.rid[10:12]), int(p.rid[12:14]))
        return rng.choice(
            (
                f"{born.year}.{born.month:02d}",
                f"{born.year}年{born.month}月",
                f"{born:%Y%m}",
                f"{born.year}-{born.month:02d}",
            )
        )

    city_rows: list[list[Any]] = []
    county_rows: dict[str, list[list[Any]]] = defaultdict(list)
    for p in [p for p in world.people if p.posts]:
        for post in p.posts:
            office = units[post.unit].office
            rid = _full_width(p.rid) if len(city_rows) == 11 else p.rid
            name = p.name if len(p.name) != 2 or rng.random() < 0.8 else p.name[0] + "\u3000" + p.name[1]
            xlsx = office == "JX"
            start, end = _date(post.start, next(styles), excel=xlsx), _date(post.end, next(styles), excel=xlsx)
            rows_ = city_rows if xlsx else county_rows[office]
            rows_.append([len(rows_) + 1, name, p.gender, birth_text(p), rid, post.unit, post.title, start, end])
    _sheet(
        folder / "02_市管干部任职信息.xlsx",
        "嘉兴市管干部任职信息表",
        ["序号", "姓名", "性别", "出生年月", "公民身份号码", "任职信息", None, None, None],
        [None, None, None, None, None, "单位编码", "职务名称", "任职时间", "免职时间"],
        city_rows,
        groups=[(6, 9)],
    )
    done("02_市管干部任职信息.xlsx", "jx-cadres")
    for office, label in (("NH", "南湖区"), ("XZ", "秀洲区")):
        name = f"02_{label}干部名册.csv"
        _csv(
            folder / name,
            ["序号", "姓名", "性别", "出生年月", "身份证号码", "任职单位编码", "职务名称", "任职时间", "免职时间"],
            county_rows[office],
        )
        done(name, "jx-cadres")

    # 3. Firms, from market regulation, in GBK.
    firm_rows = []
    for c in world.companies:
        phone = _full_width(c.phone) if c.phone.startswith("13") and rng.random() < 0.3 else c.phone
        firm_rows.append(
            [
                c.uscc,
                c.name,
                c.legal.name,
                c.legal.rid,
                c.address,
                phone,
                "、".join(f"{n}（{s}）" for n, s in c.shareholders),
                ";".join(f"{n}:{r}" for n, r in c.officers),
                _date(c.established, rng.choice(("iso", "zh", "slash")), excel=False),
                c.registrar,
            ]
        )
    _csv(
        folder / "03_市场主体登记信息.csv",
        [
            "社会信用代码",
            "市场主体名称",
            "法定代表人（负责人）",
            "法定代表人证件号码",
            "登记住所",
            "联系方式",
            "投资人（出资比例）",
            "董监高人员",
            "成立日期",
            "登记机关",
        ],
        firm_rows,
        encoding="gbk",
    )
    done("03_市场主体登记信息.csv", "jx-firms")

    # 4. Personal-matters declarations.
    decl_rows = []
    for n, kin in enumerate(world.relatives, start=1):
        firm = kin.firm
        decl_rows.append(
            [
                n,
                kin.declarant.name,
                kin.declarant.rid,
                kin.declarant.posts[-1].unit,
                2023,
                kin.person.name,
                kin.relation,
                kin.person.rid,
                firm.name if firm else None,
                None if firm is None or kin.firm_by_name else firm.uscc,
                kin.role,
                kin.share,
            ]
        )
    _sheet(
        folder / "04_个人有关事项报告汇总.xlsx",
        "领导干部个人有关事项报告汇总表（2023年度）",
        [
            "序号",
            "报告人",
            "报告人身份证号",
            "工作单位编码",
            "报告年度",
            "家庭成员姓名",
            "与报告人关系",
            "家庭成员身份证号",
            "经商办企业名称",
            "企业信用代码",
            "担任职务",
            "持股比例",
        ],
        None,
        decl_rows,
    )
    done("04_个人有关事项报告汇总.xlsx", "jx-declarations")

    # 5. Findings, three offices, three layouts.
    severity_words = {"minor": ("一般", "一般问题"), "serious": ("较重", "较重问题"), "severe": ("严重", "严重问题")}
    city = [f for f in world.findings if f.tour.office == "JX"]
    rows = []
    for n, f in enumerate(city, start=1):
        unit = f"{f.unit}（{units[f.unit].name}）"
        if n % 23 == 7:
            unit = _full_width(f.unit) + f"（{units[f.unit].name}）"
        word = f.category if rng.random() < 0.1 else rng.choice(_WORDS[f.category])
        rows.append(
            [
                n,
                f.ref,
                f.tour.year,
                f.tour.round[5:],
                f.tour.team_name,
                unit,
                word,
                f.text,
                rng.choice(severity_words[f.severity]),
                _date(f.found, next(styles)),
                f.amount,
            ]
        )
    _sheet(
        folder / "05_市委巡察发现问题台账.xlsx",
        "中共嘉兴市委巡察发现问题台账",
        [
            "序号",
            "问题编码",
            "巡察轮次",
            None,
            "巡察组",
            "被巡察单位",
            "问题类型",
            "问题描述",
            "问题性质",
            "发现日期",
            "涉及金额（万元）",
        ],
        [None, None, "年度", "轮次", None, None, None, None, None, None, None],
        rows,
        groups=[(3, 4)],
    )
    done("05_市委巡察发现问题台账.xlsx", "jx-findings-city")
    nanhu_words = {"Z3-01": ["八项规定问题"], "Z3-02": ["津补贴问题"]}
    rows = []
    for f in [f for f in world.findings if f.tour.office == "NH"]:
        words = _WORDS[f.category] + nanhu_words.get(f.category, [])
        sev = {"minor": rng.choice(("一般", "待定")), "serious": "较重", "severe": "严重"}[f.severity]
        rows.append(
            [
                f.ref,
                f.found.year,
                f"{f.found.month}月" if rng.random() < 0.5 else f.found.month,
                f.tour.round,
                f"{f.tour.team_name[1]}组",
                f.unit,
                units[f.unit].name,
                rng.choice(words),
                f.text,
                sev,
            ]
        )
    _csv(
        folder / "05_南湖区委巡察问题清单.csv",
        [
            "问题序号",
            "巡察年份",
            "巡察月份",
            "巡察轮次",
            "巡察组别",
            "单位编号",
            "单位名称",
            "问题分类",
            "问题详情",
            "定性",
        ],
        rows,
    )
    done("05_南湖区委巡察问题清单.csv", "jx-findings-nanhu")
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in world.findings:
        if f.tour.office == "XZ":
            grouped[f.row].append(f)
    rows = []
    marks = {"minor": "【一般】", "serious": "【较重】", "severe": "【严重】"}
    for n, (row, group) in enumerate(grouped.items(), start=1):
        f = group[0]
        charges = "；".join(f"{i}.{marks[g.severity]}{g.text}" for i, g in enumerate(group, start=1))
        rows.append(
            [
                n,
                row,
                f"{f.tour.year}-{f.tour.half}",
                f.tour.team_name,
                f"{units[f.unit].name}（{f.unit}）",
                _date(max(g.found for g in group), next(styles)),
                charges,
            ]
        )
    _sheet(
        folder / "05_秀洲区委巡察反馈问题.xlsx",
        "中共秀洲区委巡察反馈问题汇总",
        ["序号", "反馈编号", "巡察轮次", "巡察组", "被巡察党组织", "反馈日期", "反馈问题"],
        None,
        rows,
    )
    done("05_秀洲区委巡察反馈问题.xlsx", "jx-findings-xiuzhou")

    # 6. Rectification ledgers, one per office.
    header = ["问题编号", "整改责任单位", "整改措施", "整改时限", "整改进展", "销号时间", "验收情况"]
    by_office: dict[str, list[list[Any]]] = defaultdict(list)
    for rect in world.rectifications:
        f = rect.finding
        by_office[f.tour.office].append(
            [
                f.ref,
                units[f.unit].name,
                "制定整改方案，建立长效机制",
                _date(f.found + dt.timedelta(days=90), next(styles), excel=f.tour.office == "JX"),
                rect.word,
                _date(rect.reported, next(styles), excel=f.tour.office == "JX"),
                rect.verified or None,
            ]
        )
    _sheet(folder / "06_整改台账_市本级.xlsx", "市委巡察反馈问题整改台账", header, None, by_office["JX"])
    done("06_整改台账_市本级.xlsx", "jx-rectification")
    for office, label in (("NH", "南湖区"), ("XZ", "秀洲区")):
        _csv(folder / f"06_整改台账_{label}.csv", header, by_office[office])
        done(f"06_整改台账_{label}.csv", "jx-rectification")

    # 7. Teams, as the platform's JSON API returns them.
    for office, label in (("JX", "市委巡察办"), ("NH", "南湖区委巡察办"), ("XZ", "秀洲区委巡察办")):
        data = []
        for tour in [t for t in world.tours if t.office == office]:
            prefix = "市委" if office == "JX" else "区委"
            data.append(
                {
                    "巡察机构": rng.choice((OFFICE_BODY[office], OFFICE_BODY[office].removeprefix("中共"))),
                    "轮次": tour.round,
                    "组别": f"{prefix}{tour.team_name}",
                    "巡察方式": tour.kind,
                    "进驻时间": _date(tour.start, rng.choice(("iso", "zh", "dot"))),
                    "结束时间": _date(tour.end, rng.choice(("iso", "zh", "slash"))),
                    "巡察对象": "、".join(tour.targets),
                    "组成人员": [
                        {
                            "姓名": p.name,
                            "身份证号": _full_width(p.rid) if i == 2 and tour.team == 2 else p.rid,
                            "组内职务": role if role != "组员" or rng.random() < 0.5 else "成员",
                        }
                        for i, (p, role) in enumerate(tour.members)
                    ],
                }
            )
        name = f"07_巡察组人员_{label}.json"
        (folder / name).write_text(
            json.dumps({"code": 0, "msg": "成功", "data": data}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        done(name, "jx-teams")

    # 8. Leads of the two departments.
    rows = []
    for n, lead in enumerate([x for x in world.leads if x.dept == "jw"], start=1):
        where = units[lead.unit]
        title = next((p.title for p in (lead.person.posts if lead.person else []) if p.unit == lead.unit), "")
        title = title.split("、")[-1]
        rows.append(
            [
                n,
                lead.ref,
                _date(lead.received, next(styles)),
                lead.source,
                lead.person.name if lead.person else None,
                f"{where.name}{title}",
                lead.text,
                lead.status,
                lead.petitioner,
            ]
        )
    _sheet(
        folder / "08_信访举报件登记表_市纪委监委.xlsx",
        "嘉兴市纪委监委信访举报件登记表",
        ["序号", "收件编号", "收件日期", "来件方式", "被反映人", "单位及职务", "反映主要问题", "办理方式", "信访人"],
        None,
        rows,
    )
    done("08_信访举报件登记表_市纪委监委.xlsx", "jx-leads-jw")
    rows = []
    for lead in [x for x in world.leads if x.dept == "xcb"]:
        rows.append(
            [
                lead.ref,
                _date(lead.received, next(styles), excel=False),
                lead.source,
                lead.unit,
                lead.person.name if lead.person else None,
                rng.choice(_WORDS[lead.category]),
                lead.status,
                lead.text,
            ]
        )
    _csv(
        folder / "08_问题线索台账_市委巡察办.csv",
        ["线索编号", "登记日期", "线索来源", "涉及单位编码", "涉及人员", "问题类型", "处置情况", "线索摘要"],
        rows,
        encoding="utf-8-sig",
    )
    done("08_问题线索台账_市委巡察办.csv", "jx-leads-xcb")

    # 9. Transfers.
    _csv(
        folder / "09_线索移交台账.csv",
        ["移交编号", "线索编号", "移交时间", "移交对象", "反馈时限", "反馈时间", "办理结果"],
        [
            [
                t.ref,
                t.lead.ref,
                _date(t.date, next(styles), excel=False),
                t.recipient,
                _date(t.deadline, next(styles), excel=False),
                _date(t.feedback, next(styles), excel=False),
                t.result,
            ]
            for t in world.transfers
        ],
    )
    done("09_线索移交台账.csv", "jx-transfers")

    # 10. Bids, one row per bid: title row; 项目信息 and 投标信息 merged over their columns.
    rows = []
    n = 0
    for t in world.tenders:
        opened = t.announced + dt.timedelta(days=20)
        for b in sorted(t.bids, key=lambda b: b.rank):
            n += 1
            amount: Any = b.amount
            if n % 41 == 3:
                amount = _full_width(f"{b.amount:.2f}").replace(".", "．")
            elif n % 37 == 5:
                amount = f"{b.amount / 10_000:.6f}万元"
            elif n % 29 == 11:
                amount = f"{b.amount:,.2f}"
            rows.append(
                [
                    n,
                    t.ref,
                    t.title,
                    units[t.buyer].name,
                    t.budget_wan,
                    t.method,
                    _date(t.announced, next(styles)),
                    _date(opened, next(styles)),
                    b.company.name,
                    b.company.uscc if b.with_code else None,
                    amount,
                    b.rank,
                    "是" if b.won else "否",
                ]
            )
    _sheet(
        folder / "10_公共资源交易投标记录.xlsx",
        "嘉兴市公共资源交易中心投标记录（2021—2024年）",
        ["序号", "项目信息", None, None, None, None, None, None, "投标信息", None, None, None, None],
        [
            None,
            "项目编号",
            "项目名称",
            "招标人",
            "预算金额（万元）",
            "采购方式",
            "公告日期",
            "开标日期",
            "投标人名称",
            "投标人信用代码",
            "投标报价（元）",
            "报价排名",
            "是否中标",
        ],
        rows,
        groups=[(2, 8), (9, 13)],
    )
    done("10_公共资源交易投标记录.xlsx", "jx-bids")
    return {name: folder / name for name in formats}

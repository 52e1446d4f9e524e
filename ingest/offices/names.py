"""How offices write the names of units, companies, posts and dates: the variants and their rates.

Every choice the generator makes between ways of writing one thing is drawn at a
rate written here (:data:`RATES`) and counted (:class:`Variants`), so that the
rates in the files can be checked against the documented ones. The forms are
this package's own: they were written from how inspection offices' exports look,
not from liandong's resolver or its alias lists.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RATES", "Variants", "DEPARTMENTS", "Department", "pick", "homophone", "slip"]

# family -> {variant: rate}. Each family's rates add up to 1.
RATES: dict[str, dict[str, float]] = {
    # A party committee written with its place name: always in other offices' files (a county's 县委 in its
    # city's file, a city's 市委 in the province's and its counties' files), and in its own when not bare.
    # The forms of 纪委监委, 组织部, 巡察办 and the government below are drawn the same way; bare, an office
    # writes 县委, 县纪委监委 (70%) or 县纪委, 县委组织部, 县委巡察办, 县人民政府 or 县政府.
    "org.party_form": {"中共X委员会": 0.30, "中共X委": 0.30, "X委": 0.25, "中国共产党X委员会": 0.15},
    # A unit of the office's own place (a county's, a city's or the province's own units, a county's towns,
    # schools and hospitals) in that office's files: the place name left out (县委, 教体局, 太平镇) or written.
    # Other offices always write the place (修水县教体局, 修水县太平镇).
    "org.own_bare": {"bare": 0.60, "prefixed": 0.40},
    # A government department that has a local short name: the full name or the short one.
    "org.dept_form": {"full": 0.55, "short": 0.45},
    # 纪委监委 (the discipline commission and supervisory commission, one office).
    "org.discipline_form": {"中共X纪律检查委员会": 0.25, "X纪委监委": 0.45, "中共X纪委": 0.15, "X纪委": 0.15},
    # 组织部 of a party committee.
    "org.orgdept_form": {"中共X委员会组织部": 0.30, "中共X委组织部": 0.30, "X委组织部": 0.40},
    # 巡察办 / 巡视办.
    "org.inspection_form": {"full": 0.30, "X委巡察办": 0.50, "中共X委巡察办": 0.20},
    # The people's government.
    "org.gov_form": {"人民政府": 0.70, "政府": 0.30},
    # A township: the town, its government or its party committee (one inspected unit).
    "org.town_form": {"town": 0.70, "人民政府": 0.15, "党委": 0.15},
    # A unit's name typed in a roster or a bid list (directories are typed with care: none there).
    "org.typo": {"none": 0.98, "typo": 0.02},
    # How a company is registered: the place first (九江东升劳务有限公司) or in brackets (东升劳务（九江）有限公司).
    "company.registered_style": {"prefix_first": 0.75, "bracketed": 0.25},
    # The legal form a company is registered with.
    "company.registered_form": {"有限公司": 0.60, "有限责任公司": 0.40},
    # A bid list's name for a bidder: as registered, the place dropped, or the other place style.
    "company.place_in_bids": {"as_registered": 0.55, "dropped": 0.20, "other_style": 0.25},
    # A bid list writes the other legal form (有限公司 for 有限责任公司 and back).
    "company.form_in_bids": {"as_registered": 0.75, "other_form": 0.25},
    # Brackets in a written name (the place in brackets): full-width or half-width.
    "company.brackets": {"full_width": 0.60, "half_width": 0.40},
    # A company name typed in a bid list: a sound-alike character in the trade name, another slip, or none.
    "company.typo_in_bids": {"none": 0.95, "sound_alike": 0.03, "one_character": 0.02},
    # A company register (the market regulator's extract) is typed with care.
    "company.typo_in_register": {"none": 0.99, "one_character": 0.01},
    # The USCC and the legal representative, per layout (registers: C1, C2; bid lists: B1, B2).
    "company.uscc[C1]": {"given": 0.90, "absent": 0.10},
    "company.uscc[C2]": {"given": 0.80, "absent": 0.20},
    "company.uscc[B1]": {"given": 0.50, "absent": 0.50},
    "company.uscc[B2]": {"given": 0.30, "absent": 0.70},
    "company.legal[C1]": {"given": 0.95, "absent": 0.05},
    "company.legal[C2]": {"given": 0.95, "absent": 0.05},
    "company.legal[B1]": {"given": 0.70, "absent": 0.30},
    "company.legal[B2]": {"given": 0.40, "absent": 0.60},
    # A cadre's resident ID in one office's roster (one choice per person and office).
    "person.id": {"full": 0.45, "masked": 0.30, "absent": 0.25},
    # A cadre's birth date, per roster layout: R1 writes year and month, R2 the full date, R3 either.
    "person.birth[R1]": {"year_month": 1.0, "full_date": 0.0},
    "person.birth[R2]": {"year_month": 0.0, "full_date": 1.0},
    "person.birth[R3]": {"year_month": 0.70, "full_date": 0.30},
    # A post written another way (局长 / 党组书记、局长; 县长 / 县人民政府县长 …).
    "person.post_form": {"standard": 0.55, "alternate": 0.45},
    # A cadre's name typed with a sound-alike character.
    "person.name_typo": {"none": 0.98, "sound_alike": 0.02},
}


class Variants:
    """Counts of the variants drawn, per family: what :func:`pick` chose, to compare with :data:`RATES`."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = defaultdict(Counter)

    def note(self, family: str, variant: str) -> None:
        if variant not in RATES[family]:
            raise KeyError(f"{variant!r} is no variant of {family}")
        self.counts[family][variant] += 1

    def rows(self) -> list[tuple[str, str, int, int, float, float]]:
        """(family, variant, count, opportunities, share, documented rate) for every documented variant."""
        out = []
        for family, rates in RATES.items():
            total = sum(self.counts[family].values())
            for variant, rate in rates.items():
                n = self.counts[family][variant]
                out.append((family, variant, n, total, round(n / total, 4) if total else 0.0, rate))
        return out


def pick(rng: random.Random, family: str, variants: Variants | None = None) -> str:
    """Draw one variant of ``family`` at its documented rates (and count it)."""
    roll, acc = rng.random(), 0.0
    rates = RATES[family]
    chosen = next(iter(rates))
    for variant, rate in rates.items():
        acc += rate
        if roll < acc:
            chosen = variant
            break
    else:
        chosen = max(rates, key=lambda v: rates[v])
    if variants is not None:
        variants.note(family, chosen)
    return chosen


# --- government departments -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Department:
    """A government department by tier: (full name, local short name or None); None where the tier has none."""

    key: str
    county: tuple[str, str | None] | None
    city: tuple[str, str | None] | None
    province: tuple[str, str | None] | None
    system: str | None = None  # the shipped taxonomy's word for the sector system, when it has one
    head: str = "局长"
    kind: str = "government_department"

    def at(self, tier: str) -> tuple[str, str | None] | None:
        return {"county": self.county, "city": self.city, "province": self.province}[tier]


DEPARTMENTS: tuple[Department, ...] = (
    Department("edu", ("教育体育局", "教体局"), ("教育局", None), ("教育厅", None), "教育"),
    Department("medins", ("医疗保障局", "医保局"), ("医疗保障局", "医保局"), ("医疗保障局", "医保局")),
    Department("emerg", ("应急管理局", "应急局"), ("应急管理局", "应急局"), ("应急管理厅", "应急厅")),
    Department("urban", ("城市管理局", "城管局"), ("城市管理局", "城管局"), None, "城市管理"),
    Department(
        "housing", ("住房和城乡建设局", "住建局"), ("住房和城乡建设局", "住建局"), ("住房和城乡建设厅", "住建厅")
    ),
    Department("transport", ("交通运输局", "交通局"), ("交通运输局", "交通局"), ("交通运输厅", "交通厅"), "交通运输"),
    Department(
        "health",
        ("卫生健康委员会", "卫健委"),
        ("卫生健康委员会", "卫健委"),
        ("卫生健康委员会", "卫健委"),
        "卫生健康",
        "主任",
    ),
    Department(
        "market",
        ("市场监督管理局", "市场监管局"),
        ("市场监督管理局", "市场监管局"),
        ("市场监督管理局", "市场监管局"),
        "市场监管",
    ),
    Department(
        "hr",
        ("人力资源和社会保障局", "人社局"),
        ("人力资源和社会保障局", "人社局"),
        ("人力资源和社会保障厅", "人社厅"),
        "人力社保",
    ),
    Department("agri", ("农业农村局", "农业局"), ("农业农村局", "农业局"), ("农业农村厅", None), "农业农村"),
    Department("natres", ("自然资源局", None), ("自然资源局", None), ("自然资源厅", None), "自然资源"),
    Department("water", ("水利局", None), ("水利局", None), ("水利厅", None), "水利"),
    Department("finance", ("财政局", None), ("财政局", None), ("财政厅", None)),
    Department("audit", ("审计局", None), ("审计局", None), ("审计厅", None)),
    Department("civil", ("民政局", None), ("民政局", None), ("民政厅", None)),
    Department(
        "devref",
        ("发展和改革委员会", "发改委"),
        ("发展和改革委员会", "发改委"),
        ("发展和改革委员会", "发改委"),
        None,
        "主任",
    ),
    Department(
        "supply",
        ("供销合作社联合社", "供销社"),
        ("供销合作社联合社", "供销社"),
        ("供销合作社联合社", "供销社"),
        "供销",
        "主任",
    ),
    Department(
        "culture",
        ("文化广电新闻出版旅游局", "文广新旅局"),
        ("文化广电新闻出版旅游局", "文广新旅局"),
        ("文化和旅游厅", "文旅厅"),
    ),
    Department(
        "veterans", ("退役军人事务局", "退役军人局"), ("退役军人事务局", "退役军人局"), ("退役军人事务厅", "退役军人厅")
    ),
    Department("industry", ("工业和信息化局", "工信局"), ("工业和信息化局", "工信局"), ("工业和信息化厅", "工信厅")),
    Department("approval", ("行政审批局", "审批局"), ("行政审批局", "审批局"), None),
    Department("justice", ("司法局", None), ("司法局", None), ("司法厅", None)),
    Department("stats", ("统计局", None), ("统计局", None), ("统计局", None)),
    Department("commerce", ("商务局", None), ("商务局", None), ("商务厅", None)),
    Department("forestry", ("林业局", None), ("林业局", None), ("林业局", None)),
    Department(
        "trading",
        ("公共资源交易中心", None),
        ("公共资源交易中心", None),
        ("公共资源交易中心", None),
        None,
        "主任",
        "public_institution",
    ),
)

# The departments the task names, always present in every county and city (edu, medins, emerg, urban).
CORE_DEPARTMENTS = ("edu", "medins", "emerg", "urban")


# --- typing slips -----------------------------------------------------------------------------------------------

# Characters read alike (same or near pinyin): the groups a clerk typing from dictation confuses.
_HOMOPHONE_GROUPS: tuple[str, ...] = (
    "宏鸿红洪",
    "达大",
    "盛胜圣",
    "鑫新信欣馨",
    "华化桦",
    "源元圆远",
    "建健剑",
    "恒衡",
    "兴星",
    "瑞睿锐",
    "丰峰锋",
    "金今锦",
    "诚成城程",
    "利力立",
    "嘉佳家",
    "祥翔",
    "泰太",
    "隆龙",
    "昌长",
    "通同",
    "明名铭",
    "安鞍",
    "东冬",
    "升生",
    "顺舜",
    "鹏朋",
    "凯恺",
    "宇雨禹",
    "德得",
    "富福",
    "永勇",
    "美梅",
    "天田",
    "伟玮炜",
    "娜纳",
    "芳方",
    "强墙",
    "敏民",
    "静靖",
    "军君",
    "磊雷",
    "洋阳扬",
    "勇涌",
    "杰洁",
    "艳燕",
    "涛韬",
    "斌彬",
    "辉晖",
    "波博",
    "霞侠",
    "平萍",
    "刚钢",
    "红虹",
    "丽莉",
    "英瑛",
    "文雯",
    "林琳",
    "志智",
    "晓小",
    "慧惠",
    "玲铃",
    "国郭",
    "忠中",
    "荣容",
)
_HOMOPHONES: dict[str, str] = {}
for _group in _HOMOPHONE_GROUPS:
    for _c in _group:
        _HOMOPHONES.setdefault(_c, _group)

# Characters a hurried typist puts for another (shape or keyboard neighbours), for one-character slips.
_SLIP_CHARS = "工公共功攻业叶页务物勿材才财料科程城成诚设没投建健键程达远园源"


def homophone(rng: random.Random, text: str, positions: Sequence[int] | None = None) -> str | None:
    """``text`` with one character (at one of ``positions``) replaced by a sound-alike, or None when none has one."""
    places = [i for i in (positions if positions is not None else range(len(text))) if text[i] in _HOMOPHONES]
    if not places:
        return None
    i = rng.choice(places)
    others = [c for c in _HOMOPHONES[text[i]] if c != text[i]]
    return text[:i] + rng.choice(others) + text[i + 1 :]


def slip(rng: random.Random, text: str, positions: Sequence[int] | None = None) -> str:
    """``text`` with one character (at one of ``positions``) replaced by a different one."""
    places = list(positions if positions is not None else range(len(text)))
    i = rng.choice(places)
    others = [c for c in _SLIP_CHARS if c != text[i]]
    return text[:i] + rng.choice(others) + text[i + 1 :]

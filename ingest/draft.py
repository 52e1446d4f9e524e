"""Draft a mapping for an office's own export from its headers (``liandong mapping draft FILE``).

Most of an office's exports are a shipped format under other column names:
干部姓名 for 姓名, 所在单位 for 工作单位, 问题类型 for 问题类别, a title row above,
a two-row header, ``（必填）`` after a name. :func:`draft_mapping` finds the
file's header row (:func:`ingest.readers.find_header`), recognises its columns
through :data:`HEADER_VARIANTS` (the names Chinese offices write for each column
of a shipped format), scores every shipped mapping by how well the file covers
its fields (required fields weigh most), and writes the best one back as YAML
with each field reading the file's own column. The records are the shipped
mapping's, unchanged: they are written in terms of fields, and the fields keep
their names.

A draft is a starting point, with comments saying what to check: which
columns were matched by meaning rather than by name, which fields the file
lacks, which of its columns nothing reads, and which file variables its name
does not give. ``docs/mappings.md`` describes every key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from graphmodel import Schema

from .mapping import OFFICE_VARS, FieldSpec, Mapping_, MappingError, builtin_mappings
from .readers import Header, RawTable, find_header, read_tables

__all__ = ["Draft", "HEADER_VARIANTS", "draft_mapping", "header_key"]

# Header names that mean the same column, one group a line, as offices write them; the shipped formats'
# names are among them. A name may sit in several groups (编号 is a finding's number in one file, a lead's in
# another): each shipped mapping takes the meaning it has a field for. An indented line continues a group.
_VARIANT_TABLE = """
# organisations
单位名称 单位 单位全称 名称 机构名称 组织名称 党组织名称 工作单位 所在单位
  任职单位 现工作单位 现任职单位 现所在单位 所在单位名称 工作单位名称
单位简称 简称
单位层级 层级 单位级别 所属层级 机构层级
行政区划代码 区划代码 行政区划 区划 所属区划代码 地区代码 行政区域代码
所属系统 系统 行业系统 所属行业 行业 归口系统 系统条线 所属条线
上级单位 上级主管单位 主管单位 上级党组织 隶属单位 上级单位名称
撤并时间 撤并日期 撤销时间 合并时间 撤销日期
撤并后单位 合并后单位 并入单位 撤并至 撤并后单位名称
# people and posts
姓名 干部姓名 人员姓名 名字 成员姓名 组员姓名 干部名称
性别
出生日期 出生年月 出生时间 出生年月日 生日
身份证号 身份证号码 公民身份号码 证件号码 证件号 身份证
  居民身份证号 居民身份证号码 公民身份证号 公民身份证号码
籍贯 祖籍
职务 现任职务 担任职务 职务名称 现职务 现任职 现任职务名称 岗位 现任岗位
任职时间 任职日期 任现职时间 任现职日期 任职起始时间 任职开始时间 任职起始日期
免职时间 免职日期 离任时间 离任日期 卸任时间 任职结束时间 任职截止时间
是否班子成员 班子成员 是否领导班子成员 是否班子 是否领导班子
# companies
统一社会信用代码 社会信用代码 信用代码 统一代码 uscc 统一社会信用代码证号
企业名称 公司名称 企业 市场主体名称 企业全称 公司全称
法定代表人 法人 法人代表 法定代表人姓名 负责人
法定代表人身份证号 法人身份证号 法人身份证号码 法定代表人身份证号码 法定代表人证件号码
注册地址 住所 地址 注册地 企业地址 经营场所 住所地 经营地址
联系电话 电话 联系方式 手机号 手机号码 电话号码 联系手机
成立日期 成立时间 注册日期 注册时间 登记日期
股东及出资比例 股东信息 股东 股东及出资 股东及持股比例 股东情况
主要人员 高管人员 董监高 主要管理人员 董监高人员
# personal-matters reports
申报人 报告人 申报人姓名 报告人姓名
家庭成员 家庭成员情况 家庭成员信息
申报年度 年度 报告年度 申报年份
# findings
问题编号 问题序号 问题号 编号
轮次 巡察轮次 巡视轮次 批次 巡察批次 巡视批次
巡视组 巡察组 巡察组别 巡视组别 组别 巡察组名称 巡视组名称 所在巡察组
巡视类型 巡察类型 巡察方式 巡视方式 巡察形式 巡视形式 巡察种类
被巡视单位 被巡察单位 巡察对象 巡视对象 被巡察党组织 被巡视党组织 被巡察单位名称 被巡视单位名称 被巡察对象 被巡视对象
问题类别 问题类型 问题分类 问题性质 问题归类 问题种类 类别
问题描述 问题表现 具体问题 问题内容 问题摘要 主要问题 问题具体表现 存在问题
发现时间 发现日期 反馈时间 发现问题时间 问题发现时间
严重程度 问题等级 问题严重程度 严重性 问题程度
涉及金额 金额 涉案金额 问题金额 涉及资金 涉及资金金额
关联上级问题编号 上级问题编号 关联问题编号 上级交办问题编号
# rectification
责任单位 整改责任单位 牵头单位 整改单位 责任部门 整改牵头单位
整改措施 措施 整改举措 整改措施及成效
整改责任人 责任人 整改负责人 责任领导
整改时限 完成时限 整改期限 整改截止日期 时限 整改时限要求
完成时间 完成日期 整改完成时间 整改完成日期 实际完成时间 销号时间 销号日期
整改状态 整改情况 完成情况 整改进度 整改进展 整改结果
是否验收 验收情况 验收 是否通过验收
# teams
组内职务 组内分工 组内职责 组内角色 巡察组职务 巡视组职务 担任组内职务
进驻时间 进驻日期 巡察开始时间 巡视开始时间 开始时间 开始日期
结束时间 结束日期 巡察结束时间 巡视结束时间 撤离时间
# leads and transfers
线索编号 线索号 线索序号 编号
受理日期 受理时间 收到日期 接收日期 登记时间 收件日期
线索来源 来源 问题来源 来源渠道 线索来源渠道
反映对象单位 被反映单位 被反映人单位 反映对象所在单位 被反映人所在单位 被举报人单位
反映对象 被反映人 被举报人 反映对象姓名 被反映人姓名
主要内容 反映内容 线索内容 内容摘要 问题线索内容 反映的主要问题 主要问题线索
信访人 举报人 反映人 信访人姓名 举报人姓名
信访人身份证号 举报人身份证号 信访人证件号码 举报人身份证号码 信访人身份证号码
处置方式 处置情况 办理方式 处置结果 办理情况 处置类型
移交编号 移交号 移交序号
移交日期 移交时间
接收单位 承办单位 接收部门 移交对象 接收机关
反馈期限 反馈时限 要求反馈时间 反馈截止日期 要求反馈日期
反馈日期 实际反馈日期 反馈时间
反馈情况 反馈内容 办理结果 反馈结果
# bids
项目编号 招标编号 项目代码 标段编号 招标项目编号 采购项目编号 项目编码
项目名称 招标项目名称 标段名称 采购项目名称 工程名称
采购人 采购单位 招标人 招标单位 建设单位 业主单位 采购人名称
预算金额 预算 最高限价 招标控制价 采购预算 控制价
公告日期 公告时间 发布日期 招标公告日期 公告发布时间
开标日期 中标日期 开标时间 定标日期 中标时间 定标时间
采购方式 招标方式
投标人 投标单位 供应商 投标人名称 投标企业 供应商名称 投标单位名称
投标人统一社会信用代码 投标人信用代码 供应商统一社会信用代码 投标单位统一社会信用代码
投标报价 报价 投标金额 投标价 报价金额 投标价格
报价排名 排名 名次 报价名次
是否中标 中标 中标情况 是否中选 中标结果
"""
#: The groups of :data:`_VARIANT_TABLE`: header names that mean the same column.
HEADER_VARIANTS: tuple[tuple[str, ...], ...] = tuple(
    tuple(group.split())
    for group in re.split(r"\n(?!\s)", "\n".join(x for x in _VARIANT_TABLE.splitlines() if not x.startswith("#")))
    if group.strip()
)

# Generic headers that may stand for a more specific column when the file has nothing closer (matched weakly:
# a findings list whose inspected unit is just 单位名称).
_GENERIC_ORG = ("单位名称", "单位", "单位全称", "名称")
_LOOSE: dict[str, tuple[str, ...]] = {
    "被巡视单位": _GENERIC_ORG,
    "被巡察单位": _GENERIC_ORG,
    "责任单位": _GENERIC_ORG,
    "反映对象单位": _GENERIC_ORG,
    "采购人": _GENERIC_ORG,
    "接收单位": _GENERIC_ORG,
    "企业名称": _GENERIC_ORG,
}

_EXACT, _SAME_KEY, _VARIANT, _LOOSELY = 1.0, 0.95, 0.9, 0.5
_KEY_WEIGHT, _OTHER_WEIGHT, _MISSING_KEY = 3.0, 1.0, 2.0
_FILL_IN_NOTE = re.compile(r".(?:必填|选填|必录|可选|可不填|必选|非必填)项?.")  # a form's hint, not a unit
_BRACKETED = re.compile(r"[(\[【〔《<{][^)\]】〕》>}]*[)\]】〕》>}]")


def header_key(name: object) -> str:
    """A header name for comparison: NFKC, no whitespace, ``*`` or colons, no bracketed notes, no ``#2``.

    ``"* 单位名称（必填）："`` and ``"单位名称"`` have the same key.
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"#\d+$", "", text.strip())  # find_header's suffix for a repeated name
    text = _BRACKETED.sub("", text)
    return re.sub(r"[\s*:]", "", text).casefold()


def _bracket_note(name: str) -> str | None:
    m = _BRACKETED.search(unicodedata.normalize("NFKC", name))
    return m.group(0) if m else None


_GROUPS: dict[str, set[str]] = {}
for _group in HEADER_VARIANTS:
    _keys = {header_key(n) for n in _group}
    for _k in _keys:
        _GROUPS.setdefault(_k, set()).update(_keys)
_LOOSE_KEYS = {header_key(c): {header_key(n) for n in names} for c, names in _LOOSE.items()}


def _quality(header: str, column: str) -> float:
    """How well a file's header stands for a mapping's column (0: not at all)."""
    if header == column:
        return _EXACT
    h, c = header_key(header), header_key(column)
    if not h:
        return 0.0
    if h == c:
        return _SAME_KEY
    if h in _GROUPS.get(c, ()):
        return _VARIANT
    if h in _LOOSE_KEYS.get(c, ()):
        return _LOOSELY
    return 0.0


@dataclass(frozen=True)
class Draft:
    """A proposed mapping for one file.

    Attributes
    ----------
    text : str
        The mapping as YAML, with comments saying what to check.
    format : str
        The shipped format it follows (``"roster"``, ``"findings"`` …).
    matched : dict of str to str
        Field -> the file's column it reads.
    unmatched_columns : list of str
        The file's columns nothing reads.
    missing_required : list of str
        Required fields for which the file has no column (the file is refused until they are mapped).
    """

    text: str
    format: str
    matched: dict[str, str]
    unmatched_columns: list[str]
    missing_required: list[str]


# ------------------------------------------------------------------ matching
@dataclass(frozen=True)
class _Slot:
    """One column a mapping reads: a field's (or part of a template's), or an ``each`` block's split or path."""

    item: str  # a field name, or "each:N"
    alternatives: tuple[str, ...]  # the shipped mapping's names for the column (the first present is read)
    key: bool  # what recognises the format: a required field, or a column of headers.required/one_of
    order: int


@dataclass
class _Fit:
    """How one shipped mapping fits one table."""

    mapping: Mapping_
    table: RawTable
    header: Header
    chosen: dict[int, tuple[str, float]]  # slot order -> (file column, quality)
    slots: list[_Slot]
    score: float
    columns_read: set[str]


def _field_slots(spec: FieldSpec, fields: Iterable[str], variables: set[str]) -> list[tuple[str, ...]]:
    """The columns a field reads, each with its alternatives (a plain field's list is one column)."""
    if spec.const is not None:
        return []
    if spec.which:
        return [(c,) for c, _ in spec.which]
    if spec.template is not None:
        return [(n,) for n in spec.needed_columns if n not in fields and n not in variables]
    return [spec.columns] if spec.columns else []


def _slots(mapping: Mapping_) -> list[_Slot]:
    recognising = set(mapping.required_headers) | {c for group in mapping.one_of for c in group}
    variables = {*mapping.file_vars, *OFFICE_VARS}
    out: list[_Slot] = []
    for spec in mapping.fields.values():
        for alternatives in _field_slots(spec, mapping.fields, variables):
            key = spec.required or bool(recognising & set(alternatives))
            out.append(_Slot(spec.name, alternatives, key, len(out)))
    for n, each in enumerate(mapping.each):
        alternatives = (each.path,) if each.path else each.split
        if alternatives:
            out.append(_Slot(f"each:{n}", alternatives, bool(recognising & set(alternatives)), len(out)))
    return out


def _fit(mapping: Mapping_, table: RawTable, header: Header) -> _Fit:
    slots = _slots(mapping)
    columns = [c for c in header.columns if c]
    candidates = []
    for slot in slots:
        for h_index, column in enumerate(columns):
            best = max(((_quality(column, alt), -a) for a, alt in enumerate(slot.alternatives)), default=(0.0, 0))
            if best[0] > 0:
                weight = _KEY_WEIGHT if slot.key else _OTHER_WEIGHT
                candidates.append((-best[0], -weight, slot.order, -best[1], h_index, column))
    chosen: dict[int, tuple[str, float]] = {}
    used: dict[str, tuple[str, ...]] = {}  # file column -> the alternatives of the slots reading it
    for neg_q, _, order, _, _, column in sorted(candidates):
        slot = slots[order]
        if order in chosen:
            continue
        # A column feeds one meaning; fields that read the same shipped columns (an ID and the birth date
        # taken from it) share it.
        if column in used and used[column] != slot.alternatives:
            continue
        chosen[order] = (column, -neg_q)
        used[column] = slot.alternatives
    score = 0.0
    by_item: dict[str, list[_Slot]] = {}
    for slot in slots:
        by_item.setdefault(slot.item, []).append(slot)
    for item_slots in by_item.values():
        found = [chosen[s.order][1] for s in item_slots if s.order in chosen]
        key = any(s.key for s in item_slots)
        if _complete(mapping, item_slots[0].item, found, item_slots):
            score += (_KEY_WEIGHT if key else _OTHER_WEIGHT) * min(found)
        elif key:
            score -= _MISSING_KEY
    return _Fit(mapping, table, header, chosen, slots, score, set(used))


def _complete(mapping: Mapping_, item: str, found: Sequence[Any], slots: Sequence[_Slot]) -> bool:
    """Whether a field (or each block) has what it reads: every column of a template, one of a ``which``."""
    spec = mapping.fields.get(item)
    return bool(found) and (len(found) == len(slots) or bool(spec is not None and spec.which))


_SHIPPED: dict[tuple[int, tuple[tuple[str, int, int], ...]], tuple[Schema, list[Mapping_]]] = {}


def _shipped(schema: Schema) -> list[Mapping_]:
    """The shipped mappings, loaded once per schema while their files stay the same (a notebook drafts many)."""
    folder = Path(__file__).parent / "mappings"
    files = sorted(folder.glob("[0-9]*_*.yaml"))
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    hit = _SHIPPED.get((id(schema), stamp))
    if hit is None or hit[0] is not schema:
        _SHIPPED.clear()
        hit = _SHIPPED[(id(schema), stamp)] = (schema, builtin_mappings(schema))
    return hit[1]


def _known_keys(mappings: Sequence[Mapping_]) -> set[str]:
    known = set(_GROUPS)
    for m in mappings:
        for slot in _slots(m):
            known.update(header_key(a) for a in slot.alternatives)
        known.update(header_key(c) for c in m.required_headers)
    return known


def _header(table: RawTable, known: set[str]) -> Header | None:
    """The table's header: find_header anchored on the row (of the first 12) naming the most known columns.

    A title row above and a group-label row of a two-row header name few or none; find_header then takes
    the lower row of a merged header and fills its gaps from the row above.
    """
    if table.sheet is None and table.encoding is None:  # JSON: the objects' keys
        return find_header(table, [])
    best: tuple[int, int, int] | None = None
    anchor: list[str] = []
    recognised_anywhere: list[str] = []
    for i, (_, cells) in enumerate(table.rows[:12]):
        texts = [str(c) for c in cells if isinstance(c, str) and c.strip()]
        recognised = [t for t in texts if header_key(t) in known]
        recognised_anywhere += recognised
        rank = (len(recognised), len(texts), -i)
        if texts and (best is None or rank > best):
            best, anchor = rank, recognised or texts
    if best is None:
        return None
    return find_header(table, anchor, recognised_anywhere)


# ------------------------------------------------------------------ writing
def _flow(value: Any) -> str:
    """A value as one line of YAML (flow style), quoted where YAML would misread it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=1 << 20)
    return text.strip().removesuffix("\n...").strip()  # the end-of-document marker after a plain scalar


def _sections(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """A mapping file's leading comment lines, and its top-level sections' lines by key (in file order)."""
    lead: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        m = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
        if m:
            current = sections.setdefault(m.group(1), [])
        if current is None:
            lead.append(line)
        else:
            current.append(line)
    return lead, sections


def _rename_columns(lines: list[str], renames: dict[tuple[str, ...], str], missing: set[tuple[str, ...]]) -> list[str]:
    """An ``each`` section with its ``split:``/``path:`` columns renamed to the file's own (and marked when the
    file lacks them)."""
    out = []
    for line in lines:
        m = re.match(r"(\s*(?:-\s+)?(?:split|path):\s*)(\S.*?)\s*$", line)
        if m and "#" not in m.group(2):
            value = yaml.safe_load(m.group(2))
            names = tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)
            if names in renames:
                line = f"{m.group(1)}{_flow(renames[names])}"
                if renames[names] not in names:
                    line += f"  # variant of {' / '.join(names)}"
            elif names in missing:
                line += "  # not in this file"
        out.append(line)
    return out


def _field_line(name: str, spec: Any, field: FieldSpec, fit: _Fit, slots: list[_Slot]) -> tuple[str, list[str]]:
    """One field as a line of YAML reading the file's columns, and the notes for its comment."""
    spec = dict(spec) if isinstance(spec, dict) else {"column": spec}
    notes: list[str] = []
    found = {s.alternatives: fit.chosen[s.order] for s in slots if s.order in fit.chosen}
    for alternatives, (column, quality) in found.items():
        if quality < _EXACT and column not in alternatives:
            shipped = " / ".join(alternatives)
            notes.append(f"guessed for {shipped}: check" if quality <= _LOOSELY else f"variant of {shipped}")
        note = _bracket_note(column)
        if note and not _FILL_IN_NOTE.fullmatch(note):
            notes.append(f"the header says {note}: check the unit or format")
    if field.const is None and field.which:
        spec["which"] = {found.get((c,), (c, 0.0))[0]: v for c, v in field.which}
    elif field.const is None and field.template is not None:
        renames = {a[0]: c for a, (c, _) in found.items()}
        spec["template"] = re.sub(
            r"\{([^{}]+)\}", lambda m: "{" + renames.get(m.group(1), m.group(1)) + "}", field.template
        )
    elif field.const is None and found:
        spec["column"] = next(iter(found.values()))[0]
    lacking = [s for s in slots if s.order not in fit.chosen]
    if lacking and (not field.which or not found):
        notes.append(
            "not in this file: required, map a column of yours or the file is refused"
            if field.required
            else "not in this file"
        )
    return f"  {_flow(name)}: {_flow(spec)}", notes


def _file_var_notes(mapping: Mapping_, path: Path) -> list[tuple[str, str]]:
    """What the file name does not give among the mapping's file variables: (note, the option to pass)."""
    notes = []
    for name, (pattern, _) in mapping.file_vars.items():
        if re.search(pattern, path.name):
            continue
        if name == "office":
            notes.append(
                (
                    "the file name carries no 6-digit region code: pass --office CODE (the exporting office's "
                    "GB/T 2260 code) to ingest and mapping check, or put the code in the file name",
                    "--office CODE",
                )
            )
        else:
            notes.append(
                (
                    f"the file name does not give the {name} (file_vars.{name}, pattern {pattern}): pass "
                    f"--file-var {name}=VALUE",
                    f"--file-var {name}=VALUE",
                )
            )
    return notes


def _comment(text: str, first: str = "# ", rest: str = "# ", width: int = 100) -> list[str]:
    """Text as comment lines of at most ``width`` characters (Chinese has no spaces to break at: any place)."""
    lines: list[str] = []
    prefix = first
    while text:
        room = width - len(prefix)
        if len(text) <= room:
            lines.append(prefix + text)
            break
        cut = text.rfind(" ", 0, room + 1)
        cut = cut if cut > room // 2 else room
        lines.append(prefix + text[:cut].rstrip())
        text, prefix = text[cut:].lstrip(), rest
    return lines


def _render(fit: _Fit, path: Path) -> tuple[str, dict[str, str], list[str], list[str]]:
    mapping = fit.mapping
    text = Path(mapping.path).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    lead, sections = _sections(text)
    columns = [c for c in fit.header.columns if c]
    by_item: dict[str, list[_Slot]] = {}
    for slot in fit.slots:
        by_item.setdefault(slot.item, []).append(slot)

    matched: dict[str, str] = {}
    missing_required: list[str] = []
    field_lines: list[str] = []
    for name, field in mapping.fields.items():
        slots = by_item.get(name, [])
        line, notes = _field_line(name, doc["fields"][name], field, fit, slots)
        found = [fit.chosen[s.order][0] for s in slots if s.order in fit.chosen]
        if _complete(mapping, name, found, slots):
            matched[name] = found[0]
        elif field.required and slots:
            missing_required.append(name)
        field_lines.append(line + (f"  # {'; '.join(notes)}" if notes else ""))

    recognising: list[str] = []
    for slot in fit.slots:
        if slot.key and slot.order in fit.chosen:
            recognising.append(fit.chosen[slot.order][0])
    recognising = list(dict.fromkeys(recognising)) or list(dict.fromkeys(matched.values()))
    unread = [c for c in columns if c not in fit.columns_read]

    where = path.name + (f", sheet {fit.table.sheet}" if fit.table.sheet else "")
    row = f"header on row {fit.header.row}" if fit.header.row else "the objects' keys"
    shipped = f"ingest/mappings/{Path(mapping.path).name}"
    n_fields = sum(1 for f in mapping.fields.values() if f.const is None)
    var_notes = _file_var_notes(mapping, path)
    checks = [
        "every column: is the file's own header; those marked 'variant of' were matched by meaning, not by "
        "name, and 'guessed' ones only loosely",
        "fields marked 'not in this file' stay empty: map a column of yours to them, or delete them",
    ]
    if missing_required:
        checks.append(
            f"required fields with no column here: {', '.join(missing_required)}; ingest refuses the file until "
            "each reads a column of it"
        )
    checks.append(
        "headers.required is how ingest recognises such files, and your mappings are preferred over the shipped "
        "ones wherever both fit: keep it to columns only this kind of export has"
    )
    if unread:
        checks.append(f"columns nothing reads: {', '.join(unread)} (add fields for those the graph should hold)")
    checks += [note for note, _ in var_notes]
    options = "".join(f" {option}" for _, option in var_notes)
    out = _comment(
        f"Drafted by `liandong mapping draft` from {where} ({row}), after the shipped format {mapping.name} "
        f"({mapping.title}, {shipped}): the file has columns for {len(matched)} of its {n_fields} fields."
    )
    out.append("# Check before use:")
    for check in checks:
        out += _comment(f"- {check};", "#   ", "#     ")
    out += _comment(
        f"Try it on the file (a dry run, nothing is written): liandong mapping check THIS.yaml {path.name}"
        f"{options}; then ingest with --mapping THIS.yaml. docs/mappings.md describes every key."
    )
    if lead and any(line.strip() for line in lead):
        out += ["#", "# The shipped format:"] + [line for line in lead if line.strip()]
    out += [f"format: {_flow(mapping.name)}", f"title: {_flow(mapping.title)}", "headers:"]
    out.append(f"  required: {_flow(recognising)}")
    renames: dict[tuple[str, ...], str] = {}
    missing_each: set[tuple[str, ...]] = set()
    for slot in fit.slots:
        if slot.item.startswith("each:"):
            if slot.order in fit.chosen:
                renames[slot.alternatives] = fit.chosen[slot.order][0]
            else:
                missing_each.add(slot.alternatives)
    for key, lines in sections.items():
        if key in ("format", "title", "headers"):
            continue
        if key == "fields":
            out.append("fields:")
            out += field_lines
            if unread:
                out.append(f"  # columns of this file nothing reads: {', '.join(unread)}")
        elif key == "each":
            out += _rename_columns(lines, renames, missing_each)
        else:
            out += lines
    return "\n".join(out).rstrip() + "\n", matched, unread, missing_required


# ------------------------------------------------------------------ the public function
def draft_mapping(path: str | Path, schema: Schema, *, sheet: str | None = None) -> Draft:
    """Propose a mapping for a file from its headers, after the shipped format it fits best.

    Parameters
    ----------
    path : str or Path
        An office's export (CSV, XLSX or JSON), read as ``ingest`` reads it.
    schema : Schema
        The graph schema the shipped mappings are loaded against.
    sheet : str, optional
        The worksheet to draft from; by default the sheet that fits a shipped format best.

    Returns
    -------
    Draft
        The mapping as commented YAML (it loads with :func:`ingest.mapping.load_mapping` and recognises the
        file), the shipped format it follows, which column each field reads, the columns nothing reads and
        the required fields the file has no column for.

    Raises
    ------
    MappingError
        When no shipped format fits (fewer than two of the file's columns match one), naming the file's
        columns; when ``sheet`` is not a sheet of the file; when the file holds no table.
    ingest.readers.ReadError
        When the file cannot be read.

    Notes
    -----
    The header row is found as ingest finds it (:func:`ingest.readers.find_header`, anchored on the row of
    the first twelve that names the most known columns), so title rows and two-row merged headers are
    handled. A header is compared after NFKC, without spaces, ``*``, colons or a bracketed note
    (``单位名称（必填）``), exactly, then through :data:`HEADER_VARIANTS`. Each shipped mapping is scored:
    every field the file has a column for counts (three times for a required field or a column the format
    is recognised by), scaled down for a variant or a loose match, and every such field it lacks counts
    against it. The best mapping is written back with each found field reading the file's column,
    ``headers.required`` set to the file's columns of the fields it is recognised by, and the records
    unchanged.

    Examples
    --------
    >>> from graphmodel import load_schema
    >>> draft = draft_mapping("我办干部名册.csv", load_schema())   # doctest: +SKIP
    >>> draft.format, draft.matched["name"], draft.missing_required   # doctest: +SKIP
    ('roster', '干部姓名', [])
    >>> Path("我办名册.yaml").write_text(draft.text, encoding="utf-8")   # doctest: +SKIP
    """
    path = Path(path)
    tables = read_tables(path)
    if sheet is not None:
        chosen = [t for t in tables if t.sheet == sheet]
        if not chosen:
            sheets = ", ".join(str(t.sheet) for t in tables if t.sheet) or "none"
            raise MappingError(f"{path.name} has no sheet {sheet!r} holding data (its sheets: {sheets})")
        tables = chosen
    if not tables:
        raise MappingError(f"{path.name} holds no table to draft a mapping from")
    mappings = _shipped(schema)
    known = _known_keys(mappings)
    best: _Fit | None = None
    seen_columns: list[str] = []
    for table in tables:
        header = _header(table, known)
        if header is None:
            continue
        seen_columns += [c for c in header.columns if c and c not in seen_columns]
        for mapping in mappings:
            fit = _fit(mapping, table, header)
            if len(fit.columns_read) >= 2 and (best is None or fit.score > best.score):
                best = fit
    if best is None:
        shown = ", ".join(seen_columns) or "none found"
        raise MappingError(
            f"no shipped format fits {path.name} (fewer than two of its columns match one); its columns: "
            f"{shown}. Write a mapping for it as docs/mappings.md describes, and try it with "
            "'liandong mapping check'"
        )
    text, matched, unread, missing = _render(best, path)
    return Draft(text, best.mapping.name, matched, unread, missing)

"""Target dossiers for inspection teams (Excel, Chinese headers): the ranked targets and each target's "3+2 lists".

One workbook per round. The first sheet ranks the targets; then one sheet per
target holds the lists of the Tonghua practice: what the unit is and does
(基本情况 — policy and function), what is on record about it (信息清单 —
leads, past findings, rectifications, bid-ring and conflict-of-interest
links), the suspected problems with their evidence (问题清单), and the
cadres responsible (责任清单 — serving cadres and those answerable for
rectifications).

Lead summaries, petitioners and resident-ID hashes are never written; how
relatives are related appears only if the detectors were run to reveal it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .base import DetectorResult
from .graphview import GraphView
from .registry import outcome_line

__all__ = ["write_target_dossier"]

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TITLE_FONT = Font(bold=True, size=13)
_BOLD = Font(bold=True)
_SEVERITY = {"minor": "一般", "serious": "较重", "severe": "严重"}
_STATUS = {"completed": "已完成", "in_progress": "正在整改", "overdue": "逾期未完成", "pending": "未启动"}
_TIER = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇", "village": "村（社区）"}


def _date(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _cell(value: Any) -> Any:
    if isinstance(value, pd.Timestamp | dt.date):
        return _date(value)
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


class _Sheet:
    """Writes titled tables one under another, remembering column widths."""

    def __init__(self, ws):  # type: ignore[no-untyped-def]
        self.ws = ws
        self.row = 1
        self.widths: dict[int, int] = {}

    def title(self, text: str) -> None:
        self.ws.cell(self.row, 1, text).font = _TITLE_FONT
        self.row += 1

    def table(self, title: str, headers: list[str], rows: list[list[Any]], freeze: bool = False) -> None:
        self.ws.cell(self.row, 1, title).font = _BOLD
        self.row += 1
        for col, header in enumerate(headers, start=1):
            c = self.ws.cell(self.row, col, header)
            c.font, c.fill = _BOLD, _HEADER_FILL
            self._width(col, header)
        if freeze:
            self.ws.freeze_panes = self.ws.cell(self.row + 1, 1)
        self.row += 1
        if not rows:
            self.ws.cell(self.row, 1, "（无）")
            self.row += 1
        for values in rows:
            for col, value in enumerate(values, start=1):
                c = self.ws.cell(self.row, col, _cell(value))
                if isinstance(c.value, dt.date):
                    c.number_format = "yyyy-mm-dd"
                c.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str) and len(value) > 40)
                self._width(col, value)
            self.row += 1
        self.row += 1

    def _width(self, col: int, value: Any) -> None:
        text = "" if value is None else str(value)
        # CJK characters are about two columns wide.
        width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2
        self.widths[col] = min(max(self.widths.get(col, 8), width), 60)

    def finish(self) -> None:
        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = width


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", text)[:28] or "对象"
    base, n = name, 2
    while name in used:
        name = f"{base[:26]}{n}"
        n += 1
    used.add(name)
    return name


def write_target_dossier(
    view: GraphView,
    results: Mapping[str, DetectorResult],
    path: str | Path,
    *,
    title: str = "巡察对象档案",
    top: int = 20,
) -> Path:
    """Write the ranked targets and each target's 3+2 lists to an Excel workbook.

    Parameters
    ----------
    view : GraphView
        The (possibly scoped) graph.
    results : mapping of detector name to DetectorResult
        ``targets`` ranks the units; ``recurrence``, ``systemic-problems``, ``bid-rings``, ``conflict-of-interest``,
        ``duplicate-leads`` and ``overdue-transfers`` add their evidence when present. Secret details are in
        them only if the detectors were run with ``reveal_secrets``; the dossier writes what it is given.
        Results that were skipped (their inputs are not in the graph) or failed are listed on the first sheet
        with the reason, as is ``targets`` when missing: a graph without them still gives a workbook.
    path : str or Path
        The ``.xlsx`` file to write.
    title : str
        Title of the round, on the first sheet.
    top : int
        How many of the ranked targets get a sheet of their own.

    Returns
    -------
    Path
    """
    path = Path(path)
    ranked = results.get("targets")
    targets = ranked.detections[:top] if ranked is not None else []
    wb = Workbook()
    ranking = _Sheet(wb.active)
    wb.active.title = "对象排序"
    ranking.title(f"{title}（{dt.date.today().isoformat()} 生成）")
    notes = [[outcome_line(r)] for r in results.values() if r.status != "ran"]
    if ranked is None:
        notes.insert(0, ["targets（精准制导）: 未运行，无排序 (not run: no ranking)"])
    if notes:
        ranking.table("说明：未能运行的检测及所缺数据 (detectors not run, and the records they need)", ["说明"], notes)
    rows = []
    for rank, d in enumerate(targets, start=1):
        tier = d.details.get("tier")
        rows.append(
            [
                rank,
                view.name_of("Organisation", d.subject),
                _TIER.get(str(tier), tier),
                view.system_name(d.details.get("system")),
                round(d.score, 4),
                "；".join(e.text for e in d.evidence),
                d.details.get("relay_to"),
            ]
        )
    ranking.table("巡察对象排序", ["排名", "单位", "层级", "系统", "风险分", "主要依据", "建议承接"], rows, freeze=True)
    ranking.finish()
    involving = _detections_by_org(results)
    used = {"对象排序"}
    for rank, d in enumerate(targets, start=1):
        org = d.subject
        ws = wb.create_sheet(_sheet_name(f"{rank:02d}{view.name_of('Organisation', org)}", used))
        _target_sheet(_Sheet(ws), view, org, d, involving.get(org, []))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _detections_by_org(results: Mapping[str, DetectorResult]) -> dict[str, list[tuple[str, Any]]]:
    out: dict[str, list[tuple[str, Any]]] = {}
    for name, result in results.items():
        if name in ("targets", "profiles"):
            continue
        for d in result:
            for org in d.where.get("organisations", ()):
                out.setdefault(org, []).append((name, d))
    return out


def _target_sheet(sheet: _Sheet, view: GraphView, org: str, target: Any, linked: list[tuple[str, Any]]) -> None:
    info = view.organisations.loc[org] if org in view.organisations.index else pd.Series(dtype=object)
    sheet.title(view.name_of("Organisation", org))
    sheet.table(
        "一、基本情况（政策清单、职能清单）",
        ["单位", "层级", "系统", "行政区划代码", "类型", "风险分", "建议承接"],
        [
            [
                view.name_of("Organisation", org),
                _TIER.get(info.get("tier"), info.get("tier")),
                view.system_name(info.get("system")),
                info.get("region_code"),
                info.get("kind"),
                round(target.score, 4),
                target.details.get("relay_to"),
            ]
        ],
        freeze=True,
    )
    findings = view.findings[view.findings["organisation"] == org].sort_values("found_date")
    rect = view.rectifications.set_index("finding") if len(view.rectifications) else pd.DataFrame()
    sheet.table(
        "二、信息清单：历次发现问题及整改",
        ["问题编号", "发现时间", "问题类别", "严重程度", "问题描述", "整改状态", "完成时间", "是否验收"],
        [
            [
                _number(f.number, f.finding),
                f.found_date,
                view.category_name(f.category),
                _SEVERITY.get(f.severity, f.severity),
                f.description,
                _STATUS.get(rect.at[f.finding, "status"], rect.at[f.finding, "status"])
                if f.finding in rect.index
                else None,
                rect.at[f.finding, "reported_date"] if f.finding in rect.index else None,
                ("是" if rect.at[f.finding, "verified"] else "否") if f.finding in rect.index else None,
            ]
            for f in findings.itertuples(index=False)
        ],
    )
    leads = view.leads[view.leads["organisation"] == org].sort_values("received_date")
    # Lead summaries and petitioners are secret and never leave the graph through a dossier.
    sheet.table(
        "二、信息清单：问题线索（内容保密，仅列登记信息）",
        ["线索编号", "受理日期", "来源", "问题类别", "处置方式"],
        [
            [
                _number(lead.number, lead.lead),
                lead.received_date,
                lead.source,
                view.category_name(lead.category),
                lead.status,
            ]
            for lead in leads.itertuples(index=False)
        ],
    )
    links = [(n, d) for n, d in linked if n in ("bid-rings", "conflict-of-interest")]
    sheet.table(
        "二、信息清单：围标串标与利益冲突关联",
        ["类型", "说明", "分值"],
        [[n, d.summary, d.score] for n, d in links],
    )
    problems = [(n, d) for n, d in linked if n not in ("bid-rings", "conflict-of-interest")]
    sheet.table(
        "三、问题清单（疑似问题及证据）",
        ["来源", "疑似问题", "证据", "日期"],
        [[n, d.summary, e.text, e.date] for n, d in problems for e in d.evidence]
        + [["targets", "风险依据", e.text, e.date] for e in target.evidence],
    )
    posts = view.posts[view.posts["organisation"] == org]
    current = posts[posts["end_date"].isna()]
    rect_people = _responsible(view, findings)
    sheet.table(
        "四、责任清单（在任干部及整改责任人）",
        ["姓名", "职务", "任职时间", "责任"],
        [[view.name_of("Person", p.person), p.post, p.start_date, "在任"] for p in current.itertuples(index=False)]
        + [[view.name_of("Person", person), None, None, f"整改责任人：{n} 项"] for person, n in rect_people.items()],
    )
    sheet.finish()


def _responsible(view: GraphView, findings: pd.DataFrame) -> dict[str, int]:
    rel = view.rel("RESPONSIBLE_FOR", "Person", "Rectification")
    if rel.empty or findings.empty:
        return {}
    rect = view.rectifications[view.rectifications["finding"].isin(findings["finding"])]
    mine = rel[rel["end"].isin(rect["rectification"])]
    return mine.groupby("start").size().sort_values(ascending=False).to_dict()


def _number(number: Any, key: str) -> str:
    # The number as the office wrote it; a record loaded without one shows its key (keys are never parsed).
    return number if isinstance(number, str) and number else key

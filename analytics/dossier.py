"""Target dossiers for inspection teams: the ranked targets and each target's "3+2 lists" (Excel, print-ready).

The Tonghua practice (seed 004) gives a tour five working lists: three supplied by the supervising departments
before it sets out — **政策清单** (the rules that bear on the unit), **职能清单** (what the unit does and
controls) and **信息清单** (what discipline, petition, audit, organisation and big-data departments hold about
it) — and two the team draws up — **问题清单** (the unit's suspected problems, with evidence) and
**责任清单** (who answers for them). The workbook holds:

* a summary sheet ranking the targets, with what each sheet holds;
* one sheet per target with the five lists, each in its own titled section, and a column of what the team
  should verify (核查事项) beside each suspected problem;
* one sheet listing every suspected bid ring and conflict of interest, with the targets each touches.

A ring or conflict touches a target when one of its buyer organisations is the target or a unit directly
under it (``PART_OF``). Policies come from ``analytics/data/policies.yaml`` (an office's own file extends it).
Nothing dated after the as-of day is written: records after it are left out, a post that ended after it is
shown as held. Every sheet prints landscape, fitted to the page width, with its title rows repeated, the scope
and classification marking in the header and page numbers in the footer.

Lead summaries, petitioners and resident-ID hashes are never written; how relatives are related appears only
if the detectors were run to reveal it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .base import DetectorError, DetectorResult
from .conflict import is_leading_post
from .graphview import GraphView
from .registry import reader_line
from .terms import date_text, enum_label, lang, number, office_name, place_name, say, term, tier_name

__all__ = ["DOSSIER_DETECTORS", "Policy", "load_policies", "write_target_dossier"]

#: The detectors whose results a dossier reads (``targets`` ranks; the others add their evidence).
DOSSIER_DETECTORS = (
    "targets",
    "recurrence",
    "systemic-problems",
    "bid-rings",
    "red-flags",
    "conflict-of-interest",
    "duplicate-leads",
    "overdue-transfers",
)

SHIPPED_POLICIES = Path(__file__).parent / "data" / "policies.yaml"

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="FCE4D6")
_TITLE_FONT = Font(bold=True, size=14)
_SECTION_FONT = Font(bold=True, size=12)
_BOLD = Font(bold=True)
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(vertical="top", wrap_text=True)
#: Width budget of a printed row, in Excel column units; wider sheets have their widest columns narrowed.
_PAGE_WIDTH = 190
_MAX_COLUMN = 46
#: Rows per list on a target's sheet, so that a sheet prints on a few pages; the rest are counted, not shown.
_MAX_ROWS = {"policies": 10, "tenders": 5, "problems": 14, "duty": 14, "findings": 14, "cases": 8, "bigdata": 8}


def _w(key: str, **fields: Any) -> str:
    return say(f"dossier.{key}", **fields) if fields else term(f"dossier.{key}")


# -- policies ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """One regulation of the 政策清单 and the units it bears on.

    Parameters
    ----------
    title : str
        As published, with its book-title marks: ``《中国共产党纪律处分条例》``.
    issuer : str
        The issuing body.
    year : int, optional
        Year of the text in force.
    points : str
        What a team checks against it.
    categories : tuple of str
        Problem-category codes it bears on (a heading covers its leaves).
    systems : tuple of str
        Sector-system codes it bears on. With neither, it bears on every unit.
    """

    title: str
    issuer: str = ""
    year: int | None = None
    points: str = ""
    categories: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()

    @property
    def general(self) -> bool:
        """Whether it bears on every unit."""
        return not self.categories and not self.systems

    def covers(self, category: str) -> bool:
        """Whether it bears on a problem category (``C`` covers ``C03``)."""
        return any(category == c or category.startswith(c) for c in self.categories)


def load_policies(extra: str | Path | Sequence[str | Path] | None = None) -> list[Policy]:
    """The shipped policies, extended by an office's own files (an entry with a shipped title replaces it).

    Parameters
    ----------
    extra : path or list of paths, optional
        YAML files shaped like ``analytics/data/policies.yaml``: ``policies:``, a list of entries with
        ``title``, ``issuer``, ``year``, ``points`` and optional ``categories`` and ``systems``.

    Returns
    -------
    list of Policy
    """
    paths = [SHIPPED_POLICIES]
    if isinstance(extra, str | Path):
        paths.append(Path(extra))
    elif extra is not None:
        paths += [Path(p) for p in extra]
    found: dict[str, Policy] = {}
    for path in paths:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries = loaded.get("policies", [])
            for entry in entries:
                policy = Policy(
                    title=str(entry["title"]),
                    issuer=str(entry.get("issuer") or ""),
                    year=int(entry["year"]) if entry.get("year") else None,
                    points=str(entry.get("points") or ""),
                    categories=tuple(str(c) for c in entry.get("categories") or ()),
                    systems=tuple(str(s) for s in entry.get("systems") or ()),
                )
                found[policy.title] = policy
        except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError) as exc:
            raise DetectorError(
                f"{path}: cannot read the policies ({exc!r}); it holds 'policies:', a list of entries with "
                "title, issuer, year, points and optional categories and systems"
            ) from exc
    return list(found.values())


# -- cells and sheets -------------------------------------------------------------------------------------------
def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _date(value: Any) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
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
    if _missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _text_width(value: Any) -> int:
    text = "" if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
    # CJK characters are about two columns wide.
    return max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in text.split("\n")), default=0)


def _lines(value: Any) -> list[str]:
    text = "" if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
    return text.split("\n")


class _Sheet:
    """Writes a titled sheet of sections and tables one under another, sized and set up for printing."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.row = 1
        self.widths: dict[int, int] = {}
        self.texts: dict[int, list[tuple[int, Any]]] = defaultdict(list)  # row -> (column, value) of table cells

    def title(self, text: str, subtitle: str = "") -> None:
        self.ws.cell(self.row, 1, text).font = _TITLE_FONT
        self.row += 1
        self.ws.cell(self.row, 1, subtitle)
        self.row += 1

    def section(self, text: str) -> None:
        self.row += 1
        c = self.ws.cell(self.row, 1, text)
        c.font, c.fill = _SECTION_FONT, _SECTION_FILL
        self.row += 1

    def caption(self, text: str) -> None:
        self.ws.cell(self.row, 1, text).font = _BOLD
        self.row += 1

    def line(self, text: str) -> None:
        self.ws.cell(self.row, 1, text)
        self.row += 1

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, more: int = 0) -> None:
        for col, header in enumerate(headers, start=1):
            c = self.ws.cell(self.row, col, header)
            c.font, c.fill, c.border, c.alignment = _BOLD, _HEADER_FILL, _BOX, _WRAP
            self._width(col, header)
            self.texts[self.row].append((col, header))
        self.row += 1
        if not rows:
            self.ws.cell(self.row, 1, _w("none"))
            self.row += 1
        for values in rows:
            for col, value in enumerate(values, start=1):
                c = self.ws.cell(self.row, col, _cell(value))
                c.border, c.alignment = _BOX, _WRAP
                if isinstance(c.value, dt.date):
                    c.number_format = "yyyy-mm-dd"
                self._width(col, c.value)
                self.texts[self.row].append((col, c.value))
            self.row += 1
        if more > 0:
            self.line(_w("more", n=more))

    def _width(self, col: int, value: Any) -> None:
        self.widths[col] = min(max(self.widths.get(col, 8), _text_width(value) + 2), _MAX_COLUMN)

    def finish(self, *, header: tuple[str, str, str], title_rows: str = "1:2") -> None:
        widths = dict(self.widths)
        # Titles and section headings run over the columns to their right; they do not widen column A.
        total = sum(widths.values())
        if total > _PAGE_WIDTH:
            # Narrow the widest columns first (their text wraps), never below 12.
            excess = total - _PAGE_WIDTH
            for col in sorted(widths, key=lambda c: -widths[c]):
                cut = min(excess, max(0, widths[col] - 12) // 2)
                widths[col] -= cut
                excess -= cut
                if excess <= 0:
                    break
        for col, width in widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = width
        # Neither Excel nor LibreOffice fits a row to wrapped text it did not lay out itself: set the heights.
        for row, cells in self.texts.items():
            lines = max(
                sum(
                    max(1, math.ceil(0.9 * _text_width(part) / max(widths.get(col, 8) - 1, 1)))
                    for part in _lines(value)
                )
                for col, value in cells
            )
            if lines > 1:
                self.ws.row_dimensions[row].height = 15 * lines + 2
        _print_setup(self.ws, header=header, title_rows=title_rows)


def _print_setup(ws: Worksheet, *, header: tuple[str, str, str], title_rows: str) -> None:
    """Landscape A4, fitted to the page width, title rows repeated, marking and page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    # The header and footer sit in their own band (0.3 in from the edge) above and below the rows, which
    # start 0.85 in down: LibreOffice otherwise prints the header over the first row.
    ws.page_margins.top = ws.page_margins.bottom = 0.85
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    left, centre, right = (text.replace("&", "&&") for text in header)
    ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text = left, centre, right
    ws.oddHeader.right.font = "SimSun,Bold"
    ws.oddFooter.center.text = _w("page")


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\']", "", text)[:28] or "对象"
    base, n = name, 2
    while name in used:
        name = f"{base[:26]}{n}"
        n += 1
    used.add(name)
    return name


def _money(value: Any) -> str:
    if _missing(value):
        return term("word.unknown")
    amount = float(value)
    if lang() == "en":
        return f"{amount:,.0f} yuan"
    if abs(amount) >= 10000:
        return f"{amount / 10000:,.2f}".rstrip("0").rstrip(".") + "万元"
    return f"{amount:,.0f}元"


def _joined(items: Iterable[str], limit: int = 6) -> str:
    items = [i for i in dict.fromkeys(items) if i]
    shown = term("word.and").join(items[:limit])
    return shown + (f"等{len(items)}个" if len(items) > limit and lang() != "en" else "")


def _period(dates: Iterable[Any]) -> str:
    days = sorted(d for d in (_date(x) for x in dates) if d is not None)
    if not days:
        return ""
    if days[0] == days[-1]:
        return date_text(days[0])
    return f"{date_text(days[0])}—{date_text(days[-1])}"


def _counts(values: Iterable[str]) -> str:
    return term("word.and").join(f"{k}{n}" for k, n in Counter(v for v in values if v).most_common())


# -- the round's context ----------------------------------------------------------------------------------------
class _Round:
    """What every target's sheet reads: the view cut at the as-of day, the detections by organisation."""

    def __init__(
        self, view: GraphView, results: Mapping[str, DetectorResult], day: pd.Timestamp, policies: list[Policy]
    ):
        self.view = view
        self.day = day
        self.policies = policies
        self.results = results
        v = view
        self.findings = v.findings[v.findings["found_date"].isna() | (v.findings["found_date"] <= day)]
        r = v.rectifications.copy()
        # As the records stood on the day: a report or verification after it had not happened yet.
        later = r["reported_date"] > day
        r.loc[later & (r["status"] == "completed"), "status"] = "in_progress"
        r.loc[later, "reported_date"] = pd.NaT
        if "verified_date" in r:
            r.loc[later | (r["verified_date"] > day), "verified"] = False
        self.rect = r.drop_duplicates("finding").set_index("finding")
        self.leads = v.leads[v.leads["received_date"].isna() | (v.leads["received_date"] <= day)]
        t = v.tenders[v.tenders["announced"].isna() | (v.tenders["announced"] <= day)].copy()
        t.loc[t["awarded"] > day, "awarded"] = pd.NaT
        self.tenders = t
        self.bids = v.bids[v.bids["tender"].isin(t["tender"])]
        p = v.posts[v.posts["start_date"].isna() | (v.posts["start_date"] <= day)].copy()
        p.loc[p["end_date"] > day, "end_date"] = pd.NaT  # held on the day
        self.posts = p
        insp = v.inspected.merge(v.tours[["tour", "start_date"]], on="tour", how="inner")
        self.inspections = insp[insp["start_date"] <= day]
        self.children: dict[str, list[str]] = defaultdict(list)
        for child, parent in v.parent.items():
            self.children[parent].append(child)
        self.rings = list(results["bid-rings"]) if "bid-rings" in results else []
        self.conflicts = list(results["conflict-of-interest"]) if "conflict-of-interest" in results else []
        self.ring_no = {d.subject: f"R{n}" for n, d in enumerate(self.rings, start=1)}
        self.conflict_no = {d.subject: f"L{n}" for n, d in enumerate(self.conflicts, start=1)}
        self.ring_members = {c for d in self.rings for c in d.where.get("companies", ())}
        self.by_org: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for name, result in results.items():
            if name in ("targets", "profiles"):
                continue
            for d in result:
                for org in dict.fromkeys(d.where.get("organisations", ())):
                    self.by_org[org].append((name, d))
        self.case_frame = self._cases()

    def units(self, org: str) -> list[str]:
        """The target and the units directly under it (PART_OF)."""
        return [org, *sorted(self.children.get(org, ()))]

    def touching(self, org: str, detector: str) -> list[tuple[str, Any]]:
        """(unit, detection) of a detector whose organisations include the target or a unit under it."""
        out, seen = [], set()
        for unit in self.units(org):
            for name, d in self.by_org.get(unit, ()):
                if name == detector and (d.subject, unit) not in seen:
                    seen.add((d.subject, unit))
                    out.append((unit, d))
        return out

    def unit_label(self, org: str, unit: str) -> str:
        return _w("this_unit") if unit == org else _w("sub_unit", name=self.view.name_of("Organisation", unit))

    def _cases(self) -> pd.DataFrame:
        columns = ["case", "organisation", "opened_date", "status", "sanction"]
        cases = self.view.backend.nodes("Case")
        if cases.empty:
            return pd.DataFrame(columns=columns)
        about = self.view.rel("CONCERNS", "Case", "Organisation")[["start", "end"]]
        cases = cases.rename(columns={"case_id": "case"}).merge(
            about.rename(columns={"start": "case", "end": "organisation"}), on="case", how="inner"
        )
        cases["opened_date"] = pd.to_datetime(cases["opened_date"], errors="coerce")
        cases = cases[cases["opened_date"].isna() | (cases["opened_date"] <= self.day)]
        return cases.reindex(columns=columns)


# -- the workbook -----------------------------------------------------------------------------------------------
def write_target_dossier(
    view: GraphView,
    results: Mapping[str, DetectorResult],
    path: str | Path,
    *,
    title: str = "巡察对象档案",
    top: int = 20,
    as_of: dt.date | str | None = None,
    scope_label: str | None = None,
    classification: str | None = None,
    policies: str | Path | Sequence[str | Path] | None = None,
) -> Path:
    """Write the ranked targets and each target's 3+2 lists to a print-ready Excel workbook.

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
        Title of the round, on the first sheet and in every page's header.
    top : int
        How many of the ranked targets get a sheet of their own.
    as_of : date or ISO text, optional
        The day the dossier speaks of, when the ``targets`` result does not say (its ``params["as_of"]``
        wins); default the latest date in the graph. Nothing dated after it is written.
    scope_label : str, optional
        The scope in the page header (default: the view's scope as a place name, or all regions).
    classification : str, optional
        The marking in every page's header (default ``内部资料 注意保密``).
    policies : path or list of paths, optional
        An office's own policies files, extending ``analytics/data/policies.yaml`` (see :func:`load_policies`).

    Returns
    -------
    Path
    """
    path = Path(path)
    ranked = results.get("targets")
    targets = ranked.detections[:top] if ranked is not None else []
    day = _as_of_day(view, ranked, as_of)
    scope = scope_label or (place_name(view.scope) if view.scope else term("word.scope_all"))
    marking = classification if classification is not None else _w("classification")
    header = (_w("scope", scope=scope), title, marking)
    ctx = _Round(view, results, day, load_policies(policies))

    wb = Workbook()
    used = {_w("sheet.summary"), _w("sheet.links")}
    names = {d.subject: _sheet_name(f"{n:02d}{view.name_of('Organisation', d.subject)}", used) for n, d in
             enumerate(targets, start=1)}  # fmt: skip
    problems = {d.subject: _problem_rows(ctx, d.subject, d) for d in targets}

    summary = _Sheet(wb.active)
    wb.active.title = _w("sheet.summary")
    _summary_sheet(summary, ctx, title, ranked, targets, names, problems)
    summary.finish(header=header, title_rows="1:4")
    for n, d in enumerate(targets, start=1):
        sheet = _Sheet(wb.create_sheet(names[d.subject]))
        _target_sheet(sheet, ctx, n, d, problems[d.subject])
        sheet.finish(header=header)
    links = _Sheet(wb.create_sheet(_w("sheet.links")))
    _links_sheet(links, ctx, names)
    links.finish(header=header)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    from graphmodel.audit import audit

    audit(
        view.backend,
        "export dossier",
        scope=view.scope,
        files=[str(path)],
        targets=min(top, len(results.get("targets") or [])),
    )
    return path


def _as_of_day(view: GraphView, ranked: DetectorResult | None, as_of: Any) -> pd.Timestamp:
    chosen = (ranked.params.get("as_of") if ranked is not None else None) or as_of or view.latest_date()
    if chosen is None:
        return pd.Timestamp(dt.date.today())
    try:
        return pd.Timestamp(chosen).normalize()
    except ValueError as exc:
        raise DetectorError(f"as_of {chosen!r} is not a date; write it as 2024-12-31") from exc


def _reasons(target: Any) -> str:
    details = target.details
    parts = []
    for name in details.get("top_features", ()):
        value = details.get(name)
        if value is None:
            continue
        shown = round(float(value), 1) if name == "years_since_inspected" else int(round(float(value)))
        parts.append(say(f"dossier.feature.{name}", n=shown))
    return term("word.and").join(parts)


def _relay(target: Any) -> str:
    relay = target.details.get("relay_to")
    return office_name(str(relay).replace(" ", "")) if relay else ""


def _summary_sheet(
    sheet: _Sheet,
    ctx: _Round,
    title: str,
    ranked: DetectorResult | None,
    targets: list[Any],
    names: dict[str, str],
    problems: dict[str, list[list[Any]]],
) -> None:
    view = ctx.view
    sheet.title(title, _w("as_of", day=date_text(ctx.day)))
    sheet.line(_w("summary.lists"))
    sheet.section(_w("summary.heading"))
    rows = []
    for n, d in enumerate(targets, start=1):
        org = d.subject
        info = view.organisations.loc[org] if org in view.organisations.index else pd.Series(dtype=object)
        rows.append(
            [
                n,
                view.name_of("Organisation", org),
                tier_name(info.get("tier")) if isinstance(info.get("tier"), str) else "",
                view.system_name(info.get("system")),
                round(float(d.score), 4),
                _reasons(d),
                len(problems[org]),
                len({x.subject for _, x in ctx.touching(org, "bid-rings")}),
                len({x.subject for _, x in ctx.touching(org, "conflict-of-interest")}),
                int((ctx.leads["organisation"] == org).sum()),
                _relay(d),
                names[org],
            ]
        )
    cols = ["rank", "unit", "tier", "system", "score", "reasons", "problems", "rings", "conflicts", "leads", "relay",
            "sheet"]  # fmt: skip
    sheet.table([_w(f"col.{c}") for c in cols], rows)
    notes = [[reader_line(r)] for r in ctx.results.values() if r.status != "ran"]
    if ranked is None:
        notes.insert(0, [_w("summary.no_targets")])
    if notes:
        sheet.section(_w("summary.notes"))
        sheet.table([_w("col.note")], notes)


# -- one target -------------------------------------------------------------------------------------------------
def _target_sheet(sheet: _Sheet, ctx: _Round, rank: int, target: Any, problems: list[list[Any]]) -> None:
    view, org = ctx.view, target.subject
    sheet.title(
        f"{rank:02d} {view.name_of('Organisation', org)}",
        "；".join(
            t
            for t in (
                _w("as_of", day=date_text(ctx.day)),
                f"{_w('col.score')} {number(round(float(target.score), 4), 4)}",
                _reasons(target),
                f"{_w('col.relay')}：{_relay(target)}" if _relay(target) else "",
            )
            if t
        ),
    )
    _policy_list(sheet, ctx, org, target)
    _function_list(sheet, ctx, org, target)
    _information_list(sheet, ctx, org)
    sheet.section(_w("section.problems"))
    cols = ["kind", "problem", "evidence", "date", "task"]
    shown = problems[: _MAX_ROWS["problems"]]
    sheet.table([_w(f"col.{c}") for c in cols], shown, more=len(problems) - len(shown))
    _duty_list(sheet, ctx, org)


def _suspected_categories(ctx: _Round, org: str) -> list[str]:
    """The unit's problem categories, the most pressing first: rings and conflicts, recurrences, findings, leads."""
    units = ctx.units(org)
    out: list[str] = []
    if ctx.touching(org, "bid-rings"):
        out.append("C03")
    if ctx.touching(org, "conflict-of-interest"):
        out.append("C07")
    out += [d.details.get("category") for _, d in ctx.touching(org, "recurrence")]
    out += [d.details.get("category") for _, d in ctx.touching(org, "systemic-problems")]
    found = ctx.findings[ctx.findings["organisation"].isin(units)]["category"].value_counts()
    out += list(found.index)
    out += list(ctx.leads[ctx.leads["organisation"].isin(units)]["category"].value_counts().index)
    return [c for c in dict.fromkeys(out) if isinstance(c, str) and c]


def _policy_list(sheet: _Sheet, ctx: _Round, org: str, target: Any) -> None:
    view = ctx.view
    system = view.organisations.at[org, "system"] if org in view.organisations.index else None
    categories = _suspected_categories(ctx, org)
    why: dict[str, list[str]] = defaultdict(list)
    order: list[Policy] = []
    for p in ctx.policies:
        if p.general:
            why[p.title].append(_w("why.general"))
            order.append(p)
    for p in ctx.policies:
        if isinstance(system, str) and system in p.systems:
            why[p.title].append(_w("why.system", system=view.system_name(system)))
            order.append(p)
    for c in categories:
        for p in ctx.policies:
            if p.covers(c):
                why[p.title].append(_w("why.category", category=view.category_name(c)))
                order.append(p)
    chosen = list({p.title: p for p in order}.values())
    rows = [
        [p.title, p.issuer + (f"（{p.year}）" if p.year else ""), term("word.and").join(dict.fromkeys(why[p.title])),
         p.points]
        for p in chosen
    ]  # fmt: skip
    shown = rows[: _MAX_ROWS["policies"]]
    sheet.section(_w("section.policy"))
    sheet.table(
        [_w("col.policy"), _w("col.issuer"), _w("col.why"), _w("col.points")], shown, more=len(rows) - len(shown)
    )


def _function_list(sheet: _Sheet, ctx: _Round, org: str, target: Any) -> None:
    view = ctx.view
    info = view.organisations.loc[org] if org in view.organisations.index else pd.Series(dtype=object)
    units = ctx.units(org)
    children = units[1:]
    parent = view.parent.get(org)
    tenders = ctx.tenders[ctx.tenders["buyer"].isin(units)]
    winners = ctx.bids[ctx.bids["won"] & ctx.bids["tender"].isin(tenders["tender"])]
    visits = ctx.inspections[ctx.inspections["organisation"] == org]
    posts = ctx.posts[(ctx.posts["organisation"] == org) & ctx.posts["end_date"].isna()]
    findings = ctx.findings[ctx.findings["organisation"] == org]
    kind = info.get("kind")
    facts = [
        (_w("field.name"), view.name_of("Organisation", org)),
        (_w("field.tier"), tier_name(info.get("tier")) if isinstance(info.get("tier"), str) else ""),
        (_w("field.system"), view.system_name(info.get("system"))),
        (_w("field.place"), place_name(info.get("region_code")) if isinstance(info.get("region_code"), str) else ""),
        (_w("field.parent"), view.name_of("Organisation", parent) if parent else ""),
        (_w("field.kind"), enum_label("Organisation", "kind", kind) if isinstance(kind, str) else ""),
        (
            _w("field.units"),
            _w("fact.units", n=len(children), names=_joined(view.name_of("Organisation", c) for c in children))
            if children
            else _w("none"),
        ),
        (_w("field.relay"), _relay(target)),
        (
            _w("field.tenders"),
            _w(
                "fact.tenders",
                n=len(tenders),
                budget=_money(tenders["budget"].astype(float).sum()),
                first=date_text(tenders["announced"].min()),
                last=date_text(tenders["announced"].max()),
            )
            if len(tenders)
            else _w("fact.no_tenders"),
        ),
        (
            _w("field.methods"),
            _counts(enum_label("Tender", "method", m) for m in tenders["method"] if isinstance(m, str)),
        ),
        (
            _w("field.winners"),
            _w(
                "fact.winners",
                n=winners["company"].nunique(),
                ring=len(set(winners["company"]) & ctx.ring_members),
            )
            if len(winners)
            else "",
        ),
        (
            _w("field.tours"),
            _w("fact.tours", n=visits["tour"].nunique(), last=date_text(visits["start_date"].max()))
            if len(visits)
            else _w("none"),
        ),
        (_w("field.cadres"), _w("fact.cadres", n=posts["person"].nunique())),
        (
            _w("field.findings"),
            _w(
                "fact.findings",
                n=len(findings),
                k=findings["category"].nunique(),
                amount=_money(pd.to_numeric(findings["amount"], errors="coerce").sum()),
            )
            if len(findings)
            else _w("none"),
        ),
    ]
    sheet.section(_w("section.function"))
    rows = []
    for i in range(0, len(facts), 2):
        second = facts[i + 1] if i + 1 < len(facts) else ("", "")
        rows.append([*facts[i], *second])
    sheet.table([_w("col.item"), _w("col.content"), _w("col.item"), _w("col.content")], rows)
    if len(tenders):
        top = tenders.sort_values("budget", ascending=False).head(_MAX_ROWS["tenders"])
        won = winners.groupby("tender")["company"].agg(list)
        sheet.caption(_w("section.tenders"))
        sheet.table(
            [_w("col.title"), _w("col.budget"), _w("col.announced"), _w("col.method"), _w("col.winner")],
            [
                [
                    t.title or "",
                    _money(t.budget),
                    t.announced,
                    enum_label("Tender", "method", t.method) if isinstance(t.method, str) else "",
                    _joined(view.name_of("Company", c) for c in won.get(t.tender, [])),
                ]
                for t in top.itertuples(index=False)
            ],
            more=len(tenders) - len(top),
        )


def _information_list(sheet: _Sheet, ctx: _Round, org: str) -> None:
    view = ctx.view
    sheet.section(_w("section.info"))
    leads = ctx.leads[ctx.leads["organisation"] == org]
    rows = []
    for source, group in leads.groupby("source", sort=False):
        rows.append(
            [
                enum_label("Lead", "source", source),
                term(f"dossier.department.{source}", default=""),
                len(group),
                _joined((view.category_name(c) for c in group["category"].value_counts().index), 4),
                _counts(enum_label("Lead", "status", s) for s in group["status"]),
                group["received_date"].max(),
            ]
        )
    rows.sort(key=lambda r: -r[2])
    sheet.caption(_w("section.leads"))
    cols = ["source", "department", "count", "categories", "disposition", "latest"]
    sheet.table([_w(f"col.{c}") for c in cols], rows)
    cases = ctx.case_frame[ctx.case_frame["organisation"] == org].sort_values("opened_date")
    sheet.caption(_w("section.cases"))
    opened = int((leads["status"] == "case_opened").sum())
    if len(cases):
        shown = cases.head(_MAX_ROWS["cases"])
        sheet.table(
            [_w("col.opened"), _w("col.status"), _w("col.sanction")],
            [
                [c.opened_date, enum_label("Case", "status", c.status), enum_label("Case", "sanction", c.sanction)]
                for c in shown.itertuples(index=False)
            ],
            more=len(cases) - len(shown),
        )
    sheet.line(_w("lead.cases", n=opened) + ("" if len(cases) or len(ctx.case_frame) else f"（{_w('lead.no_cases')}）"))

    findings = ctx.findings[ctx.findings["organisation"] == org]
    rows = []
    for category, group in findings.groupby("category"):
        rect = [ctx.rect.loc[f] for f in group["finding"] if f in ctx.rect.index]
        done = sum(1 for r in rect if r["status"] == "completed")
        verified = sum(1 for r in rect if r["verified"] is True or r["verified"] == 1)
        amount = pd.to_numeric(group["amount"], errors="coerce").sum()
        rows.append(
            [
                view.category_name(category),
                len(group),
                _period(group["found_date"]),
                _counts(enum_label("Finding", "severity", s) for s in group["severity"] if isinstance(s, str)),
                _money(amount) if amount else "",
                _w("finding.rect", done=done, open=len(rect) - done) + "；" + _w("finding.verified", n=verified),
            ]
        )
    rows.sort(key=lambda r: -r[1])
    shown = rows[: _MAX_ROWS["findings"]]
    sheet.caption(_w("section.findings"))
    cols = ["category", "found", "period", "severity", "amount", "rectification"]
    sheet.table([_w(f"col.{c}") for c in cols], shown, more=len(rows) - len(shown))

    rows = []
    for unit, d in ctx.touching(org, "bid-rings"):
        mine = ctx.tenders[ctx.tenders["buyer"] == unit]
        met = sorted(set(d.where.get("tenders", ())) & set(mine["tender"]))
        rows.append(
            [
                _w("kind.ring"),
                ctx.ring_no[d.subject],
                ctx.unit_label(org, unit),
                _joined((view.name_of("Company", c) for c in d.where.get("companies", ())), 4),
                _joined((str(t) for t in mine.set_index("tender").loc[met, "title"].dropna()), 3),
                mine[mine["tender"].isin(met)]["announced"].max(),
            ]
        )
    for unit, d in ctx.touching(org, "conflict-of-interest"):
        tender = str(d.details.get("tender"))
        title = ctx.tenders.set_index("tender")["title"].get(tender)
        rows.append(
            [
                _w("kind.conflict"),
                ctx.conflict_no[d.subject],
                ctx.unit_label(org, unit),
                view.name_of("Company", d.details.get("company")),
                title if isinstance(title, str) else "",
                _date(d.details.get("announced")),
            ]
        )
    shown = rows[: _MAX_ROWS["bigdata"]]
    sheet.caption(_w("section.bigdata"))
    cols = ["kind", "number", "unit", "companies", "tenders", "date"]
    sheet.table([_w(f"col.{c}") for c in cols], shown, more=len(rows) - len(shown))

    notes = []
    overdue = {d.subject for _, d in ctx.touching(org, "overdue-transfers") if org in d.where.get("organisations", ())}
    duplicate = {d.subject for _, d in ctx.touching(org, "duplicate-leads") if org in d.where.get("organisations", ())}
    if overdue:
        notes.append(_w("paperwork.overdue", n=len(overdue)))
    if duplicate:
        notes.append(_w("paperwork.duplicate", n=len(duplicate)))
    if notes:
        sheet.caption(_w("section.paperwork"))
        for note in notes:
            sheet.line(note)


# -- 问题清单 ------------------------------------------------------------------------------------------------------
def _problem_rows(ctx: _Round, org: str, target: Any) -> list[list[Any]]:
    """The unit's suspected problems: kind, problem, evidence, date, what to verify; the strongest first."""
    view = ctx.view
    rows: list[list[Any]] = []
    covered: set[str] = set()
    for unit, d in ctx.touching(org, "bid-rings"):
        mine = ctx.tenders[ctx.tenders["buyer"] == unit]
        met = mine[mine["tender"].isin(d.where.get("tenders", ()))]
        won = ctx.bids[ctx.bids["tender"].isin(met["tender"]) & ctx.bids["won"]]
        won = won[won["company"].isin(d.where.get("companies", ()))]
        rows.append(
            [
                _w("kind.ring"),
                _w("problem.ring", ring=ctx.ring_no[d.subject], unit=ctx.unit_label(org, unit)),
                _w(
                    "problem.ring_evidence",
                    k=len(d.where.get("companies", ())),
                    unit=ctx.unit_label(org, unit),
                    m=len(met),
                    w=len(won),
                    won=_joined((view.name_of("Company", c) for c in won["company"]), 4) or _w("none"),
                ),
                met["announced"].max(),
                _w("problem.ring_task"),
            ]
        )
        covered.add("C03")
    # Red flags: a buyer where they gather (with who served there) first; else the unit's flagged tenders.
    patterns = [(u, d) for u, d in ctx.touching(org, "red-flags") if d.kind == "buyer-pattern"]
    for unit, d in patterns:
        det = d.details
        flagged = ctx.tenders[ctx.tenders["tender"].isin(d.where.get("tenders", ()))]
        rows.append(
            [
                _w("kind.red_flag"),
                _w(
                    "problem.red_pattern",
                    unit=ctx.unit_label(org, unit),
                    n=det.get("processes"),
                    k=det.get("flagged"),
                    indicator=term(f"redflags.indicator.{det.get('indicator')}"),
                    rate=f"{float(det.get('overall_rate') or 0):.0%}",
                ),
                _w(
                    "problem.red_pattern_evidence",
                    tenders=_joined((str(t) for t in flagged["title"].dropna()), 5) or _w("none"),
                    cadres=_joined((view.name_of("Person", c) for c in d.where.get("cadres", ())), 6) or _w("none"),
                ),
                flagged["announced"].max() if len(flagged) else None,
                _w("problem.red_task"),
            ]
        )
    single = defaultdict(list)
    for unit, d in ctx.touching(org, "red-flags"):
        if d.kind == "process-flag" and not any(p[0] == unit for p in patterns):
            single[unit].append(d)
    for unit, found in single.items():
        codes = sorted({str(d.details.get("indicator")) for d in found})
        rows.append(
            [
                _w("kind.red_flag"),
                _w(
                    "problem.red_flags",
                    unit=ctx.unit_label(org, unit),
                    n=len({d.details.get("ocid") for d in found}),
                    indicators="、".join(term(f"redflags.indicator.{c}") for c in codes),
                ),
                "；".join(d.summary for d in found[:4]),
                None,
                _w("problem.red_task"),
            ]
        )
    if patterns or single:
        covered.add("C03")
    tender = ctx.tenders.set_index("tender")
    paths: dict[tuple[str, Any, Any], list[Any]] = defaultdict(list)
    for unit, d in ctx.touching(org, "conflict-of-interest"):
        paths[(unit, d.details.get("cadre"), d.details.get("company"))].append(d)
    for (unit, cadre, company), found in paths.items():
        det = found[0].details
        via, relation = det.get("via"), det.get("relation")
        relative = view.name_of("Person", via)
        if relation not in (None, "self", "(secret)"):
            relative = f"{relative}，{enum_label('RELATIVE_OF', 'relation', relation)}"
        tie = _w("problem.conflict_own") if relation == "self" else _w("problem.conflict_relative", relative=relative)
        bids = []
        for d in sorted(found, key=lambda x: str(x.details.get("announced"))):
            tid = str(d.details.get("tender"))
            bid = ctx.bids[(ctx.bids["tender"] == tid) & (ctx.bids["company"] == company)]
            title = tender["title"].get(tid) if tid in tender.index else None
            bids.append(
                _w(
                    "problem.conflict_tender",
                    title=title if isinstance(title, str) and title else term("word.unknown"),
                    budget=_money(tender["budget"].get(tid)) if tid in tender.index else term("word.unknown"),
                    day=date_text(d.details.get("announced")),
                    amount=_money(bid["amount"].iloc[0]) if len(bid) else term("word.unknown"),
                    won=_w("problem.conflict_won") if d.details.get("won") else "",
                )
            )
        role = det.get("role")
        rows.append(
            [
                _w("kind.conflict"),
                _w(
                    "problem.conflict",
                    cadre=view.name_of("Person", cadre),
                    post=_post_title(ctx, cadre, unit) or term("word.unknown"),
                    tie=tie,
                    company=view.name_of("Company", company),
                    n=len(found),
                    won=_w("problem.conflict_wins", n=sum(1 for d in found if d.details.get("won"))),
                ),
                _w(
                    "problem.conflict_evidence",
                    tenders="；".join(bids),
                    person=view.name_of("Person", via),
                    role=enum_label("OFFICER_OF", "role", role) if role != "shareholder" else _w("shareholder"),
                ),
                max((_date(d.details.get("announced")) for d in found), key=lambda x: x or dt.date.min),
                _w("problem.conflict_task", cadre=view.name_of("Person", cadre)),
            ]
        )
        covered.add("C07")
    for _, d in ctx.touching(org, "recurrence"):
        det = d.details
        if det.get("organisation") not in ctx.units(org):
            continue  # the later finding was made elsewhere (the unit whose work was taken over)
        category = det.get("category")
        first_found = ctx.findings.set_index("finding")["found_date"].get(det.get("first_finding"))
        before = [o for o in d.where.get("organisations", ()) if o != det.get("organisation")]
        rows.append(
            [
                _w("kind.sham") if det.get("verified") else _w("kind.recurrence"),
                _w("problem.recurrence", category=view.category_name(category)),
                _w(
                    "problem.recurrence_evidence",
                    first=date_text(first_found) if not _missing(first_found) else term("word.unknown"),
                    reported=date_text(det.get("reported")),
                    verified=_w("problem.verified") if det.get("verified") else "",
                    found=date_text(det.get("found")),
                    days=det.get("days_after"),
                    successor=_w(
                        "problem.successor",
                        unit=_joined(view.name_of("Organisation", o) for o in before),
                    )
                    if det.get("successor")
                    else "",
                ),
                _date(det.get("found")),
                _w("problem.recurrence_task"),
            ]
        )
        covered.add(category)
    for unit, d in ctx.touching(org, "systemic-problems"):
        det = d.details
        category = det.get("category")
        mine = ctx.findings[(ctx.findings["organisation"] == unit) & (ctx.findings["category"] == category)]
        group = det.get("system")
        rows.append(
            [
                _w("kind.systemic"),
                _w(
                    "problem.systemic",
                    system=view.system_name(group) if group else place_name(det.get("region")),
                    category=view.category_name(category),
                ),
                _w(
                    "problem.systemic_evidence",
                    n=det.get("units_with") or len(d.where.get("organisations", ())),
                    expected=number(det.get("expected_units")) if det.get("expected_units") is not None else "—",
                    dates=_period(mine["found_date"]) or term("word.unknown"),
                )
                + ("" if unit == org else f"（{ctx.unit_label(org, unit)}）"),
                mine["found_date"].max(),
                _w("problem.systemic_task"),
            ]
        )
        covered.add(category)
    findings = ctx.findings[ctx.findings["organisation"] == org]
    for category, group in findings.groupby("category"):
        status = [ctx.rect.at[f, "status"] for f in group["finding"] if f in ctx.rect.index]
        open_ = [s for s in status if s != "completed"]
        if open_ and category not in covered:
            rows.append(
                [
                    _w("kind.open"),
                    _w("problem.open", category=view.category_name(category)),
                    _w(
                        "problem.open_evidence",
                        n=len(open_),
                        dates=_period(group["found_date"]),
                        day=date_text(ctx.day),
                        status=_counts(enum_label("Rectification", "status", s) for s in open_ if isinstance(s, str)),
                    ),
                    group["found_date"].max(),
                    _w("problem.open_task"),
                ]
            )
            covered.add(category)
    serious = findings[findings["severity"].isin(["serious", "severe"])]
    for category, group in serious.groupby("category"):
        if category in covered:
            continue
        amount = pd.to_numeric(group["amount"], errors="coerce").sum()
        rows.append(
            [
                _w("kind.serious"),
                _w(
                    "problem.serious",
                    category=view.category_name(category),
                    severity=_counts(enum_label("Finding", "severity", s) for s in group["severity"]),
                ),
                _w(
                    "problem.serious_evidence",
                    n=len(group),
                    dates=_period(group["found_date"]),
                    amount=_w("problem.amount", amount=_money(amount)) if amount else "",
                ),
                group["found_date"].max(),
                _w("problem.serious_task"),
            ]
        )
        covered.add(category)
    leads = ctx.leads[ctx.leads["organisation"] == org]
    pressing = leads[leads["status"].isin(["case_opened", "verification", "inquiry"])]
    for category in pressing["category"].dropna().unique():
        everything = leads[leads["category"] == category]
        rows.append(
            [
                _w("kind.lead"),
                _w("problem.lead", category=view.category_name(category)),
                _w(
                    "problem.lead_evidence",
                    n=len(everything),
                    sources=_counts(enum_label("Lead", "source", s) for s in everything["source"]),
                    dispositions=_counts(enum_label("Lead", "status", s) for s in everything["status"]),
                    day=date_text(everything["received_date"].max()),
                ),
                everything["received_date"].max(),
                _w("problem.lead_task"),
            ]
        )
    years = target.details.get("years_since_inspected")
    if isinstance(years, int | float) and years >= 3:
        last = ctx.inspections[ctx.inspections["organisation"] == org]["start_date"].max()
        rows.append(
            [
                _w("kind.rest"),
                _w("problem.rest"),
                _w(
                    "problem.rest_evidence",
                    years=number(round(float(years), 1)),
                    last=_w("problem.rest_last", day=date_text(last)) if not _missing(last) else "",
                ),
                last if not _missing(last) else None,
                _w("problem.rest_task"),
            ]
        )
    return rows


def _post_title(ctx: _Round, person: Any, org: str) -> str:
    mine = ctx.posts[(ctx.posts["person"] == person) & (ctx.posts["organisation"] == org)]
    posts = [p for p in mine.sort_values("start_date")["post"] if isinstance(p, str) and p]
    return posts[-1] if posts else ""


# -- 责任清单 ------------------------------------------------------------------------------------------------------
def _duty_list(sheet: _Sheet, ctx: _Round, org: str) -> None:
    view = ctx.view
    posts = ctx.posts[ctx.posts["organisation"] == org]
    duties: dict[str, list[str]] = defaultdict(list)
    talks: dict[str, list[str]] = defaultdict(list)
    weight: Counter[str] = Counter()
    for _, d in ctx.touching(org, "conflict-of-interest"):
        cadre = d.details.get("cadre")
        if cadre:
            duties[cadre].append(_w("duty.conflict", company=view.name_of("Company", d.details.get("company"))))
            talks[cadre].append(_w("duty.talk_conflict"))
            weight[cadre] += 100
    for unit, d in ctx.touching(org, "bid-rings"):
        at = d.details.get("cadres_at_buyers") or {}
        for cadre in d.where.get("cadres", ()):
            if unit != org or cadre not in set(posts["person"]):
                continue
            duties[cadre].append(_w("duty.ring", n=len(at.get(cadre, ())) or 1))
            talks[cadre].append(_w("duty.talk_ring"))
            weight[cadre] += 50
    findings = ctx.findings[ctx.findings["organisation"] == org].dropna(subset=["found_date"])
    for p in posts.itertuples(index=False):
        if _missing(p.start_date):
            continue
        end = ctx.day if _missing(p.end_date) else p.end_date
        n = int(((findings["found_date"] >= p.start_date) & (findings["found_date"] <= end)).sum())
        if n:
            duties[p.person].append(_w("duty.found", n=n))
            talks[p.person].append(_w("duty.talk_found"))
            weight[p.person] += n
    rel = view.rel("RESPONSIBLE_FOR", "Person", "Rectification")
    if len(rel):
        rect = ctx.rect.reset_index()
        mine = rect[rect["finding"].isin(findings["finding"])]["rectification"]
        for person, n in rel[rel["end"].isin(mine)].groupby("start").size().items():
            duties[person].append(_w("duty.rect", n=int(n)))
            weight[person] += int(n)
    current = set(posts.loc[posts["end_date"].isna(), "person"])
    for person in current:
        titles = posts.loc[(posts["person"] == person) & posts["end_date"].isna(), "post"]
        if any(is_leading_post(t) for t in titles):
            duties[person].insert(0, _w("duty.head"))
            talks[person].insert(0, _w("duty.talk_head"))
            weight[person] += 20
        else:
            weight[person] += 1
    people = [p for p in dict.fromkeys([*duties, *current]) if p in current or duties.get(p)]
    people.sort(key=lambda p: (-weight[p], view.name_of("Person", p)))
    rows: list[list[Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for person in people:
        held = posts[posts["person"] == person].sort_values("start_date")
        titled = held["post"].map(lambda t: isinstance(t, str) and bool(t))
        if titled.any():
            held = held[titled]
        spans = []
        for p in held.drop_duplicates(["post", "start_date"]).itertuples(index=False):
            start = date_text(p.start_date) or term("word.unknown")
            end = _w("current") if _missing(p.end_date) else date_text(p.end_date)
            spans.append(f"{p.post or term('word.unknown')}（{start}—{end}）")
        name = view.name_of("Person", person)
        status = _w("duty.current") if person in current else _w("duty.former")
        duty = term("word.and").join(dict.fromkeys([status, *duties.get(person, [])]))
        key = (name, "；".join(spans))
        if key in seen:  # one cadre written twice (two records the resolver kept apart): one row
            row = rows[seen[key]]
            row[2] = term("word.and").join(dict.fromkeys([*row[2].split(term("word.and")), *duties.get(person, [])]))
            continue
        seen[key] = len(rows)
        rows.append(
            [name, "\n".join(spans) or term("word.unknown"), duty, "；".join(dict.fromkeys(talks.get(person, [])))]
        )
    shown = rows[: _MAX_ROWS["duty"]]
    sheet.section(_w("section.duty"))
    sheet.table([_w("col.name"), _w("col.posts"), _w("col.duty"), _w("col.talk")], shown, more=len(rows) - len(shown))


# -- every ring and conflict ------------------------------------------------------------------------------------
def _links_sheet(sheet: _Sheet, ctx: _Round, names: dict[str, str]) -> None:
    view = ctx.view
    sheet.title(_w("sheet.links"), _w("as_of", day=date_text(ctx.day)))
    rows: list[list[Any]]
    touched: dict[str, list[str]] = defaultdict(list)
    for org, sheet_name in names.items():
        for detector in ("bid-rings", "conflict-of-interest"):
            for _, d in ctx.touching(org, detector):
                touched[d.subject].append(sheet_name)
    rows = []
    for d in ctx.rings:
        tenders = ctx.tenders[ctx.tenders["tender"].isin(d.where.get("tenders", ()))]
        members = d.where.get("companies", ())
        won = ctx.bids[ctx.bids["tender"].isin(tenders["tender"]) & ctx.bids["won"] & ctx.bids["company"].isin(members)]
        rows.append(
            [
                ctx.ring_no[d.subject],
                _joined((view.name_of("Company", c) for c in members), 8),
                _w("ring_row", k=len(members), m=len(tenders), w=won["company"].nunique()),
                _joined((view.name_of("Organisation", o) for o in d.where.get("organisations", ())), 6),
                _period(tenders["announced"]),
                term("word.and").join(dict.fromkeys(touched.get(d.subject, []))),
                _w("ring_task"),
            ]
        )
    sheet.section(_w("section.rings"))
    cols = ["number", "companies", "evidence", "buyers", "date", "targets", "task"]
    sheet.table([_w(f"col.{c}") for c in cols], rows)
    rows = []
    tender = ctx.tenders.set_index("tender")
    for d in ctx.conflicts:
        det = d.details
        buyer = det.get("buyer")
        tid = str(det.get("tender"))
        post = _post_title(ctx, det.get("cadre"), buyer)
        rows.append(
            [
                ctx.conflict_no[d.subject],
                f"{view.name_of('Person', det.get('cadre'))}（{post or term('word.unknown')}）",
                view.name_of("Organisation", buyer),
                _w("conflict_tie.self") if det.get("relation") == "self" else _w("conflict_tie.relative"),
                view.name_of("Company", det.get("company")),
                (tender["title"].get(tid) if tid in tender.index else None) or term("word.unknown"),
                _date(det.get("announced")),
                _w("won") if det.get("won") else _w("bid"),
                term("word.and").join(dict.fromkeys(touched.get(d.subject, []))),
                _w("conflict_task"),
            ]
        )
    sheet.section(_w("section.conflicts"))
    cols = ["number", "cadre", "unit", "tie", "company", "tender", "date", "result", "targets", "task"]
    sheet.table([_w(f"col.{c}") for c in cols], rows)

"""One self-contained HTML briefing of what the detectors found (plotly inlined: it opens without a network).

The briefing is written for an inspection team, in the reader's language (Chinese by default; every word
comes from the catalogue, :mod:`analytics.terms`, so ``LIANDONG_LANG=en`` gives English):

* what was analysed: scope, as-of date, the graph's counts of units, cadres, findings, leads, tenders …,
  the source files it was loaded from, and the checks that could not run (each with the reason);
* an overview: how many findings each check made (a log axis, so 1 and 500 both read), apart from the
  rankings (targets, profiles), which are not findings;
* one section per check: its method in two or three sentences, then its findings with their score and key
  evidence (dated), the strongest first; the systemic check adds category heatmaps by system and tier
  (marked only at the tiers where a problem was found), the bid-ring check a labelled network;
* the flow of leads from their source through transfer to their disposition, and the state of
  rectification by tier (overdue and unverified fixes too).

Charts use automargins, all their category labels (never every other one) and a layout that reads at 1024 px.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .base import Detection, DetectorResult
from .graphview import GraphView
from .registry import detector_names, reader_line
from .terms import date_text, enum_label, lang, number, office_name, place_name, say, term, tier_name

__all__ = ["report_figures", "write_html_report"]

TIERS = ("central", "province", "city", "county", "township", "village")
RANKINGS = ("targets", "profiles")  # rankings, not findings: listed apart from the findings' counts
ROWS = 15  # detections listed per check
EVIDENCE_LINES = 4  # evidence lines per detection
RINGS_DRAWN = 3
TENDERS_DRAWN = 10
FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
COLOURS = {
    "company": "#f56565",
    "winner": "#9b2c2c",
    "tender": "#dd6b20",
    "buyer": "#2b6cb0",
    "cadre": "#2f855a",
    "verified": "#2f855a",
    "unverified": "#9ae6b4",
    "in_progress": "#63b3ed",
    "overdue": "#c53030",
}


# -- small helpers ---------------------------------------------------------------------------------
def _layout(fig: go.Figure, title: str, height: int, **more: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        height=height,
        autosize=True,
        font={"family": FONT, "size": 13},
        **{"margin": {"l": 10, "r": 10, "t": 60, "b": 10}, **more},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _every_label(axis_values: Sequence[str]) -> dict[str, Any]:
    """Axis settings that draw every category's label (plotly skips some on a short axis otherwise)."""
    values = list(axis_values)
    return {"tickmode": "array", "tickvals": values, "ticktext": values, "automargin": True}


def _short(text: str, width: int = 14) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_tender(label: str) -> str:
    """A tender's drawn label: its title cut short, its month kept (``宁波市农村人居环境整…（2022年9月）``)."""
    title, sep, when = label.rpartition("（" if "（" in label else " (")
    return _short(title, 11) + sep + when if sep else _short(label, 18)


def _kind(kind: str) -> str:
    return term(f"kind.{kind}", default=term(f"report.kind.{kind}", default=kind))


def _detector_title(name: str) -> str:
    return term(f"detector.{name}", default=name)


def _as_of(view: GraphView, results: Mapping[str, DetectorResult]) -> Any:
    for result in results.values():
        if result.params.get("as_of"):
            return result.params["as_of"]
    return view.latest_date()


def _tier_of(view: GraphView) -> dict[str, str]:
    tiers = view.organisations["tier"]
    return {o: t for o, t in tiers.items() if isinstance(t, str)}


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=False)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, css: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell if isinstance(cell, _Html) else _esc(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    table = f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f"<div class='table-wrap'>{table}</div>"


class _Html(str):
    """Cell text already escaped (lines joined with <br>)."""


def _num(value: Any) -> _Html:
    return _Html(f"<span class='num'>{_esc(number(value))}</span>")


def _lines(lines: Iterable[str]) -> _Html:
    return _Html("<br>".join(_esc(line) for line in lines))


# -- figures ---------------------------------------------------------------------------------------
def _overview(results: Mapping[str, DetectorResult]) -> go.Figure | None:
    found = [(n, len(r)) for n, r in results.items() if r.status == "ran" and n not in RANKINGS and len(r)]
    if not found:
        return None
    found = found[::-1]  # the first check at the top
    labels = [_detector_title(n) for n, _ in found]
    fig = go.Figure(
        go.Bar(
            x=[c for _, c in found],
            y=labels,
            orientation="h",
            text=[number(c) for _, c in found],
            textposition="outside",
            cliponaxis=False,
            marker_color="#2b6cb0",
            hovertemplate="%{y}：%{x}<extra></extra>",
        )
    )
    top = max(c for _, c in found)
    _layout(fig, term("report.overview.title"), 120 + 34 * len(found), showlegend=False)
    fig.update_xaxes(type="log", title_text=term("report.overview.axis"), range=[-0.1, 0.35 + len(str(top))])
    fig.update_yaxes(**_every_label(labels))
    return fig


def _systemic_marks(systemic: DetectorResult | None) -> dict[str, set[tuple[str, str]]]:
    """Tier -> (system, category) pairs to mark: only the tiers where the detection says it was found."""
    marks: dict[str, set[tuple[str, str]]] = {}
    for d in systemic or []:
        system, category = d.details.get("system"), d.details.get("category")
        if not isinstance(system, str) or not isinstance(category, str):
            continue  # grouped by region: not a cell of these heatmaps
        tiers = list(d.details.get("tiers") or [])
        per_tier = d.details.get("per_tier") or {}
        if not tiers and per_tier:  # shown at no tier on its own: the summary names the tier with the top share
            tiers = [max(per_tier, key=lambda t: (per_tier[t] or {}).get("share") or 0)]
        for tier in tiers:
            marks.setdefault(str(tier), set()).add((system, category))
    return marks


def _heatmap(view: GraphView, systemic: DetectorResult | None) -> go.Figure | None:
    f = view.findings.merge(view.organisations[["tier", "system"]], left_on="organisation", right_index=True)
    f = f.dropna(subset=["tier", "system", "category"])
    if f.empty:
        return None
    tiers = [t for t in TIERS if t in set(f["tier"])] + sorted(set(f["tier"]) - set(TIERS))
    categories = sorted(set(f["category"]))
    systems = sorted(set(f["system"]))
    x = [view.category_name(c) for c in categories]
    y = [view.system_name(s) for s in systems]
    marks = _systemic_marks(systemic)
    fig = make_subplots(
        rows=len(tiers),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[tier_name(t) for t in tiers],
        vertical_spacing=min(0.06, 0.3 / len(tiers)),
    )
    legend_shown = False
    for i, tier in enumerate(tiers, start=1):
        at = f[f["tier"] == tier]
        table = at.pivot_table(index="system", columns="category", values="finding", aggfunc="count", fill_value=0)
        table = table.reindex(index=systems, columns=categories, fill_value=0)
        totals = table.sum(axis=1)
        share = table.div(totals.where(totals > 0, 1), axis=0)
        fig.add_trace(
            go.Heatmap(
                z=share.values,
                x=x,
                y=y,
                coloraxis="coloraxis",
                hovertemplate=term("report.heatmap.hover") + "<extra></extra>",
            ),
            row=i,
            col=1,
        )
        here = sorted(marks.get(tier, set()))
        if here:
            fig.add_trace(
                go.Scatter(
                    x=[view.category_name(c) for _, c in here],
                    y=[view.system_name(s) for s, _ in here],
                    mode="markers",
                    marker={"symbol": "x-thin", "size": 14, "line": {"width": 3, "color": "crimson"}},
                    name=term("report.heatmap.marker"),
                    legendgroup="systemic",
                    showlegend=not legend_shown,
                    hovertemplate="%{y}，%{x}<extra></extra>",
                ),
                row=i,
                col=1,
            )
            legend_shown = True
        fig.update_yaxes(row=i, col=1, **_every_label(y), autorange="reversed")
        fig.update_xaxes(row=i, col=1, **_every_label(x), tickangle=-45)
    height = 140 + len(tiers) * (24 * len(systems) + 50) + 140
    _layout(
        fig,
        term("report.heatmap.title"),
        height,
        coloraxis={
            "colorscale": "Blues",
            "colorbar": {"title": {"text": term("report.heatmap.share")}, "tickformat": ".0%"},
        },
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
    )
    return fig


def _ring_graph(view: GraphView, ring: Detection) -> dict[str, Any]:
    """One ring's nodes by role (in drawing order) and its edges, from the detection and the graph."""
    tenders = view.tenders.set_index("tender") if len(view.tenders) else pd.DataFrame(columns=["buyer", "title"])
    companies = list(ring.where.get("companies", ()))
    # The strongest meetings first, as the detection's evidence lists them; then the rest.
    order = [e.ref for e in ring.evidence if e.label == "Tender"]
    meetings = list(
        dict.fromkeys([t for t in order if t in ring.where.get("tenders", ())] + list(ring.where.get("tenders", ())))
    )
    drawn = meetings[:TENDERS_DRAWN]
    bids = view.bids[view.bids["tender"].isin(drawn) & view.bids["company"].isin(companies)]
    winners = set(bids.loc[bids["won"], "company"])
    buyer_of = {
        t: tenders.at[t, "buyer"] for t in drawn if t in tenders.index and isinstance(tenders.at[t, "buyer"], str)
    }
    buyers = sorted(set(buyer_of.values()))
    cadre_tenders = ring.details.get("cadres_at_buyers") or {}
    cadres = sorted(ring.where.get("cadres", ()))
    edges = [(c, t) for c, t in zip(bids["company"], bids["tender"], strict=True)]
    edges += [(t, b) for t, b in buyer_of.items()]
    for person in cadres:
        for t in cadre_tenders.get(person, ()):
            if t in buyer_of:
                edges.append((buyer_of[t], person))
    return {
        "company": [c for c in companies if c not in winners],
        "winner": [c for c in companies if c in winners],
        "tender": drawn,
        "buyer": buyers,
        "cadre": [p for p in cadres if any(t in buyer_of for t in cadre_tenders.get(p, ()))],
        "edges": sorted(set(edges)),
        "more_tenders": len(meetings) - len(drawn),
        "meetings": len(meetings),
        "firms": len(companies),
    }


def _ring_label(view: GraphView, role: str, gid: str) -> str:
    if role in ("company", "winner"):
        return view.name_of("Company", gid)
    if role == "buyer":
        return view.name_of("Organisation", gid)
    if role == "cadre":
        return view.name_of("Person", gid)
    row = view.tenders[view.tenders["tender"] == gid]
    if row.empty:
        return gid
    title = row["title"].iloc[0] if isinstance(row["title"].iloc[0], str) else term("word.unknown")
    when = row["announced"].iloc[0]
    if pd.isna(when):
        return title
    return say(
        "report.ring.tender_label", title=title, date=say("report.ring.month", y=str(when.year), m=str(when.month))
    )


def _rings(view: GraphView, rings: DetectorResult | None) -> go.Figure | None:
    """The strongest rings, each in its own panel: member firms (left), the tenders they met on, and the
    buyers with the cadres serving there (right); every node labelled by name, coloured by role."""
    drawn = [d for d in (rings or [])][:RINGS_DRAWN]
    if not drawn:
        return None
    graphs = [_ring_graph(view, d) for d in drawn]
    titles = [
        say("report.ring.subtitle", n=i, firms=g["firms"], meetings=g["meetings"]) for i, g in enumerate(graphs, 1)
    ]
    heights = [
        max(len(g["company"]) + len(g["winner"]), len(g["tender"]), len(g["buyer"]) + len(g["cadre"]), 3)
        for g in graphs
    ]
    fig = make_subplots(
        rows=len(drawn), cols=1, subplot_titles=titles, row_heights=heights, vertical_spacing=0.08 / len(drawn)
    )
    column = {"company": 0.0, "winner": 0.0, "tender": 1.0, "buyer": 2.6, "cadre": 2.6}
    text_side = {
        "company": "middle left",
        "winner": "middle left",
        "tender": "middle right",
        "buyer": "middle right",
        "cadre": "middle right",
    }
    shown: set[str] = set()
    for i, g in enumerate(graphs, start=1):
        pos: dict[str, tuple[float, float]] = {}
        for roles in (("company", "winner"), ("tender",), ("buyer", "cadre")):
            ids = [(r, gid) for r in roles for gid in g[r]]
            for k, (role, gid) in enumerate(ids):
                pos[gid] = (column[role], -(k - (len(ids) - 1) / 2))
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b in g["edges"]:
            if a in pos and b in pos:
                xs += [pos[a][0], pos[b][0], None]
                ys += [pos[a][1], pos[b][1], None]
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="lines", line={"width": 0.8, "color": "#b8c2cc"}, hoverinfo="skip", showlegend=False
            ),
            row=i,
            col=1,
        )
        for role in ("company", "winner", "tender", "buyer", "cadre"):
            if not g[role]:
                continue
            labels = [_ring_label(view, role, gid) for gid in g[role]]
            fig.add_trace(
                go.Scatter(
                    x=[pos[gid][0] for gid in g[role]],
                    y=[pos[gid][1] for gid in g[role]],
                    mode="markers+text",
                    text=[_short_tender(label) if role == "tender" else _short(label, 14) for label in labels],
                    hovertext=labels,
                    hoverinfo="text",
                    textposition=text_side[role],
                    textfont={"size": 12},
                    marker={
                        "size": 11 if role != "tender" else 9,
                        "color": COLOURS[role],
                        "symbol": "square" if role == "tender" else "circle",
                    },
                    name=term(f"report.ring.role.{role}"),
                    legendgroup=role,
                    showlegend=role not in shown,
                ),
                row=i,
                col=1,
            )
            shown.add(role)
        if g["more_tenders"]:
            fig.add_annotation(
                text=say("report.ring.more_tenders", n=g["more_tenders"]),
                x=1.0,
                y=min(p[1] for p in pos.values()) - 0.9,
                showarrow=False,
                font={"size": 11, "color": "#555"},
                row=i,
                col=1,
            )
        span = max(heights[i - 1], 1) / 2 + 0.8
        fig.update_xaxes(row=i, col=1, visible=False, range=[-1.6, 4.3], fixedrange=True)
        fig.update_yaxes(row=i, col=1, visible=False, range=[-span - 0.3, span], fixedrange=True)
    _layout(
        fig,
        term("report.ring.title"),
        140 + sum(26 * h + 70 for h in heights),
        legend={"orientation": "h", "yanchor": "top", "y": 0, "x": 0},
        margin={"l": 10, "r": 10, "t": 80, "b": 50},
        plot_bgcolor="white",
    )
    return fig


def _lead_flow(view: GraphView) -> go.Figure | None:
    leads = view.leads
    if leads.empty:
        return None
    transferred = set(view.transfers["lead"].dropna()) if len(view.transfers) else set()
    nodes: dict[tuple[int, str], int] = {}
    labels: list[str] = []
    colours: list[str] = []
    flows: dict[tuple[int, int], int] = {}

    def node(stage: int, label: str) -> int:
        if (stage, label) not in nodes:
            nodes[(stage, label)] = len(labels)
            labels.append(label)
            colours.append(("#2b6cb0", "#dd6b20", "#2f855a")[stage])
        return nodes[(stage, label)]

    unknown = term("word.unknown")
    for lead in leads.itertuples(index=False):
        a = node(0, enum_label("Lead", "source", lead.source) or unknown)
        b = node(1, term("report.leads.transferred") if lead.lead in transferred else term("report.leads.kept"))
        c = node(2, enum_label("Lead", "status", lead.status) or unknown)
        flows[(a, b)] = flows.get((a, b), 0) + 1
        flows[(b, c)] = flows.get((b, c), 0) + 1
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 14, "color": colours},
            link={"source": [s for s, _ in flows], "target": [t for _, t in flows], "value": list(flows.values())},
            textfont={"family": FONT, "size": 13},
        )
    )
    return _layout(fig, term("report.leads.title"), 460)


def _rect_states(view: GraphView, as_of: Any) -> pd.DataFrame:
    """One row per rectification: tier, state (verified / unverified / in_progress / overdue), days overdue."""
    r = view.rectifications.merge(view.findings[["finding", "organisation", "category"]], on="finding", how="left")
    day = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(dt.date.today())
    done = r["status"] == "completed"
    verified = r["verified"].astype("boolean").fillna(False).astype(bool)
    past = r["deadline"].notna() & (r["deadline"] < day)
    state = pd.Series("in_progress", index=r.index)
    state[~done & ((r["status"] == "overdue") | past)] = "overdue"
    state[done & verified] = "verified"
    state[done & ~verified] = "unverified"
    tiers = _tier_of(view)
    return r.assign(
        state=state,
        tier=r["organisation"].map(tiers),
        days_overdue=(day - r["deadline"]).dt.days.where(state == "overdue"),
    )


def _rectification(view: GraphView, states: pd.DataFrame) -> go.Figure | None:
    if states.empty:
        return None
    tiers = [t for t in TIERS if t in set(states["tier"].dropna())]
    order = tiers + (["?"] if states["tier"].isna().any() else [])
    labels = [tier_name(t) if t != "?" else term("report.rectification.unknown_tier") for t in order]
    fig = go.Figure()
    tiers = states["tier"].astype(object).fillna("?")
    for state in ("verified", "unverified", "in_progress", "overdue"):
        counts = [int(((tiers == t) & (states["state"] == state)).sum()) for t in order]
        fig.add_trace(
            go.Bar(
                y=labels[::-1],
                x=counts[::-1],
                orientation="h",
                name=term(f"report.rectification.{state}"),
                marker_color=COLOURS[state],
                hovertemplate="%{y}，" + term(f"report.rectification.{state}") + "：%{x}<extra></extra>",
            )
        )
    _layout(
        fig,
        term("report.rectification.title"),
        170 + 44 * len(order),
        barmode="stack",
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0},
    )
    fig.update_xaxes(title_text=term("report.rectification.axis"))
    fig.update_yaxes(**_every_label(labels[::-1]))
    return fig


def _figures(view: GraphView, results: Mapping[str, DetectorResult], states: pd.DataFrame) -> dict[str, go.Figure]:
    figures = {
        "overview": _overview(results),
        "systemic-problems": _heatmap(view, results.get("systemic-problems")),
        "bid-rings": _rings(view, results.get("bid-rings")),
        "leads": _lead_flow(view),
        "rectification": _rectification(view, states),
    }
    return {k: f for k, f in figures.items() if f is not None}


def _coverage_table(result: DetectorResult) -> str:
    """Per red-flag indicator: processes, those with the fields it needs, and flags raised."""
    rows = result.stats.get("coverage") or []
    if not rows:
        return ""
    head = "".join(
        f"<th>{_esc(term(f'report.coverage.{k}'))}</th>" for k in ("indicator", "processes", "usable", "flagged")
    )
    body = "".join(
        "<tr><td>"
        + _esc(say("redflags.title", name=term(f"redflags.indicator.{r['indicator']}"), code=r["indicator"]))
        + "</td>"
        + "".join(f"<td class='num'>{int(r[k]):,}</td>" for k in ("processes", "usable", "flagged"))
        + "</tr>"
        for r in rows
    )
    return f"<h3>{_esc(term('report.coverage.title'))}</h3><table><tr>{head}</tr>{body}</table>"


def _section_title(key: str) -> str:
    return _detector_title(key) if key in ("systemic-problems", "bid-rings") else term(f"report.section.{key}")


def report_figures(view: GraphView, results: Mapping[str, DetectorResult]) -> dict[str, go.Figure]:
    """The report's figures by section title (each a plotly figure, for notebooks too); a figure with
    nothing to draw (no findings, no ring, no leads) is left out."""
    states = _rect_states(view, _as_of(view, results))
    return {_section_title(k): f for k, f in _figures(view, results, states).items()}


# -- text sections ---------------------------------------------------------------------------------
def _counts(view: GraphView) -> list[tuple[str, str]]:
    rows = [
        ("organisations", len(view.organisations)),
        ("cadres", view.posts["person"].nunique()),
        ("tours", len(view.tours)),
        ("findings", len(view.findings)),
        ("rectifications", len(view.rectifications)),
        ("leads", len(view.leads)),
        ("transfers", len(view.transfers)),
        ("tenders", len(view.tenders)),
        ("bids", len(view.bids)),
        ("companies", view.bids["company"].nunique()),
    ]
    out = [(term(f"report.count.{k}"), number(int(n))) for k, n in rows if n]
    dates = view.findings["found_date"].dropna()
    if len(dates):
        span = say("report.count.period_range", start=date_text(dates.min()), end=date_text(dates.max()))
        out.append((term("report.count.period"), span))
    return out


def _names(items: Sequence[str], shown: int = 3) -> str:
    items = list(dict.fromkeys(i for i in items if i))
    if len(items) <= shown:
        return term("word.and").join(items)
    return say("report.files_more", files=term("word.and").join(items[:shown]), n=len(items))


def _sources(view: GraphView) -> str:
    sources = view.backend.nodes("Source")
    if view.scope and not sources.empty and "office" in sources:
        # Files exported by offices outside the scope are not named (their offices are outside it too).
        sources = sources[sources["office"].isna() | sources["office"].map(view.in_scope).astype(bool)]
    if sources.empty:
        return f"<p>{_esc(term('report.intro.sources_none'))}</p>"
    rows = []
    for fmt, group in sources.groupby(sources["format"].fillna("other"), sort=False):
        fmt = str(fmt)
        files = [
            Path(str(p)).stem if isinstance(p, str) and p else Path(str(s)).stem
            for p, s in zip(group.get("path", group["source_id"]), group["source_id"], strict=True)
        ]
        offices = [office_name(o) for o in group.get("office", pd.Series(dtype=object)).dropna().astype(str)]
        rows.append(
            (
                term(f"report.format.{fmt}", default=term("report.format.other")),
                _names(sorted(files)) if fmt != "taxonomy" else "",
                _names(sorted(set(offices), key=offices.index)),
                number(int(pd.to_numeric(group.get("rows_loaded"), errors="coerce").fillna(0).sum())),
                number(int(pd.to_numeric(group.get("rows_quarantined"), errors="coerce").fillna(0).sum())),
            )
        )
    loaded = pd.to_numeric(sources.get("rows_loaded"), errors="coerce").fillna(0).sum()
    quarantined = pd.to_numeric(sources.get("rows_quarantined"), errors="coerce").fillna(0).sum()
    n_files = int((sources["format"] != "taxonomy").sum())
    total = say("report.intro.sources_total", files=n_files, rows=int(loaded), quarantined=int(quarantined))
    parts = [f"<p>{_esc(total)}"]
    if view.scope:
        parts.append(_esc(term("report.intro.sources_scoped")))
    parts.append("</p>")
    cols = ("source_kind", "files", "offices", "rows_loaded", "rows_quarantined")
    parts.append(_table([term(f"report.column.{c}") for c in cols], rows, css="sources"))
    return "".join(parts)


def _evidence_lines(d: Detection) -> _Html:
    lines = []
    for e in d.evidence[:EVIDENCE_LINES]:
        line = say("report.evidence.line", role=e.role, text=e.text) if e.text else e.role
        when = date_text(e.date)
        lines.append(say("report.evidence.dated", line=line, date=when) if when else line)
    if len(d.evidence) > EVIDENCE_LINES:
        lines.append(say("report.evidence.more", n=len(d.evidence) - EVIDENCE_LINES))
    return _lines(lines)


def _detections_table(result: DetectorResult) -> str:
    shown = result.detections[:ROWS]
    kinds = len({d.kind for d in result.detections}) > 1
    headers = [term("report.column.rank")]
    headers += [term("report.column.kind")] if kinds else []
    headers += [term("report.column.summary"), term("report.column.score"), term("report.column.evidence")]
    rows = []
    for n, d in enumerate(shown, start=1):
        row: list[Any] = [n]
        row += [_kind(d.kind)] if kinds else []
        row += [d.summary, _num(d.score), _evidence_lines(d)]
        rows.append(row)
    out = _table(headers, rows, css="detections")
    if len(result) > ROWS:
        out += f"<p class='more'>{_esc(say('report.more_rows', n=len(result) - ROWS))}</p>"
    return out


def _targets_table(view: GraphView, result: DetectorResult) -> str:
    shown = result.detections[: ROWS * 2]
    rows = []
    for n, d in enumerate(shown, start=1):
        tier, system, relay = (d.details.get(k) for k in ("tier", "system", "relay_to"))
        rows.append(
            [
                n,
                view.name_of("Organisation", d.subject),
                tier_name(tier) if isinstance(tier, str) else "",
                view.system_name(system) if isinstance(system, str) else "",
                _num(d.score),
                _lines(e.text for e in d.evidence),
                office_name(relay) if isinstance(relay, str) else "",
            ]
        )
    cols = ("rank", "organisation", "tier", "system", "risk", "evidence", "relay_to")
    intro = say("report.targets.intro", shown=len(shown), n=len(result))
    out = f"<p>{_esc(intro)}</p>" + _table([term(f"report.column.{c}") for c in cols], rows, css="detections")
    if len(result) > len(shown):
        out += f"<p class='more'>{_esc(say('report.more_rows', n=len(result) - len(shown)))}</p>"
    return out


def _not_run_line(result: DetectorResult) -> str:
    return reader_line(result)


def _overview_table(results: Mapping[str, DetectorResult]) -> str:
    rows = []
    for name, r in results.items():
        if r.status == "skipped":
            state = term("report.status_skipped")
        elif r.status == "failed":
            state = term("report.status_failed")
        elif name in RANKINGS:
            state = say("report.ranked_count", n=len(r))
        else:
            state = say("report.found_count", n=len(r)) if len(r) else term("report.none_found")
        link = _Html(f"<a href='#check-{html.escape(name)}'>{_esc(_detector_title(name))}</a>")
        rows.append((link, state))
    return _table([term("report.column.check"), term("report.column.result")], rows, css="overview")


def _rect_text(states: pd.DataFrame, view: GraphView) -> str:
    if states.empty:
        return f"<p>{_esc(term('report.rectification.none'))}</p>"
    counts = states["state"].value_counts()
    text = say(
        "report.rectification.total",
        n=len(states),
        **{s: int(counts.get(s, 0)) for s in ("verified", "unverified", "in_progress", "overdue")},
    )
    out = f"<p>{_esc(text)}</p>"
    late = states[states["state"] == "overdue"].sort_values(["days_overdue", "rectification"], ascending=[False, True])
    if len(late):
        rows = [
            (
                view.name_of("Organisation", r.organisation) if isinstance(r.organisation, str) else "",
                view.category_name(r.category),
                date_text(r.deadline),
                number(int(r.days_overdue)) if r.days_overdue == r.days_overdue else "",
                enum_label("Rectification", "status", r.status),
            )
            for r in late.head(10).itertuples(index=False)
        ]
        cols = ("organisation", "category", "deadline", "days_overdue", "state")
        out += f"<h3>{_esc(term('report.rectification.overdue_table'))}</h3>"
        out += _table([term(f"report.column.{c}") for c in cols], rows)
        if len(late) > 10:
            out += f"<p class='more'>{_esc(say('report.more_rows', n=len(late) - 10))}</p>"
    return out


# -- the page --------------------------------------------------------------------------------------
_CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
 margin:0 auto;padding:1em 1.5em;max-width:1200px;line-height:1.6;color:#1a202c}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #cbd5e0;margin-top:2em} h3{margin-top:1.4em}
.meta{color:#4a5568}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:14px}
th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#edf2f7}
table.overview,table.counts{width:auto;min-width:22em}
td:nth-child(1){white-space:nowrap}
.method{background:#f7fafc;border-left:4px solid #2b6cb0;padding:.4em .8em}
.more{color:#4a5568;font-size:13px}
.num{white-space:nowrap}
.chart{width:100%}
"""


def _chart(fig: go.Figure, n: int) -> str:
    return fig.to_html(
        full_html=False,
        include_plotlyjs="inline" if n == 0 else False,
        div_id=f"chart-{n}",
        default_width="100%",
        config={"displaylogo": False, "responsive": True, "displayModeBar": "hover"},
    )


def write_html_report(
    view: GraphView, results: Mapping[str, DetectorResult], path: str | Path, *, title: str | None = None
) -> Path:
    """Write one self-contained HTML briefing (plotly.js inlined once) with every section.

    ``title`` defaults to the catalogue's (``联动分析简报``). Results are shown in registry order, whatever
    the order of ``results``.
    """
    path = Path(path)
    title = title or term("report.title")
    order = [n for n in detector_names() if n in results] + [n for n in results if n not in detector_names()]
    results = {n: results[n] for n in order}
    as_of = _as_of(view, results)
    states = _rect_states(view, as_of)
    charts = {key: _chart(fig, n) for n, (key, fig) in enumerate(_figures(view, results, states).items())}

    meta = [
        say("report.as_of", date=date_text(as_of)) if as_of else term("report.as_of_unknown"),
        say("report.scope", place=place_name(view.scope)) if view.scope else term("report.scope_all"),
        say("report.generated", date=date_text(dt.date.today())),
    ]
    parts = [f"<h1>{_esc(title)}</h1><p class='meta'>{_esc('　'.join(meta))}</p>"]

    # What was analysed: counts, sources, checks that could not run.
    parts.append(f"<section id='scope'><h2>{_esc(term('report.section.scope'))}</h2>")
    parts.append(f"<p>{_esc(term('report.intro.counts'))}</p>")
    parts.append(_table([term("report.column.record"), term("report.column.number")], _counts(view), css="counts"))
    parts.append(f"<h3>{_esc(term('report.section.sources'))}</h3>{_sources(view)}</section>")
    not_run = [r for r in results.values() if r.status != "ran"]
    if not_run:
        items = "".join(f"<li>{_esc(_not_run_line(r))}</li>" for r in not_run)
        parts.append(
            f"<section id='not-analysed'><h2>{_esc(term('report.section.not_analysed'))}</h2>"
            f"<p>{_esc(term('report.intro.not_analysed'))}</p><ul>{items}</ul></section>"
        )

    # Overview: findings per check (log axis) apart from the rankings.
    parts.append(f"<section id='overview'><h2>{_esc(term('report.section.overview'))}</h2>")
    parts.append(f"<p>{_esc(term('report.intro.overview'))}</p>{_overview_table(results)}")
    parts.append(charts.get("overview", "") + "</section>")

    # One section per check.
    parts.append(f"<p class='meta'>{_esc(term('report.intro.evidence_note'))}</p>")
    for name, result in results.items():
        parts.append(f"<section id='check-{html.escape(name)}'><h2>{_esc(_detector_title(name))}</h2>")
        method = term(f"report.method.{name}", default="")
        if method:
            parts.append(f"<p class='method'><b>{_esc(term('report.section.method'))}</b>　{_esc(method)}</p>")
        if result.status != "ran":
            parts.append(f"<p>{_esc(_not_run_line(result))}</p>")
        elif name in charts:
            parts.append(charts[name])
        if result.status == "ran":
            if name == "bid-rings" and len(result) > RINGS_DRAWN:
                parts.append(f"<p class='more'>{_esc(say('report.ring.shown', n=RINGS_DRAWN))}</p>")
            if not len(result):
                parts.append(f"<p>{_esc(term('report.nothing_found'))}</p>")
            elif name == "targets":
                parts.append(_targets_table(view, result))
            else:
                parts.append(_detections_table(result))
            if name == "red-flags":
                parts.append(_coverage_table(result))
        parts.append("</section>")
    if "systemic-problems" not in results and "systemic-problems" in charts:
        parts.append(
            f"<section><h2>{_esc(_detector_title('systemic-problems'))}</h2>{charts['systemic-problems']}</section>"
        )

    # Leads and rectification: what the graph holds, whatever the checks found.
    parts.append(f"<section id='leads'><h2>{_esc(term('report.section.leads'))}</h2>")
    if "leads" in charts:
        transferred = int(view.leads["lead"].isin(set(view.transfers["lead"].dropna())).sum())
        parts.append(f"<p>{_esc(say('report.leads.total', n=len(view.leads), transferred=transferred))}</p>")
        parts.append(charts["leads"])
    else:
        parts.append(f"<p>{_esc(term('report.leads.none'))}</p>")
    parts.append("</section>")
    parts.append(f"<section id='rectification'><h2>{_esc(term('report.section.rectification'))}</h2>")
    parts.append(charts.get("rectification", "") + _rect_text(states, view) + "</section>")

    page = (
        f"<!DOCTYPE html><html lang='{lang()}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>" + "".join(parts) + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    from graphmodel.audit import audit

    audit(view.backend, "export report", scope=view.scope, files=[str(path)])
    return path

"""One self-contained HTML report of what the detectors found (plotly, no network needed to open it).

Sections: an overview of every detector's count; problem categories by
system and tier as heatmaps, with the systemic hits marked; the bid-ring
networks; the flow of leads from their source through transfer to their
disposition (sankey); rectification timelines (days from finding to the
reported fix, by status); and the ranked targets with their evidence.
Detectors that were skipped (the graph lacks their inputs) or failed are
listed before the figures, each with the reason, so a report on a partial
graph says what it could not look at.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .base import DetectorResult
from .graphview import GraphView
from .registry import outcome_line

__all__ = ["report_figures", "write_html_report"]

TIERS = ("province", "city", "county", "township", "village")


def _overview(results: Mapping[str, DetectorResult]) -> go.Figure:
    names = list(results)
    labels = [n if results[n].status == "ran" else f"{n} ({results[n].status})" for n in names]
    fig = go.Figure(go.Bar(x=labels, y=[len(results[n]) for n in names], marker_color="#2b6cb0"))
    fig.update_layout(title="What each detector found", yaxis_title="detections", height=380)
    return fig


def _heatmap(view: GraphView, systemic: DetectorResult | None) -> go.Figure:
    f = view.findings.merge(view.organisations[["tier", "system"]], left_on="organisation", right_index=True)
    f = f.dropna(subset=["tier", "system"])
    tiers = [t for t in TIERS if t in set(f["tier"])] or ["(none)"]
    fig = make_subplots(rows=1, cols=len(tiers), subplot_titles=tiers, shared_yaxes=True)
    hits = {(d.details.get("system"), d.details.get("category")) for d in systemic or []}
    for i, tier in enumerate(tiers, start=1):
        at = f[f["tier"] == tier]
        table = at.pivot_table(index="system", columns="category", values="finding", aggfunc="count", fill_value=0)
        share = table.div(table.sum(axis=1).where(table.sum(axis=1) > 0, 1), axis=0)
        fig.add_trace(
            go.Heatmap(
                z=share.values,
                x=[view.category_name(c) for c in share.columns],
                y=[view.system_name(s) for s in share.index],
                coloraxis="coloraxis",
                hovertemplate="%{y} / %{x}: %{z:.0%} of the system's findings<extra></extra>",
            ),
            row=1,
            col=i,
        )
        marks = [(c, s) for s, c in hits if s in share.index and c in share.columns]
        if marks:
            fig.add_trace(
                go.Scatter(
                    x=[view.category_name(c) for c, _ in marks],
                    y=[view.system_name(s) for _, s in marks],
                    mode="markers",
                    marker={"symbol": "x", "size": 12, "color": "crimson"},
                    name="systemic problem",
                    showlegend=i == 1,
                ),
                row=1,
                col=i,
            )
    fig.update_layout(
        title="Problem categories by system and tier (share of each system's findings; x = systemic)",
        coloraxis={"colorscale": "Blues"},
        height=480,
    )
    return fig


def _rings(view: GraphView, rings: DetectorResult | None) -> go.Figure:
    graph = nx.Graph()
    members: dict[str, str] = {}
    for ring in list(rings or [])[:12]:
        for c in ring.where.get("companies", ()):
            members[c] = ring.subject
        meetings = view.bids[view.bids["tender"].isin(ring.where.get("tenders", ()))]
        for _, group in meetings.groupby("tender"):
            firms = sorted(group["company"])
            graph.add_edges_from((a, b) for i, a in enumerate(firms) for b in firms[i + 1 :])
    fig = go.Figure()
    if graph.number_of_nodes():
        pos = nx.spring_layout(graph, seed=1)
        fig.add_trace(
            go.Scatter(
                x=[v for a, b in graph.edges for v in (pos[a][0], pos[b][0], None)],
                y=[v for a, b in graph.edges for v in (pos[a][1], pos[b][1], None)],
                mode="lines",
                line={"width": 0.6, "color": "#aaa"},
                hoverinfo="none",
                showlegend=False,
            )
        )
        nodes = list(graph)
        fig.add_trace(
            go.Scatter(
                x=[pos[n][0] for n in nodes],
                y=[pos[n][1] for n in nodes],
                mode="markers",
                marker={"size": 9, "color": ["crimson" if n in members else "#4a90d9" for n in nodes]},
                text=[f"{view.name_of('Company', n)} {members.get(n, '')}" for n in nodes],
                hoverinfo="text",
                showlegend=False,
            )
        )
    else:
        fig.add_annotation(text="no bid ring found", showarrow=False)
    fig.update_layout(
        title="Bid rings: members (red) and the firms they met", height=520, xaxis_visible=False, yaxis_visible=False
    )
    return fig


def _lead_flow(view: GraphView) -> go.Figure:
    leads = view.leads
    transferred = set(view.transfers["lead"]) if len(view.transfers) else set()
    stages = []
    for lead in leads.itertuples(index=False):
        stages.append(
            (f"source: {lead.source}", "transferred" if lead.lead in transferred else "kept", f"outcome: {lead.status}")
        )
    labels: list[str] = []
    index: dict[str, int] = {}
    flows: dict[tuple[int, int], int] = {}
    for a, b, c in stages:
        for x in (a, b, c):
            if x not in index:
                index[x] = len(labels)
                labels.append(x)
        flows[(index[a], index[b])] = flows.get((index[a], index[b]), 0) + 1
        flows[(index[b], index[c])] = flows.get((index[b], index[c]), 0) + 1
    fig = go.Figure(
        go.Sankey(
            node={"label": labels or ["no leads"], "pad": 12},
            link={
                "source": [s for s, _ in flows],
                "target": [t for _, t in flows],
                "value": list(flows.values()),
            },
        )
    )
    fig.update_layout(title="Leads: from their source, through transfer, to their disposition", height=460)
    return fig


def _rectification(view: GraphView) -> go.Figure:
    r = view.rectifications.merge(view.findings[["finding", "found_date"]], on="finding", how="inner")
    r = r.dropna(subset=["reported_date", "found_date"])
    days = (r["reported_date"] - r["found_date"]).dt.days
    fig = go.Figure()
    for status, group in days.groupby(r["status"]):
        fig.add_trace(go.Histogram(x=group, name=str(status), opacity=0.75, nbinsx=40))
    fig.update_layout(
        title="Rectification: days from finding to the reported fix",
        barmode="overlay",
        xaxis_title="days",
        height=400,
    )
    return fig


def _targets(view: GraphView, targets: DetectorResult | None) -> go.Figure:
    top = list(targets or [])[:30]
    fig = go.Figure(
        go.Table(
            header={"values": ["rank", "organisation", "score", "evidence", "relay to"], "align": "left"},
            cells={
                "values": [
                    list(range(1, len(top) + 1)),
                    [view.name_of("Organisation", d.subject) for d in top],
                    [round(d.score, 3) for d in top],
                    ["; ".join(e.text for e in d.evidence) for d in top],
                    [d.details.get("relay_to") or "" for d in top],
                ],
                "align": "left",
            },
            columnwidth=[40, 220, 60, 420, 120],
        )
    )
    fig.update_layout(title="Targets for the next round", height=max(300, 40 + 28 * len(top)))
    return fig


def report_figures(view: GraphView, results: Mapping[str, DetectorResult]) -> dict[str, go.Figure]:
    """The report's figures by section title (each a plotly figure, for notebooks too)."""
    return {
        "Overview": _overview(results),
        "Problems across systems and tiers": _heatmap(view, results.get("systemic-problems")),
        "Bid rings": _rings(view, results.get("bid-rings")),
        "Lead flow": _lead_flow(view),
        "Rectification": _rectification(view),
        "Targets": _targets(view, results.get("targets")),
    }


def write_html_report(
    view: GraphView, results: Mapping[str, DetectorResult], path: str | Path, *, title: str = "liandong 联动 report"
) -> Path:
    """Write one self-contained HTML file (plotly.js inlined once) with every section."""
    path = Path(path)
    parts = []
    not_run = [r for r in results.values() if r.status != "ran"]
    if not_run:
        items = "".join(f"<li>{html.escape(outcome_line(r))}</li>" for r in not_run)
        parts.append(
            "<section id='not-analysed'><h2>未能分析的内容 What could not be analysed</h2>"
            "<p>These detectors did not run: the graph lacks the records they need, or they failed.</p>"
            f"<ul>{items}</ul></section>"
        )
    for n, (section, fig) in enumerate(report_figures(view, results).items()):
        chart = fig.to_html(full_html=False, include_plotlyjs="inline" if n == 0 else False, div_id=f"chart-{n}")
        parts.append(f"<section><h2>{html.escape(section)}</h2>{chart}</section>")
    scope = f" — scope {view.scope}" if view.scope else ""
    page = (
        "<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1400px} h2{border-bottom:1px solid #ccc}</style>"
        "</head><body>"
        f"<h1>{html.escape(title)}</h1><p>Generated {dt.date.today().isoformat()}{html.escape(scope)}.</p>"
        + "".join(parts)
        + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path

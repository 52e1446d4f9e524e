"""Bid rings and conflict-of-interest paths as one network, for Gephi (GEXF) or other tools (GraphML).

Nodes are buyer organisations, tenders, companies (ring firms apart from the others), cadres and their
declared relatives. Each node's ``label`` is its name as a reader knows it (a tender's title, a firm's or a
unit's name, a cadre's name), its ``kind`` the role in words (``围标企业``, ``采购单位`` …) and ``viz`` a colour
and size by role, so Gephi opens it coloured; node ids are opaque (``firm-3``, ``cadre-12``) and carry no
record key, birth date or resident-ID hash. Edges are the links the evidence rests on: a company bid on a
tender (amount, whether it won), an organisation issued a tender, a cadre served at the buyer (the post),
a cadre declared a relative, a cadre or relative holds a role in a firm; each carries its dates as GEXF
``start``/``end`` (a bid and an issue on the tender's announcement day, a post from its start to its end, a
role when the records date it), so Gephi's timeline plays a conflict as it happened. The graph's ``notes``
say what each detector found, or why it was skipped (the graph lacks its inputs) or failed; the file carries
them (GEXF ``<meta><description>``, GraphML graph data), so an empty network says why.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import SubElement

import networkx as nx
import pandas as pd
from networkx.readwrite.gexf import GEXFWriter

from .base import DetectorResult
from .graphview import GraphView
from .registry import reader_line
from .terms import enum_label, say, term

NETWORK_DETECTORS = ("bid-rings", "conflict-of-interest")

__all__ = ["evidence_network", "write_network", "ROLE_STYLE"]

# role -> (id prefix, RGB colour, size): what Gephi draws for each kind of node.
ROLE_STYLE: dict[str, tuple[str, tuple[int, int, int], float]] = {
    "buyer": ("unit", (31, 119, 180), 14.0),  # blue
    "tender": ("tender", (255, 187, 60), 8.0),  # amber
    "ring_firm": ("firm", (214, 39, 40), 16.0),  # red
    "firm": ("firm", (148, 103, 189), 12.0),  # purple
    "cadre": ("cadre", (44, 160, 44), 14.0),  # green
    "relative": ("relative", (23, 190, 207), 10.0),  # cyan
}
_LABEL = {"buyer": "Organisation", "ring_firm": "Company", "firm": "Company", "cadre": "Person", "relative": "Person"}


def _day(value: Any) -> str | None:
    """A date as ``YYYY-MM-DD`` (GEXF's ``date`` time format), or None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        text = value.strip()[:10]
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def _when(start: Any = None, end: Any = None) -> dict[str, str]:
    """GEXF ``start``/``end`` attributes for the dates that are known."""
    out = {}
    if (s := _day(start)) is not None:
        out["start"] = s
    if (e := _day(end)) is not None:
        out["end"] = e
    return out


def _role_word(role: Any) -> str:
    """A role in a firm in words: ``legal_representative`` -> ``法定代表人``, ``shareholder`` -> ``股东``."""
    if role == "shareholder":
        return term("network.edge.shareholder")
    word = enum_label("OFFICER_OF", "role", role) if isinstance(role, str) and role else ""
    return word if word and word not in (role, role.replace("_", " ")) else term("network.edge.company_role")


#: The graph (backend, scope) each evidence network was drawn from, so that writing it is audited there.
_MADE_FROM: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[Any, str | None]] = weakref.WeakKeyDictionary()


def evidence_network(view: GraphView, results: Mapping[str, DetectorResult]) -> nx.MultiDiGraph:
    """The network of the ``bid-rings`` and ``conflict-of-interest`` results (either may be absent).

    ``graph["notes"]`` says, one line per detector, what it found or why it is not in the network.
    """
    g = nx.MultiDiGraph()
    _MADE_FROM[g] = (view.backend, view.scope)
    g.graph["notes"] = "\n".join(
        reader_line(results[name]) if name in results else say("network.not_in_results", title=term(f"detector.{name}"))
        for name in NETWORK_DETECTORS
    )
    ids: dict[str, str] = {}  # record key -> opaque node id
    counters: dict[str, int] = {}
    tenders = view.tenders.drop_duplicates("tender").set_index("tender") if len(view.tenders) else None
    bids = view.bids.drop_duplicates(["tender", "company"]).set_index(["tender", "company"]) if len(view.bids) else None
    posts = view.posts

    def label_of(role: str, key: str) -> str:
        if role == "tender":
            title = tenders.at[key, "title"] if tenders is not None and key in tenders.index else None
            return title if isinstance(title, str) and title else term("word.a_tender")
        name = view.name_of(_LABEL[role], key)
        return name if name != key else term(f"network.role.{role}")

    def node(role: str, key: str, **attrs: object) -> str:
        if key in ids:
            return ids[key]
        prefix, (r, gr, b), size = ROLE_STYLE[role]
        counters[prefix] = counters.get(prefix, 0) + 1
        gid = ids[key] = f"{prefix}-{counters[prefix]}"
        extra: dict[str, object] = {}
        if role == "tender" and tenders is not None and key in tenders.index:
            # A tender appears on Gephi's timeline on its announcement day.
            extra.update(_when(tenders.at[key, "announced"]))
            budget = tenders.at[key, "budget"]
            if isinstance(budget, int | float) and budget == budget:
                extra["budget"] = float(budget)
        elif role in ("ring_firm", "firm") and key in view.companies.index:
            uscc = view.companies.at[key, "uscc"]
            if isinstance(uscc, str) and uscc:
                extra["uscc"] = uscc
        g.add_node(
            gid,
            label=label_of(role, key),
            kind=term(f"network.role.{role}"),
            viz={"color": {"r": r, "g": gr, "b": b, "a": 1.0}, "size": size},
            **extra,
            **attrs,
        )
        return gid

    def buyer_of(tender: str) -> str | None:
        if tenders is None or tender not in tenders.index:
            return None
        buyer = tenders.at[tender, "buyer"]
        return buyer if isinstance(buyer, str) else None

    def announced(tender: str) -> Any:
        return tenders.at[tender, "announced"] if tenders is not None and tender in tenders.index else None

    def tender_node(tender: str, **attrs: object) -> str:
        fresh = tender not in ids
        t = node("tender", tender, **attrs)
        buyer = buyer_of(tender)
        if fresh and buyer is not None:
            g.add_edge(node("buyer", buyer), t, kind=term("network.edge.issued"), **_when(announced(tender)))
        return t

    served: set[tuple[str, str]] = set()

    def served_at(person: str, buyer: str) -> None:
        if (person, buyer) in served:
            return
        served.add((person, buyer))
        rows = posts[(posts["person"] == person) & (posts["organisation"] == buyer)] if len(posts) else posts
        if len(rows) == 0:
            g.add_edge(ids[person], ids[buyer], kind=term("network.edge.served_at"))
        for row in rows.itertuples(index=False):
            post = row.post if isinstance(row.post, str) else ""
            g.add_edge(
                ids[person],
                ids[buyer],
                kind=term("network.edge.served_at"),
                post=post,
                **_when(row.start_date, row.end_date),
            )

    for number, ring in enumerate(results.get("bid-rings", DetectorResult("bid-rings", [])), start=1):
        ring_name = say("network.ring_name", n=number)
        companies = list(ring.where.get("companies", ()))
        for company in companies:
            node("ring_firm", company, ring=ring_name)
        for tender in ring.where.get("tenders", ()):
            t = tender_node(tender, ring=ring_name)
            for company in companies:
                if bids is not None and (tender, company) in bids.index:
                    bid = bids.loc[(tender, company)]
                    g.add_edge(
                        ids[company],
                        t,
                        kind=term("network.edge.bid"),
                        amount=float(bid["amount"]),
                        won=bool(bid["won"]),
                        **_when(announced(tender)),
                    )
        for person, tender_ids in ring.details.get("cadres_at_buyers", {}).items():
            node("cadre", person, ring=ring_name)
            for tender in tender_ids:
                buyer = buyer_of(tender)
                if buyer is not None:
                    tender_node(tender)
                    served_at(person, buyer)
    for path in results.get("conflict-of-interest", DetectorResult("conflict-of-interest", [])):
        d = path.details
        cadre = node("cadre", d["cadre"])
        company = node("firm", d["company"])
        tender = str(d["tender"])
        t = tender_node(tender)
        buyer = buyer_of(tender) or str(d["buyer"])
        node("buyer", buyer)
        served_at(d["cadre"], buyer)
        if not any(e.get("kind") == term("network.edge.bid") for e in g.get_edge_data(company, t, default={}).values()):
            g.add_edge(company, t, kind=term("network.edge.bid"), won=bool(d["won"]), **_when(d.get("announced")))
        role = _when(d.get("role_start"), d.get("role_end"))
        if d["via"] != d["cadre"]:
            relative = node("relative", d["via"])
            if not g.has_edge(cadre, relative):
                g.add_edge(cadre, relative, kind=term("network.edge.declared_relative"))
            g.add_edge(relative, company, kind=_role_word(d["role"]), **role)
        else:
            g.add_edge(cadre, company, kind=_role_word(d["role"]), **role)
    for _, _, data in g.edges(data=True):
        data["label"] = data["kind"]
    return g


def _flat(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The graph as GraphML can hold it: ``viz`` as ``color`` (#rrggbb) and ``size``."""
    flat = graph.copy()
    for _, data in flat.nodes(data=True):
        viz = data.pop("viz", None) or {}
        if "color" in viz:
            c = viz["color"]
            data["color"] = f"#{int(c['r']):02x}{int(c['g']):02x}{int(c['b']):02x}"
        if "size" in viz:
            data["size"] = float(viz["size"])
    return flat


def write_network(graph: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``graph`` as GEXF (``.gexf``, for Gephi) or GraphML (``.graphml``), its ``notes`` included.

    GEXF keeps the colours and sizes (``viz``) and the edges' dates (a dynamic graph, ``timeformat="date"``);
    GraphML keeps them as plain ``color``, ``size``, ``start`` and ``end`` attributes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".gexf":
        # As nx.write_gexf does, plus the notes as the file's description (GEXF keeps no graph attributes).
        writer = GEXFWriter(version="1.2draft")
        writer.add_graph(graph)
        meta = writer.xml.find("meta")
        if meta is not None and graph.graph.get("notes"):
            SubElement(meta, "description").text = str(graph.graph["notes"])
        writer.write(path)
    elif path.suffix.lower() == ".graphml":
        nx.write_graphml(_flat(graph), path)
    else:
        raise ValueError(f"{path.name}: write .gexf (Gephi) or .graphml")
    made_from = _MADE_FROM.get(graph)
    if made_from is not None:
        from graphmodel.audit import audit

        audit(made_from[0], "export network", scope=made_from[1], files=[str(path)])
    return path


def scope_closure(view: GraphView) -> dict[str, set[str]]:
    """The nodes a scoped export of the graph holds: label -> node keys.

    What the view's scoped frames hold, as records: the in-scope organisations (every record resolved to
    one of them); the findings about them and the findings' rectifications; the tours that inspected them,
    with their teams and rounds; the leads about them and the leads' transfers; the tenders they issued and
    the firms that bid; the cadre records serving at them; the problem categories; and the Source records
    of in-scope offices. A tour that also inspected a unit outside the scope keeps only its in-scope side,
    and a cadre's or firm's records made elsewhere (keyed by that other unit) stay out.

    Examples
    --------
    >>> keep = scope_closure(GraphView(backend, scope="330102"))   # doctest: +SKIP
    """
    backend = view.backend
    schema = backend.schema
    if view.scope is None:
        return {label: set(backend.nodes(label)[node_type.key]) for label, node_type in schema.nodes.items()}
    canonical = view.canonical("Organisation")
    keep: dict[str, set[str]] = {label: set() for label in schema.nodes}
    keep["Organisation"] = {key for key, cid in canonical.items() if cid in view._scope_orgs}
    keep["Finding"] = set(view.findings["finding"])
    keep["Rectification"] = set(view.rectifications["rectification"])
    keep["Tour"] = set(view.tours["tour"])
    keep["Team"] = set(view.tours["team"].dropna())
    keep["Round"] = set(view.tours["round"].dropna())
    keep["Lead"] = set(view.leads["lead"])
    keep["Transfer"] = set(view.transfers["transfer"])
    keep["Tender"] = set(view.tenders["tender"])
    keep["ProblemCategory"] = set(backend.nodes("ProblemCategory")[schema.node("ProblemCategory").key])

    def starts(rel_type: str, end_label: str) -> set[str]:
        # Records (raw keys) with a rel_type relationship to a kept end_label node.
        frame = backend.relationships(rel_type)
        if frame.empty:
            return set()
        return set(frame.loc[frame["end_key"].isin(keep[end_label]), "start_key"])

    keep["Person"] = starts("SERVES_AT", "Organisation")
    keep["Company"] = starts("BID_ON", "Tender")
    sources = backend.nodes("Source")
    if not sources.empty:
        offices = sources["office"].fillna("").astype(str)
        ok = sources["source_id"].eq("taxonomy") | offices.map(lambda code: bool(code) and view.in_scope(code))
        keep["Source"] = set(sources.loc[ok, "source_id"])
    return keep

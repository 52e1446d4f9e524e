"""Bid rings and conflict-of-interest paths as one network, for Gephi (GEXF) or other tools (GraphML).

Nodes are companies, tenders, buyer organisations and cadres, each with a
``label`` (the name as written), a ``kind`` and the ring it belongs to;
edges are the links the evidence rests on: a company bid on a tender (with
the amount and whether it won), an organisation issued a tender, a cadre
served at the buyer, a cadre (or a declared relative) is tied to a firm.
The graph's ``notes`` say what each detector found, or why it was skipped
(the graph lacks its inputs) or failed; the file carries them (GEXF
``<meta><description>``, GraphML graph data), so an empty network says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from xml.etree.ElementTree import SubElement

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from .base import DetectorResult
from .graphview import GraphView
from .registry import outcome_line

NETWORK_DETECTORS = ("bid-rings", "conflict-of-interest")

__all__ = ["evidence_network", "write_network"]


def evidence_network(view: GraphView, results: Mapping[str, DetectorResult]) -> nx.MultiDiGraph:
    """The network of the ``bid-rings`` and ``conflict-of-interest`` results (either may be absent).

    ``graph["notes"]`` says, one line per detector, what it found or why it is not in the network.
    """
    g = nx.MultiDiGraph()
    g.graph["notes"] = "\n".join(
        outcome_line(results[name]) if name in results else f"{name}: not run (不在本次结果中)"
        for name in NETWORK_DETECTORS
    )

    def node(kind: str, gid: str, label_kind: str, **attrs: object) -> str:
        if gid not in g:
            g.add_node(gid, label=view.name_of(label_kind, gid), kind=kind, **attrs)
        return gid

    bids = view.bids.set_index(["tender", "company"]) if len(view.bids) else None
    tenders = view.tenders.set_index("tender") if len(view.tenders) else None
    for ring in results.get("bid-rings", DetectorResult("bid-rings", [])):
        for company in ring.where.get("companies", ()):
            node("company", company, "Company", ring=ring.subject)
        for tender in ring.where.get("tenders", ()):
            node("tender", tender, "Tender", ring=ring.subject)
            if tenders is not None and tender in tenders.index and isinstance(tenders.at[tender, "buyer"], str):
                buyer = node("organisation", tenders.at[tender, "buyer"], "Organisation")
                g.add_edge(buyer, tender, kind="issued")
            for company in ring.where.get("companies", ()):
                if bids is not None and (tender, company) in bids.index:
                    bid = bids.loc[(tender, company)]
                    g.add_edge(company, tender, kind="bid", amount=float(bid["amount"]), won=bool(bid["won"]))
        for person, tender_ids in ring.details.get("cadres_at_buyers", {}).items():
            node("cadre", person, "Person")
            for tender in tender_ids:
                if tenders is not None and tender in tenders.index and isinstance(tenders.at[tender, "buyer"], str):
                    g.add_edge(person, tenders.at[tender, "buyer"], kind="served at")
    for path in results.get("conflict-of-interest", DetectorResult("conflict-of-interest", [])):
        d = path.details
        cadre = node("cadre", d["cadre"], "Person")
        company = node("company", d["company"], "Company")
        tender = node("tender", str(d["tender"]), "Tender")
        buyer = node("organisation", d["buyer"], "Organisation")
        g.add_edge(cadre, buyer, kind="served at")
        g.add_edge(buyer, tender, kind="issued")
        g.add_edge(company, tender, kind="bid", won=bool(d["won"]))
        if d["via"] != d["cadre"]:
            relative = node("relative", d["via"], "Person")
            g.add_edge(cadre, relative, kind="declared relative")
            g.add_edge(relative, company, kind=str(d["role"]))
        else:
            g.add_edge(cadre, company, kind=str(d["role"]))
    return g


def write_network(graph: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``graph`` as GEXF (``.gexf``, for Gephi) or GraphML (``.graphml``), its ``notes`` included."""
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
        nx.write_graphml(graph, path)
    else:
        raise ValueError(f"{path.name}: write .gexf (Gephi) or .graphml")
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

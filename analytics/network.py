"""Bid rings and conflict-of-interest paths as one network, for Gephi (GEXF) or other tools (GraphML).

Nodes are companies, tenders, buyer organisations and cadres, each with a
``label`` (the name as written), a ``kind`` and the ring it belongs to;
edges are the links the evidence rests on: a company bid on a tender (with
the amount and whether it won), an organisation issued a tender, a cadre
served at the buyer, a cadre (or a declared relative) is tied to a firm.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import networkx as nx

from .base import DetectorResult
from .graphview import GraphView

__all__ = ["evidence_network", "write_network"]


def evidence_network(view: GraphView, results: Mapping[str, DetectorResult]) -> nx.MultiDiGraph:
    """The network of the ``bid-rings`` and ``conflict-of-interest`` results (either may be absent)."""
    g = nx.MultiDiGraph()

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
    """Write ``graph`` as GEXF (``.gexf``, for Gephi) or GraphML (``.graphml``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".gexf":
        nx.write_gexf(graph, path)
    elif path.suffix.lower() == ".graphml":
        nx.write_graphml(graph, path)
    else:
        raise ValueError(f"{path.name}: write .gexf (Gephi) or .graphml")
    return path

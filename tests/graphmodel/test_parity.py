"""The same writes give the same graph on both backends: counts, values, reads and retractions."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from graphmodel import EdgeRecord, EmbeddedBackend, NodeRecord, NodeRef

pytestmark = pytest.mark.neo4j

SYSTEMS = ["supply_marketing", "transport", "education", "health", "urban_management"]


def _random_graph(seed: int):
    rng = random.Random(seed)
    orgs = [
        NodeRecord(
            "Organisation",
            f"o{i}",
            {
                "name": f"单位{i}",
                "tier": rng.choice(["city", "county"]),
                "system": rng.choice(SYSTEMS),
                "established": dt.date(2000 + i % 20, 1 + i % 12, 1),
            },
        )
        for i in range(60)
    ]
    people = [
        NodeRecord(
            "Person",
            f"p{i}",
            {"name": f"干部{i}", "birth_date": dt.date(1960 + i % 30, 6, 1), "party_member": i % 3 > 0},
        )
        for i in range(80)
    ]
    companies = [
        NodeRecord("Company", f"c{i}", {"name": f"公司{i}", "registered_capital": rng.random() * 1e7})
        for i in range(40)
    ]
    tenders = [NodeRecord("Tender", f"t{i}", {"budget": round(rng.random() * 1e6, 2)}) for i in range(50)]
    edges = []
    for i in range(1, 60):
        edges.append(EdgeRecord("PART_OF", NodeRef("Organisation", f"o{i}"), NodeRef("Organisation", f"o{i // 3}")))
    for p in people:
        for _ in range(rng.randint(1, 3)):
            edges.append(
                EdgeRecord(
                    "SERVES_AT",
                    p.ref,
                    NodeRef("Organisation", f"o{rng.randrange(60)}"),
                    {
                        "post": rng.choice(["主任", "副主任", "科长"]),
                        "start_date": dt.date(rng.randint(2010, 2023), 1, 1),
                    },
                )
            )
    for t in tenders:
        edges.append(EdgeRecord("ISSUED", NodeRef("Organisation", f"o{rng.randrange(60)}"), t.ref))
        bidders = rng.sample(companies, rng.randint(2, 5))
        for rank, c in enumerate(bidders, start=1):
            edges.append(
                EdgeRecord("BID_ON", c.ref, t.ref, {"amount": rng.random() * 1e6, "rank": rank, "won": rank == 1})
            )
    for _ in range(30):
        edges.append(
            EdgeRecord(
                "OFFICER_OF",
                NodeRef("Person", f"p{rng.randrange(80)}"),
                NodeRef("Company", f"c{rng.randrange(40)}"),
                {"role": "director"},
            )
        )
    edges.append(EdgeRecord("PART_OF", NodeRef("Organisation", "o1"), NodeRef("Organisation", "missing")))
    return orgs + people + companies + tenders, edges


def _snapshot(backend):
    snap = {"stats": backend.stats()}
    for label in ["Organisation", "Person", "Company", "Tender"]:
        snap[label] = backend.nodes(label, include_sources=True).to_dict("records")
    for rel_type in ["PART_OF", "SERVES_AT", "ISSUED", "BID_ON", "OFFICER_OF"]:
        snap[rel_type] = backend.relationships(rel_type, include_sources=True).to_dict("records")
    snap["neigh"] = backend.neighbourhood(("Organisation", "o0"), depth=3).values.tolist()
    snap["paths"] = [str(p) for p in backend.paths(("Person", "p1"), ("Tender", "t1"), max_hops=4, limit=50)]
    g = backend.projection(["Company", "Tender"], ["BID_ON"], rel_properties=["amount"])
    snap["projection"] = sorted((u.key, v.key, round(d["amount"], 6)) for u, v, d in g.edges(data=True))
    return snap


def test_same_writes_same_graph_on_both_backends(tmp_path, neo4j_domain):
    nodes, edges = _random_graph(7)
    neo4j_domain.clear()
    embedded = EmbeddedBackend(tmp_path / "ws")
    reports = []
    for backend in (embedded, neo4j_domain):
        backend.write(nodes, source="a", batch_size=97)
        half = len(edges) // 2
        r1 = backend.write(edges[:half], source="a", batch_size=50)
        r2 = backend.write(nodes[:30] + edges[half:], source="b", batch_size=50)
        reports.append(
            (
                r1.relationships_written,
                r2.relationships_written,
                [(e.start, e.end) for e in r1.unresolved + r2.unresolved],
            )
        )
    assert reports[0] == reports[1]
    assert _snapshot(embedded) == _snapshot(neo4j_domain)
    assert embedded.retract_source("a") == neo4j_domain.retract_source("a")
    assert _snapshot(embedded) == _snapshot(neo4j_domain)
    assert embedded.sources() == neo4j_domain.sources() == ["b"]
    embedded.close()

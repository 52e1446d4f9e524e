"""The evidence network for Gephi: names for labels, colours and sizes by role, dated edges, opaque node ids."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from analytics import GraphView, run_detectors
from analytics.base import Detection, DetectorResult
from analytics.network import ROLE_STYLE, evidence_network, write_network
from analytics.terms import record_keys, term
from graphmodel import EmbeddedBackend

from .builders import D, GraphBuilder

NS = {"g": "http://www.gexf.net/1.2draft", "viz": "http://www.gexf.net/1.2draft/viz"}
OPAQUE_ID = re.compile(r"(unit|tender|firm|cadre|relative)-\d+")
BIRTH_DATE = "1968-04-23"
ID_HASH = "x7q2kz4mvb3ny6wd5rthpfsa2ce4gujl"

CADRE = f"person:330102:王建国:{BIRTH_DATE}"  # a cadre keyed, as county exports are, by name and birth date
RELATIVE = f"person:id:{ID_HASH}"  # a relative keyed by the hash of a resident ID
RING_FIRMS = {
    "company:91330102MA2H0RNG1X": "杭州恒远建设工程有限公司",
    "company:91330102MA2H0RNG2Y": "杭州中拓市政工程有限公司",
    "company:91330102MA2H0RNG3Z": "浙江同创路桥有限公司",
}
TIED_FIRM = ("company:91330102MA2H0TIE9K", "杭州鑫源贸易有限公司")
TENDERS = {
    "tender:T0000026": ("上城区望江路改造工程", "2020-03-02"),
    "tender:T0000027": ("上城区背街小巷整治工程", "2020-09-14"),
    "tender:T0000028": ("上城区河道清淤项目", "2021-04-20"),
}


@pytest.fixture
def conflict_world(tmp_path):
    """A buyer, three ring firms bidding together on its tenders, and its director whose wife runs a firm
    that won one of them."""
    g = GraphBuilder()
    buyer = g.org("org:330102:上城区建设局", name="杭州市上城区建设局", tier="county", region="330102")
    cadre = g.person(CADRE, "王建国")
    wife = g.person(RELATIVE, "李秀梅")
    g.serves(cadre, buyer, "2018-01-15", "2023-06-30", post="局长")
    g.rel("RELATIVE_OF", cadre, wife, relation="spouse", declared=True)
    ring = [g.company(key, name) for key, name in RING_FIRMS.items()]
    tied = g.company(*TIED_FIRM)
    g.rel("OFFICER_OF", wife, tied, role="legal_representative", start_date=D("2019-03-01"))
    for i, (key, (title, day)) in enumerate(TENDERS.items()):
        bids = [(firm, 100.0 + j + i, j == i) for j, firm in enumerate(ring)]
        if key == "tender:T0000027":  # the wife's firm underbids the ring and wins
            bids = [(firm, 100.0 + j, False) for j, firm in enumerate(ring)] + [(tied, 99.0, True)]
        tender = g.node("Tender", key, title=title, announced=D(day), budget=1e6)
        g.rel("ISSUED", buyer, tender)
        for rank, (firm, amount, won) in enumerate(sorted(bids, key=lambda b: b[1]), start=1):
            g.rel("BID_ON", firm, tender, amount=amount, won=won, rank=rank)
    backend = g.write(EmbeddedBackend(tmp_path / "ws", create=True))
    view = GraphView(backend)
    conflicts = run_detectors(view, ["conflict-of-interest"])["conflict-of-interest"]
    assert len(conflicts) == 1  # the wife's firm won T0000027 while her husband headed the buyer
    ring_result = DetectorResult(
        "bid-rings",
        [
            Detection(
                "bid-rings",
                "bid-ring",
                "ring:" + min(RING_FIRMS),
                1.0,
                "a ring",
                where={"companies": tuple(RING_FIRMS), "tenders": tuple(TENDERS)},
                details={"cadres_at_buyers": {CADRE: ["tender:T0000026"]}},
            )
        ],
    )
    yield view, {"bid-rings": ring_result, "conflict-of-interest": conflicts}
    backend.close()


def _gexf(path):
    """The GEXF file as Gephi reads it: the graph element, nodes by id (label, viz, attributes), edges."""
    root = ET.parse(path).getroot()
    graph = root.find("g:graph", NS)
    titles: dict[tuple[str, str], str] = {}
    for block in graph.findall("g:attributes", NS):
        for a in block.findall("g:attribute", NS):
            titles[(block.get("class"), a.get("id"))] = a.get("title")

    def values(element, cls):
        out = {}
        for v in element.findall("g:attvalues/g:attvalue", NS):
            out[titles[(cls, v.get("for"))]] = v.get("value")
        return out

    nodes = {}
    for n in graph.findall("g:nodes/g:node", NS):
        color = n.find("viz:color", NS)
        size = n.find("viz:size", NS)
        nodes[n.get("id")] = {
            "label": n.get("label"),
            "color": (int(color.get("r")), int(color.get("g")), int(color.get("b"))) if color is not None else None,
            "size": float(size.get("value")) if size is not None else None,
            "start": n.get("start"),
            **values(n, "node"),
        }
    edges = [
        {"source": e.get("source"), "target": e.get("target"), "start": e.get("start"), "end": e.get("end"),
         "label": e.get("label"), **values(e, "edge")}
        for e in graph.findall("g:edges/g:edge", NS)
    ]  # fmt: skip
    return graph, nodes, edges


def test_gexf_labels_are_names_and_ids_carry_no_personal_data(conflict_world, tmp_path):
    view, results = conflict_world
    path = write_network(evidence_network(view, results), tmp_path / "net.gexf")
    text = path.read_text(encoding="utf-8")
    _, nodes, _ = _gexf(path)

    labels = {n["label"] for n in nodes.values()}
    names = {*RING_FIRMS.values(), TIED_FIRM[1], *(t for t, _ in TENDERS.values()), "杭州市上城区建设局"}
    assert labels == names | {"王建国", "李秀梅"}
    # No record key, birth date or resident-ID hash anywhere in the file, ids least of all.
    assert record_keys(text) == []
    assert BIRTH_DATE not in text and ID_HASH not in text and "T0000026" not in text
    assert all(OPAQUE_ID.fullmatch(node_id) for node_id in nodes), sorted(nodes)


def test_gexf_colours_and_sizes_follow_roles(conflict_world, tmp_path):
    view, results = conflict_world
    _, nodes, _ = _gexf(write_network(evidence_network(view, results), tmp_path / "net.gexf"))
    by_label = {n["label"]: n for n in nodes.values()}

    def style(role):
        _, colour, size = ROLE_STYLE[role]
        return colour, size

    expected = {
        "杭州市上城区建设局": "buyer",
        "王建国": "cadre",
        "李秀梅": "relative",
        TIED_FIRM[1]: "firm",
        **dict.fromkeys(RING_FIRMS.values(), "ring_firm"),
        **{title: "tender" for title, _ in TENDERS.values()},
    }
    for label, role in expected.items():
        node = by_label[label]
        assert (node["color"], node["size"]) == style(role), label
        assert node["kind"] == term(f"network.role.{role}")
    assert len({ROLE_STYLE[r][1] for r in ROLE_STYLE}) == len(ROLE_STYLE)  # every role its own colour
    assert by_label[RING_FIRMS["company:91330102MA2H0RNG1X"]]["ring"] == by_label["上城区望江路改造工程"]["ring"]


def test_gexf_edges_carry_the_dates_of_the_conflict(conflict_world, tmp_path):
    view, results = conflict_world
    graph, nodes, edges = _gexf(write_network(evidence_network(view, results), tmp_path / "net.gexf"))
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    label = {node_id: n["label"] for node_id, n in nodes.items()}
    seen = {(label[e["source"]], e["kind"], label[e["target"]]): (e["start"], e["end"]) for e in edges}

    # Bids and the buyer's issue on the tender's day; the post from its start to its end; the role from its start.
    for title, day in TENDERS.values():
        assert seen[("杭州市上城区建设局", term("network.edge.issued"), title)] == (day, None)
        assert seen[(RING_FIRMS["company:91330102MA2H0RNG1X"], term("network.edge.bid"), title)] == (day, None)
        assert nodes[next(i for i, n in nodes.items() if n["label"] == title)]["start"] == day
    assert seen[(TIED_FIRM[1], term("network.edge.bid"), "上城区背街小巷整治工程")] == ("2020-09-14", None)
    assert seen[("王建国", term("network.edge.served_at"), "杭州市上城区建设局")] == ("2018-01-15", "2023-06-30")
    assert seen[("李秀梅", "法定代表人", TIED_FIRM[1])] == ("2019-03-01", None)
    assert ("王建国", term("network.edge.declared_relative"), "李秀梅") in seen
    # One bid edge per firm and tender, even when a ring firm is also on a conflict path.
    assert len(edges) == len({(e["source"], e["target"], e["kind"], e["start"]) for e in edges})


def test_graphml_still_writes_with_names_colours_and_dates(conflict_world, tmp_path):
    view, results = conflict_world
    network = evidence_network(view, results)
    graphml = nx.read_graphml(write_network(network, tmp_path / "net.graphml"))
    assert graphml.number_of_nodes() == network.number_of_nodes()
    assert graphml.number_of_edges() == network.number_of_edges()
    ring_firm = next(d for _, d in graphml.nodes(data=True) if d["label"] == RING_FIRMS["company:91330102MA2H0RNG1X"])
    assert ring_firm["color"] == "#{:02x}{:02x}{:02x}".format(*ROLE_STYLE["ring_firm"][1])
    assert any(d.get("start") == "2018-01-15" and d.get("end") == "2023-06-30" for *_, d in graphml.edges(data=True))
    assert record_keys((tmp_path / "net.graphml").read_text(encoding="utf-8")) == []
    with pytest.raises(ValueError, match="gexf"):
        write_network(network, tmp_path / "net.csv")


def test_generated_province_exports_names_only(tiny_world, tmp_path):
    # A generated county world: cadres keyed by name and birth date, relatives by resident-ID hashes.
    view = GraphView(tiny_world.backend)
    results = run_detectors(view, ["bid-rings", "conflict-of-interest"])
    network = evidence_network(view, results)
    assert network.number_of_nodes() > 0
    path = write_network(network, tmp_path / "net.gexf")
    text = path.read_text(encoding="utf-8")
    _, nodes, edges = _gexf(path)
    assert record_keys(text) == []
    assert all(OPAQUE_ID.fullmatch(node_id) for node_id in nodes)
    people = set(view.people["name"].dropna())
    named = {
        term("network.role.cadre"): people,
        term("network.role.relative"): people,
        term("network.role.buyer"): set(view.organisations["name"].dropna()),
        term("network.role.tender"): set(view.tenders["title"].dropna()),
    }
    for n in nodes.values():
        if n["kind"] in named:
            assert n["label"] in named[n["kind"]], n
        assert n["color"] is not None and n["size"] is not None
    assert any(e["kind"] == term("network.edge.bid") and e["start"] for e in edges)
    personal = [
        tail
        for key in tiny_world.backend.nodes("Person")["person_id"]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}|[a-z2-7]{32}", tail := str(key).rsplit(":", 1)[-1])
    ]
    assert personal  # the generated keys do hold birth dates and ID hashes ...
    assert not [tail for tail in personal if tail in text]  # ... and the file none of them

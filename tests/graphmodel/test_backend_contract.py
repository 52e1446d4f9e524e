"""The backend contract: every test here runs on the embedded store and on a real Neo4j."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pytest

from graphmodel import EdgeRecord, LiandongError, NodeRecord, NodeRef, SchemaError, ValidationError

D = dt.date


def org(key, name, tier="county", **props):
    return NodeRecord("Organisation", key, {"name": name, "tier": tier, **props})


def person(key, name, **props):
    return NodeRecord("Person", key, {"name": name, **props})


def rel(type_, start, end, **props):
    return EdgeRecord(type_, NodeRef(*start), NodeRef(*end), props)


# ---------------------------------------------------------------- upserts


def test_upsert_twice_changes_nothing(backend):
    records = [
        org("330000", "中共浙江省委", "province", region_code="330000"),
        org("330600", "中共绍兴市委", "city", region_code="330600"),
        rel("PART_OF", ("Organisation", "330600"), ("Organisation", "330000")),
    ]
    first = backend.write(records, source="roster.xlsx")
    before = (
        backend.stats(),
        backend.nodes("Organisation", include_sources=True).to_dict("records"),
        backend.relationships("PART_OF", include_sources=True).to_dict("records"),
    )
    second = backend.write(records, source="roster.xlsx")
    after = (
        backend.stats(),
        backend.nodes("Organisation", include_sources=True).to_dict("records"),
        backend.relationships("PART_OF", include_sources=True).to_dict("records"),
    )
    assert before == after
    assert after[0] == {"nodes": {"Organisation": 2}, "relationships": {"PART_OF": 1}}
    assert after[1][0]["source_ids"] == ["roster.xlsx"]
    assert (first.nodes_written, first.relationships_written) == (2, 1)
    assert second.relationships_written == 1 and second.unresolved == []


def test_upsert_merges_properties(backend):
    backend.write([org("o1", "义乌市城市管理委员会", short_name="城管委")], source="a")
    # A later record changes one property, adds one and leaves the others alone.
    backend.write([org("o1", "义乌市综合行政执法局", region_code="330782")], source="b")
    row = backend.nodes("Organisation").to_dict("records")[0]
    assert row["name"] == "义乌市综合行政执法局"
    assert row["short_name"] == "城管委"
    assert row["region_code"] == "330782"
    assert backend.nodes("Organisation", include_sources=True).loc[0, "source_ids"] == ["a", "b"]


def test_fill_records_only_fill_what_a_node_lacks(backend):
    # A record that names an entity in passing (fill) never overwrites what a describing record says,
    # whichever comes first, within one batch or across batches.
    backend.write([NodeRecord("Organisation", "o1", {"name": "义乌市城管委"}, fill=True)], source="bids")
    assert backend.nodes("Organisation").loc[0, "name"] == "义乌市城管委"  # nothing else named it yet
    backend.write([org("o1", "义乌市城市管理委员会")], source="registry")
    backend.write(
        [NodeRecord("Organisation", "o1", {"name": "义乌市城管局", "short_name": "城管委"}, fill=True)],
        source="bids-2",
    )
    row = backend.nodes("Organisation").to_dict("records")[0]
    assert (row["name"], row["short_name"]) == ("义乌市城市管理委员会", "城管委")
    backend.write(
        [
            NodeRecord("Organisation", "o2", {"name": "填写的名称"}, fill=True),
            org("o2", "登记的名称"),
            NodeRecord("Organisation", "o3", {"name": "甲"}, fill=True),
            NodeRecord("Organisation", "o3", {"name": "乙"}, fill=True),
        ],
        source="one-batch",
    )
    names = dict(backend.nodes("Organisation")[["org_id", "name"]].itertuples(index=False))
    assert names["o2"] == "登记的名称"
    assert names["o3"] == "甲"  # the first of two fill records stands
    assert backend.nodes("Organisation", include_sources=True).set_index("org_id").loc["o2", "source_ids"] == [
        "one-batch"
    ]


def test_duplicate_key_within_one_batch_is_one_node(backend):
    report = backend.write([org("o1", "旧名"), org("o1", "新名")], source="s")
    assert backend.count_nodes("Organisation") == 1
    assert backend.nodes("Organisation").loc[0, "name"] == "新名"
    assert report.nodes_written == 2


def test_keyed_relationships_are_parallel_unkeyed_are_not(backend):
    backend.write([person("p1", "李明华"), org("o1", "义乌市城管委")], source="s")
    backend.write(
        [
            rel("SERVES_AT", ("Person", "p1"), ("Organisation", "o1"), post="副主任", start_date=D(2018, 3, 1)),
            rel("SERVES_AT", ("Person", "p1"), ("Organisation", "o1"), post="主任", start_date=D(2023, 1, 1)),
            # Same post and start again: the same relationship, updated.
            rel(
                "SERVES_AT",
                ("Person", "p1"),
                ("Organisation", "o1"),
                post="主任",
                start_date=D(2023, 1, 1),
                leading=True,
            ),
            # A post without a start date is its own identity, not an error.
            rel("SERVES_AT", ("Person", "p1"), ("Organisation", "o1"), post="党组书记"),
        ],
        source="s",
    )
    frame = backend.relationships("SERVES_AT")
    assert len(frame) == 3
    assert sorted(frame["post"]) == ["主任", "党组书记", "副主任"]
    assert frame.set_index("post").loc["主任", "leading"] is True
    backend.write([org("o2", "另一单位")], source="s")
    for _ in range(2):
        backend.write([rel("PART_OF", ("Organisation", "o1"), ("Organisation", "o2"))], source="s")
    assert backend.count_relationships("PART_OF") == 1


def test_relationship_to_missing_node_is_reported_not_invented(backend):
    backend.write([org("o1", "甲")], source="s")
    report = backend.write(
        [
            rel("PART_OF", ("Organisation", "o1"), ("Organisation", "nowhere")),
            rel("PART_OF", ("Organisation", "o1"), ("Organisation", "o1")),
        ],
        source="s",
    )
    assert [(e.start.key, e.end.key) for e in report.unresolved] == [("o1", "nowhere")]
    assert report.relationships_written == 1
    assert backend.count_nodes() == 1
    assert backend.count_relationships() == 1


def test_invalid_records_are_refused_before_anything_is_written(backend):
    with pytest.raises(ValidationError) as err, backend.writer("s") as w:
        w.add_node(org("o1", "甲"))
        w.add_node(NodeRecord("Organisation", "o2", {"name": "乙", "tier": "galaxy"}))
    assert "tier" in err.value.errors
    # The writer failed inside its block: the partial batch is dropped whole.
    assert backend.count_nodes() == 0


def test_writer_commits_whole_batches_and_drops_the_partial_one(backend):
    with pytest.raises(RuntimeError), backend.writer("s", batch_size=3) as w:
        for i in range(7):
            w.add_node(org(f"o{i}", f"单位{i}"))
        raise RuntimeError("crash mid-ingest")
    assert backend.count_nodes("Organisation") == 6
    w2 = backend.writer("s")
    w2.close()
    with pytest.raises(LiandongError):
        w2.add_node(org("x", "x"))


def test_large_batch_of_100k_records(backend):
    n = 50_000
    nodes = (NodeRecord("Company", f"c{i:06d}", {"name": f"公司{i}", "registered_capital": float(i)}) for i in range(n))
    backend.write(nodes, source="bulk", batch_size=100_000)
    edges = (
        rel("SHAREHOLDER_OF", ("Company", f"c{i:06d}"), ("Company", f"c{(i + 1) % n:06d}"), share=0.5) for i in range(n)
    )
    report = backend.write(edges, source="bulk", batch_size=100_000)
    assert report.relationships_written == n and report.batches == 1
    assert backend.count_nodes("Company") == n
    assert backend.count_relationships("SHAREHOLDER_OF") == n
    frame = backend.nodes("Company", where={"company_id": ["c000007", "c049999"]})
    assert frame["name"].tolist() == ["公司7", "公司49999"]
    assert frame["registered_capital"].tolist() == [7.0, 49999.0]


# -------------------------------------------------------------- retraction


def test_retract_source_removes_only_what_it_alone_asserted(backend):
    backend.write(
        [
            org("prov", "省委", "province"),
            org("city", "市委", "city"),
            org("only-a", "甲独有"),
            rel("PART_OF", ("Organisation", "city"), ("Organisation", "prov")),
            rel("PART_OF", ("Organisation", "only-a"), ("Organisation", "city")),
        ],
        source="a",
    )
    backend.write(
        [
            org("prov", "省委", "province"),
            org("city", "市委", "city"),
            org("only-b", "乙独有"),
            rel("PART_OF", ("Organisation", "city"), ("Organisation", "prov")),
            rel("PART_OF", ("Organisation", "only-b"), ("Organisation", "only-a")),
        ],
        source="b",
    )
    report = backend.retract_source("a")
    # only-a goes, and with it the b-asserted relationship that touched it.
    assert (report.nodes_deleted, report.relationships_deleted) == (1, 2)
    assert (report.nodes_kept, report.relationships_kept) == (2, 1)
    assert backend.nodes("Organisation")["org_id"].tolist() == ["city", "only-b", "prov"]
    rels = backend.relationships("PART_OF", include_sources=True)
    assert rels[["start_key", "end_key"]].values.tolist() == [["city", "prov"]]
    assert rels.loc[0, "source_ids"] == ["b"]
    assert set(backend.nodes("Organisation", include_sources=True)["source_ids"].map(tuple)) == {("b",)}
    assert backend.sources() == ["b"]
    # Retracting again, or an unknown source, does nothing.
    assert backend.retract_source("a") == type(report)("a", 0, 0, 0, 0)
    assert backend.retract_source("never") == type(report)("never", 0, 0, 0, 0)


def test_corrected_file_replaces_its_earlier_version(backend):
    v1 = [org("o1", "甲"), org("o2", "错误的单位"), rel("PART_OF", ("Organisation", "o2"), ("Organisation", "o1"))]
    v2 = [org("o1", "甲"), org("o3", "正确的单位"), rel("PART_OF", ("Organisation", "o3"), ("Organisation", "o1"))]
    backend.write(v1, source="county-2024.xlsx")
    backend.retract_source("county-2024.xlsx")
    backend.write(v2, source="county-2024.xlsx")
    assert backend.nodes("Organisation")["org_id"].tolist() == ["o1", "o3"]
    assert backend.relationships("PART_OF")[["start_key", "end_key"]].values.tolist() == [["o3", "o1"]]


# ------------------------------------------------------- text and types

TRICKY = [
    "浙江省　供销合作社（联合社）",  # full-width space and brackets
    "ＡＢＣ１２３－义乌",  # full-width Latin letters and digits
    "'}) DETACH DELETE n //",  # Cypher injection attempt, stored literally
    "Robert'); DROP TABLE nodes;--",  # SQL injection attempt, stored literally
    'quote " backslash \\ newline\nend',
    "𠀀𪚥 emoji 🏛️ and combining é",
    "$.name",  # looks like a JSON path
]


@pytest.mark.parametrize("text", TRICKY)
def test_text_is_stored_literally_and_found_by_filter(backend, text):
    backend.write([org("k-" + str(TRICKY.index(text)), text), org("other", "别的")], source=text)
    frame = backend.nodes("Organisation", where={"name": text}, include_sources=True)
    assert frame["name"].tolist() == [text]
    assert frame.loc[0, "source_ids"] == [text]
    assert backend.count_nodes() == 2


def test_keys_with_chinese_and_full_width_characters(backend):
    key = "义乌市稠城街道工人北路１０８８号"
    backend.write(
        [
            NodeRecord("Address", key, {"text": key}),
            NodeRecord("Company", "公司甲", {"name": "公司甲"}),
            rel("HAS_ADDRESS", ("Company", "公司甲"), ("Address", key)),
        ],
        source="s",
    )
    assert backend.relationships("HAS_ADDRESS")["end_key"].tolist() == [key]
    assert backend.neighbourhood(("Address", key))["key"].tolist() == ["公司甲"]


def test_every_property_type_round_trips(types_backend):
    aware = dt.datetime(2024, 5, 1, 9, 30, 15, 123000, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    props = {
        "name": "全类型",
        "count": 2**62,
        "weight": 0.1 + 0.2,
        "day": D(2023, 5, 1),
        "moment": aware,
        "flag": False,
        "tags": ["巡视", "巡察", "巡视"],
        "numbers": [3, -1, 0],
        "days": [D(2020, 1, 31), D(1999, 12, 31)],
        "colour": "red",
    }
    types_backend.write(
        [
            NodeRecord("Thing", "t1", props),
            NodeRecord("Thing", "t2", {"moment": dt.datetime(2023, 1, 2, 3, 4, 5), "weight": 3}),
        ],
        source="s",
    )
    rows = {r["thing_id"]: r for r in types_backend.nodes("Thing").to_dict("records")}
    got = rows["t1"]
    for name, value in props.items():
        assert got[name] == value, name
        assert type(got[name]) is type(value), name
    assert type(got["day"]) is dt.date
    assert got["moment"].utcoffset() == dt.timedelta(hours=8)
    assert rows["t2"]["moment"] == dt.datetime(2023, 1, 2, 3, 4, 5) and rows["t2"]["moment"].tzinfo is None
    assert rows["t2"]["weight"] == 3.0 and type(rows["t2"]["weight"]) is float
    assert rows["t2"]["tags"] is None


def test_relationship_properties_and_identity_types(types_backend):
    types_backend.write(
        [
            NodeRecord("Thing", "a"),
            NodeRecord("Thing", "b"),
            NodeRecord("Box", "x"),
            EdgeRecord("LINKS", NodeRef("Thing", "a"), NodeRef("Thing", "b"), {"weight": 1.5, "since": D(2021, 2, 3)}),
            EdgeRecord("HOLDS", NodeRef("Box", "x"), NodeRef("Thing", "a"), {"slot": 1}),
            EdgeRecord("HOLDS", NodeRef("Box", "x"), NodeRef("Thing", "a"), {"slot": 2}),
            EdgeRecord("HOLDS", NodeRef("Box", "x"), NodeRef("Box", "x"), {"slot": 1}),
        ],
        source="s",
    )
    links = types_backend.relationships("LINKS").to_dict("records")
    assert links == [
        {
            "start_label": "Thing",
            "start_key": "a",
            "end_label": "Thing",
            "end_key": "b",
            "weight": 1.5,
            "since": D(2021, 2, 3),
        }
    ]
    holds = types_backend.relationships("HOLDS")
    assert holds[["end_label", "slot"]].values.tolist() == [["Box", 1], ["Thing", 1], ["Thing", 2]]


def test_filters(types_backend):
    types_backend.write(
        [
            NodeRecord(
                "Thing",
                f"t{i}",
                {
                    "count": i,
                    "flag": i % 2 == 0,
                    "day": D(2024, 1, i + 1),
                    "colour": "red" if i < 2 else "green",
                    "weight": i / 2,
                },
            )
            for i in range(5)
        ],
        source="s",
    )
    by = types_backend.nodes
    assert by("Thing", where={"count": 3})["thing_id"].tolist() == ["t3"]
    assert by("Thing", where={"flag": True})["thing_id"].tolist() == ["t0", "t2", "t4"]
    assert by("Thing", where={"day": D(2024, 1, 2)})["thing_id"].tolist() == ["t1"]
    assert by("Thing", where={"colour": ["red"], "flag": False})["thing_id"].tolist() == ["t1"]
    assert by("Thing", where={"weight": 1.5})["thing_id"].tolist() == ["t3"]
    assert by("Thing", where={"count": [0, 4, 99]})["thing_id"].tolist() == ["t0", "t4"]
    assert by("Thing", where={"count": 99}).empty
    assert list(by("Thing", where={"count": 99}).columns)[:3] == ["thing_id", "name", "count"]
    with pytest.raises(SchemaError, match="no property"):
        by("Thing", where={"nope": 1})
    with pytest.raises(SchemaError, match="not one of"):
        by("Thing", where={"colour": "blue"})
    with pytest.raises(SchemaError, match="list"):
        by("Thing", where={"tags": "x"})


def test_unknown_names_never_reach_the_database(backend):
    with pytest.raises(SchemaError, match="unknown node label"):
        backend.nodes("Organisation) DETACH DELETE (n")
    with pytest.raises(SchemaError, match="unknown relationship type"):
        backend.relationships("PART_OF]->() DELETE r //")
    with pytest.raises(SchemaError):
        backend.projection(["Nope"], ["PART_OF"])
    with pytest.raises(ValidationError):
        backend.write(
            [NodeRecord("Organisation", "o", {"name": "x", "tier": "city", "source_ids": ["forged"]})], source="s"
        )


# ---------------------------------------------- projections and paths


def _procurement_graph(backend):
    # A county tender: its buyer, three bidders, one winner; a cadre at the buyer
    # whose spouse is an officer of the winner (the conflict-of-interest shape),
    # and an unrelated cadre and tender that must not show up.
    backend.write(
        [
            org("cgw", "义乌市城管委"),
            org("edu", "义乌市教育局"),
            person("li", "李明华"),
            person("chen", "陈美玲"),
            person("wu", "吴无关"),
            NodeRecord("Tender", "t1", {"title": "环卫一体化", "budget": 4.5e7}),
            NodeRecord("Tender", "t2", {"title": "校舍维修"}),
            NodeRecord("Company", "c1", {"name": "洁城环境"}),
            NodeRecord("Company", "c2", {"name": "美洁物业"}),
            NodeRecord("Company", "c3", {"name": "绿源环卫"}),
            rel("ISSUED", ("Organisation", "cgw"), ("Tender", "t1")),
            rel("ISSUED", ("Organisation", "edu"), ("Tender", "t2")),
            rel("BID_ON", ("Company", "c1"), ("Tender", "t1"), amount=4.38e7, rank=1, won=True),
            rel("BID_ON", ("Company", "c2"), ("Tender", "t1"), amount=4.415e7, rank=2, won=False),
            rel("BID_ON", ("Company", "c3"), ("Tender", "t1"), amount=4.49e7, rank=3, won=False),
            rel("BID_ON", ("Company", "c3"), ("Tender", "t2"), amount=1.0e6, rank=1, won=True),
            rel("SERVES_AT", ("Person", "li"), ("Organisation", "cgw"), post="主任", start_date=D(2023, 1, 1)),
            rel("SERVES_AT", ("Person", "wu"), ("Organisation", "edu"), post="局长"),
            rel("RELATIVE_OF", ("Person", "chen"), ("Person", "li"), relation="spouse"),
            rel("OFFICER_OF", ("Person", "chen"), ("Company", "c1"), role="supervisor"),
        ],
        source="procurement",
    )


def test_projection_to_networkx(backend):
    _procurement_graph(backend)
    g = backend.projection(
        ["Company", "Tender"], ["BID_ON", "ISSUED"], node_properties=["name"], rel_properties=["amount", "won"]
    )
    assert isinstance(g, nx.MultiDiGraph)
    # ISSUED starts at an Organisation, which is not projected: no such edges.
    assert g.number_of_nodes() == 5 and g.number_of_edges() == 4
    assert g.nodes[NodeRef("Company", "c1")] == {"label": "Company", "name": "洁城环境"}
    assert "name" not in g.nodes[NodeRef("Tender", "t1")]
    edge = g.get_edge_data(NodeRef("Company", "c1"), NodeRef("Tender", "t1"))[0]
    assert edge == {"type": "BID_ON", "amount": 4.38e7, "won": True}
    co_bid = nx.bipartite.weighted_projected_graph(
        nx.Graph(g.to_undirected(as_view=False)), [n for n, d in g.nodes(data=True) if d["label"] == "Company"]
    )
    assert sorted(tuple(sorted(k.key for k in e)) for e in co_bid.edges) == [("c1", "c2"), ("c1", "c3"), ("c2", "c3")]
    simple = backend.projection(["Company", "Tender"], ["BID_ON"], directed=False, multigraph=False)
    assert type(simple) is nx.Graph and simple.number_of_edges() == 4


def test_neighbourhood(backend):
    _procurement_graph(backend)
    one = backend.neighbourhood(("Tender", "t1"), depth=1)
    assert one.values.tolist() == [
        ["Company", "c1", 1],
        ["Company", "c2", 1],
        ["Company", "c3", 1],
        ["Organisation", "cgw", 1],
    ]
    two = backend.neighbourhood(("Tender", "t1"), rel_types=["BID_ON", "OFFICER_OF"], depth=2)
    assert two.values.tolist()[-2:] == [["Person", "chen", 2], ["Tender", "t2", 2]]
    out_only = backend.neighbourhood(("Company", "c3"), direction="out")
    assert out_only["key"].tolist() == ["t1", "t2"]
    in_only = backend.neighbourhood(("Company", "c1"), direction="in")
    assert in_only["key"].tolist() == ["chen"]
    people_only = backend.neighbourhood(("Person", "li"), depth=3, labels=["Person", "Company"])
    assert people_only["key"].tolist() == ["chen", "c1"]
    assert backend.neighbourhood(("Tender", "missing")).empty
    with pytest.raises(LiandongError):
        backend.neighbourhood(("Tender", "t1"), depth=0)


def test_paths_find_the_conflict_and_nothing_else(backend):
    _procurement_graph(backend)
    coi = ["SERVES_AT", "ISSUED", "RELATIVE_OF", "OFFICER_OF", "BID_ON"]
    paths = backend.paths(("Person", "li"), ("Tender", "t1"), coi, max_hops=4)
    assert [str(p) for p in paths] == [
        "Person[li]-[SERVES_AT 主任 2023-01-01]->Organisation[cgw]-[ISSUED]->Tender[t1]",
        "Person[li]<-[RELATIVE_OF]-Person[chen]-[OFFICER_OF supervisor]->Company[c1]-[BID_ON]->Tender[t1]",
    ]
    assert [len(p) for p in paths] == [2, 3]
    # Within two hops the relative's route is out of reach.
    assert len(backend.paths(("Person", "li"), ("Tender", "t1"), coi, max_hops=2)) == 1
    # The unrelated cadre reaches t1 only through another tender's bidder (4 hops), not within 3.
    assert backend.paths(("Person", "wu"), ("Tender", "t1"), coi, max_hops=3) == []
    assert len(backend.paths(("Person", "wu"), ("Tender", "t1"), coi, max_hops=4)) == 1
    # Direction matters when asked for: no outgoing route from the tender to the cadre.
    assert backend.paths(("Tender", "t1"), ("Person", "li"), coi, max_hops=4, direction="out") == []
    assert len(backend.paths(("Tender", "t1"), ("Person", "li"), coi, max_hops=4, direction="in")) == 1
    # Paths are simple: never revisit a node.
    for p in backend.paths(("Company", "c1"), ("Company", "c3"), None, max_hops=6):
        assert len(set(p.nodes)) == len(p.nodes)


def test_stats_and_counts(backend):
    assert backend.stats() == {"nodes": {}, "relationships": {}}
    _procurement_graph(backend)
    stats = backend.stats()
    assert stats["nodes"] == {"Company": 3, "Organisation": 2, "Person": 3, "Tender": 2}
    assert stats["relationships"]["BID_ON"] == 4
    assert backend.count_nodes() == 10
    assert backend.count_relationships() == 10
    assert backend.count_relationships("SAME_AS") == 0


def test_reads_spanning_many_pages_return_every_row_once(backend, monkeypatch):
    # Neo4j reads page by key (graphmodel/backends/neo4j_.py, _PAGE); pages of 3 make every read below
    # cross several pages, with start nodes that have no relationship, two start labels, and filters.
    if backend.kind == "neo4j":
        from graphmodel.backends import neo4j_

        monkeypatch.setattr(neo4j_, "_PAGE", 3)
    people = [person(f"p{i:02d}", f"股东{i}") for i in range(11)]
    firm_keys = ["c01", "c02", "c03", "Ｃ０４", "公司甲", "公司乙", "c07"]
    firms = [NodeRecord("Company", k, {"name": f"企业{k}"}) for k in firm_keys]
    holdings = [
        # every second person holds c01, a share each; p10 holds nothing
        *(rel("SHAREHOLDER_OF", ("Person", f"p{i:02d}"), ("Company", "c01"), share=0.1) for i in range(0, 10, 2)),
        rel("SHAREHOLDER_OF", ("Person", "p03"), ("Company", "公司甲"), share=0.5, start_date=D(2020, 1, 2)),
        rel("SHAREHOLDER_OF", ("Person", "p03"), ("Company", "Ｃ０４"), share=0.25),
        # companies holding companies: the second start label
        rel("SHAREHOLDER_OF", ("Company", "c02"), ("Company", "c03"), share=0.5),
        rel("SHAREHOLDER_OF", ("Company", "公司乙"), ("Company", "c01"), share=0.3),
        rel("SHAREHOLDER_OF", ("Company", "c07"), ("Company", "公司甲"), share=0.5),
    ]
    backend.write([*people, *firms, *holdings], source="registry.csv")

    assert backend.nodes("Person")["person_id"].tolist() == [f"p{i:02d}" for i in range(11)]
    assert sorted(backend.nodes("Company")["company_id"]) == sorted(firm_keys)
    assert backend.nodes("Person", where={"name": ["股东3", "股东10"]})["person_id"].tolist() == ["p03", "p10"]

    frame = backend.relationships("SHAREHOLDER_OF", include_sources=True)
    got = sorted(zip(frame["start_label"], frame["start_key"], frame["end_key"], frame["share"], strict=True))
    want = sorted((h.start.label, h.start.key, h.end.key, h.props["share"]) for h in holdings)
    assert got == want
    assert all(ids == ["registry.csv"] for ids in frame["source_ids"])
    dated = frame[frame["start_key"] == "p03"].set_index("end_key")["start_date"]
    assert dated["公司甲"] == D(2020, 1, 2) and dated["Ｃ０４"] is None

    halves = backend.relationships("SHAREHOLDER_OF", where={"share": 0.5})
    assert sorted(zip(halves["start_key"], halves["end_key"], strict=True)) == [
        ("c02", "c03"),
        ("c07", "公司甲"),
        ("p03", "公司甲"),
    ]
    assert backend.relationships("SHAREHOLDER_OF", where={"share": 0.9}).empty

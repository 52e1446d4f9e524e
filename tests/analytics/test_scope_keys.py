"""Keys are the user's: scope and resolution read regions, offices and tiers from properties, never from keys.

A user's mapping may key a department "信访室-001" or an organisation "U0042"; the
same graph under such keys must be scoped and resolved exactly as under the
shipped mappings' conventional keys (``org:330102:…``, ``dept:330102:…``).
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict

import pytest

from analytics import GraphView
from graphmodel import EdgeRecord, GraphBackend, NodeRecord, NodeRef
from ingest.resolve import Resolver

from .conftest import TinyWorld

# Labels whose keys are names of things, not entity keys a mapping makes up.
_KEPT = {"Source", "ProblemCategory"}


def _opaque(label: str, key: str) -> str:
    """A key with no prefix, no colon and no digits: letters from a hash of the conventional key."""
    if label in _KEPT:
        return key
    digest = hashlib.blake2b(f"{label}\0{key}".encode(), digest_size=8).hexdigest()
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def _copy_with_opaque_keys(source: GraphBackend, target: GraphBackend) -> dict[tuple[str, str], str]:
    """Copy every node and relationship of ``source`` (resolution left out) with opaque keys, each under the
    source (file) that wrote it, so provenance (an office read from its file) is kept; the key map back."""
    back: dict[tuple[str, str], str] = {}
    records: dict[str, list[NodeRecord | EdgeRecord]] = defaultdict(list)
    for label, node_type in source.schema.nodes.items():
        frame = source.nodes(label, include_sources=True)
        for row in frame.to_dict("records"):
            key = row.pop(node_type.key)
            row.pop("canonical_id", None)
            sources = sorted(row.pop("source_ids", None) or ["user-keys"])
            new = _opaque(label, key)
            back[(label, new)] = key
            for s in sources:
                records[s].append(NodeRecord(label, new, row))
    for rel_type in source.schema.relationships:
        if rel_type == "SAME_AS":
            continue
        for row in source.relationships(rel_type, include_sources=True).to_dict("records"):
            start = NodeRef(row.pop("start_label"), "")
            end = NodeRef(row.pop("end_label"), "")
            start = NodeRef(start.label, _opaque(start.label, row.pop("start_key")))
            end = NodeRef(end.label, _opaque(end.label, row.pop("end_key")))
            for s in sorted(row.pop("source_ids", None) or ["user-keys"]):
                records[s].append(EdgeRecord(rel_type, start, end, row))
    # Nodes first, then relationships, so no relationship is written before its ends.
    for nodes in (True, False):
        for s, written in sorted(records.items()):
            target.write([r for r in written if isinstance(r, NodeRecord) == nodes], source=s)
    return back


def _clusters(backend: GraphBackend, label: str, back: dict[tuple[str, str], str] | None = None) -> set[frozenset]:
    """Resolution as a partition of record keys (conventional keys, mapped back when ``back`` is given)."""
    frame = backend.nodes(label)
    key = backend.schema.node(label).key
    members: dict[str, set[str]] = defaultdict(set)
    for k, c in zip(frame[key], frame["canonical_id"], strict=True):
        members[c if isinstance(c, str) else k].add(back[(label, k)] if back else k)
    return {frozenset(m) for m in members.values()}


def _scoped(view: GraphView, back: dict[tuple[str, str], str] | None = None) -> dict[str, set[str]]:
    """What a scoped view keeps, by conventional record keys: organisation records, leads, findings, tenders."""
    name = (lambda label, k: back[(label, k)]) if back else (lambda label, k: k)
    canonical = view.canonical("Organisation")
    return {
        "organisations": {name("Organisation", r) for r, c in canonical.items() if c in view._scope_orgs},
        "leads": {name("Lead", k) for k in view.leads["lead"]},
        "findings": {name("Finding", k) for k in view.findings["finding"]},
        "tenders": {name("Tender", k) for k in view.tenders["tender"]},
        "transfers": {name("Transfer", k) for k in view.transfers["transfer"]},
    }


@pytest.fixture()
def user_keyed(tiny_world: TinyWorld, backend: GraphBackend) -> tuple[GraphBackend, dict[tuple[str, str], str]]:
    back = _copy_with_opaque_keys(tiny_world.backend, backend)
    Resolver(backend).run()
    return backend, back


def test_opaque_keys_carry_no_meaning(user_keyed):
    graph, _ = user_keyed
    keys = list(graph.nodes("Organisation")["org_id"]) + list(graph.nodes("Person")["person_id"])
    assert keys and not any(":" in k or any(c.isdigit() for c in k) for k in keys)


def test_same_resolution_whatever_the_keys(tiny_world, user_keyed):
    graph, back = user_keyed
    for label in ("Organisation", "Person", "Company"):
        assert _clusters(graph, label, back) == _clusters(tiny_world.backend, label), label


def test_same_scope_whatever_the_keys(tiny_world, user_keyed):
    graph, back = user_keyed
    codes = sorted({c for c in GraphView(tiny_world.backend).organisations["region_code"].dropna() if len(c) == 6})
    county = next(c for c in codes if not c.endswith("00"))
    for scope in (county, county[:4] + "00", county[:2] + "0000"):
        conventional = _scoped(GraphView(tiny_world.backend, scope=scope))
        user = _scoped(GraphView(graph, scope=scope), back)
        assert conventional["leads"] and conventional["findings"], scope
        assert user == conventional, scope


def _org(key: str, name: str, **props: object) -> NodeRecord:
    return NodeRecord("Organisation", key, {"name": name, **props})


def _city_with_user_keys(backend: GraphBackend) -> None:
    # 温州市 (330300): a county's discipline commission keyed by the user "信访室-001" (region from its office,
    # 330302 鹿城区), a unit "U0042" placed only through its PART_OF parent "U0001", and a lead each department
    # received; elsewhere, a department of 杭州 (330100) and its lead; and "U0999", placed nowhere.
    backend.write(
        [
            _org("信访室-001", "鹿城区纪委监委", region_code="330302", office="330302"),
            _org("U0001", "鹿城区人民政府", region_code="330302", tier="county", office="330302"),
            _org("U0042", "鹿城区城市管理局", office="330302"),
            _org("信访室-002", "上城区纪委监委", region_code="330102", office="330102"),
            _org("U0777", "上城区城市管理局", region_code="330102", tier="county", office="330102"),
            _org("U0999", "某某办公室"),
            EdgeRecord("PART_OF", NodeRef("Organisation", "U0042"), NodeRef("Organisation", "U0001")),
            NodeRecord("Lead", "线索-1", {"source": "petition", "status": "registered", "category": "A01"}),
            NodeRecord("Lead", "线索-2", {"source": "petition", "status": "registered", "category": "A01"}),
            NodeRecord("Lead", "线索-3", {"source": "petition", "status": "registered", "category": "A01"}),
            EdgeRecord("RECEIVED", NodeRef("Organisation", "信访室-001"), NodeRef("Lead", "线索-1")),
            EdgeRecord("CONCERNS", NodeRef("Lead", "线索-1"), NodeRef("Organisation", "U0042")),
            EdgeRecord("RECEIVED", NodeRef("Organisation", "信访室-001"), NodeRef("Lead", "线索-2")),
            EdgeRecord("CONCERNS", NodeRef("Lead", "线索-2"), NodeRef("Organisation", "U0001")),
            EdgeRecord("RECEIVED", NodeRef("Organisation", "信访室-002"), NodeRef("Lead", "线索-3")),
            EdgeRecord("CONCERNS", NodeRef("Lead", "线索-3"), NodeRef("Organisation", "U0777")),
        ],
        source="user-mapping",
    )


@pytest.mark.parametrize(
    ("scope", "leads"),
    [
        ("330300", {"线索-1", "线索-2"}),  # the city keeps its county's leads
        ("330302", {"线索-1", "线索-2"}),
        ("330000", {"线索-1", "线索-2", "线索-3"}),
        ("330100", {"线索-3"}),
        ("330106", set()),
    ],
)
def test_scope_keeps_leads_of_departments_with_user_keys(backend, scope, leads):
    _city_with_user_keys(backend)
    view = GraphView(backend, scope=scope)
    assert set(view.leads["lead"]) == leads
    assert "U0999" not in view.organisations.index


def test_an_organisation_with_no_region_is_listed_as_unplaced(backend, caplog):
    _city_with_user_keys(backend)
    full = GraphView(backend)
    assert list(full.unplaced.index) == ["U0999"]
    assert full.unplaced.loc["U0999", "why"] == "no region_code on its records and no PART_OF parent"
    assert full.unplaced.loc["U0999", "name"] == "某某办公室"
    # U0042 has no region of its own: its PART_OF parent places it.
    assert full._placed["U0042"] == ("330302", "PART_OF U0001")
    with caplog.at_level(logging.WARNING, logger="analytics.graphview"):
        scoped = GraphView(backend, scope="330300")
        assert "U0042" in scoped.organisations.index
    assert "scope 330300: 1 organisation(s) have no region and are left out" in caplog.text


def test_scope_follows_retired_region_codes(backend):
    # 110228 密云县 became 110118 密云区 in 2015: an organisation written with the old code is in the district,
    # in 北京市, and in a scope given as either code; 110208 (its code before 1982) too.
    backend.write(
        [
            _org("A", "密云县教育局", region_code="110228"),
            _org("B", "密云区水务局", region_code="110118"),
            _org("C", "密云县财政局", region_code="110208"),
            _org("D", "延庆区水务局", region_code="110119"),
        ],
        source="user-mapping",
    )
    for scope in ("110118", "110228", "110208"):
        assert set(GraphView(backend, scope=scope).organisations.index) == {"A", "B", "C"}, scope
    assert set(GraphView(backend, scope="110000").organisations.index) == {"A", "B", "C", "D"}
    assert GraphView(backend, scope="110000").in_scope("110228")
    assert not GraphView(backend, scope="110119").in_scope("110228")

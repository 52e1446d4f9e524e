"""The declared schema: it covers the domain, follows the naming rules, and validates per property."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from graphmodel import EdgeRecord, NodeRecord, NodeRef, SchemaError, ValidationError, load_schema
from graphmodel.model import build_schema

SCHEMA = load_schema()


def test_every_domain_label_and_type_is_declared():
    # domain.md, "The graph": nodes and relationships the engine must hold.
    labels = {
        "Organisation",
        "Person",
        "Tour",
        "Round",
        "Team",
        "Finding",
        "ProblemCategory",
        "Lead",
        "Transfer",
        "Rectification",
        "Case",
        "Company",
        "Tender",
        "Address",
        "Phone",
        "Source",
        "Declaration",
    }
    types = {
        "PART_OF",
        "SERVES_AT",
        "INSPECTED",
        "FOUND",
        "CONCERNS",
        "IN_CATEGORY",
        "RELAYED_TO",
        "TRANSFERRED_TO",
        "RECTIFIES",
        "RESULTED_IN",
        "BID_ON",
        "ISSUED",
        "OFFICER_OF",
        "SHAREHOLDER_OF",
        "RELATIVE_OF",
        "HAS_ADDRESS",
        "HAS_PHONE",
        "MEMBER_OF",
        "SAME_AS",
    }
    assert labels <= set(SCHEMA.nodes)
    assert types <= set(SCHEMA.relationships)


def test_secrets_are_marked():
    assert "resident_id_hash" in SCHEMA.node("Person").secret_properties
    assert {"petitioner_hash", "summary"} <= SCHEMA.node("Lead").secret_properties
    assert "content" in SCHEMA.node("Declaration").secret_properties
    assert "relation" in SCHEMA.relationship("RELATIVE_OF").secret_properties
    assert not SCHEMA.node("Organisation").secret_properties


def test_enums_carry_chinese_labels():
    tier = SCHEMA.node("Organisation").property("tier")
    assert tier.enum["county"] == "县级"
    assert SCHEMA.node("Tour").property("kind").enum["lookback"] == "回头看"


@pytest.mark.parametrize(
    "record, prop, fragment",
    [
        (NodeRecord("Organisation", "o", {"tier": "city"}), "name", "required"),
        (NodeRecord("Organisation", "o", {"name": "x", "tier": "town"}), "tier", "not one of"),
        (
            NodeRecord("Organisation", "o", {"name": "x", "tier": "city", "region_code": "33060"}),
            "region_code",
            "pattern",
        ),
        (NodeRecord("Organisation", "o", {"name": "x", "tier": "city", "colour": "red"}), "colour", "not a property"),
        (NodeRecord("Organisation", "o", {"name": 5, "tier": "city"}), "name", "expected text"),
        (NodeRecord("Organisation", "", {"name": "x", "tier": "city"}), "org_id", "non-empty"),
        (NodeRecord("Organisation", "o", {"name": "x\x00", "tier": "city"}), "name", "NUL"),
        (
            NodeRecord("Organisation", "o", {"name": "x", "tier": "city", "established": dt.datetime(2020, 1, 1)}),
            "established",
            "expected a date",
        ),
        (NodeRecord("Finding", "f", {"amount": float("nan")}), "amount", "not finite"),
        (
            NodeRecord("Round", "r", {"name": "x", "level": "city", "end_date": "2023-01-01"}),
            "end_date",
            "expected a date",
        ),
        (NodeRecord("Declaration", "d", {"year": True}), "year", "expected an integer"),
        (NodeRecord("Declaration", "d", {"year": 2**64}), "year", "64-bit"),
        (NodeRecord("Organisation", "o", {"name": "x", "tier": "city", "source_ids": ["s"]}), "source_ids", "reserved"),
        (NodeRecord("Organisation", "o", {"org_id": "other", "name": "x", "tier": "city"}), "org_id", "record key"),
    ],
)
def test_node_validation_names_the_property(record, prop, fragment):
    errors = SCHEMA.validate(record)
    assert prop in errors, errors
    assert any(fragment in message for message in errors[prop]), errors
    with pytest.raises(ValidationError) as err:
        SCHEMA.check(record)
    assert prop in err.value.errors and fragment in str(err.value)


def test_valid_records_have_no_errors():
    assert (
        SCHEMA.validate(
            NodeRecord("Organisation", "o", {"name": "中共义乌市委", "tier": "county", "region_code": "330782"})
        )
        == {}
    )
    assert (
        SCHEMA.validate(
            EdgeRecord(
                "SERVES_AT",
                NodeRef("Person", "p"),
                NodeRef("Organisation", "o"),
                {"post": "主任", "start_date": dt.date(2023, 1, 1)},
            )
        )
        == {}
    )
    assert SCHEMA.validate(NodeRecord("Company", "c", {"name": "x", "uscc": "91330782MA2E0B1X1T"})) == {}


@pytest.mark.parametrize(
    "record, prop, fragment",
    [
        (EdgeRecord("PART_OF", NodeRef("Person", "p"), NodeRef("Organisation", "o")), "(start)", "cannot start"),
        (EdgeRecord("BID_ON", NodeRef("Company", "c"), NodeRef("Organisation", "o")), "(end)", "cannot end"),
        (EdgeRecord("OFFICER_OF", NodeRef("Person", "p"), NodeRef("Company", "c")), "role", "required"),
        (EdgeRecord("SAME_AS", NodeRef("Person", "p"), NodeRef("Company", "c"), {"score": 0.9}), "(end)", "one label"),
        (EdgeRecord("BID_ON", NodeRef("Company", "c"), NodeRef("Tender", "t"), {"won": "yes"}), "won", "true/false"),
        (EdgeRecord("NOT_A_TYPE", NodeRef("Company", "c"), NodeRef("Tender", "t")), "(type)", "unknown"),
    ],
)
def test_edge_validation(record, prop, fragment):
    errors = SCHEMA.validate(record)
    assert any(fragment in m for m in errors.get(prop, [])), errors


def test_unknown_label_is_an_error_not_a_crash():
    assert "(label)" in SCHEMA.validate(NodeRecord("Nope", "x"))
    with pytest.raises(SchemaError, match="unknown node label"):
        SCHEMA.node("Nope")


@pytest.mark.parametrize(
    "doc, fragment",
    [
        ("nodes: {bad_label: {key: k, properties: {k: {type: string}}}}", "CamelCase"),
        (
            "nodes: {A: {key: k, properties: {k: {type: string}}}}\nrelationships: {badType: {from: [A], to: [A]}}",
            "CONST_CASE",
        ),
        ("nodes: {A: {key: k, properties: {k: {type: string}, BadProp: {type: int}}}}", "snake_case"),
        ("nodes: {A: {key: k, properties: {k: {type: string}, n: {type: decimal}}}}", "type must be"),
        ("nodes: {A: {key: missing, properties: {k: {type: string}}}}", "key property"),
        ("nodes: {A: {key: k, properties: {k: {type: int}}}}", "key properties are text"),
        (
            "nodes: {A: {key: k, properties: {k: {type: string}}}}\nrelationships: {R: {from: [A], to: [B]}}",
            "undeclared labels",
        ),
        ("nodes: {A: {key: k, properties: {k: {type: string}, source_ids: {type: string}}}}", "reserved"),
        ("nodes: {A: {key: k, properties: {k: {type: string}, n: {type: int, enum: [1]}}}}", "enum"),
    ],
)
def test_schema_files_are_checked_on_load(doc, fragment):
    with pytest.raises(SchemaError, match=fragment):
        build_schema([("test.yaml", yaml.safe_load(doc))])


def test_schema_as_data_round_trip():
    data = SCHEMA.to_dict()
    assert data["nodes"]["Person"]["properties"]["resident_id_hash"]["secret"] is True
    assert data["relationships"]["SERVES_AT"]["key"] == ["post", "start_date"]
    assert set(data["nodes"]) == set(SCHEMA.nodes)

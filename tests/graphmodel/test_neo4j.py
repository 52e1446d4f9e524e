"""What only the Neo4j backend promises: schema constraints, routing URIs, clear connection errors."""

from __future__ import annotations

import os

import pytest

from graphmodel import AuthenticationFailed, BackendError, BackendUnavailable, NodeRecord

pytestmark = pytest.mark.neo4j


def test_constraints_and_indexes_come_from_the_schema(neo4j_domain):
    names = {r["name"] for r in neo4j_domain._read("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {f"liandong_{label}_key" for label in neo4j_domain.schema.nodes} <= names
    indexes = {r["name"] for r in neo4j_domain._read("SHOW INDEXES YIELD name RETURN name")}
    assert "liandong_Organisation_region_code" in indexes


def test_key_uniqueness_is_enforced_by_the_server(neo4j_domain):
    from neo4j import exceptions

    neo4j_domain.clear()
    neo4j_domain.write([NodeRecord("Phone", "1")], source="s")
    with pytest.raises(exceptions.ConstraintError):
        neo4j_domain._driver.execute_query("CREATE (:Phone {phone_id: '1'})", database_=neo4j_domain.database)


def test_wrong_password_is_a_clear_error(neo4j_domain):
    from graphmodel.backends.neo4j_ import Neo4jBackend

    with pytest.raises(AuthenticationFailed, match="wrong password"):
        Neo4jBackend(neo4j_domain.uri, password="not-the-password")


def test_unreachable_server_is_a_clear_error():
    from graphmodel.backends.neo4j_ import Neo4jBackend

    with pytest.raises(BackendUnavailable, match="cannot reach Neo4j"):
        Neo4jBackend("neo4j://127.0.0.1:9", password="x")


def test_not_a_neo4j_uri():
    from graphmodel.backends.neo4j_ import Neo4jBackend

    with pytest.raises(BackendError, match="not a Neo4j address"):
        Neo4jBackend("http://127.0.0.1:7474", password="x")


def test_missing_database_is_a_clear_error(neo4j_domain):
    from graphmodel.backends.neo4j_ import Neo4jBackend

    with pytest.raises(BackendError, match="no database"):
        Neo4jBackend(neo4j_domain.uri, database="nosuchdb")


def test_bolt_uri_works_as_well_as_routing(neo4j_domain):
    from graphmodel.backends.neo4j_ import Neo4jBackend

    bolt = neo4j_domain.uri.replace("neo4j://", "bolt://")
    with Neo4jBackend(bolt, ensure_schema=False) as direct:
        assert direct.stats() == neo4j_domain.stats()
    assert os.environ["NEO4J_URI"].startswith(("neo4j://", "bolt://"))

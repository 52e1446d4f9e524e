"""Shared fixtures: one contract suite runs against every backend.

Tests that need Neo4j use the server named by NEO4J_URI / NEO4J_PASSWORD
(``.ci/run`` starts one). Without one they skip, saying why; with
LIANDONG_REQUIRE_NEO4J=1 (set in CI) they fail instead, so CI cannot pass
without having talked to a real server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphmodel import EmbeddedBackend, load_schema

FIXTURES = Path(__file__).parent / "fixtures"
TYPES_SCHEMA = load_schema(FIXTURES / "schema_types")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``-n 2 --dist loadgroup``, as ``.ci/run`` runs) the tests run on two workers.

    Every test that talks to the shared Neo4j server clears it first, so they all run on one worker, one
    after another; so do the fault tests, which start servers of their own and share a session-wide
    outage scenario. The other worker takes the rest.
    """
    if not hasattr(config, "workerinput"):  # not a pytest-xdist worker: nothing to schedule
        return
    here = Path(__file__).parent
    for item in items:
        if item.get_closest_marker("neo4j") is not None or here / "faults" in Path(item.path).parents:
            item.add_marker(pytest.mark.xdist_group("neo4j"))


def _neo4j_or_skip():
    if not os.environ.get("NEO4J_URI"):
        reason = "no Neo4j server configured (set NEO4J_URI and NEO4J_PASSWORD, or run bash .ci/run)"
        if os.environ.get("LIANDONG_REQUIRE_NEO4J"):
            pytest.fail("LIANDONG_REQUIRE_NEO4J is set but NEO4J_URI is not: " + reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def neo4j_domain():
    """A Neo4jBackend on the shipped schema, shared by the session."""
    _neo4j_or_skip()
    from graphmodel.backends.neo4j_ import Neo4jBackend

    backend = Neo4jBackend()
    yield backend
    backend.clear()
    backend.close()


@pytest.fixture(scope="session")
def neo4j_types():
    """A Neo4jBackend on the all-types test schema."""
    _neo4j_or_skip()
    from graphmodel.backends.neo4j_ import Neo4jBackend

    backend = Neo4jBackend(schema=TYPES_SCHEMA)
    yield backend
    backend.close()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def backend(request, tmp_path):
    """An empty backend on the shipped schema: embedded, then Neo4j."""
    if request.param == "embedded":
        b = EmbeddedBackend(tmp_path / "ws")
        yield b
        b.close()
    else:
        b = request.getfixturevalue("neo4j_domain")
        b.clear()
        yield b


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def types_backend(request, tmp_path):
    """An empty backend on the all-types test schema."""
    if request.param == "embedded":
        b = EmbeddedBackend(tmp_path / "ws-types", schema=TYPES_SCHEMA)
        yield b
        b.close()
    else:
        b = request.getfixturevalue("neo4j_types")
        b.clear()
        yield b

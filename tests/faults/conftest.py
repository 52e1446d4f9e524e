"""Fixtures of the fault-injection tests: one generated export, one reference ingest per backend.

The exports are ``liandong generate --scale tiny --seed 1``. The reference of a
backend is one uninterrupted ``liandong ingest`` of them into an empty graph;
every faulted ingest must end in exactly that graph (see ``graphdump``).

The Neo4j outage scenario (``outage.py``) mostly waits — for a server to
boot, twice, and for the driver to give up — so when a selected test needs
it, it starts in the background with this folder's first test, and the tests
that read its results run after the folder's others.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.generator import generate

from ..conftest import _neo4j_or_skip
from .harness import Reference, Target, embedded_target, neo4j_target, neo4j_unavailable, record_reference
from .outage import OutageScenario, cannot_run_a_server


class _Session:
    lock = threading.Lock()
    root: Path | None = None
    exports: Path | None = None
    outage: OutageScenario | None = None
    outage_unavailable = "the outage scenario was not started"


def _root() -> Path:
    with _Session.lock:
        if _Session.root is None:
            _Session.root = Path(tempfile.mkdtemp(prefix="liandong-faults-"))
        return _Session.root


def _exports() -> Path:
    root = _root()
    with _Session.lock:
        if _Session.exports is None:
            generate("tiny", 1, root / "exports")
            _Session.exports = root / "exports"
        return _Session.exports


def _waits_for_outage(item: pytest.Item) -> bool:
    return "outage" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items) -> None:
    """The tests that read the outage scenario's results go after this folder's other tests."""
    waiting = [item for item in items if _waits_for_outage(item)]
    if not waiting:
        return
    rest = [item for item in items if not _waits_for_outage(item)]
    here = Path(__file__).parent
    ours = [n for n, item in enumerate(rest) if here in Path(item.path).parents]
    at = ours[-1] + 1 if ours else len(rest)
    items[:] = rest[:at] + waiting + rest[at:]


@pytest.fixture(scope="session", autouse=True)
def _outage_in_the_background(request):
    """Start the outage scenario when this folder's first test starts, if a selected test reads it."""
    if any(_waits_for_outage(item) for item in request.session.items) and os.environ.get("NEO4J_URI"):
        # Without NEO4J_URI those tests skip, or fail under LIANDONG_REQUIRE_NEO4J, as every Neo4j test does.
        reason = cannot_run_a_server()
        if reason:
            _Session.outage_unavailable = reason
        else:
            _Session.outage = OutageScenario(_root() / "outage", _exports)
            _Session.outage.start()
    yield
    if _Session.outage is not None:
        _Session.outage.stop()


def pytest_sessionfinish(session, exitstatus) -> None:
    if _Session.root is not None:
        shutil.rmtree(_Session.root, ignore_errors=True)


@pytest.fixture(scope="session")
def outage() -> OutageScenario:
    """The finished outage scenario; its server is up again."""
    _neo4j_or_skip()
    scenario = _Session.outage
    if scenario is None:
        neo4j_unavailable(_Session.outage_unavailable)
    assert scenario is not None
    scenario.thread.join(timeout=1200)
    assert not scenario.thread.is_alive(), "the outage scenario did not finish within 20 minutes"
    if scenario.error is not None:
        raise scenario.error
    return scenario


@pytest.fixture(scope="session")
def exports() -> Path:
    return _exports()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    """The working directory of every subprocess (nothing lands in the repository)."""
    return tmp_path_factory.mktemp("fault-cwd")


@pytest.fixture(scope="session")
def embedded_reference(tmp_path_factory, exports, workdir) -> Reference:
    # Its workspace stays as it is for the session (test_sigkill compares a second ingest with it).
    return record_reference(embedded_target(tmp_path_factory.mktemp("reference-embedded")), exports, workdir)


@pytest.fixture(scope="session")
def shared_neo4j_target(tmp_path_factory, neo4j_domain) -> Target:
    """The server named by NEO4J_URI, shared with other tests: every use starts with ``reset()`` (clear)."""
    return neo4j_target(
        tmp_path_factory.mktemp("shared-neo4j"), neo4j_domain, os.environ["NEO4J_URI"], os.environ.get("NEO4J_PASSWORD")
    )


@pytest.fixture(scope="session")
def neo4j_reference(shared_neo4j_target, exports, workdir) -> Reference:
    return record_reference(shared_neo4j_target, exports, workdir)


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def kind(request) -> str:
    return request.param


@pytest.fixture
def reference(kind, request) -> Reference:
    return request.getfixturevalue(f"{kind}_reference")


@pytest.fixture
def new_target(kind, request, tmp_path) -> Callable[[str], Target]:
    """Targets of this test's backend: fresh embedded workspaces, or the shared Neo4j server (one at a time)."""

    def make(name: str) -> Target:
        root = tmp_path / name
        if kind == "embedded":
            return embedded_target(root)
        shared = request.getfixturevalue("shared_neo4j_target")
        return neo4j_target(root, shared.server, shared.args[1], shared.env.get("NEO4J_PASSWORD"))

    return make

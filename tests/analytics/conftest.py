"""A tiny generated province, ingested and resolved once per session, for end-to-end detector tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from graphmodel import EmbeddedBackend, GraphBackend
from ingest.generator import generate
from ingest.load import Ingester
from ingest.resolve import Resolver

KEY = b"test-key"


@dataclass
class TinyWorld:
    exports: Path
    workspace: Path
    backend: GraphBackend


def build_graph(backend: GraphBackend, exports: Path, quarantine: Path) -> GraphBackend:
    Ingester(backend, quarantine, secret_key=KEY).ingest([exports])
    Resolver(backend).run()
    return backend


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-world")
    generate("tiny", 3, root / "exports")
    backend = build_graph(EmbeddedBackend(root / "workspace", create=True), root / "exports", root / "q")
    yield TinyWorld(root / "exports", root / "workspace", backend)
    backend.close()

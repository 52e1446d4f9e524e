"""The analyst notebooks run top to bottom on tiny generated data (nbclient), and are stored without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    """A tiny province, ingested and resolved once for all notebooks (as 'liandong demo' would leave it)."""
    from graphmodel import open_backend
    from ingest.generator import generate
    from ingest.load import Ingester
    from ingest.resolve import Resolver

    root = tmp_path_factory.mktemp("nb-data")
    generate("tiny", 3, root / "exports")
    g = open_backend(root / "workspace", create=True)
    Ingester(g, root / "q", secret_key=b"liandong-demo-key-not-for-real-data").ingest([root / "exports"])
    Resolver(g).run()
    g.close()
    return root


def test_there_are_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_walkthrough.ipynb",
        "02_bid_ring_investigation.ipynb",
        "03_next_round.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, demo_data, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "strip outputs before committing"
    monkeypatch.setenv("LIANDONG_NOTEBOOK_DATA", str(demo_data))
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(demo_data)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    assert any(o.get("output_type") == "execute_result" for c in nb.cells if c.cell_type == "code" for o in c.outputs)

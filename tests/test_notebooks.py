"""The analyst notebooks: committed with their outputs (static images included, so they read on GitHub and
nbviewer), and run top to bottom here (nbclient) on the demo's world: every figure leaves a PNG, and no output
shows a record key."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from analytics.terms import record_keys

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
PLOTLY = "application/vnd.plotly.v1+json"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    """The world 'liandong demo' builds (small, seed 1), ingested and resolved once for all notebooks."""
    from graphmodel import open_backend
    from ingest.generator import generate
    from ingest.load import Ingester
    from ingest.resolve import Resolver

    root = tmp_path_factory.mktemp("nb-data")
    started = time.perf_counter()
    generate("small", 1, root / "exports")
    g = open_backend(root / "workspace", create=True)
    Ingester(g, root / "q", secret_key=b"liandong-demo-key-not-for-real-data").ingest([root / "exports"])
    Resolver(g).run()
    g.close()
    TIMINGS["world"] = time.perf_counter() - started
    yield root / "workspace"
    print("notebook timings (s):", {k: round(v, 1) for k, v in TIMINGS.items()})


def _figure_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "figure" in c.metadata.get("tags", [])]


def _output_text(cell) -> str:
    """Everything a reader sees in a cell's outputs but the images: text, tables, plotly figure data."""
    parts = []
    for o in cell.get("outputs", []):
        parts.append(str(o.get("text", "")))
        parts.append(json.dumps({k: v for k, v in o.get("data", {}).items() if not k.startswith("image/")}))
        parts.extend(o.get("traceback", []))
    return "\n".join(parts)


def _check_outputs(nb, name: str) -> None:
    code = [c for c in nb.cells if c.cell_type == "code"]
    figures = _figure_cells(nb)
    assert figures, f"{name}: no cell tagged 'figure'"
    for cell in figures:
        bundles = [o.get("data", {}) for o in cell.get("outputs", [])]
        assert any("image/png" in b for b in bundles), f"{name}: a figure cell has no PNG:\n{cell.source[:200]}"
    for cell in code:
        for o in cell.get("outputs", []):
            assert o.get("output_type") != "error", f"{name}: {o.get('ename')}: {o.get('evalue')}"
            data = o.get("data", {})
            # A plotly figure shown anywhere comes with its static image.
            assert PLOTLY not in data or "image/png" in data, f"{name}: a figure without PNG:\n{cell.source[:200]}"
        keys = record_keys(_output_text(cell))
        assert not keys, f"{name}: record keys in an output: {keys[:3]}\n{cell.source[:200]}"
    # Chinese headers and words, not internal column names, in the tables.
    tables = [o["data"]["text/html"] for c in code for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert tables and all(re.search(r"<th>[^<]*[\u4e00-\u9fff]", t) for t in tables), name


def test_there_are_three_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_walkthrough.ipynb",
        "02_bid_ring_investigation.ipynb",
        "03_next_round.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_shows_its_outputs(path):
    # Stored with outputs, so GitHub and nbviewer show the tables and the figures' images.
    nb = nbformat.read(path, as_version=4)
    assert all(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "run the notebook before committing"
    _check_outputs(nb, path.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, demo_workspace, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    monkeypatch.setenv("LIANDONG_NOTEBOOK_WORKSPACE", str(demo_workspace))
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    TIMINGS[path.stem] = time.perf_counter() - started
    _check_outputs(nb, path.name)
    if path.stem.startswith("02_"):
        # The demo's world has rings: the investigation follows one, not the fallback screen.
        said = "".join(_output_text(c) for c in nb.cells if c.cell_type == "code")
        found = re.search(r"找到(\d+)个围标串标团伙", said)
        assert found and int(found.group(1)) > 0, "the ring notebook found no ring"

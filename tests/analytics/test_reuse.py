"""Exports reuse what `liandong analyze` wrote, only when it answers the same request on the same graph."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from analytics import GraphView, read_results, run_detectors
from analytics.dossier import DOSSIER_DETECTORS
from analytics.report import report_figures
from cli import main
from graphmodel import EmbeddedBackend, NodeRecord
from ingest.resolve import Resolver

from .conftest import KEY, build_graph

ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY.decode()}
DOSSIER = set(DOSSIER_DETECTORS)


@pytest.fixture(scope="module")
def world(tiny_world, tmp_path_factory):
    """A workspace of its own (tests here change the graph), analysed as of 2024-09-01."""
    root = tmp_path_factory.mktemp("reuse")
    backend = build_graph(EmbeddedBackend(root / "ws", create=True), tiny_world.exports, root / "q")
    backend.close()
    result = CliRunner(env=ENV).invoke(main, ["--workspace", str(root / "ws"), "analyze", "--as-of", "2024-09-01"])
    assert result.exit_code == 0, result.output
    return root


def _run(world, *args):
    result = CliRunner(env=ENV).invoke(main, ["--workspace", str(world / "ws"), *args])
    assert result.exit_code == 0, result.output
    return result


def _cells(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_dossier_reuses_the_analysis_and_matches_a_fresh_run(world, tmp_path):
    reused = _run(world, "export", "dossier", "--out", str(tmp_path / "a.xlsx"), "--as-of", "2024-09-01", "--json")
    data = json.loads(reused.output)
    assert set(data["reused"]) == DOSSIER and data["ran"] == {}
    fresh = _run(
        world, "export", "dossier", "--out", str(tmp_path / "b.xlsx"), "--as-of", "2024-09-01", "--rerun", "--json"
    )
    assert json.loads(fresh.output)["reused"] == []
    assert json.loads(fresh.output)["ran"] == {n: "--rerun" for n in data["reused"]}
    a, b = _cells(tmp_path / "a.xlsx"), _cells(tmp_path / "b.xlsx")
    assert a == b and len(a) > 1
    # Without --json the reader is told where the results came from.
    shown = _run(world, "export", "dossier", "--out", str(tmp_path / "c.xlsx"), "--as-of", "2024-09-01")
    assert "沿用 liandong analyze" in shown.output


def test_other_parameters_are_never_served_from_the_analysis(world, tmp_path):
    out = str(tmp_path / "d.xlsx")
    other_day = json.loads(_run(world, "export", "dossier", "--out", out, "--as-of", "2024-10-01", "--json").output)
    assert other_day["reused"] == [] and set(other_day["ran"].values()) == {"analysed with another as-of"}
    # Analysed as of a given day; an export that names no day may judge on another (the latest in the graph).
    no_day = json.loads(_run(world, "export", "dossier", "--out", out, "--json").output)
    assert no_day["reused"] == []
    secrets = json.loads(
        _run(world, "export", "dossier", "--out", out, "--as-of", "2024-09-01", "--reveal-secrets", "--json").output
    )
    assert secrets["reused"] == [] and set(secrets["ran"].values()) == {"analysed with another reveal-secrets"}
    scoped = json.loads(
        _run(world, "export", "dossier", "--out", out, "--as-of", "2024-09-01", "--scope", "330100", "--json").output
    )
    assert scoped["reused"] == [] and set(scoped["ran"].values()) == {"analysed with another scope"}
    elsewhere = json.loads(
        _run(
            world,
            "export",
            "dossier",
            "--out",
            out,
            "--as-of",
            "2024-09-01",
            "--results",
            str(tmp_path / "none"),
            "--json",
        ).output
    )
    assert elsewhere["reused"] == [] and set(elsewhere["ran"].values()) == {"not in the analyses folder"}


def test_report_figures_from_written_results_equal_fresh_ones(world):
    backend = EmbeddedBackend(world / "ws")
    try:
        view = GraphView(backend)
        fresh = run_detectors(view, as_of="2024-09-01")
        written = read_results(world / "ws" / "analyses")
        assert set(written) == set(fresh)
        a = {k: f.to_json() for k, f in report_figures(view, fresh).items()}
        b = {k: f.to_json() for k, f in report_figures(view, written).items()}
        assert a == b
    finally:
        backend.close()


def test_a_changed_graph_makes_the_analysis_stale(tiny_world, tmp_path):
    ws = tmp_path / "ws"
    build_graph(EmbeddedBackend(ws, create=True), tiny_world.exports, tmp_path / "q").close()
    _run(tmp_path, "analyze", "bid-rings", "conflict-of-interest")
    first = json.loads(_run(tmp_path, "export", "network", "--out", str(tmp_path / "n.gexf"), "--json").output)
    assert first["reused"] == ["bid-rings", "conflict-of-interest"]

    # Entities resolved again after an analyst's decision: same files, other clusters.
    backend = EmbeddedBackend(ws)
    companies = backend.nodes("Company")
    registered = companies.loc[companies["uscc"].notna(), "company_id"].sort_values().tolist()
    Resolver(backend).decide("Company", registered[0], registered[1], "accepted")
    Resolver(backend).run()
    backend.close()
    after = json.loads(_run(tmp_path, "export", "network", "--out", str(tmp_path / "n.gexf"), "--json").output)
    assert after["reused"] == []
    assert set(after["ran"].values()) == {"the graph changed since it was analysed"}

    # Analysed again: reused again; then one more record from a new source makes it stale once more.
    _run(tmp_path, "analyze", "bid-rings", "conflict-of-interest")
    again = json.loads(_run(tmp_path, "export", "network", "--out", str(tmp_path / "n.gexf"), "--json").output)
    assert again["reused"] == ["bid-rings", "conflict-of-interest"]
    backend = EmbeddedBackend(ws)
    backend.write([NodeRecord("Company", "company:name:新来的公司", {"name": "新来的公司"})], source="late.csv")
    backend.close()
    late = json.loads(_run(tmp_path, "export", "network", "--out", str(tmp_path / "n.gexf"), "--json").output)
    assert late["reused"] == []


def test_fingerprint_is_stable_and_moves_with_the_graph(backend):
    backend.write([NodeRecord("Organisation", "o1", {"name": "义乌市城市管理委员会", "tier": "county"})], source="a")
    first, second = GraphView(backend).fingerprint(), GraphView(backend).fingerprint()
    assert first == second and len(first) == 64
    backend.update_nodes("Organisation", {"o1": {"canonical_id": "o2"}}, source="entity-resolution")
    resolved = GraphView(backend).fingerprint()
    assert resolved != first
    backend.write([NodeRecord("Organisation", "o2", {"name": "义乌市城管委"})], source="b")
    assert GraphView(backend).fingerprint() != resolved

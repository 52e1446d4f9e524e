"""Detectors on a tiny generated province: the CLI, the evaluate JSON shape, measured accuracy
against the planted truth, and the same answers on Neo4j as on the embedded backend."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from analytics import DETECTORS, read_results, run_detectors
from analytics.evaluation import evaluate_detectors, load_truth
from cli import main
from ingest.evaluation import ExportTruth

from .conftest import KEY, build_graph

# The embedded workspace, whatever Neo4j the environment names.
ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY.decode()}


@pytest.fixture(scope="module")
def analysed(tiny_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("analyses")
    runner = CliRunner(env=ENV)
    result = runner.invoke(
        main, ["--workspace", str(tiny_world.workspace), "analyze", "--as-of", "2024-12-31", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_analyze_writes_every_detector(analysed):
    out, output = analysed
    for name in DETECTORS:
        assert name in output
        assert (out / f"{name}.csv").exists() and (out / f"{name}.evidence.csv").exists()
        data = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert data["detector"] == name and isinstance(data["detections"], list)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["overdue-transfers"]["params"]["as_of"] == "2024-12-31"
    # What was written reads back as the same detections.
    again = read_results(out)
    assert {n: len(r) for n, r in again.items()} == {n: s["detections"] for n, s in summary.items()}


def test_evaluate_json_shape_and_accuracy(tiny_world, analysed):
    out, _ = analysed
    runner = CliRunner(env=ENV)
    result = runner.invoke(
        main,
        [
            "--workspace",
            str(tiny_world.workspace),
            "evaluate",
            "--truth",
            str(tiny_world.exports / "truth.json"),
            "--results",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert set(scores) >= {"detectors", "entity_resolution"}
    assert set(scores["entity_resolution"]) == {"organisation", "cadre", "company"}
    for row in [*scores["detectors"].values(), *scores["entity_resolution"].values()]:
        assert {"precision", "recall", "f1"} <= set(row)
    d = scores["detectors"]
    # Definitional patterns are found almost exactly; what is missed sits in quarantined rows.
    assert d["recurrence"]["f1"] >= 0.95
    assert d["overdue-transfers"]["f1"] == 1.0
    assert d["duplicate-leads"]["f1"] >= 0.95
    assert d["inspector-ties"]["precision"] == 1.0 and d["inspector-ties"]["recall"] >= 0.9
    assert d["conflict-of-interest"]["precision"] == 1.0
    assert scores["entity_resolution"]["organisation"]["precision"] >= 0.97


def test_evaluate_refuses_a_folder_without_truth(tiny_world, tmp_path):
    (tmp_path / "truth.json").write_text("{}", encoding="utf-8")
    result = CliRunner(env=ENV).invoke(
        main, ["--workspace", str(tiny_world.workspace), "evaluate", "--truth", str(tmp_path / "truth.json")]
    )
    assert result.exit_code == 1 and "truth_entities.csv" in result.output


def test_analyze_unknown_detector_says_which_exist(tiny_world, tmp_path):
    result = CliRunner(env=ENV).invoke(
        main, ["--workspace", str(tiny_world.workspace), "analyze", "no-such", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1 and "unknown detector no-such" in result.output and "recurrence" in result.output
    listed = CliRunner(env=ENV).invoke(main, ["--workspace", str(tiny_world.workspace), "analyze", "--list"])
    assert listed.exit_code == 0 and all(name in listed.output for name in DETECTORS)


def _answers(backend):
    results = run_detectors(backend, as_of="2024-12-31")
    return {name: [(d.subject, round(d.score, 6), d.kind) for d in r] for name, r in results.items()}


@pytest.mark.neo4j
def test_same_answers_on_neo4j(tiny_world, neo4j_domain, tmp_path):
    neo4j_domain.clear()
    build_graph(neo4j_domain, tiny_world.exports, tmp_path / "q")
    assert _answers(neo4j_domain) == _answers(tiny_world.backend)
    truth = load_truth(tiny_world.exports / "truth.json")
    on_neo4j = evaluate_detectors(
        run_detectors(neo4j_domain, as_of="2024-12-31"), truth, ExportTruth(neo4j_domain, tiny_world.exports, KEY)
    )
    assert on_neo4j["detectors"]["recurrence"]["f1"] >= 0.95

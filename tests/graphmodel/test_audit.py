"""The audit log is the library's: a Python session's reads of secret fields, analyses and exports are logged
as the command line's are, on both backends; a log that cannot be written stops the call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics import GraphView, run_detectors
from analytics.report import write_html_report
from graphmodel import EmbeddedBackend, LiandongError, NodeRecord
from graphmodel.audit import AUDIT_ENV, audit_log_path
from ingest.graph_json import write_graph_jsonl
from tests.analytics.builders import GraphBuilder


def _entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _graph(backend):
    g = GraphBuilder()
    unit = g.org("org:U", "某县民政局", tier="county", region="330102")
    dept = g.org("org:D", "某县纪委", tier="county", region="330102")
    g.lead("lead:1", dept, "2023-03-01", unit, "C01")
    g.write(backend)
    secret = {"summary": "反映某局长收受礼金", "source": "petition", "status": "inquiry"}
    backend.write([NodeRecord("Lead", "lead:1", secret)], source="test:secret")
    return backend


def test_a_python_session_s_secret_reads_analyses_and_exports_are_logged(backend, tmp_path, monkeypatch):
    log = tmp_path / "audit.log"
    monkeypatch.setenv(AUDIT_ENV, str(log))
    _graph(backend)
    assert audit_log_path(backend) == log
    backend.nodes("Organisation")  # nothing secret in it: not logged
    assert _entries(log) == []
    leads = backend.nodes("Lead")
    assert leads["summary"].tolist() == ["反映某局长收受礼金"]
    (entry,) = _entries(log)
    assert entry["action"] == "read secret fields" and entry["element"] == "Lead"
    assert entry["fields"] == ["summary"] and entry["rows"] == 1 and entry["who"] and entry["at"]
    run_detectors(GraphView(backend, scope="330102"), ["duplicate-leads", "overdue-transfers"])
    analyses = [e for e in _entries(log) if e["action"] == "analyze"]
    assert len(analyses) == 1 and analyses[0]["scope"] == "330102"
    assert set(analyses[0]["detectors"]) == {"duplicate-leads", "overdue-transfers"}
    view = GraphView(backend)
    write_html_report(view, run_detectors(view, ["duplicate-leads"]), tmp_path / "r.html")
    write_graph_jsonl(backend, tmp_path / "g.jsonl")
    actions = [e["action"] for e in _entries(log)]
    # The graph export reads the leads' summaries (to withhold them): that read is logged too, before it.
    assert actions[-3:] == ["export report", "read secret fields", "export graph"]
    exported = _entries(log)[-1]
    assert exported["files"] == [str(tmp_path / "g.jsonl")] and exported["secrets"] is False


def test_an_embedded_workspace_logs_into_itself(tmp_path, monkeypatch):
    monkeypatch.delenv(AUDIT_ENV, raising=False)
    backend = _graph(EmbeddedBackend(tmp_path / "ws"))
    backend.nodes("Lead")
    assert _entries(tmp_path / "ws" / "audit.log")[-1]["action"] == "read secret fields"


def test_a_log_that_cannot_be_written_stops_the_read(tmp_path, monkeypatch):
    backend = _graph(EmbeddedBackend(tmp_path / "ws"))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(AUDIT_ENV, str(blocker / "audit.log"))
    with pytest.raises(LiandongError, match="cannot write the audit log"):
        backend.nodes("Lead")
    backend.nodes("Organisation")  # what holds no secret is read unlogged

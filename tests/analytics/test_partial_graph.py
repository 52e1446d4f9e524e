"""Every detector, the profiles and every export on a graph holding any one kind of data, or none.

One tiny province is generated per session; each test ingests the files of
one export kind (or nothing) into a fresh backend, on both backends, and
checks that nothing crashes, that exactly the detectors whose declared
inputs are absent are skipped (named below, kind by kind), that the others
give frames with their documented columns, and that every export writes a
file that opens and says what was skipped.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from analytics import (
    DETECTORS,
    GraphView,
    outcome_line,
    reader_line,
    registry,
    run_and_write,
    run_detectors,
    write_results,
)
from analytics.dossier import write_target_dossier
from analytics.network import evidence_network, write_network
from analytics.profiles import lead_conversion, organisation_profile, team_quality
from analytics.report import write_html_report
from analytics.terms import term
from cli import main
from graphmodel import EmbeddedBackend, load_schema
from ingest.generator import generate
from ingest.graph_json import read_graph_jsonl, write_graph_jsonl
from ingest.load import Ingester

from .conftest import KEY

EVERY = frozenset(DETECTORS)

#: The generator's export kinds, by the start of their file names.
KINDS: dict[str, tuple[str, ...]] = {
    "directory": ("单位名录_",),
    "roster": ("干部名册_",),
    "companies": ("企业登记信息_",),
    "declarations": ("个人有关事项_",),
    "findings": ("巡视发现问题_", "巡察发现问题_"),
    "rectifications": ("整改台账_",),
    "teams": ("巡视组人员_", "巡察组人员_"),
    "leads": ("问题线索台账_",),
    "transfers": ("线索移交台账_",),
    "bids": ("招投标_",),
}

#: The detectors skipped on a graph of one kind: those whose declared inputs that kind does not hold.
SKIPPED: dict[str, frozenset[str]] = {
    "none": EVERY,
    "directory": EVERY,  # organisations alone: nothing dated to rank them on
    "roster": EVERY,  # posts, but no tenders, tours or ties to firms
    "companies": EVERY,
    "declarations": EVERY,  # relatives and their firms, but no bids
    # findings arrive with the tours that found them (Tour, INSPECTED), but not their teams' members
    "findings": frozenset(
        {
            "recurrence",
            "bid-rings",
            "red-flags",
            "conflict-of-interest",
            "duplicate-leads",
            "overdue-transfers",
            "inspector-ties",
        }
    ),
    "rectifications": EVERY,  # and with no findings, no RECTIFIES link either
    # teams hold tours, members, targets and the inspectors' own posts: inspector ties can be looked for
    "teams": frozenset(
        {
            "red-flags",
            "systemic-problems",
            "surges",
            "recurrence",
            "bid-rings",
            "conflict-of-interest",
            "duplicate-leads",
            "overdue-transfers",
            "targets",
        }
    ),
    "leads": frozenset(
        {
            "red-flags",
            "systemic-problems",
            "surges",
            "recurrence",
            "bid-rings",
            "conflict-of-interest",
            "overdue-transfers",
            "inspector-ties",
        }
    ),
    "transfers": frozenset(
        {
            "red-flags",
            "systemic-problems",
            "surges",
            "recurrence",
            "bid-rings",
            "conflict-of-interest",
            "duplicate-leads",
            "inspector-ties",
            "profiles",
        }
    ),
    "bids": frozenset(
        {
            "systemic-problems",
            "surges",
            "recurrence",
            "conflict-of-interest",
            "duplicate-leads",
            "overdue-transfers",
            "inspector-ties",
            "profiles",
        }
    ),
}

#: Public frames of a GraphView, and their date columns.
FRAMES = {
    "organisations": (),
    "people": (),
    "companies": (),
    "findings": ("found_date",),
    "rectifications": ("deadline", "reported_date", "verified_date"),
    "inspected": (),
    "tours": ("start_date", "end_date", "feedback_date"),
    "members": (),
    "posts": ("start_date", "end_date"),
    "relatives": (),
    "company_roles": ("start_date", "end_date"),
    "tenders": ("announced", "awarded"),
    "bids": (),
    "company_contacts": (),
    "leads": ("received_date",),
    "transfers": ("transfer_date", "deadline", "feedback_date"),
}


@pytest.fixture(scope="session")
def exports_by_kind(tmp_path_factory) -> dict[str, list[Path]]:
    """The tiny province's exports, generated once, as lists of files by kind (``none``: no file)."""
    root = tmp_path_factory.mktemp("partial") / "exports"
    generate("tiny", 1, root)
    files = sorted(p for p in root.iterdir() if not p.name.startswith("truth"))
    by_kind = {kind: [p for p in files if p.name.startswith(starts)] for kind, starts in KINDS.items()}
    return {"none": [], **by_kind}


def test_every_generated_file_is_of_one_kind(exports_by_kind):
    # If the generator gains an export kind, this table (and SKIPPED) must learn it.
    kinds = [k for k in exports_by_kind if k != "none"]
    assert all(exports_by_kind[k] for k in kinds)
    files = [p for k in kinds for p in exports_by_kind[k]]
    assert len(files) == len(set(files))
    folder = files[0].parent
    assert {p for p in folder.iterdir() if not p.name.startswith("truth")} == set(files)


def test_requirements_name_declared_labels_and_types():
    schema = load_schema()
    declared = set(schema.nodes) | set(schema.relationships)
    for spec in DETECTORS.values():
        assert spec.requires and spec.columns, spec.name
        for requirement in spec.requires:
            assert set(requirement.any_of) <= declared, (spec.name, requirement)
        assert spec.columns[:4] == ("subject", "kind", "score", "summary") and spec.columns[-1] == "evidence"


def _ingest(backend, files: list[Path], folder: Path):
    if files:
        report = Ingester(backend, folder / "quarantine", secret_key=KEY).ingest(files)
        assert all(f.status != "error" for f in report.files), [f for f in report.files if f.status == "error"]
    return backend


@pytest.mark.parametrize("kind", list(SKIPPED))
def test_detectors_and_exports_on_one_kind_of_data(kind, exports_by_kind, backend, tmp_path):
    backend = _ingest(backend, exports_by_kind[kind], tmp_path)
    view = GraphView(backend)

    # Frames: the same columns and dtypes as an empty graph's, dates datetime64 whether empty or not.
    reference = EmbeddedBackend(tmp_path / "empty", schema=backend.schema)
    empty = GraphView(reference)
    for name, dates in FRAMES.items():
        frame = getattr(view, name)
        assert dict(frame.dtypes) == dict(getattr(empty, name).dtypes), name
        for column in dates:
            assert frame[column].dtype.kind == "M", (name, column)

    # Profiles: the same tables as on an empty graph, and any organisation's record (none, often).
    assert list(team_quality(view).columns) == list(team_quality(empty).columns)
    assert list(lead_conversion(view).columns) == list(lead_conversion(empty).columns)
    for org in view.organisations.index[:3]:
        profile = organisation_profile(view, org)
        assert profile["rectification"]["findings"] == len(profile["findings"])
    reference.close()

    # Detectors: no exception; skipped exactly where the declared inputs are absent.
    results = run_detectors(view)
    assert list(results) == list(DETECTORS)
    skipped = {n for n, r in results.items() if r.status == "skipped"}
    assert skipped == SKIPPED[kind], (kind, sorted(skipped ^ SKIPPED[kind]))
    assert not [n for n, r in results.items() if r.status == "failed"]
    counts = backend.stats()
    held = {**counts["nodes"], **counts["relationships"]}
    for name, result in results.items():
        spec, frame = DETECTORS[name], result.to_frame()
        if name in skipped:
            assert result.skipped.startswith("需要") and len(result) == 0
            assert result.missing and not any(held.get(x) for x in result.missing), (name, result.missing)
            assert list(frame.columns) == list(spec.columns) and frame.empty
            assert outcome_line(result).startswith(f"{name}（{spec.short_title}）: 跳过 — 需要")
        else:
            assert all(r.met(held) for r in spec.requires), name
            # The documented columns first, and no others.
            assert list(frame.columns[: len(spec.columns)]) == list(spec.columns), name
            assert set(frame.columns) == set(spec.columns), (name, set(frame.columns) ^ set(spec.columns))

    # What analyze writes: every detector's files, skipped ones saying why.
    analyses = tmp_path / "analyses"
    write_results(results, analyses)
    for name, result in results.items():
        data = json.loads((analyses / f"{name}.json").read_text(encoding="utf-8"))
        assert data["status"] == result.status and data["skipped"] == result.skipped
        assert (analyses / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")[:4] == [
            "subject",
            "kind",
            "score",
            "summary",
        ]
    notes = [reader_line(results[n]) for n in sorted(skipped, key=list(DETECTORS).index)]
    # A reader sees each skipped check in words, without the command line's names or English.
    assert all(not re.search(r"[A-Za-z]{3,}", line) for line in notes), notes

    # Dossier: an .xlsx that opens, listing what was skipped on its first sheet.
    dossier = write_target_dossier(view, results, tmp_path / "dossier.xlsx")
    sheet = load_workbook(dossier).worksheets[0]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
    assert sheet.title == "汇总" and set(notes) <= cells

    # Report: one HTML page with a line per skipped detector.
    page = write_html_report(view, results, tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert all(html.escape(line) in page for line in notes)
    assert (term("report.section.not_analysed") in page) == bool(notes)

    # Network: GEXF and GraphML that networkx reads back, saying why rings or conflicts are absent.
    network = evidence_network(view, results)
    gexf = nx.read_gexf(write_network(network, tmp_path / "rings.gexf"))
    graphml = nx.read_graphml(write_network(network, tmp_path / "rings.graphml"))
    assert gexf.number_of_nodes() == graphml.number_of_nodes() == network.number_of_nodes()
    for name in ("bid-rings", "conflict-of-interest"):
        line = reader_line(results[name])
        assert line in graphml.graph["notes"]
        assert html.escape(line, quote=False) in (tmp_path / "rings.gexf").read_text(encoding="utf-8")

    # Graph: JSON Lines whose every line loads back.
    counts = write_graph_jsonl(backend, tmp_path / "graph.jsonl")
    lines = list(read_graph_jsonl(tmp_path / "graph.jsonl", backend.schema))
    assert all(record is not None for _, record, _ in lines), [why for _, r, why in lines if r is None][:3]
    assert len(lines) == counts["nodes"] + counts["relationships"]


def test_targets_in_a_scope_without_dated_records_is_skipped(exports_by_kind, tmp_path):
    # The graph holds dated bids, so targets' inputs are present; but none in Beijing (110000), outside the
    # generated province: in that scope there is no day to rank as of, unless one is given.
    backend = _ingest(EmbeddedBackend(tmp_path / "ws", create=True), exports_by_kind["bids"], tmp_path)
    view = GraphView(backend, scope="110000")
    assert view.latest_date() is None
    result = run_detectors(view, ["targets"])["targets"]
    assert result.status == "skipped" and "110000" in result.skipped and "as_of" in result.skipped
    assert run_detectors(view, ["targets"], as_of="2024-12-31")["targets"].status == "ran"
    backend.close()


# -- failures ----------------------------------------------------------------------------------------


@pytest.fixture
def broken_targets(monkeypatch):
    """The targets detector raising as a bug would."""

    def broken(view, **params):
        raise KeyError("found_date")

    monkeypatch.setitem(registry.DETECTORS, "targets", dataclasses.replace(DETECTORS["targets"], function=broken))


def test_a_failing_detector_is_kept_and_the_others_run(exports_by_kind, tmp_path, broken_targets):
    backend = _ingest(EmbeddedBackend(tmp_path / "ws", create=True), exports_by_kind["bids"], tmp_path)
    view = GraphView(backend)
    with pytest.raises(KeyError):
        run_detectors(view, ["targets"])
    seen = []
    results, paths = run_and_write(view, tmp_path / "analyses", on_result=lambda r: seen.append(r.detector))
    assert seen == list(DETECTORS)
    assert results["targets"].status == "failed" and "KeyError" in results["targets"].failed
    assert "KeyError: 'found_date'" in results["targets"].stats["traceback"]
    assert results["bid-rings"].status == "ran" and (tmp_path / "analyses" / "bid-rings.csv").exists()
    # A failed result writes why, no CSV that could pass for a result, and is never reused.
    assert set(paths["targets"]) == {"json"} and not (tmp_path / "analyses" / "targets.csv").exists()
    runs = json.loads((tmp_path / "analyses" / "runs.json").read_text(encoding="utf-8"))
    assert "targets" not in runs and "bid-rings" in runs


# -- the command line ----------------------------------------------------------------------------------

CLEAN_ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": "test-key"}


def _cli(*args):
    return CliRunner().invoke(main, list(args), env=CLEAN_ENV, catch_exceptions=False)


@pytest.fixture
def empty_workspace(tmp_path) -> Path:
    (tmp_path / "nothing").mkdir()
    result = _cli("--workspace", str(tmp_path / "ws"), "ingest", str(tmp_path / "nothing"))
    assert result.exit_code == 0, result.output
    return tmp_path / "ws"


def test_analyze_on_an_empty_workspace_skips_every_detector_and_exits_0(empty_workspace):
    result = _cli("--workspace", str(empty_workspace), "analyze")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "Error" not in result.output
    lines = result.output.splitlines()
    for name, spec in DETECTORS.items():
        assert sum(line.startswith(f"{name}（{spec.short_title}）: 跳过 — 需要") for line in lines) == 1, name
        assert (empty_workspace / "analyses" / f"{name}.json").exists()
    assert f"结果已写入 {empty_workspace / 'analyses'}（{len(DETECTORS)}项未运行" in result.output
    data = json.loads(_cli("--workspace", str(empty_workspace), "analyze", "--json").stdout)
    assert {n: d["status"] for n, d in data.items()} == dict.fromkeys(DETECTORS, "skipped")
    assert data["recurrence"]["missing"] == ["Finding", "Rectification", "RECTIFIES"]


def test_exports_on_an_empty_workspace_write_valid_files(empty_workspace, tmp_path):
    ws = str(empty_workspace)
    for command, out in (("dossier", "d.xlsx"), ("report", "r.html"), ("network", "n.graphml"), ("graph", "g.jsonl")):
        result = _cli("--workspace", ws, "export", command, "--out", str(tmp_path / out), "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert Path(data["file"]).exists()
        if command != "graph":
            assert set(data["skipped"]) and not data["failed"]
    assert load_workbook(tmp_path / "d.xlsx").worksheets[0].title == "汇总"
    assert "围标串标：未运行——需要招投标记录" in nx.read_graphml(tmp_path / "n.graphml").graph["notes"]
    text = _cli("--workspace", ws, "export", "report", "--out", str(tmp_path / "r2.html"))
    assert text.exit_code == 0 and "targets（精准制导）: 跳过" in text.output and "Traceback" not in text.output


def test_analyze_reports_a_failing_detector_and_writes_the_others(exports_by_kind, tmp_path, broken_targets):
    exports = tmp_path / "bids"
    exports.mkdir()
    for f in exports_by_kind["bids"]:
        shutil.copy(f, exports)
    ws = str(tmp_path / "ws")
    assert _cli("--workspace", ws, "ingest", str(exports)).exit_code == 0
    result = CliRunner().invoke(main, ["--workspace", ws, "analyze"], env=CLEAN_ENV)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "targets（精准制导）: 失败 — KeyError" in result.output
    assert "1项分析运行失败：targets" in result.output
    assert (tmp_path / "ws" / "analyses" / "bid-rings.csv").exists()
    assert (tmp_path / "ws" / "analyses" / "profiles.json").exists()  # after the failure, too

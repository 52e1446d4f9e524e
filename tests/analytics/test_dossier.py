"""The target dossier: an Excel workbook with the ranked targets and each target's 3+2 lists, secrets withheld."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
from click.testing import CliRunner

from cli import main

from .conftest import KEY

ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY.decode()}


def test_dossier_workbook(tiny_world, tmp_path):
    out = tmp_path / "2024年第2轮.xlsx"
    result = CliRunner(env=ENV).invoke(
        main,
        [
            "--workspace",
            str(tiny_world.workspace),
            "export",
            "dossier",
            "--out",
            str(out),
            "--as-of",
            "2024-09-01",
            "--top",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "对象排序" and len(wb.sheetnames) == 4
    ranking = wb["对象排序"]
    headers = [c.value for c in ranking[3]]
    assert headers[:7] == ["排名", "单位", "层级", "系统", "风险分", "主要依据", "建议承接"]
    assert ranking.freeze_panes == "A4" and ranking.column_dimensions["B"].width > 10
    target = wb.worksheets[1]
    titles = [r[0] for r in target.iter_rows(values_only=True) if r and isinstance(r[0], str)]
    for section in ("一、基本情况", "二、信息清单：历次发现问题及整改", "三、问题清单", "四、责任清单"):
        assert any(t.startswith(section) for t in titles), section
    cells = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any(isinstance(v, dt.datetime | dt.date) for v in cells)  # dates are dates, not text
    # Lead contents (反映…问题) and personal-matters details never reach the dossier by default.
    assert not any(isinstance(v, str) and v.startswith(("反映", "举报")) for v in cells)
    assert not any(isinstance(v, str) and any(w in v for w in ("spouse", "child_in_law", "sibling")) for v in cells)
    entry = json.loads((tiny_world.workspace / "audit.log").read_text(encoding="utf-8").splitlines()[-1])
    assert entry["command"] == "export dossier" and entry["files"] == [str(out)]


def test_network_export_for_gephi(tiny_world, tmp_path):
    import networkx as nx

    out = tmp_path / "rings.gexf"
    runner = CliRunner(env=ENV)
    result = runner.invoke(main, ["--workspace", str(tiny_world.workspace), "export", "network", "--out", str(out)])
    assert result.exit_code == 0, result.output
    g = nx.read_gexf(out)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert g.number_of_nodes() > 0 and kinds <= {"company", "tender", "organisation", "cadre", "relative"}
    assert all("label" in d for _, d in g.nodes(data=True))
    bad = runner.invoke(main, ["--workspace", str(tiny_world.workspace), "export", "network", "--out", "x.png"])
    assert bad.exit_code == 1 and ".gexf" in bad.output


def test_graph_export_round_trip_without_secrets(tiny_world, tmp_path):
    out = tmp_path / "graph.jsonl"
    runner = CliRunner(env=ENV)
    result = runner.invoke(main, ["--workspace", str(tiny_world.workspace), "export", "graph", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "withheld as secret" in result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    secret = {"resident_id_hash", "petitioner_hash", "summary", "relation", "declared", "content", "discrepancy"}
    assert not any(secret & set(line.get("props", {})) for line in lines)
    # What was written loads into a fresh workspace as the same graph (counts per label and type).
    fresh = tmp_path / "fresh"
    loaded = runner.invoke(main, ["--workspace", str(fresh), "load", str(out)])
    assert loaded.exit_code == 0, loaded.output
    stats = lambda ws: json.loads(runner.invoke(main, ["--workspace", str(ws), "stats", "--json"]).output)  # noqa: E731
    before, after = stats(tiny_world.workspace), stats(fresh)
    # Declared relatives are personal-matters data: the links themselves stay behind.
    assert "RELATIVE_OF" not in after["relationships"] and before["relationships"].pop("RELATIVE_OF") > 0
    assert after["relationships"] == before["relationships"]
    # The loaded file itself adds one Source record (its provenance); every other label matches.
    assert {k: v for k, v in after["nodes"].items() if k != "Source"} == {
        k: v for k, v in before["nodes"].items() if k != "Source"
    }


def test_exports_speak_json(tiny_world, tmp_path):
    runner = CliRunner(env=ENV)
    ws = ["--workspace", str(tiny_world.workspace)]
    network = runner.invoke(main, [*ws, "export", "network", "--out", str(tmp_path / "n.graphml"), "--json"])
    assert network.exit_code == 0, network.output
    assert json.loads(network.output)["file"].endswith("n.graphml")
    graph = runner.invoke(main, [*ws, "export", "graph", "--out", str(tmp_path / "g.jsonl"), "--json"])
    data = json.loads(graph.output)
    assert data["nodes"] > 0 and data["secret_elements_withheld"] > 0

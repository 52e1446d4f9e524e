"""The command line: exit codes, JSON output, and errors a person can act on."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main

# The embedded backend unless a test says otherwise, whatever the caller's environment holds.
CLEAN_ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None}


def run(*args, catch=False):
    return CliRunner().invoke(main, list(args), env=CLEAN_ENV, catch_exceptions=catch)


def test_help_everywhere_has_an_example():
    for command in (
        [],
        ["stats"],
        ["schema"],
        ["load"],
        ["demo"],
        ["generate"],
        ["ingest"],
        ["entities"],
        ["entities", "resolve"],
        ["entities", "decide"],
        ["entities", "evaluate"],
        ["analyze"],
        ["evaluate"],
        ["bids", "score"],
        ["export", "dossier"],
        ["export", "report"],
        ["export", "network"],
        ["export", "graph"],
    ):
        result = run(*command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output


def test_demo_then_stats(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", str(out), "--scale", "tiny")
    assert result.exit_code == 0, result.output
    out_text = result.output
    assert "生成各层级导出文件" in out_text and "隔离" in out_text
    assert "单位归并" in out_text and "查准率" in out_text
    assert "反弹回潮" in out_text and "围标串标" in out_text
    assert all(f"[{n}/7]" in out_text for n in range(1, 8))  # progress for every step, with its time
    # What to do next, pointing at the demo's own workspace; no record key anywhere.
    assert f"liandong --workspace {out / 'workspace'} stats" in out_text
    from analytics.terms import record_keys

    assert not record_keys(out_text), record_keys(out_text)
    assert (out / "analyses" / "recurrence.csv").exists() and (out / "analyses" / "evaluation.json").exists()
    assert (out / "dossier.xlsx").exists()
    stats = run("--workspace", str(out / "workspace"), "stats", "--json")
    assert stats.exit_code == 0
    data = json.loads(stats.output)
    assert data["nodes"]["Organisation"] > 100
    assert data["relationships"]["BID_ON"] > 50
    # Running the demo again reuses the exports and changes nothing.
    again = run("demo", "--out", str(out), "--scale", "tiny")
    assert "沿用已生成的导出文件" in again.output
    after = json.loads(run("--workspace", str(out / "workspace"), "stats", "--json").output)
    assert after == data


def test_the_default_workspace_missing_beside_the_demo_s_says_where_it_is(tmp_path, monkeypatch):
    (tmp_path / "liandong-demo" / "workspace").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    result = run("stats", catch=True)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--workspace liandong-demo/workspace" in result.output
    assert not (tmp_path / "liandong-workspace").exists()


def test_a_long_line_is_broken_after_punctuation_never_inside_a_name():
    from cli import _fit, _width

    text = (
        "   利益冲突   15  陈薇新在瓯海区山桂街道北乐村党支部任职期间，"
        "亲属王立任职的企业鹿城区泽正土地整理有限公司中标该单位的“瓯海区高标准农田建设项目”"
    )
    lines = _fit(text, columns=64).split("\n")
    assert len(lines) == 2 and lines[0].endswith("任职期间，")
    assert all(_width(line) <= 64 for line in lines[:1])
    assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert _fit("人员7,435条记录归并为3,507个", columns=14).split("\n")[0].endswith("人员7,435条记录归并为3,507个")
    third = _fit("甲，" * 100, columns=20, max_lines=2).split("\n")
    assert len(third) == 2 and third[-1].endswith("…")


def test_stats_on_a_missing_workspace_is_a_clear_error(tmp_path):
    result = run("--workspace", str(tmp_path / "none"), "stats", catch=True)
    assert result.exit_code == 1
    assert "no workspace at" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "none").exists()


def test_load_reports_rejected_lines_and_exits_1(tmp_path):
    f = tmp_path / "g.jsonl"
    f.write_text('{"node": "Phone", "key": "1"}\n{"node": "Phone"}\n', encoding="utf-8")
    result = run("--workspace", str(tmp_path / "ws"), "load", str(f), catch=True)
    assert result.exit_code == 1
    assert "read 2, loaded 1, rejected 1" in result.output
    assert "line 2: a node needs a 'key'" in result.output


def test_unreachable_neo4j_is_a_clear_error():
    result = run("--neo4j-uri", "neo4j://127.0.0.1:9", "--neo4j-password", "x", "stats", catch=True)
    assert result.exit_code == 1
    assert "cannot reach Neo4j" in result.output and "Traceback" not in result.output


def test_generate_json_counts_rows_and_world(tmp_path):
    result = run("generate", "--scale", "tiny", "--seed", "3", "--out", str(tmp_path / "x"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["files"] == len(list((tmp_path / "x").iterdir()))
    assert data["rows"] > data["world"]["organisations"] > 100
    assert set(data["world"]) >= {"organisations", "people", "companies", "tenders", "bids", "findings"}


def test_schema_json_lists_secret_properties():
    data = json.loads(run("schema", "--json").output)
    assert data["nodes"]["Lead"]["properties"]["petitioner_hash"]["secret"] is True


@pytest.mark.neo4j
def test_stats_and_wrong_password_on_neo4j(neo4j_domain):
    from graphmodel import NodeRecord

    neo4j_domain.clear()
    neo4j_domain.write([NodeRecord("Phone", "057985551234")], source="s")
    result = run("--neo4j-uri", neo4j_domain.uri, "stats", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"nodes": {"Phone": 1}, "relationships": {}}
    bad = run("--neo4j-uri", neo4j_domain.uri, "--neo4j-password", "wrong-password", "stats", catch=True)
    assert bad.exit_code == 1 and "wrong password" in bad.output and "Traceback" not in bad.output


def test_help_and_the_list_of_detectors_load_no_heavy_library():
    """`liandong --help` and `analyze --list` start fast because they import neither pandas, scipy, scikit-learn
    nor any detector (timed in bench/README; here only what is imported, which does not vary with the machine)."""
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; import cli; "
        "r = CliRunner().invoke(cli.main, ['analyze', '--list']); assert r.exit_code == 0, r.output; "
        "assert '共性问题' in r.output; "
        "print(' '.join(m for m in ('pandas', 'scipy', 'sklearn', 'networkx', 'neo4j', 'analytics.bids') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout

"""The JSON Lines loader: every line loaded or reported; re-runs are idempotent; changed files replace."""

from __future__ import annotations

import json

from ingest import load_graph_jsonl


def _write(path, rows):
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )


GOOD = [
    {"node": "Organisation", "key": "sx", "props": {"name": "中共绍兴市委", "tier": "city", "region_code": "330600"}},
    {"node": "Organisation", "key": "sy", "props": {"name": "上虞区委", "tier": "county", "established": "1992-10-01"}},
    {"rel": "PART_OF", "start": ["Organisation", "sy"], "end": ["Organisation", "sx"]},
]


def test_every_line_is_loaded_or_reported(backend, tmp_path):
    path = tmp_path / "mixed.jsonl"
    _write(
        path,
        GOOD
        + [
            "{not json",
            {"node": "Organisation", "key": "bad", "props": {"name": "x", "tier": "galaxy"}},
            {"node": "Planet", "key": "p"},
            {"rel": "PART_OF", "start": ["Organisation", "sy"], "end": ["Organisation", "nowhere"]},
            {"node": "Organisation", "key": "d", "props": {"name": "x", "tier": "city", "established": "2023年5月1日"}},
            "",
            [1, 2],
        ],
    )
    report = load_graph_jsonl(backend, path)
    assert report.rows_read == 9
    assert report.rows_loaded == 3
    assert report.rows_read == report.rows_loaded + len(report.rejected)
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 10]
    assert "not valid JSON" in reasons[4]
    assert "tier" in reasons[5]
    assert "unknown node label" in reasons[6]
    assert "no such node Organisation[nowhere]" in reasons[7]
    assert "ISO date" in reasons[8]
    assert "JSON object" in reasons[10]
    assert backend.count_nodes("Organisation") == 2
    source = backend.nodes("Source").to_dict("records")[0]
    assert (source["rows_read"], source["rows_loaded"], source["rows_quarantined"]) == (9, 3, 6)


def test_reloading_is_idempotent_and_a_changed_file_replaces_the_old(backend, tmp_path):
    path = tmp_path / "tier.jsonl"
    _write(path, GOOD)
    first = load_graph_jsonl(backend, path)
    again = load_graph_jsonl(backend, path)
    assert again.skipped_unchanged and again.rows_loaded == first.rows_loaded == 3
    assert backend.count_nodes("Organisation") == 2 and backend.count_relationships() == 1
    corrected = [
        GOOD[0],
        {"node": "Organisation", "key": "yc", "props": {"name": "越城区委", "tier": "county"}},
        {"rel": "PART_OF", "start": ["Organisation", "yc"], "end": ["Organisation", "sx"]},
    ]
    _write(path, corrected)
    third = load_graph_jsonl(backend, path)
    assert third.replaced_previous
    assert backend.nodes("Organisation")["org_id"].tolist() == ["sx", "yc"]
    assert backend.relationships("PART_OF")["start_key"].tolist() == ["yc"]


def test_a_load_cut_off_is_finished_by_running_it_again(backend, tmp_path):
    path = tmp_path / "big.jsonl"
    rows = [{"node": "Phone", "key": f"{i:011d}"} for i in range(250)]
    _write(path, rows)
    # Simulate a crash after two committed batches: records written, no Source marker.
    from graphmodel import NodeRecord

    backend.write([NodeRecord("Phone", f"{i:011d}") for i in range(200)], source="big.jsonl", batch_size=100)
    report = load_graph_jsonl(backend, path, batch_size=100)
    assert not report.skipped_unchanged and report.rows_loaded == 250
    assert backend.count_nodes("Phone") == 250  # the stale record of the cut-off load is gone
    assert backend.nodes("Source")[["source_id", "status"]].values.tolist() == [["big.jsonl", "complete"]]


def test_bom_and_chinese_text(backend, tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD[0], ensure_ascii=False).encode("utf-8") + b"\n")
    report = load_graph_jsonl(backend, path)
    assert report.rows_loaded == 1 and not report.rejected
    assert backend.nodes("Organisation").loc[0, "name"] == "中共绍兴市委"

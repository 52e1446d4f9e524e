"""Generated exports: every file readable, every row accounted for in the entity truth, same seed same bytes."""

from __future__ import annotations

import csv
import json
from collections import Counter

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from ingest.generator import generate


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return generate("tiny", 3, out)


def _rows(path):
    if path.suffix == ".xlsx":
        return openpyxl.load_workbook(path, read_only=True).active.max_row
    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8"))["data"])
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    return sum(1 for _ in csv.reader(text.splitlines()))


def test_files_formats_and_row_counts(tiny):
    out = tiny.out
    suffixes = Counter(p.suffix for p in out.iterdir())
    assert suffixes[".xlsx"] and suffixes[".csv"] and suffixes[".json"] >= 2  # declarations + truth
    for name, rows in tiny.files.items():
        if name.startswith("truth"):
            continue
        physical = _rows(out / name)
        assert physical >= rows, name  # header (and title) rows on top of the data rows


def test_some_county_exports_are_gbk(tiny):
    encodings = set()
    for p in tiny.out.glob("*.csv"):
        raw = p.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            encodings.add("utf-8-sig")
        else:
            try:
                raw.decode("utf-8")
                encodings.add("utf-8")
            except UnicodeDecodeError:
                encodings.add("gbk")
    assert {"utf-8-sig", "gbk"} <= encodings


def test_entity_truth_points_at_real_rows(tiny):
    with open(tiny.out / "truth_entities.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # Entities to resolve, and the records detectors name (findings, tours, leads ...), by the cells that name them.
    assert {r["kind"] for r in rows} == {
        "organisation",
        "person",
        "company",
        "finding",
        "rectification",
        "tour",
        "lead",
        "transfer",
        "tender",
    }
    for r in rows[::50]:
        assert (tiny.out / r["file"]).exists()
        assert int(r["row"]) >= 1 and r["column"] and r["entity"]
    # The same organisation is written more than one way across files (the point of entity resolution).
    wb = openpyxl.load_workbook(tiny.out / "单位名录_330000.xlsx", read_only=True)
    names = {r[1] for r in wb.active.iter_rows(min_row=3, values_only=True)}
    assert any("浙江省" in n for n in names)


def test_same_seed_same_bytes(tmp_path):
    a = generate("tiny", 5, tmp_path / "a")
    b = generate("tiny", 5, tmp_path / "b")
    assert a.files == b.files
    for name in a.files:
        if name.endswith((".csv", ".json")):
            assert (a.out / name).read_bytes() == (b.out / name).read_bytes(), name


def test_cli_generate_refuses_a_non_empty_folder(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["generate", "--scale", "tiny", "--seed", "2", "--out", str(tmp_path / "g")])
    assert ok.exit_code == 0, ok.output
    assert "truth.json" in ok.output
    again = runner.invoke(main, ["generate", "--scale", "tiny", "--out", str(tmp_path / "g")])
    assert again.exit_code == 1 and "not empty" in again.output

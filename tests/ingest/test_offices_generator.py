"""The independent offices' generator (ingest.offices): deterministic, loadable by its own mappings, truthful.

Nothing here is about how well liandong resolves the records (bench/er_offices.py measures that).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from graphmodel import EmbeddedBackend, load_schema
from ingest.load import Ingester, RecognisedFile
from ingest.mapping import file_vars_for, load_mapping
from ingest.offices import KINDS, LAYOUTS, RATES, generate_offices, mapping_paths
from ingest.readers import iter_records, read_tables

KEY = b"test-offices-key"
LABELS = {"organisation": "Organisation", "person": "Person", "company": "Company"}
FORMATS = {layout: f"offices-{kind}-{layout.lower()}" for kind, layouts in LAYOUTS.items() for layout in layouts}


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("offices")
    report = generate_offices(out, seed=3, scale="tiny")
    return report


@pytest.fixture(scope="module")
def loaded(generated, tmp_path_factory):
    schema = load_schema()
    mappings = [load_mapping(path, schema) for path in mapping_paths()]
    backend = EmbeddedBackend(tmp_path_factory.mktemp("offices-ws"))
    ingester = Ingester(backend, tmp_path_factory.mktemp("offices-q"), mappings=mappings, builtin=False, secret_key=KEY)
    report = ingester.ingest([generated.exports])
    yield backend, report, ingester
    backend.close()


def _contents(path: Path) -> list[list[object]]:
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        return [list(row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]
    return [[path.read_bytes()]]


def test_the_same_seed_writes_the_same_files_and_another_seed_others(generated, tmp_path):
    again = generate_offices(tmp_path / "again", seed=3, scale="tiny")
    assert again.files == generated.files
    for name in generated.files:
        assert _contents(again.exports / name) == _contents(generated.exports / name), name
    for name in ("truth_entities.csv", "truth_records.csv", "decoys.csv", "variants.csv", "layouts.json"):
        assert (again.out / name).read_bytes() == (generated.out / name).read_bytes(), name
    other = generate_offices(tmp_path / "other", seed=4, scale="tiny")
    assert (other.out / "truth_records.csv").read_bytes() != (generated.out / "truth_records.csv").read_bytes()


def test_31_offices_each_write_four_files_in_layouts_of_their_own(generated):
    layouts = json.loads((generated.out / "layouts.json").read_text(encoding="utf-8"))
    assert len(layouts) == 31 and len(generated.files) == 31 * 4
    codes = sorted(layouts)
    assert codes[0] == "360000" and sum(c.endswith("00") for c in codes) == 7
    used = {layout for office in layouts.values() for layout in office.values()}
    assert used == set(FORMATS)
    formats = {f: LAYOUTS[_kind(f)][layouts[_office(f)][_kind(f)]][0] for f in generated.files}
    assert set(formats.values()) == {"csv-utf8", "csv-gbk", "xlsx"}
    for f, fmt in formats.items():
        data = (generated.exports / f).read_bytes()
        if fmt == "csv-gbk":
            data.decode("gbk")
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        elif fmt == "csv-utf8":
            data.decode("utf-8")


def _office(file: str) -> str:
    found = re.search(r"_(\d{6})\.", file)
    assert found is not None
    return found.group(1)


def _kind(file: str) -> str:
    return {"单位名录": "directory", "干部名册": "roster", "企业名录": "register", "投标记录": "bids"}[
        file.split("_")[0]
    ]


def test_every_file_loads_with_its_layouts_mapping_and_nothing_is_quarantined(generated, loaded):
    _, report, _ = loaded
    layouts = json.loads((generated.out / "layouts.json").read_text(encoding="utf-8"))
    assert len(report.files) == len(generated.files)
    for f in report.files:
        name = Path(f.file).name
        assert f.format == FORMATS[layouts[_office(name)][_kind(name)]], name
        assert f.rows_read == generated.files[name] == f.rows_loaded, name
        assert f.rows_quarantined == 0 and f.links_unresolved == 0, name
    assert report.rows_quarantined == 0 and report.links_unresolved == 0


def test_the_truth_names_exactly_the_records_the_mappings_make(generated, loaded):
    backend, _, _ = loaded
    truth = _csv(generated.out / "truth_records.csv")
    by_kind: dict[str, set[str]] = defaultdict(set)
    for row in truth:
        by_kind[row["kind"]].add(row["key"])
    assert len({(r["kind"], r["key"]) for r in truth}) == len(truth)  # one entity per record
    for kind in KINDS:
        label = LABELS[kind]
        keys = set(backend.nodes(label)[backend.schema.node(label).key])
        assert by_kind[kind] == keys, kind
        # Several records per entity (across offices, or spelt twice in one), so resolution has work to do.
        entities = Counter(r["entity"] for r in truth if r["kind"] == kind)
        assert sum(n > 1 for n in entities.values()) > len(entities) / 10, kind


def test_each_truth_cell_becomes_the_record_the_truth_names(generated, loaded):
    backend, _, ingester = loaded
    records = {(r["kind"], r["key"]): r["entity"] for r in _csv(generated.out / "truth_records.csv")}
    cells = _csv(generated.out / "truth_entities.csv")
    assert cells and {c["kind"] for c in cells} == set(KINDS)
    seen: dict[tuple[str, int, str, str], str] = {}
    for name in sorted({c["file"] for c in cells}):
        path = generated.exports / name
        for table in read_tables(path):
            job = ingester.recognise(path, table, False)
            assert isinstance(job, RecognisedFile), name
            variables, _ = file_vars_for(job.mapping, path, {})
            mapper = job.mapping.mapper(backend.schema, ingester.taxonomy, variables, KEY)
            for row, raw in iter_records(table, job.header):
                for _field, column, ref in mapper.apply(raw).mentions:
                    seen.setdefault((name, row, column, ref.label), ref.key)
    kind_of = {label: kind for kind, label in LABELS.items()}
    for c in cells:
        label = LABELS[c["kind"]]
        key = seen.get((c["file"], int(c["row"]), c["column"], label))
        assert key is not None, c
        assert records[(kind_of[label], key)] == c["entity"], c
    assert {(k, key) for (_, _, _, label), key in seen.items() for k in [kind_of.get(label)] if k} == set(records)


def test_decoys_pair_records_of_different_entities_of_every_documented_kind(generated):
    records = {(r["kind"], r["key"]): r["entity"] for r in _csv(generated.out / "truth_records.csv")}
    decoys = _csv(generated.out / "decoys.csv")
    kinds = Counter((d["kind"], d["decoy"]) for d in decoys)
    assert set(kinds) == {
        ("organisation", "same_town_name"),
        ("organisation", "discipline_vs_committee"),
        ("organisation", "hospital_vs_tcm_hospital"),
        ("organisation", "same_name_other_place"),
        ("person", "homonym"),
        ("company", "sound_alike"),
        ("company", "same_trade_name"),
        ("company", "branch"),
    }
    for d in decoys:
        assert d["entity_a"] != d["entity_b"] and d["key_a"] != d["key_b"], d
        assert records[(d["kind"], d["key_a"])] == d["entity_a"], d
        assert records[(d["kind"], d["key_b"])] == d["entity_b"], d
    # The planted ones are there: two 太平镇, 宏达/鸿达建材, the planted common names.
    assert any("太平镇" in d["key_a"] and "太平镇" in d["key_b"] for d in decoys)
    assert any("宏达建材" in d["key_a"] + d["key_b"] and "鸿达建材" in d["key_a"] + d["key_b"] for d in decoys)
    homonyms = {d["entity_a"] for d in decoys if d["decoy"] == "homonym"}
    assert len(homonyms) >= 4


def test_variant_rates_are_roughly_the_documented_ones(generated):
    rows = _csv(generated.out / "variants.csv")
    assert {r["family"] for r in rows} == set(RATES)
    checked = 0
    for r in rows:
        n, p = int(r["opportunities"]), float(r["documented"])
        if n < 40:
            continue
        tolerance = 4 * math.sqrt(p * (1 - p) / n) + 0.03
        assert abs(float(r["share"]) - p) <= tolerance, r
        checked += 1
    assert checked > 40


def test_the_files_show_the_variants(generated):
    """Read off the files themselves: masked and absent IDs, both bracket widths, 县委 bare and prefixed."""
    ids: Counter = Counter()
    units: Counter = Counter()
    for name in generated.files:
        if not name.startswith("干部名册"):
            continue
        path = generated.exports / name
        for table in read_tables(path):
            header = next(iter(iter_records(table, _header(table))))[1].keys()
            column = next(c for c in header if c in ("身份证号", "公民身份号码", "身份证号码"))
            staff = next(c for c in header if c in ("人员编号", "编号", "工号"))
            unit = next(c for c in header if c in ("工作单位", "单位名称", "所在单位"))
            people = {}
            for _, raw in iter_records(table, _header(table)):
                text = str(raw[column] or "")
                people[raw[staff]] = "masked" if "*" in text else "full" if text else "absent"
                units["bare"] += str(raw[unit]) in ("县委", "区委", "市委")
            ids.update(people.values())
    total = sum(ids.values())
    for variant, rate in RATES["person.id"].items():
        assert abs(ids[variant] / total - rate) < 4 * math.sqrt(rate * (1 - rate) / total) + 0.03, (variant, ids)
    assert units["bare"] > 0
    bidders = [
        str(raw[c])
        for name in generated.files
        if name.startswith("投标记录")
        for table in read_tables(generated.exports / name)
        for _, raw in iter_records(table, _header(table))
        for c in ("投标单位", "供应商名称")
        if c in raw
    ]
    assert any("（" in b for b in bidders) and any("(" in b for b in bidders)
    assert any(b.endswith("有限责任公司") for b in bidders) and any(
        b.endswith("有限公司") and "责任" not in b for b in bidders
    )


def _header(table):
    from ingest.readers import find_header

    for required in (["身份证号"], ["公民身份号码"], ["身份证号码"], ["投标单位"], ["供应商名称"]):
        found = find_header(table, required=required)
        if found is not None:
            return found
    raise AssertionError(table)

"""docs/mappings.md cannot rot: every YAML example loads, and the running example does what the page says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from graphmodel import EdgeRecord, NodeRecord, load_schema
from ingest.mapping import Mapping_, RowResult, file_vars_for, load_mapping
from ingest.readers import find_header, iter_records, read_tables
from ingest.taxonomy import Taxonomy, load_taxonomy

DOC = Path(__file__).resolve().parents[2] / "docs" / "mappings.md"
SCHEMA = load_schema()
TEXT = DOC.read_text(encoding="utf-8")


def _yaml_blocks() -> list[tuple[int, dict[str, Any]]]:
    """Every ```yaml block of the page, parsed, with the line it starts on."""
    out = []
    for m in re.finditer(r"^```yaml\n(.*?)^```", TEXT, flags=re.MULTILINE | re.DOTALL):
        line = TEXT.count("\n", 0, m.start()) + 1
        doc = yaml.safe_load(m.group(1))
        assert isinstance(doc, dict), f"docs/mappings.md line {line}: not a YAML mapping"
        out.append((line, doc))
    return out


BLOCKS = _yaml_blocks()
MAPPINGS = {doc["format"]: (line, doc) for line, doc in BLOCKS if "format" in doc}


def _load(doc: dict[str, Any], tmp_path: Path, name: str = "example.yaml") -> Mapping_:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_mapping(path, SCHEMA)


def test_the_page_has_examples():
    assert len(BLOCKS) >= 15
    assert {"chunan-findings", "chunan-roster", "chunan-bids", "chunan-companies", "chunan-teams"} <= set(MAPPINGS)


@pytest.mark.parametrize("line,doc", BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_every_example_loads(line: int, doc: dict[str, Any], tmp_path: Path):
    if "format" in doc:
        # A complete mapping, loaded from its own text (so line numbers and comments are as on the page).
        block = re.findall(r"^```yaml\n(.*?)^```", TEXT, flags=re.MULTILINE | re.DOTALL)
        text = next(b for b in block if yaml.safe_load(b) == doc)
        path = tmp_path / f"{doc['format']}.yaml"
        path.write_text(text, encoding="utf-8")
        load_mapping(path, SCHEMA)
    elif "categories" in doc:
        own = Taxonomy.from_document(doc, "the page")
        load_taxonomy().merge(own)  # it adds to the shipped taxonomy without conflict, as the page says
    else:
        # A fragment: fields, file_vars or headers in an otherwise empty mapping; an each block in the running
        # example, whose fields and file variables it uses.
        assert set(doc) <= {"fields", "file_vars", "headers", "each"}, f"line {line}: {sorted(doc)}"
        if "each" in doc:
            base = dict(MAPPINGS["chunan-findings"][1])
        else:
            base = {"format": "fragment", "fields": {}, "records": []}
        _load({**base, **doc}, tmp_path)


# ------------------------------------------------------------------ the running example, row by row
def _running_table() -> tuple[list[str], list[list[Any]]]:
    """The running example's table as the page shows it (numbers as Excel would hold them)."""
    section = TEXT.split("## The running example", 1)[1]
    table = re.search(r"^\|.*?(?=\n[^|])", section, flags=re.MULTILINE | re.DOTALL)
    assert table is not None
    lines = table.group(0).splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for ln in lines[2:]:
        cells: list[Any] = []
        for c in (c.strip() for c in ln.strip("|").split("|")):
            if not c:
                cells.append(None)
            elif re.fullmatch(r"\d+", c):
                cells.append(int(c))
            elif re.fullmatch(r"\d+\.\d+", c):
                cells.append(float(c))
            else:
                cells.append(c)
        rows.append(cells)
    return header, rows


@pytest.fixture()
def running(tmp_path: Path) -> tuple[Mapping_, list[list[NodeRecord | EdgeRecord]]]:
    header, rows = _running_table()
    wb = Workbook()
    ws = wb.active
    ws.append(["淳安县巡察发现问题清单"] + [None] * (len(header) - 1))
    ws.append(header)
    for row in rows:
        ws.append(row)
    path = tmp_path / "问题清单_330127.xlsx"
    wb.save(path)

    mapping = _load(MAPPINGS["chunan-findings"][1], tmp_path)
    table = read_tables(path)[0]
    optional = sorted({c for f in mapping.fields.values() for c in f.columns})
    found = find_header(table, mapping.required_headers, optional)
    assert found is not None and mapping.matches(found.columns)
    assert "涉及金额(万元)" in found.columns  # the full-width brackets read half-width, as the page says
    variables, problems = file_vars_for(mapping, path, {})
    assert problems == [] and variables["office"] == "330127"
    mapper = mapping.mapper(SCHEMA, load_taxonomy(), variables, None)
    results = [mapper.apply(raw) for _, raw in iter_records(table, found)]
    assert [r.problems for r in results] == [[], []]
    return mapping, [r.records for r in results]


def _node(records: list[Any], label: str) -> NodeRecord:
    return next(r for r in records if isinstance(r, NodeRecord) and r.label == label)


def _edges(records: list[Any], kind: str) -> list[EdgeRecord]:
    return [r for r in records if isinstance(r, EdgeRecord) and r.type == kind]


def test_running_example_row_1(running):
    _, (first, _) = running
    finding = _node(first, "Finding")
    assert finding.key == "finding:330127:2023年第一轮-1"
    assert finding.props["found_date"] == dt.date(2023, 5, 1)
    assert finding.props["category"] == "B01" and finding.props["severity"] == "minor"
    assert "amount" not in finding.props
    org = _node(first, "Organisation")
    assert org.key == "org:330127:淳安县财政局" and org.props["region_code"] == "330127"
    assert _node(first, "Rectification").props["status"] == "completed"
    assert [e.end.key for e in _edges(first, "IN_CATEGORY")] == ["B01"]


def test_running_example_row_2(running):
    _, (_, second) = running
    finding = _node(second, "Finding")
    assert finding.props["found_date"] == dt.date(2023, 5, 12)
    assert finding.props["severity"] == "serious" and finding.props["amount"] == 15000.0
    assert sorted(e.end.key for e in _edges(second, "IN_CATEGORY")) == ["C01", "C02"]
    assert not [r for r in second if getattr(r, "label", None) == "Rectification"]


# ------------------------------------------------------------------ other claims of the page
def _fragment_fields(*names: str) -> dict[str, Any]:
    """The fields of the page's fragment that defines all of ``names``."""
    return next(doc["fields"] for _, doc in BLOCKS if "format" not in doc and set(names) <= set(doc.get("fields", {})))


def _apply(doc: dict[str, Any], raw: dict[str, Any], tmp_path: Path, office: str = "330127") -> Any:
    mapping = _load(doc, tmp_path, f"{doc['format']}.yaml")
    variables, _ = file_vars_for(mapping, tmp_path / f"x_{office}.csv", {})
    return mapping.mapper(SCHEMA, load_taxonomy(), variables, b"docs test key").apply(raw)


def _values(fields: dict[str, Any], raw: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """What each field of a fragment reads from one row."""
    mapping = _load({"format": "fragment", "fields": fields, "records": []}, tmp_path)
    mapper = mapping.mapper(SCHEMA, load_taxonomy(), {}, None)
    result, values = RowResult(), {}
    mapper._parse_fields(mapping.fields, raw, result, values, None)
    assert result.problems == []
    return values


def test_which_takes_the_first_filled_column(tmp_path: Path):
    fields = _fragment_fields("tier", "region")
    county = {"县级区划代码": "330127", "市级区划代码": "330100", "省级区划代码": "330000"}
    city = {"县级区划代码": None, "市级区划代码": "330100", "省级区划代码": "330000"}
    assert _values(fields, county, tmp_path) == {"tier": "county", "region": "330127"}
    assert _values(fields, city, tmp_path) == {"tier": "city", "region": "330100"}


def test_keywords_extract_and_map(tmp_path: Path):
    keywords = _fragment_fields("system")
    got = _values(keywords, {"单位全称": "淳安县供销合作社联合社", "问题描述": "问题较严重"}, tmp_path)
    assert got == {"system": "supply_marketing", "severity": "serious"}
    got = _values(keywords, {"单位全称": "淳安县财政局", "问题描述": "超标准接待"}, tmp_path)
    assert got == {"system": None, "severity": "minor"}
    extract = _fragment_fields("year")
    assert _values(extract, {"单位代码": 330127001, "巡察轮次": "2023年第一轮"}, tmp_path) == {
        "region": "330127",
        "year": 2023,
    }
    mapped = _fragment_fields("leading")
    got = _values(mapped, {"问题等级": "特别严重", "是否班子成员": "非班子成员"}, tmp_path)
    assert got == {"severity": "minor", "leading": False}
    template = _fragment_fields("found")
    assert _values(template, {"年份": 2023, "月份": 5}, tmp_path) == {"found": dt.date(2023, 5, 1)}


def test_officers_in_one_cell(tmp_path: Path):
    _, doc = MAPPINGS["chunan-companies"]
    raw = {
        "统一社会信用代码": None,
        "企业名称": "淳安县千岛湖建设有限公司",
        "主要人员": "王芳:执行董事;李强:监事;赵敏:股东",
    }
    result = _apply(doc, raw, tmp_path)
    assert result.problems == []
    officers = {(e.start.key.rsplit(":", 1)[1], e.props["role"]) for e in _edges(result.records, "OFFICER_OF")}
    assert officers == {("王芳", "director"), ("李强", "supervisor")}
    assert [e.start.key for e in _edges(result.records, "SHAREHOLDER_OF")] == [
        "person:co:淳安县千岛湖建设有限公司:赵敏"
    ]


def test_nested_json_members(tmp_path: Path):
    _, doc = MAPPINGS["chunan-teams"]
    raw = {
        "轮次": "2023年第一轮",
        "巡察组": "第一巡察组",
        "成员": [{"姓名": "王芳", "组内职务": "组长"}, {"姓名": "李强"}],
    }
    result = _apply(doc, raw, tmp_path)
    assert result.problems == []
    roles = sorted((e.start.key, e.props.get("role")) for e in _edges(result.records, "MEMBER_OF"))
    assert roles == [("person:330127:李强:第一巡察组", None), ("person:330127:王芳:第一巡察组", "leader")]


def test_bidders_fill_and_key_by_uscc(tmp_path: Path):
    _, doc = MAPPINGS["chunan-bids"]
    raw = {
        "招标编号": "CA-2023-01",
        "招标单位": "淳安县教育局",
        "投标单位": "千岛湖建设",
        "投标金额": "1,234,000",
        "中标情况": "中标",
    }
    result = _apply(doc, raw, tmp_path)
    company = _node(result.records, "Company")
    assert company.fill and company.key == "company:name:千岛湖建设"
    assert _edges(result.records, "BID_ON")[0].props == {"amount": 1234000.0, "won": True}


def test_office_only_for_mappings_that_declare_it(tmp_path: Path):
    # The page warns: without file_vars.office, {office} has no value and the record is not written.
    _, doc = MAPPINGS["chunan-bids"]
    doc = {k: v for k, v in doc.items() if k != "file_vars"}
    raw = {"招标编号": "CA-2023-01", "投标单位": "千岛湖建设", "投标金额": "1"}
    result = _apply(doc, raw, tmp_path)
    assert not [r for r in result.records if getattr(r, "label", None) == "Tender"]

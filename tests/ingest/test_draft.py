"""Drafting a mapping from a file's headers: the format chosen, the columns read, and a draft that ingest takes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from graphmodel import load_schema
from ingest.draft import HEADER_VARIANTS, draft_mapping, header_key
from ingest.mapping import MappingError, builtin_mappings, file_vars_for, load_mapping
from ingest.readers import find_header, iter_records, read_tables
from ingest.taxonomy import load_taxonomy

SCHEMA = load_schema()


def _recognised(text: str, file: Path, tmp_path: Path):
    """Load a draft as ingest would, and find the file's header with it as ingest's recognition does."""
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    mapping = load_mapping(path, SCHEMA)
    table = read_tables(file)[0]
    optional = sorted({c for f in mapping.fields.values() for c in f.columns})
    header = find_header(table, mapping.required_headers, optional)
    assert header is not None
    assert mapping.matches(header.columns)
    return mapping, table, header


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture()
def roster_gbk(tmp_path: Path) -> Path:
    # A county's roster in GBK, with the names its own system uses and a form's "(必填)" in one header.
    return _write_csv(
        tmp_path / "某县干部名册.csv",
        [
            ["序号", "干部姓名", "所在单位", "现任职务", "出生年月", "身份证号码（必填）", "备注"],
            ["1", "张建国", "某县财政局", "局长", "1975.03.07", "11010519491231002X", ""],
            ["2", "李红", "某县教育局", "副局长", "1980年5月1日", "", "借调"],
        ],
        encoding="gbk",
    )


@pytest.fixture()
def findings_xlsx(tmp_path: Path) -> Path:
    # A title row, then a two-row header: 问题编号 and 发现日期 merged down both rows, group labels above the rest.
    wb = Workbook()
    ws = wb.active
    ws.append(["某县巡察发现问题清单", None, None, None, None, None, None])
    ws.append(["问题编号", "巡察信息", None, None, "问题情况", None, "发现日期"])
    ws.append([None, "巡察轮次", "巡察组别", "被巡察党组织", "问题类型", "问题表现", None])
    ws.append(["XC-001", "2023年第1轮", "第一巡察组", "某县财政局", "违规选人用人", "超职数配备", "2023.05.12"])
    for cells in ("A1:G1", "A2:A3", "B2:D2", "E2:F2", "G2:G3"):
        ws.merge_cells(cells)
    path = tmp_path / "巡察问题清单_330102.xlsx"
    wb.save(path)
    return path


def test_header_key_ignores_what_forms_add():
    assert header_key("* 单位名称（必填）：") == header_key("单位名称") == "单位名称"
    assert header_key("工作单位#2") == "工作单位"


def test_variants_are_unambiguous_within_a_group():
    for group in HEADER_VARIANTS:
        assert len({header_key(n) for n in group}) == len(group), group


def test_roster_in_gbk_with_variant_headers(roster_gbk: Path, tmp_path: Path):
    draft = draft_mapping(roster_gbk, SCHEMA)
    assert draft.format == "roster"
    assert draft.matched == {
        "name": "干部姓名",
        "org": "所在单位",
        "post": "现任职务",
        "birth_month": "出生年月",
        "rid": "身份证号码(必填)",
        "rid_masked": "身份证号码(必填)",
        "rid_birth": "身份证号码(必填)",
    }
    assert draft.unmatched_columns == ["序号", "备注"]
    assert draft.missing_required == []
    assert "--office CODE" in draft.text  # no region code in the file name
    assert "# variant of 姓名" in draft.text
    assert "籍贯, parse: text}  # not in this file" in draft.text
    assert "(必填)" not in draft.text.split("the header says")[-1][:10]  # a form's hint is no unit to check

    mapping, table, header = _recognised(draft.text, roster_gbk, tmp_path)
    assert mapping.required_headers == ("干部姓名", "所在单位", "现任职务")
    shipped = next(m for m in builtin_mappings(SCHEMA) if m.name == "roster")
    assert yaml.safe_load(draft.text)["records"] == yaml.safe_load(Path(shipped.path).read_text("utf-8"))["records"]

    # The rows load: a person serving at an organisation, keyed by the office given with --office.
    variables, problems = file_vars_for(mapping, roster_gbk, {"office": "330102"})
    assert problems == []
    mapper = mapping.mapper(SCHEMA, load_taxonomy(), variables, b"test key")
    results = [mapper.apply(raw) for _, raw in iter_records(table, header)]
    assert [r.problems for r in results] == [[], []]
    edges = [r for r in results[1].records if getattr(r, "type", None) == "SERVES_AT"]
    assert edges[0].end.key == "org:330102:某县教育局" and edges[0].props["post"] == "副局长"


def test_findings_with_title_row_and_merged_header(findings_xlsx: Path, tmp_path: Path):
    draft = draft_mapping(findings_xlsx, SCHEMA)
    assert draft.format == "findings"
    assert draft.matched == {
        "finding_no": "问题编号",
        "round": "巡察轮次",
        "team": "巡察组别",
        "org": "被巡察党组织",
        "category": "问题类型",
        "description": "问题表现",
        "found": "发现日期",
    }
    assert draft.unmatched_columns == []
    assert "--office" not in draft.text  # the file name carries 330102
    assert "header on row 3" in draft.text
    mapping, _, header = _recognised(draft.text, findings_xlsx, tmp_path)
    assert header.row == 3
    assert set(mapping.required_headers) == {"问题编号", "被巡察党组织", "问题类型", "发现日期"}


def test_missing_required_fields_are_listed(tmp_path: Path):
    # A rectification ledger without finding numbers: the status is there, the key is not.
    path = _write_csv(
        tmp_path / "整改台账_330102.csv",
        [["整改责任单位", "整改期限", "完成情况", "整改责任人"], ["某县财政局", "2023-12-31", "已完成", "王五"]],
    )
    draft = draft_mapping(path, SCHEMA)
    assert draft.format == "rectification"
    assert draft.missing_required == ["finding_no"]
    assert draft.matched == {
        "org": "整改责任单位",
        "person": "整改责任人",
        "deadline": "整改期限",
        "status": "完成情况",
    }
    assert "required, map a column of yours or the file is refused" in draft.text
    _recognised(draft.text, path, tmp_path)


def test_a_file_that_fits_nothing(tmp_path: Path):
    path = _write_csv(tmp_path / "车辆台账.csv", [["车牌号", "行驶里程", "油耗"], ["浙A12345", "1200", "8.1"]])
    with pytest.raises(MappingError) as err:
        draft_mapping(path, SCHEMA)
    message = str(err.value)
    assert "车牌号, 行驶里程, 油耗" in message and "docs/mappings.md" in message


def test_sheet_choice(findings_xlsx: Path, tmp_path: Path):
    assert draft_mapping(findings_xlsx, SCHEMA, sheet="Sheet").format == "findings"
    with pytest.raises(MappingError, match="no sheet '其他'"):
        draft_mapping(findings_xlsx, SCHEMA, sheet="其他")


# Which shipped format each kind of generated export is.
_KINDS = {
    "个人有关事项": "declarations",
    "企业登记信息": "companies",
    "单位名录": "directory",
    "巡察发现问题": "findings",
    "巡视发现问题": "findings",
    "巡察组人员": "teams",
    "巡视组人员": "teams",
    "干部名册": "roster",
    "招投标": "bids",
    "整改台账": "rectification",
    "线索移交台账": "transfers",
    "问题线索台账": "leads",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.generator import generate

    out = tmp_path_factory.mktemp("exports")
    generate("tiny", seed=1, out=out)
    return out


def test_generated_exports_draft_as_their_format(generated: Path, tmp_path: Path):
    # One file of each kind: the workbook where there is one (a title row, and merged headers in some),
    # else the CSV or JSON.
    files: dict[str, Path] = {}
    for path in sorted(generated.iterdir(), key=lambda p: (p.suffix != ".xlsx", p.name)):
        kind = path.name.split("_")[0]
        if kind in _KINDS:
            files.setdefault(kind, path)
    assert set(files) == set(_KINDS)
    for kind, path in files.items():
        draft = draft_mapping(path, SCHEMA)
        assert draft.format == _KINDS[kind], path.name
        assert draft.missing_required == [], path.name
        _recognised(draft.text, path, tmp_path)

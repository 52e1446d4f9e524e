"""The mapping language on an office's own exports: derivations, checks, vocabulary, order, re-ingest, quality."""

from __future__ import annotations

import csv
import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics import GraphView
from cli import main
from graphmodel import EmbeddedBackend, load_schema
from ingest.check import check_mapping
from ingest.load import Ingester
from ingest.mapping import MappingError, builtin_mappings, load_mapping
from ingest.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

SCHEMA = load_schema()
KEY = b"test-secret-key"

# An office's own vocabulary: its own category codes and names, its own words for sector systems.
OFFICE_TAXONOMY = """
categories:
- {code: Z1, name: 政治建设方面}
- {code: Z1-01, name: 落实上级决策不力, parent: Z1, aliases: [贯彻不力]}
- {code: Z2, name: 廉洁方面}
- {code: Z2-01, name: 违规吃喝, parent: Z2, aliases: [大吃大喝]}
- {code: Z2-02, name: 串通投标, parent: Z2}
systems:
- {code: gx, name: 供销合作, aliases: [供销社]}
- {code: jt, name: 交通运输}
"""

# A unit register in the office's own layout: its own unit codes, tier by which code column is filled.
UNITS_MAPPING = """
format: office-units
title: 单位台账
headers:
  required: [单位编码, 单位全称]
file_vars:
  office: {pattern: '(\\d{6})', parse: region_code}
fields:
  unit: {column: 单位编码, parse: text, required: true}
  name: {column: 单位全称, parse: org_name, required: true}
  system: {column: [所属系统, 系统], parse: system}
  tier: {which: {县区代码: county, 地市代码: city}, parse: {enum: Organisation.tier}}
  region: {column: [县区代码, 地市代码], parse: region_code, aliases: {市本级: '330400'}}
  kind: {const: government_department, parse: {enum: Organisation.kind}}
records:
  - node: Organisation
    key: "unit:{unit}"
    props: {name: name, system: system, tier: tier, region_code: region, kind: kind}
"""

FINDINGS_MAPPING = """
format: office-findings
title: 问题台账
headers:
  required: [问题序号, 单位编码, 问题摘要]
file_vars:
  office: {pattern: '(\\d{6})', parse: region_code}
fields:
  seq: {column: 问题序号, parse: text, required: true}
  unit: {column: 单位编码, extract: '^([A-Z]+-\\d+)', parse: text, required: true}
  category: {column: 问题摘要, keywords: {吃喝: 违规吃喝, 串标: Z2-02, 围标: Z2-02}, default: 贯彻不力, parse: category}
  found: {template: '{年度}-{月份}-01', parse: date, required: true}
  severity: {column: 性质, map: {一般: minor, 严重: severe}, default: serious, parse: {enum: Finding.severity}}
records:
  - node: Finding
    key: "问题:{seq}"
    props: {category: category, found_date: found, severity: severity}
  - rel: CONCERNS
    start: [Finding, "问题:{seq}"]
    end: [Organisation, "unit:{unit}"]
  - rel: IN_CATEGORY
    start: [Finding, "问题:{seq}"]
    end: [ProblemCategory, "{category}"]
"""


def _write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


@pytest.fixture
def office(tmp_path):
    """An office's own exports, mappings and taxonomy, in a folder."""
    root = tmp_path / "office"
    (root / "exports").mkdir(parents=True)
    (root / "taxonomy.yaml").write_text(OFFICE_TAXONOMY, encoding="utf-8")
    (root / "units.yaml").write_text(UNITS_MAPPING, encoding="utf-8")
    (root / "findings.yaml").write_text(FINDINGS_MAPPING, encoding="utf-8")
    _write_csv(
        root / "exports" / "单位台账_330400.csv",
        ["单位编码", "单位全称", "所属系统", "地市代码", "县区代码"],
        [
            ["JX-001", "嘉兴市供销合作社", "供销社", "市本级", ""],
            ["JX-002", "南湖区供销合作社", "供销合作", "330400", "330402"],
            ["JX-003", "嘉兴市交通运输局", "交通运输", "330400", ""],
        ],
        encoding="gbk",
    )
    _write_csv(
        root / "exports" / "问题台账_330400.csv",
        ["问题序号", "单位编码", "问题摘要", "年度", "月份", "性质"],
        [
            ["1", "JX-001（嘉兴市供销合作社）", "公款大吃大喝、违规吃喝", "2023", "5", "一般"],
            ["2", "JX-002", "工程项目存在串标嫌疑", "2023", "11", "严重"],
            ["3", "JX-003", "学习贯彻走过场", "2024", "02", "较重"],
        ],
    )
    return root


def _mappings(root: Path, *names: str) -> list:
    return [load_mapping(root / n, SCHEMA) for n in names]


def test_an_offices_own_format_loads_with_its_own_vocabulary(office, tmp_path):
    g = EmbeddedBackend(tmp_path / "ws")
    report = Ingester(
        g,
        tmp_path / "q",
        mappings=_mappings(office, "findings.yaml", "units.yaml"),  # the order of the flags does not matter
        taxonomy=load_taxonomy(office / "taxonomy.yaml"),
        secret_key=KEY,
    ).ingest([office / "exports"])
    assert {f.format: (f.rows_quarantined, f.links_unresolved) for f in report.files} == {
        "office-units": (0, 0),
        "office-findings": (0, 0),
    }
    assert report.exit_code == 0
    units = g.nodes("Organisation").set_index("org_id")
    # which: the tier from which code column is filled; aliases on a region code; system words -> codes.
    assert units.loc["unit:JX-001", ["tier", "region_code", "system"]].tolist() == ["city", "330400", "gx"]
    assert units.loc["unit:JX-002", ["tier", "region_code", "system"]].tolist() == ["county", "330402", "gx"]
    assert units.loc["unit:JX-003", "system"] == "jt" and units["kind"].eq("government_department").all()
    findings = g.nodes("Finding").set_index("finding_id")
    # keywords (with a default), a template date from year and month, map with a default.
    assert findings.loc["问题:1", ["category", "severity"]].tolist() == ["Z2-01", "minor"]
    assert findings.loc["问题:2", ["category", "severity"]].tolist() == ["Z2-02", "severe"]
    assert findings.loc["问题:3", ["category", "severity"]].tolist() == ["Z1-01", "serious"]
    assert str(findings.loc["问题:1", "found_date"])[:10] == "2023-05-01"
    assert str(findings.loc["问题:3", "found_date"])[:10] == "2024-02-01"
    # extract: the unit code out of "JX-001（嘉兴市供销合作社）"
    concerns = g.relationships("CONCERNS")
    assert set(zip(concerns["start_key"], concerns["end_key"], strict=True)) >= {("问题:1", "unit:JX-001")}
    # The workspace keeps the office's taxonomy: names, tree and systems, as nodes and as its document.
    kept = Taxonomy.from_backend(g)
    assert kept is not None and kept.category_names()["Z2-01"] == "违规吃喝" and kept.system("供销社") == "gx"
    assert set(g.nodes("SectorSystem")["code"]) == {"gx", "jt"}
    # What readers see names things in the office's own words.
    view = GraphView(g)
    assert view.category_name("Z2-01") == "违规吃喝" and view.system_name("gx") == "供销合作"
    assert view.category_name("nonesuch") == "nonesuch"
    # A later ingest without --taxonomy still reads the office's words.
    (office / "exports" / "问题台账_330400.csv").unlink()
    _write_csv(
        office / "exports" / "问题台账二_330400.csv",
        ["问题序号", "单位编码", "问题摘要", "年度", "月份"],
        [["4", "JX-003", "违规吃喝", "2024", "3"]],
    )
    report = Ingester(
        g, tmp_path / "q", mappings=_mappings(office, "findings.yaml", "units.yaml"), secret_key=KEY
    ).ingest([office / "exports"])
    assert report.exit_code == 0
    assert g.nodes("Finding").set_index("finding_id").loc["问题:4", "category"] == "Z2-01"
    g.close()


def test_files_and_mappings_in_any_order_resolve_every_link(office, backend, tmp_path):
    files = sorted((office / "exports").iterdir(), reverse=True)  # findings before the units they point at
    mappings = _mappings(office, "findings.yaml", "units.yaml")
    taxonomy = load_taxonomy(office / "taxonomy.yaml")
    for order in (files, files[::-1]):
        backend.clear()
        report = Ingester(backend, tmp_path / "q", mappings=mappings, taxonomy=taxonomy, secret_key=KEY).ingest(order)
        assert report.links_unresolved == 0 and report.exit_code == 0
        assert len(backend.relationships("CONCERNS")) == 3
        assert set(backend.nodes("Source")["status"]) == {"complete"}


def test_a_link_nothing_defines_is_counted_and_resolves_when_its_file_comes(office, tmp_path):
    g = EmbeddedBackend(tmp_path / "ws")
    mappings = _mappings(office, "findings.yaml", "units.yaml")
    taxonomy = load_taxonomy(office / "taxonomy.yaml")
    findings = office / "exports" / "问题台账_330400.csv"
    report = Ingester(g, tmp_path / "q", mappings=mappings, taxonomy=taxonomy).ingest([findings])
    assert report.links_unresolved == 3 and report.exit_code == 3
    assert report.unresolved_path is not None and "JX-00" in report.unresolved_path.read_text(encoding="utf-8-sig")
    # The units come in a later ingest: the findings file, waiting for them, is loaded again.
    report = Ingester(g, tmp_path / "q", mappings=mappings).ingest([office / "exports"])
    by_file = {Path(f.file).name: f for f in report.files}
    assert by_file["问题台账_330400.csv"].status == "reloaded" and report.links_unresolved == 0
    assert len(g.relationships("CONCERNS")) == 3 and len(g.nodes("Finding")) == 3
    g.close()


def test_a_changed_mapping_is_applied_on_reingest_and_force_reloads(office, tmp_path):
    g = EmbeddedBackend(tmp_path / "ws")
    taxonomy = load_taxonomy(office / "taxonomy.yaml")

    def run(**kw):
        mappings = _mappings(office, "findings.yaml", "units.yaml")
        report = Ingester(g, tmp_path / "q", mappings=mappings, taxonomy=taxonomy, **kw).ingest([office / "exports"])
        return {f.format: f.status for f in report.files}

    assert run() == {"office-units": "loaded", "office-findings": "loaded"}
    assert run() == {"office-units": "unchanged", "office-findings": "unchanged"}
    text = (office / "findings.yaml").read_text(encoding="utf-8")
    (office / "findings.yaml").write_text(text.replace("default: serious", "default: minor"), encoding="utf-8")
    assert run() == {"office-units": "unchanged", "office-findings": "reloaded"}
    findings = g.nodes("Finding").set_index("finding_id")
    assert len(findings) == 3 and findings.loc["问题:3", "severity"] == "minor"
    assert run(force=True) == {"office-units": "reloaded", "office-findings": "reloaded"}
    assert len(g.nodes("Finding")) == 3 and len(g.relationships("CONCERNS")) == 3
    g.close()


def test_a_conflicting_taxonomy_is_refused_naming_both_definitions(office, tmp_path):
    g = EmbeddedBackend(tmp_path / "ws")
    Ingester(
        g,
        tmp_path / "q",
        mappings=_mappings(office, "units.yaml", "findings.yaml"),
        taxonomy=load_taxonomy(office / "taxonomy.yaml"),
    ).ingest([office / "exports"])
    assert len(g.relationships("IN_CATEGORY")) == 3
    other = tmp_path / "other.yaml"
    other.write_text(
        "categories:\n- {code: Z2-01, name: 收受礼金, parent: Z2}\n- {code: Z2, name: 廉洁方面}\n", "utf-8"
    )
    with pytest.raises(TaxonomyError) as err:
        Ingester(g, tmp_path / "q", taxonomy=load_taxonomy(other)).ingest([])
    message = str(err.value)
    assert "Z2-01" in message and "违规吃喝" in message and "收受礼金" in message
    assert str(office / "taxonomy.yaml") in message and str(other) in message
    # Adding is fine: a new category and a new alias for an old one.
    more = tmp_path / "more.yaml"
    more.write_text(
        "categories:\n- {code: Z2, name: 廉洁方面}\n- {code: Z2-01, name: 违规吃喝, parent: Z2, aliases: [公款吃喝]}\n"
        "- {code: Z2-03, name: 收受礼金, parent: Z2}\n",
        "utf-8",
    )
    before = len(g.relationships("IN_CATEGORY"))
    Ingester(g, tmp_path / "q", taxonomy=load_taxonomy(more)).ingest([])
    # The findings' links to their categories survive the taxonomy's growing.
    assert len(g.relationships("IN_CATEGORY")) == before
    assert set(g.nodes("Source")["status"]) == {"complete"}
    kept = Taxonomy.from_backend(g)
    assert kept is not None and kept.code("公款吃喝") == "Z2-01" and kept.code("收受礼金") == "Z2-03"
    assert kept.code("供销社") if False else kept.system("供销社") == "gx"
    g.close()


def test_a_taxonomy_alias_that_means_two_categories_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n- {code: A, name: 甲, aliases: [同]}\n- {code: B, name: 乙, aliases: [同]}\n", "utf-8")
    with pytest.raises(TaxonomyError, match="'同' means category A"):
        load_taxonomy(bad)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("column: 单位编码, parse: text", "colum: 单位编码, parse: text"),
            r"line 9: unknown key 'colum' \(did you mean 'column'\?\)",
        ),
        (
            ("required: true}\n  name", "required: 必填}\n  name"),
            r"line 9: fields\.unit\.required: '必填' is not of type 'boolean'",
        ),
        (("  unit: {column: 单位编码", "  no: {column: 单位编码"), r"line 9: the key 'no' reads as true or false"),
        (
            ("    props: {name: name,", "    props: {name: nmae,"),
            r"Organisation\.name uses \{nmae\}.*did you mean \{name\}",
        ),
        (('key: "unit:{unit}"', 'key: "unit:{units}"'), r"Organisation's key uses \{units\}"),
        (("parse: system}", "parse: sytem}"), r"unknown parser 'sytem'"),
        (("  - node: Organisation", "  - nod: Organisation"), r"unknown key 'nod' \(did you mean 'node'\?\)"),
    ],
)
def test_mistakes_in_a_mapping_are_errors_naming_file_and_line(tmp_path, change, expected):
    path = tmp_path / "units.yaml"
    old, new = change
    assert old in UNITS_MAPPING
    path.write_text(UNITS_MAPPING.replace(old, new), encoding="utf-8")
    with pytest.raises(MappingError, match=expected) as err:
        load_mapping(path, SCHEMA)
    assert "units.yaml" in str(err.value)


def test_every_shipped_mapping_passes_the_schema():
    assert len(builtin_mappings(SCHEMA)) >= 10


def test_a_column_a_required_field_reads_missing_refuses_the_file_naming_both(office, tmp_path):
    text = UNITS_MAPPING.replace("unit: {column: 单位编码,", "unit: {column: 单位代码,")
    (office / "units.yaml").write_text(text, encoding="utf-8")
    g = EmbeddedBackend(tmp_path / "ws")
    report = Ingester(
        g, tmp_path / "q", mappings=_mappings(office, "units.yaml"), taxonomy=load_taxonomy(office / "taxonomy.yaml")
    ).ingest([office / "exports" / "单位台账_330400.csv"])
    (f,) = report.files
    assert f.status == "refused" and report.exit_code == 1
    assert "units.yaml reads column 单位代码 (field unit)" in f.message and "单位编码" in f.message
    # An optional column missing is a warning, and the file loads.
    text = UNITS_MAPPING.replace("system: {column: [所属系统, 系统],", "system: {column: [行业系统],")
    (office / "units.yaml").write_text(text, encoding="utf-8")
    report = Ingester(g, tmp_path / "q", mappings=_mappings(office, "units.yaml")).ingest(
        [office / "exports" / "单位台账_330400.csv"]
    )
    (f,) = report.files
    assert f.status == "loaded" and f.warnings == [
        "the mapping units.yaml reads column 行业系统 (field system), which this file lacks"
    ]
    g.close()


def test_quality_counts_empty_invalid_and_unrecognised_values_without_secrets(office, tmp_path):
    _write_csv(
        office / "exports" / "问题台账_330400.csv",
        ["问题序号", "单位编码", "问题摘要", "年度", "月份", "性质"],
        [
            ["1", "JX-001", "违规吃喝", "2023", "5", "一般"],
            ["2", "JX-002", "吃喝", "2023", "13", "轻微"],
            ["3", "未编码单位", "其他", "2023", "", "轻微"],
            ["4", "JX-003", "其他", "2023", "6", ""],
        ],
    )
    g = EmbeddedBackend(tmp_path / "ws")
    report = Ingester(
        g,
        tmp_path / "q",
        mappings=_mappings(office, "findings.yaml", "units.yaml"),
        taxonomy=load_taxonomy(office / "taxonomy.yaml"),
        quality_path=tmp_path / "quality.csv",
    ).ingest([office / "exports"])
    (f,) = [f for f in report.files if f.format == "office-findings"]
    q = {x.field: x for x in f.quality}
    assert (q["found"].rows, q["found"].empty, q["found"].invalid) == (4, 1, 1)  # month 13 invalid, month empty
    assert q["unit"].unrecognised == 1 and q["unit"].top() == [("未编码单位", 1)]  # extract found no code
    assert q["category"].unrecognised == 2 and q["category"].top() == [("其他", 2)]  # fell to the default
    assert q["severity"].unrecognised == 2 and q["severity"].empty == 1
    with open(tmp_path / "quality.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["file"], r["field"]) for r in rows} >= {
        ("问题台账_330400.csv", "found"),
        ("单位台账_330400.csv", "unit"),
    }
    g.close()


ROSTER = "干部名册_330400.csv"


def test_quality_never_shows_a_secret_column(tmp_path):
    exports = tmp_path / "ex"
    exports.mkdir()
    bad_id = "330402198203150017"  # a wrong check digit: invalid, and secret
    _write_csv(
        exports / ROSTER, ["姓名", "工作单位", "职务", "身份证号"], [["张三", "嘉兴市供销合作社", "主任", bad_id]]
    )
    g = EmbeddedBackend(tmp_path / "ws")
    report = Ingester(g, tmp_path / "q", secret_key=KEY, quality_path=tmp_path / "quality.csv").ingest([exports])
    text = (tmp_path / "quality.csv").read_text(encoding="utf-8-sig")
    assert bad_id not in text and bad_id[:12] not in text and "withheld" in text
    assert bad_id not in json.dumps([q.as_dict() for f in report.files for q in f.quality], ensure_ascii=False)
    g.close()


def test_mapping_check_is_a_dry_run_that_shows_records_and_reasons(office, tmp_path, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)  # the embedded workspace named below, not a server
    _write_csv(
        office / "exports" / "问题台账_330400.csv",
        ["问题序号", "单位编码", "问题摘要", "年度", "月份"],
        [["1", "JX-001", "违规吃喝", "2023", "5"], ["2", "JX-002", "吃喝", "二〇二三", "5"]],
    )
    (check,) = check_mapping(
        load_mapping(office / "findings.yaml", SCHEMA),
        office / "exports" / "问题台账_330400.csv",
        SCHEMA,
        taxonomy=load_taxonomy(office / "taxonomy.yaml"),
    )
    assert check.recognised and (check.rows_read, check.rows_loaded, check.rows_quarantined) == (2, 1, 1)
    assert set(check.records["label"]) == {"Finding", "CONCERNS", "IN_CATEGORY"}
    ((column, reason),) = check.reasons
    assert column == "{年度}-{月份}-01" and "二〇二三" in str(check.quarantine["value"].iloc[0])
    runner = CliRunner()
    ws = tmp_path / "never-created"
    result = runner.invoke(
        main,
        [
            "--workspace",
            str(ws),
            "mapping",
            "check",
            str(office / "findings.yaml"),
            str(office / "exports" / "问题台账_330400.csv"),
            "--taxonomy",
            str(office / "taxonomy.yaml"),
        ],
    )
    assert result.exit_code == 3, result.output
    assert "row 2 becomes:" in result.output and "Finding 问题:1" in result.output
    assert "1 would be quarantined" in result.output and not ws.exists()
    # The wrong mapping for the file: refused, exit 1, and why.
    result = runner.invoke(
        main, ["mapping", "check", str(office / "units.yaml"), str(office / "exports" / "问题台账_330400.csv")]
    )
    assert result.exit_code == 1 and "does not recognise" in result.output


def test_cli_mapping_adds_to_the_shipped_formats_and_file_vars_are_options(office, tmp_path, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)  # the embedded workspace named below, not a server
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    _write_csv(shipped / "干部名册.csv", ["姓名", "工作单位", "职务"], [["李四", "嘉兴市交通运输局", "局长"]])
    runner = CliRunner()
    ws = tmp_path / "ws"
    args = [
        "--workspace",
        str(ws),
        "ingest",
        "--taxonomy",
        str(office / "taxonomy.yaml"),
        "--mapping",
        str(office / "units.yaml"),
    ]
    result = runner.invoke(main, [*args, str(office / "exports" / "单位台账_330400.csv"), str(shipped)])
    # The roster's name carries no office: the message names an option that exists.
    assert result.exit_code == 1 and "pass --office CODE" in result.output, result.output
    result = runner.invoke(
        main, [*args, "--office", "330400", "--json", str(office / "exports" / "单位台账_330400.csv"), str(shipped)]
    )
    assert result.exit_code == 0, result.output
    files = {f["format"]: f for f in json.loads(result.stdout)["files"]}
    assert files["office-units"]["status"] == "unchanged" and files["roster"]["status"] == "loaded"
    assert files["roster"]["quality"] and (ws / "quality.csv").exists()
    result = runner.invoke(main, ["ingest", "--file-var", "department"])
    assert result.exit_code != 0


def test_dates_and_year_months_in_mixed_styles(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        textwrap.dedent(
            """
            format: dated
            headers: {required: [编号, 日期]}
            fields:
              seq: {column: 编号, required: true}
              day: {column: 日期, parse: date, required: true}
            records:
              - node: Finding
                key: "f:{seq}"
                props: {found_date: day}
            """
        ),
        encoding="utf-8",
    )
    rows = [
        ["1", "2023年5月12日"],
        ["2", "2023.05.12"],
        ["3", "2023/5/12"],
        ["4", "20230512"],
        ["5", "２０２３－０５－１２"],
    ]
    _write_csv(tmp_path / "d.csv", ["编号", "日期"], rows)
    (check,) = check_mapping(load_mapping(mapping, SCHEMA), tmp_path / "d.csv", SCHEMA)
    assert check.rows_quarantined == 0, check.quarantine
    dates = {json.loads(p)["found_date"] for p in check.records["props"]}
    assert dates == {dt.date(2023, 5, 12).isoformat()}


def test_replacing_a_file_keeps_the_links_other_files_made_to_its_records(office, backend, tmp_path):
    mappings = _mappings(office, "findings.yaml", "units.yaml")
    taxonomy = load_taxonomy(office / "taxonomy.yaml")
    Ingester(backend, tmp_path / "q", mappings=mappings, taxonomy=taxonomy).ingest([office / "exports"])
    assert len(backend.relationships("CONCERNS")) == 3
    # A corrected unit register: one unit renamed, one (JX-003) gone.
    _write_csv(
        office / "exports" / "单位台账_330400.csv",
        ["单位编码", "单位全称", "所属系统", "地市代码", "县区代码"],
        [
            ["JX-001", "嘉兴市供销合作总社", "供销社", "市本级", ""],
            ["JX-002", "南湖区供销合作社", "供销合作", "330400", "330402"],
        ],
        encoding="gbk",
    )
    report = Ingester(backend, tmp_path / "q", mappings=mappings).ingest([office / "exports"])
    statuses = {f.format: f.status for f in report.files}
    assert statuses == {"office-units": "replaced", "office-findings": "unchanged"}
    concerns = backend.relationships("CONCERNS")
    # The findings file's links to the units that stayed are kept; the one to the dropped unit is reported.
    assert set(zip(concerns["start_key"], concerns["end_key"], strict=True)) == {
        ("问题:1", "unit:JX-001"),
        ("问题:2", "unit:JX-002"),
    }
    assert backend.nodes("Organisation").set_index("org_id").loc["unit:JX-001", "name"] == "嘉兴市供销合作总社"
    assert "JX-003" in (tmp_path / "q" / "unresolved_links.csv").read_text(encoding="utf-8-sig")
    sources = backend.nodes("Source").set_index("source_id")
    assert set(sources["status"]) == {"complete"}
    assert sources.loc["问题台账_330400.csv", "links_unresolved"] == 1
    assert set(backend.sources()) == set(sources.index)  # bookkeeping is attributed to the files themselves
    # When the unit comes back, the findings file (waiting for it) is loaded again and the link returns.
    _write_csv(
        office / "exports" / "单位台账_330400.csv",
        ["单位编码", "单位全称", "所属系统", "地市代码", "县区代码"],
        [
            ["JX-001", "嘉兴市供销合作总社", "供销社", "市本级", ""],
            ["JX-003", "嘉兴市交通运输局", "交通运输", "330400", ""],
        ],
        encoding="gbk",
    )
    Ingester(backend, tmp_path / "q", mappings=mappings).ingest([office / "exports"])
    concerns = backend.relationships("CONCERNS")
    assert set(concerns["end_key"]) == {"unit:JX-001", "unit:JX-003"} and len(concerns) == 2


def test_an_enum_alias_pointing_nowhere_is_refused_when_the_mapping_loads(tmp_path):
    path = tmp_path / "units.yaml"
    text = UNITS_MAPPING.replace(
        "parse: {enum: Organisation.tier}}", "parse: {enum: Organisation.tier}, aliases: {市直: 市本级}}"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=r"alias '市直' points to '市本级', which is none of .*city \(市级\)"):
        load_mapping(path, SCHEMA)
    # A Chinese label is a fine target: it is read as its code.
    path.write_text(text.replace("市直: 市本级", "市直: 市级"), encoding="utf-8")
    assert load_mapping(path, SCHEMA).fields["tier"].aliases == {"市直": "city"}


def test_column_names_are_read_like_headers_and_stated_variables_reach_any_mapping(tmp_path):
    # Full-width brackets and spaces in the mapping's names, as an office copies them from its template;
    # the office code given on the command line for a mapping that declares no file variables.
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        textwrap.dedent(
            """
            format: bare-units
            headers: {required: [单位编码（必填）, 单位 全称]}
            fields:
              unit: {column: 单位编码（必填）, required: true}
              name: {column: 单位 全称, parse: org_name, required: true}
              tag: {template: "{office}-{unit}", required: true}
            records:
              - node: Organisation
                key: "{tag}"
                props: {name: name, region_code: office}
            """
        ),
        encoding="utf-8",
    )
    _write_csv(tmp_path / "units.csv", ["单位编码(必填)", "单位全称"], [["U1", "嘉兴市财政局"]])
    g = EmbeddedBackend(tmp_path / "ws")
    report = Ingester(g, tmp_path / "q", mappings=[load_mapping(mapping, SCHEMA)], builtin=False).ingest(
        [tmp_path / "units.csv"]
    )
    (f,) = report.files
    assert f.status == "refused" and "uses {office}" in f.message and "pass --office CODE" in f.message
    report = Ingester(
        g, tmp_path / "q", mappings=[load_mapping(mapping, SCHEMA)], builtin=False, overrides={"office": "330400"}
    ).ingest([tmp_path / "units.csv"])
    assert report.exit_code == 0, report.files[0].message
    assert g.nodes("Organisation")[["org_id", "region_code"]].values.tolist() == [["330400-U1", "330400"]]
    g.close()


def test_a_scoped_analysis_says_how_many_units_it_cannot_place(office, tmp_path, monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    _write_csv(
        office / "exports" / "单位台账_330400.csv",
        ["单位编码", "单位全称", "所属系统", "地市代码", "县区代码"],
        [["JX-001", "嘉兴市供销合作社", "供销社", "市本级", ""], ["JX-009", "某协会", "", "", ""]],
        encoding="gbk",
    )
    ws = tmp_path / "ws"
    runner = CliRunner()
    args = ["--workspace", str(ws), "ingest", "--taxonomy", str(office / "taxonomy.yaml")]
    result = runner.invoke(
        main, [*args, "--mapping", str(office / "units.yaml"), str(office / "exports" / "单位台账_330400.csv")]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--workspace", str(ws), "analyze", "--scope", "330400"])
    assert result.exit_code == 0, result.output
    assert "1个单位没有行政区划代码" in result.stderr
    audit = [json.loads(line) for line in (ws / "audit.log").read_text(encoding="utf-8").splitlines()]
    assert audit[-1]["unplaced"] == 1


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1982年10月", "1982-10"),
        ("1982.10", "1982-10"),
        ("198210", "1982-10"),
        ("1982年10月5日", "1982-10"),
        (dt.datetime(1982, 10, 1), "1982-10"),
        (1982.11, "1982-11"),
        ("", None),
    ],
)
def test_year_month_is_read_at_its_own_precision(cell, expected):
    from ingest.parse import parse_year_month

    assert parse_year_month(cell) == expected


def test_a_roster_that_writes_birth_as_year_and_month_loads(tmp_path):
    exports = tmp_path / "ex"
    exports.mkdir()
    _write_csv(
        exports / "干部名册_330400.csv",
        ["姓名", "出生年月", "工作单位", "职务"],
        [["张三", "1982年10月", "嘉兴市财政局", "局长"], ["李四", "1975.03", "嘉兴市财政局", "副局长"]],
    )
    g = EmbeddedBackend(tmp_path / "ws")
    report = Ingester(g, tmp_path / "q", secret_key=KEY).ingest([exports])
    assert report.rows_quarantined == 0 and report.exit_code == 0
    people = g.nodes("Person").set_index("name")
    assert people.loc["张三", "birth_month"] == "1982-10" and people.loc["李四", "birth_month"] == "1975-03"
    assert people["birth_date"].isna().all()  # no day is invented
    from ingest.parse import ParseError, parse_year_month

    with pytest.raises(ParseError, match="ambiguous"):
        parse_year_month(1982.1)
    g.close()


def test_masked_resident_ids_load_as_partial_evidence_and_join_records_of_one_name(tmp_path):
    from ingest.resolve import Resolver

    exports = tmp_path / "ex"
    exports.mkdir()
    header = ["姓名", "出生年月", "工作单位", "职务", "身份证号"]
    # One cadre in two offices' rosters: a full ID in one, the same ID printed masked in the other; and a
    # namesake whose masked ID differs.
    _write_csv(
        exports / "干部名册_330400.csv", header, [["王伟", "1975.03", "嘉兴市财政局", "局长", "330402197503151234"]]
    )
    _write_csv(
        exports / "干部名册_330402.csv",
        header,
        [
            ["王伟", "1975.03", "南湖区财政局", "副局长", "330402********1234"],
            ["王伟", "1975.03", "南湖区水利局", "科员", "330402********5678"],
        ],
    )
    g = EmbeddedBackend(tmp_path / "ws")
    report = Ingester(g, tmp_path / "q", secret_key=KEY).ingest([exports])
    assert report.rows_quarantined == 0 and report.exit_code == 0
    people = g.nodes("Person")
    assert people["resident_id_hash"].notna().sum() == 1 and people["resident_id_masked_hash"].notna().all()
    assert "1234" not in " ".join(map(str, people["resident_id_masked_hash"]))  # stored as a keyed hash
    Resolver(g).run()
    people = g.nodes("Person").set_index("person_id")
    wang = people[people["name"] == "王伟"]
    full = wang[wang["resident_id_hash"].notna()].index[0]
    by_org = {k: c for k, c in wang["canonical_id"].items()}
    assert len(set(by_org.values())) == 2  # the masked print of the same ID joins; the other 王伟 stays apart
    assert sum(c == by_org[full] for c in by_org.values()) == 2
    g.close()

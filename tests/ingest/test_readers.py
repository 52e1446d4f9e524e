"""Readers: CSV / XLSX / JSON exports become rows with true physical row numbers and named columns."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ingest.readers import Header, RawTable, ReadError, detect_encoding, find_header, iter_records, read_tables

COLUMNS = ["序号", "单位名称", "统一社会信用代码", "问题类别", "发现时间"]


def _one(path: Path) -> RawTable:
    tables = read_tables(path)
    assert len(tables) == 1
    return tables[0]


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _export_xlsx(path: Path) -> Path:
    """The typical office export: title row, group row with 序号 merged down, header row, data."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws["A1"] = "2023年第二轮巡察发现问题清单"
    ws.merge_cells("A1:E1")
    ws["A2"] = "序号"
    ws.merge_cells("A2:A3")
    ws["B2"] = "基本信息"
    ws.merge_cells("B2:C2")
    ws["D2"] = "问题情况"
    ws.merge_cells("D2:E2")
    for col, name in zip("BCDE", COLUMNS[1:], strict=True):
        ws[f"{col}3"] = name
    ws.append([1, "义乌市供销合作社", "91330782MA2E0B1X1T", "违规招投标", dt.datetime(2023, 5, 1)])
    ws.append([None, None, None, None, None])
    ws.append([2, "上虞区农业农村局", "11330604002575000X", "形式主义", dt.datetime(2023, 6, 3)])
    ws["G20"] = None  # touched but empty: must not widen the table
    wb.create_sheet("空白")  # empty sheet: not returned
    wb.save(path)
    return path


# ----------------------------------------------------------------------------- encodings


def test_detect_encoding_chain() -> None:
    text = "单位名称,问题类别\r\n"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(text.encode("gbk")) == "gb18030"
    assert detect_encoding(b"") == "utf-8"
    with pytest.raises(ReadError, match="UTF-16"):
        detect_encoding("单位".encode("utf-16"))
    with pytest.raises(ReadError, match="neither UTF-8 nor GBK"):
        detect_encoding(b"\x81\x30\xff\xff")


# ----------------------------------------------------------------------------- CSV


def test_plain_csv_header_and_records(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path / "orgs.csv", "序号,单位名称,问题类别\r\n1,义乌市供销合作社,违规招投标\r\n".encode())
    table = _one(path)
    assert (table.sheet, table.encoding) == (None, "utf-8")
    assert table.rows == [(1, ["序号", "单位名称", "问题类别"]), (2, ["1", "义乌市供销合作社", "违规招投标"])]
    header = find_header(table, ["单位名称", "问题类别"])
    assert header == Header(row=1, columns=["序号", "单位名称", "问题类别"], data_start_index=1)
    expected = {"序号": "1", "单位名称": "义乌市供销合作社", "问题类别": "违规招投标"}
    assert list(iter_records(table, header)) == [(2, expected)]


def test_gbk_csv_reads_as_gb18030(tmp_path: Path) -> None:
    text = "单位名称,问题类别\r\n上虞区供销合作社,违规吃喝\r\n"
    table = _one(_write_bytes(tmp_path / "gbk.CSV", text.encode("gbk")))
    assert table.encoding == "gb18030"
    header = find_header(table, ["单位名称"])
    assert header is not None
    assert list(iter_records(table, header)) == [(2, {"单位名称": "上虞区供销合作社", "问题类别": "违规吃喝"})]


def test_bom_csv_reported_utf8_sig_and_bom_not_in_header(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + "单位名称,问题类别\r\n绍兴市水务集团,其他\r\n".encode()
    table = _one(_write_bytes(tmp_path / "bom.csv", data))
    assert table.encoding == "utf-8-sig"
    assert table.rows[0] == (1, ["单位名称", "问题类别"])


def test_embedded_newline_is_one_record(tmp_path: Path) -> None:
    data = '单位名称,问题描述\r\n甲单位,"第一行\r\n第二行, 含逗号"\r\n乙单位,无\r\n'.encode()
    table = _one(_write_bytes(tmp_path / "nl.csv", data))
    header = find_header(table, ["单位名称", "问题描述"])
    assert header is not None
    records = list(iter_records(table, header))
    assert records == [
        (2, {"单位名称": "甲单位", "问题描述": "第一行\r\n第二行, 含逗号"}),
        (3, {"单位名称": "乙单位", "问题描述": "无"}),  # record 3 although it is text line 4
    ]


def test_blank_rows_skipped_but_row_numbers_true(tmp_path: Path) -> None:
    data = "\r\n单位名称,问题类别\r\n甲,A\r\n\r\n , \r\n乙,B\r\n".encode()
    table = _one(_write_bytes(tmp_path / "blank.csv", data))
    assert [n for n, _ in table.rows] == [1, 2, 3, 4, 5, 6]
    assert table.rows[0] == (1, [""])
    header = find_header(table, ["单位名称"])
    assert header is not None and header.row == 2 and header.data_start_index == 2
    assert [(n, r["单位名称"]) for n, r in iter_records(table, header)] == [(3, "甲"), (6, "乙")]


def test_short_row_missing_cells_are_none(tmp_path: Path) -> None:
    table = _one(_write_bytes(tmp_path / "short.csv", b"a,b,c\r\n1\r\n"))
    header = find_header(table, ["a"])
    assert header is not None
    assert list(iter_records(table, header)) == [(2, {"a": "1", "b": None, "c": None})]


def test_header_normalisation(tmp_path: Path) -> None:
    names = ["序　号", "单位\n名称", "问题 类别", "发现时间：", "ＵＳＣＣ*", "备注:"]
    data = ",".join(f'"{n}"' for n in names) + "\r\n1,甲,A,2023-05-01,X,\r\n"
    table = _one(_write_bytes(tmp_path / "norm.csv", data.encode()))
    header = find_header(table, ["单位名称", "问题类别", "发现时间:", "USCC"])
    assert header is not None
    assert header.columns == ["序号", "单位名称", "问题类别", "发现时间", "USCC", "备注"]
    # the required names are normalised too
    assert find_header(table, ["单位 名称", "发现时间："]) == header


def test_duplicate_names_get_suffix(tmp_path: Path) -> None:
    table = _one(_write_bytes(tmp_path / "dup.csv", "金额,单位名称,金额,金额 \r\n1,甲,2,3\r\n".encode()))
    header = find_header(table, ["单位名称"])
    assert header is not None
    assert header.columns == ["金额", "单位名称", "金额#2", "金额#3"]
    assert list(iter_records(table, header)) == [(2, {"金额": "1", "单位名称": "甲", "金额#2": "2", "金额#3": "3"})]


def test_no_matching_header_returns_none(tmp_path: Path) -> None:
    table = _one(_write_bytes(tmp_path / "x.csv", "单位名称,问题类别\r\n甲,A\r\n".encode()))
    assert find_header(table, ["单位名称", "整改时限"]) is None
    header_far_down = "\r\n" * 12 + "单位名称\r\n"
    late = _one(_write_bytes(tmp_path / "late.csv", header_far_down.encode()))
    assert find_header(late, ["单位名称"]) is None
    assert find_header(late, ["单位名称"], scan=13) is not None


# ----------------------------------------------------------------------------- XLSX


def test_xlsx_title_group_row_and_vertical_merge(tmp_path: Path) -> None:
    tables = read_tables(_export_xlsx(tmp_path / "清单.xlsx"))
    assert [t.sheet for t in tables] == ["问题清单"]
    table = tables[0]
    assert table.encoding is None
    assert [n for n, _ in table.rows] == [1, 2, 3, 4, 5, 6]  # trailing touched-but-empty rows trimmed
    assert all(len(cells) == 5 for _, cells in table.rows)  # trailing empty columns trimmed
    assert table.rows[0] == (1, ["2023年第二轮巡察发现问题清单", None, None, None, None])

    header = find_header(table, ["序号", "单位名称", "问题类别"], optional=["发现时间"])
    assert header is not None
    assert header.columns == COLUMNS
    assert header.row == 3
    assert table.rows[header.data_start_index][0] == 4

    records = list(iter_records(table, header))
    assert [n for n, _ in records] == [4, 6]
    row, first = records[0]
    assert first["序号"] == 1
    assert first["统一社会信用代码"] == "91330782MA2E0B1X1T"
    assert first["发现时间"] == dt.datetime(2023, 5, 1)


def test_xlsx_lower_header_row_chosen_when_required_names_are_in_the_upper_row(tmp_path: Path) -> None:
    table = read_tables(_export_xlsx(tmp_path / "清单.xlsx"))[0]
    header = find_header(table, ["序号"])
    assert header is not None
    assert header.row == 3 and header.columns == COLUMNS


def test_xlsx_title_never_names_a_column(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "某某市巡察办"
    ws.append([None, "单位名称", "问题类别"])  # unnamed first column right below the title
    ws.append(["x", "甲", "A"])
    wb.save(tmp_path / "t.xlsx")
    table = _one(tmp_path / "t.xlsx")
    header = find_header(table, ["单位名称"])
    assert header is not None
    assert header.columns == [None, "单位名称", "问题类别"]
    assert list(iter_records(table, header)) == [(3, {"单位名称": "甲", "问题类别": "A"})]


def test_xlsx_sheets_and_wrong_name(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "A"
    wb.active.append(["单位名称"])
    wb.create_sheet("B").append(["问题类别"])
    wb.save(tmp_path / "two.xlsx")
    assert [t.sheet for t in read_tables(tmp_path / "two.xlsx")] == ["A", "B"]
    # some systems name .xlsx workbooks .xls: read them anyway
    (tmp_path / "really.xls").write_bytes((tmp_path / "two.xlsx").read_bytes())
    assert [t.sheet for t in read_tables(tmp_path / "really.xls")] == ["A", "B"]


def test_xlsx_wrong_dimension_still_reads_every_row(tmp_path: Path) -> None:
    """Some exporters write <dimension ref="A1"/>; read-only openpyxl would then yield only A1."""
    wb = openpyxl.Workbook()
    for i in range(3):
        wb.active.append([f"r{i}", i])
    wb.active["C6"] = "x"
    good = tmp_path / "good.xlsx"
    wb.save(good)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                data, n = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1"/>', data)
                assert n == 1
            dst.writestr(info, data)
    table = _one(bad)
    assert [n for n, _ in table.rows] == [1, 2, 3, 4, 5, 6]
    assert table.rows[2] == (3, ["r2", 2, None])
    assert table.rows[5] == (6, [None, None, "x"])


# ----------------------------------------------------------------------------- JSON


RECORDS = [
    {"单位名称": "甲", "问题类别": "A"},
    {"单位名称": "乙", "整改": {"时限": "2023-12-31", "措施": ["一", "二"]}},
]


@pytest.mark.parametrize("wrap", [None, "data", "records", "Rows"])
def test_json_list_and_wrapped(tmp_path: Path, wrap: str | None) -> None:
    payload: object = RECORDS if wrap is None else {"code": 0, "msg": "ok", wrap: RECORDS}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    table = _one(path)
    assert (table.sheet, table.encoding) == (None, None)
    assert table.rows == [(1, [RECORDS[0]]), (2, [RECORDS[1]])]
    header = find_header(table, ["单位名称"])
    assert header == Header(row=0, columns=["单位名称", "问题类别", "整改"], data_start_index=0)
    assert list(iter_records(table, header)) == [(1, RECORDS[0]), (2, RECORDS[1])]
    assert find_header(table, ["统一社会信用代码"]) is None


def test_json_nested_wrapper_bom_and_gbk(tmp_path: Path) -> None:
    doc = {"code": 0, "data": {"total": 2, "list": RECORDS}}
    path = _write_bytes(tmp_path / "n.json", b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=False).encode())
    assert _one(path).rows[1] == (2, [RECORDS[1]])
    gbk = _write_bytes(tmp_path / "g.json", json.dumps(RECORDS, ensure_ascii=False).encode("gbk"))
    assert _one(gbk).rows[0] == (1, [RECORDS[0]])


def test_json_problems(tmp_path: Path) -> None:
    bad = _write_bytes(tmp_path / "bad.json", b'[{"a": 1},')
    with pytest.raises(ReadError, match=r"bad\.json is not valid JSON \(line 1"):
        read_tables(bad)
    scalar = _write_bytes(tmp_path / "s.json", b'[{"a": 1}, "oops"]')
    with pytest.raises(ReadError, match="a string as record 2"):
        read_tables(scalar)
    nolist = _write_bytes(tmp_path / "o.json", b'{"a": 1}')
    with pytest.raises(ReadError, match="no single list of records"):
        read_tables(nolist)


# ----------------------------------------------------------------------------- errors


def test_xls_gives_save_as_message(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path / "旧表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(ReadError) as info:
        read_tables(path)
    message = str(info.value)
    assert "旧表.xls is an old .xls workbook" in message
    assert "save it as .xlsx (or CSV), then ingest again" in message


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("a.doc", b"x", "is a document (.doc), not a table"),
        ("a.xlsx", b"this is not a zip", "is not an .xlsx workbook"),
        ("a.xlsx", b"PK\x03\x04broken", "is a damaged .xlsx workbook"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "password-protected"),
        ("a.csv", b"\x81\x30\xff\xff", "neither UTF-8 nor GBK"),
        ("a.csv", b"PK\x03\x04", "rename it to .xlsx"),
    ],
)
def test_unreadable_files_raise_read_error(tmp_path: Path, name: str, data: bytes, fragment: str) -> None:
    path = _write_bytes(tmp_path / name, data)
    with pytest.raises(ReadError, match=re.escape(fragment)) as info:
        read_tables(path)
    assert str(path) in str(info.value)
    assert info.value.path == path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="does not exist"):
        read_tables(tmp_path / "nope.csv")


# ----------------------------------------------------------------------------- the project's own exports


@pytest.mark.parametrize(("fmt", "encoding"), [("xlsx", "utf-8"), ("csv", "gbk"), ("csv", "utf-8-sig"), ("json", "")])
def test_generator_exports_round_trip(tmp_path: Path, fmt: str, encoding: str) -> None:
    from ingest.generator.exports import Table, write_table

    rows: list[list[object]] = [
        [1, "义乌市供销合作社", "违规招投标", "2023-05-01"],
        [2, "绍兴市\n水务集团", "形式主义, 官僚主义", None],
    ]
    table = Table(
        columns=["序号", "单位名称", "问题类别", "发现时间"],
        rows=rows,
        title="2023年第二轮巡察发现问题清单",
        header_groups=[("序号", 1), ("单位名称", 1), ("问题情况", 2)],  # two vertical merges
    )
    path = write_table(table, tmp_path / f"out.{fmt}", fmt, encoding=encoding or "utf-8")
    raw = _one(path)
    header = find_header(raw, ["序号", "单位名称", "问题类别", "发现时间"])
    assert header is not None
    records = [r for _, r in iter_records(raw, header)]
    assert [r["单位名称"] for r in records] == ["义乌市供销合作社", "绍兴市\n水务集团"]
    assert [r["问题类别"] for r in records] == ["违规招投标", "形式主义, 官僚主义"]
    if fmt == "xlsx":
        assert header.row == 3 and header.columns == ["序号", "单位名称", "问题类别", "发现时间"]

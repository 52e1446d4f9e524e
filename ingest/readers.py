"""Read the tabular files tier offices export into rows with their physical row numbers.

Offices export CSV (UTF-8 with or without a BOM, GBK, GB18030), XLSX (often
with a title row, a merged upper row of group labels, and single headers merged
vertically across both header rows) and JSON (a list of objects, or an object
holding that list under a key such as ``"data"``). This module turns every file
into :class:`RawTable` objects whose rows keep their physical row numbers, so
that every value can later be loaded or reported as *(file, sheet, row,
column, value, reason)*.

Three steps::

    for table in read_tables("问题清单.xlsx"):             # one per non-empty sheet
        header = find_header(table, required=["单位名称", "问题类别"])
        if header is None:
            continue                                      # not the sheet we want
        for row, record in iter_records(table, header):  # {"序号": 1, "单位名称": "…", …}
            ...

Row numbers
-----------
* XLSX: Excel's row numbers (the numbers at the left of the sheet).
* CSV: the CSV *record* number, starting at 1 for the first record. A quoted
  field with an embedded newline makes one record span several text lines; it
  still counts as one record, so later row numbers are those Excel or WPS show
  when they open the CSV, not text-editor line numbers. Blank lines are kept
  (as ``[""]``) so numbers stay true to the file.
* JSON: the 1-based position of the object in the list of records.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import unicodedata
import warnings
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from . import ocds_read as _ocds

__all__ = [
    "Header",
    "RawTable",
    "ReadError",
    "detect_encoding",
    "find_header",
    "iter_records",
    "read_tables",
]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, .doc, and password-protected .xlsx
_ZIP_MAGIC = b"PK\x03\x04"
_SAVE_AS = "open it in Excel or WPS and save it as .xlsx (or CSV), then ingest again"

_CSV_SUFFIXES = frozenset({".csv"})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
_JSON_SUFFIXES = frozenset({".json"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_GZIP_MAGIC = b"\x1f\x8b"
_PREVIEW_LINES = 1000  # OCDS JSON Lines read this far to recognise the file (its mapping reads it whole)
_GZIP_LIMIT = 4 * 2**30  # bytes a gzip file may unpack to: more is a bomb or a dump to split

_UNSUPPORTED: dict[str, str] = {
    ".xls": f"is an old .xls workbook: {_SAVE_AS}",
    ".xlt": f"is an old .xlt Excel template: {_SAVE_AS}",
    ".xlsb": f"is a binary .xlsb workbook: {_SAVE_AS}",
    ".et": f"is a WPS .et workbook: {_SAVE_AS}",
    ".ett": f"is a WPS .ett template: {_SAVE_AS}",
    ".ods": f"is an OpenDocument spreadsheet: {_SAVE_AS}",
    ".numbers": f"is an Apple Numbers file: {_SAVE_AS}",
    ".txt": "is a .txt file: open it in Excel or WPS and save it as 'CSV UTF-8' (or .xlsx), then ingest again",
    ".tsv": "is tab-separated: open it in Excel or WPS and save it as 'CSV UTF-8' (or .xlsx), then ingest again",
}
_DOCUMENTS = frozenset({".doc", ".docx", ".wps", ".pdf", ".ofd", ".rtf", ".ppt", ".pptx"})
_ARCHIVES = frozenset({".zip", ".rar", ".7z", ".tar", ".tgz"})

#: Keys under which JSON exports put their list of records, tried in this order (case-insensitive).
_JSON_LIST_KEYS = ("data", "records", "rows", "items", "list", "result", "results", "datas", "content")
_JSON_MAX_DEPTH = 3

# Characters that are invisible in a header cell but not ``str.isspace``.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


class ReadError(Exception):
    """A file cannot be read as a table; the message names the file and says what to do.

    Parameters
    ----------
    message : str
        The full, user-facing message.
    path : Path, optional
        The file concerned, when known.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class RawTable:
    """Every row of one CSV file, one XLSX worksheet or one JSON file, with physical row numbers.

    Attributes
    ----------
    path : Path
        The file read.
    sheet : str or None
        Worksheet name for XLSX; ``None`` for CSV and JSON.
    encoding : str or None
        Detected text encoding for CSV (``"utf-8-sig"``, ``"utf-8"`` or
        ``"gb18030"``); ``None`` for XLSX and JSON.
    rows : list of (int, list)
        ``(physical row number, cell values)`` for every row, header rows and
        blank rows included. CSV cells are ``str``; XLSX cells are what
        openpyxl gives (``str``, ``int``, ``float``, ``bool``,
        ``datetime.datetime``, ``None``), every row padded with ``None`` to the
        sheet's width after trailing all-``None`` columns (and trailing blank
        rows) are trimmed. JSON rows are ``(n, [item])`` with ``item`` the n-th
        object of the list (or ``None`` for a ``null`` item). A table with both
        ``sheet`` and ``encoding`` ``None`` is a JSON table.
    """

    path: Path
    sheet: str | None
    encoding: str | None
    rows: list[tuple[int, list[object]]]


@dataclass(frozen=True)
class Header:
    """Where a table's header is and what its columns are called.

    Attributes
    ----------
    row : int
        Physical row number of the (lowest) header row; ``0`` for JSON, which
        has no header row.
    columns : list of str or None
        Normalised column name for each column index (``None`` for unnamed
        columns); duplicates get ``"#2"``, ``"#3"``… suffixes. For JSON, the
        top-level keys of the objects as they are, in first-seen order.
    data_start_index : int
        Index into ``table.rows`` of the first row after the header.
    """

    row: int
    columns: list[str | None]
    data_start_index: int


# --------------------------------------------------------------------------- encodings


def _decode(data: bytes) -> tuple[str, str]:
    """Decode ``data`` as :func:`detect_encoding` says; return ``(text, encoding)``."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"the text starts with a UTF-8 byte-order mark but is not valid UTF-8 (byte {exc.start}): "
                "open it in Excel or WPS and save it as 'CSV UTF-8', then ingest again"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError(
            "the text is UTF-16 ('Unicode text'), which is not supported: "
            "open it in Excel or WPS and save it as 'CSV UTF-8' (or .xlsx), then ingest again"
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"the text is neither UTF-8 nor GBK/GB18030 (undecodable bytes at offset {exc.start}): "
            "open it in Excel or WPS and save it as 'CSV UTF-8', then ingest again"
        ) from None


def detect_encoding(data: bytes) -> str:
    """Detect the text encoding of an exported file's raw bytes.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    str
        ``"utf-8-sig"`` if the bytes start with a UTF-8 byte-order mark,
        ``"utf-8"`` if they decode as UTF-8, otherwise ``"gb18030"`` if they
        decode as GB18030 (a superset of GBK and GB2312, so GBK exports are
        read with it).

    Raises
    ------
    ReadError
        If the bytes are none of these (UTF-16 text gets its own message).
    """
    return _decode(data)[1]


# --------------------------------------------------------------------------- reading files


def _fail(path: Path, problem: str) -> ReadError:
    return ReadError(f"{path} {problem}", path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise _fail(path, "does not exist: check the path and ingest again") from None
    except IsADirectoryError:
        raise _fail(path, "is a folder, not a file: name the exported file itself") from None
    except PermissionError:
        raise _fail(path, "cannot be opened (permission denied): make it readable, then ingest again") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc}): copy it to a local disk and ingest again") from None


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta"))


def _not_text(path: Path, data: bytes, kind: str) -> None:
    """Refuse a text file (CSV or JSON) that is really a workbook or binary."""
    if data.startswith(_ZIP_MAGIC):
        raise _fail(
            path,
            f"is a zip package (probably an .xlsx workbook), not {kind}: rename it to .xlsx, "
            "or open it in Excel or WPS and save it as the right format, then ingest again",
        )
    if data.startswith(_OLE_MAGIC):
        raise _fail(path, f"is an old .xls workbook (or a Word file), not {kind}: {_SAVE_AS}")
    # UTF-16 text and binaries are full of NUL bytes; a stray NUL in a cell (pasted from another system) is
    # text like any control character, and must not refuse a file only when it happens to come early.
    head = data[:4096]
    if head.count(b"\x00") * 20 > len(head) and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(
            path,
            f"contains NUL bytes, so it is not {kind} text (perhaps UTF-16 or a binary file): "
            "open it in Excel or WPS and save it as 'CSV UTF-8', then ingest again",
        )


def _decode_file(path: Path, data: bytes) -> tuple[str, str]:
    try:
        return _decode(data)
    except ReadError as exc:
        raise ReadError(f"{path}: {exc}", path) from None


def _read_csv(path: Path, data: bytes) -> list[RawTable]:
    _not_text(path, data, "CSV")
    text, encoding = _decode_file(path, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[object]]] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            cells: list[object] = list(record) if record else [""]
            rows.append((number, cells))
    except csv.Error as exc:
        raise _fail(
            path,
            f"cannot be parsed as CSV at record {number + 1} (text line {reader.line_num}): {exc}; "
            "open it in Excel or WPS and save it again as 'CSV UTF-8' (or .xlsx), then ingest again",
        ) from None
    return [RawTable(path=path, sheet=None, encoding=encoding, rows=rows)]


def _sheet_rows(ws: Any) -> list[tuple[int, list[object]]]:
    """All rows of a read-only worksheet, numbered as in Excel, trimmed of trailing empty columns and rows."""
    # Exporters often write a wrong <dimension>; without this a read-only sheet may yield only part of its cells.
    ws.reset_dimensions()
    kept: list[tuple[int, list[object]]] = []
    blank_from: int | None = None  # first of a run of blank rows not yet known to be followed by data
    width = 0
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        if not cells:
            if blank_from is None:
                blank_from = number
            continue
        if blank_from is not None:
            kept.extend((n, []) for n in range(blank_from, number))
            blank_from = None
        kept.append((number, cells))
        width = max(width, len(cells))
    return [(n, cells + [None] * (width - len(cells))) for n, cells in kept]


def _read_xlsx(path: Path, data: bytes) -> list[RawTable]:
    if not data:
        raise _fail(path, "is empty (0 bytes): export it again")
    if data.startswith(_OLE_MAGIC):
        raise _fail(
            path,
            "is password-protected, or an old .xls workbook renamed to .xlsx: open it in Excel or "
            "WPS, remove any password and save it as .xlsx (or CSV), then ingest again",
        )
    if not data.startswith(_ZIP_MAGIC):
        if _looks_like_html(data):
            raise _fail(path, f"is a web page saved under a spreadsheet name (as some systems export): {_SAVE_AS}")
        raise _fail(path, f"is not an .xlsx workbook (not a zip package; damaged or mis-named): {_SAVE_AS}")

    from openpyxl import load_workbook

    tables: list[RawTable] = []
    with warnings.catch_warnings():
        # openpyxl warns about unsupported extensions (data validation, conditional formats): harmless here.
        warnings.simplefilter("ignore")
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors …: all mean a damaged workbook
            raise _fail(path, f"is a damaged .xlsx workbook ({type(exc).__name__}: {exc}): {_SAVE_AS}") from None
        sheet = ""
        try:
            for ws in wb.worksheets:
                sheet = ws.title
                rows = _sheet_rows(ws)
                if rows:
                    tables.append(RawTable(path=path, sheet=ws.title, encoding=None, rows=rows))
        except Exception as exc:
            raise _fail(path, f"has a damaged sheet {sheet!r} ({type(exc).__name__}: {exc}): {_SAVE_AS}") from None
        finally:
            wb.close()
    return tables


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "null"


def _is_record_list(value: object) -> bool:
    return isinstance(value, list) and all(item is None or isinstance(item, dict) for item in value)


def _find_record_list(doc: object, depth: int = 0) -> tuple[list[object], str] | None:
    """The list of records in a JSON document and where it was found (``""`` for the top level)."""
    if isinstance(doc, list):
        return doc, ""
    if not isinstance(doc, dict) or depth >= _JSON_MAX_DEPTH:
        return None
    by_lower = {key.lower(): key for key in doc}
    for wanted in _JSON_LIST_KEYS:
        key = by_lower.get(wanted)
        if key is None:
            continue
        value = doc[key]
        if isinstance(value, list):
            return value, key
        found = _find_record_list(value, depth + 1)
        if found is not None:
            return found[0], f"{key}.{found[1]}" if found[1] else key
    lists = [key for key, value in doc.items() if _is_record_list(value)]
    if len(lists) == 1:
        return doc[lists[0]], lists[0]
    return None


def _loads(text: str) -> Any:
    """JSON text parsed by orjson (fast), or by the standard library where orjson refuses what it accepts
    (NaN, integers beyond 64 bits, very deep nesting), so that its error message is the one a person sees."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _read_json(path: Path, data: bytes) -> list[RawTable]:
    _not_text(path, data, "JSON")
    text, _ = _decode_file(path, data)
    try:
        doc = _loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            path,
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): "
            "export it again, or fix it in a text editor, then ingest again",
        ) from None
    except RecursionError:
        raise _fail(path, "is nested too deeply to read as JSON: export the records as a flat list") from None
    if _ocds.is_ocds_document(doc):
        return [RawTable(path=path, sheet=None, encoding=None, rows=_ocds.compile_rows(_ocds.document_items(doc)))]
    found = _find_record_list(doc)
    if found is None:
        if isinstance(doc, dict):
            keys = ", ".join(repr(k) for k in list(doc)[:10]) or "none"
            problem = f"holds no single list of records (top-level keys: {keys})"
        else:
            problem = f"holds {_json_type(doc)}, not a list of records"
        raise _fail(
            path,
            f"{problem}: export the records as a JSON list of objects, or as an object with the "
            f'list under one key such as "data" or "records", then ingest again',
        )
    items, where = found
    place = f"under {where!r}" if where else "in the top-level list"
    for n, item in enumerate(items, start=1):
        if item is not None and not isinstance(item, dict):
            raise _fail(
                path,
                f"has {_json_type(item)} as record {n} {place}, where an object is needed: "
                "export each record as a JSON object, then ingest again",
            )
    rows: list[tuple[int, list[object]]] = [(n, [item]) for n, item in enumerate(items, start=1)]
    return [RawTable(path=path, sheet=None, encoding=None, rows=rows)]


def _read_jsonl(path: Path, data: bytes, preview: bool = False) -> list[RawTable]:
    """JSON Lines: one JSON object per line (blank lines skipped); rows are numbered by line.

    With ``preview``, a file whose first lines are OCDS is read only that far (recognising it needs no
    more); anything else is read whole.
    """
    _not_text(path, data, "JSON Lines")
    text, _ = _decode_file(path, data)
    items: list[tuple[int, object]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if preview and len(items) >= _PREVIEW_LINES and all(_ocds.is_ocds_document(i) for _, i in items):
            break
        try:
            item = _loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(
                path,
                f"line {n} is not valid JSON (column {exc.colno}: {exc.msg}): a JSON Lines file holds one JSON "
                "object per line; fix that line, or export the file again, then ingest again",
            ) from None
        if not isinstance(item, dict):
            raise _fail(
                path,
                f"has {_json_type(item)} on line {n}, where an object is needed: "
                "export each record as a JSON object on its own line, then ingest again",
            )
        items.append((n, item))
    if items and all(_ocds.is_ocds_document(item) for _, item in items):
        rows = _ocds.compile_rows([(n, part) for n, item in items for _, part in _ocds.document_items(item)])
    else:
        rows = [(n, [item]) for n, item in items]
    return [RawTable(path=path, sheet=None, encoding=None, rows=rows)]


def _gunzip(path: Path, data: bytes) -> bytes:
    if not data.startswith(_GZIP_MAGIC):
        raise _fail(path, "is named .gz but is not gzip-compressed: rename it without .gz, then ingest again")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(_GZIP_LIMIT + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise _fail(path, f"is a damaged gzip file ({exc}): copy or download it again, then ingest again") from None
    if len(out) > _GZIP_LIMIT:
        raise _fail(path, f"unpacks to more than {_GZIP_LIMIT // 2**30} GiB: split it into smaller files")
    return out


def _unsupported(path: Path, suffix: str, data: bytes | None) -> ReadError:
    if suffix in _UNSUPPORTED:
        if suffix == ".xls" and data is not None and _looks_like_html(data):
            return _fail(path, f"is a web page saved under an .xls name (as some systems export): {_SAVE_AS}")
        return _fail(path, _UNSUPPORTED[suffix])
    if suffix in _DOCUMENTS:
        return _fail(
            path,
            f"is a document ({suffix}), not a table: copy its table into Excel or WPS and save it "
            "as .xlsx (or CSV), then ingest again",
        )
    if suffix in _ARCHIVES:
        return _fail(path, f"is an archive ({suffix}): unpack it and ingest the files inside")
    what = f"type {suffix!r}" if suffix else "type (the name has no extension)"
    return _fail(
        path,
        f"has an unsupported file {what}: liandong reads .csv, .xlsx, .json and .jsonl exports "
        f"(also gzip-compressed); {_SAVE_AS}",
    )


def read_tables(path: str | Path, preview: bool = False) -> list[RawTable]:
    """Read an exported file into raw tables, one per non-empty XLSX sheet or one for a CSV or JSON file.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.xlsx`` (also ``.xlsm``, ``.xltx``, ``.xltm``),
        ``.json`` or ``.jsonl`` file, the text ones also gzip-compressed
        (``.csv.gz``, ``.json.gz``, ``.jsonl.gz``); the extension is matched
        case-insensitively. An ``.xls`` file that is really an ``.xlsx``
        workbook (some systems mis-name them) is read as one.
    preview : bool
        Enough to recognise the file: OCDS JSON Lines are read only as far
        as their first 1,000 lines (other files whole).

    Returns
    -------
    list of RawTable
        For XLSX, one table per worksheet holding at least one value, in
        workbook order (possibly none); for CSV and JSON, exactly one table
        (with no rows for an empty file or list).

    Raises
    ------
    ReadError
        If the file is missing or unreadable, has an unsupported type (e.g.
        an old ``.xls`` workbook), is damaged, is not decodable text, or (JSON)
        holds no list of objects. The message names the file and says what
        to do.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".gz":
        inner = Path(p.name[: -len(p.suffix)]).suffix.lower()
        if inner not in _CSV_SUFFIXES and inner not in _JSON_SUFFIXES and inner not in _JSONL_SUFFIXES:
            raise _fail(
                p,
                "is a gzip file of an unsupported type: liandong reads .csv.gz, .json.gz and .jsonl.gz "
                "(for anything else, unpack it and ingest the file inside)",
            )
        data = _gunzip(p, _read_bytes(p))
        if inner in _CSV_SUFFIXES:
            return _read_csv(p, data)
        return _read_jsonl(p, data, preview) if inner in _JSONL_SUFFIXES else _read_json(p, data)
    known = suffix in _CSV_SUFFIXES or suffix in _XLSX_SUFFIXES or suffix in _JSON_SUFFIXES or suffix in _JSONL_SUFFIXES
    if not known and suffix != ".xls":
        raise _unsupported(p, suffix, None)
    data = _read_bytes(p)
    if suffix in _JSONL_SUFFIXES:
        return _read_jsonl(p, data, preview)
    if suffix == ".xls":
        if data.startswith(_ZIP_MAGIC):  # an .xlsx workbook with the wrong name
            return _read_xlsx(p, data)
        raise _unsupported(p, suffix, data)
    if suffix in _CSV_SUFFIXES:
        return _read_csv(p, data)
    if suffix in _XLSX_SUFFIXES:
        return _read_xlsx(p, data)
    return _read_json(p, data)


# --------------------------------------------------------------------------- headers


def _is_json(table: RawTable) -> bool:
    return table.sheet is None and table.encoding is None


def _normalise(value: object) -> str | None:
    """Header-cell text for comparison: NFKC, no whitespace, no trailing colon or ``*`` (``None`` if empty)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    text = value.isoformat() if isinstance(value, (dt.date, dt.time)) else str(value)
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _INVISIBLE)
    text = text.rstrip(":*").lstrip("*")
    return text or None


def normalise_header(name: object) -> str:
    """A column name as headers are compared: what a mapping names is read the way file headers are."""
    return _normalise(name) or str(name)


def _is_blank(cells: Sequence[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


def _count(names: Sequence[str | None]) -> int:
    return sum(name is not None for name in names)


def _effective(names: list[list[str | None]], h: int) -> list[str | None]:
    """Row ``h``'s names, each empty cell filled from the nearest non-empty cell above it in the header block.

    The block is the run of non-blank rows directly above ``h``; it stops at a
    blank row and at a title row (exactly one non-empty cell, above a row with
    more), which is never used.
    """
    top = h
    while top > 0:
        above = names[top - 1]
        n_above = _count(above)
        if n_above == 0 or (n_above == 1 and _count(names[top]) > 1):
            break
        top -= 1
    width = max((len(names[i]) for i in range(top, h + 1)), default=0)
    out: list[str | None] = []
    for c in range(width):
        name = names[h][c] if c < len(names[h]) else None
        i = h - 1
        while name is None and i >= top:
            name = names[i][c] if c < len(names[i]) else None
            i -= 1
        out.append(name)
    return out


def _dedupe(names: list[str | None]) -> list[str | None]:
    seen: set[str] = {name for name in names if name is not None}
    counts: dict[str, int] = {}
    out: list[str | None] = []
    for name in names:
        if name is None:
            out.append(None)
            continue
        counts[name] = counts.get(name, 0) + 1
        if counts[name] == 1:
            out.append(name)
            continue
        k = counts[name]
        while f"{name}#{k}" in seen:
            k += 1
        counts[name] = k
        unique = f"{name}#{k}"
        seen.add(unique)
        out.append(unique)
    return out


def _json_header(table: RawTable, required: set[str]) -> Header | None:
    keys: dict[str, None] = {}
    for _, cells in table.rows:
        item = cells[0] if cells else None
        if isinstance(item, dict):
            keys.update(dict.fromkeys(str(k) for k in item))
    present = {_normalise(k) for k in keys}
    if not required <= present:
        return None
    return Header(row=0, columns=list(keys), data_start_index=0)


def find_header(
    table: RawTable, required: Sequence[str], optional: Sequence[str] = (), scan: int = 12
) -> Header | None:
    """Find the header row of a table and name its columns.

    Parameters
    ----------
    table : RawTable
        A table from :func:`read_tables`.
    required : sequence of str
        Column names that must all be present, e.g. ``["单位名称", "问题类别"]``.
    optional : sequence of str, default ()
        Column names that may be present. They only help decide whether the
        row below a candidate is the real (lower) header row, see Notes.
    scan : int, default 12
        How many rows from the top to look at.

    Returns
    -------
    Header or None
        ``None`` if no row within ``scan`` holds every required name.

    Notes
    -----
    Names are compared after normalisation: Unicode NFKC (full-width letters,
    digits, spaces and colons become ordinary ones), every whitespace
    character removed (also newlines and full-width spaces inside a cell),
    trailing colons and ``*`` and leading ``*`` stripped; ``Header.columns``
    holds the normalised names.

    A column whose cell in the header row is empty takes the nearest non-empty
    value above it among the rows between the title and the header row: that
    is a header merged vertically across two header rows (``"序号"`` written in
    the group-label row). A title row (exactly one non-empty cell, above a row
    with more) and anything above a blank row are never used.

    Of the rows holding every required name (an empty header cell counting as
    the value filled in from above) the first is taken; the header then moves
    down to the next row while that row is itself a header row below it: text
    only, naming a column the current row leaves empty, still holding every
    required name and at least as many of the required and optional names.
    This picks the lower row of a two-row header even when the required names
    sit in the upper row.

    For a JSON table the columns are the objects' top-level keys as they are
    (first-seen order), ``row`` is 0 and ``data_start_index`` is 0; ``None``
    is returned if a required name is not among the keys.
    """
    wanted = {n for n in (_normalise(r) for r in required) if n is not None}
    if _is_json(table):
        return _json_header(table, wanted)
    targets = wanted | {n for n in (_normalise(o) for o in optional) if n is not None}
    window = table.rows[: max(scan, 0)]
    names = [[_normalise(v) for v in cells] for _, cells in window]

    def candidate(i: int) -> tuple[list[str | None], int] | None:
        if _count(names[i]) == 0:
            return None
        effective = _effective(names, i)
        present = set(effective)
        if not wanted <= present:
            return None
        return effective, len(targets & present)

    h = -1
    best: tuple[list[str | None], int] | None = None
    for i in range(len(window)):
        best = candidate(i)
        if best is not None:
            h = i
            break
    if best is None:
        return None

    while h + 1 < len(window):
        nxt = h + 1
        raw = window[nxt][1]
        if not all(v is None or isinstance(v, str) for v in raw):
            break
        fills_gap = any(
            name is not None and (c >= len(names[h]) or names[h][c] is None) for c, name in enumerate(names[nxt])
        )
        if not fills_gap:
            break
        below = candidate(nxt)
        if below is None or below[1] < best[1]:
            break
        h, best = nxt, below

    return Header(row=window[h][0], columns=_dedupe(best[0]), data_start_index=h + 1)


# --------------------------------------------------------------------------- records


def iter_records(table: RawTable, header: Header) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield the data rows after the header as ``(physical row number, {column name: value})``.

    Parameters
    ----------
    table : RawTable
        The table the header was found in.
    header : Header
        From :func:`find_header`.

    Yields
    ------
    (int, dict)
        The row number (see the module notes) and the row's values keyed by
        column name. Rows whose cells are all empty, ``None`` or whitespace
        are skipped; the numbers of later rows are unaffected. A cell missing
        from a short row is ``None``; values in unnamed columns (``None`` in
        ``header.columns``) are left out. For JSON the objects are yielded as
        they are (nested lists and objects untouched); ``null`` items and
        empty objects are skipped.
    """
    rows = table.rows[header.data_start_index :]
    if _is_json(table):
        for number, cells in rows:
            item = cells[0] if cells else None
            if isinstance(item, dict) and item:
                yield number, item
        return
    named = [(c, name) for c, name in enumerate(header.columns) if name is not None]
    for number, cells in rows:
        if _is_blank(cells):
            continue
        yield number, {name: cells[c] if c < len(cells) else None for c, name in named}

"""Ingest over hostile input rows: every row loaded or quarantined, strings stored as parsed, the graph intact.

Export files in the shipped formats (findings CSV and XLSX, cadre roster CSV,
personal-matters JSON) are written with hypothesis-drawn values in their text,
ID, date and amount cells: malformed values, full-width characters, control
characters, NUL, quotes, backslashes and newlines inside cells, injection
strings, 100k-character strings, astral characters, bidi marks; in UTF-8,
UTF-8 with a BOM, GB18030, GBK, and GBK with UTF-8 bytes mixed in. Each file is
ingested through the CLI into a graph that already holds a base file, on the
embedded workspace and (marked ``neo4j``) on a real Neo4j server, and:

* exit status is 0 or 3 (rows quarantined), 1 only for a file refused as a
  whole with its reason, and no traceback reaches the user;
* per file, rows read = rows loaded + rows quarantined, and quarantine.csv
  names file, row and reason for each quarantined row, which is the row whose
  cells the documented parsers refuse;
* a loaded row's strings are stored as the documented normalisation makes
  them (NFKC, control characters as spaces, format characters dropped,
  whitespace collapsed and trimmed; organisation and person names further
  normalised), its dates and amounts as the values written;
* nothing else changes: every node and relationship of the base is still
  there unchanged, and the new ones are exactly the loaded rows' records;
* secret values (resident IDs) reach neither the graph nor quarantine.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import math
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cli import main
from graphmodel import EmbeddedBackend, GraphBackend
from graphmodel.model import MAX_INDEXED_BYTES
from ingest import parse as P
from ingest.generator import generate
from ingest.load import Ingester
from ingest.readers import find_header, iter_records, read_tables

KEY = "property-test-key"
OFFICE = "330102"
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FINDING_COLUMNS = [
    "问题编号",
    "轮次",
    "巡察组",
    "巡察类型",
    "被巡察单位",
    "问题类别",
    "问题描述",
    "发现时间",
    "严重程度",
    "涉及金额",
    "关联上级问题编号",
]
ROSTER_COLUMNS = [
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "籍贯",
    "工作单位",
    "职务",
    "任职时间",
    "免职时间",
    "是否班子成员",
]


class Refused:
    """The expected outcome of a cell the parser must refuse (the row goes to quarantine)."""

    def __repr__(self) -> str:
        return "Refused"


REFUSED = Refused()


# ---------------------------------------------------------------------------------------------- values
INJECTIONS = (
    "'}) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    "x' OR '1'='1",
    '" OR 1=1 --',
    "'; DROP TABLE nodes; --",
    "); DELETE FROM nodes; --",
    "Robert'); DROP TABLE props;--",
    "{office}{0}{}{{}}",
    "${jndi:ldap://x}",
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)",
    "<script>alert(1)</script>",
    "a\\b\\\\c\\",
    "line1\nline2\r\nline3\rline4",
    "\u0000",
    "a\u0000b",
    "\"quoted\" and 'single'",
    ",,,;;;::",
    "\u202eevil\u202c\u200f",
    "\ufeffBOM inside",
    "\u200b\u200c\u200d\u2060",
    "中国共产党 杭州市委员会。",
    "（全角括号）ＡＢＣ１２３",
    "\u3000\u3000全角空格\u3000",
    "😀🀄𠀀𪚥",
    "e\u0301 \u0301",
    "#N/A",
    "-",
    "无",
    "   ",
)
SPECIAL_CHARS = (
    *"\u0000\t\n\r\x0b\x0c\x1b\x7f\x85",
    *"\"',;:\\/{}[]()<>|=+*&^%$#@!?`~",
    *"\u00a0\u2000\u3000\u200b\u200e\u200f\u202a\u202e\u2066\u2069\ufeff\u00ad",
    *"（）【】《》，。；：、“”‘’ＡＺａｚ０９－／",
    *"中共杭州市上城区纪委巡察办财政局",
    *"😀🀄𠀀𪚥\U0001f3f3\ufe0f\u200d\U0001f308",
    *"\u0301\u0308\u0627\u05d0",
)
chars = st.one_of(st.sampled_from(SPECIAL_CHARS), st.characters(codec="utf-8"))
short_text = st.text(chars, max_size=24)
long_text = st.builds(
    lambda unit, n: (unit * n)[:n], st.text(chars, min_size=1, max_size=6), st.integers(20_000, 100_000)
)


def mostly(good: st.SearchStrategy[Any], other: st.SearchStrategy[Any], odds: int = 4) -> st.SearchStrategy[Any]:
    """``good`` ``odds`` times in ``odds + 1``, else ``other``: rows should load often enough to be checked."""
    return st.integers(0, odds).flatmap(lambda i: other if i == 0 else good)


texts = st.one_of(
    short_text,
    st.sampled_from(INJECTIONS),
    st.builds(lambda a, b, c: a + b + c, short_text, st.sampled_from(INJECTIONS), short_text),
    long_text,
)


def clean(text: str) -> str | None:
    """The documented text normalisation of ``ingest.parse.clean_text``, restated: control characters become
    spaces, format characters (zero-width, BOM, bidi marks, soft hyphen) go, then NFKC, whitespace runs
    collapse to one space and the ends are trimmed; blank text and the empty markers are no value."""
    kept = []
    for c in text:
        category = unicodedata.category(c)
        if category == "Cc":
            kept.append(" ")
        elif category not in ("Cf", "Cs"):
            kept.append(c)
    out = " ".join(unicodedata.normalize("NFKC", "".join(kept)).split())
    return None if not out or out in P.EMPTY_MARKERS else out


def too_long_to_index(text: str) -> bool:
    return len(text.encode("utf-8")) > MAX_INDEXED_BYTES


def org_name(text: str) -> str | Refused | None:
    """An organisation name as the loader keys it: ``normalise_org_name`` (documented; checked here to be
    idempotent, free of whitespace but single spaces, and with a space only between two letters or digits of
    a script that spaces its words), or REFUSED for what it refuses (an Excel error value)."""
    try:
        name = P.normalise_org_name(text)
    except P.ParseError:
        return REFUSED
    if name is not None:
        assert P.normalise_org_name(name) == name
        assert not any(c.isspace() and c != " " for c in name) and "  " not in name
        for left, right in zip(name.split(" "), name.split(" ")[1:], strict=False):
            a = next(c for c in reversed(left) if c.isalnum())
            b = next(c for c in right if c.isalnum())
            assert P._spaced_word_char(a) and P._spaced_word_char(b), name
    return name


def person_name(text: str) -> str | Refused | None:
    try:
        name = P.normalise_person_name(text)
    except P.ParseError:
        return REFUSED
    if name is not None:
        assert P.normalise_person_name(name) == name
    return name


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _date_text(d: dt.date, style: int, full_width: bool, pad: str) -> str:
    text = [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"{d.year}年{d.month}月{d.day}日",
        d.strftime("%Y%m%d"),
        f"{d.isoformat()} 00:00:00",
        f"{d.isoformat()}T08:30:00",
    ][style]
    return pad + (text.translate(FULL_WIDTH) if full_width else text) + pad


valid_dates = st.builds(
    lambda d, style, fw, pad: (_date_text(d, style, fw, pad), d),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    st.integers(0, 6),
    st.booleans(),
    st.sampled_from(["", " ", "\u3000", "\t"]),
)
bad_dates = st.tuples(
    st.one_of(
        st.sampled_from(["2023-02-30", "2023-13-01", "2023/00/10", "1800-01-01", "2101-01-01", "昨天", "2023年"]),
        st.sampled_from([i for i in INJECTIONS if clean(i) is not None and not i.startswith("#")]),
        st.builds(lambda t: "x" + t, short_text),
    ),
    st.just(REFUSED),
)
dates = mostly(valid_dates, st.one_of(bad_dates, st.sampled_from([("", None), ("-", None), ("无", None)])))


def _amount_text(d: Decimal, style: int, full_width: bool) -> tuple[str, float]:
    if style == 0:
        text, value = str(d), float(d)
    elif style == 1:
        text, value = f"{d:,}", float(d)
    elif style == 2:
        text, value = f"{d}元", float(d)
    elif style == 3:
        text, value = f"{d}万元", float(d * 10_000)
    elif style == 4:
        text, value = ("-" if d < 0 else "") + f"¥{abs(d):,}", float(d)
    else:
        text, value = f"¥{d:,}", float(d)  # zh-CN Excel writes a negative amount as ¥-1,234.50
    return (text.translate(FULL_WIDTH) if full_width else text), value


valid_amounts = st.builds(
    _amount_text,
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.integers(0, 5),
    st.booleans(),
)
bad_amounts = st.tuples(
    st.one_of(
        st.sampled_from(["abc", "1,23,4", "12.3.4", "NaN", "inf", "1e999", "#N/A", "#DIV/0!", "12 34", "--5"]),
        st.builds(lambda t: "x" + t, short_text),
    ),
    st.just(REFUSED),
)
amounts = mostly(valid_amounts, st.one_of(bad_amounts, st.sampled_from([("", None), ("无", None)])))


@dataclass
class FindingRow:
    number: str
    org: str
    description: str
    date: tuple[Any, Any]  # (cell, expected date | REFUSED | None)
    amount: tuple[Any, Any]  # (cell, expected float | REFUSED | None)

    @property
    def key(self) -> str | None:
        number = clean(self.number)
        return None if number is None else f"finding:{OFFICE}:{number}"

    @property
    def org_key(self) -> str | Refused | None:
        name = org_name(self.org)
        return name if not isinstance(name, str) else f"org:{OFFICE}:{name}"

    @property
    def refused(self) -> bool:
        """Whether the documented parsers (or the index limit) send this row to quarantine."""
        return bool(self.reasons)

    @property
    def reasons(self) -> set[str]:
        """The columns quarantine.csv must name for this row (none: the row loads)."""
        out = set()
        if self.key is None:
            out.add("问题编号")
        if not isinstance(self.org_key, str):
            out.add("被巡察单位")
        if self.date[1] is REFUSED:
            out.add("发现时间")
        if self.amount[1] is REFUSED:
            out.add("涉及金额")
        if out:
            return out
        # Cells that parse, but give a key or an indexed name too long for any backend to index.
        assert isinstance(self.key, str) and isinstance(self.org_key, str)
        name = self.org_key.split(":", 2)[2]
        for column, text in (("Finding.finding_id", self.key), ("Organisation.org_id", self.org_key)):
            if too_long_to_index(text):
                out.add(column)
        if too_long_to_index(name):
            out.add("Organisation.name")
        return out


# Numbers and names: rarely blank (a letter or hanzi amid the drawn text), sometimes anything.
keyed_texts = mostly(
    st.builds(
        lambda a, core, b: a + core + b,
        st.one_of(short_text, st.sampled_from(INJECTIONS)),
        st.text(st.sampled_from("甲乙丙丁上城区财政局ABCxyz"), min_size=1, max_size=4),
        st.one_of(short_text, st.sampled_from(INJECTIONS)),
    ),
    texts,
)
finding_rows = st.builds(FindingRow, keyed_texts, keyed_texts, texts, dates, amounts)


def distinct_keys(rows: Sequence[FindingRow]) -> bool:
    keys = [r.key for r in rows if r.key is not None]
    return len(keys) == len(set(keys))


# ---------------------------------------------------------------------------------------------- files
@dataclass(frozen=True)
class Templates:
    """Values for the columns not drawn (round, team, kind, category, severity), from a generated export."""

    finding: dict[str, Any]
    roster: dict[str, Any]
    declaration: dict[str, Any]


def _first_record(folder: Path, pattern: str, required: Sequence[str]) -> dict[str, Any]:
    path = sorted(folder.glob(pattern))[0]
    table = read_tables(path)[0]
    header = find_header(table, required)
    assert header is not None, path
    return dict(next(iter_records(table, header))[1])


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    folder = tmp_path_factory.mktemp("generated")
    generate("tiny", 1, folder)
    finding = _first_record(folder, "巡察发现问题_*", ["问题编号", "问题类别", "发现时间"])
    roster = _first_record(folder, "干部名册_*", ["姓名", "工作单位", "职务"])
    declarations = json.loads(sorted(folder.glob("个人有关事项_*.json"))[0].read_text(encoding="utf-8"))
    return Templates(finding, roster, declarations["data"][0])


def finding_cells(t: Templates, row: FindingRow) -> list[Any]:
    values = dict(t.finding)
    values.update({"问题编号": row.number, "被巡察单位": row.org, "问题描述": row.description})
    values.update({"发现时间": row.date[0], "涉及金额": row.amount[0], "关联上级问题编号": ""})
    return [values.get(c, "") if values.get(c) is not None else "" for c in FINDING_COLUMNS]


def encode_csv(rows: Sequence[Sequence[Any]], encoding: str) -> bytes:
    """CSV bytes: ``utf-8``, ``utf-8-sig``, ``gb18030``, ``gbk``, ``gbk+utf-8`` (GBK where it can, a cell's
    UTF-8 bytes where it cannot: an office's mixed file) or ``bom+gbk`` (a UTF-8 BOM before GBK bytes)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    if encoding not in ("gbk+utf-8", "bom+gbk"):
        writer.writerows(rows)
        return out.getvalue().encode(encoding)
    data = bytearray(b"\xef\xbb\xbf" if encoding == "bom+gbk" else b"")
    for row in rows:
        cells = []
        for cell in row:
            one = io.StringIO(newline="")
            csv.writer(one, lineterminator="").writerow([cell])
            text = one.getvalue()
            try:
                cells.append(text.encode("gbk"))
            except UnicodeEncodeError:
                cells.append(text.encode("utf-8"))
        data += b",".join(cells) + b"\r\n"
    return bytes(data)


def gbk_safe(rows: Sequence[Sequence[Any]]) -> bool:
    try:
        encode_csv(rows, "gbk")
    except UnicodeEncodeError:
        return False
    return True


# ---------------------------------------------------------------------------------------------- backends
Snapshot = tuple[dict[tuple[str, str], dict[str, Any]], set[tuple[Any, ...]]]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return tuple(value)
    return value


def snapshot(backend: GraphBackend) -> Snapshot:
    """Every node (label, key) -> properties, and every relationship, as plain values."""
    nodes: dict[tuple[str, str], dict[str, Any]] = {}
    counts = backend.stats()  # only labels and types present are read
    for label in counts["nodes"]:
        node_type = backend.schema.nodes[label]
        for row in backend.nodes(label).to_dict("records"):
            key = row.pop(node_type.key)
            nodes[(label, key)] = {k: _plain(v) for k, v in row.items() if _plain(v) is not None}
    rels = set()
    for rel_type in counts["relationships"]:
        for row in backend.relationships(rel_type).to_dict("records"):
            ends = (row.pop("start_label"), row.pop("start_key"), row.pop("end_label"), row.pop("end_key"))
            props = tuple(sorted((k, _plain(v)) for k, v in row.items() if _plain(v) is not None))
            rels.add((rel_type, *ends, props))
    return nodes, rels


class Target:
    """A fresh graph holding the base file for each example, and the CLI arguments that reach it."""

    def __init__(self, kind: str, base: Path, root: Path, neo4j: GraphBackend | None = None):
        self.kind, self.base, self.root, self.neo4j = kind, base, root, neo4j
        self._template: Path | None = None
        self.workspace = root / "ws"

    def fresh(self) -> Path:
        """Reset the graph to the base; return an empty folder for this example's files."""
        work = Path(tempfile.mkdtemp(dir=self.root))
        if self.kind == "embedded":
            if self._template is None:
                self._template = self.root / "base-ws"
                with EmbeddedBackend(self._template, create=True) as backend:
                    Ingester(backend, self.root / "base-q", secret_key=KEY.encode()).ingest([self.base])
            self.workspace = work / "ws"
            shutil.copytree(self._template, self.workspace)
        else:
            assert self.neo4j is not None
            self.neo4j.clear()
            Ingester(self.neo4j, work / "base-q", secret_key=KEY.encode()).ingest([self.base])
        return work

    def args(self) -> list[str]:
        if self.kind == "embedded":
            return ["--workspace", str(self.workspace)]
        return ["--neo4j-uri", os.environ["NEO4J_URI"]]

    def env(self) -> dict[str, str | None]:
        env: dict[str, str | None] = {"LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY}
        if self.kind == "embedded":
            env["NEO4J_URI"] = None
        return env

    def backend(self) -> Any:
        """A context manager giving the graph as the CLI left it."""
        if self.kind == "embedded":
            return EmbeddedBackend(self.workspace)
        return _Borrowed(self.neo4j)


class _Borrowed:
    def __init__(self, backend: Any):
        self.backend = backend

    def __enter__(self) -> Any:
        return self.backend

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(scope="module")
def base_file(templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three findings of the same office written plainly: the graph the hostile file is loaded next to."""
    folder = tmp_path_factory.mktemp("base")
    path = folder / f"基线巡察发现问题_{OFFICE}.csv"
    rows: list[list[Any]] = [FINDING_COLUMNS]
    for n in range(1, 4):
        row = FindingRow(
            f"BASE-{n}", str(P.clean_text(templates.finding["被巡察单位"])), f"基线问题{n}", ("", None), ("", None)
        )
        rows.append(finding_cells(templates, row))
    path.write_bytes(encode_csv(rows, "utf-8-sig"))
    return path


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def target(request: pytest.FixtureRequest, base_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Target:
    root = tmp_path_factory.mktemp(f"props-{request.param}")
    if request.param == "embedded":
        return Target("embedded", base_file, root)
    return Target("neo4j", base_file, root, request.getfixturevalue("neo4j_domain"))


# ---------------------------------------------------------------------------------------------- running
@dataclass
class Outcome:
    result: Result
    report: dict[str, Any]
    quarantine: list[dict[str, str]]
    before: Snapshot
    after: Snapshot


def ingest(target: Target, work: Path, path: Path) -> Outcome:
    with target.backend() as backend:
        before = snapshot(backend)
    q = work / "quarantine"
    result = CliRunner(env=target.env()).invoke(
        main, [*target.args(), "ingest", str(path), "--quarantine", str(q), "--json"]
    )
    assert "Traceback" not in result.output, result.output[-3000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout.startswith("{"), f"exit {result.exit_code}: {result.output[-3000:]}"
    report = json.loads(result.stdout)
    quarantine = []
    if (q / "quarantine.csv").exists():
        with open(q / "quarantine.csv", encoding="utf-8-sig", newline="") as fh:
            quarantine = list(csv.DictReader(fh))
    with target.backend() as backend:
        after = snapshot(backend)
    return Outcome(result, report, quarantine, before, after)


def check_accounting(outcome: Outcome, path: Path, rows_written: int | None) -> dict[str, Any]:
    """Exit status, rows read = loaded + quarantined, one quarantine entry per quarantined row; the file's report."""
    (entry,) = outcome.report["files"]
    code = outcome.result.exit_code
    if entry["status"] in ("error", "refused", "unrecognised"):
        # A file refused as a whole: exit 1, with the reason, and nothing of it in the graph.
        assert code == 1 and entry["message"], entry
        assert entry["read"] == entry["loaded"] == entry["quarantined"] == 0
        assert outcome.after == outcome.before
        return entry
    assert entry["status"] == "loaded", entry
    assert entry["read"] == entry["loaded"] + entry["quarantined"], entry
    if rows_written is not None:
        assert entry["read"] == rows_written, entry
    assert code == (3 if entry["quarantined"] else 0), (code, entry)
    assert all(r["file"] == path.name and r["row"].isdigit() and r["reason"] for r in outcome.quarantine)
    assert len({(r["file"], r["sheet"], r["row"]) for r in outcome.quarantine}) == entry["quarantined"]
    assert bool(outcome.quarantine) == bool(entry["quarantined"]) == (outcome.report["quarantine"] is not None)
    return entry


def check_base_untouched(outcome: Outcome) -> set[tuple[str, str]]:
    """Every node of the graph before is there unchanged, and every relationship; returns the nodes added."""
    (before_nodes, before_rels), (after_nodes, after_rels) = outcome.before, outcome.after
    for node, props in before_nodes.items():
        if node[0] == "Source":
            continue
        assert after_nodes.get(node) == props, (node, props, after_nodes.get(node))
    assert before_rels <= after_rels, sorted(before_rels - after_rels)[:3]
    return {n for n in after_nodes if n not in before_nodes and n[0] != "Source"}


def check_intact(outcome: Outcome, new_nodes: set[tuple[str, str]], new_rels: set[tuple[str, str, str]]) -> None:
    """The base is untouched, and the only additions are the loaded rows' records (and the file's Source)."""
    check_base_untouched(outcome)
    (before_nodes, before_rels), (after_nodes, after_rels) = outcome.before, outcome.after
    added = {n for n in after_nodes if n not in before_nodes and n[0] != "Source"}
    assert added <= new_nodes, sorted(added - new_nodes)[:5]
    assert new_nodes <= set(after_nodes), sorted(new_nodes - set(after_nodes))[:5]
    sources = {n for n in after_nodes if n[0] == "Source"} - {n for n in before_nodes if n[0] == "Source"}
    assert len(sources) <= 1
    added_rels = {(r[0], r[2], r[4]) for r in after_rels - before_rels}
    assert added_rels <= new_rels, sorted(added_rels - new_rels)[:5]


def check_findings(outcome: Outcome, rows: Sequence[FindingRow], numbers: Sequence[int]) -> None:
    """Each row loaded or quarantined as its cells say; loaded ones stored as the parsers normalise them."""
    for row in rows:
        if currently_in_test_context():
            event("row quarantined" if row.refused else "row loaded")
            if max(len(row.number), len(row.org), len(row.description)) > 10_000:
                event(f"a value of over 10,000 characters, row {'quarantined' if row.refused else 'loaded'}")
    columns: dict[int, set[str]] = {}
    for entry in outcome.quarantine:
        columns.setdefault(int(entry["row"]), set()).add(entry["column"])
    after = outcome.after[0]
    new_nodes: set[tuple[str, str]] = set()
    new_rels: set[tuple[str, str, str]] = set()
    tour = next(k for label, k in outcome.before[0] if label == "Tour")
    # The base's findings share the drawn rows' template cells: their category and severity are the rows' too.
    base = outcome.before[0][("Finding", f"finding:{OFFICE}:BASE-1")]
    for row, number in zip(rows, numbers, strict=True):
        if row.refused:
            assert columns.get(number) == row.reasons, (number, columns.get(number), row)
            if row.key is not None:
                assert ("Finding", row.key) not in after
            continue
        assert number not in columns, (number, [q for q in outcome.quarantine if q["row"] == str(number)], row)
        assert isinstance(row.key, str) and isinstance(row.org_key, str)
        props = after[("Finding", row.key)]
        expected: dict[str, Any] = {k: base[k] for k in ("category", "severity") if k in base}
        expected["number"] = clean(row.number)  # the finding's number as written (the key is never parsed)
        if clean(row.description) is not None:
            expected["description"] = clean(row.description)
        if row.date[1] is not None:
            expected["found_date"] = row.date[1]
        assert {k: v for k, v in props.items() if k != "amount"} == expected, (props, row)
        if row.amount[1] is None:
            assert "amount" not in props
        else:
            assert math.isclose(props["amount"], row.amount[1], rel_tol=1e-12, abs_tol=1e-9), (props, row)
        assert after[("Organisation", row.org_key)]["name"] == org_name(row.org)
        new_nodes |= {("Finding", row.key), ("Organisation", row.org_key)}
        category = base["category"]
        new_rels |= {
            ("CONCERNS", row.key, row.org_key),
            ("IN_CATEGORY", row.key, category),
            ("FOUND", tour, row.key),
            ("INSPECTED", tour, row.org_key),
        }
    check_intact(outcome, new_nodes, new_rels)


# ---------------------------------------------------------------------------------------------- properties
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "gbk+utf-8", "bom+gbk")
encodings = mostly(st.sampled_from(ENCODINGS[:4]), st.sampled_from(ENCODINGS[4:]), odds=3)


@settings(SETTINGS, max_examples=12)
@given(rows=st.lists(finding_rows, min_size=1, max_size=3), encoding=encodings)
def test_findings_csv_rows_are_loaded_literally_or_quarantined(target, templates, rows, encoding):
    assume(distinct_keys(rows))
    table = [FINDING_COLUMNS, *(finding_cells(templates, r) for r in rows)]
    if encoding == "gbk" and not gbk_safe(table):
        encoding = "gb18030"  # what GBK cannot hold, its superset can
    work = target.fresh()
    path = work / f"巡察发现问题_{OFFICE}.csv"
    data = encode_csv(table, encoding)
    path.write_bytes(data)
    outcome = ingest(target, work, path)
    entry = check_accounting(outcome, path, len(rows))
    event(f"{encoding}: {entry['status']}")
    if encoding in ("gb18030", "gbk") and data.decode("gb18030") != data.decode(encoding):
        encoding = "gbk+utf-8"  # (a codec difference, not the loader's: judged as mixed bytes)
    if encoding in ("gbk+utf-8", "bom+gbk"):
        # Bytes no single encoding reads: refused with a reason, or read as GB18030 (some text garbled), in
        # which case every row is still accounted for and nothing beyond the office's records appears.
        if entry["status"] == "loaded":
            added = {n for n in outcome.after[0] if n not in outcome.before[0] and n[0] != "Source"}
            assert all(label in ("Finding", "Organisation") and f":{OFFICE}:" in key for label, key in added)
        else:
            assert any(w in entry["message"] for w in ("UTF-8", "GBK", "header", "mapping")), entry
        return
    assert entry["status"] == "loaded", entry
    # CSV record numbers: the header is record 1, each data row one record however many lines it spans.
    check_findings(outcome, rows, range(2, 2 + len(rows)))
    if encoding == "utf-8-sig" and not any(r.refused for r in rows):
        assert outcome.result.exit_code == 0


def _xlsx_value(text: str) -> str:
    # A workbook cell holds no control characters and at most 32,767 characters (Excel's limits, which
    # openpyxl enforces): the drawn text is cut to what a workbook can hold.
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:32767]


@settings(SETTINGS, max_examples=6)
@given(rows=st.lists(finding_rows, min_size=1, max_size=3), typed=st.booleans())
def test_findings_xlsx_rows_are_loaded_literally_or_quarantined(target, templates, rows, typed):
    rows = [
        FindingRow(_xlsx_value(r.number), _xlsx_value(r.org), _xlsx_value(r.description), r.date, r.amount)
        for r in rows
    ]
    assume(distinct_keys(rows))
    work = target.fresh()
    path = work / f"巡察发现问题_{OFFICE}.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["上城区委巡察发现问题清单"])  # a title row above the header
    ws.append(FINDING_COLUMNS)
    for r in rows:
        cells = finding_cells(templates, r)
        if typed and isinstance(r.date[1], dt.date):
            cells[FINDING_COLUMNS.index("发现时间")] = r.date[1]  # a real Excel date
        if typed and isinstance(r.amount[1], float):
            cells[FINDING_COLUMNS.index("涉及金额")] = r.amount[1]  # a real Excel number
        ws.append([_xlsx_value(c) if isinstance(c, str) else c for c in cells])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with "=" (openpyxl would make it a formula)
    wb.save(path)
    outcome = ingest(target, work, path)
    entry = check_accounting(outcome, path, len(rows))
    assert entry["status"] == "loaded", entry
    check_findings(outcome, rows, range(3, 3 + len(rows)))  # Excel rows: title 1, header 2


# -- secrets ---------------------------------------------------------------------------------------------------
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    """GB 11643's check character (ISO 7064 MOD 11-2)."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass
class ResidentId:
    cell: str  # as written in the export
    number: str  # the 18 characters it stands for
    valid: bool


def _resident_id(birth: dt.date, seq: int, ok: bool, style: int) -> ResidentId:
    first = f"{OFFICE}{birth:%Y%m%d}{seq:03d}"
    check = check_character(first)
    if not ok:
        check = "0123456789X".replace(check, "")[seq % 10]
    number = first + check
    cell = [
        number,
        number.lower(),
        f"{number[:6]} {number[6:14]} {number[14:]}",
        number.translate(FULL_WIDTH),
        f"'{number}",
        f"\u200b{number}\u3000",
        number[:17],
        number[:15],
        number[:10] + "ABCDEFGH",
    ][style]
    valid = ok and style <= 5
    return ResidentId(cell, number, valid)


births = st.dates(dt.date(1950, 1, 1), dt.date(2004, 12, 31))
resident_ids = mostly(
    st.builds(_resident_id, births, st.integers(0, 999), st.just(True), st.integers(0, 5)),  # valid, however written
    st.builds(_resident_id, births, st.integers(0, 999), st.booleans(), st.integers(0, 8)),
    odds=2,
)


def keyed_hash(number: str) -> str:
    return hmac.new(KEY.encode(), number.encode(), hashlib.sha256).hexdigest()[:32]


def traces(number: str) -> Iterator[str]:
    """Every form in which an ID's digits would give it away: the number, its digits, its birth date."""
    yield number
    yield number[:17]
    yield number[6:14]


@settings(SETTINGS, max_examples=8)
@given(people=st.lists(st.tuples(keyed_texts, resident_ids), min_size=1, max_size=3))
def test_roster_resident_ids_are_hashed_or_quarantined_without_a_trace(target, templates, people):
    names = [person_name(n) for n, _ in people]
    assume(len({n for n in names if isinstance(n, str)}) == len([n for n in names if isinstance(n, str)]))
    assume(len({i.number for _, i in people}) == len(people))
    work = target.fresh()
    path = work / f"干部名册_{OFFICE}.csv"
    table: list[list[Any]] = [ROSTER_COLUMNS]
    for name, rid in people:
        values = {**templates.roster, "姓名": name, "身份证号": rid.cell, "出生日期": "", "籍贯": ""}
        table.append(["" if values.get(c) is None else values[c] for c in ROSTER_COLUMNS])
    path.write_bytes(encode_csv(table, "utf-8-sig"))
    outcome = ingest(target, work, path)
    entry = check_accounting(outcome, path, None)
    assert entry["status"] == "loaded", entry
    quarantined = {int(r["row"]): r for r in outcome.quarantine}
    people_after = {key: props for (label, key), props in outcome.after[0].items() if label == "Person"}
    for n, ((_, rid), name) in enumerate(zip(people, names, strict=True), start=2):
        written = "as is" if rid.cell == rid.number else "otherwise"
        event(f"resident ID {'valid' if rid.valid else 'refused'}, written {written}")
        if not isinstance(name, str) or not rid.valid or too_long_to_index(name):
            assert n in quarantined, (n, rid, name)
            continue
        assert n not in quarantined, quarantined[n]
        digest = keyed_hash(rid.number)
        (key,) = [k for k, p in people_after.items() if p.get("resident_id_hash") == digest]
        assert people_after[key]["name"] == name
        # The key names the person without giving their (secret) hash away.
        assert key.startswith("person:id:") and digest not in key
        assert people_after[key]["birth_date"] == dt.date(
            int(rid.number[6:10]), int(rid.number[10:12]), int(rid.number[12:14])
        )
    added = check_base_untouched(outcome)
    loaded = {
        keyed_hash(rid.number)
        for (_, rid), name in zip(people, names, strict=True)
        if isinstance(name, str) and rid.valid and not too_long_to_index(name)
    }
    for label, key in added:
        props = outcome.after[0][(label, key)]
        assert (label == "Person" and props.get("resident_id_hash") in loaded) or (
            label == "Organisation" and key == f"org:{OFFICE}:{org_name(str(templates.roster['工作单位']))}"
        ), (label, key, props)
    # No form of any ID reaches the graph or the quarantine file.
    graph_text = repr(outcome.after)
    quarantine_text = (work / "quarantine" / "quarantine.csv").read_text("utf-8-sig") if outcome.quarantine else ""
    for _, rid in people:
        for trace in traces(rid.number):
            assert trace not in graph_text, f"{trace} in the graph"
            assert trace not in quarantine_text, f"{trace} in quarantine.csv: {quarantine_text[-400:]}"
    for row in outcome.quarantine:
        if row["column"] == "身份证号":
            assert row["value"] == "(secret, withheld)"


@settings(SETTINGS, max_examples=6)
@given(
    declarant=keyed_texts,
    relatives=st.lists(st.tuples(keyed_texts, resident_ids), min_size=1, max_size=2),
    own=resident_ids,
)
def test_declarations_json_nested_rows_load_or_quarantine_whole(target, templates, declarant, relatives, own):
    record = json.loads(json.dumps(templates.declaration))
    record["申报人"] = declarant
    record["身份证号"] = own.cell
    relation = record["家庭成员"][0]["称谓"]
    record["家庭成员"] = [{"姓名": n, "称谓": relation, "身份证号": r.cell, "从业情况": []} for n, r in relatives]
    work = target.fresh()
    path = work / f"个人有关事项_{OFFICE}.json"
    path.write_text(json.dumps({"data": [record]}, ensure_ascii=False), encoding="utf-8")
    outcome = ingest(target, work, path)
    entry = check_accounting(outcome, path, 1)
    assert entry["status"] == "loaded", entry
    names = [person_name(n) for n, _ in relatives]
    refused = (
        not all(isinstance(n, str) and not too_long_to_index(n) for n in [person_name(declarant), *names])
        or not own.valid
        or not all(r.valid for _, r in relatives)
    )
    after = outcome.after
    added = check_base_untouched(outcome)
    event("declaration quarantined" if refused else "declaration loaded")
    if refused:
        # One quarantined record leaves nothing behind, not even the declarant.
        assert entry["quarantined"] == 1 and outcome.quarantine[0]["row"] == "1"
        assert not added
    else:
        assert entry["loaded"] == 1
        people = {after[0][n]["name"] for n in added if n[0] == "Person"}
        assert people == {person_name(declarant), *names}
        assert {label for label, _ in added} <= {"Person", "Organisation"}
        relations = [r for r in after[1] - outcome.before[1] if r[0] == "RELATIVE_OF"]
        assert len(relations) == len({r.number for _, r in relatives} - {own.number})
    text = repr(after) + "".join(json.dumps(r, ensure_ascii=False) for r in outcome.quarantine)
    for rid in [own, *(r for _, r in relatives)]:
        for trace in traces(rid.number):
            assert trace not in text, f"{trace} left a trace"


# -- whole files -----------------------------------------------------------------------------------------------
def _utf16(rows: Sequence[Sequence[str]]) -> bytes:
    return encode_csv(rows, "utf-8").decode("utf-8").encode("utf-16-le")


@settings(SETTINGS, max_examples=6)
@given(
    rows=st.lists(finding_rows, min_size=1, max_size=2),
    damage=st.sampled_from(["utf-16", "bom+garbage", "truncated-utf-8", "nul-in-first-cell", "xlsx-as-csv", "empty"]),
)
def test_damaged_files_are_refused_with_a_reason(target, templates, rows, damage):
    table = [FINDING_COLUMNS, *(finding_cells(templates, r) for r in rows)]
    work = target.fresh()
    path = work / f"巡察发现问题_{OFFICE}.csv"
    data = {
        "utf-16": lambda: _utf16(table),
        "bom+garbage": lambda: b"\xef\xbb\xbf" + bytes(range(0x80, 0x100)),
        "truncated-utf-8": lambda: encode_csv(table, "utf-8") + "中".encode()[:2] + b"\xff\xfe\x80",
        "nul-in-first-cell": lambda: b"\x00" + encode_csv(table, "utf-8"),
        "xlsx-as-csv": lambda: b"PK\x03\x04" + os.urandom(64),
        "empty": lambda: b"",
    }[damage]()
    path.write_bytes(data)
    outcome = ingest(target, work, path)
    entry = check_accounting(outcome, path, None)
    assert outcome.result.exit_code == 1 and entry["status"] in ("error", "unrecognised"), entry
    if entry["status"] == "error":
        assert path.name in entry["message"] and "ingest again" in entry["message"], entry


def test_injection_strings_as_values_delete_nothing(target, templates):
    """Every injection string at once, in every drawn cell of one file: the base graph survives unchanged."""
    org = str(P.clean_text(templates.finding["被巡察单位"]))
    rows = [FindingRow(f"{s}#{n}", s, s, ("", None), ("", None)) for n, s in enumerate(INJECTIONS)]
    rows += [
        FindingRow(f"日期金额#{n}", org, "", (s, _empty_or_refused(s)), (s, _empty_or_refused(s)))
        for n, s in enumerate(INJECTIONS)
    ]
    work = target.fresh()
    path = work / f"巡察发现问题_{OFFICE}.csv"
    path.write_bytes(encode_csv([FINDING_COLUMNS, *(finding_cells(templates, r) for r in rows)], "utf-8-sig"))
    outcome = ingest(target, work, path)
    entry = check_accounting(outcome, path, len(rows))
    assert entry["status"] == "loaded" and entry["loaded"] >= len(INJECTIONS) // 2, entry
    check_findings(outcome, rows, range(2, 2 + len(rows)))


def _empty_or_refused(text: str) -> Any:
    # No injection string is a date or an amount: each is an empty cell or refused.
    return None if clean(text) is None else REFUSED

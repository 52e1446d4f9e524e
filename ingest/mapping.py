"""Declarative mappings: a tier export's columns -> typed fields -> graph records.

One YAML file per export format in ``ingest/mappings/`` (a user passes their
own with ``--mapping``). A mapping says how to recognise the format by its
headers, which column feeds which field and how the field is parsed, and which
nodes and relationships each row becomes. Keys and names in records are
templates over fields (``"org:{office}:{org}"``); a record whose template
needs a field the row left empty is not written (an optional link), while a
required field that is empty or fails to parse sends the row to quarantine.

Labels, relationship types and properties in a mapping are checked against the
declared schema when the mapping is loaded, so nothing a file contains ever
becomes a label or a type.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from graphmodel import EdgeRecord, NodeRecord, NodeRef, Schema, SchemaError

from . import parse as P

__all__ = [
    "Mapping_",
    "FieldSpec",
    "RecordSpec",
    "RowResult",
    "load_mapping",
    "builtin_mappings",
    "MappingError",
    "Taxonomy",
    "load_taxonomy",
]

_FORMATTER = string.Formatter()
SECRET_WITHHELD = "(secret, withheld)"


class MappingError(SchemaError):
    """A mapping file is malformed or names something the schema does not declare."""


@dataclass(frozen=True)
class Taxonomy:
    """The problem-category tree: codes, names and the aliases offices write."""

    categories: tuple[tuple[str, str, str | None], ...]  # (code, name, parent)
    aliases: Mapping[str, str]
    systems: Mapping[str, str]  # any way of writing a sector system -> its code

    def system(self, value: str) -> str:
        key = re.sub(r"\s", "", value)
        code = self.systems.get(key)
        if code is None:
            raise P.ParseError(f"unknown sector system '{value}' (add it to the taxonomy's systems)")
        return code

    def code(self, value: str) -> str:
        key = re.sub(r"[\s“”\"'、，,]", "", value)
        code = self.aliases.get(key) or self.aliases.get(key.upper())
        if code is None:
            raise P.ParseError(f"unknown problem category '{value}' (add it to the taxonomy's aliases)")
        return code


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a problem-category tree (default: ``ingest/mappings/taxonomy.yaml``)."""
    path = Path(path) if path else Path(__file__).parent / "mappings" / "taxonomy.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cats, aliases, systems = [], {}, {}
    for item in doc["categories"]:
        code, name, parent = str(item["code"]), str(item["name"]), item.get("parent")
        cats.append((code, name, parent))
        for alias in [code, name, *item.get("aliases", [])]:
            aliases[re.sub(r"[\s“”\"'、，,]", "", str(alias))] = code
    for item in doc.get("systems", []):
        for alias in [item["code"], item["name"], *item.get("aliases", [])]:
            systems[re.sub(r"\s", "", str(alias))] = str(item["code"])
    return Taxonomy(tuple(cats), aliases, systems)


@dataclass(frozen=True)
class FieldSpec:
    """One field: the column(s) it may come from, its parser, and whether a row needs it."""

    name: str
    columns: tuple[str, ...]
    parser: str
    required: bool = False
    secret: bool = False
    enum: tuple[str, str] | None = None  # (Label, property) whose enum labels are accepted
    aliases: Mapping[str, str] = field(default_factory=dict)  # other words offices write -> enum code
    skip_invalid: bool = False  # an unparseable value leaves the field empty instead of quarantining the row


@dataclass(frozen=True)
class RecordSpec:
    """A node or relationship template produced by each row."""

    node: str | None
    rel: str | None
    key: tuple[str, ...]  # alternatives: the first whose fields are all present is used
    start: tuple[str, tuple[str, ...]] | None
    end: tuple[str, tuple[str, ...]] | None
    props: Mapping[str, tuple[str, ...]]  # property -> field names (first present wins) or one "{template}"
    when: tuple[str, ...]
    consts: Mapping[str, Any]
    when_equals: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EachSpec:
    """Sub-rows: a nested JSON list (``path``) or a delimited column (``split``)."""

    path: str | None
    split: tuple[str, ...]  # the column(s) to split; the first one present is used
    separator: str
    part_separator: str | None
    parts: tuple[str, ...]
    fields: Mapping[str, FieldSpec]
    records: tuple[RecordSpec, ...]
    each: tuple[EachSpec, ...]


@dataclass
class RowResult:
    """What one row became: records, or the problems that send it to quarantine."""

    records: list[NodeRecord | EdgeRecord] = field(default_factory=list)
    problems: list[tuple[str, Any, str]] = field(default_factory=list)  # (column, value, reason)
    mentions: list[tuple[str, str, NodeRef]] = field(default_factory=list)  # (field, column, node)


@dataclass(frozen=True)
class Mapping_:
    """A loaded mapping (named with a trailing underscore so it does not shadow ``typing.Mapping``)."""

    name: str
    title: str
    path: Path
    required_headers: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...]
    file_vars: Mapping[str, tuple[str, str]]  # name -> (regex on the file name, parser)
    fields: Mapping[str, FieldSpec]
    records: tuple[RecordSpec, ...]
    each: tuple[EachSpec, ...]
    has_secrets: bool

    def matches(self, columns: Sequence[str | None]) -> bool:
        present = {c for c in columns if c}
        return set(self.required_headers) <= present and all(present & set(group) for group in self.one_of)

    def coverage(self, columns: Sequence[str | None]) -> int:
        present = {c for c in columns if c}
        return sum(1 for f in self.fields.values() if present & set(f.columns))

    def mapper(
        self, schema: Schema, taxonomy: Taxonomy, file_vars: Mapping[str, Any], secret_key: bytes | None
    ) -> RowMapper:
        """The row mapper for one file of this format."""
        return RowMapper(self, schema, taxonomy, file_vars, secret_key)


# ------------------------------------------------------------------ loading
def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def _fields(spec: Mapping[str, Any], schema: Schema, where: str) -> dict[str, FieldSpec]:
    out = {}
    for name, f in (spec or {}).items():
        if isinstance(f, str):
            f = {"column": f}
        parser = f.get("parse", "text")
        enum = None
        if isinstance(parser, Mapping):
            target = str(parser.get("enum", ""))
            label, _, prop = target.partition(".")
            try:
                element = schema.node(label) if label in schema.nodes else schema.relationship(label)
                declared = element.property(prop)
            except SchemaError as exc:
                raise MappingError(f"{where}: field {name}: {exc}") from None
            if not declared.enum:
                raise MappingError(f"{where}: field {name}: {target} has no enum")
            parser, enum = "enum", (label, prop)
        if parser not in _PARSERS and parser != "enum":
            raise MappingError(
                f"{where}: field {name}: unknown parser {parser!r}; known: {', '.join(sorted(_PARSERS))}"
            )
        out[name] = FieldSpec(
            name,
            _as_tuple(f.get("column")),
            parser,
            bool(f.get("required", False)),
            bool(f.get("secret", False)),
            enum,
            {str(k): str(v) for k, v in (f.get("aliases") or {}).items()},
            f.get("invalid") == "skip",
        )
    return out


def _records(items: Sequence[Mapping[str, Any]], schema: Schema, where: str) -> tuple[RecordSpec, ...]:
    out = []
    for item in items or []:
        node, rel = item.get("node"), item.get("rel")
        props = {str(k): _as_tuple(v) for k, v in (item.get("props") or {}).items()}
        consts = dict(item.get("set") or {})
        when_equals = {str(k): str(v) for k, v in (item.get("when_equals") or {}).items()}
        if node:
            node_type = schema.node(node)
            for prop in [*props, *consts]:
                node_type.property(prop)
            out.append(
                RecordSpec(
                    node,
                    None,
                    _as_tuple(item["key"]),
                    None,
                    None,
                    props,
                    _as_tuple(item.get("when")),
                    consts,
                    when_equals,
                )
            )
        elif rel:
            rel_type = schema.relationship(rel)
            for prop in [*props, *consts]:
                rel_type.property(prop)
            start, end = item.get("start"), item.get("end")
            if not (isinstance(start, list) and isinstance(end, list) and len(start) == 2 and len(end) == 2):
                raise MappingError(f"{where}: {rel} needs start: [Label, key] and end: [Label, key]")
            for label in (start[0], end[0]):
                schema.node(label)
            out.append(
                RecordSpec(
                    None,
                    rel,
                    (),
                    (start[0], _as_tuple(start[1])),
                    (end[0], _as_tuple(end[1])),
                    props,
                    _as_tuple(item.get("when")),
                    consts,
                    when_equals,
                )
            )
        else:
            raise MappingError(f"{where}: each record needs 'node' or 'rel'")
    return tuple(out)


def _each(items: Sequence[Mapping[str, Any]], schema: Schema, where: str) -> tuple[EachSpec, ...]:
    out = []
    for item in items or []:
        out.append(
            EachSpec(
                path=item.get("path"),
                split=_as_tuple(item.get("split")),
                separator=str(item.get("separator", ";")),
                part_separator=item.get("part_separator"),
                parts=_as_tuple(item.get("parts")),
                fields=_fields(item.get("fields") or {}, schema, where),
                records=_records(item.get("records") or [], schema, where),
                each=_each(item.get("each") or [], schema, where),
            )
        )
    return tuple(out)


def load_mapping(path: str | Path, schema: Schema) -> Mapping_:
    """Load and check one mapping file against ``schema``."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"cannot read the mapping {path}: {exc}") from None
    where = path.name
    try:
        headers = doc.get("headers") or {}
        fields = _fields(doc.get("fields") or {}, schema, where)
        each = _each(doc.get("each") or [], schema, where)
        secret = any(f.secret for f in fields.values()) or any(
            f.secret for e in _walk_each(each) for f in e.fields.values()
        )
        file_vars = {
            name: (str(v["pattern"]), str(v.get("parse", "text"))) for name, v in (doc.get("file_vars") or {}).items()
        }
        return Mapping_(
            name=str(doc["format"]),
            title=str(doc.get("title", doc["format"])),
            path=path,
            required_headers=_as_tuple(headers.get("required")),
            one_of=tuple(_as_tuple(g) for g in headers.get("one_of") or []),
            file_vars=file_vars,
            fields=fields,
            records=_records(doc.get("records") or [], schema, where),
            each=each,
            has_secrets=secret,
        )
    except SchemaError as exc:
        raise MappingError(f"{where}: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise MappingError(f"{where}: malformed mapping ({exc!r})") from None


def _walk_each(each: Sequence[EachSpec]) -> Iterator[EachSpec]:
    for e in each:
        yield e
        yield from _walk_each(e.each)


def builtin_mappings(schema: Schema) -> list[Mapping_]:
    """The mappings shipped for the formats liandong knows (``ingest/mappings/*.yaml``)."""
    folder = Path(__file__).parent / "mappings"
    # Format mappings are numbered (their order is the load order); other YAML there is reference data.
    return [load_mapping(p, schema) for p in sorted(folder.glob("[0-9]*_*.yaml"))]


# ------------------------------------------------------------------ applying
def _enum_parser(schema: Schema, target: tuple[str, str], aliases: Mapping[str, str]) -> Callable[[Any], Any]:
    label, prop = target
    element = schema.nodes[label] if label in schema.nodes else schema.relationships[label]
    labels = dict(element.properties[prop].enum or {})
    return lambda v: P.parse_enum(v, labels, aliases)


def _office_prefix(value: Any) -> str | None:
    text = P.clean_text(value)
    m = re.match(r"(\d{6})-", text or "")
    return m.group(1) if m else None


def _birth_from_id(value: Any) -> Any:
    # A resident ID carries its holder's birth date (digits 7-14); read before the ID is hashed.
    number = P.parse_resident_id(value)
    return None if number is None else P.parse_date(number[6:14])


def _fraction(value: Any) -> float | None:
    # "60%" -> 0.6; a bare number is taken as a fraction already.
    text = P.clean_text(value)
    if text and text.endswith("%"):
        number = P.parse_float(text[:-1])
        return None if number is None else number / 100
    return P.parse_float(value)


_PARSERS: dict[str, Callable[..., Any]] = {
    "text": P.clean_text,
    "org_name": P.normalise_org_name,
    "person_name": P.normalise_person_name,
    "date": P.parse_date,
    "int": P.parse_int,
    "float": P.parse_float,
    "bool": P.parse_bool,
    "uscc": P.parse_uscc,
    "resident_id": P.parse_resident_id,
    "region_code": P.parse_region_code,
    "phone": P.parse_phone,
    "category": P.clean_text,  # then looked up in the taxonomy
    "fraction": _fraction,
    "birth_from_id": _birth_from_id,
    "office_prefix": _office_prefix,
    "system": P.clean_text,  # then looked up in the taxonomy's systems
}


class RowMapper:
    """Applies one mapping to rows of one file."""

    def __init__(
        self,
        mapping: Mapping_,
        schema: Schema,
        taxonomy: Taxonomy,
        file_vars: Mapping[str, Any],
        secret_key: bytes | None,
    ):
        self.mapping, self.schema, self.taxonomy = mapping, schema, taxonomy
        self.file_vars = dict(file_vars)
        self.secret_key = secret_key
        self._memo: dict[tuple[str, Any], Any] = {}

    def _parse(self, spec: FieldSpec, value: Any) -> Any:
        # Parsers are pure, and exports repeat the same names, labels and codes row after row.
        memo_key = (spec.name, value) if isinstance(value, (str, int, float)) and not spec.secret else None
        memo = self._memo
        if memo_key is not None and memo_key in memo:
            hit = memo[memo_key]
            if isinstance(hit, P.ParseError):
                raise hit
            return hit
        try:
            if spec.parser == "enum" and spec.enum:
                parsed = _enum_parser(self.schema, spec.enum, spec.aliases)(value)
            else:
                parsed = _PARSERS[spec.parser](value)
                if spec.parser == "category" and parsed is not None:
                    parsed = self.taxonomy.code(parsed)
                elif spec.parser == "system" and parsed is not None:
                    parsed = self.taxonomy.system(parsed)
        except P.ParseError as exc:
            if memo_key is not None and len(memo) < 500_000:
                memo[memo_key] = exc
            raise
        if memo_key is not None and len(memo) < 500_000:
            memo[memo_key] = parsed
        return parsed

    def _hash(self, value: str) -> str:
        assert self.secret_key is not None
        return hmac.new(self.secret_key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def _parse_fields(
        self,
        fields: Mapping[str, FieldSpec],
        raw: Mapping[str, Any],
        result: RowResult,
        values: dict[str, Any],
        columns: dict[str, str],
    ) -> None:
        for spec in fields.values():
            column = next((c for c in spec.columns if c in raw), None)
            value = raw.get(column) if column else None
            columns[spec.name] = column or (spec.columns[0] if spec.columns else spec.name)
            try:
                parsed = self._parse(spec, value)
            except P.ParseError as exc:
                if not spec.skip_invalid:
                    if spec.secret:
                        # Secret values never reach the quarantine file; file and row locate them.
                        value, exc = SECRET_WITHHELD, P.ParseError(str(exc).replace(str(value), SECRET_WITHHELD))
                    result.problems.append((columns[spec.name], value, str(exc)))
                continue
            if parsed is None and spec.required:
                result.problems.append((columns[spec.name], value, "required value is missing"))
                continue
            if spec.secret and parsed is not None:
                parsed = self._hash(str(parsed))
            values[spec.name] = parsed

    def _render(self, templates: tuple[str, ...], values: Mapping[str, Any]) -> str | None:
        for template in templates:
            names = _template_fields(template)
            if all(values.get(n) is not None for n in names):
                return template.format(**{n: _key_text(values[n]) for n in names})
        return None

    def _value(self, sources: tuple[str, ...], values: Mapping[str, Any]) -> Any:
        if len(sources) == 1 and "{" in sources[0]:
            return self._render(sources, values)
        return next((values[s] for s in sources if values.get(s) is not None), None)

    def _emit(
        self, specs: Sequence[RecordSpec], values: Mapping[str, Any], columns: Mapping[str, str], result: RowResult
    ) -> None:
        for spec in specs:
            if any(values.get(w) is None for w in spec.when):
                continue
            if any(str(values.get(k)) != v for k, v in spec.when_equals.items()):
                continue
            props = {prop: self._value(srcs, values) for prop, srcs in spec.props.items()}
            props.update(spec.consts)
            if spec.node:
                key = self._render(spec.key, values)
                if key is None:
                    continue
                node_type = self.schema.nodes[spec.node]
                props = {k: _coerce(node_type, k, v) for k, v in props.items() if v is not None}
                result.records.append(NodeRecord(spec.node, key, props))
                ref = NodeRef(spec.node, key)
                for prop, srcs in spec.props.items():
                    if prop == "name" and srcs[0] in columns:
                        result.mentions.append((srcs[0], columns[srcs[0]], ref))
                # The cells a key is made of name the record too (a finding by its number).
                used = next(t for t in spec.key if all(values.get(n) is not None for n in _template_fields(t)))
                for name in _template_fields(used):
                    if name in columns:
                        result.mentions.append((name, columns[name], ref))
            else:
                assert spec.start is not None and spec.end is not None and spec.rel is not None
                start = self._render(spec.start[1], values)
                end = self._render(spec.end[1], values)
                if start is None or end is None:
                    continue
                rel_type = self.schema.relationships[spec.rel]
                props = {k: _coerce(rel_type, k, v) for k, v in props.items() if v is not None}
                result.records.append(
                    EdgeRecord(spec.rel, NodeRef(spec.start[0], start), NodeRef(spec.end[0], end), props)
                )

    def apply(self, raw: Mapping[str, Any]) -> RowResult:
        """Parse one row (column -> raw value) and build its records."""
        result = RowResult()
        values: dict[str, Any] = dict(self.file_vars)
        columns: dict[str, str] = {}
        self._parse_fields(self.mapping.fields, raw, result, values, columns)
        if result.problems:
            return result
        self._emit(self.mapping.records, values, columns, result)
        for each in self.mapping.each:
            self._apply_each(each, raw, values, columns, result)
        if result.problems:
            result.records.clear()
            result.mentions.clear()
        return result

    def _apply_each(
        self,
        each: EachSpec,
        raw: Mapping[str, Any],
        parent: Mapping[str, Any],
        columns: Mapping[str, str],
        result: RowResult,
    ) -> None:
        for n, sub in enumerate(_sub_rows(each, raw), start=1):
            values = dict(parent)
            values["_index"] = n
            sub_columns = dict(columns)
            self._parse_fields(each.fields, sub, result, values, sub_columns)
            if result.problems:
                return
            self._emit(each.records, values, sub_columns, result)
            for inner in each.each:
                self._apply_each(inner, sub, values, sub_columns, result)


def _sub_rows(each: EachSpec, raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if each.path:
        items = raw.get(each.path) or []
        return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []
    column = next((c for c in each.split if c in raw), None)
    text = (P.clean_text(raw.get(column)) if column else None) or ""
    rows: list[Mapping[str, Any]] = []
    for chunk in re.split(f"[{re.escape(each.separator)}；]", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        parts = (
            re.split(f"[{re.escape(each.part_separator)}：]", chunk, maxsplit=len(each.parts) - 1)
            if each.part_separator
            else [chunk]
        )
        rows.append(dict(zip(each.parts, [p.strip() for p in parts], strict=False)))
    return rows


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)
def _template_fields(template: str) -> tuple[str, ...]:
    return tuple(f for _, f, _, _ in _FORMATTER.parse(template) if f)


def _key_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _coerce(element: Any, prop: str, value: Any) -> Any:
    declared = element.properties[prop]
    if declared.type == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if declared.type == "string" and not isinstance(value, str):
        return _key_text(value)
    if declared.type == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def file_vars_for(mapping: Mapping_, path: Path, overrides: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Values the file name (or the user) gives, such as the exporting office's region code."""
    out: dict[str, Any] = {}
    problems = []
    for name, (pattern, parser) in mapping.file_vars.items():
        raw = overrides.get(name)
        if raw is None:
            m = re.search(pattern, path.name)
            raw = m.group(1) if m else None
        if raw is None:
            problems.append(f"cannot tell the {name} from the file name {path.name}; pass --{name.replace('_', '-')}")
            continue
        try:
            out[name] = _PARSERS[parser](raw)
        except P.ParseError as exc:
            problems.append(f"{name}: {exc}")
    if "office" in out and out["office"]:
        code = str(out["office"])
        out["office_tier"] = "province" if code.endswith("0000") else ("city" if code.endswith("00") else "county")
        out["office_level"] = {"province": "provincial"}.get(out["office_tier"], out["office_tier"])
        out["office_name"] = P.region_name(code) or code
    return out, problems

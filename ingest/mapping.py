"""Declarative mappings: a tier export's columns -> typed fields -> graph records.

One YAML file per export format in ``ingest/mappings/`` (a user passes their
own with ``--mapping``). A mapping says how to recognise the format by its
headers, which column feeds which field and how the field is parsed, and which
nodes and relationships each row becomes. Keys and names in records are
templates over fields (``"org:{office}:{org}"``); a record whose template
needs a field the row left empty is not written (an optional link), while a
required field that is empty or fails to parse sends the row to quarantine.
A node record with ``fill: true`` only fills properties a node lacks (a bidder
as a tender table spells it never overwrites the registry's name for that
USCC). A secret field is stored as a keyed hash; a key template takes ``{FIELD_key}``
(``"person:id:{rid_key}"``), a second keyed hash of the same value, so that
record keys, which every export carries, never give the stored hash away (a
mapping whose key uses the secret field itself is refused).

Labels, relationship types and properties in a mapping are checked against the
declared schema when the mapping is loaded, so nothing a file contains ever
becomes a label or a type.
"""

from __future__ import annotations

import base64
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
_MISSING = object()
SECRET_WITHHELD = "(secret, withheld)"
_KEY_DOMAIN = b"record key\x00"  # what a secret value is hashed with for record keys, unlike for properties


def _key_digest(secret_key: bytes, value: str) -> str:
    """A keyed hash of a secret value for record keys: not the stored hash, and in base32, so that no run of
    digits in it reads as an ID number."""
    digest = hmac.new(secret_key, _KEY_DOMAIN + value.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode("ascii").lower()


def _withhold(reason: str, value: Any) -> str:
    """A parser's reason for a secret value, without the value: parsers quote it as they read it (full-width
    digits made half-width, spaces taken out), and name parts of it (a resident ID's birth date)."""
    text = reason.replace(str(value), SECRET_WITHHELD) if str(value) else reason
    text = re.sub(r"'.*'", SECRET_WITHHELD, text, flags=re.DOTALL)
    return re.sub(r"\d[\dXx-]{3,}", SECRET_WITHHELD, text)


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
    fill: bool = False  # a node's properties only fill gaps (see NodeRecord)


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
        self,
        schema: Schema,
        taxonomy: Taxonomy,
        file_vars: Mapping[str, Any],
        secret_key: bytes | None,
        mentions: bool = True,
    ) -> RowMapper:
        """The row mapper for one file of this format (``mentions``: also say which cells name each node)."""
        return RowMapper(self, schema, taxonomy, file_vars, secret_key, mentions)


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
        fill = item.get("fill", False)
        if not isinstance(fill, bool):
            raise MappingError(f"{where}: 'fill' is true or false, not {fill!r}")
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
                    fill,
                )
            )
        elif rel:
            if fill:
                raise MappingError(f"{where}: 'fill' applies to nodes, not to {rel}")
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
        records = _records(doc.get("records") or [], schema, where)
        # A key is in every export: one made of a secret field would carry its stored hash ({FIELD_key} does not).
        hidden = {n for f in (fields, *(e.fields for e in _walk_each(each))) for n, spec in f.items() if spec.secret}
        for rec in (*records, *(r for e in _walk_each(each) for r in e.records)):
            templates = [*rec.key, *(rec.start[1] if rec.start else ()), *(rec.end[1] if rec.end else ())]
            used = {n for t in templates for n in _template_fields(t)} & hidden
            if used:
                name = sorted(used)[0]
                raise MappingError(f"a key uses the secret field {{{name}}}; write {{{name}_key}} instead")
        return Mapping_(
            name=str(doc["format"]),
            title=str(doc.get("title", doc["format"])),
            path=path,
            required_headers=_as_tuple(headers.get("required")),
            one_of=tuple(_as_tuple(g) for g in headers.get("one_of") or []),
            file_vars=file_vars,
            fields=fields,
            records=records,
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
        mentions: bool = True,
    ):
        self.mapping, self.schema, self.taxonomy = mapping, schema, taxonomy
        self.file_vars = dict(file_vars)
        self.secret_key = secret_key
        self.mentions = mentions
        self._plans: dict[int, tuple[Callable[[Any], Any], dict[Any, Any]]] = {}
        self._compiled_specs: dict[int, list[_CompiledRecord]] = {}

    def _parser(self, spec: FieldSpec) -> Callable[[Any], Any]:
        if spec.parser == "enum" and spec.enum:
            return _enum_parser(self.schema, spec.enum, spec.aliases)
        base = _PARSERS[spec.parser]
        if spec.parser in ("category", "system"):
            lookup = self.taxonomy.code if spec.parser == "category" else self.taxonomy.system

            def parse(value: Any) -> Any:
                parsed = base(value)
                return None if parsed is None else lookup(parsed)

            return parse
        return base

    def _parse(self, spec: FieldSpec, value: Any) -> Any:
        """Parse one field's raw value (memoised: exports repeat names, labels and codes row after row)."""
        plan = self._plans.get(id(spec))
        if plan is None:
            plan = self._plans[id(spec)] = (self._parser(spec), {})
        parse, memo = plan
        cacheable = not spec.secret and isinstance(value, (str, int, float))
        if cacheable:
            hit = memo.get(value, _MISSING)
            if hit is not _MISSING:
                if isinstance(hit, P.ParseError):
                    raise hit
                return hit
        try:
            parsed = parse(value)
        except P.ParseError as exc:
            if cacheable and len(memo) < 100_000:
                memo[value] = exc
            raise
        if cacheable and len(memo) < 100_000:
            memo[value] = parsed
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
        columns: dict[str, str] | None,
    ) -> None:
        for spec in fields.values():
            cols = spec.columns
            if len(cols) == 1:
                column = cols[0] if cols[0] in raw else None
            else:
                column = next((c for c in cols if c in raw), None)
            value = raw.get(column) if column else None
            if columns is not None:
                columns[spec.name] = column or (cols[0] if cols else spec.name)
            try:
                parsed = self._parse(spec, value)
            except P.ParseError as exc:
                if not spec.skip_invalid:
                    if spec.secret:
                        # Secret values never reach the quarantine file; file and row locate them.
                        value, exc = SECRET_WITHHELD, P.ParseError(_withhold(str(exc), value))
                    result.problems.append((column or (cols[0] if cols else spec.name), value, str(exc)))
                continue
            if parsed is None:
                if spec.required:
                    result.problems.append(
                        (column or (cols[0] if cols else spec.name), value, "required value is missing")
                    )
                    continue
                values[spec.name] = None
                continue
            if spec.secret:
                # Keys take {FIELD_key}, a keyed hash of its own: a record key never gives the stored hash away.
                assert self.secret_key is not None
                values[spec.name + "_key"] = _key_digest(self.secret_key, str(parsed))
                parsed = self._hash(str(parsed))
            values[spec.name] = parsed

    def _compiled(self, specs: tuple[RecordSpec, ...]) -> list[_CompiledRecord]:
        # Compiled once per spec list: template fields, coercions and mention sources are worked out
        # here, not again for every row.
        found = self._compiled_specs.get(id(specs))
        if found is None:
            found = [_CompiledRecord(spec, self.schema) for spec in specs]
            self._compiled_specs[id(specs)] = found
        return found

    def _emit(
        self,
        specs: tuple[RecordSpec, ...],
        values: Mapping[str, Any],
        columns: Mapping[str, str] | None,
        result: RowResult,
    ) -> None:
        records = result.records
        for rec in self._compiled(specs):
            if rec.when and any(values.get(w) is None for w in rec.when):
                continue
            if rec.when_equals and any(str(values.get(k)) != v for k, v in rec.when_equals):
                continue
            props: dict[str, Any] = {}
            for prop, templates, names, coerce in rec.props:
                if templates:
                    value = _render(templates, values)
                elif len(names) == 1:
                    value = values.get(names[0])
                else:
                    value = next((v for v in (values.get(n) for n in names) if v is not None), None)
                if value is not None:
                    props[prop] = coerce(value) if coerce else value
            if rec.consts:
                props.update(rec.consts)
            if rec.label is not None:
                used = _first_complete(rec.key, values)
                if used is None:
                    continue
                key = used[0].format(*[_key_text(values[n]) for n in used[1]])
                records.append(NodeRecord(rec.label, key, props, rec.fill))
                if columns is not None:
                    ref = NodeRef(rec.label, key)
                    for name in rec.name_fields:
                        if name in columns:
                            result.mentions.append((name, columns[name], ref))
                    # The cells a key is made of name the record too (a finding by its number).
                    for name in used[1]:
                        if name in columns:
                            result.mentions.append((name, columns[name], ref))
            else:
                start = _render(rec.start, values)
                end = _render(rec.end, values)
                if start is None or end is None:
                    continue
                records.append(EdgeRecord(rec.rel, NodeRef(rec.start_label, start), NodeRef(rec.end_label, end), props))

    def apply(self, raw: Mapping[str, Any]) -> RowResult:
        """Parse one row (column -> raw value) and build its records."""
        result = RowResult()
        values: dict[str, Any] = dict(self.file_vars)
        # Which column fed each field: only wanted when mentions are.
        columns: dict[str, str] | None = {} if self.mentions else None
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
        columns: Mapping[str, str] | None,
        result: RowResult,
    ) -> None:
        for n, sub in enumerate(_sub_rows(each, raw), start=1):
            values = dict(parent)
            values["_index"] = n
            sub_columns = None if columns is None else dict(columns)
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


_Template = tuple[str, tuple[str, ...]]  # a positional format string and the fields it takes, in order


def _compile_template(template: str) -> _Template:
    parts: list[str] = []
    names: list[str] = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if name:
            parts.append(
                "{" + str(len(names)) + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
            names.append(name)
    return "".join(parts), tuple(names)


def _first_complete(templates: tuple[_Template, ...], values: Mapping[str, Any]) -> _Template | None:
    for template in templates:
        for name in template[1]:
            if values.get(name) is None:
                break
        else:
            return template
    return None


def _render(templates: tuple[_Template, ...], values: Mapping[str, Any]) -> str | None:
    """The first template whose fields all have values, filled in; None when none has."""
    used = _first_complete(templates, values)
    if used is None:
        return None
    return used[0].format(*[_key_text(values[n]) for n in used[1]])


class _CompiledRecord:
    """A RecordSpec with its templates parsed and its properties' coercions chosen."""

    __slots__ = (
        "label",
        "rel",
        "start_label",
        "start",
        "end_label",
        "end",
        "key",
        "when",
        "when_equals",
        "props",
        "consts",
        "name_fields",
        "fill",
    )

    def __init__(self, spec: RecordSpec, schema: Schema):
        self.label = spec.node
        self.rel = spec.rel or ""
        self.key = tuple(_compile_template(t) for t in spec.key)
        self.start_label, self.start = _compile_end(spec.start)
        self.end_label, self.end = _compile_end(spec.end)
        self.when = spec.when
        self.when_equals = tuple(spec.when_equals.items())
        self.fill = spec.fill
        element = schema.nodes[spec.node] if spec.node else schema.relationships[spec.rel or ""]
        props = []
        for prop, sources in spec.props.items():
            templated = len(sources) == 1 and "{" in sources[0]
            props.append(
                (
                    prop,
                    (_compile_template(sources[0]),) if templated else (),
                    () if templated else sources,
                    _coercion(element.properties[prop].type),
                )
            )
        self.props = tuple(props)
        consts = {}
        for prop, value in spec.consts.items():
            coerce = _coercion(element.properties[prop].type)
            if value is not None:
                consts[prop] = coerce(value) if coerce else value
        self.consts = consts
        self.name_fields = tuple(
            srcs[0] for prop, srcs in spec.props.items() if prop == "name" and not (len(srcs) == 1 and "{" in srcs[0])
        )


def _compile_end(end: tuple[str, tuple[str, ...]] | None) -> tuple[str, tuple[_Template, ...]]:
    return (end[0], tuple(_compile_template(t) for t in end[1])) if end else ("", ())


def _coercion(declared: str) -> Callable[[Any], Any] | None:
    if declared == "float":
        return lambda v: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
    if declared == "string":
        return lambda v: v if isinstance(v, str) else _key_text(v)
    if declared == "int":
        return lambda v: int(v) if isinstance(v, float) and v.is_integer() else v
    return None


def _key_text(value: Any) -> str:
    if type(value) is str:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


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

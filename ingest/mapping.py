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
import difflib
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
from .mapping_schema import mapping_problems
from .quality import FieldQuality
from .readers import normalise_header as H
from .taxonomy import Taxonomy, load_taxonomy

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


def _masked_digest(secret_key: bytes, value: str) -> str:
    """A masked ID's keyed hash: a domain of its own, and base32, so no run of digits in it reads as an ID."""
    digest = hmac.new(secret_key, b"masked resident id\x00" + value.encode("utf-8"), hashlib.sha256).digest()
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
class FieldSpec:
    """One field: where its value comes from, how it is rewritten and parsed, and whether a row needs it.

    The value is taken from the first of these that the spec has: ``const``; ``which`` (the value of the
    first listed column that is filled); ``template`` (columns and earlier fields put together); ``columns``
    (the first that is present and filled). It is then narrowed by ``extract`` (a regular expression's
    ``value`` group, else its first group, else the whole match), rewritten by ``keywords`` (the value of
    the first keyword the text contains) and ``values`` (a whole-value map), with ``default`` for a filled
    value neither recognises, translated by ``aliases`` and finally parsed by ``parser``.
    """

    name: str
    columns: tuple[str, ...]
    parser: str
    required: bool = False
    secret: bool = False
    enum: tuple[str, str] | None = None  # (Label, property) whose enum labels are accepted
    aliases: Mapping[str, str] = field(default_factory=dict)  # other words offices write -> what the parser reads
    skip_invalid: bool = False  # an unparseable value leaves the field empty instead of quarantining the row
    template: str | None = None
    which: tuple[tuple[str, Any], ...] = ()
    const: Any = None
    extract: str | None = None
    keywords: tuple[tuple[str, Any], ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    default: Any = None

    @property
    def needed_columns(self) -> tuple[str, ...]:
        """The file columns this field reads (a template's names that are not fields are columns)."""
        if self.const is not None:
            return ()
        if self.which:
            return tuple(c for c, _ in self.which)
        if self.template is not None:
            return _template_names(self.template)
        return self.columns


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
    digest: str = ""  # of the mapping file's text: a changed mapping reloads what it loaded
    builtin: bool = False  # shipped with liandong (a user's own mappings are preferred where both fit)
    uses_vars: tuple[str, ...] = ()  # file variables its records or templates use

    def matches(self, columns: Sequence[str | None]) -> bool:
        present = {c for c in columns if c}
        return set(self.required_headers) <= present and all(present & set(group) for group in self.one_of)

    def coverage(self, columns: Sequence[str | None]) -> int:
        present = {c for c in columns if c}
        return sum(1 for f in self.fields.values() if present & set(f.needed_columns))

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
    out: dict[str, FieldSpec] = {}
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
        aliases = {str(k): str(v) for k, v in (f.get("aliases") or {}).items()}
        if enum is not None:
            aliases = _enum_aliases(aliases, dict(declared.enum or {}), f"{where}: field {name}")
        if parser not in _PARSERS and parser != "enum":
            raise MappingError(
                f"{where}: field {name}: unknown parser {parser!r}; known: {', '.join(sorted(_PARSERS))}"
            )
        sources = [k for k in ("column", "template", "which", "const") if f.get(k) is not None]
        if len(sources) != 1:
            raise MappingError(
                f"{where}: field {name} takes its value from exactly one of column, template, which or const "
                f"({'it has ' + ', '.join(sources) if sources else 'it has none'})"
            )
        extract = f.get("extract")
        if extract is not None:
            try:
                compiled = re.compile(str(extract))
            except re.error as exc:
                raise MappingError(f"{where}: field {name}: extract is not a regular expression ({exc})") from None
            if compiled.groups > 1 and "value" not in compiled.groupindex:
                raise MappingError(
                    f"{where}: field {name}: extract has several groups; name the one to keep (?P<value>…)"
                )
        template = f.get("template")
        if template is not None:
            unknown = [n for n in _template_names(str(template)) if n in out and out[n].secret]
            if unknown:
                raise MappingError(f"{where}: field {name}: a template cannot use the secret field {unknown[0]}")
        out[name] = FieldSpec(
            name,
            tuple(H(c) for c in _as_tuple(f.get("column"))),
            parser,
            bool(f.get("required", False)),
            bool(f.get("secret", False)),
            enum,
            aliases,
            f.get("invalid") == "skip",
            template=None if template is None else _TEMPLATE_NAME.sub(lambda m: "{" + H(m.group(1)) + "}", template),
            which=tuple((H(k), v) for k, v in (f.get("which") or {}).items()),
            const=f.get("const"),
            extract=None if extract is None else str(extract),
            keywords=tuple((str(k), v) for k, v in (f.get("keywords") or {}).items()),
            values={_map_key(k): v for k, v in (f.get("map") or {}).items()},
            default=f.get("default"),
        )
    return out


def _enum_aliases(aliases: Mapping[str, str], labels: Mapping[str, str], where: str) -> dict[str, str]:
    """Aliases of an enum field, each pointing at a code; one may name the code by its Chinese label."""
    out = {}
    for alias, target in aliases.items():
        try:
            code = P.parse_enum(target, labels)
        except P.ParseError:
            accepted = ", ".join(f"{c} ({lab})" for c, lab in labels.items())
            raise MappingError(
                f"{where}: the alias {alias!r} points to {target!r}, which is none of {accepted}"
            ) from None
        out[alias] = code or target
    return out


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _map_key(value: Any) -> str:
    return re.sub(r"\s", "", P.clean_text(value) or "")


_TEMPLATE_NAME = re.compile(r"\{([^{}]+)\}")


@lru_cache(maxsize=4096)
def _template_names(template: str) -> tuple[str, ...]:
    """The names a field template puts together: ``"{年份}-{月份}-01"`` -> (年份, 月份)."""
    return tuple(dict.fromkeys(_TEMPLATE_NAME.findall(template)))


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
                split=tuple(H(c) for c in _as_tuple(item.get("split"))),
                separator=str(item.get("separator", ";")),
                part_separator=item.get("part_separator"),
                parts=_as_tuple(item.get("parts")),
                fields=_fields(item.get("fields") or {}, schema, where),
                records=_records(item.get("records") or [], schema, where),
                each=_each(item.get("each") or [], schema, where),
            )
        )
    return tuple(out)


def load_mapping(path: str | Path, schema: Schema, *, builtin: bool = False) -> Mapping_:
    """Load and check one mapping file against the mapping schema and the graph ``schema``.

    Every problem is a :class:`MappingError` naming the file and, for the mapping's own shape (an unknown
    key, a value of the wrong type), the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read the mapping {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from None
    where = path.name
    problems = mapping_problems(doc, text, str(path))
    if problems:
        raise MappingError("the mapping is not valid:\n  " + "\n  ".join(problems))
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
        for name, (pattern, parser) in file_vars.items():
            if parser not in _PARSERS:
                raise MappingError(f"{where}: file_vars.{name}: unknown parser {parser!r}")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise MappingError(f"{where}: file_vars.{name}: pattern is not a regular expression ({exc})") from None
        records = _records(doc.get("records") or [], schema, where)
        # A key is in every export: one made of a secret field would carry its stored hash ({FIELD_key} does not).
        hidden = {n for f in (fields, *(e.fields for e in _walk_each(each))) for n, spec in f.items() if spec.secret}
        for rec in (*records, *(r for e in _walk_each(each) for r in e.records)):
            templates = [*rec.key, *(rec.start[1] if rec.start else ()), *(rec.end[1] if rec.end else ())]
            used = {n for t in templates for n in _template_fields(t)} & hidden
            if used:
                name = sorted(used)[0]
                raise MappingError(f"a key uses the secret field {{{name}}}; write {{{name}_key}} instead")
        known = {*fields, *file_vars, *OFFICE_VARS, *(f"{n}_key" for n in hidden)}
        _check_names(records, each, fields, known, where)
        uses_vars = tuple(sorted(_used_names(records, each, fields) & ({*file_vars, *OFFICE_VARS} - set(fields))))
        return Mapping_(
            name=str(doc["format"]),
            title=str(doc.get("title", doc["format"])),
            path=path,
            required_headers=tuple(H(c) for c in _as_tuple(headers.get("required"))),
            one_of=tuple(tuple(H(c) for c in _as_tuple(g)) for g in headers.get("one_of") or []),
            file_vars=file_vars,
            fields=fields,
            records=records,
            each=each,
            has_secrets=secret,
            digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            builtin=builtin,
            uses_vars=uses_vars,
        )
    except MappingError:
        raise
    except SchemaError as exc:
        raise MappingError(f"{where}: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise MappingError(f"{where}: malformed mapping ({exc!r})") from None


# The office and what is derived from it: variables any mapping may use (see file_vars_for).
OFFICE_VARS = ("office", "office_tier", "office_level", "office_name")


def _used_names(records: Sequence[RecordSpec], each: Sequence[EachSpec], fields: Mapping[str, FieldSpec]) -> set[str]:
    """Every name records and field templates use."""
    out: set[str] = set()
    for spec in [*fields.values(), *(f for e in _walk_each(each) for f in e.fields.values())]:
        if spec.template is not None:
            out.update(_template_names(spec.template))
    for rec in (*records, *(r for e in _walk_each(each) for r in e.records)):
        for t in (*rec.key, *(rec.start[1] if rec.start else ()), *(rec.end[1] if rec.end else ())):
            out.update(_template_fields(t))
        for sources in rec.props.values():
            out.update(_template_fields(sources[0]) if len(sources) == 1 and "{" in sources[0] else sources)
        out.update((*rec.when, *rec.when_equals))
    return out


def _check_names(
    records: Sequence[RecordSpec],
    each: Sequence[EachSpec],
    fields: Mapping[str, FieldSpec],
    known: set[str],
    where: str,
) -> None:
    """Every name a record uses is a field or a file variable: a misspelt one would leave records unwritten."""

    def check(name: str, what: str, available: set[str]) -> None:
        if name not in available:
            hint = difflib.get_close_matches(name, sorted(available), n=1, cutoff=0.6)
            raise MappingError(
                f"{where}: {what} uses {{{name}}}, which is no field of this mapping"
                + (f" (did you mean {{{hint[0]}}}?)" if hint else f"; fields: {', '.join(sorted(available))}")
            )

    def walk(recs: Sequence[RecordSpec], available: set[str]) -> None:
        for rec in recs:
            what = rec.node or rec.rel or "a record"
            for t in (*rec.key, *(rec.start[1] if rec.start else ()), *(rec.end[1] if rec.end else ())):
                for n in _template_fields(t):
                    check(n, f"{what}'s key", available)
            for prop, sources in rec.props.items():
                names = _template_fields(sources[0]) if len(sources) == 1 and "{" in sources[0] else sources
                for n in names:
                    check(n, f"{what}.{prop}", available)
            for n in (*rec.when, *rec.when_equals):
                check(n, f"{what}'s when", available)

    def fields_order(specs: Mapping[str, FieldSpec], available: set[str]) -> None:
        for spec in specs.values():
            if spec.template is not None:
                for n in _template_names(spec.template):
                    if n in specs and n not in available:
                        raise MappingError(
                            f"{where}: field {spec.name}'s template uses the field {n}, which comes after it; "
                            "put the fields it uses first"
                        )
            available.add(spec.name)

    fields_order(fields, set(known) - set(fields))
    walk(records, known)

    def walk_each(items: Sequence[EachSpec], available: set[str]) -> None:
        for e in items:
            inner = {*available, *e.fields, "_index", *(f"{n}_key" for n, f in e.fields.items() if f.secret)}
            walk(e.records, inner)
            walk_each(e.each, inner)

    walk_each(each, known)


def _walk_each(each: Sequence[EachSpec]) -> Iterator[EachSpec]:
    for e in each:
        yield e
        yield from _walk_each(e.each)


def builtin_mappings(schema: Schema) -> list[Mapping_]:
    """The mappings shipped for the formats liandong knows (``ingest/mappings/*.yaml``)."""
    folder = Path(__file__).parent / "mappings"
    # Format mappings are numbered (their order is the load order); other YAML there is reference data.
    return [load_mapping(p, schema, builtin=True) for p in sorted(folder.glob("[0-9]*_*.yaml"))]


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
    "datetime": P.parse_datetime,
    "year_month": P.parse_year_month,
    "int": P.parse_int,
    "float": P.parse_float,
    "bool": P.parse_bool,
    "uscc": P.parse_uscc,
    "resident_id": P.parse_resident_id,
    "masked_resident_id": P.mask_resident_id,
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
        self._plans: dict[int, tuple[Callable[[Any], tuple[Any, bool]], dict[Any, Any]]] = {}
        self.quality: dict[int, FieldQuality] = {}  # per field: rows, empty, invalid, unrecognised values
        # A field that reads a secret column (a birth date from the resident ID) never shows its values either.
        tables = (mapping.fields, *(e.fields for e in _walk_each(mapping.each)))
        every = [f for fields in tables for f in fields.values()]
        hidden = {c for f in every if f.secret for c in f.needed_columns}
        self._withheld = {id(f) for f in every if f.secret or hidden & set(f.needed_columns)}
        self._compiled_specs: dict[int, list[_CompiledRecord]] = {}

    def _parser(self, spec: FieldSpec) -> Callable[[Any], tuple[Any, bool]]:
        """The whole path from a field's raw value to its parsed value, and whether a rewrite rule
        (extract, keywords, map) failed to recognise it."""
        if spec.parser == "enum" and spec.enum:
            base = _enum_parser(self.schema, spec.enum, spec.aliases)
            aliases: Mapping[str, str] = {}  # the enum parser matches them as it matches labels
        else:
            base = _PARSERS[spec.parser]
            aliases = {_map_key(k): v for k, v in spec.aliases.items()}
            if spec.parser in ("category", "system"):
                lookup = self.taxonomy.code if spec.parser == "category" else self.taxonomy.system
                clean = base

                def base(value: Any) -> Any:
                    parsed = clean(value)
                    return None if parsed is None else lookup(parsed)

        extract = re.compile(spec.extract) if spec.extract else None
        keywords, values, default = spec.keywords, spec.values, spec.default
        rewrites = extract is not None or bool(keywords) or bool(values)

        def parse(value: Any) -> tuple[Any, bool]:
            missed = False
            if rewrites:
                text: Any = P.clean_text(value)
                if text is not None and extract is not None:
                    m = extract.search(text)
                    if m is None:
                        text, missed = None, True
                    else:
                        text = m.group("value") if "value" in extract.groupindex else m.group(1 if m.re.groups else 0)
                if text is not None and keywords:
                    hit = next((out for word, out in keywords if word in text), _MISSING)
                    if hit is _MISSING:
                        text, missed = default, True
                    else:
                        text = hit
                if text is not None and values:
                    key = _map_key(text)
                    if key in values:
                        text = values[key]
                    elif default is not None:
                        text, missed = default, True
                value = text
            if aliases and value is not None:
                value = aliases.get(_map_key(value), value)
            return base(value), missed

        return parse

    def _parse(self, spec: FieldSpec, value: Any) -> tuple[Any, bool]:
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

    @staticmethod
    def _raw(spec: FieldSpec, raw: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[str | None, Any]:
        """Where a field's value comes from in this row, and the value as written (before any rewrite)."""
        if spec.const is not None:
            return None, spec.const
        if spec.which:
            for column, out in spec.which:
                if _filled(raw.get(column)):
                    return column, out
            return spec.which[0][0], None
        if spec.template is not None:
            parts: dict[str, str] = {}
            for name in _template_names(spec.template):
                if values.get(name) is not None:
                    parts[name] = _key_text(values[name])
                elif _filled(raw.get(name)):
                    parts[name] = P.clean_text(raw[name]) or ""
                else:
                    return spec.template, None
            return spec.template, _TEMPLATE_NAME.sub(lambda m: parts[m.group(1)], spec.template)
        cols = spec.columns
        if len(cols) == 1:
            return (cols[0], raw.get(cols[0])) if cols[0] in raw else (None, None)
        first = None
        for c in cols:
            if c in raw:
                if _filled(raw[c]):
                    return c, raw[c]
                first = first or c
        return first, None

    def _parse_fields(
        self,
        fields: Mapping[str, FieldSpec],
        raw: Mapping[str, Any],
        result: RowResult,
        values: dict[str, Any],
        columns: dict[str, str] | None,
    ) -> None:
        quality = self.quality
        for spec in fields.values():
            column, value = self._raw(spec, raw, values)
            shown = column or (spec.columns[0] if spec.columns else spec.name)
            if columns is not None:
                columns[spec.name] = shown
            q = quality.get(id(spec))
            if q is None:
                q = quality[id(spec)] = FieldQuality(spec.name, shown)
            q.rows += 1
            try:
                parsed, missed = self._parse(spec, value)
            except P.ParseError as exc:
                q.invalid += 1
                withheld = id(spec) in self._withheld
                q.note(SECRET_WITHHELD if withheld else value)
                if not spec.skip_invalid:
                    if withheld:
                        # Secret values never reach the quarantine file; file and row locate them.
                        value, exc = SECRET_WITHHELD, P.ParseError(_withhold(str(exc), value))
                    result.problems.append((shown, value, str(exc)))
                continue
            if missed:
                q.unrecognised += 1
                q.note(SECRET_WITHHELD if id(spec) in self._withheld else value)
            if parsed is None:
                q.empty += 1
                if spec.required:
                    result.problems.append((shown, value, "required value is missing"))
                    continue
                values[spec.name] = None
                continue
            if spec.secret:
                # Keys take {FIELD_key}, a keyed hash of its own: a record key never gives the stored hash away.
                assert self.secret_key is not None
                values[spec.name + "_key"] = _key_digest(self.secret_key, str(parsed))
                parsed = (
                    _masked_digest(self.secret_key, str(parsed))
                    if spec.parser == "masked_resident_id"
                    else self._hash(str(parsed))
                )
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
    """Values the file name (or the user) gives, such as the exporting office's region code.

    A declared variable comes from its pattern on the file name unless the user states it (``--office``,
    ``--file-var NAME=VALUE``); a stated one the mapping does not declare is taken as text (``office`` as a
    region code). A variable the mapping's records use that nothing gives is a problem, not an empty key.
    """
    out: dict[str, Any] = {}
    problems = []
    declared = dict(mapping.file_vars)
    # A stated variable the mapping does not declare counts only where its records use it (so it does not
    # change how every other file is read, and with it their fingerprints).
    used = set(getattr(mapping, "uses_vars", ()))
    used |= {"office"} if any(n.startswith("office") for n in used) else set()
    for name in overrides:
        if name in used:
            declared.setdefault(name, ("", "region_code" if name == "office" else "text"))
    for name, (pattern, parser) in declared.items():
        raw = overrides.get(name)
        if raw is None and pattern:
            m = re.search(pattern, path.name)
            raw = (m.group(1) if m.re.groups else m.group(0)) if m else None
        if raw is None:
            how = "--office CODE" if name == "office" else f"--file-var {name}=VALUE"
            problems.append(f"cannot tell the {name} from the file name {path.name}; pass {how}")
            continue
        try:
            out[name] = _PARSERS[parser](raw)
        except P.ParseError as exc:
            problems.append(f"{name}: {exc}")
    if "office" in out and out["office"]:
        code = str(out["office"])
        out["office_tier"] = P.region_tier(code)
        out["office_level"] = {"province": "provincial"}.get(out["office_tier"], out["office_tier"])
        out["office_name"] = P.region_name(code) or code
    for name in getattr(mapping, "uses_vars", ()):
        if name not in out and name not in declared:
            base = "office" if name.startswith("office") else name
            how = "--office CODE" if base == "office" else f"--file-var {base}=VALUE"
            problems.append(f"the mapping uses {{{name}}}, which neither the file name nor an option gives; pass {how}")
    return out, problems

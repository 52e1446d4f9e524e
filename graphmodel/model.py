"""The declared graph schema: node labels and relationship types as data.

The schema lives in ``graphmodel/schema/*.yaml`` (one file per area of the
domain). Each node label declares its key property and its properties with a
type; each relationship type declares the labels it may join, its properties,
and optionally the properties that distinguish two relationships of that type
between the same two nodes (its ``key``). Backends take labels, relationship
types and property names only from here, never from input data, which is what
makes it safe to put them into Cypher text.

Examples
--------
>>> from graphmodel import load_schema
>>> schema = load_schema()
>>> schema.node("Organisation").key
'org_id'
>>> sorted(schema.node("Organisation").property("tier").enum)[:3]
['central', 'city', 'county']
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from .errors import SchemaError, ValidationError
from .records import EdgeRecord, NodeRecord

__all__ = [
    "PropertyType",
    "Property",
    "NodeType",
    "RelationshipType",
    "Schema",
    "load_schema",
    "RESERVED_PROPERTIES",
    "MAX_INDEXED_BYTES",
]

PropertyType = Literal["string", "int", "float", "date", "datetime", "bool", "list"]
_SCALAR_TYPES = ("string", "int", "float", "date", "datetime", "bool")
_TYPES = _SCALAR_TYPES + ("list",)

#: Properties the backends maintain themselves; input may not set them.
RESERVED_PROPERTIES = frozenset({"source_ids", "rel_key"})

_LABEL_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_RELTYPE_RE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
_PROP_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_INT64 = (-(2**63), 2**63 - 1)
_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_MAX_STRING = 1_000_000
#: Most UTF-8 bytes a key or an indexed property may hold: Neo4j cannot index a longer value (its limit is
#: about 8 KB an entry) and refuses the whole batch holding one, and both backends take the same records.
MAX_INDEXED_BYTES = 4000


def _too_large_to_index(value: Any) -> bool:
    return isinstance(value, str) and len(value) > MAX_INDEXED_BYTES // 4 and len(value.encode()) > MAX_INDEXED_BYTES


@dataclass(frozen=True)
class Property:
    """One declared property of a label or relationship type."""

    name: str
    type: PropertyType
    required: bool = False
    items: str | None = None
    enum: Mapping[str, str] | None = None
    pattern: str | None = None
    secret: bool = False
    index: bool = False
    description: str = ""

    def check(self, value: Any) -> list[str]:
        """Return the problems with ``value`` for this property (empty if none)."""
        if self.type == "list":
            if not isinstance(value, (list, tuple)):
                return [f"expected a list, got {type(value).__name__}"]
            problems: list[str] = []
            for i, item in enumerate(value):
                problems += [f"item {i}: {p}" for p in _check_scalar(self.items or "string", item)]
            return problems
        problems = _check_scalar(self.type, value)
        if problems:
            return problems
        if self.enum is not None and value not in self.enum:
            return [f"{value!r} is not one of {', '.join(sorted(self.enum))}"]
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return [f"{value!r} does not match the pattern {self.pattern}"]
        return []

    # Storage as JSON text (embedded backend) and back, typed by the schema.
    def to_json(self, value: Any) -> Any:
        if self.type == "list":
            return [_scalar_to_json(self.items or "string", v) for v in value]
        return _scalar_to_json(self.type, value)

    def from_json(self, value: Any) -> Any:
        if value is None:
            return None
        if self.type == "list":
            return [_scalar_from_json(self.items or "string", v) for v in value]
        return _scalar_from_json(self.type, value)


def _check_scalar(type_: str, value: Any) -> list[str]:
    if type_ == "string":
        if not isinstance(value, str):
            return [f"expected text, got {type(value).__name__}"]
        if len(value) > _MAX_STRING:
            return [f"text longer than {_MAX_STRING} characters"]
        if "\x00" in value:
            return ["text contains a NUL character"]
        return []
    if type_ == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"expected an integer, got {type(value).__name__}"]
        if not _INT64[0] <= value <= _INT64[1]:
            return ["integer outside the 64-bit range"]
        return []
    if type_ == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"expected a number, got {type(value).__name__}"]
        if not math.isfinite(value):
            return ["number is not finite"]
        return []
    if type_ == "bool":
        return [] if isinstance(value, bool) else [f"expected true/false, got {type(value).__name__}"]
    if type_ == "date":
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            return [f"expected a date, got {type(value).__name__}"]
        return []
    if type_ == "datetime":
        return [] if isinstance(value, dt.datetime) else [f"expected a date-time, got {type(value).__name__}"]
    raise SchemaError(f"unknown property type {type_!r}")


def _scalar_to_json(type_: str, value: Any) -> Any:
    if type_ in ("date", "datetime"):
        return value.isoformat()
    if type_ == "float":
        return float(value)
    return value


def _scalar_from_json(type_: str, value: Any) -> Any:
    if type_ == "date":
        return dt.date.fromisoformat(value)
    if type_ == "datetime":
        return dt.datetime.fromisoformat(value)
    if type_ == "float":
        return float(value)
    return value


@dataclass(frozen=True)
class _ElementType:
    name: str
    properties: Mapping[str, Property]
    description: str = ""

    @property
    def secret_properties(self) -> frozenset[str]:
        return frozenset(p.name for p in self.properties.values() if p.secret)

    # Defined after every @property in this class body, which it shadows.
    def property(self, name: str) -> Property:
        try:
            return self.properties[name]
        except KeyError:
            raise SchemaError(
                f"{self.name} has no property {name!r}; declared: {', '.join(sorted(self.properties))}"
            ) from None

    def _check_props(self, props: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
        for name, value in props.items():
            if name in RESERVED_PROPERTIES:
                errors.setdefault(name, []).append("reserved: maintained by the backend")
                continue
            prop = self.properties.get(name)
            if prop is None:
                errors.setdefault(name, []).append(f"not a property of {self.name}")
                continue
            problems = prop.check(value)
            if problems:
                errors.setdefault(name, []).extend(problems)

    def encode(self, props: Mapping[str, Any], skip: str | None = None) -> dict[str, Any]:
        """Properties as JSON-ready values (dates as ISO text), leaving out ``skip``."""
        plain = self._plain
        return {k: (v if k in plain else self.properties[k].to_json(v)) for k, v in props.items() if k != skip}

    @cached_property
    def _plain(self) -> frozenset[str]:
        # Properties whose Python values are already what JSON stores.
        return frozenset(p.name for p in self.properties.values() if p.type in ("string", "int", "bool"))

    @cached_property
    def _decoders(self) -> dict[str, Callable[[Any], Any]]:
        # The properties whose JSON values need converting back (dates, floats, lists); the rest pass as they are.
        return {p.name: p.from_json for p in self.properties.values() if p.name not in self._plain}

    def decode(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """JSON values back to typed Python values."""
        out = dict(props)
        decoders = self._decoders
        for k in decoders.keys() & out.keys():
            out[k] = decoders[k](out[k])
        return out


@dataclass(frozen=True)
class NodeType(_ElementType):
    """A node label: its key property and declared properties."""

    key: str = ""

    def validate(self, record: NodeRecord) -> dict[str, list[str]]:
        """Per-property problems of ``record`` (empty when it is valid)."""
        errors: dict[str, list[str]] = {}
        if not isinstance(record.key, str) or not record.key.strip():
            errors[self.key] = ["the key must be non-empty text"]
        elif "\x00" in record.key:
            errors[self.key] = ["the key contains a NUL character"]
        for name, value in self.too_large_to_index(record):
            errors.setdefault(name, []).append(
                f"{len(value.encode()):,} bytes of text, too long to index (at most {MAX_INDEXED_BYTES:,})"
            )
        props = dict(record.props)
        if self.key in props and props[self.key] != record.key:
            errors.setdefault(self.key, []).append(
                f"props give {props[self.key]!r} but the record key is {record.key!r}"
            )
        props.pop(self.key, None)
        self._check_props(props, errors)
        for prop in self.properties.values():
            if prop.required and prop.name != self.key and prop.name not in record.props:
                errors.setdefault(prop.name, []).append("required")
        return errors

    @cached_property
    def _indexed(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties.values() if p.index and p.name != self.key)

    def too_large_to_index(self, record: NodeRecord) -> list[tuple[str, str]]:
        """(property, value) of the key and indexed properties whose text exceeds :data:`MAX_INDEXED_BYTES`."""
        out = [(self.key, record.key)] if _too_large_to_index(record.key) else []
        return out + [(n, record.props[n]) for n in self._indexed if _too_large_to_index(record.props.get(n))]


@dataclass(frozen=True)
class RelationshipType(_ElementType):
    """A relationship type: allowed end labels, properties and identity key."""

    from_labels: frozenset[str] = frozenset()
    to_labels: frozenset[str] = frozenset()
    key: tuple[str, ...] = ()
    same_label: bool = False

    def validate(self, record: EdgeRecord) -> dict[str, list[str]]:
        """Per-property problems of ``record`` (empty when it is valid)."""
        errors: dict[str, list[str]] = {}
        if record.start.label not in self.from_labels:
            errors["(start)"] = [
                f"{self.name} cannot start at {record.start.label}; allowed: {', '.join(sorted(self.from_labels))}"
            ]
        if record.end.label not in self.to_labels:
            errors["(end)"] = [
                f"{self.name} cannot end at {record.end.label}; allowed: {', '.join(sorted(self.to_labels))}"
            ]
        if self.same_label and record.start.label != record.end.label:
            errors["(end)"] = [f"{self.name} joins nodes of one label only"]
        for end_name, ref in (("(start)", record.start), ("(end)", record.end)):
            if not isinstance(ref.key, str) or not ref.key.strip():
                errors.setdefault(end_name, []).append("the key must be non-empty text")
        self._check_props(record.props, errors)
        for prop in self.properties.values():
            if prop.required and prop.name not in record.props:
                errors.setdefault(prop.name, []).append("required")
        return errors

    def identity(self, record: EdgeRecord) -> str:
        """Text that tells two relationships of this type between the same nodes apart.

        Empty when the type has no key (at most one relationship of this type
        joins two nodes). Both backends store it, so identity is the same on both.
        """
        if not self.key:
            return ""
        props = record.props
        return _compact_json([self.properties[k].to_json(props[k]) if k in props else None for k in self.key])


@dataclass(frozen=True)
class Schema:
    """The whole declared schema: node types and relationship types by name."""

    nodes: Mapping[str, NodeType]
    relationships: Mapping[str, RelationshipType]
    files: tuple[str, ...] = field(default=())

    def node(self, label: str) -> NodeType:
        """The declared node type ``label``; raises :class:`SchemaError` if unknown."""
        try:
            return self.nodes[label]
        except (KeyError, TypeError):
            raise SchemaError(f"unknown node label {label!r}; declared: {', '.join(sorted(self.nodes))}") from None

    def relationship(self, rel_type: str) -> RelationshipType:
        """The declared relationship type; raises :class:`SchemaError` if unknown."""
        try:
            return self.relationships[rel_type]
        except (KeyError, TypeError):
            raise SchemaError(
                f"unknown relationship type {rel_type!r}; declared: {', '.join(sorted(self.relationships))}"
            ) from None

    def labels(self, labels: Iterable[str] | None = None) -> list[str]:
        """Check ``labels`` against the schema (all labels when None)."""
        if labels is None:
            return sorted(self.nodes)
        if isinstance(labels, str):
            labels = [labels]
        return [self.node(label).name for label in labels]

    def rel_types(self, rel_types: Iterable[str] | None = None) -> list[str]:
        """Check ``rel_types`` against the schema (all types when None)."""
        if rel_types is None:
            return sorted(self.relationships)
        if isinstance(rel_types, str):
            rel_types = [rel_types]
        return [self.relationship(t).name for t in rel_types]

    def validate(self, record: NodeRecord | EdgeRecord) -> dict[str, list[str]]:
        """Per-property problems of a record; an unknown label or type is one too."""
        if isinstance(record, NodeRecord):
            if record.label not in self.nodes:
                return {"(label)": [f"unknown node label {record.label!r}"]}
            return self.nodes[record.label].validate(record)
        if record.type not in self.relationships:
            return {"(type)": [f"unknown relationship type {record.type!r}"]}
        return self.relationships[record.type].validate(record)

    def check(self, record: NodeRecord | EdgeRecord) -> None:
        """Raise :class:`ValidationError` if ``record`` does not fit the schema."""
        errors = self.validate(record)
        if errors:
            if isinstance(record, NodeRecord):
                raise ValidationError(record.label, errors, ref=repr(record.key))
            raise ValidationError(record.type, errors, ref=f"{record.start} -> {record.end}")

    def to_dict(self) -> dict[str, Any]:
        """The schema as plain data (for ``liandong schema --json``)."""

        def props(t: _ElementType) -> dict[str, Any]:
            return {
                p.name: {
                    k: v
                    for k, v in (
                        ("type", p.type),
                        ("items", p.items),
                        ("required", p.required or None),
                        ("enum", dict(p.enum) if p.enum else None),
                        ("pattern", p.pattern),
                        ("secret", p.secret or None),
                        ("index", p.index or None),
                        ("description", p.description or None),
                    )
                    if v is not None
                }
                for p in t.properties.values()
            }

        return {
            "nodes": {
                n: {"key": t.key, "description": t.description, "properties": props(t)} for n, t in self.nodes.items()
            },
            "relationships": {
                n: {
                    "from": sorted(t.from_labels),
                    "to": sorted(t.to_labels),
                    "key": list(t.key),
                    "description": t.description,
                    "properties": props(t),
                }
                for n, t in self.relationships.items()
            },
        }


def _parse_property(owner: str, name: str, spec: Any) -> Property:
    if not _PROP_RE.match(name):
        raise SchemaError(f"{owner}.{name}: property names are snake_case")
    if name in RESERVED_PROPERTIES:
        raise SchemaError(f"{owner}.{name}: the name is reserved for the backends")
    if not isinstance(spec, Mapping):
        raise SchemaError(f"{owner}.{name}: expected a mapping with at least 'type'")
    unknown = set(spec) - {"type", "required", "items", "enum", "pattern", "secret", "index", "description"}
    if unknown:
        raise SchemaError(f"{owner}.{name}: unknown keys {sorted(unknown)}")
    type_ = spec.get("type")
    if type_ not in _TYPES:
        raise SchemaError(f"{owner}.{name}: type must be one of {', '.join(_TYPES)}, not {type_!r}")
    items = spec.get("items")
    if type_ == "list":
        items = items or "string"
        if items not in _SCALAR_TYPES:
            raise SchemaError(f"{owner}.{name}: list items must be one of {', '.join(_SCALAR_TYPES)}")
    elif items is not None:
        raise SchemaError(f"{owner}.{name}: 'items' is only for lists")
    enum = spec.get("enum")
    if enum is not None:
        if isinstance(enum, list):
            enum = {str(v): str(v) for v in enum}
        if type_ != "string" or not isinstance(enum, Mapping):
            raise SchemaError(f"{owner}.{name}: enum is a mapping code -> label on a string property")
        enum = {str(k): str(v) for k, v in enum.items()}
    pattern = spec.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise SchemaError(f"{owner}.{name}: bad pattern: {exc}") from None
    return Property(
        name=name,
        type=type_,
        required=bool(spec.get("required", False)),
        items=items,
        enum=enum,
        pattern=pattern,
        secret=bool(spec.get("secret", False)),
        index=bool(spec.get("index", False)),
        description=str(spec.get("description", "")),
    )


def _parse_properties(owner: str, spec: Any) -> dict[str, Property]:
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise SchemaError(f"{owner}: 'properties' must be a mapping")
    return {name: _parse_property(owner, name, p) for name, p in spec.items()}


def build_schema(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> Schema:
    """Build a :class:`Schema` from parsed YAML documents ``(file name, data)``.

    Relationships are resolved in a second pass, once every label is known.
    """
    nodes: dict[str, NodeType] = {}
    rel_specs: dict[str, tuple[str, Mapping[str, Any]]] = {}
    files = []
    for fname, doc in documents:
        files.append(fname)
        doc = doc or {}
        unknown = set(doc) - {"nodes", "relationships"}
        if unknown:
            raise SchemaError(f"{fname}: unknown top-level keys {sorted(unknown)}")
        for label, spec in (doc.get("nodes") or {}).items():
            if not _LABEL_RE.match(label):
                raise SchemaError(f"{fname}: label {label!r} must be CamelCase")
            if label in nodes:
                raise SchemaError(f"{fname}: label {label} is declared twice")
            props = _parse_properties(label, spec.get("properties"))
            key = spec.get("key")
            if key not in props:
                raise SchemaError(f"{fname}: {label} must declare its key property among its properties")
            if props[key].type != "string":
                raise SchemaError(f"{fname}: {label}.{key}: key properties are text")
            nodes[label] = NodeType(name=label, properties=props, description=str(spec.get("description", "")), key=key)
        for rel_type, spec in (doc.get("relationships") or {}).items():
            if not _RELTYPE_RE.match(rel_type):
                raise SchemaError(f"{fname}: relationship type {rel_type!r} must be CONST_CASE")
            if rel_type in rel_specs:
                raise SchemaError(f"{fname}: relationship type {rel_type} is declared twice")
            rel_specs[rel_type] = (fname, spec)

    relationships: dict[str, RelationshipType] = {}
    for rel_type, (fname, spec) in rel_specs.items():
        ends = {}
        for end in ("from", "to"):
            labels = spec.get(end)
            if not labels or not isinstance(labels, list):
                raise SchemaError(f"{fname}: {rel_type} must list the labels it goes {end}")
            missing = [label for label in labels if label not in nodes]
            if missing:
                raise SchemaError(f"{fname}: {rel_type}.{end} names undeclared labels {missing}")
            ends[end] = frozenset(labels)
        props = _parse_properties(rel_type, spec.get("properties"))
        key = tuple(spec.get("key") or ())
        for k in key:
            if k not in props:
                raise SchemaError(f"{fname}: {rel_type} key property {k!r} is not declared")
        relationships[rel_type] = RelationshipType(
            name=rel_type,
            properties=props,
            description=str(spec.get("description", "")),
            from_labels=ends["from"],
            to_labels=ends["to"],
            key=key,
            same_label=bool(spec.get("same_label", False)),
        )
    return Schema(nodes=nodes, relationships=relationships, files=tuple(files))


def load_schema(directory: str | Path | None = None) -> Schema:
    """Load the declared schema from a folder of YAML files.

    Parameters
    ----------
    directory : path, optional
        A folder of ``*.yaml`` schema files; the schema shipped with liandong
        when omitted.

    Returns
    -------
    Schema
    """
    if directory is None:
        return _default_schema()
    paths = sorted(Path(directory).glob("*.yaml"))
    if not paths:
        raise SchemaError(f"no *.yaml schema files in {directory}")
    return build_schema((p.name, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in paths)


@lru_cache(maxsize=1)
def _default_schema() -> Schema:
    folder = resources.files("graphmodel") / "schema"
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".yaml")), key=lambda e: e.name)
    return build_schema((e.name, yaml.safe_load(e.read_text(encoding="utf-8"))) for e in entries)

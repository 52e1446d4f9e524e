"""The shape of a mapping file, checked before anything is built from it.

A mapping is YAML; a misspelt key (``colum:``) or a value of the wrong type
would otherwise leave a field empty in every row without a word. Every mapping
is validated against :data:`MAPPING_SCHEMA` (JSON Schema), and each problem is
reported with the file and the line it is on, and, for an unknown key, the
key it was probably meant to be.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import jsonschema
import yaml

__all__ = ["MAPPING_SCHEMA", "mapping_problems", "compose_lines"]

_TEXT_OR_LIST = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
_SCALAR = {"type": ["string", "number", "integer", "boolean", "null"]}
_STRING_MAP = {"type": "object", "additionalProperties": _SCALAR}

_FIELD_OBJECT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "column": _TEXT_OR_LIST,
        "template": {"type": "string"},
        "which": {"type": "object", "additionalProperties": _SCALAR, "minProperties": 1},
        "const": _SCALAR,
        "extract": {"type": "string"},
        "keywords": {"type": "object", "additionalProperties": _SCALAR, "minProperties": 1},
        "map": _STRING_MAP,
        "default": _SCALAR,
        "parse": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["enum"],
                    "properties": {"enum": {"type": "string", "pattern": r"^[A-Za-z_]+\.[a-z_]+$"}},
                },
            ]
        },
        "required": {"type": "boolean"},
        "secret": {"type": "boolean"},
        "aliases": _STRING_MAP,
        "invalid": {"enum": ["skip", "quarantine"]},
    },
}
_FIELDS = {"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, _FIELD_OBJECT]}}
_END = {"type": "array", "minItems": 2, "maxItems": 2, "prefixItems": [{"type": "string"}, _TEXT_OR_LIST]}
_RECORD = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "node": {"type": "string"},
        "rel": {"type": "string"},
        "key": _TEXT_OR_LIST,
        "props": {"type": "object", "additionalProperties": _TEXT_OR_LIST},
        "set": {"type": "object"},
        "when": _TEXT_OR_LIST,
        "when_equals": _STRING_MAP,
        "fill": {"type": "boolean"},
        "start": _END,
        "end": _END,
    },
    "oneOf": [
        {"required": ["node", "key"], "not": {"anyOf": [{"required": ["rel"]}, {"required": ["start"]}]}},
        {"required": ["rel", "start", "end"], "not": {"anyOf": [{"required": ["node"]}, {"required": ["key"]}]}},
    ],
}
_RECORD_KEYS = ("node", "rel", "key", "props", "set", "when", "when_equals", "fill", "start", "end")
_EACH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "path": {"type": "string"},
        "split": _TEXT_OR_LIST,
        "separator": {"type": "string", "minLength": 1},
        "part_separator": {"type": "string", "minLength": 1},
        "parts": {"type": "array", "items": {"type": "string"}},
        "fields": _FIELDS,
        "records": {"type": "array", "items": _RECORD},
        "each": {"type": "array", "items": {"$ref": "#/$defs/each"}},
    },
}

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["format"],
    "anyOf": [{"required": ["records"]}, {"required": ["each"]}],
    "$defs": {"each": _EACH},
    "properties": {
        "format": {"type": "string", "minLength": 1},
        "title": {"type": "string"},
        "headers": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "required": {"type": "array", "items": {"type": "string"}},
                "one_of": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
            },
        },
        "file_vars": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["pattern"],
                "properties": {"pattern": {"type": "string"}, "parse": {"type": "string"}},
            },
        },
        "fields": _FIELDS,
        "records": {"type": "array", "items": _RECORD},
        "each": {"type": "array", "items": {"$ref": "#/$defs/each"}},
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(MAPPING_SCHEMA)


def compose_lines(text: str) -> yaml.Node | None:
    """The YAML node tree of a document (it keeps each value's line)."""
    return yaml.compose(text, Loader=yaml.SafeLoader)


_READ_AS = {"tag:yaml.org,2002:bool": "true or false", "tag:yaml.org,2002:null": "nothing (null)"}


def _odd_keys(node: yaml.Node | None, where: str) -> Iterator[str]:
    """Keys YAML reads as something other than text: a field named ``no`` or ``on`` is false to it."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.tag in _READ_AS:
                yield (
                    f"{where}, line {key.start_mark.line + 1}: the key '{key.value}' reads as {_READ_AS[key.tag]} in "
                    f"YAML; write it in quotes ('{key.value}')"
                )
            yield from _odd_keys(value, where)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _odd_keys(item, where)


def _node_at(root: yaml.Node | None, path: list[Any]) -> yaml.Node | None:
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def _key_node(root: yaml.Node | None, path: list[Any], key: str) -> yaml.Node | None:
    node = _node_at(root, path)
    if isinstance(node, yaml.MappingNode):
        return next((k for k, _ in node.value if k.value == key), node)
    return node


def _allowed_keys(schema: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        return list(_EACH["properties"])
    keys = list(schema.get("properties", {}))
    for sub in schema.get("anyOf", []):
        keys += list(sub.get("properties", {}))
    return keys


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    # An anyOf error hides the useful ones: those of the branch whose type fits the value (a field written
    # as a mapping is the object branch, not the plain-column one).
    if error.context and error.validator == "anyOf":
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        depth = len(error.absolute_path)
        fitting = [
            errs
            for errs in branches.values()
            if not any(e.validator == "type" and len(e.absolute_path) == depth for e in errs)
        ]
        for e in min(fitting, key=len) if fitting else next(iter(branches.values()))[:1]:
            yield from _leaves(e)
    else:
        yield error


def mapping_problems(doc: Any, text: str, where: str) -> list[str]:
    """Every way ``doc`` (parsed from ``text``) breaks the mapping schema, each as 'FILE, line N: problem'."""
    root = compose_lines(text)
    out: list[str] = list(_odd_keys(root, where))
    for top in sorted(_VALIDATOR.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        for error in _leaves(top):
            path = list(error.absolute_path)
            if error.validator == "additionalProperties":
                allowed = _allowed_keys(error.schema)
                extra = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
                for key in extra:
                    node = _key_node(root, path, key)
                    line = node.start_mark.line + 1 if node is not None else "?"
                    hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                    did = f" (did you mean '{hint[0]}'?)" if hint else f"; allowed here: {', '.join(allowed)}"
                    out.append(f"{where}, line {line}: unknown key '{key}'{did}")
                continue
            node = _node_at(root, path)
            line = node.start_mark.line + 1 if node is not None else "?"
            at = ".".join(str(p) for p in path) or "the top level"
            message = error.message
            if error.validator == "oneOf" and error.validator_value is _RECORD["oneOf"]:
                if isinstance(error.instance, dict) and set(error.instance) - set(_RECORD_KEYS):
                    continue  # its unknown key is the problem, and is reported as such
                message = "a record is either 'node' with 'key', or 'rel' with 'start' and 'end'"
            elif error.validator == "required":
                message = f"{error.message} (at {at})"
            else:
                message = f"{at}: {message}"
            out.append(f"{where}, line {line}: {message}")
    return list(dict.fromkeys(out))

"""A backend's whole graph in one canonical, comparable form.

Every label of ``backend.schema.nodes`` and every relationship type of
``backend.schema.relationships`` is read through the public API
(``nodes(label, include_sources=True)`` / ``relationships(type, include_sources=True)``).
An element becomes a tuple of its identity, its non-null properties (each
value tagged with its Python type, so ``1`` and ``1.0`` or a date and its ISO
text differ) and its sorted source list; each label's or type's elements are
kept as a sorted list, so a duplicated element shows as a repeated entry, a
lost one as a missing entry. Both backends give the same form for the same
graph.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from graphmodel import GraphBackend

#: Properties left out of the comparison, and why. Two uninterrupted ingests of
#: the same exports into empty graphs differ in exactly these (checked by
#: ``test_uninterrupted_ingests_differ_only_in_volatile_properties``):
#:
#: * ``Source.ingested_at`` — the wall-clock time the file finished loading;
#: * ``Source.batch`` — the id of the ingest run that loaded it, itself a timestamp.
#:
#: Everything else of a ``Source`` (status, sha256, path, format, office, tier,
#: rows read / loaded / quarantined) is compared like any other property.
VOLATILE_PROPERTIES: frozenset[tuple[str, str]] = frozenset({("Source", "ingested_at"), ("Source", "batch")})

Graph = dict[str, list[tuple]]


def _canon(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_canon(v) for v in value))
    if isinstance(value, dt.datetime):
        # Both backends give an aware UTC datetime; their tzinfo objects differ.
        return ("datetime", value.astimezone(dt.timezone.utc).isoformat())
    return (type(value).__name__, repr(value))


def _props(element: str, record: dict[str, Any], ignore: frozenset[tuple[str, str]]) -> tuple:
    return tuple(
        sorted(
            (name, _canon(value))
            for name, value in record.items()
            if value is not None and (element, name) not in ignore
        )
    )


def canonical_graph(backend: GraphBackend, ignore: frozenset[tuple[str, str]] = VOLATILE_PROPERTIES) -> Graph:
    """``{"(Label)": [(key, props, sources), …], "[TYPE]": [(start, end, props, sources), …]}``, sorted."""
    graph: Graph = {}
    for label, node_type in backend.schema.nodes.items():
        rows: list[tuple] = []
        for record in backend.nodes(label, include_sources=True).to_dict("records"):
            sources = tuple(record.pop("source_ids"))
            key = record.pop(node_type.key)
            rows.append((key, _props(label, record, ignore), sources))
        graph[f"({label})"] = sorted(rows)
    for rel_type in backend.schema.relationships:
        rows = []  # (start, end, props, sources)
        for record in backend.relationships(rel_type, include_sources=True).to_dict("records"):
            sources = tuple(record.pop("source_ids"))
            start = (record.pop("start_label"), record.pop("start_key"))
            end = (record.pop("end_label"), record.pop("end_key"))
            rows.append((start, end, _props(rel_type, record, ignore), sources))
        graph[f"[{rel_type}]"] = sorted(rows)
    return graph


def size(graph: Graph) -> int:
    """Number of nodes and relationships."""
    return sum(len(rows) for rows in graph.values())


def describe_difference(expected: Graph, actual: Graph, limit: int = 4) -> str:
    """Empty when the graphs are equal; else, per label or type, what is missing, extra or different."""
    lines = []
    for name in sorted(set(expected) | set(actual)):
        want, got = Counter(expected.get(name, [])), Counter(actual.get(name, []))
        if want == got:
            continue
        missing = sorted((want - got).elements())
        extra = sorted((got - want).elements())
        lines.append(
            f"{name}: expected {sum(want.values())}, got {sum(got.values())}; "
            f"{len(missing)} missing or changed, {len(extra)} extra or changed"
        )
        lines += [f"  - {row}" for row in missing[:limit]]
        lines += [f"  + {row}" for row in extra[:limit]]
    return "\n".join(lines)

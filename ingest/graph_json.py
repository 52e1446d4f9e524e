"""Load graph records from JSON Lines: liandong's own Cypher-free exchange format.

One JSON object per line::

    {"node": "Organisation", "key": "330000", "props": {"name": "中共浙江省委", "tier": "province"}}
    {"rel": "PART_OF", "start": ["Organisation", "330100"], "end": ["Organisation", "330000"]}

Dates and date-times are ISO text (``2023-05-01``); the schema says which
properties they are. Every line is either loaded or reported with its line
number and the reason. Loading the same file again changes nothing; loading a
changed file under the same source id replaces what the earlier version
contributed; a load cut off half-way is completed by running it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphmodel import EdgeRecord, GraphBackend, NodeRecord, NodeRef, Schema, ValidationError

__all__ = ["LoadReport", "RejectedRow", "read_graph_jsonl", "load_graph_jsonl", "write_graph_jsonl"]


@dataclass(frozen=True)
class RejectedRow:
    """A line that was not loaded, and why."""

    file: str
    line: int
    reason: str


@dataclass
class LoadReport:
    """Accounting for one file: ``rows_read == rows_loaded + len(rejected)``."""

    file: str
    source: str
    rows_read: int = 0
    rows_loaded: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    skipped_unchanged: bool = False
    replaced_previous: bool = False


def _typed(element, props: Any) -> dict[str, Any]:
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ValueError("'props' must be an object")
    out = {}
    for name, value in props.items():
        declared = element.properties.get(name)
        if declared is not None and value is not None:
            kinds = [declared.items] if declared.type == "list" else [declared.type]
            if kinds[0] in ("date", "datetime"):
                try:
                    value = declared.from_json(value)
                except (TypeError, ValueError):
                    raise ValueError(f"{name}: {value!r} is not an ISO {kinds[0]}") from None
        out[name] = value
    return out


def _parse(obj: Any, schema: Schema) -> NodeRecord | EdgeRecord:
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    if "node" in obj:
        label = obj["node"]
        node_type = schema.node(label)
        key = obj.get("key")
        if key is None:
            raise ValueError("a node needs a 'key'")
        return NodeRecord(label, str(key), _typed(node_type, obj.get("props")))
    if "rel" in obj:
        rel_type = schema.relationship(obj["rel"])
        ends = []
        for end in ("start", "end"):
            ref = obj.get(end)
            if not (isinstance(ref, list) and len(ref) == 2 and all(isinstance(x, str) for x in ref)):
                raise ValueError(f"'{end}' must be [label, key]")
            ends.append(NodeRef(ref[0], ref[1]))
        return EdgeRecord(rel_type.name, ends[0], ends[1], _typed(rel_type, obj.get("props")))
    raise ValueError("a line needs 'node' or 'rel'")


def read_graph_jsonl(path: str | Path, schema: Schema) -> Iterator[tuple[int, NodeRecord | EdgeRecord | None, str]]:
    """Yield ``(line number, record or None, reason)`` for each non-blank line of ``path``."""
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = _parse(json.loads(line), schema)
                problems = schema.validate(record)
                if problems:
                    raise ValidationError(getattr(record, "label", getattr(record, "type", "?")), problems)
            except json.JSONDecodeError as exc:
                yield number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            except Exception as exc:  # noqa: BLE001 - every reason goes into the report
                yield number, None, str(exc)
                continue
            yield number, record, ""


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_graph_jsonl(
    backend: GraphBackend, path: str | Path, source: str | None = None, batch_size: int = 10_000
) -> LoadReport:
    """Load one JSON Lines graph file into ``backend``.

    Parameters
    ----------
    backend : GraphBackend
    path : path
        The file to load.
    source : str, optional
        The source id its records are attributed to (default: the file name).
    batch_size : int
        Records per transaction.

    Returns
    -------
    LoadReport
        Rows read, loaded and rejected (with line and reason).
    """
    path = Path(path)
    source = source or path.name
    digest = _file_digest(path)
    report = LoadReport(file=str(path), source=source)
    previous = backend.nodes("Source", where={"source_id": source})
    if not previous.empty and previous.loc[0, "sha256"] == digest and previous.loc[0, "status"] == "complete":
        report.skipped_unchanged = True
        # Nothing new: count the rows as already loaded so the accounting still balances.
        report.rows_read = previous.loc[0, "rows_read"] or 0
        report.rows_loaded = previous.loc[0, "rows_loaded"] or 0
        return report
    if not previous.empty:
        # A changed file, or a load that was cut off: start this source afresh.
        backend.retract_source(source)
        report.replaced_previous = previous.loc[0, "status"] == "complete"
    # Marked as loading first and complete last, so an interrupted load is redone on the next run.
    backend.write(
        [NodeRecord("Source", source, {"status": "loading", "path": str(path), "sha256": digest})], source=source
    )
    lines: dict[int, int] = {}
    with backend.writer(source, batch_size=batch_size) as writer:
        for number, record, reason in read_graph_jsonl(path, backend.schema):
            report.rows_read += 1
            if record is None:
                report.rejected.append(RejectedRow(str(path), number, reason))
                continue
            if isinstance(record, EdgeRecord):
                lines[id(record)] = number
            writer.add_node(record) if isinstance(record, NodeRecord) else writer.add_edge(record)
            report.rows_loaded += 1
    for edge in writer.report.unresolved:
        report.rows_loaded -= 1
        missing = [
            str(ref)
            for ref in (edge.start, edge.end)
            if backend.count_nodes(ref.label) == 0
            or backend.nodes(ref.label, where={backend.schema.node(ref.label).key: ref.key}).empty
        ]
        report.rejected.append(
            RejectedRow(str(path), lines[id(edge)], f"{edge.type}: no such node {', '.join(missing)}")
        )
    report.rejected.sort(key=lambda r: r.line)
    # Written last: its presence with this digest marks the load complete.
    backend.write(
        [
            NodeRecord(
                "Source",
                source,
                {
                    "status": "complete",
                    "path": str(path),
                    "sha256": digest,
                    "format": "graph-jsonl",
                    "ingested_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
                    "rows_read": report.rows_read,
                    "rows_loaded": report.rows_loaded,
                    "rows_quarantined": len(report.rejected),
                },
            )
        ],
        source=source,
    )
    return report


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


def write_graph_jsonl(
    backend: GraphBackend,
    path: str | Path,
    *,
    reveal_secrets: bool = False,
    keep: Mapping[str, AbstractSet[str]] | None = None,
) -> dict[str, int]:
    """Write the whole graph (or the nodes in ``keep``) as JSON Lines in the format :func:`load_graph_jsonl` reads.

    ``keep`` (label -> node keys) restricts the file to those nodes and the relationships between them, as a
    scoped export does; labels missing from it are left out.

    Properties the schema marks ``secret`` (resident-ID hashes, petitioners, lead summaries, personal-matters
    details) are left out unless ``reveal_secrets``; a relationship or node whose *required* property is secret
    (a declared relative: the link itself is personal-matters data) is left out whole. ``SAME_AS`` links and
    ``Source`` records are kept, so the file carries entity resolution and provenance to the next system.

    Returns
    -------
    dict
        ``{"nodes": n, "relationships": m, "secret_values_withheld": k, "secret_elements_withheld": e}``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = {"nodes": 0, "relationships": 0, "secret_values_withheld": 0, "secret_elements_withheld": 0}

    def whole_secret(element: Any) -> bool:
        return not reveal_secrets and any(p.secret and p.required for p in element.properties.values())

    def shown(row: dict[str, Any], hidden: AbstractSet[str]) -> dict[str, Any]:
        # The properties a row carries, in JSON terms, less the secret ones (counted as withheld).
        props = {}
        for name, value in row.items():
            if value is None or (isinstance(value, float) and value != value):
                continue
            if name in hidden:
                counts["secret_values_withheld"] += 1
                continue
            props[name] = _json_value(value)
        return props

    schema = backend.schema
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for label, node_type in schema.nodes.items():
            hidden = set() if reveal_secrets else node_type.secret_properties
            frame = backend.nodes(label)
            if whole_secret(node_type):
                counts["secret_elements_withheld"] += len(frame)
                continue
            if keep is not None:
                frame = frame[frame[node_type.key].isin(keep.get(label, ()))]
            for row in frame.to_dict("records"):
                key = row.pop(node_type.key)
                props = shown(row, hidden)
                fh.write(json.dumps({"node": label, "key": key, "props": props}, ensure_ascii=False) + "\n")
                counts["nodes"] += 1
        for rel_type, rtype in schema.relationships.items():
            hidden = set() if reveal_secrets else rtype.secret_properties
            frame = backend.relationships(rel_type)
            if whole_secret(rtype):
                counts["secret_elements_withheld"] += len(frame)
                continue
            if keep is not None and not frame.empty:
                inside = [
                    k in keep.get(lab, ()) and k2 in keep.get(lab2, ())
                    for lab, k, lab2, k2 in zip(
                        frame["start_label"], frame["start_key"], frame["end_label"], frame["end_key"], strict=True
                    )
                ]
                frame = frame[inside]
            for row in frame.to_dict("records"):
                start = [row.pop("start_label"), row.pop("start_key")]
                end = [row.pop("end_label"), row.pop("end_key")]
                props = shown(row, hidden)
                line = {"rel": rel_type, "start": start, "end": end, **({"props": props} if props else {})}
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                counts["relationships"] += 1
    tmp.replace(path)
    from graphmodel.audit import audit

    audit(
        backend,
        "export graph",
        files=[str(path)],
        secrets=reveal_secrets,
        scoped=keep is not None,
        nodes=counts.get("nodes"),
        relationships=counts.get("relationships"),
    )
    return counts

"""The one interface every storage backend implements.

Shared orchestration lives here once — validation, batching, result shaping,
neighbourhood and path search — and each backend fills in a few small hooks
(``_write_batch``, ``_retract``, ``_node_rows``, ``_rel_rows``, ``_expand``,
``_counts``, ``_clear``). Analyses receive a :class:`GraphBackend` and never ask
which one it is.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import pandas as pd

from ..errors import LiandongError, SchemaError, ValidationError
from ..model import Schema, load_schema
from ..records import EdgeRecord, NodeRecord, NodeRef

__all__ = [
    "GraphBackend",
    "GraphWriter",
    "WriteReport",
    "RetractReport",
    "Hop",
    "GraphPath",
    "Direction",
    "Where",
]

Direction = Literal["out", "in", "both"]
#: Property filters: ``{prop: value}`` for equality, ``{prop: [v1, v2]}`` for membership.
Where = Mapping[str, Any]

#: A row of a node read: key, typed properties (without the key), source ids.
NodeRow = tuple[str, dict[str, Any], list[str]]
#: A row of a relationship read.
RelRow = tuple[str, str, str, str, dict[str, Any], list[str]]


@dataclass(frozen=True, order=True)
class Hop:
    """One relationship crossed in a path or neighbourhood expansion.

    ``start`` and ``end`` are the relationship's own end nodes (its stored
    direction); ``identity`` tells parallel relationships of one type apart.
    """

    start: NodeRef
    type: str
    end: NodeRef
    identity: str = ""

    def other(self, node: NodeRef) -> NodeRef:
        return self.end if node == self.start else self.start


@dataclass(frozen=True, order=True)
class GraphPath:
    """A simple path (no node visited twice) from one node to another."""

    nodes: tuple[NodeRef, ...]
    hops: tuple[Hop, ...]

    def __len__(self) -> int:
        return len(self.hops)

    def __str__(self) -> str:
        parts = [str(self.nodes[0])]
        for node, hop, nxt in zip(self.nodes, self.hops, self.nodes[1:], strict=False):
            label = hop.type
            if hop.identity:
                # Parallel relationships of one type differ by their key values.
                label += " " + " ".join(str(v) for v in json.loads(hop.identity) if v is not None)
            arrow = f"-[{label}]->" if hop.start == node else f"<-[{label}]-"
            parts.append(f"{arrow}{nxt}")
        return "".join(parts)


@dataclass
class WriteReport:
    """What a writer did: counts, and relationships whose end nodes were missing."""

    source: str
    nodes_written: int = 0
    relationships_written: int = 0
    batches: int = 0
    unresolved: list[EdgeRecord] = field(default_factory=list)

    @property
    def unresolved_count(self) -> int:
        return len(self.unresolved)


@dataclass(frozen=True)
class RetractReport:
    """What retracting one source did.

    Elements asserted only by that source are deleted (a node's relationships
    go with it); elements other sources also asserted stay and lose the
    source from their ``source_ids``.
    """

    source: str
    nodes_deleted: int
    relationships_deleted: int
    nodes_kept: int
    relationships_kept: int
    # Other sources that lost relationships because a node they pointed at went (they need loading again
    # to get them back: a replaced unit register takes with it the links a findings file made to its units).
    detached_sources: tuple[str, ...] = ()


class GraphWriter:
    """Batching upsert writer; use it as a context manager.

    Records are validated against the schema as they are added and written in
    batches of ``batch_size`` records, one transaction per batch: a crash
    leaves whole batches or nothing. Within a batch nodes are written before
    relationships, so a relationship may refer to a node added just before
    it. A relationship whose end nodes do not exist is not written; it is
    listed in :attr:`report` ``.unresolved`` instead (nothing is invented).

    Examples
    --------
    >>> with backend.writer(source="roster-2024.xlsx") as w:   # doctest: +SKIP
    ...     w.add_node(NodeRecord("Organisation", "330000", {"name": "浙江省委", "tier": "province"}))
    >>> w.report.nodes_written                                   # doctest: +SKIP
    1
    """

    def __init__(self, backend: GraphBackend, source: str, batch_size: int = 10_000):
        if not isinstance(source, str) or not source.strip():
            raise LiandongError("a writer needs a source id (the file or batch the records came from)")
        if batch_size < 1:
            raise LiandongError("batch_size must be at least 1")
        self._backend = backend
        self._schema = backend.schema
        self.source = source
        self.batch_size = batch_size
        self._nodes: list[NodeRecord] = []
        self._edges: list[EdgeRecord] = []
        self.report = WriteReport(source=source)
        self._closed = False

    def add_node(self, record: NodeRecord) -> None:
        """Queue one node; raises :class:`~graphmodel.errors.ValidationError` if it does not fit the schema."""
        self._check_open()
        self._schema.check(record)
        self._nodes.append(record)
        self._maybe_flush()

    def add_edge(self, record: EdgeRecord) -> None:
        """Queue one relationship; raises :class:`~graphmodel.errors.ValidationError` if invalid."""
        self._check_open()
        self._schema.check(record)
        self._edges.append(record)
        self._maybe_flush()

    def add(self, records: Iterable[NodeRecord | EdgeRecord]) -> None:
        """Queue many nodes and relationships."""
        for record in records:
            if isinstance(record, NodeRecord):
                self.add_node(record)
            else:
                self.add_edge(record)

    def _maybe_flush(self) -> None:
        if len(self._nodes) + len(self._edges) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write what is queued, in one transaction."""
        if not self._nodes and not self._edges:
            return
        nodes, edges = self._nodes, self._edges
        self._nodes, self._edges = [], []
        unresolved = self._backend._write_batch(nodes, edges, self.source)
        self.report.nodes_written += len(nodes)
        self.report.relationships_written += len(edges) - len(unresolved)
        self.report.unresolved.extend(unresolved)
        self.report.batches += 1

    def _check_open(self) -> None:
        if self._closed:
            raise LiandongError("this writer is closed; open a new one with backend.writer(...)")

    def close(self) -> None:
        if not self._closed:
            self.flush()
            self._closed = True

    def __enter__(self) -> GraphWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            # Committed batches stay; the partial batch is dropped, never half-written.
            self._nodes, self._edges = [], []
            self._closed = True


class GraphBackend(ABC):
    """A property-graph store that speaks the declared schema.

    Subclasses: :class:`graphmodel.backends.embedded.EmbeddedBackend` (the
    default, SQLite in a workspace folder) and
    :class:`graphmodel.backends.neo4j_.Neo4jBackend`.
    """

    #: Short name shown to people ("embedded", "neo4j").
    kind: str = ""
    #: Upper bound on nodes one neighbourhood or path search may visit.
    max_visited: int = 200_000

    #: Where the library's audit events go (None: see :func:`graphmodel.audit.audit_log_path`).
    audit_log: Path | None = None

    def __init__(self, schema: Schema | None = None):
        self.schema = schema or load_schema()

    # ------------------------------------------------------------------ writes
    def writer(self, source: str, batch_size: int = 10_000) -> GraphWriter:
        """A batching upsert writer whose records are attributed to ``source``."""
        return GraphWriter(self, source, batch_size)

    def write(self, records: Iterable[NodeRecord | EdgeRecord], source: str, batch_size: int = 10_000) -> WriteReport:
        """Upsert ``records`` attributed to ``source``; nodes should come before their relationships."""
        with self.writer(source, batch_size) as w:
            w.add(records)
        return w.report

    def update_nodes(
        self, label: str, updates: Mapping[str, Mapping[str, Any]], source: str, batch_size: int = 10_000
    ) -> int:
        """Set properties on existing nodes only (no node is created); returns how many were found.

        For annotations computed from the graph, such as entity resolution's
        ``canonical_id``: required properties need not be repeated, and a key
        that does not exist is skipped rather than invented.
        """
        node_type = self.schema.node(label)
        checked: list[tuple[str, dict[str, Any]]] = []
        for key, props in updates.items():
            errors: dict[str, list[str]] = {}
            node_type._check_props({k: v for k, v in props.items() if v is not None}, errors)
            if errors:
                raise ValidationError(label, errors, ref=repr(key))
            checked.append((key, {k: v for k, v in props.items() if v is not None}))
        found = 0
        for i in range(0, len(checked), batch_size):
            found += self._update_nodes(label, checked[i : i + batch_size], source)
        return found

    def append_to_lists(
        self, label: str, prop: str, values: Mapping[str, Sequence[str]], batch_size: int = 10_000
    ) -> int:
        """Add ``values[key]`` to the list property ``prop`` of existing nodes, each value once, the list kept
        sorted (so it does not depend on the order files are loaded in); returns how many nodes were found.

        For what accumulates across files rather than being replaced by the last one (every spelling of
        a name a node was written with). Like ``update_nodes`` it never creates a node; unlike it, it
        claims no source, so retracting a file still removes what only that file asserted.
        """
        node_type = self.schema.node(label)
        declared = node_type.properties.get(prop)
        if declared is None or declared.type != "list":
            raise LiandongError(f"{label}.{prop} is not a list property of the schema")
        rows: list[tuple[str, list[str]]] = []
        for key, items in values.items():
            unique = list(dict.fromkeys(str(v) for v in items if v is not None and str(v) != ""))
            if unique:
                rows.append((key, unique))
        found = 0
        for i in range(0, len(rows), batch_size):
            found += self._append_to_lists(label, prop, rows[i : i + batch_size])
        return found

    def retract_source(self, source: str) -> RetractReport:
        """Remove what ``source`` contributed (see :class:`RetractReport`)."""
        if not isinstance(source, str) or not source:
            raise LiandongError("retract_source needs a source id")
        return self._retract(source)

    def detached_by(self, source: str) -> list[tuple[EdgeRecord, tuple[str, ...]]]:
        """Relationships other sources asserted that retracting ``source`` would take with it.

        They end at a node only ``source`` asserted (a unit only the unit register names, linked to by a
        findings file). Each comes with the other sources that asserted it, so that a caller replacing
        ``source`` with a new version can write them again once the new version's nodes are there.
        """
        if not isinstance(source, str) or not source:
            raise LiandongError("detached_by needs a source id")
        return sorted(self._detached(source), key=lambda item: repr(item[0]))

    def clear(self) -> None:
        """Delete every node and relationship. There is no undo."""
        self._clear()

    # ------------------------------------------------------------------- reads
    def nodes(self, label: str, where: Where | None = None, *, include_sources: bool = False) -> pd.DataFrame:
        """Nodes of one label as a DataFrame, one column per declared property.

        Parameters
        ----------
        label : str
            A declared label, e.g. ``"Organisation"``.
        where : dict, optional
            Property filters: ``{"tier": "county"}`` or ``{"tier": ["city", "county"]}``.
        include_sources : bool
            Add a ``source_ids`` column (sorted list of source ids).

        Returns
        -------
        pandas.DataFrame
            Sorted by key; dates are ``datetime.date`` objects; missing values are None.

        Examples
        --------
        >>> backend.nodes("Organisation", where={"system": "supply_marketing"})  # doctest: +SKIP
        """
        node_type = self.schema.node(label)
        where = self._check_where(node_type, where)
        columns = [node_type.key] + [p for p in node_type.properties if p != node_type.key]
        rows = []
        for key, props, sources in self._node_rows(label, where, sources=include_sources):
            row = [key] + [props.get(c) for c in columns[1:]]
            if include_sources:
                row.append(sorted(sources))
            rows.append(row)
        if include_sources:
            columns = columns + ["source_ids"]
        frame = pd.DataFrame(rows, columns=columns, dtype=object)
        self._audit_secrets(label, frame, node_type.secret_properties)
        return frame.sort_values(node_type.key, kind="stable", ignore_index=True)

    def relationships(
        self, rel_type: str, where: Where | None = None, *, include_sources: bool = False
    ) -> pd.DataFrame:
        """Relationships of one type as a DataFrame.

        Columns: ``start_label, start_key, end_label, end_key`` then one per
        declared property (and ``source_ids`` if asked), sorted by the ends.
        """
        rtype = self.schema.relationship(rel_type)
        where = self._check_where(rtype, where)
        columns = ["start_label", "start_key", "end_label", "end_key"] + list(rtype.properties)
        rows = []
        for sl, sk, el, ek, props, sources in self._rel_rows(rel_type, where, sources=include_sources):
            row = [sl, sk, el, ek] + [props.get(c) for c in rtype.properties]
            if include_sources:
                row.append(sorted(sources))
            rows.append(row)
        if include_sources:
            columns = columns + ["source_ids"]
        frame = pd.DataFrame(rows, columns=columns, dtype=object)
        self._audit_secrets(rel_type, frame, rtype.secret_properties)
        order = ["start_label", "start_key", "end_label", "end_key"] + [k for k in rtype.key]
        if frame.empty:
            return frame
        keyed = frame[order].astype(str)
        return frame.loc[keyed.sort_values(order, kind="stable").index].reset_index(drop=True)

    def _audit_secrets(self, name: str, frame: pd.DataFrame, secret: frozenset[str]) -> None:
        """A read that returns secret values is written to the audit log (:mod:`graphmodel.audit`)."""
        read = sorted(c for c in secret if c in frame and frame[c].notna().any())
        if read:
            from graphmodel.audit import audit

            rows = int(frame[read].notna().any(axis=1).sum())
            audit(self, "read secret fields", element=name, fields=read, rows=rows)

    def count_nodes(self, label: str | None = None) -> int:
        """Number of nodes, of one label or in all."""
        counts = self._counts()[0]
        if label is None:
            return sum(counts.values())
        return counts.get(self.schema.node(label).name, 0)

    def count_relationships(self, rel_type: str | None = None) -> int:
        """Number of relationships, of one type or in all."""
        counts = self._counts()[1]
        if rel_type is None:
            return sum(counts.values())
        return counts.get(self.schema.relationship(rel_type).name, 0)

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts per label and per relationship type (only those present)."""
        nodes, rels = self._counts()
        return {
            "nodes": {k: v for k, v in sorted(nodes.items()) if v},
            "relationships": {k: v for k, v in sorted(rels.items()) if v},
        }

    def projection(
        self,
        labels: Sequence[str],
        rel_types: Sequence[str],
        node_properties: Sequence[str] = (),
        rel_properties: Sequence[str] = (),
        *,
        directed: bool = True,
        multigraph: bool = True,
    ) -> nx.Graph:
        """Project chosen labels and relationship types into a networkx graph.

        Node ids are :class:`~graphmodel.records.NodeRef` (label, key); each
        node carries ``label`` and the requested properties that it has.
        Edges carry ``type`` and the requested properties; relationships whose
        ends fall outside ``labels`` are left out.

        Examples
        --------
        >>> g = backend.projection(["Company", "Tender"], ["BID_ON"],
        ...                        rel_properties=["amount", "won"])  # doctest: +SKIP
        """
        labels = self.schema.labels(labels)
        rel_types = self.schema.rel_types(rel_types)
        for prop in node_properties:
            if not any(prop in self.schema.node(label).properties for label in labels):
                raise SchemaError(f"none of {labels} has a property {prop!r}")
        for prop in rel_properties:
            if not any(prop in self.schema.relationship(t).properties for t in rel_types):
                raise SchemaError(f"none of {rel_types} has a property {prop!r}")
        graph_cls = {
            (True, True): nx.MultiDiGraph,
            (True, False): nx.DiGraph,
            (False, True): nx.MultiGraph,
            (False, False): nx.Graph,
        }[(directed, multigraph)]
        graph = graph_cls()
        wanted = set(labels)
        for label in labels:
            node_type = self.schema.node(label)
            props_wanted = [p for p in node_properties if p in node_type.properties]
            for key, props, _ in sorted(self._node_rows(label, {}, sources=False), key=lambda r: r[0]):
                attrs = {p: props[p] for p in props_wanted if props.get(p) is not None}
                if node_type.key in props_wanted:
                    attrs[node_type.key] = key
                graph.add_node(NodeRef(label, key), label=label, **attrs)
        for rel_type in rel_types:
            rtype = self.schema.relationship(rel_type)
            if not (rtype.from_labels & wanted and rtype.to_labels & wanted):
                continue
            props_wanted = [p for p in rel_properties if p in rtype.properties]
            rows = sorted(
                self._rel_rows(rel_type, {}, sources=False),
                key=lambda r: (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    rtype.identity(EdgeRecord(rel_type, NodeRef(r[0], r[1]), NodeRef(r[2], r[3]), r[4])),
                ),
            )
            for sl, sk, el, ek, props, _ in rows:
                if sl not in wanted or el not in wanted:
                    continue
                attrs = {p: props[p] for p in props_wanted if props.get(p) is not None}
                graph.add_edge(NodeRef(sl, sk), NodeRef(el, ek), type=rel_type, **attrs)
        return graph

    def neighbourhood(
        self,
        start: NodeRef | tuple[str, str],
        rel_types: Sequence[str] | None = None,
        depth: int = 1,
        direction: Direction = "both",
        labels: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Nodes within ``depth`` hops of ``start``.

        Parameters
        ----------
        start : NodeRef or (label, key)
        rel_types : list of str, optional
            Relationship types to follow (all when omitted).
        depth : int
            Maximum number of hops (1 to 6).
        direction : {"out", "in", "both"}
            Follow relationships along, against, or regardless of their direction.
        labels : list of str, optional
            Only pass through and return nodes of these labels.

        Returns
        -------
        pandas.DataFrame
            Columns ``label, key, hops`` (the fewest hops), sorted; ``start`` is excluded.
        """
        start = self._ref(start)
        self._check_bounds(depth, direction)
        rel_types = self.schema.rel_types(rel_types) if rel_types is not None else None
        allowed = set(self.schema.labels(labels)) if labels is not None else None
        seen = {start: 0}
        frontier = [start]
        for hop in range(1, depth + 1):
            nxt = set()
            for node, h in self._expand_checked(frontier, rel_types, direction):
                other = h.other(node)
                if other in seen or (allowed is not None and other.label not in allowed):
                    continue
                seen[other] = hop
                nxt.add(other)
            if len(seen) > self.max_visited:
                raise LiandongError(
                    f"the neighbourhood of {start} passes {self.max_visited} nodes; lower depth or name rel_types"
                )
            frontier = sorted(nxt)
            if not frontier:
                break
        rows = sorted((h, n.label, n.key) for n, h in seen.items() if n != start)
        return pd.DataFrame([(lab, key, h) for h, lab, key in rows], columns=["label", "key", "hops"])

    def paths(
        self,
        start: NodeRef | tuple[str, str],
        end: NodeRef | tuple[str, str],
        rel_types: Sequence[str] | None = None,
        max_hops: int = 3,
        direction: Direction = "both",
        limit: int = 1000,
    ) -> list[GraphPath]:
        """All simple paths of at most ``max_hops`` from ``start`` to ``end``.

        A path never visits a node twice. Both ends are searched at once
        (half the hops from each side), so the work stays bounded by the two
        neighbourhoods rather than by every path from ``start``.

        Returns
        -------
        list of GraphPath
            Shortest first, then in a stable order; at most ``limit``.

        Examples
        --------
        >>> backend.paths(("Person", "p1"), ("Tender", "t9"),
        ...               ["SERVES_AT", "ISSUED", "OFFICER_OF", "BID_ON"], max_hops=4)  # doctest: +SKIP
        """
        start, end = self._ref(start), self._ref(end)
        self._check_bounds(max_hops, direction)
        rel_types = self.schema.rel_types(rel_types) if rel_types is not None else None
        if start == end:
            return [GraphPath((start,), ())]
        from_start = math.ceil(max_hops / 2)
        from_end = max_hops - from_start
        opposite: dict[str, Direction] = {"out": "in", "in": "out", "both": "both"}
        reverse = opposite[direction]
        hops: set[Hop] = set()
        searches: list[tuple[NodeRef, int, Direction]] = [(start, from_start, direction), (end, from_end, reverse)]
        for origin, radius, dirn in searches:
            seen = {origin}
            frontier = [origin]
            for _ in range(radius):
                nxt = set()
                for node, h in self._expand_checked(frontier, rel_types, dirn):
                    hops.add(h)
                    other = h.other(node)
                    if other not in seen:
                        seen.add(other)
                        nxt.add(other)
                if len(seen) > self.max_visited:
                    raise LiandongError(
                        f"path search from {origin} passes {self.max_visited} nodes; lower max_hops or name rel_types"
                    )
                frontier = sorted(nxt)
        graph = nx.MultiDiGraph() if direction != "both" else nx.MultiGraph()
        for h in hops:
            if direction == "in":
                graph.add_edge(h.end, h.start, key=h)
            else:
                graph.add_edge(h.start, h.end, key=h)
        if start not in graph or end not in graph:
            return []
        found = []
        for edge_path in nx.all_simple_edge_paths(graph, start, end, cutoff=max_hops):
            nodes = [start]
            for _u, _v, h in edge_path:
                nodes.append(h.other(nodes[-1]))
            found.append(GraphPath(tuple(nodes), tuple(h for _u, _v, h in edge_path)))
        found.sort(key=lambda p: (len(p), p))
        return found[:limit]

    # ---------------------------------------------------------------- helpers
    def _ref(self, ref: NodeRef | tuple[str, str]) -> NodeRef:
        if not isinstance(ref, NodeRef):
            ref = NodeRef(*ref)
        self.schema.node(ref.label)
        return ref

    @staticmethod
    def _check_bounds(hops: int, direction: str) -> None:
        if not isinstance(hops, int) or not 1 <= hops <= 6:
            raise LiandongError("the number of hops must be between 1 and 6")
        if direction not in ("out", "in", "both"):
            raise LiandongError("direction must be 'out', 'in' or 'both'")

    def _check_where(self, element, where: Where | None) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for prop, value in (where or {}).items():
            declared = element.property(prop)
            if declared.type == "list":
                raise SchemaError(f"{element.name}.{prop} is a list; filter on it in pandas")
            values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else None
            for v in values if values is not None else [value]:
                problems = declared.check(v)
                if problems:
                    raise SchemaError(f"filter {element.name}.{prop}: {problems[0]}")
            checked[prop] = values if values is not None else value
        return checked

    def _expand_checked(
        self, frontier: list[NodeRef], rel_types: list[str] | None, direction: Direction
    ) -> Iterator[tuple[NodeRef, Hop]]:
        if not frontier:
            return iter(())
        return iter(sorted(self._expand(frontier, rel_types, direction)))

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _write_batch(self, nodes: list[NodeRecord], edges: list[EdgeRecord], source: str) -> list[EdgeRecord]:
        """Upsert one batch in one transaction; return the edges whose ends are missing."""

    @abstractmethod
    def _retract(self, source: str) -> RetractReport: ...

    @abstractmethod
    def _detached(self, source: str) -> Iterable[tuple[EdgeRecord, tuple[str, ...]]]:
        """Relationships others asserted on nodes only ``source`` asserted, with their other sources."""

    @abstractmethod
    def _update_nodes(self, label: str, updates: list[tuple[str, dict[str, Any]]], source: str) -> int:
        """Patch properties of existing nodes in one transaction; return how many existed."""

    @abstractmethod
    def _append_to_lists(self, label: str, prop: str, rows: list[tuple[str, list[str]]]) -> int:
        """Append each value not yet in the node's list ``prop``, in one transaction; return nodes found."""

    @abstractmethod
    def _node_rows(self, label: str, where: Mapping[str, Any], *, sources: bool = True) -> Iterable[NodeRow]:
        """(key, decoded properties, source ids) of matching nodes; source ids only when ``sources``."""

    @abstractmethod
    def _rel_rows(self, rel_type: str, where: Mapping[str, Any], *, sources: bool = True) -> Iterable[RelRow]:
        """(start label, start key, end label, end key, properties, source ids); source ids only when asked."""

    @abstractmethod
    def _expand(
        self, frontier: list[NodeRef], rel_types: list[str] | None, direction: Direction
    ) -> Iterable[tuple[NodeRef, Hop]]:
        """One hop from each frontier node: (frontier node, relationship crossed)."""

    @abstractmethod
    def _counts(self) -> tuple[dict[str, int], dict[str, int]]: ...

    @abstractmethod
    def _clear(self) -> None: ...

    @abstractmethod
    def sources(self) -> list[str]:
        """Every source id that still contributes a node or relationship, sorted."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files."""

    def __enter__(self) -> GraphBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

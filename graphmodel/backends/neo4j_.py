"""The Neo4j backend, over Bolt with the official driver.

The only module in liandong that imports ``neo4j``. Writes are ``UNWIND $rows
… MERGE`` batches in managed transactions (the driver retries transient
errors); reads route to readers, so a ``neo4j://`` cluster URI spreads
analytics over read replicas unchanged. Values reach Cypher only as
parameters; labels, relationship types and property names come only from
the declared schema.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j import exceptions as nx_exc

from ..errors import AuthenticationFailed, BackendError, BackendUnavailable
from ..model import Schema
from ..records import EdgeRecord, NodeRecord, NodeRef
from .base import Direction, GraphBackend, Hop, NodeRow, RelRow, RetractReport

__all__ = ["Neo4jBackend", "neo4j_settings_from_env"]

# The driver logs connection failures as warnings; we raise them as errors a
# person can act on, so its log stays silent unless the application configures it.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

_BOLT_SCHEMES = {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}
_BATCH = 10_000  # rows per retract/clear step: keeps each transaction's memory modest
_PAGE = 5_000  # nodes per page of a read: one Bolt record each, a bounded list in the server's memory

_SOURCES_UPDATE = (
    "CASE WHEN {v}.source_ids IS NULL THEN [$source] "
    "WHEN $source IN {v}.source_ids THEN {v}.source_ids ELSE {v}.source_ids + $source END"
)


def neo4j_settings_from_env() -> dict[str, str | None]:
    """Connection settings from ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``."""
    return {
        "uri": os.environ.get("NEO4J_URI") or None,
        "user": os.environ.get("NEO4J_USER") or "neo4j",
        "password": os.environ.get("NEO4J_PASSWORD") or None,
        "database": os.environ.get("NEO4J_DATABASE") or None,
    }


def _q(name: str) -> str:
    # Backtick-quote a schema name; schema names are checked on load and never
    # contain backticks, but quoting keeps Cypher keywords safe as names.
    return f"`{name}`"


def _native(value: Any) -> Any:
    if isinstance(value, list):
        return [_native(v) for v in value]
    to_native = getattr(value, "to_native", None)
    return to_native() if to_native is not None else value


def _stored(props: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An element's stored properties as Python values, and its source ids taken out of them."""
    out = {k: _native(v) for k, v in props.items()}
    return out, out.pop("source_ids", None) or []


class Neo4jBackend(GraphBackend):
    """A graph in a Neo4j 5 database.

    Parameters
    ----------
    uri : str, optional
        ``neo4j://host:7687`` (routing; works for a single server and a
        cluster) or ``bolt://host:7687``; default ``NEO4J_URI``.
    user, password : str, optional
        Default ``NEO4J_USER`` (else ``neo4j``) and ``NEO4J_PASSWORD``.
    database : str, optional
        Default ``NEO4J_DATABASE``, else the server's default database.
    ensure_schema : bool
        Create the key constraints and property indexes the schema declares.

    Examples
    --------
    >>> from graphmodel import Neo4jBackend
    >>> g = Neo4jBackend("neo4j://127.0.0.1:7687", password="...")   # doctest: +SKIP
    >>> g.stats()                                                    # doctest: +SKIP
    """

    kind = "neo4j"

    def __init__(
        self,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        *,
        schema: Schema | None = None,
        ensure_schema: bool = True,
    ):
        super().__init__(schema)
        env = neo4j_settings_from_env()
        self.uri = uri or env["uri"]
        self.user: str = user or env["user"] or "neo4j"
        self.database = database or env["database"]
        password = password if password is not None else env["password"]
        if not self.uri:
            raise BackendUnavailable(
                "no Neo4j address: pass --neo4j-uri or set NEO4J_URI (e.g. neo4j://127.0.0.1:7687)"
            )
        if password is None:
            raise AuthenticationFailed(
                f"no password for Neo4j at {self.uri}: set NEO4J_PASSWORD or pass --neo4j-password"
            )
        scheme = self.uri.split("://", 1)[0].lower() if "://" in self.uri else ""
        if scheme not in _BOLT_SCHEMES:
            raise BackendError(
                f"{self.uri!r} is not a Neo4j address; use neo4j://host:7687 (routing, also for clusters) "
                "or bolt://host:7687 (one server), with +s or +ssc for TLS"
            )
        try:
            self._driver = GraphDatabase.driver(self.uri, auth=(self.user, password), notifications_min_severity="OFF")
        except (ValueError, nx_exc.ConfigurationError) as exc:
            raise BackendError(
                f"{self.uri!r} is not a Neo4j address ({exc}); use neo4j://host:7687 or bolt://host:7687"
            ) from None
        with self._errors():
            self._driver.verify_connectivity()
        self._keyprops = {label: t.key for label, t in self.schema.nodes.items()}
        if ensure_schema:
            self.ensure_schema()

    def __repr__(self) -> str:
        return f"Neo4jBackend({self.uri!r}, database={self.database!r})"

    # -------------------------------------------------------------- plumbing
    def _errors(self):
        return _DriverErrors(self)

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]:
        with self._errors():
            records, _, _ = self._driver.execute_query(
                query, params, database_=self.database, routing_=RoutingControl.READ
            )
        return records

    def _write(self, query: str, **params: Any) -> list[neo4j.Record]:
        with self._errors():
            records, _, _ = self._driver.execute_query(
                query, params, database_=self.database, routing_=RoutingControl.WRITE
            )
        return records

    def ensure_schema(self) -> None:
        """Create the uniqueness constraint per label key and the declared indexes."""
        existing = {r["name"] for r in self._read("SHOW CONSTRAINTS YIELD name RETURN name")}
        existing |= {r["name"] for r in self._read("SHOW INDEXES YIELD name RETURN name")}
        for label, node_type in self.schema.nodes.items():
            # Constraint and index names are built from schema names only.
            if f"liandong_{label}_key" not in existing:
                self._write(
                    f"CREATE CONSTRAINT liandong_{label}_key IF NOT EXISTS "
                    f"FOR (n:{_q(label)}) REQUIRE n.{_q(node_type.key)} IS UNIQUE"
                )
            for prop in node_type.properties.values():
                name = f"liandong_{label}_{prop.name}"
                if prop.index and prop.name != node_type.key and name not in existing:
                    self._write(f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{_q(label)}) ON (n.{_q(prop.name)})")
        self._write("CALL db.awaitIndexes(300)")

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _columns(
        element, records: list, var: str, skip: str | None = None, fill: bool = False
    ) -> tuple[list[str], dict[str, list]]:
        """SET clauses and one parameter list per property present in ``records``.

        Columns travel much faster over Bolt than one map per row, and dates
        go as ISO text parsed by the server (the driver packs date objects
        slowly). ``coalesce`` keeps a property the record leaves out, which is
        MERGE-and-``SET +=`` semantics; with ``fill`` it keeps any value the
        element already has.
        """
        names = sorted({k for rec in records for k in rec.props if k != skip})
        clauses, params = [], {}
        for n, name in enumerate(names):
            declared = element.properties[name]
            values = [rec.props.get(name) for rec in records]
            expr = f"$c{n}[i]"
            if declared.type == "date":
                values = [None if v is None else v.isoformat() for v in values]
                expr = f"date({expr})"
            elif declared.type == "float":
                values = [None if v is None else float(v) for v in values]
            elif declared.type == "list":
                cast = float if declared.items == "float" else (lambda x: x)
                values = [None if v is None else [cast(x) for x in v] for v in values]
            params[f"c{n}"] = values
            prop = f"{var}.{_q(name)}"
            clauses.append(f"{prop} = coalesce({prop}, {expr})" if fill else f"{prop} = coalesce({expr}, {prop})")
        clauses.append(f"{var}.source_ids = {_SOURCES_UPDATE.format(v=var)}")
        return clauses, params

    def _write_batch(self, nodes: list[NodeRecord], edges: list[EdgeRecord], source: str) -> list[EdgeRecord]:
        # Fill-only records after the others (False sorts first), as on the embedded backend.
        node_groups: dict[tuple[bool, str], list[NodeRecord]] = {}
        for rec in sorted(nodes, key=lambda r: r.fill):
            node_groups.setdefault((rec.fill, rec.label), []).append(rec)
        edge_groups: dict[tuple[str, str, str], list[EdgeRecord]] = {}
        for edge in edges:
            edge_groups.setdefault((edge.type, edge.start.label, edge.end.label), []).append(edge)

        def work(tx: neo4j.ManagedTransaction) -> list[EdgeRecord]:
            for (fill, label), recs in node_groups.items():
                key = self._keyprops[label]
                clauses, params = self._columns(self.schema.nodes[label], recs, "n", skip=key, fill=fill)
                tx.run(
                    f"UNWIND range(0, size($k) - 1) AS i MERGE (n:{_q(label)} {{{_q(key)}: $k[i]}}) SET "
                    + ", ".join(clauses),
                    {"k": [r.key for r in recs], "source": source, **params},
                ).consume()
            unresolved: list[EdgeRecord] = []
            for (rel_type, start_label, end_label), group in edge_groups.items():
                rtype = self.schema.relationships[rel_type]
                clauses, params = self._columns(rtype, group, "r")
                if rtype.key:
                    params["rk"] = [rtype.identity(e) for e in group]
                match = (
                    f"UNWIND range(0, size($s) - 1) AS i "
                    f"MATCH (a:{_q(start_label)} {{{_q(self._keyprops[start_label])}: $s[i]}}) "
                    f"MATCH (b:{_q(end_label)} {{{_q(self._keyprops[end_label])}: $e[i]}}) "
                )
                ends: dict[str, Any] = {"s": [e.start.key for e in group], "e": [e.end.key for e in group]}
                keyed = " {rel_key: $rk[i]}" if rtype.key else ""
                written = tx.run(
                    match
                    + f"MERGE (a)-[r:{_q(rel_type)}{keyed}]->(b) SET "
                    + ", ".join(clauses)
                    + " RETURN count(*) AS n",
                    {"source": source, **ends, **params},
                ).single(strict=True)["n"]
                if written < len(group):
                    missing = tx.run(
                        "UNWIND range(0, size($s) - 1) AS i "
                        f"OPTIONAL MATCH (a:{_q(start_label)} {{{_q(self._keyprops[start_label])}: $s[i]}}) "
                        f"OPTIONAL MATCH (b:{_q(end_label)} {{{_q(self._keyprops[end_label])}: $e[i]}}) "
                        "WITH i, a, b WHERE a IS NULL OR b IS NULL RETURN collect(i) AS missing",
                        ends,
                    ).single(strict=True)["missing"]
                    unresolved.extend(group[i] for i in missing)
            return unresolved

        # Chained with execute_query's bookmarks: this process's later reads (routed to any cluster
        # member) wait until that member has applied this batch.
        with (
            self._errors(),
            self._driver.session(
                database=self.database, bookmark_manager=self._driver.execute_query_bookmark_manager
            ) as session,
        ):
            unresolved = session.execute_write(work)
        order = {id(rec): n for n, rec in enumerate(edges)}
        return sorted(unresolved, key=lambda rec: order[id(rec)])

    def _update_nodes(self, label: str, updates: list[tuple[str, dict[str, Any]]], source: str) -> int:
        node_type = self.schema.nodes[label]
        records = [NodeRecord(label, key, props) for key, props in updates]
        clauses, params = self._columns(node_type, records, "n", skip=node_type.key)
        query = (
            f"UNWIND range(0, size($k) - 1) AS i MATCH (n:{_q(label)} {{{_q(node_type.key)}: $k[i]}}) SET "
            + ", ".join(clauses)
            + " RETURN count(*) AS n"
        )
        (record,) = self._write(query, k=[key for key, _ in updates], source=source, **params)
        return int(record["n"])

    def _append_to_lists(self, label: str, prop: str, rows: list[tuple[str, list[str]]]) -> int:
        key = self.schema.nodes[label].key
        wanted = dict(rows)

        def work(tx: neo4j.ManagedTransaction) -> int:
            # Read and write in one transaction: the merged list is sorted here, as on the embedded backend.
            found = tx.run(
                f"UNWIND $keys AS k MATCH (n:{_q(label)} {{{_q(key)}: k}}) RETURN k, n.{_q(prop)} AS v",
                keys=list(wanted),
            ).values()
            changed = []
            for k, current in found:
                merged = sorted(set(current or []) | set(wanted[k]))
                if merged != list(current or []):
                    changed.append({"k": k, "v": merged})
            tx.run(
                f"UNWIND $rows AS row MATCH (n:{_q(label)} {{{_q(key)}: row.k}}) SET n.{_q(prop)} = row.v",
                rows=changed,
            ).consume()
            return len(found)

        with (
            self._errors(),
            self._driver.session(
                database=self.database, bookmark_manager=self._driver.execute_query_bookmark_manager
            ) as session,
        ):
            return int(session.execute_write(work))

    def _repeat(self, query: str, **params: Any) -> int:
        """Run a LIMIT-ed write until it touches nothing; return the total it counted."""
        total = 0
        while True:
            (record,) = self._write(query, batch=_BATCH, **params)
            n = record[0]
            total += n
            if n == 0:
                return total

    def _retract(self, source: str) -> RetractReport:
        # Same order as the embedded backend, so the reports agree: relationships
        # only this source asserted, then relationships of nodes only it asserted,
        # then those nodes, then strip the source from what others also asserted.
        rels_deleted = self._repeat(
            "MATCH ()-[r]->() WHERE r.source_ids = [$source] WITH r LIMIT $batch DELETE r RETURN count(*)",
            source=source,
        )
        # Read on the leader, before they go: the other sources whose relationships go with these nodes.
        ((detached,),) = self._write(
            "MATCH (n)-[r]-() WHERE n.source_ids = [$source] UNWIND r.source_ids AS s "
            "WITH DISTINCT s WHERE s <> $source RETURN collect(s) AS sources",
            source=source,
        )
        rels_deleted += self._repeat(
            "MATCH (n)-[r]-() WHERE n.source_ids = [$source] WITH DISTINCT r LIMIT $batch DELETE r RETURN count(*)",
            source=source,
        )
        nodes_deleted = self._repeat(
            "MATCH (n) WHERE n.source_ids = [$source] WITH n LIMIT $batch DETACH DELETE n RETURN count(*)",
            source=source,
        )
        rels_kept = self._repeat(
            "MATCH ()-[r]->() WHERE $source IN r.source_ids WITH r LIMIT $batch "
            "SET r.source_ids = [x IN r.source_ids WHERE x <> $source] RETURN count(*)",
            source=source,
        )
        nodes_kept = self._repeat(
            "MATCH (n) WHERE $source IN n.source_ids WITH n LIMIT $batch "
            "SET n.source_ids = [x IN n.source_ids WHERE x <> $source] RETURN count(*)",
            source=source,
        )
        return RetractReport(source, nodes_deleted, rels_deleted, nodes_kept, rels_kept, tuple(sorted(detached or [])))

    def _detached(self, source: str) -> Iterator[tuple[EdgeRecord, tuple[str, ...]]]:
        records = self._write(
            "MATCH (n) WHERE n.source_ids = [$source] MATCH (n)-[r]-() "
            "WITH DISTINCT r WHERE any(s IN r.source_ids WHERE s <> $source) "
            "WITH r, startNode(r) AS a, endNode(r) AS b "
            "RETURN type(r) AS type, labels(a)[0] AS al, a[$kp[labels(a)[0]]] AS ak, "
            "labels(b)[0] AS bl, b[$kp[labels(b)[0]]] AS bk, properties(r) AS props",
            source=source,
            kp=self._keyprops,
        )
        for record in records:
            props, ids = _stored(record["props"])
            props.pop("rel_key", None)
            edge = EdgeRecord(
                record["type"], NodeRef(record["al"], record["ak"]), NodeRef(record["bl"], record["bk"]), props
            )
            yield edge, tuple(sorted(s for s in ids if s != source))

    def _clear(self) -> None:
        self._repeat("MATCH (n) WITH n LIMIT $batch DETACH DELETE n RETURN count(*)")

    # ------------------------------------------------------------------- reads
    def _where_cypher(self, var: str, where: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        clauses, params = [], {}
        for i, (prop, value) in enumerate(where.items()):
            op = "IN" if isinstance(value, list) else "="
            clauses.append(f"{var}.{_q(prop)} {op} $w{i}")
            params[f"w{i}"] = value
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _node_rows(self, label: str, where: Mapping[str, Any], *, sources: bool = True) -> Iterator[NodeRow]:
        key = self._keyprops[label]
        clause, params = self._where_cypher("n", where)
        # Without sources, the map projection leaves the (long) source list on the server.
        shape = "properties(n)" if sources else "n {.*, source_ids: null}"
        # Pages of nodes in key order, each one record holding a list: the driver's cost is per record,
        # and the key's unique index gives the order and the seek to the next page without a sort.
        query = (
            f"MATCH (n:{_q(label)}) WHERE n.{_q(key)} > $after"
            + clause.replace(" WHERE ", " AND ", 1)
            + f" WITH n ORDER BY n.{_q(key)} LIMIT $page WITH collect(n) AS page "
            f"RETURN [n IN page | {shape}] AS rows, page[-1].{_q(key)} AS last"
        )
        for rows in self._pages(query, params):
            for p in rows:
                props, ids = _stored(p)
                yield props.pop(key), props, ids

    def _rel_rows(self, rel_type: str, where: Mapping[str, Any], *, sources: bool = True) -> Iterator[RelRow]:
        clause, params = self._where_cypher("r", where)
        shape = "properties(r)" if sources else "r {.*, source_ids: null}"
        # Paged by start node, in key order, per declared start label (see _node_rows); each start node
        # brings the list of its relationships of this type.
        for start in sorted(self.schema.relationships[rel_type].from_labels):
            key = self._keyprops[start]
            query = (
                f"MATCH (a:{_q(start)}) WHERE a.{_q(key)} > $after "
                f"WITH a ORDER BY a.{_q(key)} LIMIT $page WITH collect(a) AS page "
                f"RETURN [a IN page | [a.{_q(key)}, [(a)-[r:{_q(rel_type)}]->(b){clause} | "
                f"[labels(b)[0], b[$kp[labels(b)[0]]], {shape}]]]] AS rows, page[-1].{_q(key)} AS last"
            )
            for rows in self._pages(query, {**params, "kp": self._keyprops}):
                for start_key, rels in rows:
                    for end_label, end_key, p in rels:
                        props, ids = _stored(p)
                        props.pop("rel_key", None)
                        yield start, start_key, end_label, end_key, props, ids

    def _pages(self, query: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        # Keys are non-empty text (the schema checks them on write), so every key is > "".
        after = ""
        while True:
            (record,) = self._read(query, **params, after=after, page=_PAGE)
            if record["last"] is None:
                return
            yield record["rows"]
            after = record["last"]

    def _expand(
        self, frontier: list[NodeRef], rel_types: list[str] | None, direction: Direction
    ) -> Iterator[tuple[NodeRef, Hop]]:
        if rel_types is not None and not rel_types:
            return
        types = (":" + "|".join(_q(t) for t in rel_types)) if rel_types else ""
        by_label: dict[str, list[str]] = {}
        for ref in frontier:
            by_label.setdefault(ref.label, []).append(ref.key)
        patterns = {"out": ["-[r{t}]->"], "in": ["<-[r{t}]-"], "both": ["-[r{t}]->", "<-[r{t}]-"]}[direction]
        for label, keys in by_label.items():
            for pattern in patterns:
                query = (
                    f"UNWIND $keys AS k MATCH (a:{_q(label)} {{{_q(self._keyprops[label])}: k}})"
                    f"{pattern.format(t=types)}(b) WITH k, r, b, labels(b)[0] AS bl "
                    "RETURN k, type(r) AS t, coalesce(r.rel_key, '') AS rk, bl, b[$kp[bl]] AS bk"
                )
                outward = pattern.endswith(">")
                for rec in self._read(query, keys=keys, kp=self._keyprops):
                    here, there = NodeRef(label, rec["k"]), NodeRef(rec["bl"], rec["bk"])
                    start, end = (here, there) if outward else (there, here)
                    yield here, Hop(start, rec["t"], end, rec["rk"])

    def _counts(self) -> tuple[dict[str, int], dict[str, int]]:
        # Count-store lookups, one query for all labels and types.
        parts = [
            f"MATCH (n:{_q(label)}) RETURN 'n' AS kind, {label!r} AS name, count(n) AS c" for label in self.schema.nodes
        ]
        parts += [
            f"MATCH ()-[r:{_q(rel_type)}]->() RETURN 'r' AS kind, {rel_type!r} AS name, count(r) AS c"
            for rel_type in self.schema.relationships
        ]
        records = self._read("CALL { " + " UNION ALL ".join(parts) + " } RETURN kind, name, c")
        nodes = {r["name"]: r["c"] for r in records if r["kind"] == "n"}
        rels = {r["name"]: r["c"] for r in records if r["kind"] == "r"}
        return nodes, rels

    def sources(self) -> list[str]:
        """Every source id that still contributes something."""
        records = self._read(
            "CALL { MATCH (n) RETURN n.source_ids AS s UNION ALL MATCH ()-[r]->() RETURN r.source_ids AS s } "
            "UNWIND s AS source RETURN DISTINCT source ORDER BY source"
        )
        return [r["source"] for r in records]

    def close(self) -> None:
        driver = getattr(self, "_driver", None)
        if driver is not None:
            driver.close()
            self._driver = None  # type: ignore[assignment]


class _DriverErrors:
    """Turn driver exceptions into liandong's, with a message a person can act on."""

    def __init__(self, backend: Neo4jBackend):
        self.backend = backend

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            return
        where = self.backend.uri
        if isinstance(exc, nx_exc.AuthError):
            raise AuthenticationFailed(
                f"Neo4j at {where} refused user {self.backend.user!r}: wrong password? "
                "Check NEO4J_USER / NEO4J_PASSWORD."
            ) from None
        if isinstance(exc, (nx_exc.ServiceUnavailable, nx_exc.SessionExpired)):
            raise BackendUnavailable(
                f"cannot reach Neo4j at {where}: is the server running? "
                "(start the development server with: bash tools/neo4j-dev/run)"
            ) from None
        if isinstance(exc, nx_exc.Neo4jError):
            code = getattr(exc, "code", "") or ""
            if "DatabaseNotFound" in code:
                raise BackendError(
                    f"Neo4j at {where} has no database {self.backend.database!r}; check NEO4J_DATABASE"
                ) from None
            raise BackendError(f"Neo4j at {where} refused the request: {exc.message or code}") from None
        if isinstance(exc, nx_exc.DriverError):
            raise BackendError(f"Neo4j driver error talking to {where}: {exc}") from None

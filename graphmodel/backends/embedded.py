"""The embedded backend: a property graph in SQLite, in a workspace folder.

No server, opens instantly, and every batch is one SQLite transaction in
write-ahead-log mode, so a crash (even SIGKILL) leaves whole batches or
nothing. Properties are stored as JSON and typed again from the schema on the
way out; properties the schema marks ``index: true`` get expression indexes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from .. import DEFAULT_WORKSPACE
from ..errors import BackendError, WorkspaceError
from ..model import Schema
from ..records import EdgeRecord, NodeRecord, NodeRef
from .base import Direction, GraphBackend, Hop, NodeRow, RelRow, RetractReport

__all__ = ["EmbeddedBackend", "DEFAULT_WORKSPACE", "WORKSPACE_FORMAT"]

WORKSPACE_FORMAT = {"format": "liandong-workspace", "version": 1}
_DB_FILE = "graph.sqlite"
_MARKER = "workspace.json"
_CHUNK = 900  # stays under SQLite's default limit of bound variables

_DDL = """
CREATE TABLE IF NOT EXISTS nodes (
    id    INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    key   TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    UNIQUE (label, key)
);
CREATE TABLE IF NOT EXISTS rels (
    id       INTEGER PRIMARY KEY,
    type     TEXT NOT NULL,
    start_id INTEGER NOT NULL,
    end_id   INTEGER NOT NULL,
    rel_key  TEXT NOT NULL DEFAULT '',
    props    TEXT NOT NULL DEFAULT '{}',
    UNIQUE (type, start_id, end_id, rel_key)
);
CREATE INDEX IF NOT EXISTS rels_start ON rels (start_id, type);
CREATE INDEX IF NOT EXISTS rels_end ON rels (end_id, type);
-- kind is 'n' (node) or 'r' (relationship)
CREATE TABLE IF NOT EXISTS element_sources (
    source  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    elem_id INTEGER NOT NULL,
    PRIMARY KEY (source, kind, elem_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS element_sources_elem ON element_sources (kind, elem_id);
"""


def _json(value: Any) -> str:
    # orjson: compact UTF-8 like json's (",", ":") separators without ASCII escapes, several times faster.
    return orjson.dumps(value).decode()


class EmbeddedBackend(GraphBackend):
    """A graph kept in ``WORKSPACE/graph.sqlite``.

    Parameters
    ----------
    workspace : path
        The workspace folder (default ``./liandong-workspace``).
    create : bool
        Create the folder when missing; otherwise a missing workspace is a
        :class:`~graphmodel.errors.WorkspaceError`.
    read_only : bool
        Open without write access (reads only).
    schema : Schema, optional
        The declared schema (the shipped one by default).

    Examples
    --------
    >>> from graphmodel import EmbeddedBackend
    >>> with EmbeddedBackend("/tmp/ws-doc", create=True) as g:   # doctest: +SKIP
    ...     g.stats()
    """

    kind = "embedded"

    def __init__(
        self,
        workspace: str | os.PathLike[str] = DEFAULT_WORKSPACE,
        *,
        create: bool = True,
        read_only: bool = False,
        schema: Schema | None = None,
    ):
        super().__init__(schema)
        self.workspace = Path(workspace)
        self.read_only = read_only
        db = self.workspace / _DB_FILE
        marker = self.workspace / _MARKER
        if not self.workspace.exists():
            if not create or read_only:
                raise WorkspaceError(
                    f"no workspace at {self.workspace}: pass --workspace with an existing one, "
                    "or load data first (liandong demo / liandong load)"
                )
            try:
                self.workspace.mkdir(parents=True)
            except OSError as exc:
                raise WorkspaceError(f"cannot create the workspace {self.workspace}: {exc.strerror}") from None
        elif not self.workspace.is_dir():
            raise WorkspaceError(f"{self.workspace} is a file, not a workspace folder")
        if marker.exists():
            try:
                meta = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise WorkspaceError(f"{marker} is unreadable ({exc}); is this a liandong workspace?") from None
            if meta.get("format") != WORKSPACE_FORMAT["format"]:
                raise WorkspaceError(f"{self.workspace} is not a liandong workspace")
            if meta.get("version", 0) > WORKSPACE_FORMAT["version"]:
                raise WorkspaceError(f"{self.workspace} was written by a newer liandong; upgrade to read it")
        elif any(self.workspace.iterdir()) and not db.exists():
            raise WorkspaceError(
                f"{self.workspace} is a folder with other files in it, not a liandong workspace; choose an empty "
                "or new folder"
            )
        try:
            if read_only:
                if not db.exists():
                    raise WorkspaceError(f"{self.workspace} holds no graph yet; load data first")
                self._db = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
                tables = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not {"nodes", "rels", "element_sources"} <= tables:
                    # Created by a run that stopped before setting it up (the next write sets it up).
                    raise WorkspaceError(f"{self.workspace} holds no graph yet; load data first")
            else:
                self._db = sqlite3.connect(db, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a crash of the process never loses a committed
                # batch; only a power cut can lose the last few.
                self._db.execute("PRAGMA synchronous=NORMAL")
                # Checkpoint the log into the database every ~40 MB rather than every 4 MB: index pages that
                # many batches touch are copied back once per checkpoint, not once per batch.
                self._db.execute("PRAGMA wal_autocheckpoint=10000")
            # 512 MB of page cache: a province graph is a few GB, and its indexes are written at random.
            self._db.execute("PRAGMA cache_size=-524288")
            self._db.execute("PRAGMA temp_store=MEMORY")
            if not read_only:
                self._db.executescript(_DDL)
                self._create_indexes()
                if not marker.exists():
                    marker.write_text(json.dumps(WORKSPACE_FORMAT), encoding="utf-8")
        except sqlite3.DatabaseError as exc:
            if not read_only and not _writable(self.workspace):
                raise WorkspaceError(_read_only_message(self.workspace, exc)) from None
            raise WorkspaceError(f"cannot open the workspace {self.workspace}: {exc}") from None
        except OSError as exc:
            raise WorkspaceError(f"cannot write to the workspace {self.workspace}: {exc.strerror}") from None

    def __repr__(self) -> str:
        return f"EmbeddedBackend({str(self.workspace)!r})"

    def _create_indexes(self) -> None:
        # One partial index per indexed property of a label, so a write pays
        # only for its own label's indexes. Names come from the schema
        # (CamelCase labels, snake_case properties, checked on load).
        for label, node_type in self.schema.nodes.items():
            for prop in node_type.properties.values():
                if prop.index and prop.name != node_type.key:
                    self._db.execute(
                        f"CREATE INDEX IF NOT EXISTS nodes_{label}_{prop.name} "
                        f"ON nodes (json_extract(props, '$.{prop.name}')) WHERE label = '{label}'"
                    )

    # ------------------------------------------------------------------ writes
    def _transaction(self):
        if self.read_only:
            raise BackendError(f"the workspace {self.workspace} is open read-only")
        return _Transaction(self._db, self.workspace)

    def _write_batch(self, nodes: list[NodeRecord], edges: list[EdgeRecord], source: str) -> list[EdgeRecord]:
        unresolved: list[EdgeRecord] = []
        with self._transaction() as cur:
            if nodes:
                rows: list[tuple[str, str, str]] = []
                fills: list[tuple[str, str, str]] = []
                for rec in nodes:
                    node_type = self.schema.nodes[rec.label]
                    row = (rec.label, rec.key, _json(node_type.encode(rec.props, skip=node_type.key)))
                    (fills if rec.fill else rows).append(row)
                cur.executemany(
                    "INSERT INTO nodes (label, key, props) VALUES (?, ?, ?) "
                    "ON CONFLICT (label, key) DO UPDATE SET props = json_patch(nodes.props, excluded.props)",
                    rows,
                )
                # Fill-only records after the others, so within a batch as across batches they never
                # overwrite a value: the node's own properties are patched over theirs.
                cur.executemany(
                    "INSERT INTO nodes (label, key, props) VALUES (?, ?, ?) "
                    "ON CONFLICT (label, key) DO UPDATE SET props = json_patch(excluded.props, nodes.props)",
                    fills,
                )
                rows.extend(fills)
                cur.executemany(
                    "INSERT OR IGNORE INTO element_sources (source, kind, elem_id) "
                    "SELECT ?, 'n', id FROM nodes WHERE label = ? AND key = ?",
                    ((source, label, key) for label, key, _ in rows),
                )
            if edges:
                ids = self._node_ids(cur, {ref for e in edges for ref in (e.start, e.end)})
                rel_rows = []
                for edge in edges:
                    sid, eid = ids.get(edge.start), ids.get(edge.end)
                    if sid is None or eid is None:
                        unresolved.append(edge)
                        continue
                    rtype = self.schema.relationships[edge.type]
                    rel_rows.append((edge.type, sid, eid, rtype.identity(edge), _json(rtype.encode(edge.props))))
                cur.executemany(
                    "INSERT INTO rels (type, start_id, end_id, rel_key, props) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (type, start_id, end_id, rel_key) DO UPDATE "
                    "SET props = json_patch(rels.props, excluded.props)",
                    rel_rows,
                )
                cur.executemany(
                    "INSERT OR IGNORE INTO element_sources (source, kind, elem_id) SELECT ?, 'r', id FROM rels "
                    "WHERE type = ? AND start_id = ? AND end_id = ? AND rel_key = ?",
                    ((source, t, s, e, k) for t, s, e, k, _ in rel_rows),
                )
        return unresolved

    def _update_nodes(self, label: str, updates: list[tuple[str, dict[str, Any]]], source: str) -> int:
        node_type = self.schema.nodes[label]
        with self._transaction() as cur:
            ids = self._node_ids(cur, [NodeRef(label, key) for key, _ in updates])
            rows = [
                (_json(node_type.encode(props)), ids[NodeRef(label, key)])
                for key, props in updates
                if NodeRef(label, key) in ids
            ]
            cur.executemany("UPDATE nodes SET props = json_patch(props, ?) WHERE id = ?", rows)
            cur.executemany(
                "INSERT OR IGNORE INTO element_sources (source, kind, elem_id) VALUES (?, 'n', ?)",
                ((source, nid) for _, nid in rows),
            )
        return len(rows)

    def _append_to_lists(self, label: str, prop: str, rows: list[tuple[str, list[str]]]) -> int:
        path = f"$.{prop}"
        with self._transaction() as cur:
            ids = self._node_ids(cur, [NodeRef(label, key) for key, _ in rows])
            found = [(ids[NodeRef(label, key)], values) for key, values in rows if NodeRef(label, key) in ids]
            current: dict[int, list[str]] = {}
            for i in range(0, len(found), _CHUNK):
                chunk = [nid for nid, _ in found[i : i + _CHUNK]]
                marks = ",".join("?" * len(chunk))
                for nid, value in cur.execute(
                    f"SELECT id, json_extract(props, ?) FROM nodes WHERE id IN ({marks})", [path, *chunk]
                ):
                    current[nid] = json.loads(value) if value else []
            updates = []
            for nid, values in found:
                merged = sorted(set(current.get(nid, [])) | set(values))
                if merged != current.get(nid, []):
                    updates.append((path, json.dumps(merged, ensure_ascii=False), nid))
            cur.executemany("UPDATE nodes SET props = json_set(props, ?, json(?)) WHERE id = ?", updates)
        return len(found)

    @staticmethod
    def _node_ids(cur: sqlite3.Cursor, refs: Iterable[NodeRef]) -> dict[NodeRef, int]:
        by_label: dict[str, list[str]] = {}
        for ref in refs:
            by_label.setdefault(ref.label, []).append(ref.key)
        ids: dict[NodeRef, int] = {}
        for label, keys in by_label.items():
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, nid in cur.execute(
                    f"SELECT key, id FROM nodes WHERE label = ? AND key IN ({marks})", [label, *chunk]
                ):
                    ids[NodeRef(label, key)] = nid
        return ids

    def _retract(self, source: str) -> RetractReport:
        with self._transaction() as cur:
            cur.execute("DROP TABLE IF EXISTS temp.sole")
            cur.execute("DROP TABLE IF EXISTS temp.detached")
            # Elements asserted by this source and by no other.
            cur.execute(
                "CREATE TEMP TABLE sole AS SELECT s.kind, s.elem_id FROM element_sources s "
                "WHERE s.source = ? AND NOT EXISTS (SELECT 1 FROM element_sources o "
                "WHERE o.kind = s.kind AND o.elem_id = s.elem_id AND o.source <> s.source)",
                (source,),
            )
            rels_sole = cur.execute("DELETE FROM rels WHERE id IN (SELECT elem_id FROM sole WHERE kind = 'r')").rowcount
            # Relationships other sources asserted still go when one of their nodes goes.
            # Two indexed joins (start side, end side) rather than one OR join, which SQLite would
            # answer by scanning every relationship against every removed node.
            cur.execute(
                "CREATE TEMP TABLE detached AS "
                "SELECT r.id FROM sole s JOIN rels r ON r.start_id = s.elem_id WHERE s.kind = 'n' "
                "UNION SELECT r.id FROM sole s JOIN rels r ON r.end_id = s.elem_id WHERE s.kind = 'n'"
            )
            detached_sources = tuple(
                sorted(
                    r[0]
                    for r in cur.execute(
                        "SELECT DISTINCT e.source FROM element_sources e JOIN detached d ON e.elem_id = d.id "
                        "WHERE e.kind = 'r' AND e.source <> ?",
                        (source,),
                    )
                )
            )
            rels_detached = cur.execute("DELETE FROM rels WHERE id IN (SELECT id FROM detached)").rowcount
            cur.execute("DELETE FROM element_sources WHERE kind = 'r' AND elem_id IN (SELECT id FROM detached)")
            nodes_sole = cur.execute(
                "DELETE FROM nodes WHERE id IN (SELECT elem_id FROM sole WHERE kind = 'n')"
            ).rowcount
            cur.execute("CREATE INDEX temp.sole_elem ON sole (kind, elem_id)")
            kept_nodes, kept_rels = cur.execute(
                "SELECT count(*) FILTER (WHERE e.kind = 'n'), count(*) FILTER (WHERE e.kind = 'r') "
                "FROM element_sources e WHERE e.source = ? AND NOT EXISTS "
                "(SELECT 1 FROM sole s WHERE s.kind = e.kind AND s.elem_id = e.elem_id)",
                (source,),
            ).fetchone()
            cur.execute("DELETE FROM element_sources WHERE source = ?", (source,))
            cur.execute("DROP TABLE temp.sole")
            cur.execute("DROP TABLE temp.detached")
        return RetractReport(source, nodes_sole, rels_sole + rels_detached, kept_nodes, kept_rels, detached_sources)

    def _detached(self, source: str) -> Iterator[tuple[EdgeRecord, tuple[str, ...]]]:
        query = (
            "WITH sole AS (SELECT s.elem_id FROM element_sources s WHERE s.source = ? AND s.kind = 'n' "
            "AND NOT EXISTS (SELECT 1 FROM element_sources o WHERE o.kind = 'n' AND o.elem_id = s.elem_id "
            "AND o.source <> s.source)), "
            "det AS (SELECT r.id FROM sole JOIN rels r ON r.start_id = sole.elem_id "
            "UNION SELECT r.id FROM sole JOIN rels r ON r.end_id = sole.elem_id) "
            "SELECT r.type, s.label, s.key, e.label, e.key, r.props, group_concat(es.source, char(31)) "
            "FROM det JOIN rels r ON r.id = det.id JOIN nodes s ON s.id = r.start_id JOIN nodes e ON e.id = r.end_id "
            "JOIN element_sources es ON es.kind = 'r' AND es.elem_id = r.id AND es.source <> ? GROUP BY r.id"
        )
        for rtype, sl, sk, el, ek, props, others in self._db.execute(query, (source, source)):
            decoded = self.schema.relationships[rtype].decode(orjson.loads(props))
            edge = EdgeRecord(rtype, NodeRef(sl, sk), NodeRef(el, ek), decoded)
            yield edge, tuple(sorted(others.split("\x1f")))

    # ------------------------------------------------------------------- reads
    def _where_sql(
        self, key_column: str | None, key_prop: str | None, where: Mapping[str, Any], element
    ) -> tuple[str, list]:
        clauses, params = [], []
        for prop, value in where.items():
            if key_prop is not None and prop == key_prop:
                expr = key_column
                encode = str
            else:
                # The property name is from the schema (checked snake_case), so
                # it may stand in the JSON path; the value is a parameter.
                expr = f"json_extract(props, '$.{prop}')"
                declared = element.properties[prop]
                encode = declared.to_json
            if isinstance(value, list):
                clauses.append(f"{expr} IN (SELECT value FROM json_each(?))")
                params.append(json.dumps([encode(v) for v in value], ensure_ascii=False))
            else:
                clauses.append(f"{expr} = ?")
                params.append(encode(value))
        return "".join(f" AND {c}" for c in clauses), params

    def _node_rows(self, label: str, where: Mapping[str, Any], *, sources: bool = True) -> Iterator[NodeRow]:
        node_type = self.schema.nodes[label]
        sql, params = self._where_sql("n.key", node_type.key, where, node_type)
        # The label is a literal (from the schema) so SQLite can use the label's partial indexes.
        base = f"FROM nodes n WHERE n.label = '{label}'" + sql
        by_id = self._sources_by_element("n", "SELECT n.id " + base, params) if sources else {}
        for nid, key, props in self._db.execute("SELECT n.id, n.key, n.props " + base, params):
            yield key, node_type.decode(orjson.loads(props)), by_id.get(nid, [])

    def _rel_rows(self, rel_type: str, where: Mapping[str, Any], *, sources: bool = True) -> Iterator[RelRow]:
        rtype = self.schema.relationships[rel_type]
        sql, params = self._where_sql(None, None, where, rtype)
        sql = sql.replace("json_extract(props", "json_extract(r.props")
        by_id = (
            self._sources_by_element("r", "SELECT r.id FROM rels r WHERE r.type = ?" + sql, [rel_type, *params])
            if sources
            else {}
        )
        query = (
            "SELECT r.id, s.label, s.key, e.label, e.key, r.props FROM rels r "
            "JOIN nodes s ON s.id = r.start_id JOIN nodes e ON e.id = r.end_id WHERE r.type = ?" + sql
        )
        for rid, sl, sk, el, ek, props in self._db.execute(query, [rel_type, *params]):
            yield sl, sk, el, ek, rtype.decode(orjson.loads(props)), by_id.get(rid, [])

    def _sources_by_element(self, kind: str, id_query: str, params: list) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for elem_id, source in self._db.execute(
            f"SELECT elem_id, source FROM element_sources WHERE kind = ? AND elem_id IN ({id_query})",
            [kind, *params],
        ):
            out.setdefault(elem_id, []).append(source)
        return out

    def _expand(
        self, frontier: list[NodeRef], rel_types: list[str] | None, direction: Direction
    ) -> Iterator[tuple[NodeRef, Hop]]:
        type_sql = ""
        type_params: list[str] = []
        if rel_types is not None:
            if not rel_types:
                return
            type_sql = f" AND r.type IN ({','.join('?' * len(rel_types))})"
            type_params = list(rel_types)
        ids = self._node_ids(self._db.cursor(), frontier)
        by_id = {nid: ref for ref, nid in ids.items()}
        id_list = sorted(by_id)
        sides = {"out": ["start_id"], "in": ["end_id"], "both": ["start_id", "end_id"]}[direction]
        for i in range(0, len(id_list), _CHUNK):
            chunk = id_list[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for side in sides:
                query = (
                    f"SELECT r.{side}, r.type, r.rel_key, s.label, s.key, e.label, e.key FROM rels r "
                    "JOIN nodes s ON s.id = r.start_id JOIN nodes e ON e.id = r.end_id "
                    f"WHERE r.{side} IN ({marks}){type_sql}"
                )
                for nid, rtype, rkey, sl, sk, el, ek in self._db.execute(query, [*chunk, *type_params]):
                    yield by_id[nid], Hop(NodeRef(sl, sk), rtype, NodeRef(el, ek), rkey)

    def _counts(self) -> tuple[dict[str, int], dict[str, int]]:
        nodes = dict(self._db.execute("SELECT label, count(*) FROM nodes GROUP BY label").fetchall())
        rels = dict(self._db.execute("SELECT type, count(*) FROM rels GROUP BY type").fetchall())
        return nodes, rels

    def sources(self) -> list[str]:
        """Every source id that still contributes something."""
        return [s for (s,) in self._db.execute("SELECT DISTINCT source FROM element_sources ORDER BY source")]

    def _clear(self) -> None:
        with self._transaction() as cur:
            cur.execute("DELETE FROM element_sources")
            cur.execute("DELETE FROM rels")
            cur.execute("DELETE FROM nodes")

    def close(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
            self._db = None  # type: ignore[assignment]


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection, workspace: Path):
        self._db = db
        self._workspace = workspace

    def __enter__(self) -> sqlite3.Cursor:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise BackendError(
                f"cannot start a write: {exc} (is another liandong writing to this workspace?)"
            ) from None
        return self._db.cursor()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc2:
                self._rollback()
                raise BackendError(_write_failure("the write could not be committed", exc2, self._workspace)) from None
        else:
            self._rollback()
            if isinstance(exc, sqlite3.OperationalError):
                message = _write_failure("the write failed and was rolled back", exc, self._workspace)
                raise BackendError(message) from None

    def _rollback(self) -> None:
        # After some errors (a full disk, an I/O error) SQLite has already rolled the
        # transaction back itself; a second ROLLBACK would fail and hide the real error.
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")


def _writable(workspace: Path) -> bool:
    """Whether this process may write the workspace folder and its database files."""
    paths = [workspace] + [workspace / (_DB_FILE + suffix) for suffix in ("", "-wal", "-shm")]
    return all(os.access(p, os.W_OK) for p in paths if p.exists())


def _read_only_message(workspace: Path, exc: Exception) -> str:
    return (
        f"the workspace {workspace} is read-only ({exc}): make the folder and its files writable (check their "
        "permissions and whether the disk is mounted read-only), or copy it somewhere writable and pass that "
        "with --workspace"
    )


def _write_failure(what: str, exc: sqlite3.Error, workspace: Path) -> str:
    """A write error with what to do about it; SQLite's own texts for these causes are fixed."""
    text = str(exc)
    if "disk is full" in text:
        return (
            f"{what}: the disk holding the workspace {workspace} is full ({text}); free some space there, then "
            "run the same command again (batches already committed are kept, an interrupted file is redone)"
        )
    if "readonly" in text or "read-only" in text:
        return f"{what}: " + _read_only_message(workspace, exc)
    if "I/O error" in text:
        return (
            f"{what}: the disk holding the workspace {workspace} failed a write ({text}); check the disk and its "
            "free space, then run the same command again"
        )
    return f"{what}: {text}"

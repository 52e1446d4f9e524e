"""Ingest tier exports: recognise each file, validate every row, load or quarantine it, resume after a crash.

Every row read is either loaded or written to the quarantine file with its
file, sheet, row, column, value and reason, so ``rows read = rows loaded +
rows quarantined`` for every file. A file is one source: loading it again
changes nothing, loading a changed version replaces what the old one
contributed, and a load that was cut off (its ``Source`` node is written
last) is started afresh on the next run.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphmodel import EdgeRecord, GraphBackend, LiandongError, NodeRecord, NodeRef

from .mapping import Mapping_, Taxonomy, builtin_mappings, file_vars_for, load_taxonomy
from .procurement import OcdsMapping
from .readers import RawTable, ReadError, find_header, iter_records, read_tables

__all__ = ["Ingester", "IngestReport", "FileReport", "SECRET_KEY_ENV", "secret_key_from_env"]

SECRET_KEY_ENV = "LIANDONG_SECRET_KEY"
WORKERS_ENV = "LIANDONG_INGEST_WORKERS"
_PARALLEL_BYTES = 20 << 20
QUARANTINE_COLUMNS = ["batch", "file", "sheet", "row", "column", "value", "reason"]


def secret_key_from_env() -> bytes | None:
    """The key for hashing resident IDs and petitioners, from ``LIANDONG_SECRET_KEY``."""
    value = os.environ.get(SECRET_KEY_ENV)
    return value.encode("utf-8") if value else None


@dataclass
class FileReport:
    """The accounting for one file (or one sheet of a workbook)."""

    file: str
    sheet: str | None
    format: str | None
    source: str
    status: str = "loaded"  # loaded | replaced | unchanged | refused | unrecognised | error
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    links_unresolved: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # read, map (parse and validate), write

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined


@dataclass
class IngestReport:
    """What one ingest run did, file by file."""

    batch: str
    files: list[FileReport] = field(default_factory=list)
    quarantine_path: Path | None = None
    unresolved_path: Path | None = None

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def problems(self) -> list[FileReport]:
        """Files that were not loaded at all (refused, unrecognised, unreadable)."""
        return [f for f in self.files if f.status in ("refused", "unrecognised", "error")]


@dataclass(frozen=True)
class RecognisedFile:
    """A file (or sheet) whose format a mapping recognised, with its header."""

    path: Path
    sheet: str | None
    mapping: Mapping_
    header: Any
    order: tuple[Any, ...]
    source: str


class Ingester:
    """Loads tier exports into a backend.

    Parameters
    ----------
    backend : GraphBackend
    quarantine_dir : path
        Where ``quarantine.csv`` and ``unresolved_links.csv`` are appended to.
    mappings : list of Mapping_, optional
        The formats to recognise (default: every shipped mapping).
    taxonomy : Taxonomy, optional
        The problem-category tree (default: the shipped one).
    secret_key : bytes, optional
        Key for hashing secret columns (default ``LIANDONG_SECRET_KEY``). A file
        with secret columns is refused without one.
    overrides : dict, optional
        File variables the user states, e.g. ``{"office": "330782"}``, when the
        file name does not carry them.
    batch_size : int
        Records per write transaction.
    progress : callable, optional
        Called with each file's report as soon as the file is done.
    plan : callable, optional
        Called once, before any file is loaded, with the recognised files in
        load order (for a progress bar's total).
    workers : int, optional
        Processes that read and map files ahead of the writer. Default: one
        when the files to load add up to 20 MB or more and there is a second
        core, else none (``LIANDONG_INGEST_WORKERS`` overrides the default).

    Examples
    --------
    >>> report = Ingester(backend, "ws/quarantine").ingest(["exports/"])   # doctest: +SKIP
    >>> [(f.file, f.rows_loaded, f.rows_quarantined) for f in report.files]   # doctest: +SKIP
    """

    def __init__(
        self,
        backend: GraphBackend,
        quarantine_dir: str | Path,
        mappings: Sequence[Mapping_] | None = None,
        taxonomy: Taxonomy | None = None,
        secret_key: bytes | None = None,
        overrides: dict[str, str] | None = None,
        batch_size: int = 10_000,
        progress: Callable[[FileReport], None] | None = None,
        workers: int | None = None,
        plan: Callable[[list[RecognisedFile]], None] | None = None,
    ):
        self.backend = backend
        self.schema = backend.schema
        self.mappings: list[Any] = (
            list(mappings) if mappings is not None else [*builtin_mappings(self.schema), OcdsMapping()]
        )
        self.taxonomy = taxonomy or load_taxonomy()
        self.secret_key = secret_key if secret_key is not None else secret_key_from_env()
        self.overrides = dict(overrides or {})
        self.batch_size = batch_size
        self.quarantine_dir = Path(quarantine_dir)
        self.progress = progress
        self.plan = plan
        env_workers = os.environ.get(WORKERS_ENV)
        self._digests: dict[tuple[Path, str | None], str] = {}
        self.workers = workers if workers is not None else (int(env_workers) if env_workers else None)
        self.batch = "ingest-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")

    # ---------------------------------------------------------------- public
    def ingest(self, paths: Iterable[str | Path]) -> IngestReport:
        """Ingest files and folders (folders recursively), in dependency order."""
        report = IngestReport(self.batch)
        self._load_taxonomy()
        jobs: list[RecognisedFile] = []
        for path in _expand(paths):
            try:
                tables = read_tables(path)
            except ReadError as exc:
                report.files.append(FileReport(str(path), None, None, path.name, "error", str(exc)))
                continue
            for table in tables:
                job = self.recognise(path, table, len(tables) > 1)
                if isinstance(job, FileReport):
                    report.files.append(job)
                else:
                    jobs.append(job)
            del tables
        jobs.sort(key=lambda j: j.order)
        if self.plan:
            self.plan(jobs)
        # Reading and mapping a file does not touch the graph, so worker processes map the next files
        # while this process writes the current one; writes stay in order, one file at a time.
        todo = [j for j in jobs if self._needs_loading(j)]
        workers = self._worker_count(todo)
        # Forked, not spawned: a spawned worker re-imports the caller's main script, which a user's
        # script without a __main__ guard would run again. The workers only read files and map rows.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) if workers else None
        futures: dict[int, Future[MappedFile]] = {}
        ahead = iter(todo)

        def submit_ahead() -> None:
            # A bounded window: mapped files wait in memory until their turn to be written.
            while pool is not None and len(futures) < 2 * workers:
                job = next(ahead, None)
                if job is None:
                    return
                variables, problems = file_vars_for(job.mapping, job.path, self.overrides)
                if problems:
                    continue
                futures[id(job)] = pool.submit(_map_file, self._task(job, variables))

        try:
            for job in jobs:
                submit_ahead()
                file_report = self._ingest_one(job, report, futures.pop(id(job), None))
                report.files.append(file_report)
                if self.progress:
                    self.progress(file_report)
        finally:
            if pool is not None:
                for future in futures.values():
                    future.cancel()
                pool.shutdown(wait=True, cancel_futures=True)
        return report

    def _worker_count(self, todo: list[RecognisedFile]) -> int:
        if self.workers is not None:
            return self.workers
        # Worth a process start only for a sizeable ingest, and only with a second core to run it on.
        size = sum(job.path.stat().st_size for job in {j.path: j for j in todo}.values())
        forks = "fork" in multiprocessing.get_all_start_methods()
        return 1 if forks and size >= _PARALLEL_BYTES and (os.cpu_count() or 1) > 1 else 0

    def _needs_loading(self, job: RecognisedFile) -> bool:
        previous = self.backend.nodes("Source", where={"source_id": job.source})
        return (
            previous.empty or previous.loc[0, "status"] != "complete" or previous.loc[0, "sha256"] != self._digest(job)
        )

    def _digest(self, job: RecognisedFile) -> str:
        key = (job.path, job.sheet)
        if key not in self._digests:
            self._digests[key] = _digest(job.path, job.sheet)
        return self._digests[key]

    def _task(self, job: RecognisedFile, variables: dict[str, Any]) -> _MapTask:
        return _MapTask(
            job.path,
            job.sheet,
            job.header,
            job.mapping,
            self.schema,
            self.taxonomy,
            variables,
            self.secret_key,
            self.batch,
        )

    # -------------------------------------------------------------- internals
    def recognise(self, path: Path, table: RawTable, many_sheets: bool) -> RecognisedFile | FileReport:
        """The best-covering mapping for ``table``, or a report saying no mapping knows it."""
        best = None
        for order, mapping in enumerate(self.mappings):
            optional = sorted({c for f in mapping.fields.values() for c in f.columns})
            header = find_header(table, mapping.required_headers, optional)
            if header is None or not mapping.matches(header.columns):
                continue
            score = mapping.coverage(header.columns)
            if best is None or score > best[0]:
                best = (score, order, mapping, header)
        source = path.name + (f"#{table.sheet}" if many_sheets and table.sheet else "")
        if best is None:
            return FileReport(
                str(path),
                table.sheet,
                None,
                source,
                "unrecognised",
                "no mapping recognises its headers; pass --mapping with one that describes this format",
            )
        _, order, mapping, header = best
        office = _office_rank(path.name)
        return RecognisedFile(path, table.sheet, mapping, header, (order, office, path.name, table.sheet or ""), source)

    def _load_taxonomy(self) -> None:
        records: list[NodeRecord | EdgeRecord] = []
        for code, name, parent in self.taxonomy.categories:
            records.append(NodeRecord("ProblemCategory", code, {"name": name, "level": 1 if parent is None else 2}))
        for code, _name, parent in self.taxonomy.categories:
            if parent:
                records.append(
                    EdgeRecord("SUBCATEGORY_OF", NodeRef("ProblemCategory", code), NodeRef("ProblemCategory", parent))
                )
        digest = hashlib.sha256(repr(self.taxonomy.categories).encode("utf-8")).hexdigest()
        source = "taxonomy"
        previous = self.backend.nodes("Source", where={"source_id": source})
        if not previous.empty and previous.loc[0, "sha256"] == digest:
            return
        if not previous.empty:
            self.backend.retract_source(source)
        marker = NodeRecord(
            "Source", source, {"status": "complete", "sha256": digest, "format": "taxonomy", "batch": self.batch}
        )
        # Small enough for one batch, so the tree and its marker commit together.
        self.backend.write([*records, marker], source=source, batch_size=len(records) + 1)

    def _ingest_one(
        self, job: RecognisedFile, report: IngestReport, pending: Future[MappedFile] | None = None
    ) -> FileReport:
        path, mapping = job.path, job.mapping
        source = job.source
        fr = FileReport(str(path), job.sheet, mapping.name, source)
        digest = self._digest(job)
        previous = self.backend.nodes("Source", where={"source_id": source})
        if not previous.empty and previous.loc[0, "sha256"] == digest and previous.loc[0, "status"] == "complete":
            fr.status = "unchanged"
            fr.rows_read = int(previous.loc[0, "rows_read"] or 0)
            fr.rows_loaded = int(previous.loc[0, "rows_loaded"] or 0)
            fr.rows_quarantined = int(previous.loc[0, "rows_quarantined"] or 0)
            return fr
        variables, problems = file_vars_for(mapping, path, self.overrides)
        if problems:
            fr.status, fr.message = "refused", "; ".join(problems)
            return fr
        secret_columns = sorted(
            {c for f in mapping.fields.values() if f.secret for c in f.columns} & {c for c in job.header.columns if c}
        )
        if mapping.has_secrets and self.secret_key is None and (secret_columns or mapping.each):
            fr.status = "refused"
            fr.message = (
                f"it holds secret data ({', '.join(secret_columns) or 'nested secret fields'}) and no key "
                f"is set to hash it: set {SECRET_KEY_ENV} (keep it the same for every ingest)"
            )
            return fr
        if not previous.empty:
            # A changed file, or a load that was cut off: start this source afresh.
            self.backend.retract_source(source)
            fr.status = "replaced" if previous.loc[0, "status"] == "complete" else "loaded"
        # Marked as loading first, complete last: a crash in between is seen and redone next time.
        self.backend.write(
            [
                NodeRecord(
                    "Source", source, {"status": "loading", "path": str(path), "sha256": digest, "format": mapping.name}
                )
            ],
            source=source,
        )
        mapped = pending.result() if pending is not None else _map_file(self._task(job, variables))
        fr.rows_read, fr.rows_loaded, fr.rows_quarantined = (
            mapped.rows_read,
            mapped.rows_loaded,
            mapped.rows_quarantined,
        )
        fr.seconds["read"], fr.seconds["map"] = mapped.read_seconds, mapped.map_seconds
        clock = time.perf_counter()
        quarantine = mapped.quarantine
        origin: dict[int, int] = {}
        with self.backend.writer(source, batch_size=self.batch_size) as writer:
            for record, row_number in zip(mapped.records, mapped.rows, strict=True):
                if isinstance(record, NodeRecord):
                    writer.add_node(record)
                else:
                    origin[id(record)] = row_number
                    writer.add_edge(record)
        fr.seconds["write"] = time.perf_counter() - clock
        table_sheet = job.sheet
        unresolved = [
            [
                self.batch,
                path.name,
                table_sheet or "",
                origin.get(id(e), ""),
                e.type,
                f"{e.start} -> {e.end}",
                "link target not found (load the file that defines it first)",
            ]
            for e in writer.report.unresolved
        ]
        fr.links_unresolved = len(unresolved)
        if quarantine:
            report.quarantine_path = self._append("quarantine.csv", quarantine)
        if unresolved:
            report.unresolved_path = self._append("unresolved_links.csv", unresolved)
        # Written last: "complete" with this digest marks the file as completely loaded.
        self.backend.write(
            [
                NodeRecord(
                    "Source",
                    source,
                    {
                        "status": "complete",
                        "path": str(path),
                        "sheet": table_sheet,
                        "sha256": digest,
                        "format": mapping.name,
                        "office": str(variables.get("office") or ""),
                        "tier": variables.get("office_tier"),
                        "ingested_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
                        "batch": self.batch,
                        "rows_read": fr.rows_read,
                        "rows_loaded": fr.rows_loaded,
                        "rows_quarantined": fr.rows_quarantined,
                    },
                )
            ],
            source=source,
        )
        return fr

    def _append(self, name: str, rows: list[list[Any]]) -> Path:
        path = self.quarantine_dir / name
        new, size = True, 0
        try:
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            new = not path.exists()
            size = 0 if new else path.stat().st_size
            with open(path, "a", encoding="utf-8-sig" if new else "utf-8", newline="") as fh:
                out = csv.writer(fh)
                if new:
                    out.writerow(QUARANTINE_COLUMNS)
                out.writerows(rows)
        except OSError as exc:
            # No half-written row stays behind: the file is cut back to where this append began.
            # The file's Source is not marked complete yet, so the next run redoes it.
            with contextlib.suppress(OSError):
                if new:
                    path.unlink(missing_ok=True)
                else:
                    os.truncate(path, size)
            raise LiandongError(
                f"cannot write {path}: {exc.strerror or exc}; free some space there or pass --quarantine with "
                "another folder, then run the same command again (what was loaded is kept; this file is redone)"
            ) from None
        return path


@dataclass(frozen=True)
class _MapTask:
    """What reading and mapping one file needs (picklable: it may run in a worker process)."""

    path: Path
    sheet: str | None
    header: Any
    mapping: Any
    schema: Any
    taxonomy: Taxonomy
    variables: dict[str, Any]
    secret_key: bytes | None
    batch: str


@dataclass
class MappedFile:
    """One file read and mapped: its records in write order, each with the row it came from."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    records: list[NodeRecord | EdgeRecord] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    quarantine: list[list[Any]] = field(default_factory=list)
    read_seconds: float = 0.0
    map_seconds: float = 0.0


def _map_file(task: _MapTask) -> MappedFile:
    out = MappedFile()
    clock = time.perf_counter()
    # Files are read again here rather than kept from recognition, so memory holds one file at a time.
    table = next(t for t in read_tables(task.path) if t.sheet == task.sheet)
    out.read_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    mapper = task.mapping.mapper(task.schema, task.taxonomy, task.variables, task.secret_key, mentions=False)
    written: set[tuple] = set()
    for row_number, raw in iter_records(table, task.header):
        out.rows_read += 1
        result = mapper.apply(raw)
        if not result.problems:
            # Text no backend can index (a key or an indexed name of kilobytes) is the row's problem, not the file's.
            result.problems = [
                (f"{r.label}.{name}", value, f"{len(value.encode()):,} bytes of text, too long to index")
                for r in result.records
                if isinstance(r, NodeRecord)
                for name, value in task.schema.nodes[r.label].too_large_to_index(r)
            ]
        if result.problems:
            out.rows_quarantined += 1
            for column, value, reason in result.problems:
                out.quarantine.append(
                    [task.batch, task.path.name, task.sheet or "", row_number, column, _show(value), reason]
                )
            continue
        for record in result.records:
            # Rows repeat their context (the round, tour and team of every finding): a record identical
            # to one already taken from this file adds nothing. (Properties in the order the mapping gives
            # them: the same spec gives the same order.)
            if isinstance(record, NodeRecord):
                fingerprint: tuple = ("n", record.label, record.key, tuple(record.props.items()), record.fill)
            else:
                fingerprint = (
                    "r",
                    record.type,
                    record.start.label,
                    record.start.key,
                    record.end.label,
                    record.end.key,
                    tuple(record.props.items()),
                )
            if fingerprint in written:
                continue
            written.add(fingerprint)
            out.records.append(record)
            out.rows.append(row_number)
        out.rows_loaded += 1
    out.map_seconds = time.perf_counter() - clock
    return out


def _office_rank(name: str) -> tuple[int, str]:
    # Province before city before county, so relays and links find what they point at.
    m = re.search(r"(\d{6})", name)
    if not m:
        return (3, "")
    code = m.group(1)
    return (0 if code.endswith("0000") else 1 if code.endswith("00") else 2, code)


def _digest(path: Path, sheet: str | None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    if sheet:
        h.update(sheet.encode("utf-8"))
    return h.hexdigest()


def _show(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(
                sorted(
                    q
                    for q in path.rglob("*")
                    if q.is_file()
                    and not q.name.startswith((".", "~$"))
                    and q.name not in ("truth.json", "truth_entities.csv")
                )
            )
        elif path.exists():
            out.append(path)
        else:
            raise LiandongError(f"no such file or folder: {path}")
    return out

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
import gc
import gzip
import hashlib
import json
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphmodel import EdgeRecord, GraphBackend, LiandongError, NodeRecord

from .mapping import OFFICE_VARS, Mapping_, builtin_mappings, file_vars_for
from .procurement import OcdsMapping
from .quality import FieldQuality, write_quality_csv
from .readers import RawTable, ReadError, find_header, iter_records, read_tables
from .taxonomy import SOURCE_ID as TAXONOMY_SOURCE
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["Ingester", "IngestReport", "FileReport", "SECRET_KEY_ENV", "secret_key_from_env"]

SECRET_KEY_ENV = "LIANDONG_SECRET_KEY"
WORKERS_ENV = "LIANDONG_INGEST_WORKERS"
_PARALLEL_BYTES = 20 << 20
QUARANTINE_COLUMNS = ["batch", "file", "sheet", "row", "column", "value", "reason"]
RECORD_ROWS_FILE = "record_rows.csv.gz"
RECORD_ROWS_COLUMNS = ["batch", "source", "file", "sheet", "row", "label", "key", "name"]
RESOLVED_LABELS = ("Organisation", "Person", "Company")


def read_record_rows(folder: str | Path) -> Any:
    """The rows that wrote each record (label, key, file, sheet, row, name as written), as of each file's
    latest ingest: a file ingested again replaces its earlier lines."""
    import pandas as pd

    path = Path(folder) / RECORD_ROWS_FILE
    if not path.exists():
        return pd.DataFrame(columns=RECORD_ROWS_COLUMNS)
    # Each ingested file appends one gzip member; reading takes them all.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", compression="gzip")
    latest = frame.groupby("source")["batch"].transform("max")
    frame = frame[frame["batch"] == latest]
    return frame.drop_duplicates(["source", "sheet", "row", "label", "key"], keep="last").reset_index(drop=True)


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
    status: str = "loaded"  # loaded | replaced | reloaded | unchanged | refused | unrecognised | error
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    links_unresolved: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # read, map (parse and validate), write
    warnings: list[str] = field(default_factory=list)
    quality: list[FieldQuality] = field(default_factory=list)  # per field, for the files loaded in this run
    mapping_path: str | None = None

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
    quality_path: Path | None = None

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def problems(self) -> list[FileReport]:
        """Files that were not loaded at all (refused, unrecognised, unreadable)."""
        return [f for f in self.files if f.status in ("refused", "unrecognised", "error")]

    @property
    def links_unresolved(self) -> int:
        return sum(f.links_unresolved for f in self.files)

    @property
    def exit_code(self) -> int:
        """0 all loaded; 3 rows quarantined or links left unresolved; 1 a file not loaded at all."""
        if self.problems:
            return 1
        return 3 if self.rows_quarantined or self.links_unresolved else 0


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
        A user's own formats, recognised before the shipped ones (a file both could read is read with the
        user's).
    taxonomy : Taxonomy, optional
        An office's problem categories and sector systems. The workspace keeps the taxonomy it was first
        loaded with (the shipped one when none is given); this one is added to it, and a conflicting
        redefinition is refused (:class:`~ingest.taxonomy.TaxonomyError`).
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
    force : bool
        Load every file again, even those loaded before with the same content, mapping and taxonomy.
    builtin : bool
        Recognise the shipped formats too (default); ``False`` keeps to ``mappings``.
    quality_path : path, optional
        Where the data-quality table goes (default ``quarantine_dir/quality.csv``): per file and field, the
        share of empty and of invalid values and the values not recognised (:mod:`ingest.quality`).
    codelists : mapping, optional
        OCDS: per codelist (``tender_status``, ``bid_status`` …), the publisher's values and the OCDS value each
        stands for (see :func:`ingest.ocds.load_codelists`).

    Notes
    -----
    Loading does not depend on the order of files: a relationship whose end node no file loaded so far
    defines waits until every file of the run is written, and is tried again then; only what still finds
    no end node is reported (``unresolved_links.csv``, exit status 3). A file is marked complete only after
    that, so a crash in between redoes it. A file loaded with a different mapping or taxonomy than before
    is loaded again (its earlier records retracted first).

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
        force: bool = False,
        builtin: bool = True,
        quality_path: str | Path | None = None,
        codelists: Mapping[str, Mapping[str, str]] | None = None,
    ):
        self.backend = backend
        self.schema = backend.schema
        shipped: list[Any] = [*builtin_mappings(self.schema), OcdsMapping(codelists)] if builtin else []
        self.mappings: list[Any] = [*(mappings or []), *shipped]
        self.given_taxonomy = taxonomy
        self.taxonomy: Taxonomy = taxonomy or load_taxonomy()  # the workspace's, once ingest() has read it
        self.secret_key = secret_key if secret_key is not None else secret_key_from_env()
        self.overrides = dict(overrides or {})
        self.batch_size = batch_size
        self.quarantine_dir = Path(quarantine_dir)
        self.progress = progress
        self.plan = plan
        self.force = force
        self.quality_path = Path(quality_path) if quality_path else self.quarantine_dir / "quality.csv"
        env_workers = os.environ.get(WORKERS_ENV)
        self._digests: dict[tuple[Path, str | None], str] = {}
        self._recipes: dict[tuple[Path, str | None, int], str] = {}
        self._reload: set[str] = set()
        self._pending: list[_PendingLinks] = []
        self.workers = workers if workers is not None else (int(env_workers) if env_workers else None)
        self.batch = "ingest-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")

    # ---------------------------------------------------------------- public
    def ingest(self, paths: Iterable[str | Path]) -> IngestReport:
        """Ingest files and folders (folders recursively); the result does not depend on their order."""
        report = IngestReport(self.batch)
        # Files and the taxonomy may have changed since an earlier run of this Ingester.
        self._digests.clear()
        self._recipes.clear()
        self._load_taxonomy(report)
        jobs: list[RecognisedFile] = []
        for path in _expand(paths):
            try:
                tables = read_tables(path, preview=True)
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
        todo = [j for j in jobs if self._needs_loading(j)]
        if todo:
            # Links a source could not resolve before may find their end nodes among what this run adds.
            loading = {id(j) for j in todo}
            waiting = [j for j in jobs if id(j) not in loading and self._has_unresolved(j)]
            self._reload.update(j.source for j in waiting)
            chosen = {id(j) for j in todo}
            todo = [j for j in jobs if id(j) in chosen or j.source in self._reload]
        # Reading and mapping a file does not touch the graph, so worker processes map the next files
        # while this process writes the current one; writes stay in order, one file at a time.
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
        self._finish_pending(report)
        loaded = [f for f in report.files if f.quality]
        if loaded:
            report.quality_path = write_quality_csv(
                self.quality_path,
                [(self.batch, Path(f.file).name, f.sheet, f.format, q) for f in loaded for q in f.quality],
            )
        return report

    def _worker_count(self, todo: list[RecognisedFile]) -> int:
        if self.workers is not None:
            return self.workers
        # Worth a process start only for a sizeable ingest of two files or more (one file would only be
        # mapped there and its records sent back), and only with a second core to run it on.
        files = {j.path: j for j in todo}
        if len(files) < 2:
            return 0
        size = sum(job.path.stat().st_size for job in files.values())
        forks = "fork" in multiprocessing.get_all_start_methods()
        return 1 if forks and size >= _PARALLEL_BYTES and (os.cpu_count() or 1) > 1 else 0

    def _previous(self, job: RecognisedFile) -> Any:
        return self.backend.nodes("Source", where={"source_id": job.source})

    def _needs_loading(self, job: RecognisedFile) -> bool:
        previous = self._previous(job)
        return self.force or previous.empty or not self._same(previous.iloc[0], job)

    def _same(self, previous: Any, job: RecognisedFile) -> bool:
        """Loaded completely before, from the same bytes with the same mapping, taxonomy and file variables."""
        return (
            previous.get("status") == "complete"
            and previous.get("sha256") == self._digest(job)
            and previous.get("recipe_sha256") == self._recipe(job)
        )

    def _has_unresolved(self, job: RecognisedFile) -> bool:
        previous = self._previous(job)
        return not previous.empty and int(_number(previous.iloc[0].get("links_unresolved"))) > 0

    def _digest(self, job: RecognisedFile) -> str:
        key = (job.path, job.sheet)
        if key not in self._digests:
            self._digests[key] = _digest(job.path, job.sheet)
        return self._digests[key]

    def _recipe(self, job: RecognisedFile) -> str:
        """A digest of how the file is read: its mapping, the taxonomy where the mapping looks words up in
        it, and the file variables (a changed one loads the file again). Worked out once per file and run."""
        key = (job.path, job.sheet, id(job.mapping))
        if key not in self._recipes:
            self._recipes[key] = self._work_out_recipe(job)
        return self._recipes[key]

    def _work_out_recipe(self, job: RecognisedFile) -> str:
        mapping = job.mapping
        variables, _ = file_vars_for(mapping, job.path, self.overrides)
        uses_taxonomy = any(
            f.parser in ("category", "system") for fields in _all_fields(mapping) for f in fields.values()
        )
        parts = [
            getattr(mapping, "digest", "") or getattr(mapping, "name", ""),
            self.taxonomy.digest() if uses_taxonomy else "",
            repr(sorted((k, str(v)) for k, v in variables.items())),
        ]
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()

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
        """The mapping for ``table`` (a user's own before the shipped ones; among those, the one whose fields
        cover most columns), or a report saying no mapping knows it and which came closest."""
        best = None
        near: list[tuple[int, Any, list[str]]] = []
        for order, mapping in enumerate(self.mappings):
            optional = sorted({c for fields in _all_fields(mapping) for f in fields.values() for c in f.columns})
            header = find_header(table, mapping.required_headers, optional)
            if header is None or not mapping.matches(header.columns):
                if not getattr(mapping, "builtin", True):
                    near.append((order, mapping, _lacking(table, mapping)))
                continue
            score = (not getattr(mapping, "builtin", True), mapping.coverage(header.columns))
            if best is None or score > best[0]:
                best = (score, order, mapping, header)
        source = path.name + (f"#{table.sheet}" if many_sheets and table.sheet else "")
        if best is None:
            message = "no mapping recognises its headers; pass --mapping with one that describes this format"
            if near:
                _, mapping, lacking = min(near, key=lambda n: (len(n[2]), n[0]))
                message = (
                    f"no mapping recognises its headers; the nearest of yours, {Path(mapping.path).name}, needs "
                    f"the column(s) {', '.join(lacking)}, which the file lacks (it has: {_columns_of(table)})"
                )
            return FileReport(str(path), table.sheet, None, source, "unrecognised", message)
        _, order, mapping, header = best
        office = _office_rank(path.name)
        return RecognisedFile(path, table.sheet, mapping, header, (order, office, path.name, table.sheet or ""), source)

    def _load_taxonomy(self, report: IngestReport) -> None:
        """Settle the taxonomy of this run: the workspace's, plus what the user gives; store it if it grew."""
        stored = Taxonomy.from_backend(self.backend)
        if stored is None:
            taxonomy = self.given_taxonomy or load_taxonomy()
        else:
            taxonomy = stored.merge(self.given_taxonomy) if self.given_taxonomy else stored
        self.taxonomy = taxonomy
        previous = self.backend.nodes("Source", where={"source_id": TAXONOMY_SOURCE})
        document = json.dumps(taxonomy.document(with_origin=True), ensure_ascii=False, sort_keys=True)
        if not previous.empty and previous.iloc[0].get("document") == document:
            return
        detached: list[tuple[EdgeRecord, tuple[str, ...]]] = []
        if not previous.empty:
            # Findings and leads point at the categories (IN_CATEGORY): those links are kept, see _restore.
            detached = self.backend.detached_by(TAXONOMY_SOURCE)
            self._mark_sources({s for _, others in detached for s in others}, "loading")
            self.backend.retract_source(TAXONOMY_SOURCE)
        marker = NodeRecord(
            "Source",
            TAXONOMY_SOURCE,
            {
                "status": "complete",
                "sha256": taxonomy.digest(),
                "format": "taxonomy",
                "batch": self.batch,
                "document": document,
            },
        )
        records = taxonomy.records()
        # Small enough for one batch, so the tree and its marker commit together.
        self.backend.write([*records, marker], source=TAXONOMY_SOURCE, batch_size=len(records) + 1)
        if detached:
            self._restore(detached, TAXONOMY_SOURCE, report)

    def _ingest_one(
        self, job: RecognisedFile, report: IngestReport, pending: Future[MappedFile] | None = None
    ) -> FileReport:
        path, mapping = job.path, job.mapping
        source = job.source
        fr = FileReport(str(path), job.sheet, mapping.name, source)
        fr.mapping_path = str(getattr(mapping, "path", "") or "") or None
        missing, absent = _missing_columns(mapping, job.header.columns)
        fr.warnings = absent
        if missing:
            fr.status = "refused"
            fr.message = "; ".join(missing)
            return fr
        digest = self._digest(job)
        previous = self._previous(job)
        if not previous.empty and not self.force and source not in self._reload and self._same(previous.iloc[0], job):
            row = previous.iloc[0]
            fr.status = "unchanged"
            fr.rows_read = int(_number(row.get("rows_read")))
            fr.rows_loaded = int(_number(row.get("rows_loaded")))
            fr.rows_quarantined = int(_number(row.get("rows_quarantined")))
            fr.links_unresolved = int(_number(row.get("links_unresolved")))
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
        try:
            # Mapped before anything is retracted: a file found damaged past the part read to recognise it
            # (a bad line deep in a JSON Lines file) is refused, and its earlier version stays loaded.
            mapped = pending.result() if pending is not None else _map_file(self._task(job, variables))
        except ReadError as exc:
            fr.status, fr.message = "error", str(exc)
            return fr
        recipe = self._recipe(job)
        detached: list[tuple[EdgeRecord, tuple[str, ...]]] = []
        if not previous.empty:
            # A changed file or mapping, or a load that was cut off: start this source afresh. Other files'
            # links to the nodes only this one asserted would go with them: they are written again below.
            detached = self.backend.detached_by(source)
            self._mark_sources({s for _, others in detached for s in others}, "loading")
            self.backend.retract_source(source)
            row = previous.iloc[0]
            if row.get("status") != "complete":
                fr.status = "loaded"
            elif row.get("sha256") != digest:
                fr.status = "replaced"
            else:
                fr.status = "reloaded"
                fr.message = (
                    "loaded again: --force"
                    if self.force
                    else "loaded again: its mapping, the taxonomy or the file variables changed"
                    if row.get("recipe_sha256") != recipe
                    else "loaded again: links it could not resolve before may resolve now"
                )
        # Marked as loading first, complete last: a crash in between is seen and redone next time.
        self.backend.write(
            [
                NodeRecord(
                    "Source", source, {"status": "loading", "path": str(path), "sha256": digest, "format": mapping.name}
                )
            ],
            source=source,
        )
        fr.rows_read, fr.rows_loaded, fr.rows_quarantined = (
            mapped.rows_read,
            mapped.rows_loaded,
            mapped.rows_quarantined,
        )
        fr.quality = mapped.quality
        fr.seconds["read"], fr.seconds["map"] = mapped.read_seconds, mapped.map_seconds
        clock = time.perf_counter()
        quarantine = mapped.quarantine
        origin: dict[int, int] = {}
        written: list[list[Any]] = []
        with self.backend.writer(source, batch_size=self.batch_size) as writer:
            for record, row_number in zip(mapped.records, mapped.rows, strict=True):
                if isinstance(record, NodeRecord):
                    writer.add_node(record)
                    if record.label in RESOLVED_LABELS:
                        name = record.props.get("name")
                        written.append(
                            [
                                self.batch,
                                source,
                                job.path.name,
                                job.sheet or "",
                                row_number,
                                record.label,
                                record.key,
                                name or "",
                            ]
                        )
                else:
                    origin[id(record)] = row_number
                    writer.add_edge(record)
        if written:
            # Every spelling of a record's name stays on the node (the last file's no longer replaces the
            # others'), and which row of which file wrote each record, with the name as written there:
            # what 'entities clusters' lists, one line per source row.
            spellings: dict[str, dict[str, list[str]]] = {}
            for _batch, _source, _file, _sheet, _row, label, key, name in written:
                if name:
                    spellings.setdefault(label, {}).setdefault(key, []).append(str(name))
            for label, values in spellings.items():
                self.backend.append_to_lists(label, "aliases", values)
            self._append_rows(written)
        if detached:
            self._restore(detached, source, report)
        fr.seconds["write"] = time.perf_counter() - clock
        if quarantine:
            report.quarantine_path = self._append("quarantine.csv", quarantine)
        waiting = [(e, origin.get(id(e), "")) for e in writer.report.unresolved]
        done = _PendingLinks(job, fr, variables, digest, recipe, waiting)
        if done.edges:
            # Their end nodes may come from a file later in this run: tried again once all are written.
            self._pending.append(done)
        else:
            self._complete(done, report)
        return fr

    def _mark_sources(self, sources: set[str], status: str) -> None:
        """Mark other files' sources (while their links are taken away and written again: a crash in between
        leaves them 'loading', so the next ingest of those files loads them again)."""
        for s in sorted(sources):
            # Attributed to the file's own source, as the rest of its Source node is.
            self.backend.update_nodes("Source", {s: {"status": status}}, source=s)

    def _restore(self, detached: list[tuple[EdgeRecord, tuple[str, ...]]], replaced: str, report: IngestReport) -> None:
        """Write again the links other files made to a replaced file's nodes; those whose end the new version
        no longer has are reported for the file that made them."""
        by_source: dict[str, list[EdgeRecord]] = {}
        for edge, others in detached:
            for other in others:
                by_source.setdefault(other, []).append(edge)
        for other, edges in sorted(by_source.items()):
            with self.backend.writer(other, batch_size=self.batch_size) as writer:
                for edge in edges:
                    writer.add_edge(edge)
            lost = writer.report.unresolved
            previous = self.backend.nodes("Source", where={"source_id": other})
            if lost and not previous.empty:
                row = previous.iloc[0]
                count = int(_number(row.get("links_unresolved"))) + len(lost)
                self.backend.update_nodes("Source", {other: {"links_unresolved": count}}, source=other)
                report.unresolved_path = self._append(
                    "unresolved_links.csv",
                    [
                        [
                            self.batch,
                            Path(str(row.get("path") or other)).name,
                            row.get("sheet") or "",
                            "",
                            e.type,
                            f"{e.start} -> {e.end}",
                            f"the new version of {replaced} no longer has the end node",
                        ]
                        for e in lost
                    ],
                )
        self._mark_sources(set(by_source), "complete")

    def _finish_pending(self, report: IngestReport) -> None:
        """Try the links that waited for the rest of the run, report what still finds no end node, and mark
        those files complete."""
        pending, self._pending = self._pending, []
        for item in pending:
            with self.backend.writer(item.job.source, batch_size=self.batch_size) as writer:
                for edge, _row in item.edges:
                    writer.add_edge(edge)
            still = {id(e) for e in writer.report.unresolved}
            item.edges = [(e, row) for e, row in item.edges if id(e) in still]
            self._complete(item, report)

    def _complete(self, item: _PendingLinks, report: IngestReport) -> None:
        fr, job = item.report, item.job
        unresolved = [
            [
                self.batch,
                job.path.name,
                job.sheet or "",
                row,
                e.type,
                f"{e.start} -> {e.end}",
                "no file loaded so far defines the end node (load the file that does; this file's links are "
                "tried again on the next ingest that adds anything)",
            ]
            for e, row in item.edges
        ]
        fr.links_unresolved = len(unresolved)
        if unresolved:
            report.unresolved_path = self._append("unresolved_links.csv", unresolved)
        # Written last: "complete" with this digest marks the file as completely loaded.
        self.backend.write(
            [
                NodeRecord(
                    "Source",
                    job.source,
                    {
                        "status": "complete",
                        "path": str(job.path),
                        "sheet": job.sheet,
                        "sha256": item.digest,
                        "recipe_sha256": item.recipe,
                        "format": job.mapping.name,
                        "office": str(item.variables.get("office") or ""),
                        "tier": item.variables.get("office_tier"),
                        "ingested_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
                        "batch": self.batch,
                        "rows_read": fr.rows_read,
                        "rows_loaded": fr.rows_loaded,
                        "rows_quarantined": fr.rows_quarantined,
                        "links_unresolved": fr.links_unresolved,
                    },
                )
            ],
            source=job.source,
        )

    def _append_rows(self, rows: list[list[Any]]) -> None:
        self._append(RECORD_ROWS_FILE, rows, RECORD_ROWS_COLUMNS, bom=False)

    def _append(
        self, name: str, rows: list[list[Any]], header: list[str] = QUARANTINE_COLUMNS, bom: bool = True
    ) -> Path:
        path = self.quarantine_dir / name
        new, size = True, 0
        try:
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            new = not path.exists()
            size = 0 if new else path.stat().st_size
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "at", encoding="utf-8-sig" if new and bom else "utf-8", newline="") as fh:
                out = csv.writer(fh)
                if new:
                    out.writerow(header)
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


@dataclass
class _PendingLinks:
    """A file written but for links whose end nodes were missing when it was."""

    job: RecognisedFile
    report: FileReport
    variables: dict[str, Any]
    digest: str
    recipe: str
    edges: list[tuple[EdgeRecord, Any]]


def _all_fields(mapping: Any) -> list[Any]:
    """A mapping's field tables: its own and those of its nested ``each`` blocks."""
    out = [getattr(mapping, "fields", {}) or {}]
    stack = list(getattr(mapping, "each", ()) or ())
    while stack:
        e = stack.pop()
        out.append(e.fields)
        stack.extend(e.each)
    return out


def _missing_columns(mapping: Any, columns: Sequence[str | None]) -> tuple[list[str], list[str]]:
    """The columns a mapping reads that a file lacks: (errors for required fields, warnings for others)."""
    if not isinstance(mapping, Mapping_):
        return [], []  # OCDS is read by code that knows which parts a release may leave out
    present = {c for c in columns if c}
    fields = mapping.fields
    errors: list[str] = []
    warnings: list[str] = []
    where = Path(str(getattr(mapping, "path", "") or mapping.name)).name
    variables = {*mapping.file_vars, *OFFICE_VARS}
    for spec in fields.values():
        needed = [c for c in spec.needed_columns if c not in fields and c not in variables]
        if spec.template is not None:
            lacking = [c for c in needed if c not in present]
        else:
            lacking = needed if needed and not (present & set(needed)) else []
        if not lacking:
            continue
        text = f"the mapping {where} reads column {' / '.join(lacking)} (field {spec.name}), which this file lacks"
        (errors if spec.required else warnings).append(text)
    for e in getattr(mapping, "each", ()) or ():
        if e.split and not (present & set(e.split)):
            warnings.append(f"the mapping {where} splits column {' / '.join(e.split)}, which this file lacks")
    if errors:
        errors.append(f"the file's columns are: {', '.join(sorted(present))}")
    return errors, warnings


def _lacking(table: RawTable, mapping: Any) -> list[str]:
    present = set(_header_cells(table))
    needed = list(mapping.required_headers) + [g[0] for g in mapping.one_of if not present & set(g)]
    return [c for c in needed if c not in present]


def _header_cells(table: RawTable) -> list[str]:
    cells: list[str] = []
    for _, row in table.rows[:12]:
        for c in row:
            if isinstance(c, dict):
                cells.extend(str(k) for k in c)
            elif c is not None and str(c).strip():
                cells.append(str(c).strip())
    return cells


def _columns_of(table: RawTable) -> str:
    cells = list(dict.fromkeys(_header_cells(table)))[:15]
    return ", ".join(cells) + (" …" if len(cells) == 15 else "")


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if number != number else number


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
    quality: list[FieldQuality] = field(default_factory=list)
    read_seconds: float = 0.0
    map_seconds: float = 0.0


def _map_file(task: _MapTask, table: RawTable | None = None) -> MappedFile:
    out = MappedFile()
    clock = time.perf_counter()
    # Files are read again here rather than kept from recognition, so memory holds one file at a time.
    if table is None:
        table = next(t for t in read_tables(task.path) if t.sheet == task.sheet)
    out.read_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    # The file's cells are read and stay as they are while it is mapped: keep the collector from walking
    # them again on every full collection (a third of the mapping time on a large JSON file).
    gc.freeze()
    try:
        _map_rows(task, table, out)
    finally:
        gc.unfreeze()
    out.map_seconds = time.perf_counter() - clock
    return out


def _map_rows(task: _MapTask, table: RawTable, out: MappedFile) -> None:
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
    out.quality = list(getattr(mapper, "quality", {}).values())


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

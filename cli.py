"""liandong's command line: a thin click layer over the library.

Each command parses its options, calls one library function and formats the
result. Library errors become messages a person can act on, never tracebacks.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
import unicodedata
from functools import update_wrapper
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from analytics.terms import say, term
from graphmodel import DEFAULT_WORKSPACE, LiandongError, load_schema

if TYPE_CHECKING:
    from graphmodel import GraphBackend
    from ingest import LoadReport
    from ingest.generator.hard import Difficulty


class _Group(click.Group):
    """A group that turns liandong's errors into one-line messages and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except LiandongError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            from analytics.terms import say

            click.echo(say("cli.interrupted"), err=True)
            sys.exit(130)


class _State:
    def __init__(
        self, workspace: str, neo4j_uri: str | None, user: str | None, password: str | None, database: str | None
    ):
        self.workspace = workspace
        self.neo4j_uri = neo4j_uri
        self.user = user
        self.password = password
        self.database = database
        self._backend: GraphBackend | None = None

    def backend(self, *, create: bool = False) -> GraphBackend:
        if self._backend is None:
            demo = Path("liandong-demo") / "workspace"
            if (
                not create
                and not self.neo4j_uri
                and self.workspace == DEFAULT_WORKSPACE
                and not Path(self.workspace).exists()
                and demo.is_dir()
            ):
                from analytics.terms import say

                raise click.ClickException(say("workspace.missing_demo", workspace=self.workspace, demo=demo))
            from graphmodel import open_backend

            self._backend = open_backend(
                self.workspace,
                neo4j_uri=self.neo4j_uri,
                neo4j_user=self.user,
                neo4j_password=self.password,
                neo4j_database=self.database,
                create=create,
            )
            if self.neo4j_uri and not os.environ.get("LIANDONG_AUDIT_LOG"):
                # The library's events go where the command's own line goes.
                self._backend.audit_log = Path(self.workspace) / "audit.log"
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


def _pass_state(f):
    @click.pass_context
    def wrapper(ctx: click.Context, *args, **kwargs):
        return ctx.invoke(f, ctx.find_object(_State), *args, **kwargs)

    return update_wrapper(wrapper, f)


def _json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def _scope_option(f):
    return click.option(
        "--scope",
        help="Only this jurisdiction and below: a 6-digit region code (330102 a county, 330100 a city, 330000 a "
        "province).",
    )(f)


def _reuse_options(f):
    f = click.option(
        "--rerun",
        is_flag=True,
        help="Run the detectors now even where results 'liandong analyze' wrote would do.",
    )(f)
    return click.option(
        "--results",
        type=click.Path(file_okay=False),
        help="Where 'liandong analyze' wrote its results (default: WORKSPACE/analyses). They are used when they "
        "were computed on this very graph with the same scope and parameters; otherwise the detectors run now.",
    )(f)


def _detector_results(
    state: _State,
    view: Any,
    names: list[str],
    results: str | None,
    rerun: bool,
    *,
    as_of: str | None = None,
    reveal_secrets: bool = False,
    quiet: bool = False,
) -> tuple[dict[str, Any], dict[str, str]]:
    """What the detectors found, from 'liandong analyze''s folder where that fits this request, else run now;
    and, for each detector run now, why its written result could not be used."""
    from analytics import reuse_results, run_detectors

    found: dict[str, Any] = {}
    reasons: dict[str, str] = {n: "--rerun" for n in names}
    if not rerun:
        folder = _analyses_folder(state, results)
        found, reasons = reuse_results(view, folder, names, as_of=as_of, reveal_secrets=reveal_secrets)
        if found and not quiet:
            click.echo(say("cli.reusing", folder=folder, names=_titles(found)), err=True)
    todo = [n for n in names if n not in found]
    if todo:
        if not quiet:
            why = sorted(set(reasons[n] for n in todo))
            click.echo(say("cli.running", names=_titles(todo), why="；".join(why)), err=True)
        # A failure is kept as that detector's result: the export is written with it noted, then reported.
        found.update(run_detectors(view, todo, as_of=as_of, reveal_secrets=reveal_secrets, errors="keep"))
    return {n: found[n] for n in names}, {n: reasons[n] for n in todo}


def _titles(names: Any) -> str:
    """Detectors as a reader knows them, with the name to type: 围标串标（bid-rings）、反弹回潮（recurrence）."""
    return "、".join(f"{term(f'detector.{n}', default=n)}（{n}）" for n in names)


def _reuse_json(found: dict[str, Any], ran: dict[str, str]) -> dict[str, Any]:
    return {
        "reused": [n for n in found if n not in ran],
        "ran": ran,
        "skipped": {n: r.skipped for n, r in found.items() if r.status == "skipped"},
        "failed": {n: r.failed for n, r in found.items() if r.status == "failed"},
    }


def _exported(
    path: Path, found: dict[str, Any], ran: dict[str, str], as_json: bool, summary: str, fields: dict[str, Any]
) -> None:
    """Say what an export wrote and which detectors it lacks (skipped: inputs absent; failed); exit 1 on a failure."""
    from analytics import outcome_line

    if as_json:
        click.echo(json.dumps({"file": str(path), **fields, **_reuse_json(found, ran)}, ensure_ascii=False))
    else:
        for result in found.values():
            if result.status != "ran":
                click.echo(outcome_line(result), err=True)
        click.echo(say("cli.wrote", path=path) + (say("cli.wrote_summary", summary=summary) if summary else ""))
    failed = [n for n, r in found.items() if r.status == "failed"]
    if failed:
        raise click.ClickException(say("cli.export_failed", path=path, names=_titles(failed)))


def _taxonomy_option(more: str):
    return click.option(
        "--taxonomy",
        "taxonomy_files",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False),
        help="Your office's problem categories and sector systems (YAML shaped like ingest/mappings/taxonomy.yaml; "
        "repeatable). " + more,
    )


def _file_var_options(f):
    f = click.option(
        "--file-var",
        "file_vars",
        multiple=True,
        metavar="NAME=VALUE",
        help="A file variable a mapping uses, for files whose names do not carry it, e.g. "
        "--file-var department=纪委监委 (repeatable).",
    )(f)
    return click.option(
        "--office", help="GB/T 2260 code of the exporting office, when the file names do not carry it."
    )(f)


def _overrides(file_vars: tuple[str, ...], office: str | None) -> dict[str, str]:
    out = {}
    for item in file_vars:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--file-var")
        out[name.strip()] = value.strip()
    if office:
        out["office"] = office
    return out


def _secrets_option(f):
    return click.option(
        "--reveal-secrets",
        is_flag=True,
        help="Include secret data (personal-matters details such as how relatives are related, properties the "
        "schema marks secret); default: withheld.",
    )(f)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--workspace",
    envvar="LIANDONG_WORKSPACE",
    default=DEFAULT_WORKSPACE,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Embedded workspace folder (env LIANDONG_WORKSPACE). Ignored with --neo4j-uri.",
)
@click.option("--neo4j-uri", envvar="NEO4J_URI", help="Use Neo4j at this neo4j:// or bolt:// address (env NEO4J_URI).")
@click.option("--neo4j-user", envvar="NEO4J_USER", default="neo4j", show_default=True, help="Env NEO4J_USER.")
@click.option("--neo4j-password", envvar="NEO4J_PASSWORD", help="Env NEO4J_PASSWORD.")
@click.option("--neo4j-database", envvar="NEO4J_DATABASE", help="Env NEO4J_DATABASE (default: the server's).")
@click.version_option(package_name="liandong")
@click.pass_context
def main(ctx: click.Context, workspace, neo4j_uri, neo4j_user, neo4j_password, neo4j_database) -> None:
    """liandong (联动): one graph of what every tier's inspections found.

    The graph lives in an embedded workspace folder by default, or in Neo4j
    with --neo4j-uri. Every command takes --help.

    \b
    Example:
      liandong demo
      liandong --workspace ./ws stats --json
      NEO4J_PASSWORD=... liandong --neo4j-uri neo4j://127.0.0.1:7687 stats
    """
    state = _State(workspace, neo4j_uri, neo4j_user, neo4j_password, neo4j_database)
    ctx.obj = state
    ctx.call_on_close(state.close)


def _print_stats(stats: dict[str, dict[str, int]]) -> None:
    width = max([len(k) for part in stats.values() for k in part] + [10])
    for title, part in (("nodes", stats["nodes"]), ("relationships", stats["relationships"])):
        click.echo(f"{title} ({sum(part.values())}):")
        if not part:
            click.echo("  (none)")
        for name, count in part.items():
            click.echo(f"  {name:<{width}}  {count:>10,}")


@main.command()
@_json_option
@_pass_state
def stats(state: _State, as_json: bool) -> None:
    """Count nodes per label and relationships per type.

    \b
    Example:
      liandong --workspace ./liandong-demo/workspace stats --json
    """
    result = state.backend(create=False).stats()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_stats(result)


@main.command()
@_json_option
def schema(as_json: bool) -> None:
    """Show the declared graph schema: labels, relationship types, properties.

    Properties marked secret never leave in exports unless asked for.

    \b
    Example:
      liandong schema
      liandong schema --json > schema.json
    """
    declared = load_schema()
    if as_json:
        click.echo(json.dumps(declared.to_dict(), ensure_ascii=False, indent=2))
        return
    for label, node_type in declared.nodes.items():
        props = ", ".join(
            f"{p.name}{'*' if p.required or p.name == node_type.key else ''}{' (secret)' if p.secret else ''}"
            for p in node_type.properties.values()
        )
        click.echo(f"({label})  key {node_type.key}: {props}")
    for rel_type, rtype in declared.relationships.items():
        props = ", ".join(p.name for p in rtype.properties.values()) or "-"
        click.echo(
            f"[{rel_type}]  {'|'.join(sorted(rtype.from_labels))} -> {'|'.join(sorted(rtype.to_labels))}: {props}"
        )
    click.echo("* required or key")


def _echo_load(report: LoadReport) -> None:
    if report.skipped_unchanged:
        click.echo(f"{report.file}: unchanged since it was loaded as {report.source!r}; nothing to do")
        return
    note = " (replaced the earlier version)" if report.replaced_previous else ""
    click.echo(
        f"{report.file}: read {report.rows_read}, loaded {report.rows_loaded}, rejected {len(report.rejected)}{note}"
    )
    for row in report.rejected[:20]:
        click.echo(f"  line {row.line}: {row.reason}", err=True)
    if len(report.rejected) > 20:
        click.echo(f"  … and {len(report.rejected) - 20} more", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--source", help="Source id for the records (default: the file name). One file only.")
@_pass_state
def load(state: _State, files: tuple[str, ...], source: str | None) -> None:
    """Load graph files in liandong's JSON Lines format.

    Each line is {"node": LABEL, "key": KEY, "props": {...}} or
    {"rel": TYPE, "start": [LABEL, KEY], "end": [LABEL, KEY], "props": {...}}.
    Loading a file again changes nothing; a changed file replaces its earlier
    version. Exits 1 when any line was rejected (each is listed with its reason).

    \b
    Example:
      liandong --workspace ./ws load graph.jsonl
    """
    if source and len(files) > 1:
        raise click.UsageError("--source names one file's records; load files one at a time")
    backend = state.backend(create=True)
    rejected = 0
    for file in files:
        from ingest import load_graph_jsonl

        report = load_graph_jsonl(backend, file, source=source)
        _echo_load(report)
        rejected += len(report.rejected)
    if rejected:
        sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--mapping",
    "mapping_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A mapping YAML for your own format (repeatable; docs/mappings.md). Added to the shipped formats; "
    "where both could read a file, yours is used.",
)
@_taxonomy_option("The workspace keeps it; later ones may add to it, not redefine it.")
@_file_var_options
@click.option("--force", is_flag=True, help="Load every file again, even those loaded before unchanged.")
@click.option(
    "--columns",
    "column_spec",
    help="A bid-level table in any layout: tender=COL,bidder=COL,amount=COL[,winner=COL,date=COL,"
    "buyer=COL,bidder_uscc=COL,rank=COL,title=COL,method=COL,status=COL,submitted=COL,period_start=COL,"
    "period_end=COL] (the red flags use whichever the table has).",
)
@click.option(
    "--codelists",
    "codelists_file",
    type=click.Path(exists=True, dir_okay=False),
    help="OCDS: a YAML file mapping the publisher's codelist values to OCDS ones, per codelist "
    "(tender_status, bid_status, award_status, procurement_method), e.g. bid_status: {active: valid}.",
)
@click.option(
    "--quarantine",
    "quarantine_dir",
    type=click.Path(file_okay=False),
    help="Folder for quarantine.csv and unresolved_links.csv (default: WORKSPACE/quarantine, "
    "or ./liandong-quarantine with Neo4j).",
)
@_json_option
@_pass_state
def ingest(
    state: _State,
    paths: tuple[str, ...],
    mapping_files: tuple[str, ...],
    taxonomy_files: tuple[str, ...],
    file_vars: tuple[str, ...],
    force: bool,
    column_spec: str | None,
    codelists_file: str | None,
    office: str | None,
    quarantine_dir: str | None,
    as_json: bool,
) -> None:
    """Load tier exports (CSV, XLSX, JSON; files or folders) into the graph.

    Each file is recognised by its headers (your --mapping files first, then
    ingest/mappings/*.yaml), every row is validated, and each row is either
    loaded or written to quarantine.csv with file, row, column and reason.
    The order of files and flags does not matter: links to records another
    file defines are resolved once every file is written. Loading a file
    again changes nothing; a changed file, or one whose mapping or taxonomy
    changed, replaces its earlier version (--force reloads all); an
    interrupted run is finished by running it again. Resident IDs and
    petitioners are stored only as keyed hashes: set LIANDONG_SECRET_KEY (the
    same key every time). Per file and field, the share of empty and invalid
    values and the values not recognised go to WORKSPACE/quality.csv (with
    Neo4j, to the quarantine folder) and to --json.

    OCDS releases and records are recognised too (packages, bare, JSON Lines,
    gzip): one Tender per lot, bids and awards per lot, parties keyed by their
    identifiers; --codelists maps the publisher's status values to OCDS ones
    (a value neither knows is counted in quality.csv). A bid table in any
    other layout loads with --columns.

    In a terminal a progress bar shows the bytes loaded and the time left;
    otherwise one line per file goes to stderr. From 20 MB of input, a second
    process reads and maps the next files while this one writes
    (LIANDONG_INGEST_WORKERS=0 keeps it to one process, =N uses N).

    Exit status: 0 all rows loaded; 3 some rows quarantined or links left
    unresolved; 1 a file could not be loaded at all (listed with the reason).

    \b
    Example:
      export LIANDONG_SECRET_KEY=...   # from your office's key store
      liandong --workspace ./ws ingest ./exports/
      liandong --workspace ./ws ingest --taxonomy 我办问题分类.yaml --mapping 我办名册.yaml ./我办导出/
    """
    from ingest.load import Ingester
    from ingest.mapping import load_mapping
    from ingest.ocds import load_codelists
    from ingest.taxonomy import load_taxonomies

    backend = state.backend(create=True)
    if quarantine_dir is None:
        quarantine_dir = _default_quarantine(state)
    mappings = [load_mapping(m, backend.schema) for m in mapping_files]
    if column_spec:
        from ingest.procurement import bid_table_mapping

        mappings.append(bid_table_mapping(column_spec, backend.schema))
    overrides = _overrides(file_vars, office)
    done: list[str] = []
    # In a terminal, a bar over the bytes to load (with its ETA); in a log or a pipe, one line per file.
    bar: Any = None
    sizes: dict[str, int] = {}

    def plan(jobs: list[Any]) -> None:
        nonlocal bar
        for job in jobs:
            sizes[str(job.path)] = job.path.stat().st_size
        if sys.stderr.isatty() and not as_json:
            bar = click.progressbar(
                length=sum(sizes.values()) or 1,
                label="ingesting",
                file=sys.stderr,
                show_eta=True,
                show_pos=False,
                item_show_func=lambda name: name,
            )
            bar.__enter__()

    def progress(file_report: Any) -> None:
        done.append(file_report.file)
        if bar is not None:
            bar.update(sizes.pop(file_report.file, 0), Path(file_report.file).name)
        else:
            click.echo(f"  [{len(done)}] {Path(file_report.file).name}: {file_report.status}", err=True)

    try:
        report = Ingester(
            backend,
            quarantine_dir,
            mappings=mappings,
            taxonomy=load_taxonomies(taxonomy_files),
            overrides=overrides,
            progress=progress,
            plan=plan,
            force=force,
            quality_path=Path(state.workspace) / "quality.csv" if state.neo4j_uri is None else None,
            codelists=load_codelists(codelists_file),
        ).ingest(paths)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    rows = [
        {
            "file": Path(f.file).name,
            "sheet": f.sheet,
            "format": f.format,
            "status": f.status,
            "read": f.rows_read,
            "loaded": f.rows_loaded,
            "quarantined": f.rows_quarantined,
            "links_unresolved": f.links_unresolved,
            "message": f.message,
            "seconds": {k: round(v, 3) for k, v in f.seconds.items()},
            "warnings": f.warnings,
            "quality": [q.as_dict() for q in f.quality],
        }
        for f in report.files
    ]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "batch": report.batch,
                    "files": rows,
                    "quarantine": str(report.quarantine_path) if report.quarantine_path else None,
                    "unresolved_links": str(report.unresolved_path) if report.unresolved_path else None,
                    "quality": str(report.quality_path) if report.quality_path else None,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        width = max([len(r["file"]) for r in rows] + [4])
        click.echo(
            f"{'file':<{width}}  {'format':<13} {'status':<12} {'read':>8} {'loaded':>8} {'quarant.':>8} {'links?':>6}"
        )
        for r in rows:
            click.echo(
                f"{r['file']:<{width}}  {r['format'] or '-':<13} {r['status']:<12} {r['read']:>8,} "
                f"{r['loaded']:>8,} {r['quarantined']:>8,} {r['links_unresolved']:>6,}"
            )
        total = {k: sum(r[k] for r in rows) for k in ("read", "loaded", "quarantined", "links_unresolved")}
        click.echo(
            f"{'total':<{width}}  {'':<13} {'':<12} {total['read']:>8,} {total['loaded']:>8,} "
            f"{total['quarantined']:>8,} {total['links_unresolved']:>6,}"
        )
        for r in rows:
            if r["message"]:
                click.echo(f"{r['file']}: {r['status']}: {r['message']}", err=True)
            for warning in r["warnings"]:
                click.echo(f"{r['file']}: warning: {warning}", err=True)
        _echo_quality(report)
        if report.quarantine_path:
            click.echo(say("cli.quarantine", path=report.quarantine_path), err=True)
        if report.unresolved_path:
            click.echo(say("cli.unresolved", path=report.unresolved_path), err=True)
        if report.quality_path:
            click.echo(say("cli.quality", path=report.quality_path), err=True)
    sys.exit(report.exit_code)


def _echo_quality(report: Any, worst: int = 8) -> None:
    """The fields most often empty, invalid or unrecognised in the files just loaded (all are in quality.csv)."""
    rows = [
        (q.invalid_share + q.unrecognised / max(q.rows, 1), Path(f.file).name, q)
        for f in report.files
        for q in f.quality
        if q.invalid or q.unrecognised
    ]
    for _, file, q in sorted(rows, key=lambda r: -r[0])[:worst]:
        top = ", ".join(f"{v or '(empty)'} ×{c}" for v, c in q.top(3))
        click.echo(
            f"{file}: {q.column} ({q.field}): {q.invalid:,} invalid, {q.unrecognised:,} not recognised of "
            f"{q.rows:,} (e.g. {top})",
            err=True,
        )


@main.group()
def mapping() -> None:
    """Mappings for your own export formats: check one on a file, or draft one from a file's headers."""


@mapping.command("check")
@click.argument("mapping_file", type=click.Path(exists=True, dir_okay=False))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_taxonomy_option("Default: the workspace's taxonomy when there is one, else the shipped one.")
@_file_var_options
@click.option("--rows", "show", type=int, default=3, show_default=True, help="Loaded rows to show as records.")
@_json_option
@_pass_state
def mapping_check(
    state: _State,
    mapping_file: str,
    file: str,
    taxonomy_files: tuple[str, ...],
    office: str | None,
    file_vars: tuple[str, ...],
    show: int,
    as_json: bool,
) -> None:
    """Dry run: what FILE's rows become under MAPPING_FILE, and why rows would be quarantined.

    Reads the whole file exactly as 'ingest' would and writes nothing. Shows
    the first rows as the records they become, the quarantine reasons with
    counts and examples, and per field the share of empty, invalid and
    unrecognised values. Exit status: 0 every row would load; 3 rows would be
    quarantined; 1 the file would be refused (not recognised, a column a
    required field reads is missing).

    \b
    Example:
      liandong mapping check 我办问题清单.yaml 问题清单_330102.csv --taxonomy 我办问题分类.yaml
    """
    from graphmodel import load_schema
    from ingest.check import check_mapping
    from ingest.load import secret_key_from_env
    from ingest.mapping import load_mapping
    from ingest.taxonomy import Taxonomy, load_taxonomies

    schema = load_schema()
    loaded = load_mapping(mapping_file, schema)
    taxonomy = _workspace_taxonomy(state, Taxonomy)
    given = load_taxonomies(taxonomy_files)
    if given is not None:
        taxonomy = taxonomy.merge(given) if taxonomy is not None else given
    overrides = _overrides(file_vars, office)
    checks = check_mapping(
        loaded, file, schema, taxonomy=taxonomy, overrides=overrides, secret_key=secret_key_from_env(), show=show
    )
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=2, default=str))
    else:
        for c in checks:
            where = Path(c.file).name + (f" [{c.sheet}]" if c.sheet else "")
            click.echo(f"== {where} with {Path(c.mapping).name}")
            for problem in c.problems:
                click.echo(f"refused: {problem}")
            for warning in c.warnings:
                click.echo(f"warning: {warning}")
            if c.problems:
                continue
            click.echo(
                f"rows: {c.rows_read:,} read, {c.rows_loaded:,} would load, {c.rows_quarantined:,} would be "
                f"quarantined ({c.seconds:.2f} s)"
            )
            for row, group in c.records.groupby("row", sort=True):
                click.echo(f"row {row} becomes:")
                for r in group.itertuples():
                    click.echo(f"  {r.label} {r.key} {r.props}")
            if c.reasons:
                click.echo("quarantine reasons (rows):")
                for (column, reason), n in c.reasons.most_common(15):
                    example = c.quarantine[(c.quarantine["column"] == column) & (c.quarantine["reason"] == reason)]
                    rows = ", ".join(str(x) for x in example["row"].head(3))
                    click.echo(f"  {n:>6,}  {column}: {reason} (rows {rows})")
            poor = [q for q in c.quality if q.invalid or q.unrecognised or (q.rows and q.empty == q.rows)]
            if poor:
                click.echo("fields to look at:")
                for q in poor:
                    top = ", ".join(f"{v or '(empty)'} ×{n}" for v, n in q.top(5))
                    click.echo(
                        f"  {q.field} ({q.column}): empty {q.empty_share:.0%}, invalid {q.invalid_share:.0%}, "
                        f"not recognised {q.unrecognised:,}" + (f"; e.g. {top}" if top else "")
                    )
    if any(c.problems for c in checks):
        sys.exit(1)
    if any(c.rows_quarantined for c in checks):
        sys.exit(3)


def _workspace_taxonomy(state: _State, taxonomy_type: Any) -> Any:
    """The taxonomy of the workspace in use, if there is one (a dry run never creates a workspace)."""
    if state.neo4j_uri is None and not Path(state.workspace).exists():
        return None
    try:
        return taxonomy_type.from_backend(state.backend())
    except LiandongError:
        return None


@mapping.command("draft")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--sheet", help="The worksheet to draft from (XLSX; default: the first that fits).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write the draft here (default: stdout).")
def mapping_draft(file: str, sheet: str | None, out: str | None) -> None:
    """Propose a mapping for FILE from its headers (the shipped formats' headers and their common variants).

    The draft says which shipped format it follows, which columns it read
    for which field, and which columns nothing reads. Check it with
    'liandong mapping check' before ingesting with --mapping.

    \b
    Example:
      liandong mapping draft 我办干部名册.xlsx -o 我办名册.yaml
      liandong mapping check 我办名册.yaml 我办干部名册.xlsx
    """
    from graphmodel import load_schema
    from ingest.draft import draft_mapping

    draft = draft_mapping(file, load_schema(), sheet=sheet)
    if out and out != "-":
        Path(out).write_text(draft.text, encoding="utf-8")
        click.echo(f"draft ({draft.format}) written to {out}", err=True)
    else:
        click.echo(draft.text)


@main.group()
def entities() -> None:
    """Entity resolution: link records of one organisation, person or company.

    \b
    Example:
      liandong --workspace ./ws entities resolve
      liandong --workspace ./ws entities evaluate ./exports
    """


@entities.command("resolve")
@_json_option
@click.option(
    "--model-out",
    type=click.Path(dir_okay=False),
    help="Also write the estimated model (m, u, Bayes factor and weight of every comparison level) as CSV.",
)
@_pass_state
def entities_resolve(state: _State, as_json: bool, model_out: str | None) -> None:
    """Propose SAME_AS links with match probabilities and evidence, and assign canonical ids.

    Each candidate pair gets a match probability from a Fellegi–Sunter model
    whose weights are estimated on this workspace's own records. Links of 0.9
    or more are accepted; from 0.5 they go to the review list (liandong
    entities review); analysts' decisions (liandong entities decide) always
    win and survive every re-run.

    \b
    Example:
      liandong --workspace ./ws entities resolve --json
    """
    from ingest.resolve import Resolver

    started = time.perf_counter()

    def progress(label: str, records: int, accepted: int) -> None:
        click.echo(
            say(
                "cli.resolve_progress",
                what=term(f"demo.label.{label}", default=label),
                records=f"{records:,}",
                accepted=f"{accepted:,}",
                seconds=f"{time.perf_counter() - started:.0f}",
            ),
            err=True,
        )

    # With --json the output is for a program: no progress lines mixed in.
    resolver = Resolver(state.backend(create=False), progress=None if as_json else progress)
    report = resolver.run()
    if model_out:
        import pandas as pd

        tables = []
        for label, model in resolver.models.items():
            table = model.parameters()
            table.insert(0, "label", label)
            table["match_share"] = model.lam
            tables.append(table)
        pd.concat(tables, ignore_index=True).to_csv(model_out, index=False, encoding="utf-8-sig")
    data = {
        label: {
            "records": report.records[label],
            "links": report.links[label],
            "accepted": report.accepted[label],
            "review": report.review.get(label, 0),
            "clusters": report.clusters[label],
        }
        for label in report.records
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for label, row in data.items():
        what = term(f"demo.label.{label}", default=label)
        click.echo(
            _pad(what, 8)
            + say(
                "cli.resolved_row",
                records=f"{row['records']:>8,}",
                links=f"{row['links']:>8,}",
                accepted=f"{row['accepted']:>8,}",
                review=f"{row['review']:>6,}",
                entities=f"{row['clusters']:>8,}",
            )
        )
    if any(row["review"] for row in data.values()):
        click.echo(say("cli.review_hint"))


@entities.command("decide")
@click.argument("label", type=click.Choice(["Organisation", "Person", "Company"]))
@click.argument("first")
@click.argument("second")
@click.argument("decision", type=click.Choice(["accepted", "rejected", "unsure"]))
@click.option("--by", "who", default="analyst", show_default=True, help="Who decided (kept with the decision).")
@_pass_state
def entities_decide(state: _State, label: str, first: str, second: str, decision: str, who: str) -> None:
    """Record whether two records are one entity; honoured on every later run.

    \b
    Example:
      liandong --workspace ./ws entities decide Organisation "org:330782:城管局" "org:330782:义乌市城市管理局" accepted
    """
    from ingest.resolve import Resolver

    backend = state.backend(create=False)
    key = backend.schema.node(label).key
    for record in (first, second):
        if backend.nodes(label, where={key: record}).empty:
            raise click.ClickException(
                f"no {label} record {record!r}; copy keys from liandong entities review or entities clusters"
            )
    Resolver(backend).decide(label, first, second, decision, who)
    click.echo(f"{decision}: {first} / {second} (run 'liandong entities resolve' to apply)")


@entities.command("clusters")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@click.option(
    "--quarantine",
    "quarantine_dir",
    type=click.Path(file_okay=False),
    help="Folder ingest wrote record_rows.csv.gz to (default: WORKSPACE/quarantine; ./liandong-quarantine with Neo4j).",
)
@_pass_state
def entities_clusters(state: _State, out: str, quarantine_dir: str | None) -> None:
    """Write every source row's record with the entity it was resolved to, for audit.

    One line per source row: label, canonical id and the canonical record's
    name, record key, name as written, source file, sheet and row, and the
    match probability of the link that joined it to its cluster (1 for the
    record that stands for the cluster). Records no ingested row wrote (a
    graph loaded otherwise) get one line with the file and row blank.

    \b
    Example:
      liandong --workspace ./ws entities clusters --out clusters.csv
    """
    from ingest.load import read_record_rows
    from ingest.resolve import cluster_table

    if quarantine_dir is None:
        quarantine_dir = _default_quarantine(state)
    table = cluster_table(state.backend(create=False), read_record_rows(quarantine_dir))
    table.to_csv(out, index=False, encoding="utf-8-sig")
    click.echo(f"{len(table):,} rows, {table['canonical_id'].nunique():,} entities written to {out}")


@entities.command("review")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="CSV file to write (default: print).")
@_pass_state
def entities_review(state: _State, out: str | None) -> None:
    """List the links left for an analyst: match probability between the review and accept thresholds.

    Decide each with 'liandong entities decide LABEL A B accepted|rejected'.

    \b
    Example:
      liandong --workspace ./ws entities review --out review.csv
    """
    from ingest.resolve import review_table

    table = review_table(state.backend(create=False))
    if out:
        table.to_csv(out, index=False, encoding="utf-8-sig")
        click.echo(f"{len(table):,} links to review written to {out}")
    elif table.empty:
        click.echo("nothing to review")
    else:
        click.echo(table.to_string(index=False))


@entities.command("evaluate")
@click.argument("exports", type=click.Path(exists=True, file_okay=False))
@_json_option
@_pass_state
def entities_evaluate(state: _State, exports: str, as_json: bool) -> None:
    """Pairwise precision and recall against a generated dataset's truth_entities.csv.

    \b
    Example:
      liandong --workspace ./ws entities evaluate ./exports
    """
    from ingest.evaluation import entity_resolution_scores
    from ingest.load import secret_key_from_env

    if not (Path(exports) / "truth_entities.csv").exists():
        raise click.ClickException(f"{exports} has no truth_entities.csv; it must be a 'liandong generate' folder")
    scores = entity_resolution_scores(state.backend(create=False), exports, secret_key_from_env())
    if as_json:
        click.echo(json.dumps(scores, ensure_ascii=False, indent=2))
        return
    for kind, row in scores.items():
        click.echo(
            _pad(term(f"demo.kind.{kind}", default=kind), 8)
            + _prf(row, 4)
            + say("cli.er_cells", records=f"{row['items']:,}", cells=f"{row['cells_not_loaded']:,}")
        )


DEMO_KEY = b"liandong-demo-key-not-for-real-data"


def _audit(state: _State, command: str, **fields: object) -> None:
    """Append one JSON line to WORKSPACE/audit.log: who ran what, when, with which scope, writing which files."""
    import datetime as dt
    import getpass

    entry = {
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "who": getpass.getuser(),
        "command": command,
        "argv": sys.argv[1:],
        "backend": state.neo4j_uri or str(Path(state.workspace).resolve()),
        **fields,
    }
    folder = Path(state.workspace)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "audit.log", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _default_quarantine(state: _State) -> str:
    """Where ingest writes quarantine.csv and record_rows.csv.gz unless told: the workspace's quarantine
    folder, or ./liandong-quarantine with Neo4j."""
    return str(Path(state.workspace) / "quarantine") if state.neo4j_uri is None else "liandong-quarantine"


def _analyses_folder(state: _State, out: str | None) -> Path:
    return Path(out) if out else Path(state.workspace) / "analyses"


@main.command()
@click.argument("names", nargs=-1)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for NAME.csv, NAME.evidence.csv and NAME.json (default: WORKSPACE/analyses).",
)
@click.option(
    "--as-of", help="Judge deadlines and recency on this day, e.g. 2024-12-31 (default: latest date in the graph)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="For detectors with randomness.")
@click.option(
    "--fdr",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="False discovery rate for the detectors that control one (systemic-problems; default 0.05).",
)
@click.option(
    "--red-flags-settings",
    "red_flags_settings",
    type=click.Path(exists=True, dir_okay=False),
    help="red-flags: thresholds and filters as in Cardinal's settings, a YAML file or Cardinal's own INI file "
    "(currency = UAH; [R003] threshold = 10; [R018] procurement_methods = open|selective).",
)
@click.option(
    "--list", "list_only", is_flag=True, help="List the detectors, with what each needs from the graph, and exit."
)
@_secrets_option
@_scope_option
@_json_option
@_pass_state
def analyze(
    state: _State,
    names: tuple[str, ...],
    out: str | None,
    as_of: str | None,
    seed: int,
    fdr: float | None,
    red_flags_settings: str | None,
    list_only: bool,
    reveal_secrets: bool,
    scope: str | None,
    as_json: bool,
) -> None:
    """Run detectors (all, or the NAMES given) and write their findings with evidence.

    Each detector writes NAME.csv (one row per detection), NAME.evidence.csv
    (the evidence chain, one row per step) and NAME.json into --out.

    \b
    Example:
      liandong --workspace ./ws analyze
      liandong --workspace ./ws analyze recurrence systemic-problems --as-of 2024-12-31 --out ./findings
      liandong --workspace ./ws analyze systemic-problems --fdr 0.1
      liandong --workspace ./ws analyze --scope 330102     # one county and below

    A detector whose inputs the graph does not hold (a procurement-only graph
    has no findings) is skipped with a line saying what it needs; the run
    still exits 0. If a detector fails, the others' files are still written,
    the failure is reported by name, and the exit code is 1.

    Every run appends a line to WORKSPACE/audit.log (who, when, scope, command, files written).
    """
    from analytics import DETECTORS, outcome_line, run_and_write

    if list_only:
        for spec in DETECTORS.values():
            click.echo(f"{spec.name:<22} {spec.title}")
            click.echo(f"{'':<22} 需要 needs: {spec.needs[0]} ({spec.needs[1]})")
        return
    from analytics import GraphView, detector_names

    folder = _analyses_folder(state, out)
    view = GraphView(state.backend(create=False), scope=scope)
    chosen = list(names) or detector_names()
    unknown = [n for n in chosen if n not in DETECTORS]
    if unknown:
        raise click.ClickException(f"unknown detector {', '.join(unknown)}; the detectors are: {', '.join(DETECTORS)}")

    def show(result: Any) -> None:
        # Each detector reported (and its files written) as it finishes: a province takes a minute or two.
        if as_json:
            return
        if result.status != "ran":
            click.echo(outcome_line(result), err=result.status == "failed")
            return
        top = result.detections[0].summary if result.detections else term("word.none")
        seconds = result.stats.get("seconds", 0)
        line = say("cli.analyzed", n=f"{len(result):>6,}", seconds=f"{seconds:6.2f}", top=top)
        click.echo(_fit(f"{result.detector:<22} " + line, max_lines=1))

    extra = {}
    if red_flags_settings:
        from analytics.red_flags import read_settings

        extra["settings"] = read_settings(red_flags_settings)
    results, paths = run_and_write(
        view, folder, chosen, as_of=as_of, seed=seed, reveal_secrets=reveal_secrets, on_result=show, fdr=fdr, **extra
    )
    flags = results.get("red-flags")
    if flags is not None and flags.status == "ran" and as_of is None:
        # The flags live in the graph too (RedFlag -FLAGS-> tender, firm, buyer), replacing the last run's.
        from analytics.red_flags import write_flags

        write_flags(view.backend, flags, scope=scope)
    unplaced = len(view.unplaced) if scope else 0
    if unplaced:
        # They lie in no jurisdiction, so a scoped analysis cannot see them: say so, never drop them silently.
        click.echo(say("cli.unplaced", n=f"{unplaced:,}"), err=True)
    _audit(
        state,
        "analyze",
        scope=scope,
        secrets=reveal_secrets,
        unplaced=unplaced,
        files=[str(p) for by_kind in paths.values() for p in by_kind.values()],
    )
    failed = [n for n, r in results.items() if r.status == "failed"]
    if as_json:
        click.echo(
            json.dumps(
                {
                    n: {
                        "status": r.status,
                        "detections": len(r),
                        "seconds": r.stats.get("seconds"),
                        **({"skipped": r.skipped, "missing": list(r.missing)} if r.skipped else {}),
                        **({"failed": r.failed} if r.failed else {}),
                    }
                    for n, r in results.items()
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        skipped = sum(r.status == "skipped" for r in results.values())
        note = say("cli.written_skipped", n=skipped) if skipped else ""
        click.echo(say("cli.written", folder=folder) + note)
    if failed:
        raise click.ClickException(
            say("cli.analyze_failed", n=len(failed), names=", ".join(failed), file=folder / (failed[0] + ".json"),
                folder=folder)
        )  # fmt: skip


@main.command()
@click.option(
    "--truth",
    "truth_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The truth.json of a 'liandong generate' folder (truth_entities.csv must sit beside it).",
)
@click.option(
    "--results", type=click.Path(file_okay=False), help="Where 'analyze' wrote (default: WORKSPACE/analyses)."
)
@_json_option
@_pass_state
def evaluate(state: _State, truth_path: str, results: str | None, as_json: bool) -> None:
    """Score the detectors' output against a generated dataset's truth.

    Reads what 'liandong analyze' wrote; detectors with no output there, or
    run with other parameters than the truth needs (deadlines judged on the
    truth's day, targets ranked as of the held-out round's start), are run
    now. Prints precision, recall and F1
    per detector and for entity resolution (pairwise). The secret key must be
    the one the data was ingested with (LIANDONG_SECRET_KEY; else the demo key).

    \b
    Example:
      liandong --workspace ./ws analyze --as-of 2024-12-31
      liandong --workspace ./ws evaluate --truth ./exports/truth.json --json
    """
    from analytics import GraphView, detector_names, read_results, run_detectors
    from analytics.evaluation import evaluate_detectors, evaluation_params, load_truth
    from analytics.registry import result_runs
    from ingest.evaluation import ExportTruth
    from ingest.load import secret_key_from_env

    exports = Path(truth_path).parent
    if not (exports / "truth_entities.csv").exists():
        raise click.ClickException(
            f"{exports} has no truth_entities.csv; --truth must be a 'liandong generate' truth.json"
        )
    truth = load_truth(truth_path)
    backend = state.backend(create=False)
    export_truth = ExportTruth(backend, exports, secret_key_from_env() or DEMO_KEY)
    folder = _analyses_folder(state, results)
    found = read_results(folder)
    required = evaluation_params(truth, export_truth)
    view = GraphView(backend)
    runs = result_runs(folder)
    rerun = [
        n
        for n in detector_names()
        if n not in found
        or any(k != "organisations" and found[n].params.get(k) != v for k, v in required.get(n, {}).items())
        # Results of another graph (or of unknown origin) say nothing about this one.
        or runs.get(n, {}).get("graph") != view.fingerprint()
    ]
    for name in rerun:
        found.update(run_detectors(view, [name], **required.get(name, {"as_of": truth.get("as_of")})))
    scores = evaluate_detectors(found, truth, export_truth)
    if rerun:
        scores["notes"] = [f"run now with the truth's parameters: {', '.join(rerun)}"]
    if as_json:
        click.echo(json.dumps(scores, ensure_ascii=False, indent=2))
        return
    for name, row in scores["detectors"].items():
        click.echo(f"{name:<22} {_pad(term(f'detector.{name}', default=name), 14)}{_prf(row, 4)}")
    for kind, row in scores["entity_resolution"].items():
        what = say("demo.er", what=term(f"demo.kind.{kind}", default=kind))
        click.echo(f"ER {kind:<19} {_pad(what, 14)}{_prf(row, 4)}")
    if rerun:
        click.echo(say("cli.evaluate_rerun", names=_titles(rerun)))


@main.group()
def export() -> None:
    """Files for inspection teams and other systems: Excel dossiers, HTML report, Gephi networks, graph JSONL."""


@export.command("dossier")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .xlsx workbook to write.")
@click.option("--as-of", help="The day the round starts: only what was on record before it is used.")
@click.option("--top", type=int, default=20, show_default=True, help="Targets that get a sheet of their own.")
@click.option("--title", default="巡察对象档案", show_default=True, help="Title of the round, on the first sheet.")
@click.option(
    "--policies",
    "policy_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Your office's policies for the 政策清单 (YAML shaped like analytics/data/policies.yaml; repeatable). "
    "An entry with a shipped title replaces it.",
)
@click.option("--classification", help="The marking in every page header (default 内部资料 注意保密).")
@click.option("--scope-label", help="How the page header names the scope (default: the scope's place name).")
@_scope_option
@_secrets_option
@_reuse_options
@_json_option
@_pass_state
def export_dossier(
    state: _State,
    out: str,
    as_of: str | None,
    top: int,
    title: str,
    policy_files: tuple[str, ...],
    classification: str | None,
    scope_label: str | None,
    scope: str | None,
    reveal_secrets: bool,
    results: str | None,
    rerun: bool,
    as_json: bool,
) -> None:
    """Write the target dossier: a summary of the ranked targets, then each target's 3+2 lists (Excel).

    汇总 covers every target; one sheet per target holds the three lists the
    supervising departments supply (政策清单 policies, 职能清单 functions and
    powers, 信息清单 what other departments hold) and the two the team draws
    up (问题清单 suspected problems with what to verify, 责任清单 the cadres
    responsible, with posts and dates); one sheet lists every ring and conflict.
    Nothing dated after --as-of is written. Landscape, fitted to the page
    width, with the scope and marking in the header. Lead contents, petitioners and personal-matters details are
    not written unless --reveal-secrets. The run is logged in WORKSPACE/audit.log.
    On a graph that lacks what a detector needs (no findings, say), the first
    sheet lists the detectors skipped and the records each needs.

    What 'liandong analyze' wrote is used when it was computed on this very
    graph with the same scope and parameters (--results names its folder);
    otherwise, or with --rerun, the detectors run now.

    \b
    Example:
      liandong --workspace ./ws export dossier --out 2025年第1轮.xlsx --as-of 2025-03-01 --scope 330102
      liandong --workspace ./ws export dossier --out d.xlsx --policies 本办政策.yaml --classification 秘密
    """
    from analytics import GraphView
    from analytics.dossier import DOSSIER_DETECTORS, write_target_dossier

    view = GraphView(state.backend(create=False), scope=scope)
    names = list(DOSSIER_DETECTORS)
    found, ran = _detector_results(
        state, view, names, results, rerun, as_of=as_of, reveal_secrets=reveal_secrets, quiet=as_json
    )
    path = write_target_dossier(
        view,
        found,
        out,
        title=title,
        top=top,
        as_of=as_of,
        scope_label=scope_label,
        classification=classification,
        policies=list(policy_files) or None,
    )
    _audit(state, "export dossier", scope=scope, secrets=reveal_secrets, files=[str(path)])
    shown = min(top, len(found["targets"]))
    summary = f"{len(found['targets']):,} ranked targets, {shown} with their own sheet"
    _exported(path, found, ran, as_json, summary, {"targets": len(found["targets"]), "sheets": shown})


@export.command("network")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="A .gexf (Gephi) or .graphml file.")
@_scope_option
@_reuse_options
@_json_option
@_pass_state
def export_network(state: _State, out: str, scope: str | None, results: str | None, rerun: bool, as_json: bool) -> None:
    """Write bid rings and conflict-of-interest paths as one network for Gephi (GEXF) or GraphML.

    Nodes: companies, tenders, buyer organisations, cadres and relatives, with
    their names and ring; edges: bids (amount, won), tenders issued, posts,
    declared relatives, roles in firms. The run is logged in WORKSPACE/audit.log.
    The file's description (GEXF meta, GraphML graph data) says which detectors
    found what, and which were skipped because the graph lacks their inputs.

    What 'liandong analyze' wrote is used when it was computed on this very
    graph with the same scope and parameters (--results names its folder);
    otherwise, or with --rerun, the detectors run now.

    \b
    Example:
      liandong --workspace ./ws export network --out rings.gexf
    """
    from analytics import GraphView
    from analytics.network import evidence_network, write_network

    if not out.lower().endswith((".gexf", ".graphml")):
        raise click.ClickException(f"{out}: write .gexf (Gephi) or .graphml")
    view = GraphView(state.backend(create=False), scope=scope)
    found, ran = _detector_results(state, view, ["bid-rings", "conflict-of-interest"], results, rerun, quiet=as_json)
    graph = evidence_network(view, found)
    path = write_network(graph, out)
    _audit(state, "export network", scope=scope, secrets=False, files=[str(path)])
    counts = {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
    _exported(path, found, ran, as_json, f"{counts['nodes']:,} nodes, {counts['edges']:,} edges", counts)


@export.command("report")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .html file to write.")
@click.option("--as-of", help="Judge deadlines and rank targets as of this day (default: latest date in the graph).")
@_scope_option
@_reuse_options
@_json_option
@_pass_state
def export_report(
    state: _State,
    out: str,
    as_of: str | None,
    scope: str | None,
    results: str | None,
    rerun: bool,
    as_json: bool,
) -> None:
    """Write one self-contained HTML report (plotly; opens without a network).

    Sections: what each detector found; problem categories by system and tier
    with the systemic hits marked; bid-ring networks; lead flow (sankey);
    rectification timelines; the ranked targets. The run is logged in
    WORKSPACE/audit.log. Detectors skipped because the graph lacks their
    inputs are listed first, each with the records it needs.

    What 'liandong analyze' wrote is used when it was computed on this very
    graph with the same scope and parameters (--results names its folder);
    otherwise, or with --rerun, the detectors run now.

    \b
    Example:
      liandong --workspace ./ws export report --out report.html --scope 330100
    """
    from analytics import GraphView, detector_names
    from analytics.report import write_html_report

    view = GraphView(state.backend(create=False), scope=scope)
    found, ran = _detector_results(state, view, detector_names(), results, rerun, as_of=as_of, quiet=as_json)
    path = write_html_report(view, found, out)
    _audit(state, "export report", scope=scope, secrets=False, files=[str(path)])
    _exported(path, found, ran, as_json, "", {"detections": {n: len(r) for n, r in found.items()}})


@export.command("graph")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The .jsonl file to write.")
@_scope_option
@_secrets_option
@_json_option
@_pass_state
def export_graph(state: _State, out: str, scope: str | None, reveal_secrets: bool, as_json: bool) -> None:
    """Write the graph as JSON Lines, the Cypher-free format 'liandong load' reads, for other systems.

    Entity-resolution links (SAME_AS) and provenance (Source) travel with it.
    Secret properties (resident-ID hashes, petitioners, lead summaries,
    personal-matters details) are left out unless --reveal-secrets. With
    --scope, only the jurisdiction's organisations and their own records:
    findings and rectifications, the tours that inspected them with teams and
    rounds, leads and transfers, tenders and bidders, cadres serving there, and
    the relationships among these. The run is logged in WORKSPACE/audit.log.
    A graph holding only some kinds of records gives a file of those; the
    command names the declared labels it holds no record of.

    \b
    Example:
      liandong --workspace ./ws export graph --out graph.jsonl
      liandong --workspace ./ws export graph --scope 330102 --out 330102.jsonl
    """
    from ingest.graph_json import write_graph_jsonl

    backend = state.backend(create=False)
    keep = None
    if scope is not None:
        from analytics import GraphView
        from analytics.network import scope_closure

        keep = scope_closure(GraphView(backend, scope=scope))
    counts = write_graph_jsonl(backend, out, reveal_secrets=reveal_secrets, keep=keep)
    _audit(state, "export graph", scope=scope, secrets=reveal_secrets, files=[out])
    # A partial graph makes a valid, partial file; say which declared labels it holds no record of.
    held = backend.stats()["nodes"]
    absent = [label for label in backend.schema.nodes if not held.get(label)]
    if as_json:
        click.echo(json.dumps({"file": out, **counts, "absent_labels": absent}))
        return
    if absent:
        click.echo(f"the graph holds no {', '.join(absent)} records, so neither does {out}", err=True)
    click.echo(
        f"wrote {out}: {counts['nodes']:,} nodes, {counts['relationships']:,} relationships"
        + (
            ""
            if reveal_secrets
            else f"; withheld as secret: {counts['secret_values_withheld']:,} values, "
            f"{counts['secret_elements_withheld']:,} records (declared relatives)"
        )
    )


def _read_known(path: Path) -> list[str]:
    """Bidder ids, one per line (UTF-8 or GB18030; blank lines and # comments skipped)."""
    from ingest.readers import ReadError, detect_encoding

    raw = path.read_bytes()
    try:
        text = raw.decode(detect_encoding(raw))
    except ReadError as exc:
        raise click.ClickException(f"{path.name}: {exc}") from None
    ids = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    ids = [i for i in ids if i]
    if not ids:
        raise click.ClickException(f"{path.name} names no bidder: write one bidder id per line")
    return ids


@main.group()
def bids() -> None:
    """Bid-level tables scored without a workspace (围标串标 screening)."""


@bids.command("score")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--columns",
    "spec",
    required=True,
    help="Which of FILE's columns are what: tender=COL,bidder=COL[,amount=COL][,winner=COL]"
    "[,buyer=COL][,trade=COL][,date=COL]. Buyer, trade and date make each tender's prices be judged "
    "against tenders of its own buyer, trade and year.",
)
@click.option("--out", "out", default="-", show_default=True, help="CSV to write ('-' for standard output).")
@click.option("--evidence", is_flag=True, help="Add the evidence columns (wins, screens, community, ring test).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the community detection.")
@click.option(
    "--known",
    "known_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Bidders already proven to collude, one id per line as in the bidder column (# starts a comment): "
    "the others are also ranked by their ties to them, and the price direction is learned from them.",
)
@click.option(
    "--direction",
    type=click.Choice(["auto", "both", "tight", "dispersed"]),
    default="auto",
    show_default=True,
    help="Which way prices point to collusion: tight (covers just above the winner), dispersed (covers far "
    "above it), both (either tail), auto (learned from --known, else both).",
)
def bids_score(
    file: str, spec: str, out: str, evidence: bool, seed: int, known_file: str | None, direction: str
) -> None:
    """Score every bidder in a bid-level table for bid rigging.

    Writes one row per bidder: bidder,score,ring (higher score = more likely
    in a cartel; ring names a group of firms whose shared tenders are priced
    unlike the rest of their market, or is empty). Reads CSV (UTF-8 or
    GBK/GB18030) or XLSX. No labels are used unless --known names firms
    already proven to collude; one proven case then opens the next.

    \b
    Example:
      liandong bids score bids.csv --out scores.csv \\
        --columns tender=Tender,bidder=Competitors,amount=Bid_value,winner=Winner
      liandong bids score 招投标.xlsx --known 已查实.txt \\
        --columns tender=项目编号,bidder=投标人,amount=投标报价,winner=是否中标,buyer=招标人,date=开标日期
    """
    from analytics.bids import analyse_bids, parse_column_spec, read_bid_table

    known: list[str] | None = None
    if known_file is not None:
        known = _read_known(Path(known_file))
    try:
        table = read_bid_table(file, parse_column_spec(spec))
        found = analyse_bids(table, seed=seed, known=known, direction=direction)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    scored = found.firms
    if known is not None:
        missing = found.params.get("known_not_in_table", [])
        click.echo(
            f"known colluders: {found.params['known']} of {len(set(known))} found in the table"
            + (f" (not found: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''})" if missing else ""),
            err=True,
        )
    click.echo(f"price direction: {found.direction_reason}", err=True)
    columns = list(scored.columns) if evidence else ["bidder", "score", "ring"] + (["known"] if known else [])
    frame = scored[columns]
    if out == "-":
        click.echo(frame.to_csv(index=False), nl=False)
        return
    frame.to_csv(out, index=False, encoding="utf-8")
    rings = frame["ring"].replace("", None).dropna().nunique()
    tenders = table["tender"].nunique()
    click.echo(f"scored {len(frame):,} bidders in {tenders:,} tenders; {rings} suspicious groups; wrote {out}")


@main.command()
@click.option(
    "--scale",
    type=click.Choice(["tiny", "small", "province", "province2x"]),
    default="small",
    show_default=True,
    help="tiny: seconds, for tests; small: ~10^4 records; province: ~10^5 organisations, 10^6 bids; "
    "province2x: twice province, for scaling runs.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed writes the same files.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the exports into.")
@click.option(
    "--province",
    "province_code",
    default="330000",
    show_default=True,
    help="GB/T 2260 code of the province whose real cities and counties are used.",
)
@click.option(
    "--difficulty",
    type=click.Choice(["default", "hard"]),
    default="default",
    show_default=True,
    help="hard: prices that differ by market, imperfect rotation, varied cover bids, real post titles, "
    "findings clustered inside units and small tiers, instead of exactly what the detectors test for.",
)
@_json_option
def generate(scale: str, seed: int, out: str, province_code: str, difficulty: str, as_json: bool) -> None:
    """Write realistic tier exports with planted patterns, and truth.json.

    Each inspection office's files come in its own format (XLSX with title
    rows and merged headers, CSV in UTF-8 or GBK, JSON) with the mess real
    exports have: abbreviated names, full-width digits, typos, mixed date
    formats, missing or invalid ID numbers. truth.json holds what every
    detector should find, and which true entity each row names.

    \b
    Example:
      liandong generate --scale tiny --seed 7 --out ./data/tiny
      liandong generate --scale small --difficulty hard --out ./data/hard
      liandong generate --scale province2x --out /data/p2x --json   # ~10^6 findings; takes a while
    """
    from ingest.generator import generate as run_generate

    out_path = Path(out)
    if out_path.exists() and any(out_path.iterdir()):
        raise click.ClickException(f"{out} is not empty; choose a new folder so no earlier export is mixed in")
    try:
        started = time.perf_counter()
        report = run_generate(
            scale,
            seed,
            out_path,
            province_code,
            progress=None
            if as_json
            else lambda step: click.echo(f"  [{time.perf_counter() - started:5.0f} s] {step}", err=True),
            difficulty=cast("Difficulty", difficulty),
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        rows = sum(n for name, n in report.files.items() if name not in ("truth.json", "truth_entities.csv"))
        click.echo(
            json.dumps(
                {"out": str(out_path.resolve()), "files": len(report.files), "rows": rows, "world": report.sizes},
                ensure_ascii=False,
            )
        )
        return
    sizes = ", ".join(f"{k} {v:,}" for k, v in report.sizes.items())
    click.echo(f"world: {sizes}")
    click.echo(f"wrote {len(report.files)} files, {sum(report.files.values()) - 1:,} rows, into {out_path.resolve()}")
    click.echo(f"truth: {out_path / 'truth.json'}")


@main.command()
@click.option(
    "--out",
    default="liandong-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the demo's exports, workspace and outputs.",
)
@click.option(
    "--scale",
    type=click.Choice(["tiny", "small"]),
    default="small",
    show_default=True,
    help="Size of the generated province (tiny runs in seconds).",
)
@click.option("--seed", type=int, default=1, show_default=True)
def demo(out: str, scale: str, seed: int) -> None:
    """Run the end-to-end demo on the embedded backend.

    Generates realistic tier exports with planted patterns (OUT/exports),
    ingests them (OUT/workspace; rows that fail validation go to
    OUT/workspace/quarantine), resolves organisations, cadres and companies
    across tiers, runs every detector (findings with their evidence in
    OUT/analyses), and scores detectors and resolution against the
    generator's truth. A second run reuses what is there.

    Uses LIANDONG_SECRET_KEY when set; otherwise a fixed demo key, which is
    fine for generated data and never for real data.

    \b
    Example:
      liandong demo --out ./liandong-demo
    """
    from analytics import GraphView, run_detectors, write_results
    from analytics.dossier import write_target_dossier
    from analytics.evaluation import evaluate_detectors, evaluation_params, load_truth
    from analytics.report import write_html_report
    from analytics.terms import date_text, say, term
    from ingest.evaluation import ExportTruth
    from ingest.generator import generate as run_generate
    from ingest.load import Ingester, secret_key_from_env
    from ingest.resolve import Resolver

    started = time.perf_counter()
    root = Path(out)
    exports, workspace, analyses = root / "exports", root / "workspace", root / "analyses"
    key = secret_key_from_env() or DEMO_KEY
    steps = 7
    clock = [time.perf_counter()]

    def step(n: int, text: str) -> None:
        now = time.perf_counter()
        click.echo(_fit(say("demo.step", n=n, steps=steps, text=text, seconds=f"{now - clock[0]:.1f}"), max_lines=3))
        clock[0] = now

    click.echo(say("demo.start", out=root))
    if not (exports / "truth.json").exists():
        generated = run_generate(scale, seed, exports)
        step(1, say("demo.generated", files=len(generated.files), scale=term(f"demo.scale.{scale}"), seed=seed,
                    path=exports))  # fmt: skip
    else:
        step(1, say("demo.reused", path=exports))
    from graphmodel import open_backend

    backend = open_backend(workspace, create=True)
    try:
        report = Ingester(backend, workspace / "quarantine", secret_key=key).ingest([exports])
        rows = sum(f.rows_read for f in report.files)
        loaded = sum(f.rows_loaded for f in report.files)
        step(
            2,
            say("demo.ingested", files=len(report.files), rows=f"{rows:,}", loaded=f"{loaded:,}",
                quarantined=f"{report.rows_quarantined:,}"),
        )  # fmt: skip
        if report.quarantine_path:
            click.echo(_fit("   " + say("demo.quarantine", path=report.quarantine_path)))
        resolution = Resolver(backend).run()
        step(
            3,
            say("demo.resolved", parts=term("word.and").join(
                say("demo.resolved_part", what=term(f"demo.label.{label}", default=label),
                    records=f"{resolution.records[label]:,}", entities=f"{resolution.clusters[label]:,}")
                for label in resolution.records
            )),
        )  # fmt: skip
        truth = load_truth(exports / "truth.json")
        export_truth = ExportTruth(backend, exports, key)
        params = evaluation_params(truth, export_truth)
        # What an analyst would get as of the data's day, written out; targets are judged on the held-out
        # round's units as of its start (what was known then), so they are ranked once more for the score.
        results = run_detectors(backend, as_of=truth["as_of"])
        write_results(results, analyses)
        step(4, say("demo.detected", as_of=date_text(truth["as_of"]), path=analyses))
        for name, result in results.items():
            top = result.detections[0].summary if result.detections else term("word.none")
            title = term(f"detector.{name}", default=name)
            click.echo(_fit(f"   {_pad(title, 12)}{len(result):>6,}  {top}"))
        judged = {**results, **run_detectors(backend, ["targets"], **params["targets"])}
        scores = evaluate_detectors(judged, truth, export_truth)
        step(5, say("demo.scored"))
        for name, v in scores["detectors"].items():
            extra = (
                "  " + say("demo.baselines", random=f"{v['precision_random']:.3f}",
                           most=f"{v['precision_most_findings']:.3f}")
                if name == "targets"
                else ""
            )  # fmt: skip
            title = term(f"detector.{name}", default=name)
            click.echo(_fit(f"   {_pad(title, 12)}" + _prf(v, 3) + extra))
        for kind, v in scores["entity_resolution"].items():
            title = say("demo.er", what=term(f"demo.kind.{kind}", default=kind))
            click.echo(_fit(f"   {_pad(title, 12)}" + _prf(v, 3)))
        (analyses / "evaluation.json").write_text(json.dumps(scores, ensure_ascii=False, indent=1), encoding="utf-8")
        view = GraphView(backend)
        dossier = write_target_dossier(
            view,
            {**run_detectors(view, ["targets"], as_of=truth["as_of"]), **results},
            root / "dossier.xlsx",
            title=say("demo.dossier_title", as_of=date_text(truth["as_of"])),
            as_of=truth["as_of"],
        )
        step(6, say("demo.dossier", path=dossier))
        report_path = write_html_report(view, results, root / "report.html")
        step(7, say("demo.report", path=report_path))
        counts = backend.stats()["nodes"]
        click.echo(_fit("   " + say(
            "demo.graph",
            units=f"{len(view.organisations):,}", people=f"{len(view.people):,}", companies=f"{len(view.companies):,}",
            findings=f"{counts.get('Finding', 0):,}", leads=f"{counts.get('Lead', 0):,}",
            tenders=f"{counts.get('Tender', 0):,}",
        )))  # fmt: skip
        click.echo(say("demo.done", seconds=f"{time.perf_counter() - started:.0f}"))
        ws = shlex.quote(str(workspace))
        click.echo(say("demo.next"))
        for line in (
            say("demo.next_open", report=report_path, dossier=dossier),
            f"liandong --workspace {ws} stats",
            f"liandong --workspace {ws} analyze --only bid-rings --out {shlex.quote(str(root / 'rings'))}",
            f"liandong --workspace {ws} export report --out {shlex.quote(str(root / 'report-again.html'))}",
            f"export LIANDONG_WORKSPACE={ws}   " + say("demo.next_env"),
        ):
            click.echo("   " + line)
    finally:
        backend.close()


def _prf(row: dict[str, Any], digits: int) -> str:
    """Precision, recall and F1 of a score row, in the reader's words."""
    return say(
        "demo.prf", p=f"{row['precision']:.{digits}f}", r=f"{row['recall']:.{digits}f}", f=f"{row['f1']:.{digits}f}"
    )


def _width(text: str) -> int:
    """Columns a terminal gives the text (CJK and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, columns: int) -> str:
    return text + " " * max(1, columns - _width(text))


_BREAKS = "，。；、：）」》 ,;)"


def _fit(text: str, columns: int | None = None, indent: str = "      ", max_lines: int = 2) -> str:
    """The text in lines no wider than the terminal, each broken after a punctuation mark or a space (never
    inside a word or a name), continued under ``indent``; past ``max_lines`` it ends with … at a break."""
    columns = columns or max(60, shutil.get_terminal_size((100, 24)).columns)
    lines: list[str] = []
    rest = text
    while _width(rest) > columns and len(lines) < max_lines:
        room = columns - (1 if len(lines) == max_lines - 1 else 0)
        used, cut = 0, 0
        lead = len(rest) - len(rest.lstrip(" "))  # the indent is not a place to break
        for i, c in enumerate(rest):
            used += _width(c)
            if used > room:
                break
            if i >= lead and c in _BREAKS and not (c == "," and rest[i + 1 : i + 2].isdigit()):  # (not in 7,435)
                cut = i + 1
        if cut == 0:  # no break within reach: the line holds one long name; keep it whole
            cut = len(rest)
        if len(lines) == max_lines - 1 and cut < len(rest):
            lines.append(rest[:cut].rstrip(" ,，、") + "…")
            return "\n".join(lines)
        lines.append(rest[:cut].rstrip())
        rest = indent + rest[cut:].lstrip()
    if len(lines) < max_lines:
        lines.append(rest)
    return "\n".join(lines)


if __name__ == "__main__":
    main()

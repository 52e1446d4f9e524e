"""SIGKILL ``liandong ingest`` at random points: the same command, run again, must give the reference graph.

Each trial starts from an empty graph, kills the ingest subprocess one or
more times, then lets the same command run to its end and compares the whole
graph (every label and relationship type, properties and per-element source
lists) with an uninterrupted ingest's.

Kill points are drawn by a seeded random, uniformly over the measured duration
of the uninterrupted reference run, and each is pinned to the stage of the
ingest the reference was at then: "after the k-th file, s seconds into the
next" (see ``Reference.kill_point``). So kills land everywhere — start-up,
the taxonomy load, a file's batches, its "complete" marker, and, in a resumed
run, the retract of the file cut off before — at the same stages whatever the
machine's load. A trial with several kills sorts its points: each resumed run
is killed further on, so the kills walk across the whole ingest.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graphmodel import EmbeddedBackend, NodeRecord, WorkspaceError

from .graphdump import VOLATILE_PROPERTIES, canonical_graph, describe_difference
from .harness import Outcome, Reference, Target, embedded_target, read_quarantine, run

SEED = 20250301
MIN_KILLS = 20
#: Kills per trial. Several kills in one trial cost one start-up each instead of a whole ingest each; the
#: single-kill trials check the graph after exactly one kill. Neo4j's ingest is ~4x slower, so its kills
#: are chained further to keep the folder within its time budget.
PLANS = {"embedded": (1, 1, 2, 4, 4, 4, 4), "neo4j": (8, 12)}
#: Trials run side by side on the embedded backend (each in its own workspace); Neo4j has one database.
PARALLEL = {"embedded": 2, "neo4j": 1}


@dataclass
class Landing:
    """The state one kill left: files marked complete, the file marked loading (cut off), what is wrong."""

    trial: int
    point: float  # seconds into the reference run
    complete: int
    loading: str | None
    problem: str = ""

    @property
    def phase(self) -> str:
        if self.loading:
            return "inside a file"
        return "before the first file" if self.complete == 0 else "between files"


@dataclass
class Trial:
    number: int
    landings: list[Landing] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _file(source_id: str) -> str:
    return source_id.split("#", 1)[0]  # a workbook's sheets are sources "file#sheet"


def landing(target: Target, reference: Reference, trial: int, point: float) -> Landing:
    """Read the state a kill left. Files load in a fixed order, each marked loading first and complete last; a
    file whose links wait for files later in the run stays loading until the run's end. So it must be: the
    first N files touched, each complete or loading, and at most one loading that has no link waiting."""
    statuses = target.sources()
    statuses.pop("taxonomy", None)
    complete = sorted(_file(s) for s, status in statuses.items() if status == "complete")
    loading = sorted(_file(s) for s, status in statuses.items() if status != "complete")
    touched = sorted(complete + loading)
    n = len(touched)
    problem = ""
    if touched != sorted(reference.order[:n]):
        problem = f"the files complete or loading are not the first {n} in load order: {touched}"
    elif n < len(reference.order) and len(loading) > len(reference.waiting & set(loading)) + 1:
        problem = f"files marked loading after {len(complete)} complete ones: {loading}"
    return Landing(trial, point, len(complete), loading[-1] if loading else None, problem)


def run_trial(
    number: int, kill_points: list[float], target: Target, reference: Reference, exports: Path, cwd: Path
) -> Trial:
    trial = Trial(number)
    target.reset()
    command = target.command(exports)
    outcome: Outcome | None = None
    for point in kill_points:
        outcome = run(command, target.env, cwd, kill_at=reference.kill_point(point))
        if not outcome.killed:
            break  # it finished first: that was the run to the end
        try:
            trial.landings.append(landing(target, reference, number, point))
        except Exception as exc:  # a state the product cannot even read is a finding, reported with the rest
            trial.landings.append(Landing(number, point, -1, None, f"reading the state it left failed: {exc!r}"))
    if outcome is None or outcome.killed:
        outcome = run(command, target.env, cwd)
    problems = [f"kill at {x.point:.2f}s: {x.problem}" for x in trial.landings if x.problem]
    if outcome.returncode != reference.returncode or "Traceback" in outcome.stdout + outcome.stderr:
        problems.append(f"the run to the end did not finish as the reference did:\n{outcome}")
    else:
        difference = describe_difference(reference.graph, target.graph())
        if difference:
            problems.append("the graph differs from the uninterrupted ingest's:\n" + difference)
        try:
            if read_quarantine(target.quarantine / "quarantine.csv") != reference.quarantine:
                problems.append("quarantine.csv does not hold the reference's rows")
            if read_quarantine(target.quarantine / "unresolved_links.csv") != reference.unresolved:
                problems.append("unresolved_links.csv does not hold the reference's rows")
        except AssertionError as exc:
            problems.append(str(exc))
    trial.problems = [f"trial {number} (kill points {[round(p, 2) for p in kill_points]}): {p}" for p in problems]
    return trial


def test_sigkill_at_random_points_then_the_same_command_gives_the_same_graph(
    kind, reference, new_target, exports, workdir
):
    rng = random.Random(f"{SEED}:{kind}")
    schedules = [sorted(rng.uniform(0, reference.seconds) for _ in range(k)) for k in PLANS[kind]]
    with ThreadPoolExecutor(PARALLEL[kind]) as pool:
        trials = list(
            pool.map(
                lambda job: run_trial(job[0], job[1], new_target(f"trial-{job[0]}"), reference, exports, workdir),
                enumerate(schedules),
            )
        )
    # A run that finished before its kill time was not killed: top up with single-kill trials.
    while sum(len(t.landings) for t in trials) < MIN_KILLS and len(trials) < len(schedules) + 10:
        number = len(trials)
        trials.append(
            run_trial(
                number, [rng.uniform(0, reference.seconds)], new_target(f"trial-{number}"), reference, exports, workdir
            )
        )

    landings = [x for t in trials for x in t.landings]
    phases = Counter(x.phase for x in landings)
    summary = (
        f"{kind}: {len(landings)} kills in {len(trials)} trials over a {reference.seconds:.1f}s ingest of "
        f"{len(reference.order)} files; landed {dict(phases)}; files complete at each kill: "
        f"{sorted(x.complete for x in landings)}"
    )
    print(summary)
    problems = [p for t in trials for p in t.problems]
    assert not problems, summary + "\n\n" + "\n\n".join(problems)
    assert len(landings) >= MIN_KILLS, summary
    # The kills must have hit the writes, not just start-up and the end.
    assert phases["inside a file"] >= 4, summary
    assert len({x.complete for x in landings}) >= 5, summary


def test_a_workspace_cut_off_while_being_created_reads_as_empty_and_the_next_run_sets_it_up(tmp_path):
    """The trials above sometimes kill the first run right after it created graph.sqlite, before its tables."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with contextlib.closing(sqlite3.connect(workspace / "graph.sqlite")) as db:
        db.execute("PRAGMA journal_mode=WAL")  # as far as the first run got
    with pytest.raises(WorkspaceError, match="holds no graph yet"):
        EmbeddedBackend(workspace, read_only=True)
    with EmbeddedBackend(workspace) as g:
        assert g.count_nodes() == 0
        g.write([NodeRecord("Phone", "13800000000")], source="s")
    with EmbeddedBackend(workspace, read_only=True) as g:
        assert g.nodes("Phone")["phone_id"].tolist() == ["13800000000"]


def test_uninterrupted_ingests_differ_only_in_volatile_properties(embedded_reference, exports, workdir, tmp_path):
    """What the graph comparison leaves out is exactly what differs between two clean ingests."""
    again = embedded_target(tmp_path)
    outcome = run(again.command(exports), again.env, workdir)
    assert outcome.returncode == embedded_reference.returncode, outcome
    assert describe_difference(embedded_reference.graph, again.graph()) == ""
    with embedded_reference.target.backend() as first, again.backend() as second:
        assert first is not None and second is not None
        everything = frozenset[tuple[str, str]]()
        full_first, full_second = canonical_graph(first, ignore=everything), canonical_graph(second, ignore=everything)
    differing: set[str] = set()
    for name in full_first:
        if full_first[name] == full_second[name]:
            continue
        assert name == "(Source)", name
        for (key1, props1, sources1), (key2, props2, sources2) in zip(full_first[name], full_second[name], strict=True):
            assert (key1, sources1) == (key2, sources2)
            a, b = dict(props1), dict(props2)
            differing |= {p for p in a.keys() | b.keys() if a.get(p) != b.get(p)}
    assert "batch" in differing, "two ingests should differ in Source.batch; is the comparison reading Sources?"
    assert {("Source", p) for p in differing} <= VOLATILE_PROPERTIES, differing


def test_the_graph_comparison_sees_lost_changed_and_reattributed_elements(embedded_reference, tmp_path):
    """The comparison is not vacuous: a retracted file, a changed property, an extra source all show."""
    copy = tmp_path / "ws"
    shutil.copytree(embedded_reference.target.workspace, copy)  # type: ignore[arg-type]
    with EmbeddedBackend(copy, create=False) as g:
        phone = g.nodes("Phone").iloc[0]["phone_id"]
        g.write([NodeRecord("Phone", phone)], source="another-file.csv")
        difference = describe_difference(embedded_reference.graph, canonical_graph(g))
        assert "(Phone): expected" in difference and "another-file.csv" in difference, difference
        org = g.nodes("Organisation").iloc[0]
        g.update_nodes("Organisation", {org["org_id"]: {"name": org["name"] + "（改）"}}, source="x")
        difference = describe_difference(embedded_reference.graph, canonical_graph(g))
        assert "(Organisation): expected" in difference, difference
        g.retract_source(embedded_reference.order[-1])
        difference = describe_difference(embedded_reference.graph, canonical_graph(g))
        assert "[BID_ON]: expected" in difference and "missing" in difference, difference


@pytest.mark.neo4j
def test_both_backends_load_the_same_graph(embedded_reference, neo4j_reference):
    """The canonical form is backend-independent, so one reference serves a Neo4j server of a test's own."""
    assert describe_difference(embedded_reference.graph, neo4j_reference.graph) == ""
    assert embedded_reference.quarantine == neo4j_reference.quarantine
    assert embedded_reference.unresolved == neo4j_reference.unresolved

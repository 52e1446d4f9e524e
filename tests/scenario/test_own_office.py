"""An office's own exports load as they are, and every detector finds what was planted in them.

嘉兴市's inspection office and its districts 南湖区 and 秀洲区 export in formats of their own
(``office_exports.py`` writes them; ``office/*.yaml`` are the office's mappings and taxonomy): their own
unit codes, category and system words, mixed date styles, title rows and merged headers, a GBK CSV, a
JSON API dump, several problems in one cell. Into a seeded background of unremarkable records one
instance of every detector's pattern is planted beside look-alikes that are not that pattern.

Test A ingests the files in two orders (files and mappings shuffled) into fresh graphs, on both backends,
and checks that nothing is quarantined or left unresolved, that every file is read by the office's own
mapping, that both orders give the same graph, that values arrive as the office wrote them, and that after
entity resolution each detector finds exactly what was planted. Test B edits one mapping and checks that
only its files are loaded again, with the new values and nothing duplicated.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from analytics import DetectorResult, GraphView, detector_names, run_detectors
from cli import main
from graphmodel import EmbeddedBackend, GraphBackend
from ingest.load import Ingester, IngestReport
from ingest.mapping import Mapping_, load_mapping
from ingest.resolve import Resolver
from ingest.taxonomy import load_taxonomy

from .office_exports import AS_OF, MAPPINGS, OFFICE, TAXONOMY, World, build_world, write_exports

KEY = b"jiaxing-inspection-office"


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture(scope="module")
def exports(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("jiaxing") / "exports"
    write_exports(world, folder)
    return folder


def _mappings(backend: GraphBackend, paths: Sequence[Path]) -> list[Mapping_]:
    return [load_mapping(p, backend.schema) for p in paths]


def _ingest(
    backend: GraphBackend, files: Sequence[Path], mappings: Sequence[Path], quarantine: Path, **kw: Any
) -> IngestReport:
    return Ingester(
        backend,
        quarantine,
        mappings=_mappings(backend, mappings),
        taxonomy=load_taxonomy(TAXONOMY),
        secret_key=KEY,
        **kw,
    ).ingest(files)


def _problems(report: IngestReport) -> str:
    """What to read when a file was not loaded cleanly: its report, the quarantine and the unresolved links."""
    lines = [
        f"{Path(f.file).name}: {f.status} {f.format} read={f.rows_read} quarantined={f.rows_quarantined} "
        f"unresolved={f.links_unresolved} {f.message}"
        for f in report.files
    ]
    for path in (report.quarantine_path, report.unresolved_path):
        if path is not None and path.exists():
            lines += [f"--- {path.name}", *path.read_text(encoding="utf-8-sig").splitlines()[:40]]
    return "\n".join(lines)


def _snapshot(backend: GraphBackend) -> dict[str, Any]:
    """Counts, and every node and relationship with its properties (files' own Source nodes aside)."""
    out: dict[str, Any] = {"stats": backend.stats()}
    for label in backend.schema.nodes:
        if label == "Source":
            continue
        key = backend.schema.node(label).key
        out[label] = {
            r[key]: {k: str(v) for k, v in r.items() if v is not None and v == v}
            for r in backend.nodes(label).to_dict("records")
        }
    for rel_type in backend.schema.relationships:
        rows = backend.relationships(rel_type).to_dict("records")
        out[rel_type] = sorted(
            tuple(sorted((k, str(v)) for k, v in r.items() if v is not None and v == v)) for r in rows
        )
    return out


@dataclass
class Scenario:
    """Everything Test A checks, read from the graph while the fixture held it."""

    reports: list[IngestReport]
    snapshots: list[dict[str, Any]]
    results: dict[str, DetectorResult]
    names: dict[str, dict[str, str]]  # label -> resolved id -> name
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def name(self, label: str, graph_id: str) -> str:
        return self.names[label].get(graph_id, graph_id)


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)],
)
def scenario(request: pytest.FixtureRequest, exports: Path, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The office's files ingested in two orders into fresh graphs, then resolved and analysed."""
    root = tmp_path_factory.mktemp(f"scenario-{request.param}")
    files = sorted(exports.iterdir())
    orders = [(files, list(MAPPINGS)), (files[::-1], list(MAPPINGS)[::-1])]
    reports, snapshots, seconds = [], [], {}
    backend: GraphBackend | None = None
    for n, (order, mappings) in enumerate(orders):
        if request.param == "embedded":
            backend = EmbeddedBackend(root / f"ws{n}")
        else:
            backend = request.getfixturevalue("neo4j_domain")
            backend.clear()
        started = time.perf_counter()
        reports.append(_ingest(backend, order, mappings, root / f"q{n}"))
        seconds[f"ingest {n}"] = time.perf_counter() - started
        snapshots.append(_snapshot(backend))
        if request.param == "embedded" and n < len(orders) - 1:
            backend.close()
    assert backend is not None
    started = time.perf_counter()
    Resolver(backend).run()
    seconds["resolve"] = time.perf_counter() - started
    view = GraphView(backend)
    started = time.perf_counter()
    results = run_detectors(view, detector_names(), as_of=AS_OF.isoformat(), errors="keep")
    seconds["detect"] = time.perf_counter() - started
    # The ranking as it would be without resting units toured in the last twelve months.
    results["targets without rest"] = run_detectors(view, ["targets"], as_of=AS_OF.isoformat(), rest_months=None)[
        "targets"
    ]
    names = {
        "Person": view.people["name"].dropna().to_dict(),
        "Company": view.companies["name"].dropna().to_dict(),
        "Organisation": view.organisations["name"].dropna().to_dict(),
    }
    frames = {
        "Finding": backend.nodes("Finding"),
        "Rectification": backend.nodes("Rectification"),
        "Organisation": backend.nodes("Organisation"),
        "BID_ON": backend.relationships("BID_ON"),
        "SERVES_AT": backend.relationships("SERVES_AT"),
        "Tender": backend.nodes("Tender"),
        "Company": backend.nodes("Company"),
    }
    print(f"\n{request.param}: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    if request.param == "embedded":
        backend.close()
    return Scenario(reports, snapshots, results, names, frames, seconds)


# ------------------------------------------------------------------------------------------ Test A: loading
def test_every_file_is_read_by_the_offices_own_mapping_and_every_row_loads(scenario: Scenario, world: World) -> None:
    formats = world.answers.formats
    for report in scenario.reports:
        assert {Path(f.file).name for f in report.files} == set(formats), _problems(report)
        for f in report.files:
            name = Path(f.file).name
            assert f.status == "loaded", _problems(report)
            assert f.format == formats[name], f"{name} was read as {f.format}, not {formats[name]}"
            assert f.mapping_path is not None and Path(f.mapping_path).parent == OFFICE, f.mapping_path
            assert f.rows_read > 0 and f.balanced, f
            assert f.rows_quarantined == 0, _problems(report)
            assert f.links_unresolved == 0, _problems(report)
            assert not f.warnings, (name, f.warnings)
        assert report.exit_code == 0, _problems(report)


def test_the_order_of_files_and_mappings_does_not_change_the_graph(scenario: Scenario) -> None:
    first, second = scenario.snapshots
    assert first["stats"] == second["stats"]
    for name in first:
        assert first[name] == second[name], f"{name} differs between the two load orders"


def test_values_arrive_as_the_office_wrote_them(scenario: Scenario, world: World) -> None:
    # Every finding's category (from its name, an alias, a code or the words of the charge), severity and
    # date (five date styles, year and month only, one date per 秀洲 row) is the builder's own.
    f = scenario.frames["Finding"].set_index("finding_id")
    got = {k: (r["category"], r["severity"], pd.Timestamp(r["found_date"]).date()) for k, r in f.iterrows()}
    assert got == {x.key: (x.category, x.severity, x.found) for x in world.findings}
    # Amounts in a column headed 涉及金额（万元）, written as the mapping's template over that heading.
    amounts = {k: v for k, v in f["amount"].items() if v is not None and v == v}
    city = {x.key: x.amount for x in world.findings if x.tour.office == "JX" and x.amount is not None}
    assert amounts == {k: round(v * 10_000, 2) for k, v in city.items()}
    # Progress words through map/default, report dates, 验收 words to yes/no (empty stays unknown).
    r = scenario.frames["Rectification"].set_index("rectification_id")
    verified = {"已验收": True, "未验收": False, "": None}
    got_r = {
        k: (
            row["status"],
            None if pd.isna(row["reported_date"]) else pd.Timestamp(row["reported_date"]).date(),
            None if pd.isna(row["verified"]) else bool(row["verified"]),
        )
        for k, row in r.iterrows()
    }
    assert got_r == {x.key: (x.status, x.reported, verified[x.verified]) for x in world.rectifications}
    # Units: tier from the ticked column, region from words, system in the staff's words.
    o = scenario.frames["Organisation"].set_index("org_id")
    for u in world.units.values():
        row = o.loc[u.key]
        assert (row["name"], row["tier"], row["region_code"]) == (u.name, u.tier, u.region)
        assert (row["system"] if isinstance(row["system"], str) else None) == u.system, u.code
    # Bids: amounts written as numbers, with separators, in 万元, in full-width digits.
    bids = scenario.frames["BID_ON"]
    expected = {(b.company.key, t.key): b.amount for t in world.tenders for b in t.bids if b.with_code}
    got_b = {(r.start_key, r.end_key): r.amount for r in bids.itertuples() if (r.start_key, r.end_key) in expected}
    assert got_b.keys() == expected.keys()
    assert all(abs(got_b[k] - v) < 0.01 for k, v in expected.items())
    # Firms: the register's 法定代表人（负责人）.
    legal = scenario.frames["Company"].set_index("company_id")["legal_representative"].dropna().to_dict()
    assert legal == {c.key: c.legal.name for c in world.companies}
    budgets = scenario.frames["Tender"].set_index("tender_id")["budget"].to_dict()
    assert budgets == {t.key: round(t.budget_wan * 10_000, 2) for t in world.tenders}


# ---------------------------------------------------------------------------------------- Test A: detectors
def test_every_detector_runs_on_the_offices_graph(scenario: Scenario) -> None:
    assert set(scenario.results) - {"targets without rest"} == set(detector_names())
    for name, result in scenario.results.items():
        assert result.status == "ran", (name, result.skipped, result.failed, result.stats.get("traceback"))


def test_systemic_problems_finds_the_supply_cooperatives_bonuses_at_both_tiers(
    scenario: Scenario, world: World
) -> None:
    # Planted: 违规发放津补贴奖金 (Z3-02) in 3 city and 4 district units of the supply co-operatives (gx).
    # Look-alike: 组织生活不严肃 (Z2-03) over-represented in education (jy), at the district tier only.
    found = {d.subject: d for d in scenario.results["systemic-problems"]}
    system, category = world.answers.systemic
    assert f"{system}|{category}" in found, sorted(found)
    hit = found[f"{system}|{category}"]
    assert set(hit.details["tiers"]) == {"city", "county"}
    assert {t: set(v) for t, v in hit.details["organisations_by_tier"].items()} == world.answers.systemic_units
    assert "|".join(world.answers.systemic_decoy) not in found
    assert set(found) == {f"{system}|{category}"}


def test_recurrence_finds_the_sham_rectification_and_the_problem_back_in_the_successor(
    scenario: Scenario, world: World
) -> None:
    # Planted: 执法局's asset problem, rectified, verified and back at the look-back tour; 农业经济局's funds
    # problem, rectified, back in 农业农村局 which took over its work. Look-alikes: a later problem of another
    # category, a rectification only 基本完成, a second finding dated before the report.
    result = scenario.results["recurrence"]
    found = {(p["rectification"], p["later_finding"]) for d in result for p in d.details["pairs"]}
    assert found == world.answers.recurrences
    assert {d.details["rectification"] for d in result if d.kind == "sham-rectification"} == world.answers.sham
    assert [d.details["successor"] for d in result if d.details["rectification"] not in world.answers.sham] == [True]
    assert not {p["rectification"] for d in result for p in d.details["pairs"]} & world.answers.recurrence_decoys
    # One detection per (unit, category), each with its category's base rate.
    assert len({d.subject for d in result}) == len(result)
    assert all(d.details["base_rate_ratio"] is not None for d in result)


def test_bid_rings_finds_the_four_builders_and_not_the_look_alike_pair(scenario: Scenario, world: World) -> None:
    # Planted: four builders in 13 tight-priced tenders taking turns to win, sharing an address (one written
    # in full-width digits), a phone (written two ways) and a legal representative. Look-alike: two dealers
    # at one address and phone who met in two tight tenders only.
    rings = list(scenario.results["bid-rings"])
    assert len(rings) == 1, [d.summary for d in rings]
    ring = rings[0]
    assert set(ring.where["companies"]) == world.answers.ring
    assert set(ring.where["tenders"]) >= world.answers.ring_tenders
    assert {c["kind"] for c in ring.details["shared_contacts"]} == {"address", "phone", "person"}
    assert "unit:JX-0009" in ring.where["organisations"]
    assert not {c for d in rings for c in d.where["companies"]} & world.answers.ring_decoy


def test_conflict_of_interest_finds_the_deputy_director_and_his_wifes_firm(scenario: Scenario, world: World) -> None:
    # Planted: 钱立群, deputy director at 交通运输局, declared his wife 孙晓梅, shareholder of a consultancy
    # (declared by name only) that won the bureau's tender. Look-alikes: 周建国's son's firm bid at another
    # buyer; 吴永康's brother's firm bid at 水利局 two years after he left it.
    result = scenario.results["conflict-of-interest"]
    found = {
        (
            scenario.name("Person", d.details["cadre"]),
            scenario.name("Company", d.details["company"]),
            d.details["tender"],
        )
        for d in result
    }
    assert found == world.answers.conflicts
    assert not found & world.answers.conflict_decoys
    assert [d.kind for d in result] == ["relative-firm"]
    assert [d.details["buyer"] for d in result] == ["unit:JX-0009"]


def test_duplicate_leads_finds_the_allegation_both_departments_registered(scenario: Scenario, world: World) -> None:
    # Planted: the 纪委's register (unit and post in one text) and the 巡察办's (unit by code) both hold the
    # gifts allegation against 钱立群, 18 days apart. Look-alikes: 66 days apart; twice in one register; one
    # names a person, the other only the unit.
    result = scenario.results["duplicate-leads"]
    found = {frozenset(d.where["leads"]) for d in result}
    assert found == world.answers.duplicates
    assert not found & world.answers.duplicate_decoys
    assert [scenario.name("Person", c) for d in result for c in d.where["cadres"]] == ["钱立群"]


def test_overdue_transfers_finds_the_unanswered_and_the_late_one(scenario: Scenario, world: World) -> None:
    result = scenario.results["overdue-transfers"]
    assert {d.subject: d.kind for d in result} == world.answers.overdue
    assert not {d.subject for d in result} & world.answers.overdue_decoys


def test_inspector_ties_finds_the_former_post_and_the_wife_at_the_target(scenario: Scenario, world: World) -> None:
    # Planted: 郑卫东 worked at 农业农村局 until 2020 and inspects it in 2024; 冯国庆's declared wife serves at
    # the 南湖 health bureau his team inspects. Look-alikes: 褚红英's former unit is another team's target;
    # 卫志强's wife joined his target after the tour began.
    result = scenario.results["inspector-ties"]
    found = {
        (d.details["tour"], scenario.name("Person", d.details["inspector"]), d.details["target"], d.kind)
        for d in result
    }
    assert found == world.answers.ties
    assert not {t[:3] for t in found} & world.answers.tie_decoys
    assert all(d.details["swap_with"] for d in result)


def test_targets_learns_from_past_tours_and_ranks_the_hot_unit_first(scenario: Scenario, world: World) -> None:
    result = scenario.results["targets without rest"]
    assert result.params["method"] == "logistic regression on past tours' outcomes"
    assert result.params["examples"] >= 200
    assert result.params["validation"]["roc_auc"] > 0.5
    ranked = [d.subject for d in result]
    assert ranked[0] == world.answers.hot, [(d.subject, d.score) for d in result.detections[:5]]
    top = result.detections[0]
    assert top.details["conflicts"] >= 1 and top.details["ring_wins"] >= 1 and top.details["relay_to"] == "330400"
    assert "嘉兴市巡察办" in top.summary and "利益冲突" in top.summary
    # A unit inspected and never found at fault is in the lower half.
    assert ranked.index(world.answers.clean) > len(ranked) // 2
    # As an office plans the round: the hot unit was toured in September 2024, four months before the
    # planning day, and nothing new has come in since, so it waits; the summary says why.
    resting = scenario.results["targets"]
    hot = next(d for d in resting if d.subject == world.answers.hot)
    assert hot.details["resting"] and hot.details["last_inspected"].startswith("2024-09")
    assert "暂不列为重点" in hot.summary and hot.details["risk"] == top.details["risk"]
    first = resting.detections[0]
    assert first.subject != world.answers.hot and not first.details["resting"]
    assert all(not d.details["resting"] for d in resting.detections[: len(resting) // 2])


def test_profiles_count_every_units_findings_and_find_the_team_that_found_nothing(
    scenario: Scenario, world: World
) -> None:
    result = scenario.results["profiles"]
    profiles = {d.subject: d.score for d in result if d.kind == "organisation-profile"}
    assert profiles == {k: float(v) for k, v in world.answers.findings_per_unit.items()}
    teams = [d for d in result if d.kind == "team-quality"]
    assert len(teams) == len(world.tours)
    assert min(teams, key=lambda d: d.score).subject == world.answers.lazy_tour
    assert [d.subject for d in teams if d.score == 0] == [world.answers.lazy_tour]


# --------------------------------------------------------------------------------------------- the command line
def test_the_command_line_loads_and_analyses_the_office(exports: Path, tmp_path: Path) -> None:
    # The embedded workspace named below, never the shared server a NEO4J_URI in the environment names.
    runner = CliRunner(env={"LIANDONG_SECRET_KEY": KEY.decode(), "NEO4J_URI": None})
    workspace = tmp_path / "ws"
    args = ["--workspace", str(workspace), "ingest", "--taxonomy", str(TAXONOMY)]
    for path in MAPPINGS:
        args += ["--mapping", str(path)]
    done = runner.invoke(main, [*args, str(exports)])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["--workspace", str(workspace), "entities", "resolve"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["--workspace", str(workspace), "analyze"])
    assert done.exit_code == 0, done.output
    folder = workspace / "analyses"
    for name in detector_names():
        for suffix in (".csv", ".evidence.csv", ".json"):
            assert (folder / f"{name}{suffix}").exists(), f"{name}{suffix} missing from {sorted(folder.iterdir())}"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert {n: s["status"] for n, s in summary.items()} == dict.fromkeys(detector_names(), "ran")
    with open(folder / "bid-rings.csv", encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == 1


# ------------------------------------------------------------------------------------------ Test B: reloading
def _status_of(report: IngestReport) -> dict[str, str]:
    return {Path(f.file).name: f.status for f in report.files}


def test_a_changed_mapping_reloads_only_its_files(
    backend: GraphBackend, exports: Path, world: World, tmp_path: Path
) -> None:
    files = sorted(exports.iterdir())
    formats = world.answers.formats
    report = _ingest(backend, files, MAPPINGS, tmp_path / "q")
    assert set(_status_of(report).values()) == {"loaded"}, _problems(report)
    before = _snapshot(backend)

    # Nothing changed: nothing is loaded again, and the graph stays as it was.
    report = _ingest(backend, files, MAPPINGS, tmp_path / "q")
    assert set(_status_of(report).values()) == {"unchanged"}, _problems(report)
    assert _snapshot(backend) == before

    # The office decides that 基本完成 counts as done: its ledger mapping's map gains a word.
    edited = tmp_path / "rectification.yaml"
    text = (OFFICE / "rectification.yaml").read_text(encoding="utf-8")
    assert "map: {已销号: completed," in text
    edited.write_text(
        text.replace("map: {已销号: completed,", "map: {基本完成: completed, 已销号: completed,"), encoding="utf-8"
    )
    mappings = [edited if p.name == "rectification.yaml" else p for p in MAPPINGS]
    report = _ingest(backend, files, mappings, tmp_path / "q")
    statuses = _status_of(report)
    ledgers = {n for n, fmt in formats.items() if fmt == "jx-rectification"}
    assert {n for n, s in statuses.items() if s == "reloaded"} == ledgers, _problems(report)
    assert {n for n, s in statuses.items() if s == "unchanged"} == set(formats) - ledgers
    assert all(f.rows_quarantined == 0 and f.links_unresolved == 0 for f in report.files), _problems(report)
    after = _snapshot(backend)
    # Nothing duplicated: the same records; only the rectifications' status changed, as the map says.
    assert after["stats"] == before["stats"]
    assert {k: v for k, v in after.items() if k != "Rectification"} == {
        k: v for k, v in before.items() if k != "Rectification"
    }
    assert after["Rectification"].keys() == before["Rectification"].keys()
    changed = {k for k in after["Rectification"] if after["Rectification"][k] != before["Rectification"][k]}
    basic = {r.key for r in world.rectifications if r.word == "基本完成"}
    assert changed == basic and len(basic) == world.answers.basic_done > 0
    assert {after["Rectification"][k]["status"] for k in basic} == {"completed"}
    # ... and the problem found again after a 基本完成 report is now a recurrence.
    recurrences = {
        (p["rectification"], p["later_finding"])
        for d in run_detectors(backend, ["recurrence"])["recurrence"]
        for p in d.details["pairs"]
    }
    assert recurrences == world.answers.recurrences | {world.answers.after_status_change}

    # Again with the edited mapping: nothing to do.
    report = _ingest(backend, files, mappings, tmp_path / "q")
    assert set(_status_of(report).values()) == {"unchanged"}, _problems(report)

    # --force loads every file again and gives the same graph.
    report = _ingest(backend, files, mappings, tmp_path / "q", force=True)
    assert set(_status_of(report).values()) == {"reloaded"}, _problems(report)
    assert _snapshot(backend) == after
    shutil.rmtree(tmp_path / "q", ignore_errors=True)

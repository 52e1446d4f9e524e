"""Scope and secrecy over random scopes: nothing outside the scope, and nothing secret, leaves in any output.

For region codes drawn from the tiny generated province (the province, its
cities and counties) and codes that exist nowhere in it, every detector's
detections and every file the CLI writes (``analyze`` CSV/evidence CSV/JSON,
the dossier workbook, the HTML report, GEXF and GraphML networks) are checked
two ways: the organisations they name by id must lie in the scope (judged by
region code with the documented rule: a province sees its cities and
counties, a city its counties, a county itself; an organisation without a
region code of its own takes its nearest PART_OF parent's; one with no known
region is outside every scope), and the files, read back, must hold no id or
distinctive name of an organisation outside it. Secrets (resident-ID hashes,
petitioner hashes, lead summaries, how declared relatives are related) must
be in no file unless ``--reveal-secrets`` is given, and with it the
relations (and, in the graph JSONL export, every secret property) must be
there, so that the scan is known to find what it looks for.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from analytics import DetectorError, GraphView, run_detectors
from cli import main

from .conftest import KEY, TinyWorld

ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY.decode()}
AS_OF = "2024-12-31"
# Codes no organisation of the generated province has: a real county and city elsewhere in Zhejiang,
# other provinces, and codes that are no region at all.
NOWHERE = ("330106", "330300", "330110", "110000", "650000", "999999", "000000", "330199")
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

RELATION_CODES = ("spouse", "child", "child_in_law", "parent", "sibling", "other")
RELATION_LABELS = ("配偶", "子女配偶", "父母", "兄弟姐妹")
# How a relation shows in outputs: "(spouse)" in evidence, "spouse X's firm" in summaries, "relation": "spouse".
RELATION_RE = re.compile(
    r"\((?:" + "|".join(RELATION_CODES) + r")\)"
    r"|\b(?:spouse|child_in_law|sibling)\b"
    r"|\"relation\":\s*\"(?:" + "|".join(RELATION_CODES) + r")\""
    r"|" + "|".join(RELATION_LABELS)
)
HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
ORG_ID_START = re.compile(r"(?:org|dept):\d{6}:")
PLOTLY_JS = re.compile(r"<script[^>]*>\s*/\*\*\s*\*\s*plotly\.js.*?</script>", re.DOTALL)
UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def in_scope(code: Any, scope: str) -> bool:
    """The documented rule, restated: a province sees its subtree by 2 digits, a city by 4, a county itself."""
    if not isinstance(code, str) or not re.fullmatch(r"[0-9]{6}", code):
        return False
    if scope.endswith("0000"):
        return code[:2] == scope[:2]
    if scope.endswith("00"):
        return code[:4] == scope[:4]
    return code == scope


class World:
    """What the whole (unscoped) graph says about organisations and secrets, read once.

    A plain class (not a dataclass) so that a failing example prints one line for it.
    """

    def __init__(
        self,
        *,
        canonical: dict[str, str],  # organisation record key -> canonical id
        code: dict[str, str | None],  # canonical id -> region code (its own, else its PART_OF parent's)
        names: dict[str, set[str]],  # canonical id -> every name its records carry
        keys_by_prefix: dict[str, list[str]],  # "org:330100:" -> record keys, longest first
        present: tuple[str, ...],  # region codes in the graph, with their cities and province
        resident_hashes: set[str],
        petitioner_hashes: set[str],
        summaries: set[str],
        other_text: list[str],  # names of companies and people, tender titles, team and round names
        relatives_declared: int,
    ):
        self.canonical, self.code, self.names, self.keys_by_prefix = canonical, code, names, keys_by_prefix
        self.present, self.other_text, self.relatives_declared = present, other_text, relatives_declared
        self.resident_hashes, self.petitioner_hashes, self.summaries = resident_hashes, petitioner_hashes, summaries
        self._forbidden: dict[str, list[str]] = {}
        # Summaries by their first characters, to find them all in one pass over a large file.
        self.summary_heads = {s[:2] for s in summaries}
        self.summary_index: dict[str, list[str]] = defaultdict(list)
        for summary in summaries:
            self.summary_index[summary[:6]].append(summary)

    def summaries_in(self, text: str) -> list[str]:
        found: set[str] = set()
        for head in self.summary_heads:
            at = text.find(head)
            while at >= 0:
                found.update(s for s in self.summary_index.get(text[at : at + 6], ()) if text.startswith(s, at))
                at = text.find(head, at + 1)
        return sorted(found)

    def __repr__(self) -> str:
        return f"World({len(self.code)} organisations, regions {', '.join(self.present)})"

    def inside(self, scope: str) -> set[str]:
        return {o for o, c in self.code.items() if in_scope(c, scope)}

    def forbidden_names(self, scope: str) -> list[str]:
        """Names of organisations outside ``scope`` that cannot appear inside legitimate text of the scope."""
        if scope not in self._forbidden:
            inside = self.inside(scope)
            allowed = [n for o in inside for n in self.names[o]] + self.other_text
            pool = "\n".join(allowed)
            out = {
                n for o, names in self.names.items() if o not in inside for n in names if len(n) >= 4 and n not in pool
            }
            self._forbidden[scope] = sorted(out)
        return self._forbidden[scope]


@pytest.fixture(scope="module")
def world(tiny_world: TinyWorld) -> World:
    backend = tiny_world.backend
    full = GraphView(backend)
    canonical = full.canonical("Organisation")
    # An organisation's region: its own region_code (a department carries its office's), else its nearest
    # PART_OF parent's.
    own = {
        o: region
        for o, region in zip(full.organisations.index, full.organisations["region_code"], strict=True)
        if isinstance(region, str)
    }
    code: dict[str, str | None] = {}
    for o in full.organisations.index:
        up, seen = o, {o}
        while up not in own and full.parent.get(up) not in (None, *seen):
            up = full.parent[up]
            seen.add(up)
        code[o] = own.get(up)
    records = backend.nodes("Organisation")
    names: dict[str, set[str]] = defaultdict(set)
    for key, name in zip(records["org_id"], records["name"], strict=True):
        if isinstance(name, str):
            names[canonical.get(key, key)].add(name)
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for key in records["org_id"]:
        m = ORG_ID_START.match(key)
        assert m, f"unexpected organisation key {key!r}"
        by_prefix[m.group()].append(key)
    codes = {c for c in code.values() if c}
    present = sorted(codes | {c[:4] + "00" for c in codes} | {c[:2] + "0000" for c in codes})
    people = backend.nodes("Person")
    leads = backend.nodes("Lead")
    other_text = [
        *backend.nodes("Company")["name"].dropna(),
        *people["name"].dropna(),
        *backend.nodes("Tender")["title"].dropna(),
        *backend.nodes("Team")["name"].dropna(),
        *backend.nodes("Round")["name"].dropna(),
    ]
    return World(
        canonical=dict(canonical),
        code=code,
        names=dict(names),
        keys_by_prefix={p: sorted(keys, key=len, reverse=True) for p, keys in by_prefix.items()},
        present=tuple(present),
        resident_hashes=set(people["resident_id_hash"].dropna()),
        petitioner_hashes=set(leads["petitioner_hash"].dropna()),
        summaries=set(leads["summary"].dropna()),
        other_text=[str(t) for t in other_text],
        relatives_declared=backend.count_relationships("RELATIVE_OF"),
    )


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def scopes(world: World) -> st.SearchStrategy[str]:
    """Region codes as a user may type them: present ones (also in full-width digits), absent ones, random ones
    (``\\d`` draws digits of any script, which are no region code)."""
    return st.one_of(
        st.sampled_from(world.present),
        st.sampled_from(world.present).map(lambda c: c.translate(FULL_WIDTH)),
        st.sampled_from(NOWHERE),
        st.from_regex(r"33[0-9]{4}", fullmatch=True),
        st.from_regex(r"33\d{4}", fullmatch=True),
    )


# ---------------------------------------------------------------------------------------------- reading outputs
def _public_texts() -> set[str]:
    """The shipped policies' titles, issuers and points: published text (《领导干部配偶、子女及其配偶经商办企业
    管理规定》, 国家卫生健康委员会), not data about anyone, so the dossier's 政策清单 cells are not scanned."""
    import yaml

    from analytics.dossier import SHIPPED_POLICIES

    entries = yaml.safe_load(SHIPPED_POLICIES.read_text(encoding="utf-8"))["policies"]
    return {str(e[k]) for e in entries for k in ("title", "issuer", "points") if e.get(k)}


PUBLIC_TEXTS = sorted(_public_texts(), key=len, reverse=True)


def _without_public_text(cell: str) -> str:
    for text in PUBLIC_TEXTS:
        if text in cell:
            cell = cell.replace(text, "")
    return cell


def file_text(path: Path) -> str:
    """Everything a person or program could read in a written file, as plain text (published policy text left
    out)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        parts = []
        for ws in wb.worksheets:
            parts.append(ws.title)
            for row in ws.iter_rows(values_only=True):
                parts.extend(_without_public_text(str(v)) for v in row if v is not None)
        wb.close()
        return "\n".join(parts)
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".html":
        text = PLOTLY_JS.sub("", text)  # the inlined plotly.js library, not data
        assert len(text) < 2_000_000, "the plotly.js library was not recognised and stripped"
        text = UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if suffix in (".html", ".gexf", ".graphml"):
        text = html.unescape(text)
    return text


def organisation_ids_in(text: str, world: World) -> tuple[set[str], set[str]]:
    """(canonical ids of the organisation keys written in ``text``, fragments that are no organisation key)."""
    found, unknown = set(), set()
    for m in ORG_ID_START.finditer(text):
        key = next((k for k in world.keys_by_prefix.get(m.group(), ()) if text.startswith(k, m.start())), None)
        if key is None:
            unknown.add(text[m.start() : m.start() + 40])
        else:
            found.add(world.canonical.get(key, key))
    return found, unknown


def scope_leaks(text: str, scope: str, world: World) -> list[str]:
    inside = world.inside(scope)
    ids, unknown = organisation_ids_in(text, world)
    leaks = [f"id {o} (region {world.code.get(o)})" for o in sorted(ids - inside)]
    leaks += [f"unknown organisation id {u!r}" for u in sorted(unknown)]
    leaks += [f"name {n}" for n in world.forbidden_names(scope) if n in text]
    return leaks


def secrets_in(text: str, world: World) -> dict[str, list[str]]:
    hexes = set(HEX32.findall(text))
    return {
        "resident-ID hashes": sorted(hexes & world.resident_hashes)[:3],
        "petitioner hashes": sorted(hexes & world.petitioner_hashes)[:3],
        "lead summaries": world.summaries_in(text)[:3],
        "relations": sorted({m.group() for m in RELATION_RE.finditer(text)})[:3],
    }


# ---------------------------------------------------------------------------------------------- detections
def organisations_named(detection: Any) -> set[str]:
    """Every organisation id a detection names: its where-lists, organisation details and subject."""
    out: set[str] = set()
    for role in ("organisations", "departments"):
        out.update(detection.where.get(role, ()))
    details = detection.details
    for key in ("buyer", "recipient", "target", "organisation"):
        if isinstance(details.get(key), str):
            out.add(details[key])
    out.update(details.get("buyers", ()))
    for ids in (details.get("organisations_by_tier") or {}).values():
        out.update(ids)
    if detection.kind in ("target", "organisation-profile"):
        out.add(detection.subject)
    return out


@settings(SETTINGS, max_examples=10)
@given(data=st.data())
def test_detections_stay_in_scope(tiny_world, world, data):
    typed = data.draw(scopes(world), label="scope")
    scope = unicodedata.normalize("NFKC", typed).strip()
    if not re.fullmatch(r"[0-9]{6}", scope):
        # Not a region code: refused, rather than read as a jurisdiction that holds nothing.
        with pytest.raises(DetectorError, match="6-digit region code"):
            GraphView(tiny_world.backend, scope=typed)
        return
    inside = world.inside(scope)
    view = GraphView(tiny_world.backend, scope=typed)
    assert view.scope == scope
    results = run_detectors(view, as_of=AS_OF)
    named: set[str] = set()
    for name, result in results.items():
        assert result.params["scope"] == scope
        for d in result:
            orgs = organisations_named(d)
            outside = {o for o in orgs if o not in inside}
            assert not outside, f"{name} {d.subject} names {sorted(outside)[:3]} outside {scope}"
            named |= orgs
        text = json.dumps(result.to_json(), ensure_ascii=False)
        assert not scope_leaks(text, scope, world), (name, scope_leaks(text, scope, world)[:5])
        assert not any(secrets_in(text, world).values()), (name, secrets_in(text, world))
    # A scope with organisations reports on them; one with none reports nothing.
    if not inside:
        assert not named and not any(len(r) for r in results.values())
    elif scope in world.present:
        assert len(results["targets"]) > 0


def test_the_scans_find_what_they_look_for(tiny_world, world):
    """Unscoped results read as a county's: the scans see the other organisations and the secrets."""
    county = next(c for c in world.present if not c.endswith("00"))
    results = run_detectors(GraphView(tiny_world.backend), ["targets", "duplicate-leads"], as_of=AS_OF)
    text = json.dumps({n: r.to_json() for n, r in results.items()}, ensure_ascii=False)
    leaks = scope_leaks(text, county, world)
    assert any(leak.startswith("id ") for leak in leaks) and any(leak.startswith("name ") for leak in leaks)
    planted = " ".join([*sorted(world.resident_hashes)[:1], *sorted(world.petitioner_hashes)[:1]])
    planted += json.dumps({"s": sorted(world.summaries)[0], "relation": "spouse"}, ensure_ascii=False)
    assert all(secrets_in(planted, world).values())


# ---------------------------------------------------------------------------------------------- written files
@pytest.fixture(scope="module")
def written(tiny_world, tmp_path_factory) -> Callable[[str, bool], dict[str, Path]]:
    """Every file the CLI writes for a scope, with or without --reveal-secrets (each written once)."""
    cache: dict[tuple[str, bool], dict[str, Path]] = {}
    runner = CliRunner(env=ENV)

    def write(scope: str, reveal: bool) -> dict[str, Path]:
        if (scope, reveal) in cache:
            return cache[(scope, reveal)]
        out = tmp_path_factory.mktemp(f"scope-{scope}-{'revealed' if reveal else 'withheld'}")
        ws = ["--workspace", str(tiny_world.workspace)]
        flags = ["--scope", scope]
        secret = ["--reveal-secrets"] if reveal else []
        commands = [
            ["analyze", "--out", str(out / "analyses"), "--as-of", AS_OF, *secret],
            ["export", "dossier", "--out", str(out / "dossier.xlsx"), "--as-of", AS_OF, "--top", "5", *secret],
            ["export", "report", "--out", str(out / "report.html"), "--as-of", AS_OF],
            ["export", "network", "--out", str(out / "network.gexf")],
            ["export", "network", "--out", str(out / "network.graphml")],
        ]
        if not reveal:
            # (Revealed, the graph export holds every secret by design: tested on its own below.)
            commands.append(["export", "graph", "--out", str(out / "graph.jsonl")])
        for command in commands:
            result = runner.invoke(main, [*ws, *command, *flags])
            assert result.exit_code == 0, (command, scope, result.output[-2000:])
            assert "Traceback" not in result.output
        files = {str(p.relative_to(out)): p for p in sorted(out.rglob("*")) if p.is_file()}
        assert {"dossier.xlsx", "report.html", "network.gexf", "network.graphml"} <= set(files)
        assert reveal or "graph.jsonl" in files
        assert any(n.endswith("targets.json") for n in files)
        cache[(scope, reveal)] = files
        return files

    return write


def _names_relatives(files: Mapping[str, Path]) -> bool:
    """Whether the written analyses name a declared relative (so --reveal-secrets has a relation to show)."""
    for name in ("conflict-of-interest", "inspector-ties"):
        saved = json.loads(files[f"analyses/{name}.json"].read_text(encoding="utf-8"))
        if any(d["where"].get("relatives") for d in saved["detections"]):
            return True
    return False


@settings(SETTINGS, max_examples=4)
@given(data=st.data())
def test_written_files_stay_in_scope_and_keep_secrets(world, written, data):
    scope = data.draw(st.one_of(st.sampled_from(world.present), st.sampled_from(NOWHERE)), label="scope")
    reveal = data.draw(st.booleans(), label="reveal_secrets")
    files = written(scope, reveal)
    revealed_relations = []
    for name, path in files.items():
        text = file_text(path)
        leaks = scope_leaks(text, scope, world)
        assert not leaks, f"{name} (scope {scope}) names organisations outside it: {leaks[:5]}"
        found = secrets_in(text, world)
        assert not any(found[k] for k in ("resident-ID hashes", "petitioner hashes", "lead summaries")), (name, found)
        if reveal:
            revealed_relations += found["relations"]
        else:
            assert not found["relations"], f"{name} shows how relatives are related: {found['relations']}"
    if reveal:
        # With --reveal-secrets the relation is shown wherever a declared relative is named.
        assert bool(revealed_relations) == _names_relatives(files), (scope, revealed_relations)


def test_relations_show_only_when_revealed(tiny_world, world, tmp_path):
    """The scan for relations is not vacuous: the province's analyses name declared relatives."""
    province = next(c for c in world.present if c.endswith("0000"))
    runner = CliRunner(env=ENV)
    shown: dict[bool, list[str]] = {}
    for reveal in (False, True):
        out = tmp_path / str(reveal)
        command = ["--workspace", str(tiny_world.workspace), "analyze", "conflict-of-interest", "inspector-ties"]
        command += ["--scope", province, "--out", str(out), *(["--reveal-secrets"] if reveal else [])]
        result = runner.invoke(main, command)
        assert result.exit_code == 0, result.output
        files = {f"analyses/{p.name}": p for p in out.iterdir()}
        assert _names_relatives(files)
        shown[reveal] = [m for p in files.values() for m in secrets_in(file_text(p), world)["relations"]]
    assert shown[True] and not shown[False], shown


def _graph_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _props(lines: Iterable[Mapping[str, Any]], name: str) -> set[Any]:
    return {line["props"][name] for line in lines if name in line.get("props", {})}


def test_graph_export_withholds_every_secret_unless_revealed(tiny_world, world, tmp_path):
    runner = CliRunner(env=ENV)
    ws = ["--workspace", str(tiny_world.workspace)]
    withheld, revealed = tmp_path / "withheld.jsonl", tmp_path / "revealed.jsonl"
    for out, extra in ((withheld, []), (revealed, ["--reveal-secrets"])):
        result = runner.invoke(main, [*ws, "export", "graph", "--out", str(out), *extra])
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    text = withheld.read_text(encoding="utf-8")
    found = secrets_in(text, world)
    assert not any(found.values()), found
    assert not any(line.get("rel") == "RELATIVE_OF" for line in _graph_lines(withheld))
    # Revealed, every secret is there: the same scan finds them.
    lines = _graph_lines(revealed)
    assert _props(lines, "resident_id_hash") == world.resident_hashes
    assert _props(lines, "petitioner_hash") == world.petitioner_hashes
    assert _props(lines, "summary") == world.summaries
    assert sum(line.get("rel") == "RELATIVE_OF" for line in lines) == world.relatives_declared
    assert all(secrets_in(revealed.read_text(encoding="utf-8"), world).values())
    # A scoped graph export is a part of it: the county's own organisations, with their findings.
    county = next(c for c in world.present if not c.endswith("00"))
    part = tmp_path / "county.jsonl"
    scoped = runner.invoke(main, [*ws, "export", "graph", "--out", str(part), "--scope", county])
    assert scoped.exit_code == 0 and "Traceback" not in scoped.output, scoped.output
    part_lines = _graph_lines(part)
    orgs = [line for line in part_lines if line.get("node") == "Organisation"]
    assert orgs and len(orgs) < sum(line.get("node") == "Organisation" for line in _graph_lines(withheld))
    assert any(line.get("node") == "Finding" for line in part_lines)
    assert not scope_leaks(part.read_text(encoding="utf-8"), county, world)

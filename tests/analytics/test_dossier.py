"""The target dossier: the ranked targets and each target's 3+2 lists, in Chinese, print-ready, secrets withheld."""

from __future__ import annotations

import datetime as dt
import json
import re

import openpyxl
import pytest
from click.testing import CliRunner

from analytics import Detection, DetectorResult, Evidence, GraphView, run_detectors
from analytics.dossier import DOSSIER_DETECTORS, load_policies, write_target_dossier
from analytics.terms import internal_codes, record_keys
from cli import main
from ingest.generator.world import LEAVES, SYSTEMS

from .conftest import KEY

ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY.decode()}
AS_OF = dt.date(2024, 9, 1)
LISTS = ("一、政策清单", "二、职能清单", "三、信息清单", "四、问题清单", "五、责任清单")
DETECTORS = list(DOSSIER_DETECTORS)


def _strings(ws) -> list[str]:
    return [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]


def _section(ws, start: str) -> list[tuple]:
    """The rows of a list: from its heading to the next heading of the same level (一、… 五、)."""
    rows, inside = [], False
    for row in ws.iter_rows(values_only=True):
        first = row[0] if row else None
        if isinstance(first, str) and re.match(r"^[一二三四五]、", first):
            inside = first.startswith(start)
            continue
        if inside and any(v is not None for v in row):
            rows.append(row)
    return rows


def _dates_in(value) -> list[dt.date]:
    if isinstance(value, dt.datetime):
        return [value.date()]
    if isinstance(value, dt.date):
        return [value]
    if not isinstance(value, str):
        return []
    found = [dt.date(int(y), int(m), int(d)) for y, m, d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", value)]
    return found + [dt.date.fromisoformat(x) for x in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", value)]


@pytest.fixture(scope="module")
def judged(tiny_world):
    """The tiny province judged on 2024-09-01 (its records run to the end of 2024)."""
    view = GraphView(tiny_world.backend)
    return view, run_detectors(view, DETECTORS, as_of=AS_OF.isoformat(), errors="keep")


def test_dossier_workbook(tiny_world, tmp_path):
    out = tmp_path / "2024年第2轮.xlsx"
    result = CliRunner(env=ENV).invoke(
        main,
        ["--workspace", str(tiny_world.workspace), "export", "dossier", "--out", str(out), "--as-of", "2024-09-01",
         "--top", "3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    # A summary, one sheet per target, one sheet of every ring and conflict.
    assert wb.sheetnames[0] == "汇总" and wb.sheetnames[-1] == "围标串标与利益冲突" and len(wb.sheetnames) == 5
    summary = wb["汇总"]
    header = next(r for r in summary.iter_rows(values_only=True) if r[0] == "排名")
    assert list(header[:6]) == ["排名", "单位", "层级", "系统", "风险分", "主要依据"]
    assert summary.column_dimensions["B"].width > 10
    for ws in wb.worksheets[1:4]:
        titles = [r[0] for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], str)]
        for section in LISTS:
            assert any(t.startswith(section) for t in titles), (ws.title, section)
    cells = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any(isinstance(v, dt.datetime | dt.date) for v in cells)  # dates are dates, not text
    # Lead contents (反映…问题) and personal-matters details never reach the dossier by default.
    assert not any(isinstance(v, str) and v.startswith(("反映", "举报")) for v in cells)
    assert not any(isinstance(v, str) and any(w in v for w in ("spouse", "child_in_law", "sibling")) for v in cells)
    entry = json.loads((tiny_world.workspace / "audit.log").read_text(encoding="utf-8").splitlines()[-1])
    assert entry["command"] == "export dossier" and entry["files"] == [str(out)]


def test_five_lists_in_chinese_nothing_after_as_of(judged, tmp_path):
    view, results = judged
    path = write_target_dossier(view, results, tmp_path / "d.xlsx", top=8)
    wb = openpyxl.load_workbook(path)
    targets = [ws for ws in wb.worksheets if re.match(r"^\d{2}", ws.title)]
    assert len(targets) == 8
    codes = internal_codes()
    for ws in targets:
        for start in LISTS:
            rows = _section(ws, start)
            assert rows, (ws.title, start)
            # Each list speaks Chinese: its table header and its content.
            assert any(re.search(r"[\u4e00-\u9fff]", str(v)) for row in rows[1:] for v in row if v), (ws.title, start)
        policies = [r[0] for r in _section(ws, "一、政策清单") if isinstance(r[0], str) and r[0].startswith("《")]
        assert "《中国共产党巡视工作条例》" in policies
    for ws in wb.worksheets:
        for text in _strings(ws):
            words = set(re.findall(r"[a-z][a-z_\-]+", text))
            assert not words & codes, (ws.title, text)
            assert not record_keys(text), (ws.title, text)
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert all(d <= AS_OF for d in _dates_in(value)), (ws.title, value)
    # The records do run past the as-of day: the filter is doing work.
    assert view.leads["received_date"].max().date() > AS_OF


def test_print_ready(judged, tmp_path):
    view, results = judged
    path = write_target_dossier(view, results, tmp_path / "d.xlsx", top=2, classification="机密★一年",
                                scope_label="浙江省")  # fmt: skip
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert setup.fitToWidth == 1 and setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows and ws.print_title_rows.startswith("$1:")
        assert ws.oddHeader.right.text == "机密★一年" and "浙江省" in ws.oddHeader.left.text
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    # The default marking.
    plain = openpyxl.load_workbook(write_target_dossier(view, results, tmp_path / "e.xlsx", top=1))
    assert plain.worksheets[1].oddHeader.right.text == "内部资料 注意保密"


def _links_case(view: GraphView):
    """A buyer with tenders (the ring's), its parent, a buyer of a known conflict, and a unit tied to none."""
    conflicts = run_detectors(view, ["conflict-of-interest"], as_of="2024-12-31")["conflict-of-interest"]
    assert len(conflicts), "the tiny province plants conflicts of interest"
    conflict = conflicts.detections[0]
    conflict_buyer = conflict.where["organisations"][0]
    tenders = view.tenders[view.tenders["buyer"].notna() & (view.tenders["buyer"] != conflict_buyer)]
    ring_buyer = next(b for b in tenders["buyer"] if b in view.parent and view.parent[b] != conflict_buyer)
    ring_tenders = tuple(tenders.loc[tenders["buyer"] == ring_buyer, "tender"])
    bidders = tuple(sorted(set(view.bids.loc[view.bids["tender"].isin(ring_tenders), "company"]))[:3])
    ring = Detection(
        detector="bid-rings",
        kind="bid-ring",
        subject="ring:" + bidders[0],
        score=5.0,
        summary="（构造的团伙）",
        where={"companies": bidders, "tenders": ring_tenders, "organisations": (ring_buyer,), "cadres": ()},
        evidence=(Evidence("招标单位", "Organisation", ring_buyer, "招标单位"),),
        details={"members": list(bidders), "cadres_at_buyers": {}},
    )
    near = {conflict_buyer, ring_buyer, view.parent[ring_buyer], view.parent.get(conflict_buyer)}
    children_of_near = {c for c, p in view.parent.items() if p in near}
    unrelated = next(
        o for o in view.organisations.index if o not in near | children_of_near and view.parent.get(o) not in near
    )
    parent = view.parent[ring_buyer]
    targets = DetectorResult(
        "targets",
        [
            Detection("targets", "target", o, 1.0 - i / 10, "", where={"organisations": (o,)}, details={})
            for i, o in enumerate([conflict_buyer, ring_buyer, parent, unrelated])
        ],
        params={"as_of": "2024-12-31"},
    )
    results = {"targets": targets, "bid-rings": DetectorResult("bid-rings", [ring]), "conflict-of-interest": conflicts}
    return results, conflict, ring, (conflict_buyer, ring_buyer, parent, unrelated)


def test_rings_and_conflicts_reach_the_targets_they_touch(tiny_world, tmp_path):
    view = GraphView(tiny_world.backend)
    results, conflict, ring, (conflict_buyer, ring_buyer, parent, unrelated) = _links_case(view)
    wb = openpyxl.load_workbook(write_target_dossier(view, results, tmp_path / "d.xlsx", top=4))
    sheets = {ws.title[2:]: ws for ws in wb.worksheets if re.match(r"^\d{2}", ws.title)}
    sheet_of = {o: wb.worksheets[i] for i, o in enumerate([conflict_buyer, ring_buyer, parent, unrelated], start=1)}
    assert len(sheets) == 4
    company = view.name_of("Company", conflict.details["company"])
    member = view.name_of("Company", ring.where["companies"][0])

    def problems(ws) -> list[str]:
        return [" ".join(str(v) for v in r if v) for r in _section(ws, "四、问题清单")]

    def info(ws) -> str:
        return " ".join(str(v) for r in _section(ws, "三、信息清单") for v in r if v)

    # The conflict's buyer: its conflict in the information list and as a suspected problem, with its cadre.
    assert any(p.startswith("利益冲突") and company in p for p in problems(sheet_of[conflict_buyer]))
    assert "L1" in info(sheet_of[conflict_buyer])
    cadre = view.name_of("Person", conflict.details["cadre"])
    assert any(r[0] == cadre for r in _section(sheet_of[conflict_buyer], "五、责任清单"))
    # The ring's buyer, and the unit it belongs to (the ring bought through a unit under it).
    assert any(p.startswith("围标串标") and "R1" in p for p in problems(sheet_of[ring_buyer]))
    assert any(p.startswith("围标串标") and "下属单位" in p for p in problems(sheet_of[parent]))
    assert member in info(sheet_of[ring_buyer])
    # The unrelated unit has neither.
    assert not any(p.startswith(("围标串标", "利益冲突")) for p in problems(sheet_of[unrelated]))
    assert company not in info(sheet_of[unrelated]) and member not in info(sheet_of[unrelated])
    # One sheet lists every ring and conflict, with the target sheets each touches.
    links = wb["围标串标与利益冲突"]
    rows = {
        r[0]: r for r in links.iter_rows(values_only=True) if isinstance(r[0], str) and re.match(r"^[RL]\d+$", r[0])
    }
    assert set(rows) == {"R1"} | {f"L{i}" for i in range(1, len(results["conflict-of-interest"]) + 1)}
    assert sheet_of[ring_buyer].title in rows["R1"][5] and sheet_of[parent].title in rows["R1"][5]
    assert sheet_of[unrelated].title not in rows["R1"][5]
    assert sheet_of[conflict_buyer].title in rows["L1"][8]


def test_responsibility_list_deduplicated_with_posts(judged, tmp_path):
    view, results = judged
    wb = openpyxl.load_workbook(write_target_dossier(view, results, tmp_path / "d.xlsx", top=10))
    seen_any = False
    for ws in wb.worksheets:
        if not re.match(r"^\d{2}", ws.title):
            continue
        rows = _section(ws, "五、责任清单")
        assert rows[0][:4] == ("姓名", "职务及任职时间", "责任事项", "谈话核查重点")
        people = [r for r in rows[1:] if r[1]]
        names = [r[0] for r in people]
        assert len(names) == len(set(names)), (ws.title, names)
        for name, posts, duty, _ in (r[:4] for r in people):
            seen_any = True
            # A post and when it was held (the post is named where the records name it).
            assert re.search(r"（(\d{4}年\d{1,2}月\d{1,2}日|不详)—", posts), (ws.title, name, posts)
            assert duty.startswith(("现任", "曾任")), (ws.title, name, duty)
    assert seen_any


def test_policies_cover_the_taxonomy_and_an_office_extends_them(judged, tmp_path):
    policies = load_policies()
    for leaf in LEAVES:
        assert any(p.covers(leaf) for p in policies), leaf
    for code, *_ in SYSTEMS:
        assert any(code in p.systems for p in policies), code
    assert all(p.title.startswith("《") and p.issuer for p in policies)
    extra = tmp_path / "office.yaml"
    extra.write_text(
        "policies:\n"
        "- {title: 《本市巡察工作实施办法》, issuer: 中共本市委员会, year: 2023, points: 本市规定}\n"
        "- {title: 《中国共产党巡视工作条例》, issuer: 中共中央, year: 2024, points: 本办改写的要点}\n",
        encoding="utf-8",
    )
    extended = load_policies(extra)
    assert len(extended) == len(policies) + 1
    assert next(p for p in extended if p.title == "《中国共产党巡视工作条例》").points == "本办改写的要点"
    view, results = judged
    wb = openpyxl.load_workbook(write_target_dossier(view, results, tmp_path / "d.xlsx", top=1, policies=extra))
    shown = _section(wb.worksheets[1], "一、政策清单")
    assert any(r[0] == "《本市巡察工作实施办法》" for r in shown)


def test_network_export_for_gephi(tiny_world, tmp_path):
    import networkx as nx

    out = tmp_path / "rings.gexf"
    runner = CliRunner(env=ENV)
    result = runner.invoke(main, ["--workspace", str(tiny_world.workspace), "export", "network", "--out", str(out)])
    assert result.exit_code == 0, result.output
    g = nx.read_gexf(out)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    # Node kinds are the catalogue's words for each role (analytics/data/terms/network.yaml).
    roles = {"采购单位", "招标项目", "围标企业", "关联企业", "干部", "亲属"}
    assert g.number_of_nodes() > 0 and kinds <= roles
    assert all("label" in d for _, d in g.nodes(data=True))
    bad = runner.invoke(main, ["--workspace", str(tiny_world.workspace), "export", "network", "--out", "x.png"])
    assert bad.exit_code == 1 and ".gexf" in bad.output


def test_graph_export_round_trip_without_secrets(tiny_world, tmp_path):
    out = tmp_path / "graph.jsonl"
    runner = CliRunner(env=ENV)
    result = runner.invoke(main, ["--workspace", str(tiny_world.workspace), "export", "graph", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "withheld as secret" in result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    secret = {"resident_id_hash", "petitioner_hash", "summary", "relation", "declared", "content", "discrepancy"}
    assert not any(secret & set(line.get("props", {})) for line in lines)
    # What was written loads into a fresh workspace as the same graph (counts per label and type).
    fresh = tmp_path / "fresh"
    loaded = runner.invoke(main, ["--workspace", str(fresh), "load", str(out)])
    assert loaded.exit_code == 0, loaded.output
    stats = lambda ws: json.loads(runner.invoke(main, ["--workspace", str(ws), "stats", "--json"]).output)  # noqa: E731
    before, after = stats(tiny_world.workspace), stats(fresh)
    # Declared relatives are personal-matters data: the links themselves stay behind.
    assert "RELATIVE_OF" not in after["relationships"] and before["relationships"].pop("RELATIVE_OF") > 0
    assert after["relationships"] == before["relationships"]
    # The loaded file itself adds one Source record (its provenance); every other label matches.
    assert {k: v for k, v in after["nodes"].items() if k != "Source"} == {
        k: v for k, v in before["nodes"].items() if k != "Source"
    }


def test_exports_speak_json(tiny_world, tmp_path):
    runner = CliRunner(env=ENV)
    ws = ["--workspace", str(tiny_world.workspace)]
    network = runner.invoke(main, [*ws, "export", "network", "--out", str(tmp_path / "n.graphml"), "--json"])
    assert network.exit_code == 0, network.output
    assert json.loads(network.output)["file"].endswith("n.graphml")
    graph = runner.invoke(main, [*ws, "export", "graph", "--out", str(tmp_path / "g.jsonl"), "--json"])
    data = json.loads(graph.output)
    assert data["nodes"] > 0 and data["secret_elements_withheld"] > 0

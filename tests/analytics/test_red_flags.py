"""The red-flags detector on the graph: Cardinal's reference result, bid tables, buyer patterns, the CLI.

Per-indicator definitions are tested on hand-built frames in test_cardinal_indicators.py; here the question
is whether the graph feeds them right and what the detector adds.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from analytics import GraphView, run_detectors
from analytics.red_flags import buyer_tests, detect_red_flags
from cli import main
from graphmodel import EmbeddedBackend, open_backend
from ingest.load import Ingester
from ingest.procurement import bid_table_mapping

OCDS = Path(__file__).parents[1] / "fixtures" / "ocds"

# What Cardinal 0.0.8 reported on these records (compiledRelease per line, bid_status active -> valid, UAH):
# R003 on six processes, R018 on two. (From the reference result kept with the development data.)
CARDINAL_R003 = {
    "ocds-be6bcu-UA-2016-06-02-000468-c",
    "ocds-be6bcu-UA-2016-06-07-000066-a",
    "ocds-be6bcu-UA-2016-06-08-000504-c",
    "ocds-be6bcu-UA-2016-08-31-000670-b",
    "ocds-be6bcu-UA-2017-04-10-002020-b",
    "ocds-be6bcu-UA-2017-04-12-001619-b",
}
CARDINAL_R018 = {"ocds-be6bcu-UA-2016-06-02-000468-c", "ocds-be6bcu-UA-2016-08-31-000670-b"}


def _flagged(result, code: str) -> set[str]:
    return {d.details["ocid"] for d in result.detections if d.kind == "process-flag" and d.details["indicator"] == code}


def test_the_ukrainian_records_flag_what_cardinal_flagged(backend, tmp_path):
    Ingester(backend, tmp_path / "q", codelists={"bid_status": {"active": "valid"}}).ingest(
        [OCDS / "ukraine_records.jsonl.gz"]
    )
    result = run_detectors(backend, ["red-flags"])["red-flags"]
    assert result.status == "ran"
    assert _flagged(result, "R003") == CARDINAL_R003
    assert _flagged(result, "R018") == CARDINAL_R018
    # Cardinal matches a bid to an award by the tenderer's id, and these tenderers have none: it cannot see the
    # late bids that won. Matched by name at ingest, two processes show bids dated after the deadline that won.
    assert _flagged(result, "R030") == {"ocds-be6bcu-UA-2016-06-08-000504-c", "ocds-be6bcu-UA-2017-04-12-001619-b"}
    assert {code for code in result.stats["flags_by_indicator"]} == {"R003", "R018", "R030"}
    short = next(d for d in result.detections if d.subject == "R003:ocds-be6bcu-UA-2017-04-12-001619-b")
    assert short.details["value"] == 1.0 and short.details["threshold"] == 15.0
    assert short.summary.startswith("投标期过短（R003）：ВІДДІЛ ОСВІТИ СИНЕЛЬНИКІВСЬКОЇ МІСЬКОЇ РАДИ")
    assert "仅1天，低于15天" in short.summary
    assert short.where["organisations"] and short.where["tenders"] == ("tender:ocds-be6bcu-UA-2017-04-12-001619-b",)
    # The coverage report: eleven processes, R003 usable where a tender period is given (the open ones).
    coverage = {row["indicator"]: row for row in result.stats["coverage"]}
    assert coverage["R003"]["processes"] == 11 and coverage["R003"]["usable"] == 6
    assert set(coverage) == {"R003", "R018", "R024", "R025", "R028", "R030", "R035", "R036", "R038", "R048", "R058"}
    # Written into the graph: one RedFlag per detection, FLAGS to its tender, buyer and firms; a second write
    # replaces the first.
    from analytics.red_flags import write_flags

    for _ in range(2):
        assert write_flags(backend, result) == len(result)
        assert backend.count_nodes("RedFlag") == len(result)
    flags = backend.relationships("FLAGS")
    single = flags[flags["start_key"] == "R018:ocds-be6bcu-UA-2016-06-02-000468-c"]
    assert sorted(single["end_label"]) == ["Company", "Organisation", "Tender"]


def test_nothing_after_the_as_of_day_is_seen(tmp_path):
    backend = EmbeddedBackend(tmp_path / "ws")
    Ingester(backend, tmp_path / "q", codelists={"bid_status": {"active": "valid"}}).ingest(
        [OCDS / "ukraine_records.jsonl.gz"]
    )
    early = detect_red_flags(backend_view(backend), as_of="2016-12-31")
    assert _flagged(early, "R003") == {o for o in CARDINAL_R003 if "-2016-" in o}
    assert early.detections and not [d for d in early.detections if "-2017-" in (d.details.get("ocid") or "")]


def backend_view(backend):
    from analytics import GraphView

    return GraphView(backend)


# --------------------------------------------------------------------------- bid tables and buyer patterns
def _bid_table(path: Path, seed: int, planted: str | None) -> None:
    """12 buyers x 8 open tenders, 3-5 valid bids each; the planted buyer's tenders mostly draw one bid."""
    rng = random.Random(seed)
    firms = [f"第{i}建设有限公司" for i in range(1, 41)]
    rows = []
    for b in range(12):
        buyer = f"某市{'甲乙丙丁戊己庚辛壬癸子丑'[b]}局"
        for t in range(8):
            tender = f"T{b:02d}{t:02d}"
            single = buyer == planted and t < 6 or rng.random() < 0.04
            bidders = rng.sample(firms, 1 if single else rng.randint(3, 5))
            prices = sorted(round(rng.uniform(90, 110) * 1000, 2) for _ in bidders)
            for i, (firm, price) in enumerate(zip(bidders, prices, strict=True)):
                rows.append(
                    {
                        "项目编号": tender,
                        "招标人": buyer,
                        "投标人": firm,
                        "投标报价": price,
                        "是否中标": "是" if i == 0 else "否",
                        "开标日期": f"2023-{1 + t:02d}-15",
                        "招标方式": "公开招标",
                        "投标状态": "有效",
                        "投标截止": f"2023-{1 + t:02d}-15 09:30",
                        "公告时间": f"2023-{1 + t:02d}-{1 + (t % 3):02d} 09:00",
                    }
                )
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


SPEC = (
    "tender=项目编号,bidder=投标人,amount=投标报价,winner=是否中标,buyer=招标人,date=开标日期,method=招标方式,"
    "status=投标状态,period_start=公告时间,period_end=投标截止"
)


def _load_bid_table(tmp_path: Path, seed: int, planted: str | None) -> EmbeddedBackend:
    path = tmp_path / f"bids-{seed}.csv"
    _bid_table(path, seed, planted)
    backend = EmbeddedBackend(tmp_path / f"ws-{seed}")
    report = Ingester(backend, tmp_path / f"q-{seed}", mappings=[bid_table_mapping(SPEC, backend.schema)]).ingest(
        [path]
    )
    assert report.files[0].rows_quarantined == 0
    return backend


def test_a_buyer_where_most_tenders_draw_one_bid_is_found_and_no_other(tmp_path):
    backend = _load_bid_table(tmp_path, 1, planted="某市甲局")
    result = run_detectors(backend, ["red-flags"])["red-flags"]
    patterns = [d for d in result.detections if d.kind == "buyer-pattern"]
    assert [(d.details["indicator"], d.where["organisations"]) for d in patterns] == [("R018", ("org:bids:某市甲局",))]
    (found,) = patterns
    assert found.details["flagged"] >= 6 and found.details["processes"] == 8
    assert found.summary.startswith("某市甲局：8个招标项目中") and "仅一家投标（R018）" in found.summary
    # The bid table's columns feed the indicators they can: R003 from its periods (14 days at most < 15),
    # R018 from its statuses and method; single bids flagged on the planted buyer's six tenders at least.
    assert {"T0000", "T0001", "T0002", "T0003", "T0004", "T0005"} <= {o for o in _flagged(result, "R018")} | {
        t.removeprefix("tender:") for d in patterns for t in d.where["tenders"]
    }
    coverage = {row["indicator"]: row for row in result.stats["coverage"]}
    assert coverage["R003"]["usable"] == 96 and coverage["R018"]["usable"] == 96


def test_a_bid_table_without_statuses_does_not_claim_its_bids_valid(tmp_path):
    path = tmp_path / "bids.csv"
    _bid_table(path, 2, planted=None)
    backend = EmbeddedBackend(tmp_path / "ws")
    spec = "tender=项目编号,bidder=投标人,amount=投标报价,winner=是否中标,buyer=招标人,method=招标方式"
    Ingester(backend, tmp_path / "q", mappings=[bid_table_mapping(spec, backend.schema)]).ingest([path])
    view = backend_view(backend)
    plain = detect_red_flags(view)
    coverage = {row["indicator"]: row["usable"] for row in plain.stats["coverage"]}
    assert coverage["R024"] == 0 and coverage["R058"] == 0 and coverage["R003"] == 0  # no statuses, no periods
    assumed = detect_red_flags(view, assume_valid=True)
    assert {row["indicator"]: row["usable"] for row in assumed.stats["coverage"]}["R024"] > 50


def test_buyer_patterns_keep_their_false_discovery_rate_on_null_worlds():
    """No buyer differs: flags fall on processes at random. Benjamini-Hochberg at 0.05 over all tests bounds the
    chance that a world shows any pattern by 0.05 (all nulls true); allow for 400 simulated worlds."""
    rng = random.Random(7)
    worlds_with_any = 0
    runs = 400
    for _ in range(runs):
        processes = [f"p{i}" for i in range(240)]
        buyers = pd.Series([f"b{rng.randrange(30)}" for _ in processes], index=processes)
        flagged = {
            code: {p for p in processes if rng.random() < rate} for code, rate in (("R018", 0.12), ("R003", 0.3))
        }
        if any(q <= 0.05 for *_, q in buyer_tests(buyers, flagged, minimum=3)):
            worlds_with_any += 1
    assert worlds_with_any / runs <= 0.05 + 3 * (0.05 * 0.95 / runs) ** 0.5, worlds_with_any


def test_buyer_tests_find_a_planted_buyer():
    rng = random.Random(3)
    processes = [f"p{i}" for i in range(240)]
    buyers = pd.Series([f"b{i % 30}" for i in range(240)], index=processes)
    flagged = {"R018": {p for p in processes if rng.random() < 0.1} | {p for p, b in buyers.items() if b == "b7"}}
    found = [(code, buyer) for code, buyer, k, n, rate, p, q in buyer_tests(buyers, flagged) if q <= 0.05]
    assert found == [("R018", "b7")]


# --------------------------------------------------------------------------- the command line
def test_analyze_on_an_ocds_only_graph_writes_red_flags_into_files_and_graph(tmp_path):
    runner = CliRunner(env={"NEO4J_URI": None, "LIANDONG_WORKSPACE": None})  # the embedded backend, whatever CI set
    ws = str(tmp_path / "ws")
    codes = tmp_path / "codelists.yaml"
    codes.write_text("bid_status:\n  active: valid\n", encoding="utf-8")
    result = runner.invoke(
        main, ["--workspace", ws, "ingest", "--codelists", str(codes), str(OCDS / "ukraine_records.jsonl.gz")]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--workspace", ws, "analyze"])
    assert result.exit_code == 0, result.output
    assert any(line.startswith("red-flags") for line in result.output.splitlines()), result.output
    flags = pd.read_csv(Path(ws) / "analyses" / "red-flags.csv")
    assert set(flags["indicator"]) == {"R003", "R018", "R030"} and len(flags) == 12
    backend = open_backend(ws)
    first = backend.count_nodes("RedFlag")
    assert first == len(flags) and backend.count_relationships("FLAGS") >= first
    backend.close()
    # Run again: the flags are replaced, not piled up.
    assert runner.invoke(main, ["--workspace", ws, "analyze", "red-flags"]).exit_code == 0
    backend = open_backend(ws)
    assert backend.count_nodes("RedFlag") == first
    backend.close()


@pytest.mark.parametrize("bad", [{"R999": {}}, {"R003": {"colour": 1}}])
def test_bad_settings_are_refused_by_name(tmp_path, bad):
    from analytics.base import DetectorError

    backend = EmbeddedBackend(tmp_path / "ws")
    Ingester(backend, tmp_path / "q").ingest([OCDS / "lots_and_updates.json"])
    with pytest.raises(DetectorError, match="R999|colour"):
        detect_red_flags(backend_view(backend), settings=bad)


def test_settings_from_cardinal_ini_or_yaml_change_the_thresholds(tmp_path):
    from analytics.red_flags import read_settings

    ini = tmp_path / "settings.ini"
    ini.write_text("currency = UAH\n\n[codelists.bid_status]\nactive = valid\n\n[R003]\nthreshold = 3\n", "utf-8")
    assert read_settings(ini) == {"currency": "UAH", "R003": {"threshold": 3}}
    backend = EmbeddedBackend(tmp_path / "ws")
    Ingester(backend, tmp_path / "q", codelists={"bid_status": {"active": "valid"}}).ingest(
        [OCDS / "ukraine_records.jsonl.gz"]
    )
    # Periods of 1, 1, 2, 3, 5 and 7 days: under 3 days, three processes.
    result = detect_red_flags(backend_view(backend), settings=read_settings(ini))
    assert _flagged(result, "R003") == {
        "ocds-be6bcu-UA-2017-04-10-002020-b",
        "ocds-be6bcu-UA-2017-04-12-001619-b",
        "ocds-be6bcu-UA-2016-06-02-000468-c",
    }
    yml = tmp_path / "settings.yaml"
    yml.write_text("R018: {procurement_methods: limited}\n", "utf-8")
    assert _flagged(detect_red_flags(backend_view(backend), settings=read_settings(yml)), "R018") == set()
    runner = CliRunner(env={"NEO4J_URI": None, "LIANDONG_WORKSPACE": None})
    backend.close()
    out = runner.invoke(
        main, ["--workspace", str(tmp_path / "ws"), "analyze", "red-flags", "--red-flags-settings", str(ini)]
    )
    assert out.exit_code == 0, out.output
    frame = pd.read_csv(tmp_path / "ws" / "analyses" / "red-flags.csv")
    assert (frame["indicator"] == "R003").sum() == 3


def test_party_contacts_and_red_flags_reach_the_ring_evidence(backend):
    """A ring whose members share an e-mail (as OCDS parties' contact points load) and price two bids alike."""
    from analytics.bid_rings import detect_bid_rings
    from tests.analytics.builders import GraphBuilder
    from tests.analytics.test_rings_targets import _market

    g = GraphBuilder()
    ring = _market(g)
    email = g.node("Email", "bids@ring.example")
    g.rel("HAS_EMAIL", ring[0], email)
    g.rel("HAS_EMAIL", ring[1], email)
    buyer = g.org("org:B2", "某市乙局")
    same = 961_000.0
    g.tender(
        "t:same", buyer, "2023-09-10", [(ring[0], same, True), (ring[1], same, False), (ring[2], 990_000.0, False)]
    )
    g.write(backend)
    (found,) = detect_bid_rings(GraphView(backend))
    assert sorted(c["kind"] for c in found.details["shared_contacts"]) == ["email", "phone"]
    assert any(e.role == "共用电子邮箱" and e.label == "Email" for e in found.evidence)
    assert found.details["red_flags"] == {"t:same": ["R028"]}
    assert any(e.role == "招投标风险信号" and "投标报价相同（R028）" in e.text for e in found.evidence)

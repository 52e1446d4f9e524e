"""Resolution as a probability, checked on the independent offices' generator (ingest.offices), whose truth
the resolver never sees: what the accept threshold promises, what must not merge, and the audit table."""

from __future__ import annotations

import csv
from collections import defaultdict

import pandas as pd
import pytest
from click.testing import CliRunner

from graphmodel import EmbeddedBackend, load_schema
from ingest.evaluation import pairwise_scores
from ingest.load import Ingester, read_record_rows
from ingest.mapping import load_mapping
from ingest.offices import generate_offices, mapping_paths
from ingest.resolve import Resolver, _swapped, _TradeWords, cluster_table, company_name, review_table

KEY = b"test-resolve-probabilistic"
KINDS = {"organisation": "Organisation", "person": "Person", "company": "Company"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("offices-prob")
    generated = generate_offices(folder / "exports", seed=11, scale="tiny")
    schema = load_schema()
    backend = EmbeddedBackend(folder / "ws")
    Ingester(
        backend,
        folder / "q",
        mappings=[load_mapping(p, schema) for p in mapping_paths()],
        builtin=False,
        secret_key=KEY,
    ).ingest([generated.exports])
    resolver = Resolver(backend)
    resolver.run()
    truth: dict[str, dict[str, str]] = defaultdict(dict)
    with open(folder / "exports" / "truth_records.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[KINDS[row["kind"]]][row["key"]] = row["entity"]
    yield backend, resolver, truth, folder
    backend.close()


def _canonical(backend, label):
    frame = backend.nodes(label)
    key = backend.schema.node(label).key
    return dict(zip(frame[key], frame["canonical_id"].fillna(frame[key]), strict=True))


@pytest.mark.parametrize("label", ["Person", "Company"])
def test_accepted_links_keep_the_promise_of_the_accept_threshold(world, label):
    backend, resolver, truth, _ = world
    scored = resolver.scored[label]
    entity = truth[label]
    known = scored[scored["a"].isin(entity) & scored["b"].isin(entity)]
    match = [entity[a] == entity[b] for a, b in zip(known["a"], known["b"], strict=True)]
    accepted = known["probability"].to_numpy() >= resolver.threshold
    assert accepted.sum() >= 20
    # At least 0.9 of the pairs at 0.9 or more are one entity (what the probability promises), and pairs the
    # model gave under 0.5 are mostly two.
    assert pd.Series(match)[accepted].mean() >= 0.9
    low = known["probability"].to_numpy() < 0.5
    if low.sum() >= 20:
        assert pd.Series(match)[low].mean() <= 0.5


def test_each_kind_found_and_decoys_kept_apart(world, tmp_path):
    backend, _, truth, folder = world
    for label, entity in truth.items():
        canonical = _canonical(backend, label)
        scores = pairwise_scores((canonical[k], e) for k, e in entity.items() if k in canonical)
        assert scores["precision"] >= 0.95, (label, scores)
        assert scores["recall"] >= 0.85, (label, scores)
    merged = pairs = 0
    canonical_of = {label: _canonical(backend, label) for label in KINDS.values()}
    with open(folder / "exports" / "decoys.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            canonical = canonical_of[KINDS[row["kind"]]]
            pairs += 1
            merged += canonical.get(row["key_a"]) is not None and canonical.get(row["key_a"]) == canonical.get(
                row["key_b"]
            )
    assert pairs >= 50 and merged / pairs <= 1 / 50


def test_cluster_table_gives_every_source_row_its_entity_and_probability(world):
    backend, resolver, _, folder = world
    rows = read_record_rows(folder / "q")
    table = cluster_table(backend, rows)
    assert len(rows) > 0 and set(table["file"].dropna()) <= set(rows["file"])
    # Every row that wrote a record is a line, with file and row number.
    lines = table.dropna(subset=["file"])
    assert len(lines) == len(rows.drop_duplicates(["source", "sheet", "row", "label", "key"]))
    assert lines["row"].astype(str).str.fullmatch(r"\d+").all()
    # The representative has probability 1; every other member the probability of a link that joined it.
    stands = table["record_key"] == table["canonical_id"]
    assert (table.loc[stands, "probability"] == 1.0).all()
    members = table.loc[~stands, "probability"]
    assert members.notna().all() and (members >= resolver.threshold).all()
    assert table["canonical_name"].notna().all()


def test_review_list_holds_the_unsure_links_between_the_thresholds(world):
    backend, resolver, _, _ = world
    table = review_table(backend)
    assert list(table.columns) == ["label", "probability", "name_a", "name_b", "key_a", "key_b", "evidence"]
    if not table.empty:
        assert (table["probability"] >= resolver.review).all()
        assert table["name_a"].notna().all() and table["evidence"].str.len().min() > 0


def test_cli_writes_clusters_and_review(world, tmp_path, monkeypatch):
    from cli import main

    backend, _, _, folder = world
    monkeypatch.delenv("NEO4J_URI", raising=False)
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(
        main,
        [
            "--workspace",
            str(folder / "ws"),
            "entities",
            "clusters",
            "--out",
            str(out),
            "--quarantine",
            str(folder / "q"),
        ],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert {"label", "canonical_id", "record_key", "name_as_written", "file", "row", "probability"} <= set(written)
    result = CliRunner().invoke(main, ["--workspace", str(folder / "ws"), "entities", "review"])
    assert result.exit_code == 0, result.output
    model = tmp_path / "model.csv"
    result = CliRunner().invoke(
        main, ["--workspace", str(folder / "ws"), "entities", "resolve", "--model-out", str(model)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(model, encoding="utf-8-sig")
    assert set(table["label"]) == {"Organisation", "Person", "Company"}
    assert ((table["m"] > 0) & (table["m"] < 1) & (table["u"] > 0) & (table["u"] < 1)).all()
    same_birth = table[(table["comparison"] == "出生日期") & (table["level"] == "同一天")]
    assert same_birth["weight"].item() > 3  # one birth day is strong evidence of one person


@pytest.mark.parametrize(
    "name, place, core, form, branch",
    [
        ("东升劳务(九江)有限责任公司", "360400", "东升劳务", "有限责任公司", ""),
        ("九江东升劳务有限公司", "360400", "东升劳务", "有限责任公司", ""),  # 有限公司 is the short form
        ("东升劳务股份有限公司", "", "东升劳务", "股份有限公司", ""),
        ("九江东升劳务有限公司高安分公司", "360400", "东升劳务", "有限责任公司", "高安分公司"),
        ("宁波市越农资有限公司", "330200", "越农资", "有限责任公司", ""),
    ],
)
def test_company_names_read_into_their_parts(name, place, core, form, branch):
    parts = company_name(name, "360000" if place != "330200" else "330000")
    assert (parts.place, parts.core, parts.form, parts.branch) == (place, core, form, branch)


def test_a_trade_name_that_is_a_place_still_meets_its_prefixed_form():
    # 德安 is a county and a trade name: 德安建筑工程有限公司 is 南昌德安建筑工程有限公司 without its city.
    bare, prefixed = company_name("德安建筑工程有限公司", "360000"), company_name("南昌德安建筑工程有限公司", "360000")
    assert bare.whole == prefixed.core == "德安建筑工程"


def _trade_words() -> _TradeWords:
    # Cores as a registry holds them: trade names of two characters before the words of their trades.
    trades = ["康恒", "鑫康", "达金", "成正", "宏远", "东升", "瑞源", "华蓝"]
    words = ("医疗器械", "医疗器材", "道路工程", "水利工程", "劳务", "教育科技", "信息科技")
    return _TradeWords([t + w for t in trades for w in words] + ["益道路工程"])


def test_trade_words_are_the_endings_many_cores_share_and_stop_at_the_trade_name():
    words = _trade_words()
    assert words.word("康恒医疗器械") == "医疗器械"
    assert words.word("康恒道路工程") == "道路工程"  # not 工程: the longer ending keeps most of its cores
    assert words.word("康益道路工程") == "道路工程"  # 益道路工程 is one core's, not a word
    assert words.word("康恒测绘") == ""  # an ending nobody else writes is no trade word


@pytest.mark.parametrize(
    "a, b, in_word",
    [
        ("康恒医疗器械", "康恒医疗械", True),  # a character dropped from the trade's word: a slip
        ("康恒医疗器械", "康恒医疗器诫", True),
        ("康恒道路工程", "康恒道路公程", True),
        ("康恒道路工程", "康恒道路工工程", True),
        ("康恒教育科技", "康恒教科技", True),  # 科技 is the end of 教育科技, not another word
        ("康恒医疗器械", "康医疗器械", False),  # the trade name lost a character: maybe another firm
        ("康恒医疗器械", "康亨医疗器械", False),
        ("康恒医疗器械", "康恒医疗器材", False),  # two words of trades: two firms
    ],
)
def test_a_slip_inside_a_trade_word_is_told_from_a_different_trade_name(a, b, in_word):
    assert _trade_words().slip_in_word(a, b) is in_word
    assert _trade_words().slip_in_word(b, a) is in_word


def test_swapped_characters():
    assert _swapped("浙江泽通道路工程有限公司", "浙泽江通道路工程有限公司")
    assert not _swapped("浙江泽通道路工程有限公司", "浙江通泽路道工程有限公司")  # two swaps
    assert not _swapped("景合", "景和")


def test_every_spelling_stays_on_the_node(world):
    # A record keeps every spelling the rows that wrote it used, and its name is one of them (the offices
    # key records by local number or by name as written, so here most have one; see test_resolve for many).
    backend, _, _, folder = world
    rows = read_record_rows(folder / "q")
    spellings: dict[tuple[str, str], set[str]] = defaultdict(set)
    for label, key, name in zip(rows["label"], rows["key"], rows["name"], strict=True):
        if name:
            spellings[(label, key)].add(name)
    for label in ("Organisation", "Person", "Company"):
        frame = backend.nodes(label).set_index(backend.schema.node(label).key)
        for key, aliases in frame["aliases"].items():
            assert set(aliases) == spellings[(label, key)], (label, key)
            assert frame.loc[key, "name"] in aliases

"""Ingest of generated tier exports: every row loaded or quarantined, idempotent, resumable, secrets hashed."""

from __future__ import annotations

import csv
import re
import shutil

import pytest
from click.testing import CliRunner

from cli import main
from graphmodel import EmbeddedBackend
from ingest.generator import generate
from ingest.load import Ingester

KEY = b"test-secret-key"
RESIDENT_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    generate("tiny", 21, out)
    return out


def _ingest(backend, paths, tmp_path, **kw):
    return Ingester(backend, tmp_path / "q", secret_key=KEY, **kw).ingest(paths)


def test_every_row_is_loaded_or_quarantined(backend, exports, tmp_path):
    report = _ingest(backend, [exports], tmp_path)
    assert not report.problems, [(f.file, f.message) for f in report.problems]
    formats = {f.format for f in report.files}
    assert formats == {
        "directory",
        "roster",
        "companies",
        "declarations",
        "findings",
        "rectification",
        "teams",
        "leads",
        "transfers",
        "bids",
    }
    for f in report.files:
        assert f.balanced, f
        assert f.rows_read > 0, f
    assert report.rows_quarantined > 0
    with open(report.quarantine_path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len({(r["file"], r["row"]) for r in rows}) == report.rows_quarantined
    # The generator plants bad check characters in ID columns, and nothing else fails.
    assert {r["column"] for r in rows} <= {
        "身份证号",
        "信访人身份证号",
        "法定代表人身份证号",
        "统一社会信用代码",
        "投标人统一社会信用代码",
    }
    assert all("check character" in r["reason"] for r in rows)
    # Secret values never reach the quarantine file.
    assert not any(RESIDENT_ID.search(r["value"] + r["reason"]) for r in rows if "身份证" in r["column"])
    stats = backend.stats()
    assert stats["nodes"]["Finding"] == sum(f.rows_loaded for f in report.files if f.format == "findings")
    assert stats["relationships"]["BID_ON"] > 0 and stats["relationships"]["RELATIVE_OF"] > 0


def test_resident_ids_are_only_stored_as_keyed_hashes(backend, exports, tmp_path):
    _ingest(backend, [exports], tmp_path)
    people = backend.nodes("Person")
    hashes = people["resident_id_hash"].dropna()
    assert len(hashes) > 100 and hashes.str.fullmatch(r"[0-9a-f]{32}").all()
    for label in ("Person", "Lead", "Organisation", "Company"):
        # A company's USCC can be all digits too; it is public, not a resident ID.
        frame = backend.nodes(label).drop(columns=["uscc", "company_id"], errors="ignore").astype(str)
        assert not frame.apply(lambda col: col.str.contains(RESIDENT_ID)).any().any(), label
    petitions = backend.nodes("Lead", where={"source": "petition"})
    assert petitions["petitioner_hash"].notna().mean() > 0.9


def test_reingest_changes_nothing_and_a_corrected_file_replaces(backend, exports, tmp_path):
    _ingest(backend, [exports], tmp_path)
    before = backend.stats()
    again = _ingest(backend, [exports], tmp_path)
    assert {f.status for f in again.files} == {"unchanged"}
    assert backend.stats() == before
    # A corrected bids file: the same file name with one tender's bids removed.
    work = tmp_path / "corrected"
    work.mkdir()
    bids = sorted(exports.glob("招投标_*.csv"))[-1]
    lines = bids.read_bytes().split(b"\r\n")
    dropped_tender = lines[1].split(b",")[0]
    kept = [line for line in lines if not line.startswith(dropped_tender + b",")]
    (work / bids.name).write_bytes(b"\r\n".join(kept))
    n_dropped = len(lines) - len(kept)
    report = _ingest(backend, [work / bids.name], tmp_path)
    assert report.files[0].status == "replaced"
    assert backend.count_relationships("BID_ON") == before["relationships"]["BID_ON"] - n_dropped
    assert backend.nodes("Tender", where={"tender_id": "tender:" + dropped_tender.decode()}).empty


@pytest.mark.parametrize("registry_first", [True, False])
def test_a_bidder_name_as_typed_never_overwrites_the_registry(backend, tmp_path, registry_first):
    import random

    from ingest.generator import identity as ident

    uscc = ident.uscc(random.Random(5), "330782")
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "企业登记信息_330700.csv").write_text(
        f"统一社会信用代码,企业名称\n{uscc},义乌市洁城环境服务有限公司\n", encoding="utf-8"
    )
    (folder / "招投标_330700.csv").write_text(
        "项目编号,采购人,投标人,投标人统一社会信用代码,投标报价\n"
        f"T1,义乌市城市管理局,义乌市洁诚环境服务有限公司,{uscc},100\n"  # a typo, with the USCC
        "T1,义乌市城市管理局,义乌市绿源环卫科技有限公司,,120\n",  # name only
        encoding="utf-8",
    )
    order = ["企业登记信息_330700.csv", "招投标_330700.csv"]
    for name in order if registry_first else order[::-1]:
        report = _ingest(backend, [folder / name], tmp_path)
        assert report.rows_quarantined == 0
    names = dict(backend.nodes("Company")[["company_id", "name"]].itertuples(index=False))
    assert names == {
        f"company:{uscc}": "义乌市洁城环境服务有限公司",
        "company:name:义乌市绿源环卫科技有限公司": "义乌市绿源环卫科技有限公司",
    }


def test_an_interrupted_ingest_is_finished_by_running_it_again(tmp_path, exports, monkeypatch):
    target = next(exports.glob("巡视发现问题_*.xlsx"))
    clean = EmbeddedBackend(tmp_path / "clean")
    _ingest(clean, [target], tmp_path)
    crashed = EmbeddedBackend(tmp_path / "crashed")
    original = EmbeddedBackend._write_batch
    calls = {"n": 0}

    def dying(self, nodes, edges, source):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt  # Ctrl-C mid-file, after several committed batches
        return original(self, nodes, edges, source)

    monkeypatch.setattr(EmbeddedBackend, "_write_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        Ingester(crashed, tmp_path / "q2", secret_key=KEY, batch_size=50).ingest([target])
    assert 0 < crashed.count_nodes("Finding") < clean.count_nodes("Finding")
    monkeypatch.setattr(EmbeddedBackend, "_write_batch", original)
    report = Ingester(crashed, tmp_path / "q2", secret_key=KEY, batch_size=50).ingest([target])
    assert report.files[0].status == "loaded"
    assert crashed.stats() == clean.stats()
    for label in ("Finding", "Organisation", "Tour"):
        assert crashed.nodes(label).equals(clean.nodes(label))


def _graph(backend) -> list[str]:
    """Every node and relationship with its properties and sources, in a canonical order."""
    rows = []
    for label in backend.schema.nodes:
        frame = backend.nodes(label).drop(columns=["batch", "ingested_at"], errors="ignore")
        rows += [repr((label, *r)) for r in frame.astype(str).itertuples(index=False)]
    for rel_type in backend.schema.relationships:
        rows += [repr((rel_type, *r)) for r in backend.relationships(rel_type).astype(str).itertuples(index=False)]
    return sorted(rows)


def test_files_mapped_in_a_worker_process_give_the_same_graph(tmp_path, exports):
    # A large ingest maps files in a worker process ahead of the writer; the graph must not notice.
    inline = EmbeddedBackend(tmp_path / "inline")
    _ingest(inline, [exports], tmp_path, workers=0)
    forked = EmbeddedBackend(tmp_path / "forked")
    report = _ingest(forked, [exports], tmp_path, workers=1)
    assert all(f.balanced for f in report.files)
    assert len(_graph(forked)) > 10_000
    assert _graph(forked) == _graph(inline)


def test_files_that_cannot_be_loaded_say_why(tmp_path, exports):
    backend = EmbeddedBackend(tmp_path / "ws")
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notes.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    (odd / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    shutil.copy(next(exports.glob("干部名册_*.csv")), odd / "roster_330102.csv")
    report = Ingester(backend, tmp_path / "q", secret_key=None).ingest([odd])
    by_file = {f.file.split("/")[-1]: f for f in report.files}
    assert by_file["notes.csv"].status == "unrecognised" and "--mapping" in by_file["notes.csv"].message
    assert by_file["old.xls"].status == "error" and ".xlsx" in by_file["old.xls"].message
    assert by_file["roster_330102.csv"].status == "refused"
    assert "LIANDONG_SECRET_KEY" in by_file["roster_330102.csv"].message
    assert backend.count_nodes("Person") == 0


def test_cli_ingest_exit_codes(tmp_path, exports):
    runner = CliRunner()
    env = {"NEO4J_URI": None, "LIANDONG_SECRET_KEY": "k"}
    result = runner.invoke(main, ["--workspace", str(tmp_path / "ws"), "ingest", str(exports)], env=env)
    assert result.exit_code == 3, result.output  # some rows quarantined
    assert "total" in result.output and "隔离的行及原因：" in result.output
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(next(exports.glob("单位名录_*")), clean)
    result = runner.invoke(main, ["--workspace", str(tmp_path / "ws2"), "ingest", str(clean)], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main,
        ["--workspace", str(tmp_path / "ws3"), "ingest", str(exports)],
        env={"NEO4J_URI": None, "LIANDONG_SECRET_KEY": None},
    )
    assert result.exit_code == 1 and "LIANDONG_SECRET_KEY" in result.output


@pytest.mark.neo4j
def test_same_exports_same_graph_on_both_backends(tmp_path, exports, neo4j_domain):
    embedded = EmbeddedBackend(tmp_path / "ws")
    neo4j_domain.clear()
    reports = [_ingest(b, [exports], tmp_path / b.kind) for b in (embedded, neo4j_domain)]
    assert [(f.file, f.rows_loaded, f.rows_quarantined, f.links_unresolved) for f in reports[0].files] == [
        (f.file, f.rows_loaded, f.rows_quarantined, f.links_unresolved) for f in reports[1].files
    ]
    assert embedded.stats() == neo4j_domain.stats()
    for label in ("Organisation", "Person", "Finding", "Lead", "Tender"):
        assert embedded.nodes(label).equals(neo4j_domain.nodes(label)), label
    for rel_type in ("BID_ON", "SERVES_AT", "RELATIVE_OF"):
        assert embedded.relationships(rel_type).equals(neo4j_domain.relationships(rel_type)), rel_type

"""OCDS as real publishers write it: packages, records, bare releases, JSON Lines, gzip, lots, statuses.

The counts each real sample should load to are worked out here from the JSON itself, by a walk that shares no
code with ``ingest.ocds`` (and checked against hand counts where noted).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.load import Ingester
from ingest.mapping import MappingError
from ingest.ocds import load_codelists, parse_codelists
from ingest.readers import ReadError, read_tables

OCDS = Path(__file__).parents[1] / "fixtures" / "ocds"
UKRAINE_CODES = {"bid_status": {"active": "valid"}}


# --------------------------------------------------------------------------- an independent reading
def _documents(path: Path) -> Iterator[Any]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = data.decode("utf-8")
    if ".jsonl" in path.name:
        yield from (json.loads(line) for line in text.splitlines() if line.strip())
    else:
        yield json.loads(text)


def _processes(path: Path) -> dict[str, dict[str, Any]]:
    """ocid -> the process as its publisher compiled it (a record's compiledRelease, a lone release)."""
    out: dict[str, dict[str, Any]] = {}
    for doc in _documents(path):
        items = doc if isinstance(doc, list) else doc.get("records") or doc.get("releases") or [doc]
        for item in items:
            release = item.get("compiledRelease", item)
            out[release["ocid"]] = release
    return out


def _expected(path: Path) -> dict[str, int]:
    """Tenders, bid edges (tenderer x lot, award-only suppliers too) and winners (supplier x lot), by hand."""
    tenders = bids = winners = 0
    for release in _processes(path).values():
        tender = release.get("tender") or {}
        lots = [lot["id"] for lot in tender.get("lots") or []]
        tenders += max(len(lots), 1) if len(lots) > 1 else 1
        pairs: set[tuple[str, str]] = set()
        names = {p.get("name"): p.get("id") for p in release.get("parties") or []}
        for bid in (release.get("bids") or {}).get("details") or []:
            lot = bid.get("relatedLot") or ",".join(bid.get("relatedLots") or [])
            for who in bid.get("tenderers") or []:
                pairs.add((lot if len(lots) > 1 else "", who.get("id") or names.get(who.get("name"), who.get("name"))))
        won: set[tuple[str, str]] = set()
        awards = release.get("awards") if isinstance(release.get("awards"), list) else []
        for award in awards:
            if award.get("status") in ("pending", "cancelled", "unsuccessful"):
                continue
            lot = award.get("lotID") or ",".join(award.get("relatedLots") or [])
            for who in award.get("suppliers") or []:
                if who.get("id") or who.get("name"):
                    won.add((lot if len(lots) > 1 else "", who.get("id") or names.get(who.get("name"))))
        if not pairs:  # no bid details: the tender's list of tenderers
            for who in tender.get("tenderers") or []:
                ident = who.get("identifier") or {}
                key = ident.get("id") or who.get("name") or ident.get("legalName")
                if key:
                    pairs.add(("", key))
        bids += len(pairs | won)
        winners += len(won)
    return {"tenders": tenders, "bids": bids, "winners": winners}


def _loaded(backend) -> dict[str, int]:
    bids = backend.relationships("BID_ON")
    return {
        "tenders": backend.count_nodes("Tender"),
        "bids": len(bids),
        "winners": int(bids["won"].sum()) if len(bids) else 0,
    }


# --------------------------------------------------------------------------- the real samples
def test_ukrainian_records_jsonl_gz_load_with_every_winner(backend, tmp_path):
    path = OCDS / "ukraine_records.jsonl.gz"
    report = Ingester(backend, tmp_path / "q", codelists=UKRAINE_CODES).ingest([path])
    (file,) = report.files
    assert (file.format, file.rows_read, file.rows_loaded, file.rows_quarantined) == ("ocds", 11, 11, 0)
    expected = _expected(path)
    # Hand count from the JSON: 11 processes of at most one lot, 12 bids by 12 distinct tenderers (none with an
    # id: matched to their parties by name), 10 active awards, 5 of them to a supplier that never bid (limited
    # procedures): 12 + 5 edges.
    assert expected == {"tenders": 11, "bids": 17, "winners": 10}
    assert _loaded(backend) == expected
    bids = backend.relationships("BID_ON")
    # Every winner of a multi-bid tender keeps both its bid and its win on one company.
    multi = bids.groupby("end_key")["start_key"].transform("size") > 1
    winners = bids[multi & bids["won"]]
    assert len(winners) == 3 and winners["amount"].notna().all() and winners["award_amount"].notna().all()
    assert set(bids["status"].dropna()) == {"valid"}  # active -> valid by the codelist
    assert bids["start_key"].str.startswith("company:UA-EDR-").sum() == 15  # keyed by scheme + id
    tenders = backend.nodes("Tender").set_index("ocid")
    assert tenders.loc["ocds-be6bcu-UA-2016-12-29-000657-c", "status"] == "cancelled"
    assert tenders.loc["ocds-be6bcu-UA-2016-06-07-000066-a", "status"] == "unsuccessful"
    first = tenders.loc["ocds-be6bcu-UA-2016-06-02-000468-c"]
    assert (first["procurement_method"], first["currency"], first["budget"]) == ("open", "UAH", 3000.0)
    assert str(first["period_start"]) == "2016-06-07 12:00:00"  # 15:00+03:00 as UTC
    assert first["classifications"] == ["39121200-8"]
    # Cyrillic names keep their spaces.
    names = set(backend.nodes("Company")["name"])
    assert "ТОВ Тропік" in names
    assert backend.count_nodes("Address") > 0 and backend.count_nodes("Phone") > 0 and backend.count_nodes("Email") > 0


def test_a_bare_release_and_a_record_of_the_same_process_load_alike(tmp_path):
    from graphmodel import EmbeddedBackend

    counts = []
    for name, path in (("release", OCDS / "ukraine_release.json"), ("records", OCDS / "ukraine_records.jsonl.gz")):
        backend = EmbeddedBackend(tmp_path / name)
        Ingester(backend, tmp_path / f"q-{name}", codelists=UKRAINE_CODES).ingest([path])
        bids = backend.relationships("BID_ON")
        one = bids[bids["end_key"] == "tender:ocds-be6bcu-UA-2016-06-08-000504-c"]
        counts.append(sorted(zip(one["start_key"], one["amount"], one["won"], strict=True)))
        backend.close()
    assert counts[0] == counts[1] and len(counts[0]) == 5
    assert sum(won for _, _, won in counts[0]) == 1


def test_moldovan_record_package_with_romanian_statuses(backend, tmp_path):
    path = OCDS / "moldova_record_package.json"
    report = Ingester(backend, tmp_path / "q").ingest([path])
    (file,) = report.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (8, 8, 0)
    assert _loaded(backend) == _expected(path)
    # Statuses outside the codelist are left empty and counted, not guessed.
    assert backend.nodes("Tender")["status"].isna().all()
    rows = (tmp_path / "q" / "quality.csv").read_text(encoding="utf-8-sig").splitlines()
    status = next(r for r in rows if ",tender.status," in r)
    assert ",8,0,0,8," in status and "Executarea contractului ×8" in status
    method = next(r for r in rows if ",tender.procurementMethod," in r)
    assert "Cerere a ofertelor de preţuri ×6" in method and "Licitaţie publică ×2" in method
    # Tenderers listed by a bare hash id with an empty name are not made up into companies: counted instead.
    assert "neither a name nor an identifier: left out ×8" in next(r for r in rows if "tenderers and suppliers" in r)
    # Romanian names keep their spaces and diacritics.
    assert "MINISTERUL DEZVOLTĂRII REGIONALE ŞI CONSTRUCŢIILOR" in set(backend.nodes("Organisation")["name"])


def test_taiwanese_releases_in_a_list(backend, tmp_path):
    path = OCDS / "taiwan_releases.json"
    report = Ingester(backend, tmp_path / "q").ingest([path])
    (file,) = report.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (4, 4, 0)
    assert _loaded(backend) == _expected(path)
    assert backend.count_nodes("Tender") == 4
    # Traditional Chinese names as written; tenderers keyed by their identifier.
    names = dict(zip(backend.nodes("Company")["company_id"], backend.nodes("Company")["name"], strict=True))
    assert names["company:53374962"] == "普羅文化股份有限公司"
    # Its awards are one object, not OCDS's list: no winner is made up, and the quality report says so.
    rows = (tmp_path / "q" / "quality.csv").read_text(encoding="utf-8-sig")
    assert _loaded(backend)["winners"] == 0 and "not a list of awards" in rows


# --------------------------------------------------------------------------- the traps, by hand
def test_lots_merged_releases_statuses_and_contacts(backend, tmp_path):
    codes = load_codelists(OCDS / "codelists.yaml")
    report = Ingester(backend, tmp_path / "q", codelists=codes).ingest([OCDS / "lots_and_updates.json"])
    (file,) = report.files
    # Three processes with a tender (the planning-only one is not a tender), all rows accounted for.
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (3, 3, 0)
    tenders = backend.nodes("Tender").set_index("tender_id")
    assert sorted(tenders.index) == ["tender:ocds-test-A/L1", "tender:ocds-test-A/L2", "tender:ocds-test-C"]
    assert tenders.loc["tender:ocds-test-A/L1", "title"] == "Road salt"
    assert tenders.loc["tender:ocds-test-A/L2", "budget"] == 220.0
    assert tenders.loc["tender:ocds-test-A/L2", "classifications"] == ["14211000-3"]
    assert tenders.loc["tender:ocds-test-C", "status"] == "cancelled"
    # Merged by date, not file order: the awards (in the later release, first in the file) are kept.
    bids = backend.relationships("BID_ON")
    table = {(r.end_key.split("/")[-1], r.start_key): r for r in bids.itertuples()}
    assert set(table) == {
        ("L1", "company:UA-EDR-111"),
        ("L1", "company:UA-EDR-222"),
        ("L1", "company:UA-EDR-333"),
        ("L2", "company:UA-EDR-111"),
        ("L2", "company:UA-EDR-222"),
        ("tender:ocds-test-C", "company:UA-EDR-333"),
    }
    # Per lot: amounts are not mixed, the winner of each lot is its own.
    assert table[("L1", "company:UA-EDR-111")].amount == 100.0 and table[("L1", "company:UA-EDR-111")].won
    assert table[("L2", "company:UA-EDR-111")].amount == 200.0 and not table[("L2", "company:UA-EDR-111")].won
    assert table[("L2", "company:UA-EDR-222")].won and table[("L2", "company:UA-EDR-222")].award_amount == 190.0
    # The tenderer written by name only is the party with the id; its bid and win meet on one company.
    assert table[("L1", "company:UA-EDR-222")].amount == 105.0
    # Publisher statuses mapped; the zero bid loads without an amount.
    assert table[("L1", "company:UA-EDR-333")].status == "disqualified"
    assert table[("L1", "company:UA-EDR-222")].status == "valid"
    c = table[("tender:ocds-test-C", "company:UA-EDR-333")]
    assert c.amount is None or c.amount != c.amount
    # Names keep single spaces; shared contacts become shared nodes.
    names = dict(zip(backend.nodes("Company")["company_id"], backend.nodes("Company")["name"], strict=True))
    assert names["company:UA-EDR-111"] == "Alpha Trading LLC" and names["company:UA-EDR-222"] == "Beta Supply"
    phones = backend.relationships("HAS_PHONE")
    assert sorted(phones[phones["end_key"] == "+380441234567"]["start_key"]) == [
        "company:UA-EDR-111",
        "company:UA-EDR-222",
    ]
    addresses = backend.relationships("HAS_ADDRESS")
    assert addresses["end_key"].nunique() == 1 and len(addresses) == 2
    quality = (tmp_path / "q" / "quality.csv").read_text(encoding="utf-8-sig")
    assert "planning only" in quality and "zero or negative amount" in quality


def test_without_the_codelists_publisher_statuses_are_counted_not_guessed(tmp_path):
    from graphmodel import EmbeddedBackend

    backend = EmbeddedBackend(tmp_path / "ws")
    Ingester(backend, tmp_path / "q").ingest([OCDS / "lots_and_updates.json"])
    assert backend.relationships("BID_ON")["status"].isna().all()
    quality = (tmp_path / "q" / "quality.csv").read_text(encoding="utf-8-sig")
    line = next(x for x in quality.splitlines() if ",bids.details.status," in x)
    assert "qualified ×5" in line and "not-qualified ×1" in line


def test_reingest_changes_nothing_and_a_new_codelist_reloads(tmp_path):
    from graphmodel import EmbeddedBackend

    backend = EmbeddedBackend(tmp_path / "ws")
    path = OCDS / "lots_and_updates.json"
    Ingester(backend, tmp_path / "q").ingest([path])
    before = (backend.count_nodes("Company"), len(backend.relationships("BID_ON")))
    again = Ingester(backend, tmp_path / "q").ingest([path])
    assert again.files[0].status == "unchanged"
    assert (backend.count_nodes("Company"), len(backend.relationships("BID_ON"))) == before
    Ingester(backend, tmp_path / "q", codelists=load_codelists(OCDS / "codelists.yaml")).ingest([path])
    bids = backend.relationships("BID_ON")
    assert len(bids) == before[1] and set(bids["status"].dropna()) == {"valid", "disqualified"}


# --------------------------------------------------------------------------- formats and errors
def test_jsonl_of_bare_releases_merges_one_process(tmp_path):
    releases = json.loads((OCDS / "lots_and_updates.json").read_text(encoding="utf-8"))["releases"]
    path = tmp_path / "releases.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in releases) + "\n\n", encoding="utf-8")
    (table,) = read_tables(path)
    assert [n for n, _ in table.rows] == [1, 2, 4]  # one row per process, numbered by its first line
    merged = table.rows[0][1][0]
    assert "awards" in merged and "bids" in merged and merged["date"] == "2024-03-10T09:00:00Z"


def test_gzip_and_jsonl_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ocid": "a"}\n{"ocid": \n', encoding="utf-8")
    with pytest.raises(ReadError, match="line 2 is not valid JSON"):
        read_tables(bad)
    fake = tmp_path / "fake.json.gz"
    fake.write_text("{}", encoding="utf-8")
    with pytest.raises(ReadError, match="not gzip-compressed"):
        read_tables(fake)
    odd = tmp_path / "odd.xml.gz"
    odd.write_bytes(gzip.compress(b"<x/>"))
    with pytest.raises(ReadError, match="unsupported type"):
        read_tables(odd)


def test_bad_codelists_are_refused_with_the_reason(tmp_path):
    with pytest.raises(MappingError, match="unknown codelist 'colour'"):
        parse_codelists({"colour": {"red": "valid"}})
    with pytest.raises(MappingError, match="not in the OCDS codelist"):
        parse_codelists({"bid_status": {"qualified": "accepted"}})
    assert parse_codelists({"bidStatus": {" Qualified ": "valid"}}) == {"bid_status": {"qualified": "valid"}}
    bad = tmp_path / "c.yaml"
    bad.write_text("bid_status: [a, b", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_codelists(bad)


def test_gzip_csv_and_plain_json_lines_read_as_their_inner_format(tmp_path):
    csv_gz = tmp_path / "招投标_330100.csv.gz"
    csv_gz.write_bytes(gzip.compress("项目编号,投标人,投标报价\nT1,甲公司,100\nT1,乙公司,101\n".encode("gb18030")))
    (table,) = read_tables(csv_gz)
    assert table.encoding == "gb18030" and [cells for _, cells in table.rows][1:] == [
        ["T1", "甲公司", "100"],
        ["T1", "乙公司", "101"],
    ]
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"单位名称": "义乌市教育局"}\n\n{"单位名称": "义乌市民政局"}\n', encoding="utf-8")
    (table,) = read_tables(rows)
    assert [(n, item[0]["单位名称"]) for n, item in table.rows] == [(1, "义乌市教育局"), (3, "义乌市民政局")]


def test_a_bad_line_past_the_preview_refuses_the_file_and_keeps_its_earlier_version(tmp_path):
    from graphmodel import EmbeddedBackend

    releases = json.loads((OCDS / "lots_and_updates.json").read_text(encoding="utf-8"))["releases"]
    lines = [json.dumps(r, ensure_ascii=False) for r in releases]
    # Recognised from its first 1,000 lines: fillers (other processes) first, the damage after them.
    filler = [json.dumps({**releases[3], "ocid": f"ocds-fill-{i}"}, ensure_ascii=False) for i in range(1000)]
    path = tmp_path / "releases.jsonl"
    path.write_text("\n".join(lines + filler) + "\n", encoding="utf-8")
    backend = EmbeddedBackend(tmp_path / "ws")
    first = Ingester(backend, tmp_path / "q").ingest([path])
    assert first.files[0].status == "loaded" and backend.count_nodes("Tender") == 1003
    path.write_text("\n".join(lines + filler) + '\n{"ocid": "broken", \n', encoding="utf-8")
    again = Ingester(backend, tmp_path / "q").ingest([path])
    (file,) = again.files
    assert file.status == "error" and f"line {len(lines) + len(filler) + 1} is not valid JSON" in file.message
    assert again.exit_code == 1
    assert backend.count_nodes("Tender") == 1003  # the version loaded before is still there

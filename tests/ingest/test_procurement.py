"""Procurement data: OCDS packages and bid tables in any layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmodel import EmbeddedBackend, load_schema
from ingest.load import Ingester
from ingest.mapping import MappingError
from ingest.procurement import bid_table_mapping

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_ocds_release_package(backend, tmp_path):
    report = Ingester(backend, tmp_path / "q").ingest([FIXTURES / "ocds_release_package.json"])
    (file,) = report.files
    assert (file.format, file.rows_read, file.rows_loaded, file.rows_quarantined) == ("ocds", 3, 2, 1)
    tenders = backend.nodes("Tender").set_index("tender_id")
    assert tenders.loc["tender:ocds-yw-2023-017", "budget"] == 45_000_000.0
    assert tenders.loc["tender:ocds-yw-2023-017", "method"] == "open"
    assert str(tenders.loc["tender:ocds-yw-2023-017", "announced"]) == "2023-04-10"
    assert tenders.loc["tender:ocds-yw-2023-020", "budget"] == 1_200_000.0
    assert tenders.loc["tender:ocds-yw-2023-020", "method"] == "single_source"
    bids = backend.relationships("BID_ON")
    first = bids[bids["end_key"] == "tender:ocds-yw-2023-017"].set_index("start_key")
    # The withdrawn bid is kept, marked (analyses leave it out of price screens); a valid USCC keys the company,
    # an identifier with a bad check character is kept as the publisher's scheme and id.
    assert sorted(first.index) == [
        "company:91330782MA2E0B1X1T",
        "company:CN-USCC-91330782MA2E0B1X1K",
        "company:name:金华市美洁物业管理有限公司",
    ]
    assert first.loc["company:CN-USCC-91330782MA2E0B1X1K", "status"] == "withdrawn"
    assert first.loc["company:91330782MA2E0B1X1T", "won"] is True
    assert first.loc["company:name:金华市美洁物业管理有限公司", "won"] is False
    assert first.loc["company:name:金华市美洁物业管理有限公司", "amount"] == 44_150_000.0
    # An award without bid details still records the winner, with the award's value (not a bid price).
    second = bids[bids["end_key"] == "tender:ocds-yw-2023-020"]
    assert second[["start_key", "won", "award_amount"]].values.tolist() == [
        ["company:name:浙江启明教育科技有限公司", True, 1_180_000.0]
    ]
    issued = backend.relationships("ISSUED")
    assert sorted(issued["start_key"]) == ["org:ocds:义乌市城市管理委员会", "org:ocds:义乌市教育局"]


def test_bid_table_from_a_column_spec(tmp_path):
    backend = EmbeddedBackend(tmp_path / "ws")
    mapping = bid_table_mapping("tender=Tender,bidder=Competitors,amount=Bid_value,winner=Winner", backend.schema)
    report = Ingester(backend, tmp_path / "q", mappings=[mapping]).ingest([FIXTURES / "bids_table.csv"])
    (file,) = report.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (6, 5, 1)
    bids = backend.relationships("BID_ON")
    assert len(bids) == 5
    assert bids[bids["won"]]["start_key"].tolist() == ["company:name:101", "company:name:102"]
    assert backend.count_nodes("Tender") == 2


@pytest.mark.parametrize(
    "spec, message",
    [
        ("tender=A,bidder=B", "needs amount"),
        ("tender=A,bidder=B,amount=C,colour=D", "unknown column spec key"),
        ("tender", "not key=column"),
    ],
)
def test_bad_column_specs(spec, message):
    with pytest.raises(MappingError, match=message):
        bid_table_mapping(spec, load_schema())


def test_cli_columns(tmp_path):
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(
        main,
        [
            "--workspace",
            str(tmp_path / "ws"),
            "ingest",
            str(FIXTURES / "bids_table.csv"),
            "--columns",
            "tender=Tender,bidder=Competitors,amount=Bid_value,winner=Winner",
        ],
        env={"NEO4J_URI": None},
    )
    assert result.exit_code == 3, result.output  # one row quarantined ("oops" is no amount)
    assert "bid-table" in result.output

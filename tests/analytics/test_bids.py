"""Bid-rigging screens and firm scores: hand-computed screens, a planted ring, column specs, readers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.bids import analyse_bids, parse_column_spec, read_bid_table, score_firms, tender_screens

RING = ["R1", "R2", "R3", "R4"]
HONEST = [f"H{i:02d}" for i in range(30)]


def planted_ring(seed: int = 7) -> pd.DataFrame:
    """30 honest firms in 120 tenders (3-8 random bidders, prices spread by ~15%, lowest wins),
    and a 4-firm ring that bids alone together in 20 tenders: the designated winner rotates
    R1, R2, R3, R4, ... and the three cover bids sit in a tight cluster 3-4% above it."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(120):
        bidders = rng.choice(HONEST, size=int(rng.integers(3, 9)), replace=False)
        cost = rng.uniform(1e6, 5e6)
        amounts = cost * rng.lognormal(0.0, 0.15, size=bidders.size)
        low = int(np.argmin(amounts))
        rows += [(f"H-{t}", b, a, i == low) for i, (b, a) in enumerate(zip(bidders, amounts, strict=True))]
    for t in range(20):
        cost = rng.uniform(1e6, 5e6)
        winner = RING[t % 4]
        for firm in RING:
            amount = cost if firm == winner else cost * (1.03 + rng.uniform(0, 0.01))
            rows.append((f"R-{t}", firm, amount, firm == winner))
    bids = pd.DataFrame(rows, columns=["tender", "bidder", "amount", "winner"])
    return bids.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # order must not matter


# ---------------------------------------------------------------------------- screens


def test_screens_match_hand_computed_values():
    # One tender: bids 115, 100, 110 (the winner), 111 and a bid without an amount.
    bids = pd.DataFrame(
        {
            "tender": ["T"] * 5,
            "bidder": ["A", "B", "C", "D", "E"],
            "amount": [115.0, 100.0, 110.0, 111.0, np.nan],
            "winner": [False, False, True, False, False],
        }
    )
    row = tender_screens(bids).set_index("tender").loc["T"]
    sample = pd.Series([100.0, 110.0, 111.0, 115.0])
    # mean 109; squared deviations 81 + 1 + 4 + 36 = 122, so std = sqrt(122 / 3).
    std = math.sqrt(122 / 3)
    # losing bids 110, 111, 115: mean 112, squared deviations 4 + 1 + 9 = 14, so std = sqrt(7).
    assert row["n_bids"] == 5
    assert row["n_priced"] == 4
    assert row["cv"] == pytest.approx(std / 109)
    assert row["spd"] == pytest.approx(0.15)
    assert row["diffp"] == pytest.approx(0.10)
    assert row["rd"] == pytest.approx(10 / math.sqrt(7))
    assert row["rdnor"] == pytest.approx(10 / ((115 - 110) / 2))
    assert row["skew"] == pytest.approx(sample.skew())
    assert row["skew"] == pytest.approx(4 / (3 * 2) * (-729 + 1 + 8 + 216) / std**3)
    assert row["kurt"] == pytest.approx(sample.kurt())
    assert row["winner_rank"] == 2
    assert 0 <= row["suspicion"] <= 1


@pytest.mark.parametrize(
    ("amounts", "defined", "undefined"),
    [
        # One priced bid: nothing is defined, not even the suspicion index.
        ([100.0], [], ["cv", "spd", "diffp", "rd", "rdnor", "skew", "kurt", "suspicion"]),
        # Two bids: dispersion screens only.
        ([100.0, 120.0], ["cv", "spd", "diffp", "suspicion"], ["rd", "rdnor", "skew", "kurt"]),
        # Three bids: everything but kurtosis.
        ([100.0, 120.0, 125.0], ["cv", "spd", "diffp", "rd", "rdnor", "skew"], ["kurt"]),
        # Identical bids: zero variation, and no skewness or kurtosis (zero standard deviation).
        ([100.0] * 4, ["cv", "spd", "diffp"], ["rd", "rdnor", "skew", "kurt"]),
    ],
)
def test_screens_are_nan_where_undefined(amounts, defined, undefined):
    bids = pd.DataFrame({"tender": "T", "bidder": [f"F{i}" for i in range(len(amounts))], "amount": amounts})
    other = pd.DataFrame({"tender": "U", "bidder": ["a", "b", "c"], "amount": [1.0, 2.0, 4.0]})
    row = tender_screens(pd.concat([bids, other])).set_index("tender").loc["T"]
    assert row[defined].notna().all()
    assert row[undefined].isna().all()
    if len(amounts) > 1 and len(set(amounts)) == 1:
        assert row["cv"] == 0


def test_screens_without_amounts_and_duplicate_bids():
    bids = pd.DataFrame({"tender": ["T", "T", "T", "U"], "bidder": ["A", "A", "B", "A"]})
    screens = tender_screens(bids).set_index("tender")
    assert screens.loc["T", "n_bids"] == 2  # A bid twice in T: one bidder
    assert screens[["cv", "rd", "suspicion"]].isna().all().all()


# ---------------------------------------------------------------------------- scores


@pytest.mark.parametrize("direction", ["auto", "tight"])
def test_planted_ring_scores_high_and_shares_one_ring_id(direction):
    scored = score_firms(planted_ring(), direction=direction)
    ranks = scored.reset_index(drop=True)
    ring_ranks = ranks.index[ranks["bidder"].isin(RING)]
    # Among 34 firms, behind at most two busy honest firms (tenders bid is one of the signals).
    assert ring_ranks.max() < 6
    rings = scored.set_index("bidder")["ring"]
    assert rings[RING].nunique() == 1
    assert rings[RING].iloc[0] == "R1"
    assert (rings[HONEST] == "").all()
    ring_row = scored[scored["bidder"] == "R1"].iloc[0]
    assert ring_row["community_size"] == 4
    assert ring_row["cohesion"] == pytest.approx(1.0)
    assert ring_row["rotation"] == pytest.approx(1.0)  # every member won a meeting
    assert ring_row["meetings"] == 20
    assert ring_row["price_lock"] < 0.3  # covers priced a few percent over the winner, in a 15% market


def test_the_ring_table_names_its_pairs_tail_and_turns():
    found = analyse_bids(planted_ring())
    assert list(found.rings.index) == ["R1"]
    ring = found.rings.loc["R1"]
    assert ring["members"] == sorted(RING) and ring["pairs"] == 6  # every pair of the four
    assert ring["side"] == "tight" and ring["q_min"] < 1e-3
    assert ring["meetings"] == 20 and ring["wins"] == 20 and ring["rotation"] == 1.0
    # No honest pair is significant, and the honest firms' pairs are hypotheses like any other.
    firms = sorted(found.firms["bidder"])
    significant = found.pairs[found.pairs["significant"]]
    assert {firms[i] for i in set(significant["a"]) | set(significant["b"])} == set(RING)
    assert len(found.pairs) > 6


def test_a_dispersed_ring_is_found_both_ways_and_missed_looking_only_for_tight_prices():
    """Covers thrown far above the winner (2.5 to 4 times it): the ring's tenders are the most dispersed.

    (With covers at 1.6 to 2.4 times the winner the ring's tenders sit less than one robust deviation
    above the middle of their stratum, and it is not found in either direction.)"""
    bids = planted_ring()
    ring = bids["bidder"].isin(RING) & ~bids["winner"]
    rng = np.random.default_rng(1)
    bids.loc[ring, "amount"] = bids.loc[ring, "amount"] / 1.035 * rng.uniform(2.5, 4.0, size=int(ring.sum()))
    both = analyse_bids(bids)
    assert [sorted(m) for m in both.rings["members"]] == [sorted(RING)]
    assert both.rings.iloc[0]["side"] == "dispersed"
    assert analyse_bids(bids, direction="tight").rings.empty


def test_scores_are_deterministic_and_bounded():
    bids = planted_ring()
    first, second = score_firms(bids, seed=3), score_firms(bids, seed=3)
    pd.testing.assert_frame_equal(first, second)
    assert len(first) == len(RING) + len(HONEST)
    assert first["score"].between(0, 1).all()
    assert first["score"].is_monotonic_decreasing


@pytest.mark.parametrize("drop", ["amount", "winner"])
def test_scores_degrade_gracefully(drop):
    scored = score_firms(planted_ring().drop(columns=drop)).set_index("bidder")
    if drop == "amount":
        # Without prices: no screens and no price test; the ring still wins a share of meetings
        # equal to its share of the bids (all of them), so it is not called a ring.
        assert scored["suspicion_max"].isna().all()
        assert scored["score"].notna().all()
        assert (scored["ring"] == "").all()
        assert scored.loc["R1", "cohesion"] == pytest.approx(1.0)
    else:
        assert scored["wins"].isna().all()
        assert (scored.loc[RING, "ring"] == "R1").all()  # the price test needs no winners
        assert scored.loc[RING, "score"].min() > scored.loc[HONEST, "score"].median()
        assert scored.loc[RING, "ring"].nunique() == 1
        assert (scored.loc[HONEST, "ring"] == "").all()


# ---------------------------------------------------------------------------- column specs


def test_parse_column_spec():
    spec = "tender=Tender, bidder = Competitors，amount=Bid_value,winner=Winner"
    assert parse_column_spec(spec) == {
        "tender": "Tender",
        "bidder": "Competitors",
        "amount": "Bid_value",
        "winner": "Winner",
    }
    assert parse_column_spec("tender=项目,bidder=单位") == {"tender": "项目", "bidder": "单位"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tender=T,bidder=B,price=P", "unknown key 'price' in column spec: the keys are tender, bidder, amount"),
        ("tender=T,amount=A", "lacks required key(s) bidder: add bidder=<column>"),
        ("amount=A", "lacks required key(s) tender, bidder: add tender=<column>,bidder=<column>"),
        ("tender=T,bidder", "column spec item 'bidder' has no '=': write key=COLUMN"),
        ("tender=T,bidder=", "no column name after 'bidder=': write bidder=<column name in your file>"),
        ("tender=T,tender=U,bidder=B", "key 'tender' appears twice"),
        ("  ", "empty column spec: write tender=COL,bidder=COL,amount=COL,winner=COL"),
    ],
)
def test_parse_column_spec_errors_say_what_to_write(spec, message):
    with pytest.raises(ValueError) as err:
        parse_column_spec(spec)
    assert message in str(err.value)


# ---------------------------------------------------------------------------- reading files

GBK_CSV = (
    '项目编号,投标单位,投标报价,是否中标\nZB-01,甲公司,"1,200,000.50",是\nZB-01,乙公司,1250000,否\nZB-02,甲公司,,否\n'
)
SPEC = {"tender": "项目编号", "bidder": "投标单位", "amount": "投标报价", "winner": "是否中标"}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_read_bid_table_csv_encodings(tmp_path, encoding):
    path = tmp_path / "bids.csv"
    path.write_bytes(GBK_CSV.encode(encoding))
    bids = read_bid_table(path, SPEC)
    assert list(bids.columns) == ["tender", "bidder", "amount", "winner"]
    assert bids["bidder"].tolist() == ["甲公司", "乙公司", "甲公司"]
    assert bids["amount"].iloc[0] == pytest.approx(1_200_000.5)
    assert math.isnan(bids["amount"].iloc[2])
    assert bids["winner"].tolist() == [True, False, False]


def test_read_bid_table_xlsx_without_optional_columns(tmp_path):
    path = tmp_path / "bids.xlsx"
    pd.DataFrame({"Tender": ["T1", "T1"], "Firm": [101, 102], "Other": [1, 2]}).to_excel(path, index=False)
    bids = read_bid_table(path, {"tender": "Tender", "bidder": "Firm"})
    assert list(bids.columns) == ["tender", "bidder"]
    assert bids["bidder"].tolist() == ["101", "102"]


def test_read_bid_table_names_missing_columns_and_lists_the_files(tmp_path):
    path = tmp_path / "bids.csv"
    path.write_bytes(GBK_CSV.encode("gbk"))
    with pytest.raises(ValueError) as err:
        read_bid_table(path, {"tender": "项目编号", "bidder": "供应商"})
    assert "column(s) not found: bidder='供应商'" in str(err.value)
    assert "the file's columns are '项目编号', '投标单位', '投标报价', '是否中标'" in str(err.value)
    with pytest.raises(ValueError, match="must name bidder"):
        read_bid_table(path, {"tender": "项目编号"})
    with pytest.raises(ValueError, match="unsupported file type .txt"):
        (tmp_path / "bids.txt").write_text("x")
        read_bid_table(tmp_path / "bids.txt", SPEC)


# ---------------------------------------------------------------------------- calibration


def _honest_market(rng: np.random.Generator, regions: int = 4) -> pd.DataFrame:
    """Honest bids in markets that differ: each region its own dispersion (2-15%), busy and idle firms,
    persistent cost advantages, lowest bid wins (the full version is bench/calibration.py)."""
    rows = []
    for r in range(regions):
        sigma = float(np.exp(rng.uniform(np.log(0.02), np.log(0.15))))
        firms = [f"F{r}-{i:02d}" for i in range(15)]
        weights = rng.lognormal(0.0, 0.7, len(firms))
        edge = rng.normal(0.0, 0.03, len(firms))
        for t in range(60):
            chosen = rng.choice(len(firms), size=int(rng.integers(3, 9)), replace=False, p=weights / weights.sum())
            amounts = rng.uniform(1e5, 5e6) * np.exp(edge[chosen] + rng.normal(0.0, sigma, chosen.size))
            low = int(np.argmin(amounts))
            rows += [
                (f"T{r}-{t}", firms[c], a, i == low, f"buyer{r}-{t % 3}", f"{2021 + t % 3}-06-01")
                for i, (c, a) in enumerate(zip(chosen, amounts, strict=True))
            ]
    return pd.DataFrame(rows, columns=["tender", "bidder", "amount", "winner", "buyer", "date"])


def test_null_markets_keep_the_false_discovery_rate():
    """The promise: in markets with no ring, a ring is reported in at most 5% of markets (BH at 0.05 over
    the pairs; under the complete null that is the chance of any report). 40 seeded markets, both ways."""
    rng = np.random.default_rng(16)
    markets = [_honest_market(rng) for _ in range(40)]
    for direction in ("both", "tight"):
        found = [analyse_bids(m, direction=direction) for m in markets]
        with_ring = sum(len(f.rings) > 0 for f in found)
        assert with_ring <= 2, (direction, with_ring)  # 40 x 0.05 = 2
        # The pair p-values are not anti-conservative either: at most 5% fall at or below 0.05.
        p = np.concatenate([f.pairs["p"].to_numpy() for f in found])
        assert p.size > 1000 and (p <= 0.05).mean() <= 0.05

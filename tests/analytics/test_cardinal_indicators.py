"""Cardinal red flags (analytics.cardinal): thresholds at and beside their limits, fences, settings, examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.cardinal import INDICATORS, CardinalResult, cardinal_quantile, compute_flags

START = pd.Timestamp("2024-03-01 00:00:00")


# ------------------------------------------------------------------------------------------------ builders


def tender(
    process: str,
    *,
    lot: str | None = None,
    tender_id: str | None = None,
    buyer: str | None = "BUYER",
    procuring_entity: str | None = None,
    status: str | None = "complete",
    method: str | None = "open",
    method_details: str | None = None,
    start: pd.Timestamp | None = START,
    days: float | None = 30,
    end: pd.Timestamp | None = None,
    classifications: tuple[str, ...] = (),
) -> dict:
    if end is None and start is not None and days is not None:
        end = start + pd.Timedelta(days=days)
    return {
        "process": process,
        "tender": tender_id or (f"T:{process}" if lot is None else f"T:{process}:{lot}"),
        "lot": lot,
        "buyer": buyer,
        "procuring_entity": procuring_entity,
        "status": status,
        "method": method,
        "method_details": method_details,
        "currency": "USD",
        "value": math.nan,
        "period_start": start if start is not None else pd.NaT,
        "period_end": end if end is not None else pd.NaT,
        "classifications": tuple(classifications),
    }


def bid(
    process: str,
    company: str,
    amount: float = math.nan,
    *,
    status: str | None = "valid",
    won: bool = False,
    lot: str | None = None,
    bid_id: str | None = None,
    currency: str | None = "USD",
    date: pd.Timestamp | None = None,
) -> dict:
    return {
        "process": process,
        "tender": f"T:{process}" if lot is None else f"T:{process}:{lot}",
        "lot": lot,
        "company": company,
        "bid": bid_id if bid_id is not None else (None if status is None else f"{process}/{company}"),
        "amount": amount,
        "currency": currency,
        "status": status,
        "date": date if date is not None else pd.NaT,
        "won": won,
        "award_amount": amount if won else math.nan,
    }


def frames(tenders: list[dict], bids: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = pd.DataFrame(tenders)
    b = pd.DataFrame(
        bids,
        columns=["process", "tender", "lot", "company", "bid", "amount", "currency", "status", "date", "won"]
        + ["award_amount"],
    )
    b["date"] = pd.to_datetime(b["date"])
    b["won"] = b["won"].astype(bool)
    return t, b


def auction(process: str, *priced: tuple[str, float], winner: str | None = None, **tender_kw) -> tuple[dict, list]:
    """One process: the tender row and valid bids; the lowest bid wins unless ``winner`` is given."""
    if winner is None:
        winner = min(priced, key=lambda p: p[1])[0]
    return tender(process, **tender_kw), [bid(process, c, a, won=c == winner) for c, a in priced]


def run(tenders: list[dict], bids: list[dict], settings: dict | None = None) -> CardinalResult:
    return compute_flags(*frames(tenders, bids), settings)


def flagged(result: CardinalResult, code: str, level: str = "process") -> dict:
    """subject/process -> value of the flags of one indicator at one level."""
    f = result.flags[(result.flags["indicator"] == code) & (result.flags["level"] == level)]
    key = "process" if level == "process" else "subject"
    return dict(zip(f[key], f["value"], strict=True))


def row(result: CardinalResult, code: str, key: str, level: str = "process") -> pd.Series:
    f = result.flags
    column = "process" if level == "process" else "subject"
    hits = f[(f["indicator"] == code) & (f["level"] == level) & (f[column] == key)]
    assert len(hits) == 1, hits
    return hits.iloc[0]


# ------------------------------------------------------------------------------------------------ fences


def test_quantile_is_statrs_r8_against_hand_computed_values():
    # n = 5, tau = 0.25: h = (5 + 1/3) / 4 + 1/3 = 5/3, so a[0] + 2/3 (a[1] - a[0]).
    assert cardinal_quantile([1, 99, 99, 99, 99], 0.25) == pytest.approx(1 + 2 / 3 * 98)
    # tau = 0.75: h = 13/3, so a[3] + 1/3 (a[4] - a[3]).
    assert cardinal_quantile([1, 1, 1, 1, 99], 0.75) == pytest.approx(1 + 98 / 3)
    # n = 6, tau = 0.25: h = 23/12, a[0] + 11/12 (a[1] - a[0]).
    assert cardinal_quantile([1 / 6, 1, 1, 1, 1, 1], 0.25) == pytest.approx(1 / 6 + 11 / 12 * 5 / 6)
    # floor(h) <= 0 gives the minimum, floor(h) >= n the maximum.
    assert cardinal_quantile([3.0, 7.0], 0.1) == 3.0
    assert cardinal_quantile([3.0, 7.0], 0.95) == 7.0
    assert cardinal_quantile([4.0], 0.25) == 4.0
    assert math.isnan(cardinal_quantile([], 0.25))


def test_quantile_equals_numpy_median_unbiased():
    rng = np.random.default_rng(7)
    for n in (2, 3, 4, 5, 8, 13, 50):
        data = rng.normal(size=n)
        for tau in (0.25, 0.5, 0.75, 0.9):
            assert cardinal_quantile(data, tau) == pytest.approx(np.quantile(data, tau, method="median_unbiased"))


def test_fences_in_meta_are_the_hand_computed_quartiles():
    # Differences 0.0, 0.1, 0.2, 0.3, 0.4, 2.0 (winner 100, second-lowest 100 + 100 d).
    tenders, bids = [], []
    for i, d in enumerate([0.0, 0.1, 0.2, 0.3, 0.4, 2.0]):
        t, b = auction(f"P{i}", ("W", 100.0), ("L", 100.0 + 100 * d), winner="W")
        tenders.append(t)
        bids += b
    result = run(tenders, bids)
    values = [0.0, 0.1, 0.2, 0.3, 0.4, 2.0]
    # n = 6: Q1 at h = 23/12 -> 0 + 11/12 * 0.1; Q3 at h = 61/12 -> 0.4 + 1/12 * 1.6.
    q1, q3 = 11 / 12 * 0.1, 0.4 + 1.6 / 12
    assert cardinal_quantile(values, 0.25) == pytest.approx(q1)
    meta = result.meta["R058"]
    assert meta["q1"] == pytest.approx(q1)
    assert meta["q3"] == pytest.approx(q3)
    assert meta["upper_fence"] == pytest.approx(q3 + 1.5 * (q3 - q1))
    assert result.meta["R024"]["lower_fence"] == pytest.approx(q1 - 1.5 * (q3 - q1))
    # Upper fence 1.333: only the 2.0 difference is a heavy discount; the lower fence is negative: no R024.
    assert flagged(result, "R058") == {"P5": pytest.approx(2.0)}
    assert flagged(result, "R024") == {}


# ----------------------------------------------------------------------------------------- R003


def test_r003_short_submission_period_at_and_beside_the_threshold():
    tenders = [
        tender("D14", days=14),
        tender("D15m", end=START + pd.Timedelta(days=15) - pd.Timedelta(seconds=1)),  # 14 whole days
        tender("D15", days=15),
        tender("D16", days=16),
        tender("NEG", days=-2),  # end before start: -2 < 15, flagged as in Cardinal
        tender("NOEND", end=None, days=None),
    ]
    result = run(tenders, [])
    assert flagged(result, "R003") == {"D14": 14.0, "D15m": 14.0, "NEG": -2.0}
    r = row(result, "R003", "D15m")
    assert r["threshold"] == 15.0
    assert r["subject"] == "T:D15m"
    assert r["details"]["exact_days"] == pytest.approx(15 - 1 / 86400)
    cov = result.coverage.set_index("indicator")
    assert cov.at["R003", "usable"] == 5
    assert cov.at["R003", "flagged"] == 3
    assert cov.at["R003", "processes"] == 6


def test_r003_example_from_cardinal_docs():
    # docs/examples/R/003.jsonl: 2020-08-03T18:00-05:00 to 2020-08-04T18:00-05:00 (UTC here) -> flagged.
    t = tender("F", start=pd.Timestamp("2020-08-03 23:00"), end=pd.Timestamp("2020-08-04 23:00"))
    assert flagged(run([t], []), "R003") == {"F": 1.0}


def test_r003_settings_change_threshold_methods_and_method_details():
    tenders = [
        tender("OPEN10", days=10, method="open"),
        tender("LIM10", days=10, method="limited"),
        tender("EMERG", days=8, method="open", method_details="emergency"),
        tender("NOMETH", days=3, method=None),
    ]
    default = run(tenders, [])
    assert set(flagged(default, "R003")) == {"OPEN10", "LIM10", "EMERG", "NOMETH"}
    narrowed = run(
        tenders,
        [],
        {"R003": {"threshold": 10, "procurement_methods": "open", "procurement_method_details": {"emergency": 8}}},
    )
    # 10 days is not < 10; 8 days is not < 8 (its own threshold); limited and method-less are not tested.
    assert flagged(narrowed, "R003") == {}
    assert flagged(run(tenders, [], {"R003": {"threshold": 11}}), "R003").keys() == {
        "OPEN10",
        "LIM10",
        "EMERG",
        "NOMETH",
    }
    assert set(flagged(run(tenders, [], {"R003": {"procurement_method_details": {"emergency": 9}}}), "R003")) == {
        "OPEN10",
        "LIM10",
        "EMERG",
        "NOMETH",
    }
    assert (
        run(tenders, [], {"R003": {"procurement_methods": "open"}}).coverage.set_index("indicator").at["R003", "usable"]
        == 2
    )


# ----------------------------------------------------------------------------------------- R018


def test_r018_single_bid():
    tenders = [tender("ONE"), tender("TWO"), tender("SAME"), tender("LIM", method="limited"), tender("AWARD")]
    bids = [
        bid("ONE", "A", 10.0, won=True),
        bid("TWO", "A", 10.0, won=True),
        bid("TWO", "B", 11.0),
        bid("SAME", "A", 10.0, won=True, bid_id="s1"),
        bid("SAME", "A", 12.0, bid_id="s2"),  # two bids, one tenderer
        bid("LIM", "A", 10.0, won=True),  # limited is not competitive by default
        bid("AWARD", "A", status=None, won=True),  # no bid record: number of tenderers unknown
    ]
    result = run(tenders, bids)
    assert flagged(result, "R018") == {"ONE": 1.0, "SAME": 1.0}
    assert row(result, "R018", "SAME")["details"]["bids"] == 2
    assert result.coverage.set_index("indicator").at["R018", "usable"] == 3
    assert set(flagged(run(tenders, bids, {"R018": {"procurement_methods": "limited"}}), "R018")) == {"LIM"}


def test_r018_withdrawn_bids_are_not_submitted():
    tenders = [tender("P")]
    bids = [
        bid("P", "A", 10.0, won=True),
        bid("P", "B", 11.0, status="withdrawn"),
        bid("P", "C", 9.0, status="invited"),
    ]
    assert flagged(run(tenders, bids), "R018") == {"P": 1.0}


def test_r018_example_from_cardinal_docs():
    # docs/examples/R/018.jsonl: numberOfTenderers 1, open -> flagged.
    assert flagged(run([tender("F")], [bid("F", "X", 5.0)]), "R018") == {"F": 1.0}


# ----------------------------------------------------------------------------------------- R024 / R058


def close_and_far(extra: list[tuple[str, float]]) -> tuple[list, list]:
    tenders, bids = [], []
    for process, second in extra:
        t, b = auction(process, ("W", 100.0), ("L", second), ("Z", second + 50), winner="W")
        tenders.append(t)
        bids += b
    return tenders, bids


def test_r024_at_and_beside_a_threshold():
    tenders, bids = close_and_far([("P4", 104.0), ("P5", 105.0), ("P6", 106.0)])
    result = run(tenders, bids, {"R024": {"threshold": 0.05}})
    assert flagged(result, "R024") == {"P4": pytest.approx(0.04), "P5": pytest.approx(0.05)}
    r = row(result, "R024", "P5")
    assert r["threshold"] == 0.05
    assert r["details"]["winner"] == "W"
    assert r["details"]["second_lowest_bidder"] == "L"
    assert r["details"]["winning_amount"] == 100.0
    assert r["details"]["second_lowest_amount"] == 105.0
    # Winner and second-lowest bidder flagged as tenderers, with the processes.
    assert flagged(result, "R024", "tenderer") == {"L": 2.0, "W": 2.0}
    assert row(result, "R024", "W", "tenderer")["details"]["processes"] == ["P4", "P5"]
    assert result.meta["R024"] == {"q1": None, "q3": None, "lower_fence": 0.05}


def test_r024_example_from_cardinal_docs():
    # docs/examples/R/024.jsonl: differences 1 (F) and 99 (x4) -> Q1 = 66.33, Q3 = 99, lower fence 17.33.
    tenders, bids = [], []
    for process, loser in [("F", 2.0), ("1", 100.0), ("2", 100.0), ("3", 100.0), ("4", 100.0)]:
        t, b = auction(process, ("W", 1.0), ("L", loser), winner="W")
        tenders.append(t)
        bids += b
    result = run(tenders, bids)
    assert flagged(result, "R024") == {"F": 1.0}
    assert flagged(result, "R024", "tenderer") == {"L": 1.0, "W": 1.0}
    q1, q3 = 1 + 2 / 3 * 98, 99.0
    assert result.meta["R024"]["q1"] == pytest.approx(q1)
    assert result.meta["R024"]["q3"] == pytest.approx(q3)
    assert result.meta["R024"]["lower_fence"] == pytest.approx(q1 - 1.5 * (q3 - q1))
    assert row(result, "R024", "F")["threshold"] == pytest.approx(q1 - 1.5 * (q3 - q1))


def test_r058_at_and_beside_a_threshold():
    tenders, bids = close_and_far([("P49", 149.0), ("P50", 150.0), ("P51", 151.0)])
    result = run(tenders, bids, {"R058": {"threshold": 0.5}})
    assert flagged(result, "R058") == {"P50": pytest.approx(0.5), "P51": pytest.approx(0.51)}
    assert flagged(result, "R058", "tenderer") == {"W": 2.0}
    assert row(result, "R058", "P51")["threshold"] == 0.5


def test_r058_example_from_cardinal_docs():
    # docs/examples/R/058.jsonl: differences 99 (F) and 1 (x4) -> upper fence 82.67; output {"F": 99.0}.
    tenders, bids = [], []
    for process, loser in [("F", 100.0), ("1", 2.0), ("2", 2.0), ("3", 2.0), ("4", 2.0)]:
        t, b = auction(process, ("W", 1.0), ("L", loser), winner="W")
        tenders.append(t)
        bids += b
    result = run(tenders, bids)
    assert flagged(result, "R058") == {"F": 99.0}
    assert flagged(result, "R058", "tenderer") == {"W": 1.0}
    q1, q3 = 1.0, 1 + 98 / 3
    assert result.meta["R058"]["upper_fence"] == pytest.approx(q3 + 1.5 * (q3 - q1))


def test_second_lowest_ratio_exclusions():
    settings = {"R024": {"threshold": 0.05}, "R058": {"threshold": 0.01}}
    tenders, bids = [], []

    def add(t, b):
        tenders.append(t)
        bids.extend(b)

    add(*auction("OK", ("W", 100.0), ("L", 101.0)))
    add(*auction("CANC", ("W", 100.0), ("L", 101.0), status="cancelled"))
    add(*auction("UNSU", ("W", 100.0), ("L", 101.0), status="unsuccessful"))
    add(*auction("NOTLOW", ("W", 100.0), ("L", 99.0), winner="W"))  # winner not the lowest: not price-only
    add(*auction("EUR", ("W", 100.0), ("L", 101.0)))
    bids[-1]["currency"] = bids[-2]["currency"] = "EUR"  # not the main currency (USD, first seen)
    add(tender("TWOWIN"), [bid("TWOWIN", "W", 100.0, won=True), bid("TWOWIN", "V", 100.5, won=True)])
    # One winner on two lots: two awards, as Cardinal reads them.
    add(tender("LOTS", lot="1"), [])
    tenders.append(tender("LOTS", lot="2"))
    bids += [
        bid("LOTS", "W", 100.0, won=True, lot="1", bid_id="w"),
        bid("LOTS", "W", 100.0, won=True, lot="2", bid_id="w"),
        bid("LOTS", "L", 101.0, lot="1", bid_id="l"),
    ]
    # A consortium bid (two tenderers on one bid) is not a valid single-tenderer bid.
    add(
        tender("CONS"),
        [bid("CONS", "W", 100.0, won=True), bid("CONS", "X", 101.0, bid_id="c"), bid("CONS", "Y", 101.0, bid_id="c")],
    )
    result = run(tenders, bids, settings)
    assert set(flagged(result, "R024")) == {"OK"}
    assert set(flagged(result, "R058")) == {"OK"}
    assert result.coverage.set_index("indicator").at["R024", "usable"] == 1


def test_price_comparison_methods_filter_price_indicators():
    tenders, bids = [], []
    for process, details in [("AUC", "Reverse Auction"), ("RND", "Random Selection"), ("NONE", None)]:
        t, b = auction(process, ("W", 100.0), ("L", 101.0), method_details=details)
        tenders.append(t)
        bids += b
    base = {"R024": {"threshold": 0.05}}
    assert set(flagged(run(tenders, bids, base), "R024")) == {"AUC", "RND", "NONE"}
    deny = base | {"no_price_comparison_procurement_methods": "Random Selection"}
    assert set(flagged(run(tenders, bids, deny), "R024")) == {"AUC", "NONE"}
    allow = base | {"price_comparison_procurement_methods": "Reverse Auction"}
    assert set(flagged(run(tenders, bids, allow), "R024")) == {"AUC"}
    both = allow | {"no_price_comparison_procurement_methods": "Reverse Auction"}  # allow list wins
    assert set(flagged(run(tenders, bids, both), "R024")) == {"AUC"}


def test_currency_setting_selects_the_main_currency():
    tenders, bids = [], []
    for process, cur in [("U", "USD"), ("E", "EUR")]:
        t, b = auction(process, ("W", 100.0), ("L", 101.0))
        for x in b:
            x["currency"] = cur
        tenders.append(t)
        bids += b
    base = {"R024": {"threshold": 0.05}}
    assert set(flagged(run(tenders, bids, base), "R024")) == {"U"}
    assert set(flagged(run(tenders, bids, base | {"currency": "EUR"}), "R024")) == {"E"}


# ----------------------------------------------------------------------------------------- R025


def test_r025_example_from_cardinal_docs():
    # docs/examples/R/025.jsonl (six processes): F bids in all six and wins one -> 1/6; others 1/1.
    tenders = [tender(str(i)) for i in range(6)]
    bids = [bid("0", "F", won=True)]
    for i in range(1, 6):
        bids += [bid(str(i), "F"), bid(str(i), str(i), won=True)]
    result = run(tenders, bids)
    assert flagged(result, "R025", "tenderer") == {"F": pytest.approx(1 / 6)}
    q1 = 1 / 6 + 11 / 12 * 5 / 6
    meta = result.meta["R025"]
    assert meta["q1"] == pytest.approx(q1)
    assert meta["q3"] == 1.0
    assert meta["lower_fence"] == pytest.approx(q1 - 1.5 * (1 - q1))
    assert meta["upper_fence"] == pytest.approx(1 + 1 / 12 * 5)  # 75th percentile of (6, 1, 1, 1, 1, 1)
    r = row(result, "R025", "F", "tenderer")
    assert r["details"]["bids"] == 6
    assert r["details"]["wins"] == 1
    assert r["process"] is None


def test_r025_at_and_beside_a_threshold():
    # Ratios 2/5 = 0.4, 2/4 = 0.5, 3/5 = 0.6; percentile 0 admits every tenderer by its number of bids.
    tenders, bids = [], []
    n = 0

    def process(company: str, wins: bool) -> None:
        nonlocal n
        n += 1
        p = f"P{n}"
        tenders.append(tender(p))
        bids.append(bid(p, company, won=wins))
        if not wins:  # the winner, X<n>, wins its only bid: ratio 1
            bids.append(bid(p, f"X{n}", won=True))

    for company, wins, total in [("A", 2, 5), ("B", 2, 4), ("C", 3, 5)]:
        for i in range(total):
            process(company, i < wins)
    result = run(tenders, bids, {"R025": {"threshold": 0.5, "percentile": 0}})
    flags = flagged(result, "R025", "tenderer")
    assert flags == {"A": pytest.approx(0.4), "B": pytest.approx(0.5)}
    assert row(result, "R025", "B", "tenderer")["threshold"] == 0.5
    assert result.meta["R025"]["upper_fence"] == 1.0  # percentile 0: the fewest bids (1)
    # Raising the percentile to 100 keeps only the tenderers with the most bids (5): A.
    top = run(tenders, bids, {"R025": {"threshold": 0.5, "percentile": 100}})
    assert flagged(top, "R025", "tenderer") == {"A": pytest.approx(0.4)}


# ----------------------------------------------------------------------------------------- R028


def test_r028_identical_bid_prices():
    tenders = [tender(p) for p in ("SAME", "CENT", "ONEFIRM", "CUR", "CANC")]
    tenders[-1]["status"] = "cancelled"
    bids = [
        bid("SAME", "A", 100.0, won=True),
        bid("SAME", "B", 100.0),
        bid("SAME", "C", 120.0),
        bid("CENT", "A", 100.0, won=True),
        bid("CENT", "B", 100.01),
        bid("ONEFIRM", "A", 100.0, won=True, bid_id="a1"),
        bid("ONEFIRM", "A", 100.0, bid_id="a2"),  # a tenderer may repeat its own price
        bid("CUR", "A", 100.0, won=True),
        bid("CUR", "B", 100.0, currency="EUR"),
        bid("CANC", "A", 100.0),
        bid("CANC", "B", 100.0),
    ]
    result = run(tenders, bids)
    assert flagged(result, "R028") == {"SAME": 2.0}
    r = row(result, "R028", "SAME")
    assert r["threshold"] == 2.0
    assert r["details"]["prices"] == [{"amount": 100.0, "currency": "USD", "tenderers": ["A", "B"]}]
    assert flagged(result, "R028", "tenderer") == {"A": 1.0, "B": 1.0}


def test_r028_example_from_cardinal_docs_and_one_bid_on_two_lots():
    # docs/examples/R/028.jsonl: a valid and a disqualified bid, both 1 USD, different tenderers -> flagged.
    tenders = [tender("F"), tender("L", lot="1"), tender("L", lot="2")]
    bids = [
        bid("F", "V", 1.0),
        bid("F", "D", 1.0, status="disqualified"),
        # One bid on two lots is one bid, not two bids at the same price.
        bid("L", "A", 5.0, lot="1", bid_id="x", won=True),
        bid("L", "A", 5.0, lot="2", bid_id="x", won=True),
    ]
    result = run(tenders, bids)
    assert flagged(result, "R028") == {"F": 2.0}
    assert flagged(result, "R028", "tenderer") == {"D": 1.0, "V": 1.0}


# ----------------------------------------------------------------------------------------- R030


def test_r030_late_bid_won():
    end = START + pd.Timedelta(days=30)
    second = pd.Timedelta(seconds=1)
    tenders = [tender(p) for p in ("AT", "AFTER", "BEFORE", "LOSER", "DISQ")]
    bids = [
        bid("AT", "W", 1.0, won=True, date=end),
        bid("AFTER", "W", 1.0, won=True, date=end + second),
        bid("BEFORE", "W", 1.0, won=True, date=end - second),
        bid("LOSER", "W", 1.0, won=True, date=end - second),
        bid("LOSER", "L", 2.0, date=end + pd.Timedelta(days=2)),
        bid("DISQ", "W", 1.0, won=True, status="disqualified", date=end + pd.Timedelta(days=2)),
    ]
    result = run(tenders, bids)
    assert flagged(result, "R030") == {"AFTER": pytest.approx(1 / 86400)}
    assert row(result, "R030", "AFTER")["threshold"] == 0.0
    assert flagged(result, "R030", "tenderer") == {"W": 1.0}


def test_r030_example_from_cardinal_docs():
    # docs/examples/R/030.jsonl: valid bid on 2000-04-01 by the winner, tender period ended 2000-03-15.
    t = tender("F", start=None, end=pd.Timestamp("2000-03-15"))
    b = bid("F", "W", won=True, date=pd.Timestamp("2000-04-01"))
    result = run([t], [b])
    assert flagged(result, "R030") == {"F": 17.0}
    assert row(result, "R030", "F")["details"]["cardinal_value"] == 1.0


# ----------------------------------------------------------------------------------------- R035


def test_r035_example_from_cardinal_docs():
    # docs/examples/R/035.jsonl: D disqualified, V valid and awarded -> {"F": 1.0}, tenderer V.
    result = run([tender("F")], [bid("F", "D", status="disqualified"), bid("F", "V", won=True)])
    assert flagged(result, "R035") == {"F": 1.0}
    assert flagged(result, "R035", "tenderer") == {"V": 1.0}


def test_r035_at_and_beside_the_threshold():
    tenders = [tender(p) for p in ("ONE", "TWO", "THREE", "TWOVALID", "OTHERWIN", "SELF")]
    bids = [
        bid("ONE", "W", won=True),
        bid("ONE", "D1", status="disqualified"),
        bid("TWO", "W", won=True),
        bid("TWO", "D1", status="disqualified"),
        bid("TWO", "D2", status="disqualified"),
        bid("THREE", "W", won=True),
        *[bid("THREE", f"D{i}", status="disqualified") for i in range(3)],
        bid("TWOVALID", "W", won=True),
        bid("TWOVALID", "V"),
        bid("TWOVALID", "D1", status="disqualified"),
        bid("OTHERWIN", "W"),
        bid("OTHERWIN", "Z", won=True, status=None),
        bid("OTHERWIN", "D1", status="disqualified"),
        # The winner's own disqualified bid does not count as another tenderer's.
        bid("SELF", "W", won=True, bid_id="w1"),
        bid("SELF", "W", status="disqualified", bid_id="w2"),
        bid("SELF", "D1", status="disqualified"),
    ]
    default = run(tenders, bids)
    assert flagged(default, "R035") == {"ONE": 1.0, "SELF": 1.0, "TWO": 2.0, "THREE": 3.0}
    two = run(tenders, bids, {"R035": {"threshold": 2}})
    assert flagged(two, "R035") == {"TWO": 2.0, "THREE": 3.0}
    assert row(two, "R035", "TWO")["threshold"] == 2.0
    assert row(two, "R035", "TWO")["details"]["disqualified_tenderers"] == ["D1", "D2"]
    # A threshold below 1 is raised to 1, as in Cardinal.
    assert flagged(run(tenders, bids, {"R035": {"threshold": 0}}), "R035") == flagged(default, "R035")


# ----------------------------------------------------------------------------------------- R036


def test_r036_lowest_bid_disqualified():
    tenders = [tender(p) for p in ("BELOW", "EQUAL", "ABOVE", "NOAWARD", "NOVALID")]
    bids = [
        bid("BELOW", "D", 99.0, status="disqualified"),
        bid("BELOW", "W", 100.0, won=True),
        bid("EQUAL", "W", 100.0, won=True),  # first of the equal lowest bids: valid
        bid("EQUAL", "D", 100.0, status="disqualified"),
        bid("ABOVE", "D", 101.0, status="disqualified"),
        bid("ABOVE", "W", 100.0, won=True),
        bid("NOAWARD", "D", 99.0, status="disqualified"),
        bid("NOAWARD", "W", 100.0),
        bid("NOVALID", "D", 99.0, status="disqualified"),
        bid("NOVALID", "P", 100.0, status="pending", won=True),
    ]
    result = run(tenders, bids)
    assert flagged(result, "R036") == {"BELOW": 99.0}
    r = row(result, "R036", "BELOW")
    assert r["threshold"] == 100.0
    assert r["details"]["disqualified_tenderers"] == ["D"]
    assert result.coverage.set_index("indicator").at["R036", "usable"] == 3


def test_r036_example_from_cardinal_docs():
    # docs/examples/R/036.jsonl: disqualified 1 USD, valid 2 USD, an active award -> flagged.
    bids = [bid("F", "D", 1.0, status="disqualified"), bid("F", "V", 2.0, won=True)]
    assert flagged(run([tender("F")], bids), "R036") == {"F": 1.0}
    no_price = {"no_price_comparison_procurement_methods": "Lottery"}
    assert flagged(run([tender("F", method_details="Lottery")], bids, no_price), "R036") == {}


# ----------------------------------------------------------------------------------------- R038


def test_r038_example_from_cardinal_docs():
    # docs/examples/R/038.jsonl: buyer B disqualified 1 of 2 bids; buyers 1-4 got one bid each (below the
    # minimum of 2 submitted bids, as Cardinal's source counts it). Output {"Buyer": {"B": 0.5}}.
    tenders = [tender("0", buyer="B")] + [tender(str(i), buyer=str(i)) for i in range(1, 5)]
    bids = [bid("0", "W"), bid("0", "D", status="disqualified")] + [bid(str(i), "W") for i in range(1, 5)]
    result = run(tenders, bids)
    assert flagged(result, "R038", "buyer") == {"B": 0.5}
    assert flagged(result, "R038", "tenderer") == {}
    assert result.meta["R038"]["Buyer_upper_fence"] == 0.5
    assert result.meta["R038"]["Tenderer_upper_fence"] == 0.0
    assert result.meta["R038"]["ProcuringEntity_upper_fence"] is None


def test_r038_at_and_beside_a_threshold():
    # Buyers: 2 of 4 disqualified (0.5), 2 of 5 (0.4), 3 of 5 (0.6); procuring entities likewise.
    tenders, bids = [], []
    for buyer, disq, total in [("B05", 2, 4), ("B04", 2, 5), ("B06", 3, 5), ("BONE", 1, 1)]:
        p = f"P-{buyer}"
        tenders.append(tender(p, buyer=buyer, procuring_entity="PE" + buyer))
        bids += [bid(p, f"{buyer}-{i}", status="disqualified" if i < disq else "valid") for i in range(total)]
    result = run(tenders, bids, {"R038": {"threshold": 0.5}})
    assert flagged(result, "R038", "buyer") == {"B05": 0.5, "B06": 0.6}
    assert flagged(result, "R038", "procuring_entity") == {"PEB05": 0.5, "PEB06": 0.6}
    r = row(result, "R038", "B06", "buyer")
    assert r["details"] == {"disqualified": 3, "submitted": 5, "cardinal_value": 0.6}
    assert r["threshold"] == 0.5
    # BONE has a single submitted bid; lowering the minimum brings it in (ratio 1.0).
    low = run(tenders, bids, {"R038": {"threshold": 0.5, "minimum_contracting_processes": 1}})
    assert flagged(low, "R038", "buyer") == {"B05": 0.5, "B06": 0.6, "BONE": 1.0}


def test_r038_tenderers():
    # Tenderer T has 3 of 4 bids disqualified; eight others have 0 of 2: fence 0 -> none flagged by default.
    tenders, bids = [], []
    for i in range(4):
        p = f"P{i}"
        tenders.append(tender(p))
        bids.append(bid(p, "T", status="disqualified" if i < 3 else "valid"))
    for j in range(8):
        for k in range(2):
            p = f"Q{j}{k}"
            tenders.append(tender(p))
            bids.append(bid(p, f"O{j}"))
    assert flagged(run(tenders, bids), "R038", "tenderer") == {}
    result = run(tenders, bids, {"R038": {"threshold": 0.75}})
    assert flagged(result, "R038", "tenderer") == {"T": 0.75}
    assert flagged(run(tenders, bids, {"R038": {"threshold": 0.76}}), "R038", "tenderer") == {}


# ----------------------------------------------------------------------------------------- R048


def test_r048_example_from_cardinal_docs():
    # docs/examples/R/048.jsonl with minimum_contracting_processes = 1: F supplies 10xxxxxx and 11xxxxxx.
    tenders = [tender("F", classifications=("10000000", "11000000"))]
    tenders += [tender(str(i), classifications=("10000000",)) for i in range(1, 5)]
    bids = [bid("F", "F", status=None, won=True)] + [bid(str(i), str(i), status=None, won=True) for i in range(1, 5)]
    result = run(tenders, bids, {"R048": {"minimum_contracting_processes": 1}})
    assert flagged(result, "R048", "tenderer") == {"F": 2.0}
    q1, q3 = 1.0, 1 + 1 / 3
    assert result.meta["R048"]["upper_fence"] == pytest.approx(q3 + 1.5 * (q3 - q1))
    # The default minimum of 20 processes leaves everyone out.
    assert flagged(run(tenders, bids), "R048", "tenderer") == {}


def test_r048_at_and_beside_a_threshold_with_cpv_codes():
    tenders, bids = [], []
    for company, divisions in [("C2", 2), ("C3", 3), ("C4", 4)]:
        for i in range(divisions):
            p = f"{company}-{i}"
            # Two items per lot in the same division: counted once.
            tenders.append(tender(p, classifications=(f"{30 + i}121200-8", f"{30 + i}192000-1")))
            bids.append(bid(p, company, 10.0, won=True))
            bids.append(bid(p, "LOSER", 11.0))
    # A lot won by two companies (several suppliers) is left out.
    tenders.append(tender("SHARED", classifications=("90000000-7",)))
    bids += [bid("SHARED", "C2", won=True), bid("SHARED", "C9", won=True)]
    settings = {"R048": {"threshold": 3, "minimum_contracting_processes": 1}}
    result = run(tenders, bids, settings)
    assert flagged(result, "R048", "tenderer") == {"C3": 3.0, "C4": 4.0}
    assert row(result, "R048", "C4", "tenderer")["details"]["classes"] == ["30", "31", "32", "33"]
    # Four digits tell the two items of a lot apart (3012 and 3019); a minimum of 3 processes drops C2.
    wider = run(tenders, bids, {"R048": {"threshold": 3, "digits": 4, "minimum_contracting_processes": 3}})
    assert flagged(wider, "R048", "tenderer") == {"C3": 6.0, "C4": 8.0}
    assert (
        flagged(run(tenders, bids, {"R048": {"threshold": 5, "minimum_contracting_processes": 1}}), "R048", "tenderer")
        == {}
    )


# ----------------------------------------------------------------------------------------- scope, output


def test_lots_pool_bids_and_use_each_lots_period():
    # Lot 1 has a 10-day period, lot 2 a 30-day one: R003 reports the shorter.
    tenders = [tender("P", lot="1", days=10), tender("P", lot="2", days=30)]
    end1 = START + pd.Timedelta(days=10)
    bids = [
        # One bid (one id) on both lots, submitted after lot 1's end but before lot 2's.
        bid("P", "A", 50.0, lot="1", bid_id="a", won=True, date=end1 + pd.Timedelta(days=1)),
        bid("P", "A", 50.0, lot="2", bid_id="a", won=True, date=end1 + pd.Timedelta(days=1)),
    ]
    result = run(tenders, bids)
    assert flagged(result, "R003") == {"P": 10.0}
    assert row(result, "R003", "P")["details"]["lot"] == "1"
    assert row(result, "R003", "P")["subject"] == "T:P:1"
    assert flagged(result, "R030") == {"P": 1.0}  # late for lot 1, the row carried first
    assert flagged(result, "R018") == {"P": 1.0}  # one tenderer, one bid, however many lots
    assert row(result, "R018", "P")["details"]["bids"] == 1
    assert flagged(result, "R028") == {}


def test_cancelled_processes_are_left_out_of_every_indicator():
    end = START + pd.Timedelta(days=3)
    t = tender("C", days=3, status="cancelled")
    bids = [
        bid("C", "W", 100.0, won=True, date=end + pd.Timedelta(days=1)),
        bid("C", "D", 99.0, status="disqualified"),
    ]
    result = run([t], bids, {"R038": {"minimum_contracting_processes": 1}})
    assert result.flags.empty
    assert (result.coverage["usable"] == 0).all()
    # Not cancelled, the same process raises R003, R030, R035, R036.
    t["status"] = "active"
    live = run([t], bids)
    assert {"R003", "R030", "R035", "R036"} <= set(live.flags["indicator"])


def test_unsuccessful_processes_are_left_out_of_price_indicators_only():
    t = tender("U", status="unsuccessful", days=3)
    bids = [bid("U", "A", 100.0, won=True), bid("U", "B", 100.0)]
    result = run([t], bids)
    assert set(result.flags["indicator"]) == {"R003"}
    assert result.coverage.set_index("indicator").at["R028", "usable"] == 0


def test_output_shape_and_order():
    tenders, bids = close_and_far([("P2", 101.0), ("P1", 101.0)])
    tenders.append(tender("S", days=2))
    result = run(tenders, bids, {"R024": {"threshold": 0.05}})
    assert list(result.flags.columns) == ["indicator", "level", "process", "subject", "value", "threshold", "details"]
    keys = list(zip(result.flags["indicator"], result.flags["level"], result.flags["process"].fillna(""), strict=True))
    assert keys == sorted(keys)
    assert list(result.coverage.columns) == ["indicator", "processes", "usable", "flagged", "needs"]
    assert list(result.coverage["indicator"]) == list(INDICATORS)
    assert (result.coverage["processes"] == 3).all()
    assert INDICATORS["R018"] == ("single bid", "单一投标", ("process",))
    assert len(INDICATORS) == 11
    # Same input, same output.
    again = run(tenders, bids, {"R024": {"threshold": 0.05}})
    pd.testing.assert_frame_equal(result.flags, again.flags)
    # A process known only from its bids still gets flags, named by its bid rows' tender.
    orphan_bids = frames([], [bid("O", "A", 1.0, won=True), bid("O", "D", 2.0, status="disqualified")])[1]
    orphan = compute_flags(pd.DataFrame(columns=["process", "tender"]), orphan_bids)
    assert row(orphan, "R035", "O")["subject"] == "T:O"
    assert flagged(orphan, "R018") == {}  # no tender row, no procurement method: not competitive
    empty = compute_flags(*frames([], []))
    assert empty.flags.empty
    assert empty.meta["R024"]["q1"] is None


# ----------------------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"R999": {}}, "R999"),
        ({"R003": {"treshold": 3}}, "treshold"),
        ({"R028": {"threshold": 1}}, "R028"),
        ({"R003": {"threshold": "15"}}, "R003.threshold"),
        ({"R024": {"threshold": "low"}}, "R024.threshold"),
        ({"R003": 15}, "R003"),
        ({"currency": 5}, "currency"),
        ({"exclusions": {"methods": "x"}}, "exclusions.methods"),
        ({"R003": {"procurement_method_details": {"emergency": "ten"}}}, "procurement_method_details"),
    ],
)
def test_bad_settings_raise_value_error(settings, message):
    with pytest.raises(ValueError, match=message):
        run([tender("P")], [], settings)


def test_unknown_setting_message_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed for R025: percentile, threshold"):
        run([tender("P")], [], {"R025": {"digits": 2}})
    with pytest.raises(ValueError, match="R003"):
        run([tender("P")], [], {"R0003": {}})


def test_exclusions_setting_leaves_processes_out():
    tenders = [tender("A", days=3, method_details="Lottery"), tender("B", days=3)]
    result = run(tenders, [], {"exclusions": {"procurement_method_details": "Lottery"}})
    assert set(flagged(result, "R003")) == {"B"}


# ----------------------------------------------------------------------------------------- null data


def test_ordinary_processes_raise_no_flags_beyond_the_fences():
    """200 ordinary open tenders: 3-6 valid bids around a budget, the lowest wins, 30-day periods.

    No process-rule flag (R003, R018, R028, R030, R035, R036, R038) may fire, nor R024 (its lower fence is
    negative here). R058 (processes) and R025 (tenderers) may flag at most 10% of what they score: Tukey's
    fences leave about 0.7% of a normal sample above the upper fence, and a few percent of a right-skewed
    one such as the difference between the two lowest of 3-6 bids.
    """
    rng = np.random.default_rng(20240301)
    firms = [f"F{i:02d}" for i in range(40)]
    tenders, bids = [], []
    for i in range(200):
        p = f"ocds-null-{i:03d}"
        budget = float(rng.uniform(1e5, 1e6))
        start = START + pd.Timedelta(days=int(rng.integers(0, 300)))
        tenders.append(tender(p, start=start, days=30, classifications=(f"{rng.integers(30, 34)}100000-1",)))
        n = int(rng.integers(3, 7))
        chosen = rng.choice(firms, size=n, replace=False)
        amounts = np.round(budget * rng.normal(0.92, 0.04, size=n), 2)
        winner = int(np.argmin(amounts))
        for k, (firm, amount) in enumerate(zip(chosen, amounts, strict=True)):
            date = start + pd.Timedelta(days=float(rng.uniform(1, 29)))
            bids.append(bid(p, str(firm), float(amount), won=k == winner, date=date))
    result = run(tenders, bids)
    counts = result.flags["indicator"].value_counts()
    for code in ("R003", "R018", "R024", "R028", "R030", "R035", "R036", "R038"):
        assert counts.get(code, 0) == 0, code
    cov = result.coverage.set_index("indicator")
    for code in ("R003", "R018", "R024", "R028", "R030", "R035", "R036", "R058"):
        assert cov.at[code, "usable"] == 200, code
    # Observed with this seed: 11 of 200 (5.5%) above R058's upper fence; the check allows 10%.
    r058 = flagged(result, "R058")
    assert len(r058) <= 0.10 * 200
    assert all(v >= result.meta["R058"]["upper_fence"] for v in r058.values())
    assert len(flagged(result, "R025", "tenderer")) <= 0.10 * len(firms)

"""The bid-ring engine on real labelled markets: firm ranking, leave-one-market-out, and --known.

The data are two of the country files of García Rodríguez et al. (2022),
"Collusion detection in public procurement auctions with machine learning
algorithms" (see SOURCE.md in the data folder). The engine sees only
``Tender``, ``Competitors``, ``Bid_value`` and ``Winner``; the label
``Collusive_competitor_original`` (firm truth = its maximum per firm) is read
here, after scoring, for the figures only.

Three tables, each beside the trivial baseline "tenders bid":

1. **The engine as shipped** (``score_firms``, direction ``auto`` = two-sided
   without known firms), with each price direction forced, and without
   amounts or winners. Nothing in it was weighted on these markets.
2. **Leave one market out.** Signals (subsets of tenders bid, wins, price
   evidence, price lock) and the price direction are chosen, in equal
   weights, by firm-level ROC-AUC on one market and reported on the other.
3. **With known colluders** (``--known``): a random 10% of each market's
   cartel firms is given as known, and the engine ranks the rest; ROC-AUC
   over the firms not given, mean and range over the repeats, beside the
   engine without known firms and the baseline on the same firms.

    python bench/bids_real.py /work/shared/data/bidrigging [--repeats 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from analytics.bids import analyse_bids, parse_column_spec, read_bid_table

DATASETS = {
    "Brazil": "DB_Collusion_Brazil_processed.csv",
    "Italy": "DB_Collusion_Italy_processed.csv",
}
SPEC = "tender=Tender,bidder=Competitors,amount=Bid_value,winner=Winner"
SIGNALS = ("tenders", "wins", "price_evidence", "price_lock")
DIRECTIONS = ("both", "tight", "dispersed")
KNOWN_SHARE = 0.10


def firm_truth(path: Path) -> pd.Series:
    raw = pd.read_csv(path, usecols=["Competitors", "Collusive_competitor_original"])
    return raw.groupby(raw["Competitors"].astype(str))["Collusive_competitor_original"].max()


def auc(truth: pd.Series, scores: pd.Series) -> float:
    s = scores.fillna(scores.min())
    return float(roc_auc_score(truth.reindex(s.index).to_numpy(), s.to_numpy()))


def combine(firms: pd.DataFrame, signals: tuple[str, ...]) -> pd.Series:
    """Equal-weight mean of percentile ranks, as the engine combines them (price lock: lower is stronger)."""
    values = firms[list(signals)].copy()
    if "price_lock" in values:
        values["price_lock"] = -values["price_lock"].fillna(np.inf)
    return values.rank(pct=True).fillna(0.5).mean(axis=1)


def shipped(name: str, bids: pd.DataFrame, truth: pd.Series) -> dict:
    start = time.perf_counter()
    found = analyse_bids(bids, seed=0)
    seconds = time.perf_counter() - start
    firms = found.firms.set_index("bidder")
    rows = {
        "engine (auto: two-sided)": auc(truth, firms["score"]),
        "trivial (tenders bid)": auc(truth, firms["tenders"].astype(float)),
    }
    for direction in ("tight", "dispersed"):
        forced = analyse_bids(bids, seed=0, direction=direction).firms.set_index("bidder")
        rows[f"engine, direction {direction}"] = auc(truth, forced["score"])
    rows["engine without amounts"] = auc(
        truth, analyse_bids(bids.drop(columns="amount")).firms.set_index("bidder")["score"]
    )
    rows["engine without winners"] = auc(
        truth, analyse_bids(bids.drop(columns="winner")).firms.set_index("bidder")["score"]
    )
    ap = float(average_precision_score(truth.reindex(firms.index), firms["score"]))
    ringed = firms[firms["ring"] != ""]
    ring_line = (
        f"{found.rings.shape[0]} rings, {len(ringed)} firms, "
        f"{truth.reindex(ringed.index).mean():.0%} of them in a cartel"
        if len(ringed)
        else "no ring"
    )
    print(
        f"\n{name}: {len(bids):,} bids, {bids['tender'].nunique()} tenders, {len(truth)} firms "
        f"({int(truth.sum())} in cartels)"
    )
    print(f"  {'ranking':34s} {'ROC-AUC':>8s}")
    for label, value in rows.items():
        print(f"  {label:34s} {value:8.3f}")
    print(f"  average precision of the engine {ap:.3f} (random {truth.mean():.3f}); {ring_line}; {seconds:.2f} s")
    return {"auc": rows, "average_precision": ap, "rings": ring_line, "seconds": round(seconds, 2)}


def leave_one_market_out(tables: dict[str, dict[str, pd.DataFrame]], truths: dict[str, pd.Series]) -> list[dict]:
    choices = [
        (direction, subset)
        for direction in DIRECTIONS
        for r in range(1, len(SIGNALS) + 1)
        for subset in itertools.combinations(SIGNALS, r)
    ]
    out = []
    print("\nLeave one market out: signals and direction chosen on one market, reported on the other")
    print(f"  {'chosen on':10s} {'reported on':12s} {'choice':48s} {'train':>6s} {'test':>6s} {'baseline':>8s}")
    for train, test in itertools.permutations(tables, 2):

        def fit(choice: tuple[str, tuple[str, ...]], market: str) -> float:
            direction, subset = choice
            return auc(truths[market], combine(tables[market][direction], subset))

        best = max(choices, key=lambda c: fit(c, train))
        baseline = auc(truths[test], tables[test]["both"]["tenders"].astype(float))
        row = {
            "train": train,
            "test": test,
            "direction": best[0],
            "signals": list(best[1]),
            "train_auc": fit(best, train),
            "test_auc": fit(best, test),
            "baseline_auc": baseline,
        }
        label = f"{best[0]}: " + " + ".join(best[1])
        print(f"  {train:10s} {test:12s} {label:48s} {row['train_auc']:6.3f} {row['test_auc']:6.3f} {baseline:8.3f}")
        out.append(row)
    return out


def with_known(name: str, bids: pd.DataFrame, truth: pd.Series, repeats: int) -> dict:
    rng = np.random.default_rng(2026)
    cartel = sorted(truth[truth == 1].index)
    k = max(1, round(KNOWN_SHARE * len(cartel)))
    plain = analyse_bids(bids, seed=0).firms.set_index("bidder")
    rows: dict[str, list[float]] = {"with --known": [], "without": [], "tenders bid": []}
    learned: dict[str, int] = {}
    for _ in range(repeats):
        known = sorted(rng.choice(cartel, size=k, replace=False).tolist())
        found = analyse_bids(bids, seed=0, known=known)
        learned[found.direction] = learned.get(found.direction, 0) + 1
        firms = found.firms.set_index("bidder")
        rest = firms.index[~firms["known"]]
        rows["with --known"].append(auc(truth.reindex(rest), firms.loc[rest, "score"]))
        rows["without"].append(auc(truth.reindex(rest), plain.loc[rest, "score"]))
        rows["tenders bid"].append(auc(truth.reindex(rest), plain.loc[rest, "tenders"].astype(float)))
    print(
        f"\n{name}: {k} of {len(cartel)} cartel firms known ({KNOWN_SHARE:.0%}), {repeats} draws; ROC-AUC on the rest"
    )
    for label, values in rows.items():
        print(f"  {label:14s} mean {np.mean(values):.3f}  range {min(values):.3f}-{max(values):.3f}")
    beats = sum(a >= b for a, b in zip(rows["with --known"], rows["tenders bid"], strict=True))
    print(f"  with --known at or above tenders bid in {beats} of {repeats} draws; direction learned: {learned}")
    return {
        "known": k,
        "repeats": repeats,
        **{label: {"mean": float(np.mean(v)), "min": float(min(v)), "max": float(max(v))} for label, v in rows.items()},
        "at_or_above_baseline": beats,
        "direction_learned": learned,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder holding the DB_Collusion_*_processed.csv files")
    parser.add_argument("--repeats", type=int, default=20, help="draws of known firms per market")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures: dict = {"shipped": {}, "known": {}}
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    truths: dict[str, pd.Series] = {}
    for name, filename in DATASETS.items():
        path = args.folder / filename
        bids = read_bid_table(path, parse_column_spec(SPEC))
        truths[name] = firm_truth(path)
        figures["shipped"][name] = shipped(name, bids, truths[name])
        tables[name] = {d: analyse_bids(bids, seed=0, direction=d).firms.set_index("bidder") for d in DIRECTIONS}
        figures["known"][name] = with_known(name, bids, truths[name], args.repeats)
    figures["leave_one_market_out"] = leave_one_market_out(tables, truths)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"\nwritten {args.json}")


if __name__ == "__main__":
    main()

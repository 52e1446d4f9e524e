"""Firm-level bid-rigging scores on real labelled data (Brazil and Italy).

The data are two of the country files of García Rodríguez et al. (2022),
"Collusion detection in public procurement auctions with machine learning
algorithms" (see SOURCE.md in the data folder). The scorer sees only
``Tender``, ``Competitors``, ``Bid_value`` and ``Winner``; the label
``Collusive_competitor_original`` (firm truth = its maximum per firm) is read
here, after scoring, for the figures only.

For each dataset prints firm-level ROC-AUC and average precision of

* ``score_firms`` (the method),
* a screens-only baseline: the mean tender ``suspicion`` of the firm's tenders,
* the trivial baseline: the number of tenders the firm bid in,
* the method without amounts and without winners (graceful degradation),

and the precision of the firms put in a ring, and the run time.

    python bench/bids_real.py /work/shared/data/bidrigging
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from analytics.bids import parse_column_spec, read_bid_table, score_firms

DATASETS = {
    "Brazil": "DB_Collusion_Brazil_processed.csv",
    "Italy": "DB_Collusion_Italy_processed.csv",
}
SPEC = "tender=Tender,bidder=Competitors,amount=Bid_value,winner=Winner"


def firm_truth(path: Path) -> pd.Series:
    raw = pd.read_csv(path, usecols=["Competitors", "Collusive_competitor_original"])
    return raw.groupby(raw["Competitors"].astype(str))["Collusive_competitor_original"].max()


def figures(truth: pd.Series, scores: pd.Series) -> tuple[float, float]:
    y = truth.reindex(scores.index).to_numpy()
    s = scores.fillna(scores.min()).to_numpy()
    return roc_auc_score(y, s), average_precision_score(y, s)


def run(folder: Path, name: str, filename: str) -> None:
    path = folder / filename
    bids = read_bid_table(path, parse_column_spec(SPEC))
    truth = firm_truth(path)

    start = time.perf_counter()
    scored = score_firms(bids, seed=0).set_index("bidder")
    seconds = time.perf_counter() - start
    no_amount = score_firms(bids.drop(columns="amount")).set_index("bidder")
    no_winner = score_firms(bids.drop(columns="winner")).set_index("bidder")

    rows = [
        ("score_firms", scored["score"]),
        ("screens only (mean suspicion)", scored["suspicion_mean"]),
        ("trivial (tenders bid)", scored["tenders"].astype(float)),
        ("score_firms without amounts", no_amount["score"]),
        ("score_firms without winners", no_winner["score"]),
    ]
    positives = int(truth.sum())
    tenders = bids["tender"].nunique()
    print(f"\n{name}: {len(bids):,} bids, {tenders} tenders, {len(truth)} firms ({positives} in cartels)")
    print(f"  {'signal':32s} {'ROC-AUC':>8s} {'AP':>7s}")
    for label, values in rows:
        auc, ap = figures(truth, values)
        print(f"  {label:32s} {auc:8.3f} {ap:7.3f}")
    print(f"  {'(AP of a random ranking)':32s} {'':8s} {positives / len(truth):7.3f}")
    ring = scored[scored["ring"] != ""]
    if len(ring):
        precision = truth.reindex(ring.index).mean()
        print(f"  rings: {ring['ring'].nunique()} groups, {len(ring)} firms, {precision:.0%} of them in a cartel")
    else:
        print("  rings: none")
    print(f"  score_firms run time: {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder holding the DB_Collusion_*_processed.csv files")
    args = parser.parse_args()
    for name, filename in DATASETS.items():
        run(args.folder, name, filename)


if __name__ == "__main__":
    main()

"""Firms that keep meeting in tight-priced tenders: the pair test behind bid rings (陪标, 围标).

Honest firms of one trade and city meet often, so co-bidding alone proves
nothing. What cover bidding leaves behind is the *price*: the designated
winner's partners bid just above it, so the tenders a ring carves up are
unusually tight (a low coefficient of variation of the bids, Imhof's variance
screen). The test, per pair of firms that bid together:

* a tender is *tight* when its coefficient of variation is among the lowest
  ``1 - tight_quantile`` of the market's tenders (the tightest tenth, by
  default), so under "prices are honest" a shared tender is tight with
  probability ``p0`` (the share of tight tenders);
* a pair that met in ``n`` tenders, ``k`` of them tight, gets the binomial
  p-value ``P(X >= k)``, ``X ~ Binomial(n, p0)``;
* the hypotheses are the pairs that met in at least ``min_meetings`` tenders
  (an independent filter in the sense of Bourgon, Gentleman and Huber 2010:
  under the null, how often two firms meet says nothing about whether their
  tenders are tight, so leaving out rare pairs keeps the error rate and gains
  power), with Benjamini–Hochberg over all of them at false discovery rate
  ``alpha``; a pair also needs ``min_tight`` tight meetings to count;
* firms joined by significant pairs form groups (connected components);
  groups of at least ``min_members`` firms are the candidate rings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
from scipy.stats import binom, false_discovery_control

from .bids import tender_screens

__all__ = ["CobiddingGroups", "collusive_groups"]


@dataclass
class CobiddingGroups:
    """The result of :func:`collusive_groups`.

    Attributes
    ----------
    groups : list of tuple of str
        Firms of each group, largest group first.
    pairs : pandas.DataFrame
        Every tested pair: ``a, b, shared, tight, p, q, significant``.
    screens : pandas.DataFrame
        :func:`analytics.bids.tender_screens` plus ``tight`` (bool), indexed by tender.
    p0 : float
        Share of tight tenders among those with a coefficient of variation.
    """

    groups: list[tuple[str, ...]]
    pairs: pd.DataFrame
    screens: pd.DataFrame
    p0: float
    params: dict = field(default_factory=dict)


def _pair_counts(bids: pd.DataFrame, tight: pd.Series) -> pd.DataFrame:
    """Shared and tight-shared tenders of every pair of firms that bid together (a < b)."""
    b = bids[["tender", "bidder"]].drop_duplicates()
    b = b.assign(tight=b["tender"].map(tight).fillna(False).astype(bool))
    joined = b.merge(b[["tender", "bidder"]], on="tender", suffixes=("_a", "_b"))
    joined = joined[joined["bidder_a"] < joined["bidder_b"]]
    counts = joined.groupby(["bidder_a", "bidder_b"], sort=True).agg(shared=("tender", "size"), tight=("tight", "sum"))
    return counts.reset_index().rename(columns={"bidder_a": "a", "bidder_b": "b"})


def collusive_groups(
    bids: pd.DataFrame,
    *,
    tight_quantile: float = 0.9,
    alpha: float = 0.05,
    min_tight: int = 2,
    min_meetings: int = 3,
    min_members: int = 3,
) -> CobiddingGroups:
    """Groups of firms that meet in tight-priced tenders more often than chance.

    Parameters
    ----------
    bids : pandas.DataFrame
        One row per bid: ``tender``, ``bidder``, ``amount`` (``winner`` is not needed).
    tight_quantile : float
        A tender is tight when its coefficient of variation is below this share of the market's
        tenders' (0.9: the tightest tenth).
    alpha : float
        Benjamini–Hochberg false discovery rate over the pairs tested.
    min_tight : int
        Tight meetings a pair needs to be called.
    min_meetings : int
        Tenders a pair must have met in to be a hypothesis at all (fewer cannot show a pattern).
    min_members : int
        Smallest group reported.

    Returns
    -------
    CobiddingGroups
    """
    if not 0 < tight_quantile < 1:
        raise ValueError("tight_quantile is a share between 0 and 1, e.g. 0.9 for the tightest tenth")
    screens = tender_screens(bids).set_index("tender")
    cv = screens["cv"]
    threshold = cv.quantile(1 - tight_quantile) if cv.notna().any() else np.nan
    screens["tight"] = cv <= threshold
    p0 = float(screens["tight"].sum() / max(cv.notna().sum(), 1))
    params = {
        "tight_quantile": tight_quantile,
        "alpha": alpha,
        "min_tight": min_tight,
        "min_meetings": min_meetings,
        "min_members": min_members,
    }
    empty = pd.DataFrame(columns=["a", "b", "shared", "tight", "p", "q", "significant"])
    if not 0 < p0 < 1:
        return CobiddingGroups([], empty, screens, p0, params)
    pairs = _pair_counts(bids, screens["tight"])
    pairs = pairs[pairs["shared"] >= min_meetings]
    if pairs.empty:
        return CobiddingGroups([], empty, screens, p0, params)
    # Every pair that met often enough is a hypothesis, so Benjamini-Hochberg counts them all; only pairs
    # with enough tight meetings can be called, and only they are kept.
    p = binom.sf(pairs["tight"].to_numpy() - 1, pairs["shared"].to_numpy(), p0)
    q = false_discovery_control(p, method="bh")
    pairs = pairs.assign(p=p, q=q)
    pairs = pairs[pairs["tight"] >= min_tight].copy()
    pairs["significant"] = pairs["q"] <= alpha
    graph = nx.Graph()
    sig = pairs[pairs["significant"]]
    graph.add_edges_from(zip(sig["a"], sig["b"], strict=True))
    groups = [tuple(sorted(c)) for c in nx.connected_components(graph) if len(c) >= min_members]
    groups.sort(key=lambda g: (-len(g), g))
    return CobiddingGroups(groups, pairs.reset_index(drop=True), screens, p0, params)

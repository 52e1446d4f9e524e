"""Unsupervised bid-rigging (围标串标) screening of firms from a table of bids.

One row of the input is one bid: which tender (``tender``), which firm
(``bidder``), how much (``amount``, optional) and whether it won (``winner``,
optional). Nothing here uses labels: every signal is a statistic of the bids.

Three kinds of evidence are combined, each from the literature on screening
procurement markets:

* **price screens** of every tender (Imhof 2017; Huber and Imhof 2019): a
  rigged tender tends to show *low variance* (the coefficient of variation and
  the spread shrink) and *asymmetry* (the designated winner sits apart from a
  tight cluster of cover bids, so the relative distance between the two lowest
  bids is large and the skewness negative). :func:`tender_screens` computes the
  screens and a per-tender ``suspicion`` index from them;
* **wins**: a rotation scheme gives each member its turn to win, and the
  members of a cartel win more than their share of the bids;
* **the co-bidding network**: firms linked by the tenders they share, split
  into communities (Leiden, seeded), each scored for cohesion, exclusivity,
  rotation of winners, and how suspicious the prices are in the tenders where
  two or more members meet. A community whose meetings are significantly more
  suspicious than the market (Benjamini-Hochberg over all communities) is
  reported as a ring.

:func:`score_firms` ranks firms by the mean percentile of the price and win
signals, and reports the network evidence and the rings beside the score; the
evidence columns say why a firm ranks where it does. :func:`read_bid_table`
and :func:`parse_column_spec` bring a user's CSV or XLSX file to the standard
columns.

Examples
--------
>>> import pandas as pd
>>> bids = pd.DataFrame({
...     "tender": ["T1", "T1", "T1", "T2", "T2", "T2"],
...     "bidder": ["A", "B", "C", "A", "B", "C"],
...     "amount": [100.0, 110.0, 111.0, 120.0, 103.0, 121.0],
...     "winner": [True, False, False, False, True, False],
... })
>>> tender_screens(bids)[["tender", "n_bids", "spd", "winner_rank"]].round(2)
  tender  n_bids   spd  winner_rank
0     T1       3  0.11          1.0
1     T2       3  0.17          1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import igraph
import leidenalg
import numpy as np
import pandas as pd

__all__ = [
    "BID_COLUMNS",
    "parse_column_spec",
    "read_bid_table",
    "score_firms",
    "tender_screens",
]

#: The standard columns of a bid table; ``tender`` and ``bidder`` are required.
BID_COLUMNS: tuple[str, ...] = ("tender", "bidder", "amount", "winner")
_REQUIRED = ("tender", "bidder")

#: Screens in the suspicion index and the sign that makes "more collusive" larger:
#: the variance family (Imhof's CV and spread) and the asymmetry family (RD, skewness).
_SUSPICION_FAMILIES: tuple[tuple[tuple[str, float], ...], ...] = (
    (("cv", -1.0), ("spd", -1.0)),
    (("rd", 1.0), ("skew", -1.0)),
)

#: Resolution of the community detection: the mean Jaccard overlap of member pairs' tender sets
#: a group must reach, i.e. members meet in at least half of the tenders either of them enters.
_COHESION = 0.5

#: Smallest community that can be reported as a ring, and the least number of
#: tenders in which two or more of its members must have met.
_RING_MIN_SIZE = 3
_RING_MIN_MEETINGS = 2
#: False discovery rate for calling a community a ring (Benjamini-Hochberg).
_RING_FDR = 0.05

_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "是", "中标", "√"})
_ENCODINGS = ("utf-8-sig", "gb18030")


# --------------------------------------------------------------------------- input


def parse_column_spec(spec: str) -> dict[str, str]:
    """Parse ``"tender=COL,bidder=COL,amount=COL,winner=COL"`` into a column mapping.

    Parameters
    ----------
    spec : str
        Comma-separated ``key=column`` pairs. Keys are the standard columns
        ``tender``, ``bidder`` (both required), ``amount`` and ``winner``
        (optional); each value is a column name in the user's file. Spaces
        around keys and names are ignored; a full-width comma (，) also
        separates pairs.

    Returns
    -------
    dict of str to str
        Standard column name to the file's column name.

    Raises
    ------
    ValueError
        For an empty spec, a pair without ``=``, an unknown or repeated key, an
        empty column name, or a missing ``tender`` or ``bidder``. The message
        says what to write instead.

    Examples
    --------
    >>> parse_column_spec("tender=Tender, bidder=Competitors, amount=Bid_value")
    {'tender': 'Tender', 'bidder': 'Competitors', 'amount': 'Bid_value'}
    """
    example = "tender=COL,bidder=COL,amount=COL,winner=COL"
    if not spec or not spec.strip():
        raise ValueError(f"empty column spec: write {example} (amount and winner may be left out)")
    mapping: dict[str, str] = {}
    for part in spec.replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"column spec item {part!r} has no '=': write key=COLUMN, e.g. {example}")
        key, column = (s.strip() for s in part.split("=", 1))
        key = key.lower()
        if key not in BID_COLUMNS:
            raise ValueError(
                f"unknown key {key!r} in column spec: the keys are {', '.join(BID_COLUMNS)}; write e.g. {example}"
            )
        if key in mapping:
            raise ValueError(f"key {key!r} appears twice in the column spec: give it once")
        if not column:
            raise ValueError(f"no column name after '{key}=': write {key}=<column name in your file>")
        mapping[key] = column
    missing = [k for k in _REQUIRED if k not in mapping]
    if missing:
        raise ValueError(
            f"column spec lacks required key(s) {', '.join(missing)}: add "
            + ",".join(f"{k}=<column>" for k in missing)
            + f" (full form: {example})"
        )
    return mapping


def read_bid_table(path: str | Path, columns: Mapping[str, str]) -> pd.DataFrame:
    """Read a CSV or XLSX file of bids and rename its columns to the standard ones.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file (UTF-8 with or without a BOM, or GBK/GB18030) or an
        ``.xlsx`` workbook (its first sheet, header in the first row).
    columns : mapping of str to str
        Standard column to the file's column, as :func:`parse_column_spec`
        returns: ``tender`` and ``bidder`` required, ``amount`` and ``winner``
        optional.

    Returns
    -------
    pandas.DataFrame
        Columns ``tender``, ``bidder`` (as strings) and, when mapped,
        ``amount`` (float, NaN where not a number) and ``winner`` (bool), in
        the file's row order. Without ``amount`` there are no price screens;
        without ``winner`` no rotation (see :func:`score_firms`).

    Raises
    ------
    ValueError
        If the mapping has an unknown key or lacks ``tender``/``bidder``, if a
        mapped column is not in the file (the message lists the file's
        columns), or if the file type is not supported.
    FileNotFoundError
        If the file does not exist.
    """
    unknown = [k for k in columns if k not in BID_COLUMNS]
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(map(repr, unknown))}: the keys are {', '.join(BID_COLUMNS)}")
    missing_keys = [k for k in _REQUIRED if k not in columns]
    if missing_keys:
        raise ValueError(f"columns must name {', '.join(missing_keys)}: e.g. {{'tender': 'Tender', 'bidder': 'Firm'}}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = _read_csv(path)
    elif suffix in {".xlsx", ".xlsm"}:
        raw = pd.read_excel(path, dtype=object)
    else:
        raise ValueError(f"{path.name}: unsupported file type {suffix or '(none)'}; save it as .csv or .xlsx")
    raw.columns = [str(c).strip() for c in raw.columns]
    absent = [f"{k}={c!r}" for k, c in columns.items() if c.strip() not in raw.columns]
    if absent:
        raise ValueError(
            f"{path.name}: column(s) not found: {', '.join(absent)}; the file's columns are "
            + ", ".join(repr(c) for c in raw.columns)
        )
    out = pd.DataFrame({k: raw[columns[k].strip()] for k in BID_COLUMNS if k in columns})
    return _standardise(out)


def _read_csv(path: Path) -> pd.DataFrame:
    # utf-8-sig also reads plain UTF-8; gb18030 is a superset of GBK and GB2312.
    for encoding in _ENCODINGS:
        try:
            return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path.name}: not UTF-8 or GB18030 text; save it as 'CSV UTF-8' and try again")


def _to_bool(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values
    numeric = pd.to_numeric(values, errors="coerce")
    words = values.astype(str).str.strip().str.lower().isin(_TRUE_WORDS)
    return (numeric.fillna(0) != 0) | (numeric.isna() & words)


def _standardise(bids: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _REQUIRED if c not in bids.columns]
    if missing:
        have = ", ".join(map(str, bids.columns))
        raise ValueError(f"the bid table lacks column(s) {', '.join(missing)}; it has {have}")
    df = pd.DataFrame({c: bids[c] for c in BID_COLUMNS if c in bids.columns})
    df = df[df["tender"].notna() & df["bidder"].notna()]
    df = df.assign(tender=df["tender"].astype(str).str.strip(), bidder=df["bidder"].astype(str).str.strip())
    df = df[(df["tender"] != "") & (df["bidder"] != "")]
    if "amount" in df.columns:
        amount = df["amount"]
        if not pd.api.types.is_numeric_dtype(amount):
            amount = amount.astype(str).str.replace(",", "", regex=False).str.replace("，", "", regex=False)
        amount = pd.to_numeric(amount, errors="coerce").astype(float)
        # Ratio screens divide by the lowest bid: a zero or negative "bid" is a data error, not a price.
        df = df.assign(amount=amount.where(amount > 0))
    if "winner" in df.columns:
        df = df.assign(winner=_to_bool(df["winner"]))
    return df.reset_index(drop=True)


def _dedupe(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (tender, bidder): the lowest amount, won if any of its rows won."""
    if not df.duplicated(["tender", "bidder"]).any():
        return df
    agg: dict[str, str] = {}
    if "amount" in df.columns:
        agg["amount"] = "min"
    if "winner" in df.columns:
        agg["winner"] = "max"
    if not agg:
        return df.drop_duplicates(["tender", "bidder"]).reset_index(drop=True)
    return df.groupby(["tender", "bidder"], sort=False, as_index=False).agg(agg)


# --------------------------------------------------------------------------- screens


def tender_screens(bids: pd.DataFrame) -> pd.DataFrame:
    """Compute the standard bid-rigging screens of every tender.

    Parameters
    ----------
    bids : pandas.DataFrame
        One row per bid with columns ``tender``, ``bidder`` and optionally
        ``amount`` (float; NaN, zero or negative amounts are ignored) and
        ``winner`` (bool). A firm bidding twice in a tender counts once, at its
        lowest amount.

    Returns
    -------
    pandas.DataFrame
        One row per tender, in order of first appearance, with columns:

        ``tender``
        ``n_bids``
            Number of distinct bidders.
        ``n_priced``
            Number of bids with an amount; the screens use these. With
            ``b1 <= b2 <= ... <= bn`` the sorted amounts:
        ``cv``
            Coefficient of variation, ``std(b, ddof=1) / mean(b)``; n >= 2.
        ``spd``
            Spread, ``(bn - b1) / b1``; n >= 2.
        ``diffp``
            Normalised difference of the two lowest, ``(b2 - b1) / b1``; n >= 2.
        ``rd``
            Relative distance, ``(b2 - b1) / std(b2..bn, ddof=1)``; n >= 3 and
            losing bids not all equal.
        ``rdnor``
            Normalised relative distance, ``(b2 - b1)`` over the mean gap between
            adjacent losing bids, ``(bn - b2) / (n - 2)``; n >= 3.
        ``skew``
            Sample skewness (adjusted Fisher-Pearson, as ``pandas.Series.skew``); n >= 3.
        ``kurt``
            Sample excess kurtosis (as ``pandas.Series.kurt``); n >= 4.
        ``winner_rank``
            Rank of the winning bid among the priced bids (1 = lowest); NaN
            without a priced winner.
        ``suspicion``
            In [0, 1], higher = more like a rigged tender: the mean of two
            families of percentile ranks *across the tenders of this table*,
            low variance (``-cv``, ``-spd``) and asymmetry (``rd``, ``-skew``)
            (Imhof 2017). NaN for tenders with fewer than 2 priced bids.

        Screens are NaN where undefined (too few bids, or a zero standard
        deviation in a denominator; ``cv`` of identical bids is 0).

    Notes
    -----
    ``suspicion`` is relative: it ranks the tenders of one table against each
    other, so it is comparable within a market, not across tables.

    Examples
    --------
    >>> bids = pd.DataFrame({"tender": ["T"] * 4, "bidder": list("ABCD"),
    ...                      "amount": [100.0, 110.0, 112.0, 114.0]})
    >>> row = tender_screens(bids).iloc[0]
    >>> [round(float(row[c]), 2) for c in ("spd", "diffp", "rd")]
    [0.14, 0.1, 5.0]
    """
    df = _dedupe(_standardise(bids))
    return _screens(df)


def _screens(df: pd.DataFrame) -> pd.DataFrame:
    tenders = pd.Index(df["tender"].unique(), name="tender")
    out = pd.DataFrame(index=tenders)
    out["n_bids"] = df.groupby("tender", sort=False).size().reindex(tenders).astype(int)
    cols = ["cv", "spd", "diffp", "rd", "rdnor", "skew", "kurt", "winner_rank"]
    if "amount" not in df.columns:
        out["n_priced"] = 0
        for c in cols:
            out[c] = np.nan
    else:
        priced = df[df["amount"].notna()].sort_values(["tender", "amount"], kind="mergesort")
        g = priced.groupby("tender", sort=False)["amount"]
        n = g.size().reindex(tenders).fillna(0).astype(int)
        mean = g.mean().reindex(tenders)
        std = g.std(ddof=1).reindex(tenders)
        lo = g.min().reindex(tenders)
        hi = g.max().reindex(tenders)
        position = priced.groupby("tender", sort=False).cumcount()
        b2 = priced.loc[position == 1].set_index("tender")["amount"].reindex(tenders)
        losing = priced.loc[position >= 1].groupby("tender", sort=False)["amount"]
        losing_std = losing.std(ddof=1).reindex(tenders)
        centred = priced["amount"] - priced["tender"].map(mean)
        m3 = (centred**3).groupby(priced["tender"], sort=False).sum().reindex(tenders)
        m4 = (centred**4).groupby(priced["tender"], sort=False).sum().reindex(tenders)

        nf = n.astype(float)
        ok2, ok3, ok4 = nf >= 2, nf >= 3, nf >= 4
        pos_std = std > 0
        gap12 = b2 - lo
        out["n_priced"] = n
        out["cv"] = (std / mean).where(ok2)
        out["spd"] = ((hi - lo) / lo).where(ok2)
        out["diffp"] = (gap12 / lo).where(ok2)
        out["rd"] = (gap12 / losing_std).where(ok3 & (losing_std > 0))
        mean_gap = (hi - b2) / (nf - 2)
        out["rdnor"] = (gap12 / mean_gap).where(ok3 & (mean_gap > 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            skew = nf / ((nf - 1) * (nf - 2)) * m3 / std**3
            kurt = nf * (nf + 1) / ((nf - 1) * (nf - 2) * (nf - 3)) * m4 / std**4 - 3 * (nf - 1) ** 2 / (
                (nf - 2) * (nf - 3)
            )
        out["skew"] = skew.where(ok3 & pos_std)
        out["kurt"] = kurt.where(ok4 & pos_std)
        out["winner_rank"] = np.nan
        if "winner" in df.columns:
            rank = priced.groupby("tender", sort=False)["amount"].rank(method="min")
            won = rank[priced["winner"].to_numpy()]
            if len(won):
                out["winner_rank"] = won.groupby(priced.loc[won.index, "tender"]).min().reindex(tenders)
    out["suspicion"] = _suspicion(out)
    out = out[["n_bids", "n_priced", *cols, "suspicion"]]
    return out.reset_index()


def _suspicion(screens: pd.DataFrame) -> pd.Series:
    families = []
    for family in _SUSPICION_FAMILIES:
        ranks = [(screens[c] * sign).rank(pct=True) for c, sign in family]
        families.append(pd.concat(ranks, axis=1).mean(axis=1))
    return pd.concat(families, axis=1).mean(axis=1).where(screens["n_priced"] >= 2)


# --------------------------------------------------------------------------- network


def _communities(n_nodes: int, a: np.ndarray, b: np.ndarray, jaccard: np.ndarray, seed: int) -> np.ndarray:
    """Leiden with the constant Potts model on Jaccard weights: groups that mostly bid together.

    With resolution ``_COHESION`` a community is worth forming when its member
    pairs share, on average, at least that fraction of the tenders either of
    them entered; modularity instead would return whole market segments.
    """
    graph = igraph.Graph(n=n_nodes, edges=np.column_stack([a, b]).tolist())
    partition = leidenalg.find_partition(
        graph,
        leidenalg.CPMVertexPartition,
        weights=jaccard.tolist(),
        resolution_parameter=_COHESION,
        n_iterations=-1,
        seed=seed,
    )
    membership = np.asarray(partition.membership, dtype=np.int64)
    # Number communities by size (largest first), then by their first member, so ids are stable.
    sizes = np.bincount(membership)
    first = np.full(sizes.size, n_nodes)
    np.minimum.at(first, membership, np.arange(n_nodes))
    order = np.lexsort((first, -sizes))
    relabel = np.empty_like(order)
    relabel[order] = np.arange(order.size)
    return relabel[membership]


def _pairs(t: np.ndarray, b: np.ndarray, size: np.ndarray) -> pd.DataFrame:
    """Co-bidding pairs a < b: tenders shared and Newman weight sum(1 / (n_t - 1))."""
    left = pd.DataFrame({"t": t, "a": b})
    right = pd.DataFrame({"t": t, "b": b})
    m = left.merge(right, on="t")
    m = m[m["a"] < m["b"]]
    m = m.assign(w=1.0 / (size[m["t"].to_numpy()] - 1))
    return m.groupby(["a", "b"], sort=True).agg(shared=("t", "size"), weight=("w", "sum")).reset_index()


def _bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values)."""
    if p.size == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    q = np.empty(p.size)
    q[order] = adjusted
    return q


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


# --------------------------------------------------------------------------- scoring


def score_firms(bids: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Score every bidder for how likely it is to take part in bid rigging, without labels.

    Parameters
    ----------
    bids : pandas.DataFrame
        One row per bid: ``tender``, ``bidder``, and optionally ``amount``
        (float, may be NaN) and ``winner`` (bool), as from
        :func:`read_bid_table`. Without amounts there are no price screens;
        without winners no wins or rotation; the score uses what is there.
    seed : int, default 0
        Seed of the community detection; the same input and seed give the
        same output.

    Returns
    -------
    pandas.DataFrame
        One row per bidder, highest score first (ties by bidder), with:

        ``bidder``, ``score``
            ``score`` in [0, 1], higher = more likely in a cartel: the mean of
            the percentile ranks (across the firms of the table) of
            ``suspicion_max``, ``suspicious_tenders`` and ``wins``. Without
            amounts ``tenders`` stands in for the two price signals; without
            winners ``wins`` is left out.
        ``ring``
            The community id (``"C<n>"``) when the firm's community is a
            suspicious group (see Notes), else ``""``.
        ``tenders``, ``wins``, ``win_rate``
            Tenders bid, tenders won, and their ratio (NaN without winners).
        ``suspicion_max``, ``suspicious_tenders``, ``suspicion_mean``
            Over the firm's tenders, of the tender ``suspicion`` index
            (:func:`tender_screens`): the maximum; the sum of
            ``max(0, 2 * suspicion - 1)``, i.e. how many tenders more
            rigged-looking than the median one it joined, weighted by how
            much; the mean.
        ``mean_bids``, ``mean_cv``, ``mean_spd``, ``mean_diffp``, ``mean_rd``, ``mean_skew``, ``mean_kurt``
            Mean number of bids and mean screens of the firm's tenders.
        ``partners``, ``top_partner_share``
            Distinct co-bidders; the share of the firm's tenders that its most
            frequent co-bidder also entered.
        ``community``, ``exclusivity``
            Community id (0 = largest); the share of the firm's competitors,
            averaged over its tenders, that belong to its own community.
        ``community_size``, ``cohesion``, ``community_exclusivity``
            Members; mean Jaccard overlap of member pairs' tender sets (1 = they
            always bid together; pairs that never met count 0); mean member
            exclusivity.
        ``meetings``, ``meeting_suspicion``
            Tenders in which two or more members bid, and their mean
            ``suspicion``.
        ``group_wins``, ``expected_group_wins``, ``rotation``
            Meetings won by a member; the number expected if each bidder were
            equally likely to win; distinct members who won a meeting, per
            member (1 = every member had its turn).
        ``group_z``, ``group_q``
            The ring test: one-sided z and its Benjamini-Hochberg adjusted
            p-value (NaN where the community is not tested).

    Notes
    -----
    Co-bidding network: two firms are linked when they bid in the same tender,
    weighted by the Jaccard overlap of their tender sets. Communities are found
    by Leiden with the constant Potts model at resolution 0.5, so a community
    is a group whose member pairs meet, on average, in at least half of the
    tenders either enters: firms that bid *together* rather than a whole
    market segment. ``exclusivity`` counts each shared tender as
    ``1 / (n_bids - 1)`` so that crowded tenders do not swamp it.

    Ring test, for communities of at least 3 firms whose members met in at
    least 2 tenders. Price: the mean ``suspicion`` of the meetings against the
    mean of all tenders, ``z = (mean - mu) / (sigma / sqrt(k))``. Wins
    (dominance and rotation): meetings won by members against the number
    expected from the members' share of the bids, normal approximation. The
    available z are combined by Stouffer's method; communities whose
    Benjamini-Hochberg adjusted p-value is at most 0.05 are rings. Without
    amounts and winners no community is tested.

    The group evidence is reported beside the score rather than folded into
    it: on the labelled data used to develop this (``bench/bids_real.py``) it
    did not improve the ranking of firms, while the ring column points an
    analyst at a concrete group and the tenders where it met.

    Examples
    --------
    >>> bids = pd.DataFrame({"tender": ["T1", "T1", "T2", "T2"], "bidder": ["A", "B", "A", "C"],
    ...                      "amount": [100.0, 101.0, 100.0, 150.0], "winner": [True, False, False, True]})
    >>> score_firms(bids)[["bidder", "tenders", "wins"]]
      bidder  tenders  wins
    0      A        2     1
    1      B        1     0
    2      C        1     1
    """
    df = _dedupe(_standardise(bids))
    if df.empty:
        raise ValueError("the bid table has no rows with both a tender and a bidder")
    has_winner = "winner" in df.columns and bool(df["winner"].any())
    if not has_winner:
        df = df.assign(winner=False)
    screens = _screens(df).set_index("tender")
    # Price evidence exists when at least one tender has two priced bids.
    has_amount = bool(screens["suspicion"].notna().any())

    firms = pd.Index(np.sort(df["bidder"].unique()), name="bidder")
    tenders = screens.index
    t_code = tenders.get_indexer(df["tender"])
    b_code = firms.get_indexer(df["bidder"])
    size = screens["n_bids"].to_numpy()
    suspicion_t = screens["suspicion"].to_numpy()
    won = df["winner"].to_numpy(dtype=bool)

    frame = pd.DataFrame({"b": b_code, "t": t_code, "won": won, "suspicion": suspicion_t[t_code]})
    for c in ("n_bids", "cv", "spd", "diffp", "rd", "skew", "kurt"):
        frame[c] = screens[c].to_numpy()[t_code]
    g = frame.groupby("b")
    out = pd.DataFrame(index=pd.RangeIndex(firms.size))
    out["tenders"] = g.size()
    out["wins"] = g["won"].sum().astype(int)
    out["win_rate"] = out["wins"] / out["tenders"]
    out["suspicion_mean"] = g["suspicion"].mean()
    out["suspicion_max"] = g["suspicion"].max()
    # Evidence accumulates with every tender that looks more rigged than the median one.
    out["suspicious_tenders"] = (2 * frame["suspicion"] - 1).clip(lower=0).groupby(frame["b"]).sum()
    out["mean_bids"] = g["n_bids"].mean()
    for c in ("cv", "spd", "diffp", "rd", "skew", "kurt"):
        out[f"mean_{c}"] = g[c].mean()

    # Co-bidding network.
    pairs = _pairs(t_code, b_code, size)
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    shared, weight = pairs["shared"].to_numpy(), pairs["weight"].to_numpy()
    out["partners"] = np.bincount(a, minlength=firms.size) + np.bincount(b, minlength=firms.size)
    top = np.zeros(firms.size)
    np.maximum.at(top, a, shared)
    np.maximum.at(top, b, shared)
    out["top_partner_share"] = top / out["tenders"].to_numpy()
    n_t = out["tenders"].to_numpy()
    jaccard = shared / (n_t[a] + n_t[b] - shared)
    membership = _communities(firms.size, a, b, jaccard, seed)
    out["community"] = membership
    inside = membership[a] == membership[b]
    strength = np.bincount(a, weight, firms.size) + np.bincount(b, weight, firms.size)
    internal = np.bincount(a[inside], weight[inside], firms.size) + np.bincount(b[inside], weight[inside], firms.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["exclusivity"] = np.where(strength > 0, internal / strength, np.nan)

    pairs["jaccard"] = jaccard
    groups = _group_evidence(membership, frame, pairs[inside], size, suspicion_t, has_amount, has_winner)
    out = out.join(groups, on="community")
    out["community_exclusivity"] = out.groupby("community")["exclusivity"].transform("mean")
    ids = "C" + out["community"].astype(str)
    out["ring"] = ids.where(out["ring_flag"], "")
    out = out.drop(columns="ring_flag")

    if not has_winner:
        out[["wins", "win_rate", "group_wins", "expected_group_wins", "rotation"]] = np.nan
    if not has_amount:
        out["suspicious_tenders"] = np.nan

    # Transparent combination: mean percentile rank of the available signals.
    signals = ["suspicion_max", "suspicious_tenders"] if has_amount else ["tenders"]
    if has_winner:
        signals.append("wins")
    ranks = out[signals].rank(pct=True, method="average").fillna(0.5)
    out["score"] = ranks.mean(axis=1)

    out.insert(0, "bidder", firms.to_numpy())
    first = ["bidder", "score", "ring", "tenders", "wins", "win_rate", "suspicion_max", "suspicious_tenders"]
    out = out[first + [c for c in out.columns if c not in first]]
    out = out.sort_values(["score", "bidder"], ascending=[False, True], kind="mergesort")
    return out.reset_index(drop=True)


def _group_evidence(
    membership: np.ndarray,
    frame: pd.DataFrame,
    internal_pairs: pd.DataFrame,
    size: np.ndarray,
    suspicion_t: np.ndarray,
    has_amount: bool,
    has_winner: bool,
) -> pd.DataFrame:
    """Per community: cohesion, exclusivity, meetings, their suspicion, rotation, and the ring test."""
    n_comm = int(membership.max()) + 1 if membership.size else 0
    members = np.bincount(membership, minlength=n_comm)
    res = pd.DataFrame(index=pd.RangeIndex(n_comm, name="community"))
    res["community_size"] = members

    # Cohesion: mean Jaccard overlap of tender sets over all member pairs (pairs that never met count 0).
    ia = internal_pairs["a"].to_numpy()
    n_pairs = members * (members - 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.bincount(membership[ia], internal_pairs["jaccard"].to_numpy(), n_comm)
        res["cohesion"] = np.where(n_pairs > 0, total / n_pairs, np.nan)

    # Meetings: tenders where at least two members of a community bid.
    bid = frame.assign(c=membership[frame["b"].to_numpy()])
    per = bid.groupby(["c", "t"]).agg(k=("b", "size"), member_won=("won", "any")).reset_index()
    meet = per[per["k"] >= 2].copy()
    meet["p"] = meet["k"] / size[meet["t"].to_numpy()]
    meet["suspicion"] = suspicion_t[meet["t"].to_numpy()]
    mg = meet.groupby("c")
    res["meetings"] = mg.size().reindex(res.index).fillna(0).astype(int)
    res["meeting_suspicion"] = mg["suspicion"].mean().reindex(res.index)
    # The win test counts only meetings in tenders that have a recorded winner.
    decided = meet[meet["t"].map(bid.groupby("t")["won"].any()).to_numpy(dtype=bool)]
    dg = decided.groupby("c")
    res["group_wins"] = dg["member_won"].sum().reindex(res.index).fillna(0).astype(int)
    res["expected_group_wins"] = dg["p"].sum().reindex(res.index).fillna(0.0)
    variance = (decided["p"] * (1 - decided["p"])).groupby(decided["c"]).sum().reindex(res.index).fillna(0.0)

    # Rotation: distinct members who won a meeting, per member.
    won_meet = bid[bid["won"]].merge(meet.loc[meet["member_won"], ["c", "t"]], on=["c", "t"])
    res["rotation"] = (won_meet.groupby("c")["b"].nunique().reindex(res.index).fillna(0) / members).where(members > 1)

    # Ring test.
    z_parts: list[pd.Series] = []
    if has_amount:
        valid = suspicion_t[~np.isnan(suspicion_t)]
        mu, sigma = (float(valid.mean()), float(valid.std(ddof=1))) if valid.size > 1 else (np.nan, np.nan)
        k = mg["suspicion"].count().reindex(res.index).fillna(0)
        if sigma and sigma > 0:
            z_parts.append(((res["meeting_suspicion"] - mu) / (sigma / np.sqrt(k))).where(k > 0))
    if has_winner:
        z_win = (res["group_wins"] - res["expected_group_wins"]) / np.sqrt(variance)
        z_parts.append(z_win.where(variance > 0))
    eligible = (members >= _RING_MIN_SIZE) & (res["meetings"].to_numpy() >= _RING_MIN_MEETINGS)
    if z_parts:
        zs = pd.concat(z_parts, axis=1)
        res["group_z"] = zs.sum(axis=1, min_count=1) / np.sqrt(zs.notna().sum(axis=1).replace(0, np.nan))
    else:
        res["group_z"] = np.nan
    eligible &= res["group_z"].notna().to_numpy()
    q = np.full(n_comm, np.nan)
    q[eligible] = _bh_adjust(np.array([_normal_sf(z) for z in res["group_z"].to_numpy()[eligible]]))
    res["group_q"] = q
    res["ring_flag"] = res["group_q"] <= _RING_FDR
    return res

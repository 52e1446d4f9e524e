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
  into communities (Leiden, seeded), each described by cohesion,
  exclusivity, rotation of winners and how steadily its members' prices
  move together;
* **rings**: pairs of firms whose shared tenders are priced unlike their
  strata (Benjamini-Hochberg over all pairs), grouped by Leiden.

The same engine, :func:`analyse_bids`, serves ``liandong bids score`` and
the ``bid-rings`` detector on the graph.

:func:`score_firms` ranks firms by the mean percentile of tenders bid,
price evidence, price lock and wins (plus ties to known colluders when some
are given), and reports the network evidence and the rings beside the score;
the evidence columns say why a firm ranks where it does. :func:`read_bid_table`
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
from dataclasses import dataclass, field
from pathlib import Path

import igraph
import leidenalg
import numpy as np
import pandas as pd
from scipy.stats import binom, mannwhitneyu

__all__ = [
    "BID_COLUMNS",
    "DIRECTIONS",
    "BidAnalysis",
    "analyse_bids",
    "parse_column_spec",
    "read_bid_table",
    "score_firms",
    "tender_screens",
]

#: The standard columns of a bid table; ``tender`` and ``bidder`` are required. ``buyer``, ``trade`` and
#: ``date`` (of the tender) are optional: when present, each tender's prices are judged against tenders of
#: its own buyer, trade and year (see :func:`tender_screens`).
BID_COLUMNS: tuple[str, ...] = ("tender", "bidder", "amount", "winner", "buyer", "trade", "date")
_STRATA = ("buyer", "trade", "date")
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
#: A pair is a hypothesis once it met in ``_PAIR_MIN_MEETINGS`` priced tenders of at most
#: ``_PAIR_MAX_BIDDERS`` bidders, and can be called with ``_PAIR_MIN_TAIL`` meetings in a tail (``_tails``).
_PAIR_MIN_MEETINGS = 3
_PAIR_MIN_TAIL = 2
_PAIR_MAX_BIDDERS = 15
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
        ``tender``, ``bidder`` (both required), ``amount``, ``winner``,
        ``buyer``, ``trade`` and ``date`` (optional); each value is a column
        name in the user's file. Spaces
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
    for c in ("buyer", "trade"):
        if c in df.columns:
            text = df[c].astype("string").str.strip()
            df = df.assign(**{c: text.where(text != "")})
    if "date" in df.columns:
        df = df.assign(date=pd.to_datetime(df["date"], errors="coerce", format="mixed"))
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
    for c in _STRATA:
        if c in df.columns:
            agg[c] = "first"
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
            In [0, 1], higher = more like a rigged tender in the literature's
            direction: the mean of two families of percentile ranks, low
            variance (``-cv``, ``-spd``) and asymmetry (``rd``, ``-skew``)
            (Imhof 2017), ranked *among the tenders of the same stratum*. NaN
            for tenders with fewer than 2 priced bids.
        ``tightness``
            The low-variance family alone (1 = the tightest of its stratum).
        ``baseline``
            The stratum the tender was ranked in: its bid-count class
            (``size``) with ``buyer``, ``trade`` and ``year`` when the table has
            them, the finest with at least 12 priced tenders (``all``: the
            whole table).

        Screens are NaN where undefined (too few bids, or a zero standard
        deviation in a denominator; ``cv`` of identical bids is 0).

    Notes
    -----
    ``suspicion`` is relative: it ranks the tenders of one table against the
    others of their stratum, so it is comparable within a market, not across
    tables.

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
    strata = _strata(df, out)
    out["suspicion"], out["tightness"], out["baseline"], out["dispersion_z"] = _suspicion(out, strata)
    out = out[["n_bids", "n_priced", *cols, "suspicion", "tightness", "dispersion_z", "baseline"]]
    return out.reset_index()


def _size_class(n: pd.Series) -> pd.Series:
    """Priced bids in classes whose screens behave alike: 2, 3, 4-5, 6-9, 10-19, 20-39, 40-79, 80 or more."""
    edges = [0, 2, 3, 5, 9, 19, 39, 79, np.inf]
    return pd.cut(n, edges, labels=["2", "3", "4-5", "6-9", "10-19", "20-39", "40-79", "80+"]).astype(str)


def _strata(df: pd.DataFrame, screens: pd.DataFrame) -> pd.DataFrame:
    """Per tender, what its prices are compared within: bid-count class, then buyer, trade and year if known."""
    strata = pd.DataFrame({"size": _size_class(screens["n_priced"])}, index=screens.index)
    first = df.groupby("tender", sort=False)
    for c in ("buyer", "trade"):
        if c in df.columns and df[c].notna().any():
            strata[c] = first[c].first().reindex(screens.index)
    if "date" in df.columns and df["date"].notna().any():
        strata["year"] = first["date"].first().reindex(screens.index).dt.year
    return strata


#: Fewest priced tenders a stratum needs to be a tender's baseline; smaller strata fall back to coarser ones.
_MIN_STRATUM = 12


def _suspicion(screens: pd.DataFrame, strata: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """The suspicion index, ranked within each tender's finest stratum of at least ``_MIN_STRATUM`` tenders.

    The strata run from finest to coarsest: bid-count class with buyer and year, then with the buyer alone,
    then the buyer's tenders of every size (by year, then all); the same with the trade (the market: what is
    bought, and where) instead of the buyer; the bid-count class with the year; the class alone; then the
    whole table. A buyer's or a market's own tenders come before tenders of the same size elsewhere, since
    honest dispersion differs more between markets than between sizes. A tender's screens
    are ranked among the tenders of the first of those with enough priced tenders, so a buyer whose honest
    tenders are always tight, or a year of thin competition, is not mistaken for collusion. Returns the
    index and a text naming the baseline used (e.g. ``"size 4-5, buyer, year"``).
    """
    priced = screens["n_priced"] >= 2
    size = ["size"]
    levels: list[list[str]] = []
    for group in ("buyer", "trade"):
        if group in strata.columns:
            if "year" in strata.columns:
                levels.append([*size, group, "year"])
            levels.append([*size, group])
            # A buyer (or market) is a market of its own before tenders of its size elsewhere are.
            if size:
                if "year" in strata.columns:
                    levels.append([group, "year"])
                levels.append([group])
    if "year" in strata.columns:
        levels.append([*size, "year"])
    levels += [size, []]
    suspicion = pd.Series(np.nan, index=screens.index)
    tightness = pd.Series(np.nan, index=screens.index)
    dispersion_z = pd.Series(np.nan, index=screens.index)
    baseline = pd.Series(pd.NA, index=screens.index, dtype="string")
    todo = priced.copy()
    table = screens[priced]
    log_cv = np.log(table["cv"].clip(lower=1e-6))
    for level in levels:
        if not todo.any():
            break
        if level:
            parts = [strata.loc[priced, c].astype(object).where(strata.loc[priced, c].notna(), "") for c in level]
            key = parts[0].astype(str)
            for part in parts[1:]:
                key = key + "|" + part.astype(str)
        else:
            key = pd.Series("all", index=table.index)
        size = key.map(key.value_counts())
        # The last level takes every tender still without a baseline, however few tenders there are.
        usable = todo[priced] & ((size >= _MIN_STRATUM) if level else True)
        if not usable.any():
            continue
        families = []
        for family in _SUSPICION_FAMILIES:
            ranks = [(table[c] * sign).groupby(key).rank(pct=True) for c, sign in family]
            families.append(pd.concat(ranks, axis=1).mean(axis=1))
        index = pd.concat(families, axis=1).mean(axis=1)
        chosen = usable[usable].index
        suspicion.loc[chosen] = index.loc[chosen]
        tightness.loc[chosen] = families[0].loc[chosen]
        # A robust z of log CV within the stratum (median and MAD): a ring that fills part of its stratum
        # moves the median and MAD less than it moves the ranks.
        centre = log_cv.groupby(key).transform("median")
        mad = (log_cv - centre).abs().groupby(key).transform("median") * 1.4826
        dispersion_z.loc[chosen] = ((log_cv - centre) / mad.where(mad > 0)).loc[chosen]
        baseline.loc[chosen] = ", ".join(level) if level else "all"
        todo.loc[chosen] = False
    return suspicion, tightness, baseline, dispersion_z


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


# --------------------------------------------------------------------------- engine

#: Which way a tender's prices point to collusion: ``tight`` (low dispersion and a lone low winner, the
#: cover-bid signature of the literature), ``dispersed`` (the opposite), or ``both`` (either tail).
DIRECTIONS: tuple[str, ...] = ("both", "tight", "dispersed")

#: Shared priced tenders a pair needs before the stability of its relative prices is measured.
_COORDINATION_MIN_SHARED = 3
#: Known firms' tenders and the others must each number this many to learn a direction from them.
_DIRECTION_MIN_TENDERS = 5
#: Two-sided Mann-Whitney p-value below which known firms' tenders set the direction.
_DIRECTION_P = 0.05


@dataclass
class BidAnalysis:
    """What :func:`analyse_bids` found.

    Attributes
    ----------
    firms : pandas.DataFrame
        One row per bidder, highest score first: the table :func:`score_firms` returns.
    rings : pandas.DataFrame
        One row per ring (index ``ring``: ``"R1"``, largest first): ``members`` (list of bidders), ``pairs``
        (significant pairs inside it), ``q_min`` (the strongest pair's adjusted p-value), ``side``
        (``tight`` or ``dispersed``: the tail its pairs met in), ``meetings`` (tenders where two or more
        members bid), ``tail_meetings``, ``wins`` (meetings a member won) and ``rotation`` (distinct members
        who won a meeting, per member).
    pairs : pandas.DataFrame
        Every tested pair of bidders: ``a``, ``b``, ``shared`` (priced tenders), ``tail`` (of them in the
        side's tail), ``side``, ``p``, ``q``, ``significant``.
    screens : pandas.DataFrame
        :func:`tender_screens` indexed by tender, plus ``evidence`` (the price evidence used, in [0, 1]).
    direction : str
        The direction of the price evidence used (one of :data:`DIRECTIONS`).
    direction_reason : str
        Why that direction: the option given, or what the known firms' tenders showed.
    """

    firms: pd.DataFrame
    rings: pd.DataFrame
    pairs: pd.DataFrame
    screens: pd.DataFrame
    direction: str
    direction_reason: str
    params: dict = field(default_factory=dict)


def _evidence(suspicion: pd.Series, direction: str) -> pd.Series:
    """Price evidence of each tender in [0, 1] (NaN without two priced bids), in the direction given."""
    centred = 2 * suspicion - 1
    if direction == "tight":
        return centred.clip(lower=0)
    if direction == "dispersed":
        return (-centred).clip(lower=0)
    return centred.abs()


def _learn_direction(frame: pd.DataFrame, suspicion_t: np.ndarray, known: np.ndarray) -> tuple[str, str]:
    """The direction shown by the tenders known colluders bid in, against the tenders they did not."""
    has_known = np.zeros(suspicion_t.size, dtype=bool)
    has_known[frame.loc[known[frame["b"].to_numpy()], "t"].to_numpy()] = True
    priced = ~np.isnan(suspicion_t)
    theirs, others = suspicion_t[priced & has_known], suspicion_t[priced & ~has_known]
    if theirs.size < _DIRECTION_MIN_TENDERS or others.size < _DIRECTION_MIN_TENDERS:
        return "both", (
            f"both: the known firms bid in {theirs.size} priced tenders and the others in {others.size}; "
            f"at least {_DIRECTION_MIN_TENDERS} of each are needed to learn a direction"
        )
    p = float(mannwhitneyu(theirs, others, alternative="two-sided").pvalue)
    if p >= _DIRECTION_P:
        return "both", f"both: the known firms' tenders look like the others (Mann-Whitney p = {p:.3g})"
    way = "tight" if np.median(theirs) > np.median(others) else "dispersed"
    return way, (
        f"{way}: the known firms' {theirs.size} tenders are {'tighter' if way == 'tight' else 'more dispersed'} "
        f"than the other {others.size} (Mann-Whitney p = {p:.3g})"
    )


def _price_pairs(df: pd.DataFrame, firms: pd.Index) -> pd.DataFrame:
    """Pairs of firms (a < b, as codes) with their relative prices' stability over shared priced tenders.

    A firm's relative price in a tender is its log bid minus the tender's mean log bid. Over the tenders two
    firms share, the difference of their relative prices is steady when one prices off the other (a cover
    bid set at a margin over the designated winner, whichever way the market's dispersion goes) and
    wanders when they price independently. ``ratio`` is the standard deviation of that difference over
    the pair's shared tenders, divided by its standard deviation over every pair and tender (1 = as
    independent as the market; near 0 = locked together). Pairs with fewer than
    ``_COORDINATION_MIN_SHARED`` shared priced tenders are left out.
    """
    empty = pd.DataFrame(columns=["a", "b", "priced_shared", "ratio"])
    if "amount" not in df.columns:
        return empty
    priced = df[df["amount"].notna()]
    if priced.empty:
        return empty
    logs = np.log(priced["amount"].to_numpy())
    rel = logs - pd.Series(logs, index=priced.index).groupby(priced["tender"].to_numpy()).transform("mean").to_numpy()
    table = pd.DataFrame({"t": priced["tender"].to_numpy(), "f": firms.get_indexer(priced["bidder"]), "r": rel})
    joined = table.merge(table, on="t")
    joined = joined[joined["f_x"] < joined["f_y"]]
    if joined.empty:
        return empty
    joined = joined.assign(d=joined["r_x"] - joined["r_y"])
    market = float(joined["d"].std(ddof=1))
    grouped = joined.groupby(["f_x", "f_y"])["d"].agg(["size", "std"]).reset_index()
    grouped = grouped[grouped["size"] >= _COORDINATION_MIN_SHARED]
    if grouped.empty or not market > 0:
        return empty
    return pd.DataFrame(
        {
            "a": grouped["f_x"].to_numpy(),
            "b": grouped["f_y"].to_numpy(),
            "priced_shared": grouped["size"].to_numpy(),
            "ratio": grouped["std"].to_numpy() / market,
        }
    )


def _closest(pairs: pd.DataFrame, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per firm, the lowest ``ratio`` over its pairs (with an allowed partner) and that partner's code."""
    best = np.full(n, np.nan)
    partner = np.full(n, -1)
    if pairs.empty:
        return best, partner
    a, b, r = pairs["a"].to_numpy(int), pairs["b"].to_numpy(int), pairs["ratio"].to_numpy(float)
    both = pd.DataFrame({"me": np.concatenate([a, b]), "other": np.concatenate([b, a]), "r": np.concatenate([r, r])})
    if allowed is not None:
        both = both[allowed[both["other"].to_numpy()]]
    if both.empty:
        return best, partner
    rows = both.loc[both.groupby("me")["r"].idxmin().to_numpy()]
    best[rows["me"].to_numpy()] = rows["r"].to_numpy()
    partner[rows["me"].to_numpy()] = rows["other"].to_numpy()
    return best, partner


def analyse_bids(
    bids: pd.DataFrame,
    *,
    seed: int = 0,
    known: list[str] | set[str] | tuple[str, ...] | None = None,
    direction: str = "auto",
    alpha: float = _RING_FDR,
) -> BidAnalysis:
    """Score every bidder and test every community of co-bidding firms: the one bid-ring engine.

    ``liandong bids score`` (a bid table) and the ``bid-rings`` detector (the graph's tenders) both run
    this. See :func:`score_firms` for the firm table and the method.

    Parameters
    ----------
    bids : pandas.DataFrame
        One row per bid: ``tender``, ``bidder``, and optionally ``amount``, ``winner``, ``buyer``,
        ``trade`` and ``date``.
    seed : int
        Seed of the community detection.
    known : collection of str, optional
        Bidders already proven to collude. The others are then also ranked by their ties to them, and the
        price direction is learned from the tenders they bid in (with ``direction="auto"``).
    direction : {"auto", "both", "tight", "dispersed"}
        Which way prices point to collusion. ``auto``: learned from ``known`` when given and clear,
        otherwise ``both``.
    alpha : float
        Benjamini-Hochberg false discovery rate over the communities tested.
    """
    if direction != "auto" and direction not in DIRECTIONS:
        raise ValueError(f"direction must be auto, {', '.join(DIRECTIONS)}; got {direction!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha is a false discovery rate between 0 and 1 (e.g. 0.05); got {alpha}")
    df = _dedupe(_standardise(bids))
    if df.empty:
        raise ValueError("the bid table has no rows with both a tender and a bidder")
    has_winner = "winner" in df.columns and bool(df["winner"].any())
    if not has_winner:
        df = df.assign(winner=False)
    screens = _screens(df).set_index("tender")
    has_amount = bool(screens["suspicion"].notna().any())

    firms = pd.Index(np.sort(df["bidder"].unique()), name="bidder")
    known_set = {str(k).strip() for k in known or ()} - {""}
    unknown_ids = sorted(known_set - set(firms))
    if known is not None and not known_set & set(firms):
        raise ValueError(
            "none of the known bidders is in the bid table"
            + (f" (e.g. {', '.join(unknown_ids[:3])})" if unknown_ids else "")
            + ": give the ids as they appear in the bidder column, one per line"
        )
    is_known = firms.isin(known_set)
    tenders = screens.index
    t_code = tenders.get_indexer(df["tender"])
    b_code = firms.get_indexer(df["bidder"])
    size = screens["n_bids"].to_numpy()
    suspicion_t = screens["suspicion"].to_numpy(dtype=float)
    won = df["winner"].to_numpy(dtype=bool)
    frame = pd.DataFrame({"b": b_code, "t": t_code, "won": won, "suspicion": suspicion_t[t_code]})

    if direction != "auto":
        used, reason = direction, f"{direction}: as asked"
    elif is_known.any() and has_amount:
        used, reason = _learn_direction(frame, suspicion_t, is_known)
    else:
        used, reason = "both", "both: no known colluders to learn a direction from, so either tail counts"
    evidence_t = _evidence(screens["suspicion"], used).to_numpy(dtype=float)
    screens["evidence"] = evidence_t
    frame["evidence"] = evidence_t[t_code]

    for c in ("n_bids", "cv", "spd", "diffp", "rd", "skew", "kurt"):
        frame[c] = screens[c].to_numpy()[t_code]
    g = frame.groupby("b")
    out = pd.DataFrame(index=pd.RangeIndex(firms.size))
    out["tenders"] = g.size()
    out["wins"] = g["won"].sum().astype(int)
    out["win_rate"] = out["wins"] / out["tenders"]
    out["suspicion_mean"] = g["suspicion"].mean()
    out["suspicion_max"] = g["suspicion"].max()
    out["price_evidence"] = g["evidence"].sum(min_count=1)
    out["mean_bids"] = g["n_bids"].mean()
    for c in ("cv", "spd", "diffp", "rd", "skew", "kurt"):
        out[f"mean_{c}"] = g[c].mean()

    # Steady relative prices: the pair whose prices move most in step.
    price_pairs = _price_pairs(df, firms)
    closest, partner = _closest(price_pairs, firms.size)
    out["price_lock"] = closest
    out["price_lock_with"] = np.where(partner >= 0, firms.to_numpy()[np.maximum(partner, 0)], "")

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
    groups = _group_evidence(membership, frame, pairs[inside], size, price_pairs)
    out = out.join(groups, on="community")
    out["community_exclusivity"] = out.groupby("community")["exclusivity"].transform("mean")

    # Rings: pairs that meet in tail-priced tenders far more often than chance, then Leiden on them.
    dispersion_t = screens["dispersion_z"].to_numpy(dtype=float)
    ring_pairs = _ring_pairs(t_code, b_code, dispersion_t, used, alpha) if has_amount else _ring_pairs_empty()
    ring_of = _ring_membership(ring_pairs, firms.size, seed)
    out["ring"] = np.where(ring_of >= 0, "R" + (ring_of + 1).astype(str), "")
    tails = _tails(dispersion_t)
    screens["tail"] = np.where(tails["tight"], "tight", np.where(tails["dispersed"], "dispersed", ""))
    rings = _ring_table(ring_of, ring_pairs, frame, firms, tails)

    # Ties to the firms already proven to collude.
    signals = ["tenders"]
    if has_amount:
        signals += ["price_evidence", "price_lock"]
    if has_winner:
        signals.append("wins")
    if is_known.any():
        known_b = is_known[frame["b"].to_numpy()]
        per_tender = np.bincount(frame["t"].to_numpy(), known_b.astype(float), tenders.size)
        others_known = per_tender[frame["t"].to_numpy()] - known_b
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(size[frame["t"].to_numpy()] > 1, others_known / (size[frame["t"].to_numpy()] - 1), 0.0)
        out["known_ties"] = pd.Series(share).groupby(frame["b"].to_numpy()).sum().reindex(out.index).fillna(0.0)
        lock, _ = _closest(price_pairs, firms.size, allowed=np.asarray(is_known))
        out["known_price_lock"] = lock
        out["known_community"] = pd.Series(membership).map(
            pd.Series(is_known).groupby(membership).sum()
        ).to_numpy() - np.asarray(is_known, dtype=int)
        signals += ["known_ties"] + (["known_price_lock"] if has_amount else [])
        out.insert(0, "known", np.asarray(is_known))

    if not has_winner:
        out[["wins", "win_rate", "group_wins", "expected_group_wins", "rotation"]] = np.nan
    if not has_amount:
        out["price_evidence"] = np.nan

    # Transparent combination: the mean percentile rank of the signals. A lower price lock is stronger;
    # a firm with no pair to measure ranks as the least locked.
    signal_values = out[signals].copy()
    for c in ("price_lock", "known_price_lock"):
        if c in signal_values:
            signal_values[c] = -signal_values[c].fillna(np.inf)
    ranks = signal_values.rank(pct=True, method="average").fillna(0.5)
    out["score"] = ranks.mean(axis=1)

    out.insert(0, "bidder", firms.to_numpy())
    first = ["bidder", "score", "ring", "tenders", "wins", "win_rate", "price_evidence", "price_lock"]
    if is_known.any():
        first[2:2] = ["known", "known_ties", "known_price_lock", "known_community"]
    out = out[first + [c for c in out.columns if c not in first]]
    out = out.sort_values(["score", "bidder"], ascending=[False, True], kind="mergesort").reset_index(drop=True)

    params = {"seed": seed, "direction": direction, "alpha": alpha, "known": len(known_set & set(firms))}
    if unknown_ids:
        params["known_not_in_table"] = unknown_ids
    return BidAnalysis(out, rings, ring_pairs, screens, used, reason, params)


def score_firms(
    bids: pd.DataFrame,
    *,
    seed: int = 0,
    known: list[str] | set[str] | tuple[str, ...] | None = None,
    direction: str = "auto",
) -> pd.DataFrame:
    """Score every bidder for how likely it is to take part in bid rigging.

    Parameters
    ----------
    bids : pandas.DataFrame
        One row per bid: ``tender``, ``bidder``, and optionally ``amount``
        (float, may be NaN), ``winner`` (bool), ``buyer``, ``trade`` and
        ``date``, as from :func:`read_bid_table`. Without amounts there is no
        price evidence; without winners no wins or rotation; the score uses
        what is there.
    seed : int, default 0
        Seed of the community detection; the same input and seed give the
        same output.
    known : collection of str, optional
        Bidders already proven to collude (one proven case opens the next).
        The other firms are also ranked by their ties to them, and the price
        direction is learned from their tenders.
    direction : {"auto", "both", "tight", "dispersed"}, default "auto"
        Which way prices point to collusion (see Notes).

    Returns
    -------
    pandas.DataFrame
        One row per bidder, highest score first (ties by bidder), with:

        ``bidder``, ``score``
            ``score`` in [0, 1], higher = more likely in a cartel: the mean of
            the percentile ranks (across the firms of the table) of the
            signals available: ``tenders``, ``price_evidence``, ``price_lock``
            (lower is stronger), ``wins``, and with ``known`` also
            ``known_ties`` and ``known_price_lock``.
        ``known``, ``known_ties``, ``known_price_lock``, ``known_community``
            Only with ``known``: whether the firm is a known colluder; the sum,
            over its tenders, of the share of its competitors that are known
            colluders; its ``price_lock`` with known colluders only; known
            colluders in its community (itself excluded).
        ``ring``
            The ring id (``"R1"``, ``"R2"``, … largest first) when the firm is
            in a ring (see Notes), else ``""``.
        ``tenders``, ``wins``, ``win_rate``
            Tenders bid, tenders won, and their ratio (NaN without winners).
        ``price_evidence``
            The sum over the firm's tenders of each tender's price evidence in
            [0, 1] (see Notes): evidence accumulates with every tender that
            looks rigged.
        ``price_lock``, ``price_lock_with``
            How steadily the firm's prices move with its most locked partner:
            the standard deviation of their relative-price difference over at
            least 3 shared priced tenders, against the market's (1 = as
            independent as the market; near 0 = one prices off the other);
            NaN with no such partner. ``price_lock_with`` names the partner.
        ``suspicion_max``, ``suspicion_mean``
            Of the tender ``suspicion`` index over the firm's tenders.
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
        ``meetings``, ``group_wins``, ``expected_group_wins``, ``rotation``
            Of the firm's co-bidding community: tenders in which two or more
            members bid; meetings won by a member and the number expected if
            each bidder were equally likely to win; distinct members who won a
            meeting, per member (1 = every member had its turn).
        ``community_price_lock``
            The median ``price_lock`` over the community's member pairs.

    Notes
    -----
    **Price evidence, stratified.** Each tender's screens are ranked against
    tenders of its own stratum (bid-count class, then buyer, trade and year
    when the table has them, falling back to coarser strata below 12
    tenders); ``suspicion`` is the mean of the low-variance and asymmetry
    families of those ranks (Imhof 2017).

    **Direction.** In most markets studied, rigged tenders are *tighter*
    than honest ones (cover bids cluster just above the designated winner),
    but not in all: in some markets the covers are thrown far above the
    winner and the rigged tenders are *more* dispersed than honest ones, and
    a fixed-sign screen then points at the honest firms. So by default
    (``auto`` without ``known``) a tender's price evidence is two-sided,
    ``|2 * suspicion - 1|``: how far it sits in either tail of its stratum.
    That never points the wrong way, at the cost of also counting honest
    tenders in the tail that is not the market's. With ``known`` firms the
    direction is learned from them: if the tenders they bid in are
    significantly tighter (or more dispersed) than the others (two-sided
    Mann-Whitney, p < 0.05), only that tail counts. ``tight`` or
    ``dispersed`` fixes it when an analyst knows the market.

    **Price lock** is sign-free: a cover bid priced off the designated
    winner keeps the pair's relative prices steady whichever way the
    market's dispersion goes.

    **Co-bidding network.** Two firms are linked when they bid in the same
    tender, weighted by the Jaccard overlap of their tender sets.
    Communities are found by Leiden with the constant Potts model at
    resolution 0.5, so a community is a group whose member pairs meet, on
    average, in at least half of the tenders either enters: firms that bid
    *together* rather than a whole market segment (never a chain of pairs).

    **Rings.** A pair of firms that met in at least 3 priced tenders of
    at most 15 bidders is a hypothesis. Under honest pricing the tenders two
    firms share are, for their prices, a random draw of tenders: the mean
    ``tightness`` (the low-variance family, ranked within strata) of the
    ``n`` shared tenders has the market's mean and spread ``sigma /
    sqrt(n)``. The pair's z gives a one-sided p-value in the direction asked,
    two-sided with ``both``; Benjamini-Hochberg runs over every pair at
    ``alpha`` (``analyse_bids``; 0.05 here). Leiden (modularity) on the
    significant pairs, weighted by ``-log10 q``, then groups them, so a chain
    of pairs is cut where it is thin; groups of 3 or more firms are rings.
    The false-discovery promise is checked on null markets in
    ``bench/calibration.py`` (tests: ``tests/analytics/test_bids.py``).

    **Why these signals, in equal weights.** On the labelled markets in
    ``bench/bids_real.py`` the number of tenders a firm bids is a strong
    baseline (cartel firms bid often); every other signal is added to it,
    none replaces it, and none was weighted on the markets it is reported
    on (``bench/README.md`` has the leave-one-market-out figures).

    Examples
    --------
    >>> bids = pd.DataFrame({"tender": ["T1", "T1", "T2", "T2"], "bidder": ["A", "B", "A", "C"],
    ...                      "amount": [100.0, 101.0, 100.0, 150.0], "winner": [True, False, False, True]})
    >>> score_firms(bids)[["bidder", "tenders", "wins"]]
      bidder  tenders  wins
    0      A        2     1
    1      C        1     1
    2      B        1     0
    """
    return analyse_bids(bids, seed=seed, known=known, direction=direction).firms


def _group_evidence(
    membership: np.ndarray,
    frame: pd.DataFrame,
    internal_pairs: pd.DataFrame,
    size: np.ndarray,
    price_pairs: pd.DataFrame,
) -> pd.DataFrame:
    """Per co-bidding community: cohesion, meetings, wins against expectation, rotation and price lock."""
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
    mg = meet.groupby("c")
    res["meetings"] = mg.size().reindex(res.index).fillna(0).astype(int)
    # Wins count only meetings in tenders that have a recorded winner.
    decided = meet[meet["t"].map(bid.groupby("t")["won"].any()).to_numpy(dtype=bool)]
    dg = decided.groupby("c")
    res["group_wins"] = dg["member_won"].sum().reindex(res.index).fillna(0).astype(int)
    res["expected_group_wins"] = dg["p"].sum().reindex(res.index).fillna(0.0)
    won_meet = bid[bid["won"]].merge(meet.loc[meet["member_won"], ["c", "t"]], on=["c", "t"])
    res["rotation"] = (won_meet.groupby("c")["b"].nunique().reindex(res.index).fillna(0) / members).where(members > 1)

    # Price lock inside the community: the median over its measured member pairs.
    res["community_price_lock"] = np.nan
    if len(price_pairs):
        pa, pb = price_pairs["a"].to_numpy(int), price_pairs["b"].to_numpy(int)
        mine = membership[pa] == membership[pb]
        if mine.any():
            ratios = pd.Series(price_pairs["ratio"].to_numpy(float)[mine])
            res["community_price_lock"] = ratios.groupby(membership[pa][mine]).median().reindex(res.index)
    return res


# --------------------------------------------------------------------------- rings


def _ring_pairs_empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": pd.Series(dtype=int),
            "b": pd.Series(dtype=int),
            "shared": pd.Series(dtype=int),
            "tail": pd.Series(dtype=int),
            "side": pd.Series(dtype=str),
            "p": pd.Series(dtype=float),
            "q": pd.Series(dtype=float),
            "significant": pd.Series(dtype=bool),
        }
    )


#: Robust z of log CV beyond which a tender is in a tail: the tenth of a normal distribution on each side.
_TAIL_Z = 1.2816


def _tails(dispersion_z: np.ndarray) -> dict[str, np.ndarray]:
    """Tenders far tighter (``tight``) or far more dispersed than the middle of their stratum."""
    z = np.nan_to_num(dispersion_z, nan=0.0, posinf=np.inf, neginf=-np.inf)
    priced = ~np.isnan(dispersion_z)
    return {"tight": priced & (z <= -_TAIL_Z), "dispersed": priced & (z >= _TAIL_Z)}


def _ring_pairs(
    t_code: np.ndarray, b_code: np.ndarray, dispersion_z: np.ndarray, direction: str, alpha: float
) -> pd.DataFrame:
    """The pair test: pairs of firms that meet in tail-priced tenders far more often than chance.

    Every tender's ``tightness`` is a rank within its stratum, so under honest pricing a tender two firms
    share falls in the tightest tenth (or the most dispersed tenth) with that tail's share ``p0``, whoever
    bids. A pair that met in ``n`` priced tenders of at most ``_PAIR_MAX_BIDDERS`` bidders, ``k`` of them in
    the tail, gets ``P(X >= k)`` with ``X ~ Binomial(n, p0)``; with ``direction="both"`` both tails are
    tested and the smaller p-value doubled (Bonferroni over the two). Counting tail tenders, not averaging
    ranks, keeps a ring from casting suspicion on its market: the ring's tenders take the tight tail, but
    they do not push the honest tenders into the dispersed one. Pairs that met in at least
    ``_PAIR_MIN_MEETINGS`` priced tenders are the hypotheses (how often two firms meet says nothing, under
    the null, about how their tenders are priced, so the filter keeps the error rate: Bourgon, Gentleman and
    Huber 2010); Benjamini-Hochberg runs over all of them, and a pair also needs ``_PAIR_MIN_TAIL`` tail
    meetings to be called.
    """
    priced = ~np.isnan(dispersion_z)
    keep = priced[t_code]
    table = pd.DataFrame({"t": t_code[keep], "f": b_code[keep]}).drop_duplicates()
    if table.empty or priced.sum() < 3:
        return _ring_pairs_empty()
    # In a crowded tender, meeting a firm says nothing of a pact between the two: pairs meet in tenders
    # of at most _PAIR_MAX_BIDDERS bidders.
    bidders = np.bincount(table["t"].to_numpy(), minlength=dispersion_z.size)
    table = table[bidders[table["t"].to_numpy()] <= _PAIR_MAX_BIDDERS]
    tails = _tails(dispersion_z)
    ways = ("tight", "dispersed") if direction == "both" else (direction,)
    table = table.assign(**{way: tails[way][table["t"].to_numpy()] for way in ways})
    joined = table.merge(table[["t", "f"]], on="t", suffixes=("", "_b"))
    joined = joined[joined["f"] < joined["f_b"]]
    if joined.empty:
        return _ring_pairs_empty()
    counts = joined.groupby(["f", "f_b"]).agg(shared=("t", "size"), **{w: (w, "sum") for w in ways}).reset_index()
    counts = counts[counts["shared"] >= _PAIR_MIN_MEETINGS]
    if counts.empty:
        return _ring_pairs_empty()
    n = counts["shared"].to_numpy()
    ps, ks = [], []
    for way in ways:
        p0 = float(tails[way].sum() / priced.sum())
        k = counts[way].to_numpy()
        ps.append(binom.sf(k - 1, n, p0) if 0 < p0 < 1 else np.ones(n.size))
        ks.append(k)
    p_all, k_all = np.vstack(ps), np.vstack(ks)
    side = p_all.argmin(axis=0)
    p = np.minimum(p_all.min(axis=0) * len(ways), 1.0)
    tail = k_all[side, np.arange(n.size)]
    out = pd.DataFrame(
        {
            "a": counts["f"].to_numpy(),
            "b": counts["f_b"].to_numpy(),
            "shared": n,
            "tail": tail,
            "side": np.array(ways)[side],
            "p": p,
        }
    )
    out["q"] = _bh_adjust(out["p"].to_numpy())
    out["significant"] = (out["q"] <= alpha) & (out["tail"] >= _PAIR_MIN_TAIL)
    return out.reset_index(drop=True)


def _ring_membership(ring_pairs: pd.DataFrame, n_firms: int, seed: int) -> np.ndarray:
    """Ring of each firm (-1 for none): Leiden (modularity) on the significant pairs, weighted by -log10 q.

    A chain of significant pairs is cut where it is thin, so two rings joined by one firm, or a ring and a
    firm that met one member, stay apart; groups of fewer than ``_RING_MIN_SIZE`` firms are not rings.
    """
    ring_of = np.full(n_firms, -1)
    sig = ring_pairs[ring_pairs["significant"]]
    if sig.empty:
        return ring_of
    nodes = np.unique(np.concatenate([sig["a"].to_numpy(int), sig["b"].to_numpy(int)]))
    local = {int(f): i for i, f in enumerate(nodes)}
    edges = [(local[int(a)], local[int(b)]) for a, b in zip(sig["a"], sig["b"], strict=True)]
    weights = (-np.log10(np.maximum(sig["q"].to_numpy(float), 1e-300))).tolist()
    graph = igraph.Graph(n=nodes.size, edges=edges)
    partition = leidenalg.find_partition(
        graph, leidenalg.ModularityVertexPartition, weights=weights, n_iterations=-1, seed=seed
    )
    membership = np.asarray(partition.membership)
    groups = [nodes[membership == c] for c in range(int(membership.max()) + 1)]
    groups = [g for g in groups if g.size >= _RING_MIN_SIZE]
    groups.sort(key=lambda g: (-g.size, int(g.min())))
    for i, g in enumerate(groups):
        ring_of[g] = i
    return ring_of


def _ring_table(
    ring_of: np.ndarray, ring_pairs: pd.DataFrame, frame: pd.DataFrame, firms: pd.Index, tails: dict[str, np.ndarray]
) -> pd.DataFrame:
    """One row per ring: members, its pairs and their strongest q, the tail, meetings, wins and rotation."""
    columns = ["members", "pairs", "q_min", "side", "meetings", "tail_meetings", "wins", "rotation"]
    n_rings = int(ring_of.max()) + 1 if ring_of.size else 0
    if n_rings <= 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="ring"))
    sig = ring_pairs[ring_pairs["significant"]]
    inside = sig[ring_of[sig["a"].to_numpy(int)] == ring_of[sig["b"].to_numpy(int)]]
    inside = inside[ring_of[inside["a"].to_numpy(int)] >= 0]
    rows = []
    names = firms.to_numpy()
    for r in range(n_rings):
        codes = np.flatnonzero(ring_of == r)
        mine = inside[ring_of[inside["a"].to_numpy(int)] == r]
        side = mine["side"].mode().iloc[0] if len(mine) else ""
        bids = frame[np.isin(frame["b"].to_numpy(), codes)]
        per = bids.groupby("t").agg(k=("b", "size"), won=("won", "any"))
        met = per[per["k"] >= 2]
        in_tail = tails[side][met.index.to_numpy()] if side else np.zeros(len(met), dtype=bool)
        winners = bids[bids["won"] & bids["t"].isin(met.index)]["b"].nunique()
        rows.append(
            {
                "members": sorted(names[codes].tolist()),
                "pairs": len(mine),
                "q_min": float(mine["q"].min()) if len(mine) else np.nan,
                "side": side,
                "meetings": len(met),
                "tail_meetings": int(in_tail.sum()) if side else 0,
                "wins": int(met["won"].sum()),
                "rotation": winners / codes.size,
            }
        )
    return pd.DataFrame(rows, index=pd.Index([f"R{r + 1}" for r in range(n_rings)], name="ring"))[columns]

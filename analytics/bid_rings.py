"""Bid rings (围标串标, 轮流坐庄): companies that bid together in tight-priced tenders, with who is around them.

Groups come from :func:`analytics.cobidding.collusive_groups`: firms whose
pairs meet in tight-priced tenders (the cover-bid signature) far more often
than chance, under Benjamini–Hochberg. No labels are used. Each ring is then
described from the graph, as an inspection team would check it:

* the tenders where two or more members met, their price screens, and who won
  (rotation: how many members took a turn);
* what else ties the members: shared officers or shareholders, a shared
  registered address or phone;
* the buyer organisations that issued those tenders, and the cadres serving
  there when they were announced;
* each member's tenders and wins.

The score is ``-log10`` of the strongest pair's adjusted p-value, plus one
for each kind of shared contact and for a rotation in which most members won.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import pandas as pd

from .base import Detection, DetectorError, DetectorResult, Evidence, iso, judged_day
from .cobidding import collusive_groups
from .graphview import GraphView

__all__ = ["detect_bid_rings"]

NAME = "bid-rings"


def detect_bid_rings(
    view: GraphView,
    *,
    tight_quantile: float = 0.9,
    alpha: float = 0.05,
    before: dt.date | str | None = None,
    as_of: dt.date | str | None = None,
) -> DetectorResult:
    """Find rings of companies that bid together in tight-priced tenders.

    Parameters
    ----------
    view : GraphView
    tight_quantile : float
        A tender is tight when its bids' coefficient of variation is below this share of all tenders'.
    alpha : float
        False discovery rate over the pairs of firms tested.
    before : date or ISO text, optional
        Use only tenders announced before this day.
    as_of : date or ISO text, optional
        Judge on this day: tenders announced and posts begun after it are not seen.

    Returns
    -------
    DetectorResult
        One detection per ring; ``where`` holds companies, tenders, buyer organisations and cadres.
    """
    try:
        tenders = view.tenders.set_index("tender")
        bids = view.bids
        day = judged_day(as_of)
        if (before is not None or day is not None) and len(bids):
            # (pandas cannot map through an empty Series of dates, as a scope with no tenders gives.)
            announced = pd.to_datetime(bids["tender"].map(tenders["announced"]))
            if before is not None:
                bids = bids[announced < pd.Timestamp(before)]
            if day is not None:
                bids = bids[announced.loc[bids.index] <= day]
        table = bids.rename(columns={"company": "bidder", "won": "winner"})
        params = {"tight_quantile": tight_quantile, "alpha": alpha, "before": iso(before), "as_of": iso(as_of)}
        if table.empty:
            return DetectorResult(NAME, [], params=params, stats={"bids": 0})
        found = collusive_groups(table, tight_quantile=tight_quantile, alpha=alpha)
    except ValueError as exc:
        raise DetectorError(str(exc)) from exc
    screens = found.screens
    in_groups = {c for g in found.groups for c in g}
    # Everything the groups need, cut down once to their members (the market is large, the rings small).
    group_bids = bids[bids["company"].isin(in_groups)]
    contacts = view.company_contacts[view.company_contacts["company"].isin(in_groups)]
    roles = view.company_roles[view.company_roles["company"].isin(in_groups)]
    buyers_all = set(tenders.loc[tenders.index.intersection(group_bids["tender"].unique()), "buyer"].dropna())
    posts = view.posts.dropna(subset=["start_date"])
    posts = posts[posts["organisation"].isin(buyers_all) & ((posts["start_date"] <= day) if day is not None else True)]
    firm = group_bids.groupby("company").agg(tenders=("tender", "nunique"), wins=("won", "sum"))
    detections = []
    for group in found.groups:
        members = set(group)
        mine = group_bids[group_bids["company"].isin(members)]
        per_tender = mine.groupby("tender")["company"].nunique()
        meetings = sorted(per_tender[per_tender >= 2].index)
        met = mine[mine["tender"].isin(meetings)]
        winners = sorted(set(met.loc[met["won"], "company"]))
        tight = [t for t in meetings if bool(screens["tight"].get(t, False))]
        inside = found.pairs[found.pairs["a"].isin(members) & found.pairs["b"].isin(members)]
        best_q = float(inside["q"].min()) if len(inside) else 1.0
        # What else ties the members.
        shared_contacts = []
        for kind, rows in contacts[contacts["company"].isin(members)].groupby("kind"):
            for value, firms in rows.groupby("value")["company"]:
                if firms.nunique() >= 2:
                    shared_contacts.append((kind, value, sorted(set(firms))))
        for person, firms in roles[roles["company"].isin(members)].groupby("person")["company"]:
            if firms.nunique() >= 2:
                shared_contacts.append(("person", person, sorted(set(firms))))
        # Buyers and the cadres serving there when the tenders were announced.
        buyers = sorted({b for b in tenders.loc[meetings, "buyer"] if isinstance(b, str)}) if meetings else []
        cadres: dict[str, set[str]] = defaultdict(set)
        at_buyers = posts[posts["organisation"].isin(buyers)]
        for t in meetings:
            buyer, day = tenders.at[t, "buyer"], tenders.at[t, "announced"]
            if not isinstance(buyer, str) or pd.isna(day):
                continue
            here = at_buyers[
                (at_buyers["organisation"] == buyer)
                & (at_buyers["start_date"] <= day)
                & (at_buyers["end_date"].isna() | (at_buyers["end_date"] >= day))
            ]
            for person in here["person"]:
                cadres[person].add(t)
        rotation = len(winners) / len(members)
        kinds = {k for k, _, _ in shared_contacts}
        score = -math.log10(max(best_q, 1e-300)) + len(kinds) + (1.0 if rotation >= 0.5 else 0.0)
        names = [view.name_of("Company", c) for c in group]
        evidence = [
            Evidence(
                "tight tender where members met",
                "Tender",
                str(t),
                f"{int(per_tender[t])} members bid; coefficient of variation {screens.at[t, 'cv']:.3f}; won by "
                + ", ".join(view.name_of("Company", c) for c in met.loc[(met["tender"] == t) & met["won"], "company"])
                or "an outsider",
                iso(tenders.at[t, "announced"]) if t in tenders.index else None,
            )
            for t in tight[:10]
        ]
        evidence += [
            Evidence(
                f"shared {kind}",
                {"address": "Address", "phone": "Phone", "person": "Person"}[kind],
                str(value),
                "shared by " + ", ".join(view.name_of("Company", c) for c in firms),
            )
            for kind, value, firms in shared_contacts
        ]
        evidence += [Evidence("buyer", "Organisation", b, view.name_of("Organisation", b)) for b in buyers]
        detections.append(
            Detection(
                detector=NAME,
                kind="bid-ring",
                subject="ring:" + group[0],
                score=round(score, 3),
                summary=f"{len(group)} companies ({'、'.join(names[:4])}{'…' if len(names) > 4 else ''}) met in "
                f"{len(meetings)} tenders, {len(tight)} of them tight-priced; {len(winners)} members took turns to win"
                + (f"; shared {', '.join(sorted(kinds))}" if kinds else ""),
                where={
                    "companies": tuple(group),
                    "tenders": tuple(meetings),
                    "organisations": tuple(buyers),
                    "cadres": tuple(sorted(cadres)),
                },
                evidence=tuple(evidence),
                details={
                    "members": list(group),
                    "meetings": len(meetings),
                    "tight_meetings": len(tight),
                    "winners": winners,
                    "rotation": round(rotation, 3),
                    "pair_q_min": best_q,
                    "shared_contacts": [{"kind": k, "value": v, "companies": f} for k, v, f in shared_contacts],
                    "buyers": buyers,
                    "cadres_at_buyers": {p: sorted(ts) for p, ts in sorted(cadres.items())},
                    "member_bids": {
                        c: {"tenders": int(firm.at[c, "tenders"]), "wins": int(firm.at[c, "wins"])}
                        for c in group
                        if c in firm.index
                    },
                },
            )
        )
    return DetectorResult(
        NAME,
        detections,
        params=params,
        stats={
            "bids": len(table),
            "tenders": int(table["tender"].nunique()),
            "tight_share": round(found.p0, 4),
            "pairs_tested": len(found.pairs),
        },
    )

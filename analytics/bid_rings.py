"""Bid rings (围标串标, 轮流坐庄): companies that bid together and price together, with who is around them.

Rings come from :func:`analytics.bids.analyse_bids`, the same engine as
``liandong bids score``: communities of firms that mostly bid together
(Leiden, never chained pairs), each tested on the price evidence of the
tenders where its members met (screens ranked against tenders of the same
buyer, year and bid count), on how steadily the members' prices move
together, and on how many of those tenders its members won, with
Benjamini-Hochberg over all communities. No labels are used. Each ring is
then described from the graph, as an inspection team would check it:

* the tenders where two or more members met, their price screens, and who won
  (rotation: how many members took a turn);
* what else ties the members: shared officers or shareholders, a shared
  registered address or phone;
* the buyer organisations that issued those tenders, and the cadres serving
  there when they were announced;
* each member's tenders and wins.

The score is ``-log10`` of the ring test's adjusted p-value, plus one for
each kind of shared contact and for a rotation in which most members won.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import pandas as pd

from .base import Detection, DetectorError, DetectorResult, Evidence, iso, judged_day
from .bids import analyse_bids
from .graphview import GraphView
from .terms import say, term

__all__ = ["detect_bid_rings"]

NAME = "bid-rings"


def detect_bid_rings(
    view: GraphView,
    *,
    alpha: float = 0.05,
    direction: str = "both",
    before: dt.date | str | None = None,
    as_of: dt.date | str | None = None,
) -> DetectorResult:
    """Find rings of companies that bid together, price together and take turns to win.

    Parameters
    ----------
    view : GraphView
    alpha : float
        False discovery rate over the communities of co-bidding firms tested.
    direction : {"both", "tight", "dispersed"}
        Which way a tender's prices point to collusion (see :func:`analytics.bids.score_firms`): ``both``
        counts either tail of a tender's stratum, ``tight`` only the low-dispersion one.
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
        # Cancelled or failed tenders and disqualified or withdrawn bids are not prices that competed.
        bids = view.competing_bids
        day = judged_day(as_of)
        if (before is not None or day is not None) and len(bids):
            # (pandas cannot map through an empty Series of dates, as a scope with no tenders gives.)
            announced = pd.to_datetime(bids["tender"].map(tenders["announced"]))
            if before is not None:
                bids = bids[announced < pd.Timestamp(before)]
            if day is not None:
                bids = bids[announced.loc[bids.index] <= day]
        params = {"alpha": alpha, "direction": direction, "before": iso(before), "as_of": iso(as_of)}
        if bids.empty:
            return DetectorResult(NAME, [], params=params, stats={"bids": 0})
        table = pd.DataFrame(
            {
                "tender": bids["tender"],
                "bidder": bids["company"],
                "amount": bids["amount"],
                "winner": bids["won"].fillna(False).astype(bool),
                "buyer": bids["tender"].map(tenders["buyer"]),
                "date": bids["tender"].map(tenders["announced"]),
            }
        )
        found = analyse_bids(table, direction=direction, alpha=alpha)
    except ValueError as exc:
        raise DetectorError(str(exc)) from exc
    screens = found.screens
    rings = found.rings
    in_groups = {c for members in rings["members"] for c in members}
    # Everything the rings need, cut down once to their members (the market is large, the rings small).
    group_bids = bids[bids["company"].isin(in_groups)]
    contacts = view.company_contacts[view.company_contacts["company"].isin(in_groups)]
    roles = view.company_roles[view.company_roles["company"].isin(in_groups)]
    buyers_all = set(tenders.loc[tenders.index.intersection(group_bids["tender"].unique()), "buyer"].dropna())
    posts = view.posts.dropna(subset=["start_date"])
    posts = posts[posts["organisation"].isin(buyers_all) & ((posts["start_date"] <= day) if day is not None else True)]
    firm = group_bids.groupby("company").agg(tenders=("tender", "nunique"), wins=("won", "sum"))
    flagged = _tender_flags(view, as_of) if len(rings) else {}
    detections = []
    for _, ring in rings.iterrows():
        group = tuple(ring["members"])
        side = ring["side"]
        members = set(group)
        mine = group_bids[group_bids["company"].isin(members)]
        per_tender = mine.groupby("tender")["company"].nunique()
        meetings = sorted(per_tender[per_tender >= 2].index)
        met = mine[mine["tender"].isin(meetings)]
        winners = sorted(set(met.loc[met["won"].fillna(False).astype(bool), "company"]))
        # The meetings furthest into the ring's tail first.
        sign = 1.0 if side == "tight" else -1.0
        strongest = sorted(meetings, key=lambda t: -sign * float(screens["tightness"].get(t, 0.5) or 0.5))
        q = float(ring["q_min"])
        locks = found.firms.set_index("bidder").loc[list(group), "price_lock"]
        lock = float(locks.median()) if locks.notna().any() else float("nan")
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
            buyer, when = tenders.at[t, "buyer"], tenders.at[t, "announced"]
            if not isinstance(buyer, str) or pd.isna(when):
                continue
            here = at_buyers[
                (at_buyers["organisation"] == buyer)
                & (at_buyers["start_date"] <= when)
                & (at_buyers["end_date"].isna() | (at_buyers["end_date"] >= when))
            ]
            for person in here["person"]:
                cadres[person].add(t)
        rotation = len(winners) / len(members)
        kinds = {k for k, _, _ in shared_contacts}
        score = -math.log10(max(q, 1e-300)) + len(kinds) + (1.0 if rotation >= 0.5 else 0.0)
        names = [view.name_of("Company", c) for c in group]
        member_won = met[met["won"].fillna(False).astype(bool)]
        won_by = {
            t: term("word.and").join(view.name_of("Company", c) for c in firms)
            for t, firms in member_won.groupby("tender")["company"]
        }
        outsider = term("rings.outsider")

        evidence = [
            Evidence(
                term("rings.met"),
                "Tender",
                str(t),
                say(
                    "rings.met_priced",
                    n=int(per_tender[t]),
                    cv=f"{screens.at[t, 'cv']:.3f}",
                    tightness=f"{float(screens.at[t, 'tightness']):.0%}",
                    won=won_by.get(t, outsider),
                )
                if t in screens.index and pd.notna(screens.at[t, "cv"]) and pd.notna(screens.at[t, "tightness"])
                else say("rings.met_plain", n=int(per_tender[t]), won=won_by.get(t, outsider)),
                iso(tenders.at[t, "announced"]) if t in tenders.index else None,
            )
            for t in strongest[:10]
        ]
        evidence += [
            Evidence(
                say("rings.shared", what=term(f"rings.contact.{kind}")),
                {"address": "Address", "phone": "Phone", "email": "Email", "person": "Person"}[kind],
                str(value),
                say("rings.shared_by", firms=term("word.and").join(view.name_of("Company", c) for c in firms)),
            )
            for kind, value, firms in shared_contacts
        ]
        ring_flags = {t: flagged[t] for t in meetings if t in flagged}
        evidence += [
            Evidence(
                term("rings.red_flags"),
                "Tender",
                str(t),
                say(
                    "rings.flagged",
                    title=view.name_of("Tender", t),
                    flags="、".join(say("redflags.title", name=term(f"redflags.indicator.{c}"), code=c) for c in codes),
                ),
                iso(tenders.at[t, "announced"]) if t in tenders.index else None,
            )
            for t, codes in sorted(ring_flags.items())[:10]
        ]
        evidence += [Evidence(term("rings.buyer"), "Organisation", b, view.name_of("Organisation", b)) for b in buyers]
        side_text = term("rings.tight" if side == "tight" else "rings.dispersed")
        lock_text = say("rings.lock", lock=f"{float(lock):.2f}") if pd.notna(lock) else ""
        contact_text = (
            say("rings.contacts", what=term("word.and").join(term(f"rings.contact.{k}") for k in sorted(kinds)))
            if kinds
            else ""
        )
        detections.append(
            Detection(
                detector=NAME,
                kind="bid-ring",
                subject="ring:" + group[0],
                score=round(score, 3),
                summary=say(
                    "rings.summary",
                    n=len(group),
                    names=term("word.and").join(names[:4]) + (term("rings.etc") if len(names) > 4 else ""),
                    meetings=len(meetings),
                    tail=int(ring["tail_meetings"]),
                    side=side_text,
                    winners=len(winners),
                )
                + lock_text
                + contact_text,
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
                    "winners": winners,
                    "rotation": round(rotation, 3),
                    "tail_meetings": int(ring["tail_meetings"]),
                    "side": side,
                    "pairs": int(ring["pairs"]),
                    "pair_q_min": q,
                    "price_lock": None if pd.isna(lock) else round(float(lock), 3),
                    "shared_contacts": [{"kind": k, "value": v, "companies": f} for k, v, f in shared_contacts],
                    "buyers": buyers,
                    "red_flags": dict(sorted(ring_flags.items())),
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
            "pairs_tested": len(found.pairs),
            "direction": found.direction,
        },
    )


def _tender_flags(view: GraphView, as_of: Any) -> dict[str, list[str]]:
    """The Cardinal red flags on each tender (R-codes), from the red-flags detector as of the same day."""
    from .red_flags import shared_flags

    result = shared_flags(view, as_of)
    if result is None:
        return {}
    out: dict[str, list[str]] = defaultdict(list)
    for d in result.detections:
        if d.kind == "process-flag":
            for t in d.where.get("tenders", ()):
                out[t].append(str(d.details["indicator"]))
    return {t: sorted(set(codes)) for t, codes in out.items()}

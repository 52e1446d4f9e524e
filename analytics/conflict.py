"""Conflict of interest (亲属经商办企业, 利益输送): an official's own organisation buying from a firm tied to them.

The path, in time order: a cadre serves at an organisation (``SERVES_AT``,
from ``start_date`` to ``end_date``); that organisation issues a tender
(``ISSUED``); a company bids on it (``BID_ON``) while the cadre is serving
there on the tender's announcement date; and the company is run or owned
(``OFFICER_OF`` / ``SHAREHOLDER_OF``) by the cadre, or by a relative the
cadre declared (``RELATIVE_OF``, from the personal-matters reports). A won
tender scores higher than a lost bid, a cadre's own firm higher than a
relative's, and a leading post higher than others.
"""

from __future__ import annotations

import pandas as pd

from .base import Detection, DetectorResult, Evidence, iso
from .graphview import GraphView

__all__ = ["detect_conflicts"]

NAME = "conflict-of-interest"


def detect_conflicts(view: GraphView, *, reveal_secrets: bool = False) -> DetectorResult:
    """Find cadres serving at a buyer while a firm tied to them (or a declared relative) bid there.

    Parameters
    ----------
    view : GraphView
    reveal_secrets : bool
        Say how the relative is related (spouse, child …). The relation comes from personal-matters
        reports, which are secret: by default the output says only "declared relative".

    Returns
    -------
    DetectorResult
        One detection per (cadre, company, tender); ``where`` holds cadre,
        relative (if any), company, tender and buyer organisation.
    """
    tenders = view.tenders.dropna(subset=["buyer", "announced"])
    bids = view.bids.merge(tenders[["tender", "buyer", "announced", "title", "budget"]], on="tender", how="inner")
    roles = view.company_roles
    # Who is tied to each company: the person themself, and every cadre who declared them a relative.
    direct = roles.assign(cadre=roles["person"], relation="self")
    rel = view.relatives.rename(columns={"person": "cadre", "relative": "person"})
    via_relative = roles.merge(rel, on="person", how="inner")
    ties = pd.concat([direct, via_relative], ignore_index=True)[["cadre", "person", "relation", "role", "company"]]
    paths = bids.merge(ties, on="company", how="inner")
    posts = view.posts.dropna(subset=["start_date"])
    paths = paths.merge(
        posts.rename(columns={"person": "cadre", "organisation": "buyer"}), on=["cadre", "buyer"], how="inner"
    )
    serving = (paths["start_date"] <= paths["announced"]) & (
        paths["end_date"].isna() | (paths["announced"] <= paths["end_date"])
    )
    paths = paths[serving]
    detections = []
    for (cadre, company, tender), group in paths.groupby(["cadre", "company", "tender"], sort=True):
        # The strongest path of the group: the cadre's own role before a relative's.
        best = group.assign(_own=group["relation"].ne("self")).sort_values(["_own", "role"]).iloc[0]
        won = bool(best["won"])
        own = best["relation"] == "self"
        leading = str(best.get("post") or "") in {"书记", "主任", "局长", "院长", "校长", "主席", "社长", "董事长"}
        score = round(1.0 + 1.0 * won + 0.5 * own + 0.25 * leading, 3)
        cadre_name = view.name_of("Person", cadre)
        via = best["person"]
        via_name = view.name_of("Person", via)
        company_name = view.name_of("Company", company)
        buyer_name = view.name_of("Organisation", best["buyer"])
        relation = (best["relation"] or "relative") if reveal_secrets else "relative"
        link = "own firm" if own else f"{relation} {via_name}'s firm"
        evidence = [
            Evidence(
                "cadre serving at the buyer",
                "Person",
                cadre,
                f"{cadre_name}, {best['post'] or 'post'} at {buyer_name}",
                iso(best["start_date"]),
            ),
        ]
        if not own:
            evidence.append(Evidence("declared relative", "Person", via, f"{via_name} ({relation})"))
        evidence += [
            Evidence("role in the company", "Company", company, f"{via_name} is {best['role']} of {company_name}"),
            Evidence(
                "tender issued by the cadre's organisation",
                "Tender",
                str(tender),
                f"{best['title'] or tender} (budget {best['budget']}) issued by {buyer_name}",
                iso(best["announced"]),
            ),
            Evidence(
                "bid",
                "Tender",
                str(tender),
                f"{company_name} bid {best['amount']}" + (" and won" if won else ""),
                iso(best["announced"]),
            ),
        ]
        detections.append(
            Detection(
                detector=NAME,
                kind="own-firm" if own else "relative-firm",
                subject=f"{cadre}|{company}|{tender}",
                score=score,
                summary=f"{cadre_name} served at {buyer_name} when {link} {company_name} "
                + ("won" if won else "bid on")
                + f" its tender {tender}",
                where={
                    "cadres": (cadre,),
                    "relatives": () if own else (via,),
                    "companies": (company,),
                    "tenders": (str(tender),),
                    "organisations": (best["buyer"],),
                },
                evidence=tuple(evidence),
                details={
                    "cadre": cadre,
                    "via": via,
                    "relation": "self" if own else (best["relation"] if reveal_secrets else "(secret)"),
                    "role": best["role"],
                    "company": company,
                    "tender": tender,
                    "buyer": best["buyer"],
                    "announced": iso(best["announced"]),
                    "won": won,
                },
            )
        )
    return DetectorResult(
        NAME,
        detections,
        params={"reveal_secrets": reveal_secrets},
        stats={"bids": len(view.bids), "person_company_roles": len(roles), "relatives": len(view.relatives) // 2},
    )

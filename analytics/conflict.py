"""Conflict of interest (亲属经商办企业, 利益输送): an official's own organisation buying from a firm tied to them.

The path, in time order: a cadre serves at an organisation (``SERVES_AT``,
from ``start_date`` to ``end_date``); that organisation issues a tender
(``ISSUED``); a company bids on it (``BID_ON``) while the cadre is serving
there on the tender's announcement date; and the company is run or owned
(``OFFICER_OF`` / ``SHAREHOLDER_OF``) by the cadre, or by a relative the
cadre declared (``RELATIVE_OF``, from the personal-matters reports), with
that role held on the announcement date too (a role's ``start_date`` and
``end_date``; a role without dates is taken as held, and the evidence says
its dates are unknown). A won tender scores higher than a lost bid, a
cadre's own firm higher than a relative's, and a leading post (one matching
the patterns of ``analytics/data/leading_posts.yaml``: 党组书记、局长、院长 …,
not their deputies) higher than others. ``as_of`` sees no tender announced,
post begun or role begun after it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path

import pandas as pd
import yaml

from .base import Detection, DetectorError, DetectorResult, Evidence, iso, judged_day
from .graphview import GraphView
from .terms import enum_label, money, say, term

__all__ = ["detect_conflicts", "is_leading_post"]

NAME = "conflict-of-interest"
LEADING_POSTS_ENV = "LIANDONG_LEADING_POSTS"
_SHIPPED_POSTS = Path(__file__).parent / "data" / "leading_posts.yaml"


@functools.lru_cache(maxsize=8)
def _leading_patterns(extra: str | None) -> re.Pattern[str]:
    patterns: list[str] = []
    for path in [_SHIPPED_POSTS, *([Path(extra)] if extra else [])]:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            patterns += [str(p) for p in loaded.get("patterns", [])]
        except (OSError, yaml.YAMLError, AttributeError) as exc:
            raise DetectorError(
                f"{path}: cannot read the leading posts ({exc}); it holds 'patterns:', a list of regular expressions"
            ) from exc
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error as exc:
        raise DetectorError(f"a leading-post pattern is not a regular expression: {exc}") from exc


def _held_on(start: pd.Series, end: pd.Series, day: pd.Series) -> pd.Series:
    """Whether a post or role from ``start`` to ``end`` was held on ``day`` (a missing end: still held; a
    missing start: taken as held)."""
    return (start.isna() | (start <= day)) & (end.isna() | (day <= end))


def is_leading_post(title: object) -> bool:
    """Whether a post title as written names a head of a unit (党组书记、局长 yes; 副局长 no).

    Examples
    --------
    >>> [is_leading_post(t) for t in ("党组书记、局长", "副局长", "办公室主任", "科员")]
    [True, False, True, False]
    """
    if not isinstance(title, str) or not title:
        return False
    return bool(_leading_patterns(os.environ.get(LEADING_POSTS_ENV)).search(title))


def detect_conflicts(
    view: GraphView, *, reveal_secrets: bool = False, as_of: dt.date | str | None = None
) -> DetectorResult:
    """Find cadres serving at a buyer while a firm tied to them (or a declared relative) bid there.

    Parameters
    ----------
    view : GraphView
    reveal_secrets : bool
        Say how the relative is related (spouse, child …). The relation comes from personal-matters
        reports, which are secret: by default the output says only "declared relative".
    as_of : date or ISO text, optional
        Judge on this day: tenders announced, posts begun and company roles begun after it are not seen.

    Returns
    -------
    DetectorResult
        One detection per (cadre, company, tender); ``where`` holds cadre,
        relative (if any), company, tender and buyer organisation.
    """
    day = judged_day(as_of)
    tenders = view.tenders.dropna(subset=["buyer", "announced"])
    if day is not None:
        tenders = tenders[tenders["announced"] <= day]
    bids = view.bids.merge(tenders[["tender", "buyer", "announced", "title", "budget"]], on="tender", how="inner")
    roles = view.company_roles.rename(columns={"start_date": "role_start", "end_date": "role_end"})
    if day is not None:
        roles = roles[roles["role_start"].isna() | (roles["role_start"] <= day)]
    # Who is tied to each company: the person themself, and every cadre who declared them a relative.
    direct = roles.assign(cadre=roles["person"], relation="self")
    rel = view.relatives.rename(columns={"person": "cadre", "relative": "person"})
    via_relative = roles.merge(rel, on="person", how="inner")
    columns = ["cadre", "person", "relation", "role", "company", "role_start", "role_end"]
    ties = pd.concat([direct, via_relative], ignore_index=True)[columns]
    paths = bids.merge(ties, on="company", how="inner")
    # The tie held when the tender was announced (a role without dates is taken as held).
    paths = paths[_held_on(paths["role_start"], paths["role_end"], paths["announced"])]
    posts = view.posts.dropna(subset=["start_date"])
    if day is not None:
        posts = posts[posts["start_date"] <= day]
    paths = paths.merge(
        posts.rename(columns={"person": "cadre", "organisation": "buyer"}), on=["cadre", "buyer"], how="inner"
    )
    paths = paths[_held_on(paths["start_date"], paths["end_date"], paths["announced"])]  # posts have a start
    detections = []
    for (cadre, company, tender), group in paths.groupby(["cadre", "company", "tender"], sort=True):
        # The strongest path of the group: the cadre's own role before a relative's.
        best = group.assign(_own=group["relation"].ne("self")).sort_values(["_own", "role"]).iloc[0]
        won = bool(best["won"])
        own = best["relation"] == "self"
        leading = is_leading_post(best.get("post"))
        score = round(1.0 + 1.0 * won + 0.5 * own + 0.25 * leading, 3)
        cadre_name = view.name_of("Person", cadre)
        via = best["person"]
        via_name = view.name_of("Person", via)
        company_name = view.name_of("Company", company)
        buyer_name = view.name_of("Organisation", best["buyer"])
        relation = (
            enum_label("RELATIVE_OF", "relation", best["relation"] or "other")
            if reveal_secrets
            else term("word.relative")
        )
        role = enum_label("OFFICER_OF", "role", best["role"]) if isinstance(best["role"], str) else term("word.unknown")
        tender_title = best["title"] if isinstance(best["title"], str) and best["title"] else term("word.a_tender")
        link = say("conflict.own_link") if own else say("conflict.relative_link", relation=relation, name=via_name)
        evidence = [
            Evidence(
                term("role.cadre_at_buyer"),
                "Person",
                cadre,
                say("conflict.served", cadre=cadre_name, post=best["post"] or term("word.post"), buyer=buyer_name),
                iso(best["start_date"]),
            ),
        ]
        if not own:
            evidence.append(
                Evidence(
                    term("role.declared_relative"),
                    "Person",
                    via,
                    say("conflict.relative", name=via_name, relation=relation),
                )
            )
        evidence += [
            Evidence(
                term("role.company_role"),
                "Company",
                company,
                say("conflict.role", name=via_name, role=role, company=company_name)
                + ("" if pd.notna(best["role_start"]) else say("conflict.role_dates_unknown")),
                iso(best["role_start"]),
            ),
            Evidence(
                term("role.tender_of_buyer"),
                "Tender",
                str(tender),
                say("conflict.tender", title=tender_title, budget=money(best["budget"]), buyer=buyer_name),
                iso(best["announced"]),
            ),
            Evidence(
                term("role.bid"),
                "Tender",
                str(tender),
                say("conflict.won" if won else "conflict.bid", company=company_name, amount=money(best["amount"])),
                iso(best["announced"]),
            ),
        ]
        detections.append(
            Detection(
                detector=NAME,
                kind="own-firm" if own else "relative-firm",
                subject=f"{cadre}|{company}|{tender}",
                score=score,
                summary=say(
                    "conflict.summary_won" if won else "conflict.summary_bid",
                    cadre=cadre_name,
                    buyer=buyer_name,
                    link=link,
                    company=company_name,
                    title=tender_title,
                ),
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
                    "leading_post": leading,
                    "role_start": iso(best["role_start"]),
                    "role_end": iso(best["role_end"]),
                },
            )
        )
    return DetectorResult(
        NAME,
        detections,
        params={"reveal_secrets": reveal_secrets, "as_of": iso(as_of)},
        stats={"bids": len(view.bids), "person_company_roles": len(roles), "relatives": len(view.relatives) // 2},
    )

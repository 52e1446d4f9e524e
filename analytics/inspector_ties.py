"""Inspector ties (熟人社会, 交叉巡察): inspectors with ties to the organisation they inspect.

For every tour, every member of its team and every organisation it
inspected: a tie is a post the inspector held at the target before the tour
began (``former-post``), or a declared relative (``RELATIVE_OF``) serving at
the target when the tour began (``relative``). Each tie comes with a
suggested swap, in the spirit of Pingyang's cross inspections: a member of
another team in the same round, in the same team role, who has no tie to
this target and to whose team's targets the tied inspector has none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd

from .base import Detection, DetectorResult, Evidence, iso, judged_day
from .graphview import GraphView
from .terms import enum_label, say, term

__all__ = ["detect_inspector_ties"]

NAME = "inspector-ties"


def _ties(view: GraphView, assignments: pd.DataFrame) -> pd.DataFrame:
    """Rows (tour, person, organisation, tie, ...) for assignments (tour, person, organisation, start_date)."""
    posts = view.posts.dropna(subset=["start_date"])
    former = assignments.merge(posts, on=["person", "organisation"], how="inner")
    former = former[former["start_date_y"] < former["start_date_x"]]
    former = former.assign(tie="former-post", relative=None, relation=None, post_start=former["start_date_y"])
    rel = view.relatives.rename(columns={"relative": "relative_id"})
    via = assignments.merge(rel, on="person", how="inner")
    via = via.merge(
        posts.rename(columns={"person": "relative_id", "start_date": "post_start", "post": "post"}),
        on=["relative_id", "organisation"],
        how="inner",
    )
    serving = (via["post_start"] <= via["start_date"]) & (
        via["end_date"].isna() | (via["start_date"] <= via["end_date"])
    )
    via = via[serving].assign(tie="relative", relative=via["relative_id"])
    former = former.rename(columns={"start_date_x": "start_date"})
    cols = ["tour", "person", "organisation", "tie", "relative", "relation", "post", "post_start", "start_date"]
    return pd.concat([former[cols], via[cols]], ignore_index=True)


def detect_inspector_ties(
    view: GraphView, *, reveal_secrets: bool = False, as_of: dt.date | str | None = None
) -> DetectorResult:
    """Find inspectors tied to a target of their own tour, with a suggested swap.

    Parameters
    ----------
    view : GraphView
    reveal_secrets : bool
        Say how a relative is related; by default "relative" only (personal-matters data is secret).
    as_of : date or ISO text, optional
        Judge on this day: tours begun after it are not seen.

    Returns
    -------
    DetectorResult
        One detection per (tour, inspector, target); ``kind`` is the
        strongest tie (``relative`` before ``former-post``).
    """
    tours = view.tours.dropna(subset=["start_date", "team"])
    day = judged_day(as_of)
    if day is not None:
        tours = tours[tours["start_date"] <= day]
    members = view.members.merge(tours[["tour", "team", "round", "start_date"]], on="team", how="inner")
    assignments = members.merge(view.inspected, on="tour", how="inner")
    ties = _ties(view, assignments[["tour", "person", "organisation", "start_date"]].drop_duplicates())
    # For swaps: who is tied to what, and each round's teams.
    tied_to: dict[str, set[str]] = defaultdict(set)
    for person, org in zip(ties["person"], ties["organisation"], strict=True):
        tied_to[person].add(org)
    targets_of = assignments.groupby("tour")["organisation"].agg(set).to_dict()
    roster = members.drop_duplicates(["tour", "person"])
    # Looked up once per tie: each member's row, and each round's members by role in name order
    # (indexed here, not filtered from the whole roster per tie, which grew as ties x roster).
    mine_of = {(r["tour"], r["person"]): r for r in roster.to_dict("records")}
    same_role = {
        key: group.sort_values("person", kind="stable") for key, group in roster.groupby(["round", "role"], sort=False)
    }
    detections = []
    for (tour, person, org), group in ties.groupby(["tour", "person", "organisation"], sort=True):
        group = group.sort_values("tie", ascending=False)  # "relative" before "former-post"
        top = group.iloc[0]
        mine = mine_of[(tour, person)]
        swap = None
        others = same_role.get((mine["round"], mine["role"]), roster.iloc[:0])
        for o in others[others["tour"] != tour].itertuples(index=False):
            if org in tied_to.get(o.person, ()) or tied_to.get(o.person, set()) & targets_of.get(tour, set()):
                continue
            if tied_to[person] & targets_of.get(o.tour, set()):
                continue
            swap = (o.person, o.tour)
            break
        person_name = view.name_of("Person", person)
        org_name = view.name_of("Organisation", org)
        tour_name = view.tour_name(tour)
        evidence = [
            Evidence(
                term("role.inspector"),
                "Tour",
                tour,
                say(
                    "ties.inspector",
                    name=person_name,
                    role=enum_label("MEMBER_OF", "role", mine["role"]),
                    tour=tour_name,
                ),
                iso(top["start_date"]),
            )
        ]
        for row in group.itertuples(index=False):
            post = row.post if isinstance(row.post, str) and row.post else term("word.post")
            if row.tie == "former-post":
                evidence.append(
                    Evidence(
                        term("role.former_post"),
                        "Organisation",
                        org,
                        say("ties.former_post", post=post, unit=org_name),
                        iso(row.post_start),
                    )
                )
            else:
                relation = enum_label("RELATIVE_OF", "relation", row.relation or "other") if reveal_secrets else None
                evidence.append(
                    Evidence(
                        term("role.relative_at_target"),
                        "Person",
                        row.relative,
                        say(
                            "ties.relative",
                            name=view.name_of("Person", row.relative),
                            relation=relation or term("word.relative"),
                            post=post,
                            unit=org_name,
                        ),
                        iso(row.post_start),
                    )
                )
        kinds = sorted(set(group["tie"]))
        detections.append(
            Detection(
                detector=NAME,
                kind=top["tie"],
                subject=f"{tour}|{person}|{org}",
                score=float(
                    len(group) + (1.0 if "relative" in kinds else 0.0) + (0.5 if mine["role"] == "leader" else 0.0)
                ),
                summary=say(
                    "ties.summary",
                    name=person_name,
                    unit=org_name,
                    tour=tour_name,
                    ties=term("word.and").join(term(f"ties.kind.{k}") for k in kinds),
                )
                + (
                    say("ties.swap", name=view.name_of("Person", swap[0]), tour=view.tour_name(swap[1]))
                    if swap
                    else say("ties.no_swap")
                ),
                where={
                    "tours": (tour,),
                    "inspectors": (person,),
                    "organisations": (org,),
                    "relatives": tuple(sorted({r for r in group["relative"] if isinstance(r, str)})),
                },
                evidence=tuple(evidence),
                details={
                    "tour": tour,
                    "inspector": person,
                    "target": org,
                    "ties": kinds,
                    "role": mine["role"],
                    "swap_with": swap[0] if swap else None,
                    "swap_tour": swap[1] if swap else None,
                },
            )
        )
    return DetectorResult(
        NAME,
        detections,
        params={"reveal_secrets": reveal_secrets, "as_of": iso(as_of)},
        stats={"assignments": len(assignments), "tours": len(tours)},
    )

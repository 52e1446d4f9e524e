"""Duplicate leads (一个线索几个部门同时办理): one allegation registered by several departments.

Two lead records are the same allegation when they concern the same
organisation and, if either names one, the same person, in the same problem
category, were received within ``window_days`` of each other, and sit in
different departments' registers. Records of one department are never paired
(a department numbers each allegation once), so repeated complaints to the
same office are not mistaken for double handling. Connected records form one
group; each group is one detection.
"""

from __future__ import annotations

import datetime as dt

import networkx as nx

from .base import Detection, DetectorResult, Evidence, iso, judged_day
from .graphview import GraphView
from .terms import enum_label, say, term

__all__ = ["detect_duplicate_leads"]

NAME = "duplicate-leads"


def detect_duplicate_leads(
    view: GraphView, *, window_days: int = 31, as_of: dt.date | str | None = None
) -> DetectorResult:
    """Find allegations registered by more than one department.

    Parameters
    ----------
    view : GraphView
    window_days : int
        Most days between the two registrations.
    as_of : date or ISO text, optional
        Judge on this day: leads received after it are not seen.

    Returns
    -------
    DetectorResult
        One detection per group of records; ``where["leads"]`` lists them.
    """
    leads = view.leads.dropna(subset=["organisation", "received_date", "department"]).copy()
    day = judged_day(as_of)
    if day is not None:
        leads = leads[leads["received_date"] <= day]
    leads["category"] = leads["category"].fillna("")
    # Candidate pairs: records about the same organisation and category (a self-join, small per group).
    cols = ["lead", "organisation", "category", "department", "person", "received_date"]
    pairs = leads[cols].merge(leads[cols], on=["organisation", "category"], suffixes=("_a", "_b"))
    pairs = pairs[(pairs["lead_a"] < pairs["lead_b"]) & (pairs["department_a"] != pairs["department_b"])]
    apart = (pairs["received_date_b"] - pairs["received_date_a"]).abs().dt.days
    pa, pb = pairs["person_a"], pairs["person_b"]
    # Both name the same person, or neither names one: one names a person and the other only the unit
    # are two allegations.
    same_subject = (pa.isna() & pb.isna()) | (pa.notna() & pb.notna() & (pa == pb))
    pairs = pairs[(apart <= window_days) & same_subject]
    graph = nx.Graph()
    graph.add_edges_from(zip(pairs["lead_a"], pairs["lead_b"], strict=True))
    component_of = {lead: n for n, comp in enumerate(nx.connected_components(graph)) for lead in comp}
    grouped = leads[leads["lead"].isin(component_of)]
    grouped = grouped.assign(component=grouped["lead"].map(component_of)).sort_values(["component", "received_date"])
    org_names = {o: view.name_of("Organisation", o) for o in set(grouped["organisation"]) | set(grouped["department"])}
    detections = []
    # One pass over plain tuples: a province has tens of thousands of groups.
    for _, rows in grouped.groupby("component", sort=False):
        records = list(rows.itertuples(index=False))
        members = sorted(r.lead for r in records)
        first = records[0]
        spread = int((records[-1].received_date - first.received_date).days)
        departments = tuple(dict.fromkeys(r.department for r in records))
        person = first.person if isinstance(first.person, str) else None
        detections.append(
            Detection(
                detector=NAME,
                kind="duplicate-lead",
                subject=members[0],
                score=round(len(members) + 1.0 / (1 + spread), 4),
                summary=say(
                    "duplicate.summary",
                    category=view.category_name(first.category),
                    who=say(
                        "duplicate.who_person",
                        person=view.name_of("Person", person),
                        unit=org_names[first.organisation],
                    )
                    if person
                    else org_names[first.organisation],
                    n=len(departments),
                    days=spread,
                ),
                where={
                    "leads": tuple(members),
                    "departments": departments,
                    "organisations": (first.organisation,),
                    "cadres": (person,) if person else (),
                },
                evidence=tuple(
                    Evidence(
                        term("role.registration"),
                        "Lead",
                        r.lead,
                        say(
                            "duplicate.registered",
                            department=org_names[r.department],
                            source=enum_label("Lead", "source", r.source),
                            status=enum_label("Lead", "status", r.status),
                        ),
                        iso(r.received_date),
                    )
                    for r in records
                ),
                details={"category": first.category, "records": len(members), "days_apart": spread},
            )
        )
    return DetectorResult(
        NAME, detections, params={"window_days": window_days, "as_of": iso(as_of)}, stats={"leads": len(view.leads)}
    )

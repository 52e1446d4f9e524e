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

import networkx as nx

from .base import Detection, DetectorResult, Evidence, iso
from .graphview import GraphView

__all__ = ["detect_duplicate_leads"]

NAME = "duplicate-leads"


def detect_duplicate_leads(view: GraphView, *, window_days: int = 31) -> DetectorResult:
    """Find allegations registered by more than one department.

    Parameters
    ----------
    view : GraphView
    window_days : int
        Most days between the two registrations.

    Returns
    -------
    DetectorResult
        One detection per group of records; ``where["leads"]`` lists them.
    """
    leads = view.leads.dropna(subset=["organisation", "received_date", "department"]).copy()
    leads["category"] = leads["category"].fillna("")
    graph = nx.Graph()
    for (_org, _cat), group in leads.groupby(["organisation", "category"], sort=False):
        if len(group) < 2 or group["department"].nunique() < 2:
            continue
        rows = group.sort_values("received_date").to_dict("records")
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if (b["received_date"] - a["received_date"]).days > window_days:
                    break
                if a["department"] == b["department"]:
                    continue
                pa, pb = a.get("person"), b.get("person")
                if isinstance(pa, str) and isinstance(pb, str) and pa != pb:
                    continue
                if isinstance(pa, str) != isinstance(pb, str):
                    continue  # one names a person, the other only the unit: two allegations
                graph.add_edge(a["lead"], b["lead"])
    by_lead = leads.set_index("lead")
    detections = []
    for component in nx.connected_components(graph):
        members = sorted(component)
        rows = by_lead.loc[members].sort_values("received_date")
        first = rows.iloc[0]
        spread = int((rows["received_date"].max() - rows["received_date"].min()).days)
        departments = tuple(dict.fromkeys(rows["department"]))
        org_name = view.name_of("Organisation", first["organisation"])
        person = first["person"] if isinstance(first["person"], str) else None
        detections.append(
            Detection(
                detector=NAME,
                kind="duplicate-lead",
                subject=members[0],
                score=round(len(members) + 1.0 / (1 + spread), 4),
                summary=f"one {first['category']} allegation about "
                + (f"{view.name_of('Person', person)} of " if person else "")
                + f"{org_name} registered by {len(departments)} departments within {spread} days",
                where={
                    "leads": tuple(members),
                    "departments": departments,
                    "organisations": (first["organisation"],),
                    "cadres": (person,) if person else (),
                },
                evidence=tuple(
                    Evidence(
                        "registration",
                        "Lead",
                        lead,
                        f"registered by {view.name_of('Organisation', row['department'])} "
                        f"({row['source']}, status {row['status']})",
                        iso(row["received_date"]),
                    )
                    for lead, row in rows.iterrows()
                ),
                details={"category": first["category"], "records": len(members), "days_apart": spread},
            )
        )
    return DetectorResult(NAME, detections, params={"window_days": window_days}, stats={"leads": len(view.leads)})

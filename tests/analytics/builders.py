"""A terse way to write small hand-built graphs for detector tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graphmodel import EdgeRecord, GraphBackend, NodeRecord, NodeRef


def D(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class GraphBuilder:
    """Collects records, then writes them in one go (nodes before relationships)."""

    def __init__(self) -> None:
        self.nodes: list[NodeRecord] = []
        self.edges: list[EdgeRecord] = []
        self._n = 0

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:04d}"

    def node(self, label: str, key: str, **props: Any) -> NodeRef:
        self.nodes.append(NodeRecord(label, key, {k: v for k, v in props.items() if v is not None}))
        return NodeRef(label, key)

    def rel(self, rel_type: str, start: NodeRef, end: NodeRef, **props: Any) -> None:
        self.edges.append(EdgeRecord(rel_type, start, end, {k: v for k, v in props.items() if v is not None}))

    # -- domain shortcuts ----------------------------------------------------------------------
    def org(
        self,
        key: str,
        name: str | None = None,
        tier: str | None = None,
        system: str | None = None,
        region: str | None = None,
        canonical: str | None = None,
        parent: NodeRef | None = None,
    ) -> NodeRef:
        ref = self.node(
            "Organisation", key, name=name or key, tier=tier, system=system, region_code=region, canonical_id=canonical
        )
        if parent is not None:
            self.rel("PART_OF", ref, parent)
        return ref

    def person(self, key: str, name: str | None = None, canonical: str | None = None) -> NodeRef:
        return self.node("Person", key, name=name or key, canonical_id=canonical)

    def company(self, key: str, name: str | None = None, canonical: str | None = None) -> NodeRef:
        return self.node("Company", key, name=name or key, canonical_id=canonical)

    def tour(
        self,
        key: str,
        start: str,
        targets: list[NodeRef],
        members: list[tuple[NodeRef, str]] = (),
        level: str = "county",
        round_key: str = "round:1",
    ) -> NodeRef:
        tour = self.node("Tour", key, level=level, start_date=D(start), end_date=D(start) + dt.timedelta(days=40))
        team = self.node("Team", "team:" + key, name="team " + key)
        rnd = self.node("Round", round_key, name=round_key, level=level)
        self.rel("CONDUCTED", team, tour)
        self.rel("IN_ROUND", tour, rnd)
        for t in targets:
            self.rel("INSPECTED", tour, t)
        for person, role in members:
            self.rel("MEMBER_OF", person, team, role=role)
        return tour

    def finding(
        self,
        org: NodeRef,
        category: str,
        found: str,
        tour: NodeRef | None = None,
        severity: str = "minor",
        key: str | None = None,
    ) -> NodeRef:
        f = self.node(
            "Finding",
            key or self._next("finding:"),
            category=category,
            found_date=D(found),
            severity=severity,
            description=f"{org.key} {category}",
        )
        self.rel("CONCERNS", f, org)
        if tour is not None:
            self.rel("FOUND", tour, f)
        return f

    def rectify(
        self, finding: NodeRef, status: str, reported: str | None = None, verified: bool | None = None
    ) -> NodeRef:
        r = self.node(
            "Rectification",
            "rect:" + finding.key,
            status=status,
            reported_date=D(reported) if reported else None,
            verified=verified,
        )
        self.rel("RECTIFIES", r, finding)
        return r

    def serves(
        self, person: NodeRef, org: NodeRef, start: str | None, end: str | None = None, post: str = "主任"
    ) -> None:
        self.rel(
            "SERVES_AT",
            person,
            org,
            post=post,
            start_date=D(start) if start else None,
            end_date=D(end) if end else None,
        )

    def tender(self, key: str, buyer: NodeRef, announced: str, bids: list[tuple[NodeRef, float, bool]]) -> NodeRef:
        t = self.node("Tender", key, title=key, announced=D(announced), budget=1e6)
        self.rel("ISSUED", buyer, t)
        for rank, (company, amount, won) in enumerate(sorted(bids, key=lambda b: b[1]), start=1):
            self.rel("BID_ON", company, t, amount=amount, won=won, rank=rank)
        return t

    def lead(
        self,
        key: str,
        dept: NodeRef,
        received: str,
        org: NodeRef,
        category: str,
        person: NodeRef | None = None,
        source: str = "petition",
    ) -> NodeRef:
        lead = self.node("Lead", key, source=source, received_date=D(received), status="inquiry", category=category)
        self.rel("RECEIVED", dept, lead)
        self.rel("CONCERNS", lead, org)
        if person is not None:
            self.rel("CONCERNS", lead, person)
        return lead

    def transfer(
        self, key: str, lead: NodeRef, to: NodeRef, transferred: str, deadline: str, feedback: str | None = None
    ) -> NodeRef:
        t = self.node(
            "Transfer",
            key,
            transfer_date=D(transferred),
            deadline=D(deadline),
            feedback_date=D(feedback) if feedback else None,
        )
        self.rel("HAS_TRANSFER", lead, t)
        self.rel("TRANSFERRED_TO", t, to)
        return t

    def write(self, backend: GraphBackend) -> GraphBackend:
        # Categories referenced by findings need no node: IN_CATEGORY is not used by the detectors.
        backend.write([*self.nodes, *self.edges], source="test")
        return backend

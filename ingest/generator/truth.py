"""The answers a detector should find in a generated world, read off the world itself.

Patterns that are statistical by nature (systemic problems, bid rings,
next-round targets) are the planted ones. Patterns that are a definition
(recurrence after reported rectification, a conflict-of-interest path, a
transfer past its deadline, an inspector tied to a target, one allegation
registered twice) are computed from the finished world by that definition,
so background that happens to meet it counts, and near misses do not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from .world import World

__all__ = ["compute_truth"]


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def systemic(w: World) -> list[dict[str, Any]]:
    """Planted (system, category) pairs over-represented at two or more tiers, with the organisations hit."""
    out = []
    for pattern in w.systemic:
        orgs: dict[str, list[str]] = defaultdict(list)
        for f in w.findings.values():
            org = w.orgs[f.org_id]
            if org.system == pattern.system and f.category == pattern.category and org.tier in pattern.tiers:
                orgs[org.tier].append(org.org_id)
        out.append(
            {
                "system": pattern.system,
                "category": pattern.category,
                "tiers": sorted(pattern.tiers),
                "organisations": {tier: sorted(set(ids)) for tier, ids in sorted(orgs.items())},
            }
        )
    return out


def bid_rings(w: World) -> list[dict[str, Any]]:
    """Planted rings: members, the buyers they target, and the tenders they carved up."""
    return [
        {"ring": r.ring_id, "members": sorted(r.members), "buyers": sorted(r.buyers), "tenders": sorted(r.tenders)}
        for r in w.rings
    ]


def recurrence(w: World) -> list[dict[str, Any]]:
    """The same category found again in an organisation (or its successor) after a rectification reported done."""
    by_org: dict[str, list[str]] = defaultdict(list)
    for f in w.findings.values():
        by_org[f.org_id].append(f.finding_id)
    rect_of = {r.finding_id: r for r in w.rectifications.values()}
    out = []
    for f in w.findings.values():
        rect = rect_of.get(f.finding_id)
        if rect is None or rect.status != "completed" or rect.reported is None:
            continue
        org = w.orgs[f.org_id]
        places = [org.org_id] + ([org.successor] if org.successor else [])
        for place in places:
            for later_id in by_org.get(place, []):
                later = w.findings[later_id]
                if later.category == f.category and later.found > rect.reported and later_id != f.finding_id:
                    out.append(
                        {
                            "organisation": place,
                            "category": f.category,
                            "first_finding": f.finding_id,
                            "rectification": rect.rectification_id,
                            "reported": _iso(rect.reported),
                            "later_finding": later_id,
                            "found": _iso(later.found),
                            "sham": rect.sham,
                        }
                    )
    return sorted(out, key=lambda r: (r["rectification"], r["later_finding"]))


def conflicts_of_interest(w: World) -> list[dict[str, Any]]:
    """Cadres serving at a buyer when a firm run or owned by them, or a declared relative, bid there."""
    relatives_of: dict[str, list[tuple[str, str]]] = defaultdict(list)  # relative -> [(cadre, relation)]
    for p in w.people.values():
        for rel_id, relation, declared in p.relatives:
            if declared:
                relatives_of[rel_id].append((p.person_id, relation))
    serving: dict[str, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    for p in w.people.values():
        for post in p.posts:
            serving[post.org_id].append((p.person_id, post.start, post.end))
    out = set()
    for t in w.tenders.values():
        at_buyer = {
            pid for pid, start, end in serving[t.buyer] if start <= t.announced and (end is None or t.announced <= end)
        }
        if not at_buyer:
            continue
        for bid in t.bids:
            company = w.companies[bid.company_id]
            linked = [(pid, role) for pid, role in company.officers]
            linked += [(pid, "shareholder") for pid, _ in company.shareholders if pid in w.people]
            for pid, role in linked:
                if pid in at_buyer:
                    out.add((pid, pid, "self", role, company.company_id, t.tender_id, bid.won))
                for cadre, relation in relatives_of.get(pid, []):
                    if cadre in at_buyer:
                        out.add((cadre, pid, relation, role, company.company_id, t.tender_id, bid.won))
    keys = ("cadre", "via", "relation", "role", "company", "tender", "won")
    return [dict(zip(keys, row, strict=True)) for row in sorted(out)]


def duplicate_leads(w: World) -> list[dict[str, Any]]:
    """One allegation registered by several departments: their record ids."""
    out = []
    for lead in w.leads.values():
        if len(lead.departments) > 1:
            out.append(
                {
                    "lead": lead.lead_id,
                    "records": sorted(record for _, _, record in lead.departments),
                    "departments": sorted(org for org, _, _ in lead.departments),
                }
            )
    return sorted(out, key=lambda r: r["lead"])


def overdue_transfers(w: World) -> list[dict[str, Any]]:
    """Transfers whose deadline passed before ``as_of`` with no feedback, or with feedback after it."""
    out = []
    for lead in w.leads.values():
        t = lead.transfer
        if t is None or t.deadline >= w.as_of:
            continue
        if t.feedback is None or t.feedback > t.deadline:
            out.append(
                {
                    "transfer": t.transfer_id,
                    "lead": lead.lead_id,
                    "deadline": _iso(t.deadline),
                    "feedback": _iso(t.feedback),
                    "days_late": ((t.feedback or w.as_of) - t.deadline).days,
                }
            )
    return sorted(out, key=lambda r: r["transfer"])


def inspector_ties(w: World) -> list[dict[str, Any]]:
    """Inspectors who once worked at, or are declared relatives of a cadre serving at, a target of their tour."""
    relatives: dict[str, set[str]] = defaultdict(set)
    for p in w.people.values():
        for rel_id, _, declared in p.relatives:
            if declared:
                relatives[p.person_id].add(rel_id)
                relatives[rel_id].add(p.person_id)
    out = set()
    for tour in w.tours.values():
        for member, _role in tour.members:
            person = w.people[member]
            for target in tour.targets:
                if any(post.org_id == target and post.start < tour.start for post in person.posts):
                    out.add((tour.tour_id, member, target, "former_post"))
                for other in relatives.get(member, ()):
                    if any(
                        post.org_id == target
                        and post.start <= tour.start
                        and (post.end is None or tour.start <= post.end)
                        for post in w.people[other].posts
                    ):
                        out.add((tour.tour_id, member, target, "relative"))
    keys = ("tour", "inspector", "target", "tie")
    return [dict(zip(keys, row, strict=True)) for row in sorted(out)]


def targets(w: World) -> dict[str, Any]:
    """The held-out last round: who was inspected, and who turned out to have serious problems."""
    last_start = max(r.start for r in w.rounds.values())
    held_out = sorted(r.round_id for r in w.rounds.values() if r.start == last_start)
    tours = [t for t in w.tours.values() if t.round_id in held_out and t.kind != "lookback"]
    inspected = sorted({o for t in tours for o in t.targets})
    tour_ids = {t.tour_id for t in tours}
    positive = sorted(
        {f.org_id for f in w.findings.values() if f.tour_id in tour_ids and f.severity in ("serious", "severe")}
    )
    return {
        "held_out_rounds": held_out,
        "round_start": _iso(last_start),
        "inspected": inspected,
        "serious_problems_found": positive,
    }


def compute_truth(w: World) -> dict[str, Any]:
    """Every detector's answers for world ``w`` (JSON-ready)."""
    return {
        "scale": w.scale.name,
        "seed": w.seed,
        "as_of": _iso(w.as_of),
        "systemic_problems": systemic(w),
        "bid_rings": bid_rings(w),
        "recurrence": recurrence(w),
        "conflict_of_interest": conflicts_of_interest(w),
        "duplicate_leads": duplicate_leads(w),
        "overdue_transfers": overdue_transfers(w),
        "inspector_ties": inspector_ties(w),
        "targets": targets(w),
    }

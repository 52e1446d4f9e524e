"""Recurrence after rectification (反弹回潮): a problem found again after it was reported fixed.

A finding's rectification was reported complete on a date; later, a tour of
any tier finds the same problem category in the same organisation, or in the
organisation that took over its work after a re-organisation (``SUCCEEDED_BY``).
Each such pair is one detection, with the first finding, the rectification
report and the later finding as evidence. A rectification that was also
marked verified (验收) and still came back is the sham-rectification case
(虚假整改) the look-back tours hunt for, and scores higher.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from .base import Detection, DetectorResult, Evidence, iso
from .graphview import GraphView

__all__ = ["detect_recurrence"]

NAME = "recurrence"
_SEVERITY = {"minor": 0.0, "serious": 0.5, "severe": 1.0}


def _successors(view: GraphView, org: str) -> list[str]:
    # The organisation, then whoever took over its work, and so on (guarding against cycles).
    chain, seen = [org], {org}
    while chain[-1] in view.successor and view.successor[chain[-1]] not in seen:
        chain.append(view.successor[chain[-1]])
        seen.add(chain[-1])
    return chain


def detect_recurrence(view: GraphView, *, within_days: int | None = None) -> DetectorResult:
    """Find problems that came back after their rectification was reported complete.

    Parameters
    ----------
    view : GraphView
    within_days : int, optional
        Only count a later finding within this many days of the rectification
        report (default: any time later).

    Returns
    -------
    DetectorResult
        One detection per (rectification, later finding); ``where`` holds the
        organisation(s) and both findings.
    """
    findings = view.findings.dropna(subset=["organisation", "found_date"])
    rects = view.rectifications
    done = rects[(rects["status"] == "completed") & rects["reported_date"].notna()]
    done = done.merge(
        findings[["finding", "organisation", "category", "found_date", "severity", "description"]],
        on="finding",
        how="inner",
    )
    by_place: dict[tuple[str, str], list[tuple[pd.Timestamp, str, str, str]]] = defaultdict(list)
    for f in findings.itertuples(index=False):
        by_place[(f.organisation, f.category)].append((f.found_date, f.finding, f.severity, f.description or ""))
    detections = []
    for r in done.itertuples(index=False):
        for place in _successors(view, r.organisation):
            for found, later, severity, description in by_place.get((place, r.category), ()):
                if later == r.finding or found <= r.reported_date:
                    continue
                gap = (found - r.reported_date).days
                if within_days is not None and gap > within_days:
                    continue
                verified = bool(r.verified) if r.verified == r.verified and r.verified is not None else False
                # Sooner and verified-yet-back are stronger signs of a sham; severity adds weight.
                score = round(1.0 / (1.0 + gap / 365.0) + 0.5 * verified + 0.25 * _SEVERITY.get(severity, 0.0), 4)
                moved = place != r.organisation
                org_name = view.name_of("Organisation", place)
                detections.append(
                    Detection(
                        detector=NAME,
                        kind="sham-rectification" if verified else "recurrence",
                        subject=f"{r.rectification}->{later}",
                        score=score,
                        summary=(
                            f"{org_name}: {view.category_name(r.category)} found again {gap} days after rectification "
                            "was reported done"
                            + (" (and verified)" if verified else "")
                            + (" — in the successor organisation" if moved else "")
                        ),
                        where={
                            "organisations": tuple(dict.fromkeys([r.organisation, place])),
                            "findings": (r.finding, later),
                            "rectifications": (r.rectification,),
                        },
                        evidence=(
                            Evidence("first finding", "Finding", r.finding, r.description or "", iso(r.found_date)),
                            Evidence(
                                "rectification reported complete",
                                "Rectification",
                                r.rectification,
                                f"status {r.status}, verified {'yes' if verified else 'no'}",
                                iso(r.reported_date),
                            ),
                            *(
                                [
                                    Evidence(
                                        "successor organisation",
                                        "Organisation",
                                        place,
                                        f"{view.name_of('Organisation', r.organisation)} -> {org_name}",
                                    )
                                ]
                                if moved
                                else []
                            ),
                            Evidence("later finding", "Finding", later, description, iso(found)),
                        ),
                        details={
                            "category": r.category,
                            "organisation": place,
                            "first_finding": r.finding,
                            "rectification": r.rectification,
                            "reported": iso(r.reported_date),
                            "later_finding": later,
                            "found": iso(found),
                            "days_after": gap,
                            "verified": verified,
                            "successor": moved,
                        },
                    )
                )
    return DetectorResult(
        NAME,
        detections,
        params={"within_days": within_days},
        stats={"findings": len(view.findings), "completed_rectifications": len(done)},
    )

"""Overdue transfers (移交线索逾期未反馈): leads handed over whose feedback deadline has passed.

A transfer (``Transfer``) has a feedback deadline. As of a date, it is overdue
when the deadline has passed and no feedback came, or feedback came after the
deadline. Days late are counted to the feedback, or to ``as_of`` while none
has come; the score is the days late, so the longest-ignored come first.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .base import Detection, DetectorError, DetectorResult, Evidence, iso
from .graphview import GraphView
from .terms import date_text, enum_label, say, term

__all__ = ["detect_overdue_transfers"]

NAME = "overdue-transfers"


def detect_overdue_transfers(view: GraphView, *, as_of: dt.date | str | None = None) -> DetectorResult:
    """Find transfers past their feedback deadline without (timely) feedback.

    Parameters
    ----------
    view : GraphView
    as_of : date or ISO text, optional
        The day to judge on. Default: the latest date recorded in the graph
        (the day the exports were taken, near enough); pass today's date for
        a live register.

    Returns
    -------
    DetectorResult
        One detection per overdue transfer, most days late first.
    """
    if as_of is None:
        as_of = view.latest_date()
    try:
        day = pd.Timestamp(as_of) if as_of is not None else pd.NaT
    except ValueError as exc:
        raise DetectorError(f"as_of {as_of!r} is not a date; write it as 2024-12-31") from exc
    t = view.transfers.dropna(subset=["deadline"])
    late = t[(t["deadline"] < day) & (t["feedback_date"].isna() | (t["feedback_date"] > t["deadline"]))]
    leads = view.leads.set_index("lead") if len(view.leads) else pd.DataFrame()
    detections = []
    for r in late.itertuples(index=False):
        answered = r.feedback_date == r.feedback_date and r.feedback_date is not pd.NaT
        days = int(((r.feedback_date if answered else day) - r.deadline).days)
        recipient = view.name_of("Organisation", r.recipient) if isinstance(r.recipient, str) else term("word.unknown")
        evidence = []
        subject_org = None
        if isinstance(r.lead, str) and r.lead in leads.index:
            lead = leads.loc[r.lead]
            subject_org = lead.get("organisation")
            evidence.append(
                Evidence(
                    term("role.lead"),
                    "Lead",
                    r.lead,
                    say(
                        "overdue.lead",
                        source=enum_label("Lead", "source", lead.get("source")),
                        category=view.category_name(lead.get("category")) or term("word.unknown"),
                        status=enum_label("Lead", "status", lead.get("status")),
                    ),
                    iso(lead.get("received_date")),
                )
            )
        evidence.append(
            Evidence(
                term("role.transfer"),
                "Transfer",
                r.transfer,
                say("overdue.transfer", recipient=recipient, deadline=date_text(r.deadline)),
                iso(r.transfer_date),
            )
        )
        evidence.append(
            Evidence(
                term("role.feedback"),
                "Transfer",
                r.transfer,
                say("overdue.late", days=days) if answered else say("overdue.none", day=date_text(day)),
                iso(r.feedback_date) if answered else None,
            )
        )
        detections.append(
            Detection(
                detector=NAME,
                kind="late-feedback" if answered else "no-feedback",
                subject=r.transfer,
                score=float(days),
                summary=say(
                    "overdue.summary_late" if answered else "overdue.summary_none",
                    recipient=recipient,
                    date=date_text(r.transfer_date),
                    days=days,
                ),
                where={
                    "transfers": (r.transfer,),
                    "leads": (r.lead,) if isinstance(r.lead, str) else (),
                    "organisations": tuple(x for x in (r.recipient, subject_org) if isinstance(x, str)),
                },
                evidence=tuple(evidence),
                details={
                    "transfer": r.transfer,
                    "lead": r.lead if isinstance(r.lead, str) else None,
                    "recipient": r.recipient if isinstance(r.recipient, str) else None,
                    "deadline": iso(r.deadline),
                    "feedback": iso(r.feedback_date) if answered else None,
                    "days_late": days,
                },
            )
        )
    return DetectorResult(
        NAME,
        detections,
        params={"as_of": iso(day)},
        stats={"transfers": len(view.transfers), "with_deadline": len(t)},
    )

"""Recurrence after rectification (反弹回潮): a problem found again after it was reported fixed.

A finding's rectification was reported complete on a date; later, a tour of
any tier finds the same problem category in the same organisation, or in the
organisation that took over its work after a re-organisation (``SUCCEEDED_BY``).
One detection per (organisation, category) lists every such (rectification,
later finding) pair, with the first finding, the rectification report and the
later finding as evidence. A rectification that was also marked verified (验收)
and still came back is the sham-rectification case (虚假整改) the look-back tours
hunt for, and scores higher.

A very common problem found again is expected, not a sign of sham
rectification. Each detection carries its category's **base rate**: among the
units that rectified *other* problems, the share where this category was found
after their rectification report; and the **recurrence rate**: among the units
that rectified this category, the share where it was found again. Their ratio
(with half a unit added to each count) says how much more often the problem comes
back where it was "fixed" than it turns up where other problems were fixed, with
a one-sided Fisher exact p-value.

``as_of`` sees no finding found, nor rectification reported, after it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd
from scipy.stats import fisher_exact

from .base import Detection, DetectorResult, Evidence, iso, judged_day
from .graphview import GraphView
from .terms import enum_label, say, term

__all__ = ["category_base_rates", "detect_recurrence"]

NAME = "recurrence"
_SEVERITY = {"minor": 0.0, "serious": 0.5, "severe": 1.0}


def _successors(view: GraphView, org: str) -> list[str]:
    # The organisation, then whoever took over its work, and so on (guarding against cycles).
    chain, seen = [org], {org}
    while chain[-1] in view.successor and view.successor[chain[-1]] not in seen:
        chain.append(view.successor[chain[-1]])
        seen.add(chain[-1])
    return chain


def category_base_rates(findings: pd.DataFrame, done: pd.DataFrame) -> pd.DataFrame:
    """Per category: how often it came back where it was rectified, against how often it turned up where
    other problems were rectified.

    Parameters
    ----------
    findings : DataFrame
        ``organisation``, ``category``, ``found_date``.
    done : DataFrame
        Completed rectifications: ``organisation``, ``category`` (of the rectified finding), ``reported_date``.

    Returns
    -------
    DataFrame
        Indexed by category: ``rectified`` (units that rectified it), ``back`` (of those, where it was found
        after the first report), ``others`` (units that rectified only other categories), ``turned_up`` (of
        those, where it was found after their first report), ``recurrence_rate``, ``base_rate``, ``ratio``
        (with half a unit added to each count), ``p`` (one-sided Fisher exact).
    """
    first_report = done.groupby("organisation")["reported_date"].min()
    rectified = done.groupby(["organisation", "category"])["reported_date"].min()
    found = findings.groupby(["organisation", "category"])["found_date"].max()  # the latest finding of each
    rows = []
    for category in sorted(set(done["category"])):
        units_c = rectified.xs(category, level="category")
        back = sum(1 for org, day in units_c.items() if found.get((org, category), pd.NaT) > day)
        others = first_report.index.difference(units_c.index)
        turned = sum(1 for org in others if found.get((org, category), pd.NaT) > first_report[org])
        n_c, n_o = len(units_c), len(others)
        rate = (back + 0.5) / (n_c + 1.0)
        base = (turned + 0.5) / (n_o + 1.0)
        p = fisher_exact([[back, n_c - back], [turned, n_o - turned]], alternative="greater")[1] if n_o else 1.0
        rows.append((category, n_c, back, n_o, turned, back / n_c, turned / n_o if n_o else None, rate / base, p))
    columns = ["category", "rectified", "back", "others", "turned_up", "recurrence_rate", "base_rate", "ratio", "p"]
    return pd.DataFrame(rows, columns=columns).set_index("category")


def detect_recurrence(
    view: GraphView, *, within_days: int | None = None, as_of: dt.date | str | None = None
) -> DetectorResult:
    """Find problems that came back after their rectification was reported complete.

    Parameters
    ----------
    view : GraphView
    within_days : int, optional
        Only count a later finding within this many days of the rectification
        report (default: any time later).
    as_of : date or ISO text, optional
        Judge on this day: findings found and rectifications reported after it are not seen.

    Returns
    -------
    DetectorResult
        One detection per (organisation, category) the problem came back in; ``details["pairs"]`` lists each
        (rectification, later finding), the top-level details are the strongest pair's.
    """
    day = judged_day(as_of)
    findings = view.findings.dropna(subset=["organisation", "found_date"])
    if day is not None:
        findings = findings[findings["found_date"] <= day]
    rects = view.rectifications
    done = rects[(rects["status"] == "completed") & rects["reported_date"].notna()]
    if day is not None:
        done = done[done["reported_date"] <= day]
    done = done.merge(
        findings[["finding", "organisation", "category", "found_date", "severity", "description"]],
        on="finding",
        how="inner",
    )
    by_place: dict[tuple[str, str], list[tuple[pd.Timestamp, str, str, str]]] = defaultdict(list)
    for f in findings.itertuples(index=False):
        by_place[(f.organisation, f.category)].append((f.found_date, f.finding, f.severity, f.description or ""))
    rates = category_base_rates(findings, done) if len(done) else pd.DataFrame()
    pairs: dict[tuple[str, str], list[dict]] = defaultdict(list)
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
                pairs[(place, r.category)].append(
                    {
                        "score": score,
                        "rectified_at": r.organisation,
                        "first_finding": r.finding,
                        "first_text": r.description or "",
                        "first_found": iso(r.found_date),
                        "rectification": r.rectification,
                        "status": r.status,
                        "reported": iso(r.reported_date),
                        "later_finding": later,
                        "later_text": description,
                        "found": iso(found),
                        "days_after": gap,
                        "verified": verified,
                        "successor": place != r.organisation,
                    }
                )
    detections = [
        _detection(view, place, category, sorted(found, key=lambda x: (-x["score"], x["later_finding"])), rates)
        for (place, category), found in sorted(pairs.items())
    ]
    detections.sort(key=lambda d: (-d.score, d.subject))
    return DetectorResult(
        NAME,
        detections,
        params={"within_days": within_days, "as_of": iso(as_of)},
        stats={"findings": len(view.findings), "completed_rectifications": len(done)},
    )


def _detection(view: GraphView, place: str, category: str, pairs: list[dict], rates: pd.DataFrame) -> Detection:
    best = pairs[0]
    org_name = view.name_of("Organisation", place)
    category_name = view.category_name(category)
    verified = any(p["verified"] for p in pairs)
    rate = rates.loc[category] if category in rates.index else None
    evidence = []
    for p in pairs:
        evidence += [
            Evidence(term("role.first_finding"), "Finding", p["first_finding"], p["first_text"], p["first_found"]),
            Evidence(
                term("role.rectification_done"),
                "Rectification",
                p["rectification"],
                say(
                    "recurrence.rectified",
                    status=enum_label("Rectification", "status", p["status"]),
                    verified=term("word.yes" if p["verified"] else "word.no"),
                ),
                p["reported"],
            ),
        ]
        if p["successor"]:
            evidence.append(
                Evidence(
                    term("role.successor"),
                    "Organisation",
                    place,
                    say("recurrence.successor", before=view.name_of("Organisation", p["rectified_at"]), after=org_name),
                )
            )
        evidence.append(
            Evidence(term("role.later_finding"), "Finding", p["later_finding"], p["later_text"], p["found"])
        )
    base_text = ""
    if rate is not None:
        base = "—" if rate["base_rate"] is None or pd.isna(rate["base_rate"]) else f"{rate['base_rate']:.0%}"
        base_text = say(
            "recurrence.base_rate",
            rectified=int(rate["rectified"]),
            back=int(rate["back"]),
            rate=f"{rate['recurrence_rate']:.0%}",
            others=int(rate["others"]),
            turned_up=int(rate["turned_up"]),
            base=base,
            ratio=f"{rate['ratio']:.1f}",
            p=f"{rate['p']:.2g}",
        )
        evidence.append(Evidence(term("role.base_rate"), "Screen", f"{category}|base-rate", base_text))
    return Detection(
        detector=NAME,
        kind="sham-rectification" if verified else "recurrence",
        subject=f"{place}|{category}",
        score=best["score"],
        summary=(
            say("recurrence.summary", unit=org_name, category=category_name, days=best["days_after"])
            + (say("recurrence.verified") if verified else "")
            + (say("recurrence.in_successor") if best["successor"] else "")
            + (say("recurrence.times", n=len(pairs)) if len(pairs) > 1 else "")
            + (say("recurrence.ratio", ratio=f"{rate['ratio']:.1f}") if rate is not None else "")
        ),
        where={
            "organisations": tuple(dict.fromkeys([*(p["rectified_at"] for p in pairs), place])),
            "findings": tuple(dict.fromkeys(f for p in pairs for f in (p["first_finding"], p["later_finding"]))),
            "rectifications": tuple(dict.fromkeys(p["rectification"] for p in pairs)),
        },
        evidence=tuple(evidence),
        details={
            "category": category,
            "organisation": place,
            "first_finding": best["first_finding"],
            "rectification": best["rectification"],
            "reported": best["reported"],
            "later_finding": best["later_finding"],
            "found": best["found"],
            "days_after": best["days_after"],
            "verified": verified,
            "successor": best["successor"],
            "pairs": [
                {
                    k: p[k]
                    for k in ("rectification", "first_finding", "later_finding", "found", "days_after", "verified")
                }
                for p in pairs
            ],
            "recurrence_rate": None if rate is None else float(rate["recurrence_rate"]),
            "base_rate": None if rate is None or pd.isna(rate["base_rate"]) else float(rate["base_rate"]),
            "base_rate_ratio": None if rate is None else round(float(rate["ratio"]), 3),
            "base_rate_p": None if rate is None else float(rate["p"]),
        },
    )

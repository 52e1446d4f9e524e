"""Profiles (政治生态画像, 巡察质效评估): an organisation's record, and how well teams inspect.

* :func:`organisation_profile` — for one organisation: findings by category
  and year, its leads and transfers, its rectification record, and its peers
  (the same system and tier) ranked by findings per inspection.
* :func:`team_quality` — per tour and its team: days on site, findings, serious
  findings, findings per team-day, and how many of its findings were
  rectified and verified.
* :func:`lead_conversion` — leads by source and by tier of the organisation
  concerned: how many were transferred, overdue, and became cases.
* :func:`detect_profiles` — the registry's view of these: one detection per
  team (scored by findings per team-day, with the conversion of its round's
  leads as context) and one per organisation among the ``top`` by findings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from .base import Detection, DetectorError, DetectorResult, Evidence, iso, judged_day
from .graphview import GraphView
from .terms import say, term

__all__ = ["organisation_profile", "team_quality", "lead_conversion", "detect_profiles"]

NAME = "profiles"
_SERIOUS = ("serious", "severe")


class _Records:
    """The dated records a profile reads, as they stood on a day (all of them without one).

    A record dated after the day is not seen; an undated one is (there is no telling when it came).
    """

    def __init__(self, view: GraphView, day: pd.Timestamp | None):
        def upto(frame: pd.DataFrame, column: str) -> pd.DataFrame:
            if day is None or frame.empty:
                return frame
            return frame[~(pd.to_datetime(frame[column]) > day)].reset_index(drop=True)

        self.findings = upto(view.findings, "found_date")
        self.leads = upto(view.leads, "received_date")
        self.tours = upto(view.tours, "start_date")
        self.inspected = view.inspected[view.inspected["tour"].isin(self.tours["tour"])]
        self.rectifications = upto(view.rectifications, "reported_date")
        self.transfers = upto(view.transfers, "transfer_date")
        self.findings_by_org = self.findings.groupby("organisation").indices if len(self.findings) else {}
        self.leads_by_org = self.leads.groupby("organisation").indices if len(self.leads) else {}
        self.findings_per_org = self.findings.groupby("organisation").size()
        self.inspections_per_org = self.inspected.groupby("organisation")["tour"].nunique()


def _records(view: GraphView, as_of: dt.date | str | None) -> _Records:
    day = judged_day(as_of)
    return view.memo("profile-records", {"as_of": day}, lambda: _Records(view, day))


def organisation_profile(view: GraphView, organisation: str, *, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Everything on record about one organisation (a canonical id or any of its record keys).

    Returns
    -------
    dict
        ``organisation`` (a Series: name, tier, system, region), ``findings_by_year`` (DataFrame: year x
        category counts), ``findings`` (DataFrame), ``rectification`` (dict of counts by status, verified),
        ``leads`` (DataFrame), ``peers`` (DataFrame of the same system and tier: findings, inspections,
        findings per inspection, rank). With ``as_of``, only records dated on or before that day.
    """
    org = view.canonical("Organisation").get(organisation, organisation)
    if org not in view.organisations.index:
        raise DetectorError(f"no organisation {organisation!r} in the graph; search names with GraphView.organisations")
    info = view.organisations.loc[org]
    records = _records(view, as_of)
    findings = records.findings.iloc[records.findings_by_org.get(org, [])].sort_values("found_date")
    by_year = (
        findings.assign(year=findings["found_date"].dt.year)
        .pivot_table(index="year", columns="category", values="finding", aggfunc="count", fill_value=0)
        .astype(int)
    )
    rect = records.rectifications[records.rectifications["finding"].isin(findings["finding"])]
    rectification = {
        "findings": len(findings),
        "with_rectification": len(rect),
        **{f"status_{k}": int(v) for k, v in rect["status"].value_counts().items()},
        "verified": int(rect["verified"].fillna(False).astype(bool).sum()),
    }
    leads = records.leads.iloc[records.leads_by_org.get(org, [])]
    peers = _peers(view, info, records)
    return {
        "organisation": info,
        "findings_by_year": by_year,
        "findings": findings,
        "rectification": rectification,
        "leads": leads,
        "peers": peers,
    }


def _peers(view: GraphView, info: pd.Series, records: _Records) -> pd.DataFrame:
    orgs = view.organisations
    same = orgs[(orgs["system"] == info.get("system")) & (orgs["tier"] == info.get("tier"))]
    if same.empty or not isinstance(info.get("system"), str):
        return pd.DataFrame(columns=["name", "findings", "inspections", "per_inspection", "rank"])
    counts, visits = records.findings_per_org, records.inspections_per_org
    out = pd.DataFrame(
        {
            "name": same["name"],
            "findings": counts.reindex(same.index).fillna(0).astype(int),
            "inspections": visits.reindex(same.index).fillna(0).astype(int),
        }
    )
    out["per_inspection"] = (out["findings"] / out["inspections"].where(out["inspections"] > 0)).round(2)
    out["rank"] = out["per_inspection"].rank(ascending=False, method="min")
    return out.sort_values(["rank", "name"])


def team_quality(view: GraphView, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Per tour: level, kind, team, round, days, targets, findings, serious findings, per team-day, rectification.

    With ``as_of``: the tours begun by that day, with the findings and rectifications dated by it.
    """
    records = _records(view, as_of)
    tours = records.tours.copy()
    tours["days"] = (tours["end_date"] - tours["start_date"]).dt.days + 1
    f = records.findings.dropna(subset=["tour"])
    per = f.groupby("tour").agg(
        findings=("finding", "size"), serious=("severity", lambda s: int(s.isin(_SERIOUS).sum()))
    )
    rect = records.rectifications.merge(f[["finding", "tour"]], on="finding", how="inner")
    done = rect.groupby("tour").agg(
        rectified=("status", lambda s: int((s == "completed").sum())),
        verified=("verified", lambda s: int(s.fillna(False).astype(bool).sum())),
    )
    targets = records.inspected.groupby("tour")["organisation"].nunique().rename("targets")
    out = tours.set_index("tour").join(per).join(done).join(targets)
    for c in ("findings", "serious", "rectified", "verified", "targets"):
        out[c] = out[c].fillna(0).astype(int)
    out["per_team_day"] = (out["findings"] / out["days"].where(out["days"] > 0)).round(3)
    out["rectified_share"] = (out["rectified"] / out["findings"].where(out["findings"] > 0)).round(3)
    columns = ["level", "kind", "team", "round", "start_date", "days", "targets", "findings", "serious"]
    return out[[*columns, "per_team_day", "rectified", "verified", "rectified_share"]].sort_values(
        "per_team_day", ascending=False
    )


def lead_conversion(view: GraphView, *, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Leads by source and tier of the organisation concerned: transferred, overdue, became cases.

    With ``as_of``: the leads received and transfers made by that day, overdue on that day.
    """
    records = _records(view, as_of)
    leads = records.leads.copy()
    if leads.empty:
        return pd.DataFrame(columns=["source", "tier", "leads", "transferred", "overdue", "cases", "case_rate"])
    leads["tier"] = leads["organisation"].map(view.organisations["tier"]).fillna("unknown")
    transfers = records.transfers
    day = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(view.latest_date() or dt.date.today())
    late = transfers[
        (transfers["deadline"] < day)
        & (transfers["feedback_date"].isna() | (transfers["feedback_date"] > transfers["deadline"]))
    ]
    leads["transferred"] = leads["lead"].isin(transfers["lead"])
    leads["overdue"] = leads["lead"].isin(late["lead"])
    cases = set(view.rel("RESULTED_IN")["start"]) if len(view.backend.relationships("RESULTED_IN")) else set()
    leads["case"] = leads["status"].eq("case_opened") | leads["lead"].isin(cases)
    out = leads.groupby(["source", "tier"]).agg(
        leads=("lead", "size"), transferred=("transferred", "sum"), overdue=("overdue", "sum"), cases=("case", "sum")
    )
    out["case_rate"] = (out["cases"] / out["leads"]).round(3)
    return out.reset_index()


def detect_profiles(view: GraphView, *, top: int | None = 200, as_of: dt.date | str | None = None) -> DetectorResult:
    """Team quality for every tour, and the record of the ``top`` organisations by findings.

    Returns
    -------
    DetectorResult
        ``kind`` ``team-quality`` (score: findings per team-day) or ``organisation-profile`` (score: findings).
    """
    detections = []
    records = _records(view, as_of)
    teams = team_quality(view, as_of=as_of)
    for tour, row in teams.iterrows():
        if pd.isna(row["per_team_day"]):
            continue
        detections.append(
            Detection(
                detector=NAME,
                kind="team-quality",
                subject=str(tour),
                score=float(row["per_team_day"]),
                summary=say(
                    "profiles.team",
                    team=view.tour_name(tour),
                    findings=row["findings"],
                    serious=row["serious"],
                    days=row["days"],
                    units=row["targets"],
                    rectified=row["rectified"],
                    verified=row["verified"],
                ),
                where={"tours": (str(tour),), "teams": (row["team"],) if isinstance(row["team"], str) else ()},
                # (the tour's kind is "tour_kind": "kind" is the detection's own, team-quality)
                details={
                    ("tour_kind" if k == "kind" else k): (iso(v) if k == "start_date" else v)
                    for k, v in row.items()
                    if not pd.isna(v)
                },
            )
        )
    counts = records.findings_per_org
    # Most findings first; ties by id, so the same graph always gives the same top.
    counts = counts.iloc[sorted(range(len(counts)), key=lambda i: (-counts.iloc[i], counts.index[i]))]
    chosen = counts.index if top is None else counts.index[:top]
    for org in chosen:
        p = organisation_profile(view, org, as_of=as_of)
        info, rect = p["organisation"], p["rectification"]
        by_cat = p["findings"]["category"].value_counts()
        detections.append(
            Detection(
                detector=NAME,
                kind="organisation-profile",
                subject=str(org),
                score=float(counts[org]),
                summary=say(
                    "profiles.unit",
                    unit=info["name"],
                    findings=counts[org],
                    top=term("word.and").join(
                        say("profiles.category_count", category=view.category_name(c), n=n)
                        for c, n in by_cat.head(3).items()
                    ),
                    leads=len(p["leads"]),
                    rectified=rect.get("status_completed", 0),
                ),
                where={"organisations": (str(org),)},
                evidence=tuple(
                    Evidence(
                        term("role.finding"),
                        "Finding",
                        f.finding,
                        str(f.description)
                        if isinstance(f.description, str) and f.description
                        else view.category_name(f.category),
                        iso(f.found_date),
                    )
                    for f in p["findings"].tail(5).itertuples(index=False)
                ),
                details={
                    "tier": info.get("tier"),
                    "system": info.get("system"),
                    "findings_by_year": {
                        str(y): {str(c): int(n) for c, n in row.items() if n}
                        for y, row in p["findings_by_year"].iterrows()
                    },
                    "rectification": rect,
                    "leads": len(p["leads"]),
                    "peer_rank": (
                        int(p["peers"].at[org, "rank"])
                        if org in p["peers"].index and pd.notna(p["peers"].at[org, "rank"])
                        else None
                    ),
                    "peers": len(p["peers"]),
                },
            )
        )
    conversion = lead_conversion(view, as_of=as_of)
    return DetectorResult(
        NAME,
        detections,
        params={"top": top, "as_of": iso(as_of)},
        stats={
            "tours": len(teams),
            "organisations_with_findings": len(counts),
            "lead_conversion": conversion.to_dict("records"),
        },
    )

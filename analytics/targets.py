"""Targets for the next round (精准制导, 接力式巡察): organisations ranked by risk, with their evidence.

Every organisation gets features computed only from what was on record
before the cut-off day ``as_of`` (so nothing from the future leaks in):
findings so far (all, serious, recent, categories), recurrences after
rectification, leads and transfers about it, conflict-of-interest paths and
bid-ring wins at it as a buyer, findings of its system's systemic patterns,
and the time since it was last inspected.

Where past outcomes exist — earlier tours that found serious problems (or
not) at the organisations they inspected — a logistic regression (scikit-
learn) learns the weights from them: each past tour's targets are one
example, with features computed as of that tour's start. It is validated on
the latest past rounds only, having been trained on the ones before (no
leakage from the future), against ranking by "most findings so far"; the
validation figures are in the result's ``params``. Without enough outcomes a
transparent weighted score is used instead. Each target carries its top
contributing features as evidence, and the inspection office the target
should be relayed to (its own tier's office: a county's 巡察办 for county,
township and village units).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd

from .base import Detection, DetectorError, DetectorResult, Evidence, InputsAbsent, iso
from .bid_rings import detect_bid_rings
from .conflict import detect_conflicts
from .graphview import GraphView
from .recurrence import detect_recurrence
from .systemic import detect_systemic_problems
from .terms import date_text, office_name, say, term

__all__ = ["detect_targets", "target_features", "FEATURES"]

NAME = "targets"
RECENT_DAYS = 730

#: Feature -> (description, weight in the transparent fallback score).
FEATURES: dict[str, tuple[str, float]] = {
    "findings": ("findings on record", 0.5),
    "serious_findings": ("serious or severe findings", 2.0),
    "recent_findings": (f"findings in the last {RECENT_DAYS} days", 1.0),
    "categories": ("distinct problem categories found", 0.3),
    "recurrences": ("problems back after reported rectification", 1.5),
    "leads": ("leads about it", 0.8),
    "transfers": ("leads about it transferred for handling", 1.0),
    "conflicts": ("conflict-of-interest paths at it as a buyer", 1.5),
    "ring_wins": ("tenders it awarded to suspected bid rings", 1.0),
    "red_flags": ("its tenders with red flags (single bid, short period, identical prices …)", 0.5),
    "systemic": ("findings in its system's systemic problem categories", 0.7),
    "years_since_inspected": ("years since it was last inspected", 0.3),
}


def _as_timestamp(value: dt.date | str | None, view: GraphView) -> pd.Timestamp:
    if value is None:
        value = view.latest_date()
        if value is None:
            where, zh = (f" in scope {view.scope}", f"本范围（{view.scope}）内") if view.scope else ("", "本图中")
            raise InputsAbsent(
                f"{zh}没有带日期的发现问题、问题线索、线索移交或招投标，无从确定排序日期；可指定 as_of "
                f"(skipped: the graph holds no dated findings, leads, transfers or tenders{where}; pass as_of)"
            )
    try:
        return pd.Timestamp(value)
    except ValueError as exc:
        raise DetectorError(f"as_of {value!r} is not a date; write it as 2024-09-01") from exc


def _ns(dates: pd.Series) -> pd.Series:
    # One resolution for every date column, as merge_asof requires.
    return pd.to_datetime(dates).astype("datetime64[ns]")


def _obj(ids: pd.Series) -> pd.Series:
    # One dtype for the "by" key, as merge_asof requires.
    return pd.Series(np.asarray(ids, dtype=object), index=ids.index, dtype=object)


def _count_before(events: pd.DataFrame, queries: pd.DataFrame, window_days: int | None = None) -> np.ndarray:
    """For each query (organisation, date): events of that organisation dated strictly before the date.

    ``events`` has columns organisation, date (and optional weight); with ``window_days``, only events
    within that many days before the query date count.
    """
    out = np.zeros(len(queries))
    if events.empty or queries.empty:
        return out
    ev = events.dropna(subset=["organisation", "date"])
    weight = ev["weight"] if "weight" in ev else pd.Series(1.0, index=ev.index)
    ev = ev.assign(
        weight=weight.astype(float), date=_ns(ev["date"]), organisation=_obj(ev["organisation"])
    ).sort_values("date")
    ev = ev.groupby(["organisation", "date"], sort=False)["weight"].sum().reset_index().sort_values("date")
    ev["cum"] = ev.groupby("organisation")["weight"].cumsum()
    q = queries.reset_index(drop=True).assign(
        _row=lambda f: np.arange(len(f)), date=lambda f: _ns(f["date"]), organisation=lambda f: _obj(f["organisation"])
    )

    def cum_at(dates: pd.Series) -> np.ndarray:
        probe = q.assign(date=dates).sort_values("date")
        right = ev[["organisation", "date", "cum"]].assign(organisation=lambda f: _obj(f["organisation"]))
        merged = pd.merge_asof(
            probe.assign(organisation=_obj(probe["organisation"])),
            right,
            on="date",
            by="organisation",
            allow_exact_matches=False,
        )
        return merged.set_index("_row")["cum"].reindex(q["_row"]).fillna(0.0).to_numpy()

    out = cum_at(q["date"])
    if window_days is not None:
        out = out - cum_at(q["date"] - pd.Timedelta(days=window_days))
    return out


def _last_before(events: pd.DataFrame, queries: pd.DataFrame) -> np.ndarray:
    """Date of the latest event strictly before each query date (NaT if none)."""
    if events.empty or queries.empty:
        return np.full(len(queries), np.datetime64("NaT"), dtype="datetime64[ns]")
    ev = events.dropna(subset=["organisation", "date"]).drop_duplicates()
    ev = ev.assign(date=_ns(ev["date"]), organisation=_obj(ev["organisation"])).sort_values("date")
    ev = ev.assign(last=ev["date"])
    q = queries.reset_index(drop=True).assign(
        _row=lambda f: np.arange(len(f)), date=lambda f: _ns(f["date"]), organisation=lambda f: _obj(f["organisation"])
    )
    q = q.sort_values("date")
    merged = pd.merge_asof(
        q, ev[["organisation", "date", "last"]], on="date", by="organisation", allow_exact_matches=False
    )
    return merged.set_index("_row")["last"].reindex(np.arange(len(queries))).to_numpy()


def _ring_wins(view: GraphView, ring_companies: set[str]) -> pd.DataFrame:
    """Tenders won by members of suspected bid rings, dated by announcement, per buyer."""
    wins = view.bids[view.bids["won"] & view.bids["company"].isin(ring_companies)]
    wins = wins.merge(view.tenders[["tender", "buyer", "announced"]], on="tender", how="inner")
    return wins.rename(columns={"buyer": "organisation", "announced": "date"})[["organisation", "date"]]


#: Red flags that are definitions, not outliers against fences computed over all the data: counted as of a
#: tender's announcement, they read nothing from after it.
_DEFINITIONAL_FLAGS = ("R003", "R018", "R028", "R030", "R035", "R036")


def _red_flags(view: GraphView) -> pd.DataFrame:
    """Flagged tenders per buyer, dated by announcement (one event per tender and indicator)."""
    from .red_flags import shared_flags

    found = shared_flags(view) if len(view.tenders) else None
    if found is None:
        return pd.DataFrame(columns=["organisation", "date"])
    announced = view.tenders.set_index("tender")["announced"]
    buyer = view.tenders.set_index("tender")["buyer"]
    rows = [
        (buyer.get(t), announced.get(t))
        for d in found
        if d.kind == "process-flag" and d.details.get("indicator") in _DEFINITIONAL_FLAGS
        for t in d.where.get("tenders", ())[:1]
    ]
    frame = pd.DataFrame(rows, columns=["organisation", "date"]).dropna()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


class _Events:
    """Dated events per organisation, read once from the view."""

    def __init__(self, view: GraphView, ring_companies: set[str], day: pd.Timestamp | None = None):
        f = view.findings.dropna(subset=["organisation", "found_date"])
        self.findings = f.rename(columns={"found_date": "date"})[["organisation", "date", "category", "severity"]]
        self.serious = self.findings[self.findings["severity"].isin(["serious", "severe"])]
        # The first finding of each category at a unit: the earliest, whatever order the graph lists them in.
        first = (
            f.sort_values("found_date", kind="mergesort")
            .drop_duplicates(["organisation", "category"])
            .rename(columns={"found_date": "date"})
        )
        self.first_of_category = first[["organisation", "date"]]
        leads = view.leads.dropna(subset=["organisation", "received_date"])
        self.leads = leads.rename(columns={"received_date": "date"})[["organisation", "date"]]
        # Leads from elsewhere than a tour (petitions, audits, big-data comparisons …): what can be new since one.
        outside = leads[leads["source"].fillna("") != "tour"] if "source" in leads else leads
        self.outside_leads = outside.rename(columns={"received_date": "date"})[["organisation", "date"]]
        t = view.transfers.merge(view.leads[["lead", "organisation"]], on="lead", how="inner")
        self.transfers = t.rename(columns={"transfer_date": "date"})[["organisation", "date"]]
        # Recurrences: dated by the later finding, judged on the day (its base rates would otherwise read
        # findings made after it).
        judged = {} if day is None else {"as_of": day.date()}
        rec = view.memo("recurrence", judged, lambda: detect_recurrence(view, **judged))
        self.recurrences = pd.DataFrame(
            [(d.details["organisation"], pd.Timestamp(p["found"])) for d in rec for p in d.details["pairs"]],
            columns=["organisation", "date"],
        )
        coi = view.memo("conflict-of-interest", judged, lambda: detect_conflicts(view, **judged))
        self.conflicts = pd.DataFrame(
            [(d.details["buyer"], pd.Timestamp(d.details["announced"])) for d in coi], columns=["organisation", "date"]
        )
        self.ring_wins = _ring_wins(view, ring_companies)
        self.red_flags = _red_flags(view)
        insp = view.inspected.merge(view.tours[["tour", "start_date"]], on="tour", how="inner")
        self.inspections = insp.rename(columns={"start_date": "date"})[["organisation", "date"]]


def target_features(
    view: GraphView,
    queries: pd.DataFrame,
    *,
    events: _Events | None = None,
    systemic_pairs: Collection[tuple[str, str]] = frozenset(),
) -> pd.DataFrame:
    """Features of each (organisation, date) in ``queries``, from records dated strictly before the date."""
    events = events or _Events(view, set())
    q = queries[["organisation", "date"]].reset_index(drop=True)
    out = pd.DataFrame(index=q.index)
    out["findings"] = _count_before(events.findings, q)
    out["serious_findings"] = _count_before(events.serious, q)
    out["recent_findings"] = _count_before(events.findings, q, RECENT_DAYS)
    out["categories"] = _count_before(events.first_of_category, q)
    out["recurrences"] = _count_before(events.recurrences, q)
    out["leads"] = _count_before(events.leads, q)
    out["transfers"] = _count_before(events.transfers, q)
    out["conflicts"] = _count_before(events.conflicts, q)
    out["ring_wins"] = _count_before(events.ring_wins, q)
    out["red_flags"] = _count_before(events.red_flags, q)
    systems = view.organisations["system"]
    f = events.findings.assign(system=events.findings["organisation"].map(systems))
    in_systemic = [(s, c) in systemic_pairs for s, c in zip(f["system"], f["category"], strict=True)]
    out["systemic"] = _count_before(f[np.asarray(in_systemic, dtype=bool)] if len(f) else f, q)
    last = pd.to_datetime(_last_before(events.inspections, q))
    years = (q["date"].to_numpy() - last.to_numpy()) / np.timedelta64(1, "D") / 365.25
    # Never inspected on record: as if last inspected a full term (five years) ago.
    out["years_since_inspected"] = np.where(np.isnan(years), 5.0, np.minimum(years, 5.0))
    return out


def _precision_at_k(scores: np.ndarray, labels: np.ndarray) -> float:
    k = int(labels.sum())
    if k == 0:
        return float("nan")
    top = np.argsort(-scores, kind="stable")[:k]
    return float(labels[top].mean())


_TOUR_DAYS = 90  # a tour with neither an end date nor findings is taken as over this long after it began


def _known_before(
    view: GraphView, day: pd.Timestamp, events: _Events | None = None
) -> tuple[_Events, set[tuple[str, str]]]:
    """The dated events, with bid rings and systemic patterns as they were known before ``day`` (``events``
    given: the same events, only the ring wins replaced)."""
    rings = detect_bid_rings(view, before=day)
    ring_companies = {c for d in rings for c in d.where.get("companies", ())}
    systemic = {(d.details["system"], d.details["category"]) for d in detect_systemic_problems(view, before=day)}
    if events is None:
        return _Events(view, ring_companies, day), systemic
    known = copy.copy(events)
    known.ring_wins = _ring_wins(view, ring_companies)
    return known, systemic


def _past_features(view: GraphView, examples: pd.DataFrame, events: _Events) -> pd.DataFrame:
    """Features of past examples, each from what was known before it: rings and systemic patterns as of the
    first day of the example's year (counts of dated events strictly before the example's own date)."""
    years = pd.to_datetime(examples["date"]).dt.year
    parts = []
    for year, rows in examples.groupby(years, sort=True):
        known, systemic = _known_before(view, pd.Timestamp(int(year), 1, 1), events)
        part = target_features(view, rows, events=known, systemic_pairs=systemic)
        parts.append(part.set_axis(rows.index))
    return pd.concat(parts).reindex(examples.index)


def detect_targets(
    view: GraphView,
    *,
    as_of: dt.date | str | None = None,
    top: int | None = 1000,
    organisations: Iterable[str] | None = None,
    min_training_examples: int = 200,
    seed: int = 0,
    rest_months: int | None = 12,
) -> DetectorResult:
    """Rank organisations for the next round of inspection, as of a day.

    Parameters
    ----------
    view : GraphView
    as_of : date or ISO text, optional
        The day the next round starts; only records dated before it are used
        (default: the latest date in the graph).
    top : int or None
        How many of the ranked organisations to return (None: all).
    organisations : iterable of str, optional
        Rank only these (canonical ids or record keys), e.g. the units a round can reach; the model
        learns from all past outcomes either way.
    min_training_examples : int
        Past (tour, organisation) outcomes needed to learn weights; with fewer,
        the transparent weighted score is used.
    seed : int
        Random state of the model.
    rest_months : int or None
        A unit whose last tour began within this many months before ``as_of`` is ranked after every other
        unit, unless new evidence about it arrived after that tour began (a lead from outside the tours, a
        conflict-of-interest path or a tender won by a suspected ring); its evidence says which. None: no rest.

    Returns
    -------
    DetectorResult
        One detection per organisation, highest risk first; ``params`` holds
        the method and its validation figures.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cutoff = _as_timestamp(as_of, view)
    orgs = view.organisations
    # Ring members and systemic patterns, as known before the cut-off (findings after it are not used).
    events, systemic_pairs = _known_before(view, cutoff)
    # Past outcomes: each regular tour's targets, labelled by whether that tour found serious problems there.
    tours = view.tours[(view.tours["kind"].fillna("regular") != "lookback") & view.tours["start_date"].notna()]
    tours = tours[tours["start_date"] < cutoff]
    examples = view.inspected.merge(tours[["tour", "start_date"]], on="tour", how="inner")
    serious = view.findings[view.findings["severity"].isin(["serious", "severe"])]
    hit = set(zip(serious["tour"], serious["organisation"], strict=True))
    examples = examples.assign(
        date=examples["start_date"],
        label=[(t, o) in hit for t, o in zip(examples["tour"], examples["organisation"], strict=True)],
    )
    # A tour's findings come weeks after it starts: outcomes not yet known at the cut-off are not examples.
    # A tour's outcome is known once it ended and its last finding was written; a tour that found nothing
    # at a unit is a negative example then (not dropped, which would bias the labels).
    known = view.findings.groupby("tour")["found_date"].max()
    ended = view.tours.set_index("tour")["end_date"] if "end_date" in view.tours else pd.Series(dtype="datetime64[ns]")
    # (pandas cannot map through an empty Series of dates, as a scope without findings gives: then none is known.)
    last_finding = examples["tour"].map(known) if len(known) else pd.Series(pd.NaT, index=examples.index)
    end = examples["tour"].map(ended) if len(ended) else pd.Series(pd.NaT, index=examples.index)
    latest = pd.concat([pd.to_datetime(last_finding), pd.to_datetime(end)], axis=1).max(axis=1)
    latest = latest.fillna(pd.to_datetime(examples["start_date"]) + pd.Timedelta(days=_TOUR_DAYS))
    examples = examples[latest < cutoff].reset_index(drop=True)
    names = list(FEATURES)
    if organisations is not None:
        canonical = view.canonical("Organisation")
        wanted = {canonical.get(o, o) for o in organisations}
        orgs = orgs[orgs.index.isin(wanted)]
    candidates = pd.DataFrame({"organisation": orgs.index, "date": cutoff})
    x_now = target_features(view, candidates, events=events, systemic_pairs=systemic_pairs)[names]
    # Not ranked: the inspection offices themselves (they run the rounds), and names the graph knows nothing
    # else about (no tier from any directory and no record against them: a unit named once, often a slip).
    office = orgs["kind"].eq("inspection_office") if "kind" in orgs else pd.Series(False, index=orgs.index)
    ran = set(view.rel("RAN")["start"]) if view.counts().get("RAN") else set()
    named_office = orgs["name"].fillna("").str.contains(_OFFICE_NAME) if "name" in orgs else False
    office = office | orgs.index.isin(ran) | named_office
    evidence = x_now.drop(columns=["years_since_inspected"]).sum(axis=1).to_numpy() > 0
    unknown = orgs["tier"].isna().to_numpy() & ~evidence
    keep = ~office.to_numpy() & ~unknown
    not_ranked = {"inspection_offices": int(office.sum()), "unknown_names": int((unknown & ~office.to_numpy()).sum())}
    orgs, x_now = orgs[keep], x_now[keep].reset_index(drop=True)
    candidates = candidates[keep].reset_index(drop=True)
    params: dict = {
        "as_of": iso(cutoff),
        "examples": len(examples),
        "positives": int(examples["label"].sum()),
        "not_ranked": not_ranked,
    }
    use_model = len(examples) >= min_training_examples and 0 < examples["label"].sum() < len(examples)
    if use_model:
        x_past = _past_features(view, examples, events)[names]
        y = examples["label"].to_numpy(dtype=int)
        # Validate on the latest fifth of past tours, trained on those before: never on the future.
        order = np.argsort(examples["date"].to_numpy(), kind="stable")
        split = order[: int(len(order) * 0.8)], order[int(len(order) * 0.8) :]
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
        train, valid = split
        if 0 < y[train].sum() < len(train) and 0 < y[valid].sum() < len(valid):
            model.fit(np.log1p(x_past.iloc[train]), y[train])
            p_valid = model.predict_proba(np.log1p(x_past.iloc[valid]))[:, 1]
            baseline = x_past.iloc[valid]["findings"].to_numpy()
            params["validation"] = {
                "examples": len(valid),
                "roc_auc": round(float(roc_auc_score(y[valid], p_valid)), 4),
                "precision_at_k": round(_precision_at_k(p_valid, y[valid]), 4),
                "precision_at_k_most_findings": round(_precision_at_k(baseline, y[valid]), 4),
                "precision_at_k_random": round(float(y[valid].mean()), 4),
            }
        model.fit(np.log1p(x_past), y)
        scaler, logit = model.named_steps["standardscaler"], model.named_steps["logisticregression"]
        z = (np.log1p(x_now) - scaler.mean_) / scaler.scale_
        contributions = z * logit.coef_[0]
        scores = model.predict_proba(np.log1p(x_now))[:, 1]
        params["method"] = "logistic regression on past tours' outcomes"
        params["weights"] = {n: round(float(w), 4) for n, w in zip(names, logit.coef_[0], strict=True)}
    else:
        weights = np.array([FEATURES[n][1] for n in names])
        contributions = np.log1p(x_now) * weights
        scores = contributions.sum(axis=1).to_numpy()
        params["method"] = "transparent weighted score (too few past outcomes to learn from)"
        params["weights"] = {n: FEATURES[n][1] for n in names}
    last = pd.to_datetime(_last_before(events.inspections, candidates))
    since = candidates.assign(date=last.fillna(cutoff))
    new_evidence = {
        kind: _count_before(frame, candidates) - _count_before(frame, since)
        for kind, frame in (
            ("leads", events.outside_leads),
            ("conflicts", events.conflicts),
            ("ring_wins", events.ring_wins),
        )
    }
    fresh = sum(new_evidence.values())
    rest_start = cutoff - pd.DateOffset(months=rest_months) if rest_months else None
    recent = np.asarray(last >= rest_start, dtype=bool) if rest_start is not None else np.zeros(len(orgs), dtype=bool)
    resting = recent & (np.asarray(fresh) <= 0)
    params["rest_months"] = rest_months
    # A resting unit's score is its risk less the spread of all risks (and 1), so it sorts after every other
    # unit; details["risk"] keeps the risk itself.
    risk = np.asarray(scores, dtype=float)
    offset = float(risk.max() - risk.min() + 1.0) if len(risk) else 0.0
    ranked_score = np.where(resting, risk - offset, risk)
    ranked = np.lexsort((-risk, resting))
    if top is not None:
        ranked = ranked[:top]
    detections = []
    for i in ranked:
        org = orgs.index[i]
        feats = x_now.iloc[i]
        contrib = contributions.iloc[i] if isinstance(contributions, pd.DataFrame) else contributions[i]
        best = [n for n in pd.Series(contrib, index=names).sort_values(ascending=False).index if feats[n] > 0][:3]
        tier, region = orgs.at[org, "tier"], orgs.at[org, "region_code"]
        relay = _relay_office(tier, region)
        reasons = [say(f"targets.reason.{n}", value=_feature_value(n, feats[n])) for n in best]
        last_day = last[i] if not pd.isna(last[i]) else None
        new_here = {k: int(v[i]) for k, v in new_evidence.items() if v[i] > 0}
        if recent[i]:
            months = max(1, round((cutoff - last_day).days / 30.44))
            if resting[i]:
                note = say("targets.resting", months=months, day=date_text(last_day))
            else:
                what = term("word.and").join(say(f"targets.new.{k}", n=n) for k, n in new_here.items())
                note = say("targets.recent_but_new", months=months, day=date_text(last_day), what=what)
        else:
            note = ""
        summary = say(
            "targets.summary",
            unit=view.name_of("Organisation", org),
            reasons=term("word.and").join(reasons) or term("targets.no_record"),
        )
        if note:
            summary += say("targets.note", note=note)
        if relay:
            summary += say("targets.relay", office=office_name(relay))
        evidence = [
            Evidence(term("role.risk_feature"), "Screen", f"{org}|{n}", reason)
            for n, reason in zip(best, reasons, strict=True)
        ]
        if note:
            evidence.append(Evidence(term("role.last_tour"), "Screen", f"{org}|last-tour", note, iso(last_day)))
        detections.append(
            Detection(
                detector=NAME,
                kind="target",
                subject=org,
                score=round(float(ranked_score[i]), 6),
                summary=summary,
                where={"organisations": (org,)},
                evidence=tuple(evidence),
                details={
                    **{n: round(float(feats[n]), 3) for n in names},
                    "tier": tier if isinstance(tier, str) else None,
                    "system": orgs.at[org, "system"] if isinstance(orgs.at[org, "system"], str) else None,
                    "relay_to": relay,
                    "top_features": best,
                    "reasons": reasons,
                    "risk": round(float(risk[i]), 6),
                    "last_inspected": iso(last_day),
                    "resting": bool(resting[i]),
                    "new_evidence_since": new_here,
                },
            )
        )
    return DetectorResult(
        NAME, detections, params={**params, "top": top}, stats={"organisations": len(orgs), "ranked": len(detections)}
    )


# An inspection office by its name: 巡察办, 巡视办, 中共X委巡察工作领导小组办公室.
_OFFICE_NAME = r"(?:巡视|巡察)(?:工作领导小组)?办(?:公室)?$"


def _relay_office(tier: object, region: object) -> str | None:
    """The inspection office whose round should take this target, as the region code of its own tier's office
    (巡视办 / 巡察办); ``analytics.terms.office_name`` names it."""
    if not isinstance(region, str) or len(region) != 6:
        return None
    if tier == "province" or region.endswith("0000"):
        return region[:2] + "0000"
    if tier == "city" or region.endswith("00"):
        return f"{region[:4]}00"
    return region


def _feature_value(name: str, value: float) -> str:
    return f"{value:.1f}" if name == "years_since_inspected" else str(int(round(value)))

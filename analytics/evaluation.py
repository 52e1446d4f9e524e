"""Score detectors against a generated dataset's truth (``liandong evaluate``).

The generator's ``truth.json`` names things by the true world's ids; its
``truth_entities.csv`` says which export cell names which true entity or
record. :class:`ingest.evaluation.ExportTruth` reads those cells back through
the mappings, so each graph id a detector reports can be translated to the
true entity most of its records name, and compared with the truth:

==================== =========================================================
detector             items compared
==================== =========================================================
systemic-problems    (system, category)
recurrence           (first finding, later finding)
bid-rings            pairs of companies put in one ring (pairwise, like ER)
conflict-of-interest (cadre, company, tender)
duplicate-leads      pairs of lead records that are one allegation (pairwise)
overdue-transfers    transfer
inspector-ties       (tour, inspector, target organisation)
targets              precision at k = number of held-out organisations with
                     serious problems, among the held-out round's targets
==================== =========================================================
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ingest.evaluation import ExportTruth, entity_resolution_scores

from .base import DetectorResult

__all__ = ["score_sets", "evaluate_detectors", "evaluation_params", "load_truth"]


def score_sets(predicted: Iterable[Any], actual: Iterable[Any]) -> dict[str, Any]:
    """Precision, recall and F1 of a predicted set against a true set."""
    p, a = set(predicted), set(actual)
    hit = len(p & a)
    precision = hit / len(p) if p else (1.0 if not a else 0.0)
    recall = hit / len(a) if a else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted": len(p),
        "true": len(a),
        "hits": hit,
    }


def _pairs(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for group in groups:
        out.update(itertools.combinations(sorted(set(group)), 2))
    return out


def load_truth(path: str | Path) -> dict[str, Any]:
    """Read a generator's ``truth.json``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _truth_items(name: str, truth: Mapping[str, Any], et: ExportTruth) -> set[Any]:
    """The truth's items, in true ids (lead records, which are one-to-one with graph keys, as keys)."""
    if name == "systemic-problems":
        return {(p["system"], p["category"]) for p in truth["systemic_problems"]}
    if name == "recurrence":
        return {(r["first_finding"], r["later_finding"]) for r in truth["recurrence"]}
    if name == "conflict-of-interest":
        return {(r["cadre"], r["company"], r["tender"]) for r in truth["conflict_of_interest"]}
    if name == "overdue-transfers":
        return {r["transfer"] for r in truth["overdue_transfers"]}
    if name == "inspector-ties":
        return {(r["tour"], r["inspector"], r["target"]) for r in truth["inspector_ties"]}
    if name == "duplicate-leads":
        records: dict[str, list[str]] = {}
        for key, lead in et.items["lead"]:
            records.setdefault(lead, []).append(key)
        wanted = {r["lead"] for r in truth["duplicate_leads"]}
        return _pairs(keys for lead, keys in records.items() if lead in wanted)
    if name == "bid-rings":
        return _pairs(ring["members"] for ring in truth["bid_rings"])
    raise KeyError(name)


def _predicted_items(name: str, result: DetectorResult, et: ExportTruth) -> set[Any]:
    """A detector's items, translated to true ids (a graph id no truth cell maps to stays as it is)."""

    def w(kind: str, graph_id: Any) -> Any:
        return et.true_id(kind, graph_id) or graph_id

    dets = result.detections
    if name == "systemic-problems":  # the truth's patterns are cross-tier; single-tier hits are another kind
        return {(d.details["system"], d.details["category"]) for d in dets if d.kind == "cross-tier"}
    if name == "recurrence":
        return {
            (w("finding", p["first_finding"]), w("finding", p["later_finding"]))
            for d in dets
            for p in d.details["pairs"]
        }
    if name == "conflict-of-interest":
        return {
            (w("person", d.details["cadre"]), w("company", d.details["company"]), w("tender", d.details["tender"]))
            for d in dets
        }
    if name == "overdue-transfers":
        return {w("transfer", d.details["transfer"]) for d in dets}
    if name == "inspector-ties":
        return {
            (w("tour", d.details["tour"]), w("person", d.details["inspector"]), w("organisation", d.details["target"]))
            for d in dets
        }
    if name == "duplicate-leads":
        return _pairs(d.where["leads"] for d in dets)
    if name == "bid-rings":
        return _pairs([w("company", c) for c in d.where["companies"]] for d in dets)
    raise KeyError(name)


def _targets_score(result: DetectorResult, truth: Mapping[str, Any], et: ExportTruth) -> dict[str, Any]:
    t = truth["targets"]
    inspected, positive = set(t["inspected"]), set(t["serious_problems_found"])
    rows: dict[str, tuple[float, float]] = {}
    for d in result.detections:
        org = et.true_id("organisation", d.subject)
        if org is not None and org in inspected and org not in rows:
            rows[org] = (d.score, float(d.details.get("findings", 0.0)))
    k = len(positive)

    def precision(order: list[str]) -> float:
        return len(set(order[:k]) & positive) / k if k else 1.0

    by_model = sorted(rows, key=lambda o: (-rows[o][0], o))
    by_findings = sorted(rows, key=lambda o: (-rows[o][1], o))
    p = precision(by_model)
    return {
        "precision": round(p, 4),
        "recall": round(p, 4),  # at k = number of positives, recall equals precision
        "f1": round(p, 4),
        "k": k,
        "ranked": len(rows),
        "inspected": len(inspected),
        "precision_random": round(k / len(inspected), 4) if inspected else 0.0,
        "precision_most_findings": round(precision(by_findings), 4),
        "as_of": result.params.get("as_of"),
    }


def evaluation_params(truth: Mapping[str, Any], export_truth: ExportTruth | None = None) -> dict[str, dict[str, Any]]:
    """The parameters each detector must have run with to be judged against ``truth``.

    Deadlines are judged on the truth's day; targets are ranked as of the held-out round's start
    (anything later would be the answer leaking in), all of them, or with ``export_truth`` only the
    organisations the held-out round inspected (the same ranking, less to write).
    """
    out: dict[str, dict[str, Any]] = {"overdue-transfers": {"as_of": truth.get("as_of")}}
    targets = truth.get("targets", {})
    if targets.get("round_start"):
        out["targets"] = {"as_of": targets["round_start"], "top": None}
        if export_truth is not None:
            graph_ids = {export_truth.graph_id("organisation", o) for o in targets["inspected"]}
            out["targets"]["organisations"] = sorted(g for g in graph_ids if g)
    return out


def evaluate_detectors(
    results: Mapping[str, DetectorResult],
    truth: Mapping[str, Any],
    export_truth: ExportTruth,
    *,
    with_entity_resolution: bool = True,
) -> dict[str, Any]:
    """Scores per detector (and for entity resolution) in the shape ``liandong evaluate --json`` prints.

    Parameters
    ----------
    results : mapping of detector name to DetectorResult
    truth : the generator's ``truth.json``, loaded
    export_truth : ExportTruth of the same exports in the same graph

    Returns
    -------
    dict
        ``{"detectors": {name: {"precision", "recall", "f1", ...}}, "entity_resolution": {...}}``
    """
    out: dict[str, Any] = {"detectors": {}}
    for name, result in results.items():
        if name == "targets":
            out["detectors"][name] = _targets_score(result, truth, export_truth)
            continue
        try:
            actual = _truth_items(name, truth, export_truth)
        except KeyError:
            continue  # a detector the truth does not cover (profiles)
        out["detectors"][name] = score_sets(_predicted_items(name, result, export_truth), actual)
    if with_entity_resolution:
        er = entity_resolution_scores(export_truth.backend, export_truth.exports, truth=export_truth)
        out["entity_resolution"] = {
            {"person": "cadre"}.get(kind, kind): {k: v for k, v in scores.items()} for kind, scores in er.items()
        }
    return out

"""The detectors by their CLI names, and running several on one graph.

>>> from analytics import run_detectors              # doctest: +SKIP
>>> results = run_detectors(backend, ["recurrence"])  # doctest: +SKIP
>>> results["recurrence"].to_frame().head()           # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmodel import GraphBackend

from .base import DetectorError, DetectorResult
from .bid_rings import detect_bid_rings
from .conflict import detect_conflicts
from .duplicate_leads import detect_duplicate_leads
from .graphview import GraphView
from .inspector_ties import detect_inspector_ties
from .overdue_transfers import detect_overdue_transfers
from .profiles import detect_profiles
from .recurrence import detect_recurrence
from .systemic import detect_systemic_problems
from .targets import detect_targets

__all__ = [
    "DetectorSpec",
    "DETECTORS",
    "run_detectors",
    "write_results",
    "read_results",
    "reuse_results",
    "detector_names",
    "register",
]

RUN_FILE = "runs.json"


@dataclass(frozen=True)
class DetectorSpec:
    """One registered detector: its CLI name, a title for people, and the function."""

    name: str
    title: str
    function: Callable[..., DetectorResult]

    @property
    def parameters(self) -> tuple[str, ...]:
        """Keyword parameters the detector accepts."""
        return tuple(p for p in inspect.signature(self.function).parameters if p != "view")

    def run(self, view: GraphView, **params: Any) -> DetectorResult:
        """Run with the parameters it accepts (others are ignored, so one set can feed every detector)."""
        accepted = {k: v for k, v in params.items() if k in self.parameters}
        return view.memo(self.name, accepted, lambda: self.function(view, **accepted))


DETECTORS: dict[str, DetectorSpec] = {}


def register(name: str, title: str, function: Callable[..., DetectorResult]) -> None:
    """Add a detector to the registry (kebab-case ``name``)."""
    DETECTORS[name] = DetectorSpec(name, title, function)


register("systemic-problems", "共性问题 systemic problems across tiers", detect_systemic_problems)
register("recurrence", "反弹回潮 problems back after rectification", detect_recurrence)
register("bid-rings", "围标串标 companies bidding together in tight-priced tenders", detect_bid_rings)
register("conflict-of-interest", "利益冲突 cadres' firms bidding at their organisation", detect_conflicts)
register("duplicate-leads", "重复线索 one allegation handled by several departments", detect_duplicate_leads)
register("overdue-transfers", "移交逾期 transfers without feedback by the deadline", detect_overdue_transfers)
register("inspector-ties", "回避 inspectors tied to their targets", detect_inspector_ties)
register("targets", "精准制导 next round's targets, ranked by risk", detect_targets)
register("profiles", "政治生态画像 organisations' records and teams' quality", detect_profiles)


def detector_names() -> list[str]:
    """Registered names, in registry order."""
    return list(DETECTORS)


def run_detectors(
    source: GraphBackend | GraphView,
    names: Iterable[str] | None = None,
    *,
    as_of: dt.date | str | None = None,
    seed: int = 0,
    measure: bool = False,
    scope: str | None = None,
    **params: Any,
) -> dict[str, DetectorResult]:
    """Run detectors on one graph, sharing the frames they read.

    Parameters
    ----------
    source : GraphBackend or GraphView
    names : iterable of str, optional
        Registry names (default: all).
    as_of : date or ISO text, optional
        The day to judge deadlines and recency on (default: each detector's own default).
    seed : int
        For detectors with randomness.
    scope : str, optional
        A 6-digit region code: analyse only that jurisdiction and its subtree (see :class:`GraphView`);
        ignored when ``source`` is already a view.
    measure : bool
        Record each detector's wall time and peak traced memory in its ``stats``
        (``seconds``, ``peak_mb``); tracing memory slows Python down, so off by default.
    **params
        Further keyword parameters, passed to the detectors that accept them.

    Returns
    -------
    dict of str to DetectorResult
    """
    view = source if isinstance(source, GraphView) else GraphView(source, scope=scope)
    chosen = list(names) if names else detector_names()
    unknown = [n for n in chosen if n not in DETECTORS]
    if unknown:
        raise DetectorError(f"unknown detector {', '.join(unknown)}; the detectors are: {', '.join(DETECTORS)}")
    results = {}
    for name in chosen:
        started = time.perf_counter()
        if measure:
            tracemalloc.start()
        try:
            common = {"as_of": as_of} if as_of is not None else {}
            result = DETECTORS[name].run(view, seed=seed, **common, **params)
        finally:
            peak = tracemalloc.get_traced_memory()[1] if measure else 0
            if measure:
                tracemalloc.stop()
        result.stats["seconds"] = round(time.perf_counter() - started, 3)
        result.params["scope"] = view.scope
        if measure:
            result.stats["peak_mb"] = round(peak / 2**20, 1)
        results[name] = result
    return results


def write_results(
    results: Mapping[str, DetectorResult], folder: str | Path, *, run: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Path]]:
    """Write every result's CSV, evidence CSV and JSON into ``folder``, plus ``summary.json``.

    ``run`` says what the results were asked for (``graph``: the view's
    :meth:`~analytics.graphview.GraphView.fingerprint`; ``scope``, ``as_of``,
    ``seed``, ``reveal_secrets`` as given). It is kept per detector in
    ``runs.json``, so that :func:`reuse_results` can tell whether a later
    export may use a result as it is.
    """
    folder = Path(folder)
    paths = {name: result.write(folder) for name, result in results.items()}
    runs_path = folder / RUN_FILE
    runs = _read_runs(folder)
    for name in results:
        if run is None:
            runs.pop(name, None)  # written without saying how: never reused
        else:
            runs[name] = {**run, "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    runs_path.write_text(json.dumps(runs, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    summary = {
        name: {"detections": len(r), "params": r.to_json()["params"], "stats": r.to_json()["stats"]}
        for name, r in results.items()
    }
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths


def read_results(folder: str | Path, names: Iterable[str] | None = None) -> dict[str, DetectorResult]:
    """Read the results ``liandong analyze`` wrote into ``folder`` (those present)."""
    folder = Path(folder)
    out = {}
    for name in names or detector_names():
        path = folder / f"{name}.json"
        if path.exists():
            out[name] = DetectorResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    return out


def result_runs(folder: str | Path) -> dict[str, dict[str, Any]]:
    """What each result in ``folder`` was asked for (see :func:`write_results`), by detector name."""
    return _read_runs(Path(folder))


def _read_runs(folder: Path) -> dict[str, dict[str, Any]]:
    try:
        runs = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return runs if isinstance(runs, dict) else {}


def reuse_results(
    view: GraphView,
    folder: str | Path,
    names: Iterable[str],
    *,
    as_of: dt.date | str | None = None,
    seed: int = 0,
    reveal_secrets: bool = False,
) -> tuple[dict[str, DetectorResult], dict[str, str]]:
    """The results ``liandong analyze`` wrote into ``folder`` that answer exactly this request.

    A result is reused only if it was computed on this very graph (same
    :meth:`~analytics.graphview.GraphView.fingerprint`), for the same scope,
    with the same ``as_of`` (as given: both unset, or the same day), seed and
    secrets setting. A result written with secrets is never handed to a request
    without them, nor the other way round.

    Returns
    -------
    (results, reasons)
        The reusable results by name, and for each other name why it must be run again.
    """
    folder = Path(folder)
    runs = _read_runs(folder)
    wanted = {
        "scope": view.scope,
        "as_of": None if as_of is None else str(as_of).strip(),
        "seed": seed,
        "reveal_secrets": bool(reveal_secrets),
    }
    found: dict[str, DetectorResult] = {}
    reasons: dict[str, str] = {}
    fingerprint: str | None = None
    for name in names:
        run = runs.get(name)
        if run is None or not (folder / f"{name}.json").exists():
            reasons[name] = "not in the analyses folder"
            continue
        differs = [k for k, v in wanted.items() if run.get(k) != v]
        if differs:
            reasons[name] = "analysed with another " + ", ".join(k.replace("_", "-") for k in differs)
            continue
        if fingerprint is None:
            fingerprint = view.fingerprint()
        if run.get("graph") != fingerprint:
            reasons[name] = "the graph changed since it was analysed"
            continue
        try:
            found[name] = DetectorResult.from_json(json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            reasons[name] = f"its file could not be read ({exc})"
    return found, reasons

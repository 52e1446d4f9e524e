"""The detectors by their CLI names, what each needs from the graph, and running several on one graph.

>>> from analytics import run_detectors              # doctest: +SKIP
>>> results = run_detectors(backend, ["recurrence"])  # doctest: +SKIP
>>> results["recurrence"].to_frame().head()           # doctest: +SKIP

Each entry declares the records its detector cannot do without
(:class:`Requirement`: labels and relationship types, in an analyst's words)
and the columns of its frame. A graph may hold any subset of the data kinds
(only procurement, say): a detector whose inputs the graph does not hold is
skipped, and its result says so (``status == "skipped"``, ``skipped`` the
reason, ``missing`` the labels and types), which :func:`outcome_line` puts in
one line for a person.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import re
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .base import DetectorError, DetectorResult, InputsAbsent
from .terms import lang, say, term

if TYPE_CHECKING:
    from graphmodel import GraphBackend

    from .graphview import GraphView

__all__ = [
    "Requirement",
    "DetectorSpec",
    "DETECTORS",
    "run_detectors",
    "run_and_write",
    "write_results",
    "read_results",
    "reuse_results",
    "detector_names",
    "outcome_line",
    "reader_line",
    "register",
]

RUN_FILE = "runs.json"


@dataclass(frozen=True)
class Requirement:
    """Records a detector cannot do without: present when the graph holds any of ``any_of``.

    Parameters
    ----------
    zh, en : str
        What an analyst calls these records (``"整改台账"``, ``"rectifications"``).
    any_of : tuple of str
        Declared labels or relationship types that hold them; one with a record is enough.
    """

    zh: str
    en: str
    any_of: tuple[str, ...]

    def met(self, counts: Mapping[str, int]) -> bool:
        """Whether the graph (its counts per label and relationship type) holds any of these records."""
        return any(counts.get(name, 0) > 0 for name in self.any_of)


@dataclass(frozen=True)
class DetectorSpec:
    """One registered detector: its CLI name, a title for people, the function, its inputs and its columns.

    Parameters
    ----------
    name : str
        Kebab-case CLI name.
    title : str
        The Chinese term, a space, then what it finds in English (``"反弹回潮 problems back after …"``).
    function : callable
        ``function(view, **params) -> DetectorResult``.
    requires : tuple of Requirement
        All must be met for the detector to run; otherwise it is skipped.
    columns : tuple of str
        The columns of its result's frame (:meth:`~analytics.base.DetectorResult.to_frame`), found or not.
    """

    name: str
    title: str
    function: Callable[..., DetectorResult] | str
    requires: tuple[Requirement, ...] = ()
    columns: tuple[str, ...] = ()

    @property
    def fn(self) -> Callable[..., DetectorResult]:
        """The detector function (``function`` may name it as ``".module:name"``, imported on first use so
        that listing the detectors does not load every one of them)."""
        if isinstance(self.function, str):
            module, _, attr = self.function.partition(":")
            return getattr(importlib.import_module(module, __package__), attr)  # type: ignore[no-any-return]
        return self.function

    @property
    def parameters(self) -> tuple[str, ...]:
        """Keyword parameters the detector accepts."""
        return tuple(p for p in inspect.signature(self.fn).parameters if p != "view")

    @property
    def short_title(self) -> str:
        """The Chinese term of the title (``"反弹回潮"``)."""
        return self.title.split(" ", 1)[0]

    @property
    def needs(self) -> tuple[str, str]:
        """What it needs from the graph, in Chinese and in English (``("发现问题和整改台账", "findings and …")``)."""
        return _join([r.zh for r in self.requires], "、", "和"), _join([r.en for r in self.requires])

    def missing(self, counts: Mapping[str, int]) -> tuple[Requirement, ...]:
        """The requirements the graph with these counts (per label and relationship type) does not meet."""
        return tuple(r for r in self.requires if not r.met(counts))

    def skip_reason(self, missing: Iterable[Requirement]) -> str:
        """Why the detector is skipped, Chinese first: what it needs, and which of it the graph lacks."""
        missing = tuple(missing)
        needs_zh, needs_en = self.needs
        if set(missing) >= set(self.requires):
            none = "none of them" if len(self.requires) > 1 else "none"
            return f"需要{needs_zh}，本图中没有 (skipped: needs {needs_en}; the graph holds {none})"
        absent = "; ".join(" or ".join(r.any_of) for r in missing)
        return (
            f"需要{needs_zh}，本图中没有{_join([r.zh for r in missing], '、', '和')} "
            f"(skipped: needs {needs_en}; not in the graph: {absent})"
        )

    def run(self, view: GraphView, **params: Any) -> DetectorResult:
        """Run with the parameters it accepts (others are ignored, so one set can feed every detector).

        Skipped (a result with ``skipped`` set, no detections) when the graph lacks a requirement, or
        when the detector finds its inputs absent from the view's scope (:class:`~analytics.base.InputsAbsent`).
        """
        accepted = {k: v for k, v in params.items() if k in self.parameters}
        missing = self.missing(view.counts())
        if missing:
            absent = tuple(name for r in missing for name in r.any_of)
            reason = self.skip_reason(missing)
            return DetectorResult(self.name, [], accepted, columns=self.columns, skipped=reason, missing=absent)
        result = view.memo(self.name, accepted, lambda: self._call(view, accepted))
        if not result.columns:
            result.columns = self.columns
        return result

    def _call(self, view: GraphView, params: dict[str, Any]) -> DetectorResult:
        try:
            return self.fn(view, **params)
        except InputsAbsent as exc:
            return DetectorResult(self.name, [], params, columns=self.columns, skipped=str(exc))


def _join(words: list[str], comma: str = ", ", last: str = " and ") -> str:
    # "a, b and c"; 甲、乙和丙
    if len(words) < 2:
        return "".join(words)
    return comma.join(words[:-1]) + last + words[-1]


DETECTORS: dict[str, DetectorSpec] = {}


def register(
    name: str,
    title: str,
    function: Callable[..., DetectorResult] | str,
    *,
    requires: Iterable[Requirement] = (),
    columns: Iterable[str] = (),
) -> None:
    """Add a detector to the registry (kebab-case ``name``); see :class:`DetectorSpec` for the rest."""
    DETECTORS[name] = DetectorSpec(name, title, function, tuple(requires), tuple(columns))


# What the detectors read, as the tiers' exports hold it (labels and relationship types of graphmodel/schema).
FINDINGS = Requirement("发现问题", "findings", ("Finding",))
RECTIFICATIONS = Requirement("整改台账", "rectifications", ("Rectification",))
RECTIFIED_FINDINGS = Requirement("整改所对应的问题", "rectifications linked to their findings", ("RECTIFIES",))
BIDS = Requirement("招投标记录", "bids on tenders", ("BID_ON",))
BUYERS = Requirement("招标单位", "the organisations that issued the tenders", ("ISSUED",))
POSTS = Requirement("干部任职", "cadres' posts", ("SERVES_AT",))
COMPANY_PEOPLE = Requirement(
    "企业的高管或股东（企业登记或个人有关事项）",
    "officers or shareholders of firms",
    ("OFFICER_OF", "SHAREHOLDER_OF"),
)
LEADS = Requirement("问题线索", "leads", ("Lead",))
LEAD_DEPARTMENTS = Requirement("线索受理部门", "the departments that registered the leads", ("RECEIVED",))
TRANSFERS = Requirement("线索移交台账", "transfers of leads", ("Transfer",))
TOURS = Requirement("巡视巡察", "tours", ("Tour",))
TEAM_MEMBERS = Requirement("巡察组人员", "tour team members", ("MEMBER_OF",))
INSPECTED = Requirement("被巡察单位", "the organisations each tour inspected", ("INSPECTED",))
ORGANISATIONS = Requirement("单位", "organisations", ("Organisation",))
DATED_RECORDS = Requirement(
    "带日期的记录（发现问题、问题线索、线索移交或招投标之一）",
    "dated records (findings, leads, transfers or tenders)",
    ("Finding", "Lead", "Transfer", "Tender"),
)
INSPECTION_RECORDS = Requirement(
    "巡视巡察、发现问题或问题线索", "tours, findings or leads", ("Tour", "Finding", "Lead")
)

register(
    "systemic-problems",
    "共性问题 systemic problems across tiers",
    ".systemic:detect_systemic_problems",
    requires=(FINDINGS,),
    columns=(
        *("subject", "kind", "score", "summary", "organisations", "findings", "system", "category", "tiers"),
        *("p_value", "q_value", "ratio", "units_with", "expected_units", "organisations_by_tier", "per_tier"),
        "evidence",
    ),
)
register(
    "recurrence",
    "反弹回潮 problems back after rectification",
    ".recurrence:detect_recurrence",
    requires=(FINDINGS, RECTIFICATIONS, RECTIFIED_FINDINGS),
    columns=(
        *("subject", "kind", "score", "summary", "organisations", "findings", "rectifications", "category"),
        *("organisation", "first_finding", "rectification", "reported", "later_finding", "found", "days_after"),
        *("verified", "successor", "pairs", "recurrence_rate", "base_rate", "base_rate_ratio", "base_rate_p"),
        "evidence",
    ),
)
register(
    "surges",
    "异常激增 findings rising far beyond a region's own past",
    ".surges:detect_surges",
    requires=(FINDINGS,),
    columns=(
        *("subject", "kind", "score", "summary", "organisations", "findings", "region_code", "system", "period"),
        *("observed", "expected", "ratio", "phi", "p_value", "q_value", "history", "evidence"),
    ),
)
register(
    "bid-rings",
    "围标串标 companies bidding together, pricing together and taking turns to win",
    ".bid_rings:detect_bid_rings",
    requires=(BIDS,),
    columns=(
        *("subject", "kind", "score", "summary", "companies", "tenders", "organisations", "cadres", "members"),
        *("meetings", "tail_meetings", "side", "pairs", "pair_q_min", "winners", "rotation", "price_lock"),
        *("shared_contacts", "buyers", "red_flags"),
        *("cadres_at_buyers", "member_bids", "evidence"),
    ),
)
register(
    "red-flags",
    "招投标风险信号 Cardinal's red flags on tenders, and the buyers they gather at",
    ".red_flags:detect_red_flags",
    requires=(Requirement("招标项目", "tenders", ("Tender",)),),
    columns=(
        *("subject", "kind", "score", "summary", "tenders", "organisations", "companies", "cadres"),
        *("indicator", "ocid", "value", "threshold", "level", "party", "buyer", "processes", "flagged"),
        *("overall_rate", "p_value", "q_value", "evidence"),
    ),
)
register(
    "conflict-of-interest",
    "利益冲突 cadres' firms bidding at their organisation",
    ".conflict:detect_conflicts",
    requires=(BIDS, BUYERS, POSTS, COMPANY_PEOPLE),
    columns=(
        *("subject", "kind", "score", "summary", "cadres", "relatives", "companies", "tenders", "organisations"),
        *("cadre", "via", "relation", "role", "company", "tender", "buyer", "announced", "won", "evidence"),
    ),
)
register(
    "duplicate-leads",
    "重复线索 one allegation handled by several departments",
    ".duplicate_leads:detect_duplicate_leads",
    requires=(LEADS, LEAD_DEPARTMENTS),
    columns=(
        *("subject", "kind", "score", "summary", "leads", "departments", "organisations", "cadres", "category"),
        *("records", "days_apart", "evidence"),
    ),
)
register(
    "overdue-transfers",
    "移交逾期 transfers without feedback by the deadline",
    ".overdue_transfers:detect_overdue_transfers",
    requires=(TRANSFERS,),
    columns=(
        *("subject", "kind", "score", "summary", "transfers", "leads", "organisations", "transfer", "lead"),
        *("recipient", "deadline", "feedback", "days_late", "evidence"),
    ),
)
register(
    "inspector-ties",
    "回避 inspectors tied to their targets",
    ".inspector_ties:detect_inspector_ties",
    requires=(TOURS, TEAM_MEMBERS, INSPECTED, POSTS),
    columns=(
        *("subject", "kind", "score", "summary", "tours", "inspectors", "organisations", "relatives", "tour"),
        *("inspector", "target", "ties", "role", "swap_with", "swap_tour", "evidence"),
    ),
)
register(
    "targets",
    "精准制导 next round's targets, ranked by risk",
    ".targets:detect_targets",
    requires=(ORGANISATIONS, DATED_RECORDS),
    columns=(
        *("subject", "kind", "score", "summary", "organisations", "findings", "serious_findings"),
        *("recent_findings", "categories", "recurrences", "leads", "transfers", "conflicts", "ring_wins"),
        "red_flags",
        *("systemic", "years_since_inspected", "tier", "system", "relay_to", "top_features", "reasons", "risk"),
        *("last_inspected", "resting", "new_evidence_since", "evidence"),
    ),
)
register(
    "profiles",
    "政治生态画像 organisations' records and teams' quality",
    ".profiles:detect_profiles",
    requires=(INSPECTION_RECORDS,),
    columns=(
        # one row per team (team-quality) and per organisation (organisation-profile); each fills its own
        *("subject", "kind", "score", "summary", "tours", "teams", "level", "tour_kind", "team", "round"),
        *("start_date", "days", "targets", "findings", "serious", "per_team_day", "rectified", "verified"),
        *("rectified_share", "organisations", "tier", "system", "findings_by_year", "rectification", "leads"),
        *("peer_rank", "peers", "evidence"),
    ),
)


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
    errors: Literal["raise", "keep"] = "raise",
    on_result: Callable[[DetectorResult], None] | None = None,
    **params: Any,
) -> dict[str, DetectorResult]:
    """Run detectors on one graph, sharing the frames they read.

    A detector whose inputs the graph does not hold (see :class:`DetectorSpec`'s ``requires``) is not run:
    its result has ``status == "skipped"`` and ``skipped`` says which records it needs.

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
    errors : {"raise", "keep"}
        What a detector's exception does: ``"raise"`` it (the others' results are lost), or ``"keep"`` it
        as that detector's result (``status == "failed"``, ``failed`` a message for a person, the traceback
        in ``stats["traceback"]``) and go on with the others.
    on_result : callable, optional
        Called with each result as it is ready (to write it, or report progress), in ``names`` order.
    **params
        Further keyword parameters, passed to the detectors that accept them.

    Returns
    -------
    dict of str to DetectorResult
    """
    import pandas as pd

    from .graphview import GraphView

    view = source if isinstance(source, GraphView) else GraphView(source, scope=scope)
    chosen = list(names) if names else detector_names()
    unknown = [n for n in chosen if n not in DETECTORS]
    if unknown:
        raise DetectorError(f"unknown detector {', '.join(unknown)}; the detectors are: {', '.join(DETECTORS)}")
    if errors not in ("raise", "keep"):
        raise DetectorError('errors is "raise" or "keep"')
    if as_of is not None:
        try:
            pd.Timestamp(as_of)
        except ValueError as exc:  # said once, not once per detector that judges on it
            raise DetectorError(f"as_of {as_of!r} is not a date; write it as 2024-12-31") from exc
    results = {}
    for name in chosen:
        spec = DETECTORS[name]
        started = time.perf_counter()
        if measure:
            tracemalloc.start()
        try:
            common = {"as_of": as_of} if as_of is not None else {}
            result = spec.run(view, seed=seed, **common, **params)
        except Exception as exc:
            if errors == "raise":
                raise
            result = DetectorResult(
                name,
                [],
                {k: v for k, v in {"as_of": as_of, "seed": seed, **params}.items() if k in spec.parameters},
                stats={"traceback": traceback.format_exc()},
                columns=spec.columns,
                failed=_failure_message(exc),
            )
        finally:
            peak = tracemalloc.get_traced_memory()[1] if measure else 0
            if measure:
                tracemalloc.stop()
        result.stats["seconds"] = round(time.perf_counter() - started, 3)
        result.params["scope"] = view.scope
        if measure:
            result.stats["peak_mb"] = round(peak / 2**20, 1)
        results[name] = result
        if on_result is not None:
            on_result(result)
    from graphmodel.audit import audit

    audit(
        view.backend,
        "analyze",
        scope=view.scope,
        as_of=None if as_of is None else str(as_of),
        detectors={n: r.status for n, r in results.items()},
    )
    return results


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, DetectorError):
        return str(exc)  # the library's own words: a parameter to correct, or data to add
    # Anything else is a fault in liandong, not in the data or the command.
    return (
        f"{type(exc).__name__}: {exc} — liandong 内部错误，不是数据问题；请把 traceback 报给维护者 "
        f"(an internal error in liandong, not a problem with the data; report it with the traceback, which the "
        f"result keeps)"
    )


def outcome_line(result: DetectorResult) -> str:
    """One line for a person: ``name（中文）: 跳过 — why`` for a skipped detector, ``失败 — why`` for a failed one,
    else how many it found."""
    spec = DETECTORS.get(result.detector)
    head = f"{result.detector}（{spec.short_title}）" if spec else result.detector
    if result.failed:
        return f"{head}: 失败 — {result.failed}"
    if result.skipped:
        return f"{head}: 跳过 — {result.skipped}"
    return f"{head}: {len(result):,} found"


_BILINGUAL = re.compile(r"^(?P<zh>.*?)\s*\((?:skipped|failed): (?P<en>.*)\)\s*$", re.S)


def reader_reason(text: str) -> str:
    """The reader's half of a bilingual reason (``需要…，本图中没有… (skipped: needs …)``)."""
    m = _BILINGUAL.match(text or "")
    if not m:
        return text or ""
    return m.group("en") if lang() == "en" else m.group("zh")


def reader_line(result: DetectorResult) -> str:
    """One line for a report or dossier reader, in the reader's language and without the CLI's names:
    ``反弹回潮：未运行——需要发现问题和整改台账，本图中没有``."""
    title = term(f"detector.{result.detector}", default=result.detector)
    if result.failed:
        return say("registry.failed", title=title, why=reader_reason(result.failed))
    if result.skipped:
        return say("registry.skipped", title=title, why=reader_reason(result.skipped))
    return say("registry.found", title=title, n=len(result))


def run_and_write(
    view: GraphView,
    folder: str | Path,
    names: Iterable[str] | None = None,
    *,
    as_of: dt.date | str | None = None,
    seed: int = 0,
    reveal_secrets: bool = False,
    on_result: Callable[[DetectorResult], None] | None = None,
    **params: Any,
) -> tuple[dict[str, DetectorResult], dict[str, dict[str, Path]]]:
    """Run detectors and write each one's files into ``folder`` as it finishes, as ``liandong analyze`` does.

    A detector whose inputs are absent is written as skipped; one that fails is written as failed (its JSON
    says why and keeps the traceback) and the others still run and are written. What the results were asked
    for goes to ``runs.json`` (see :func:`write_results`), so exports can reuse them.

    Parameters
    ----------
    view : GraphView
    folder : str or Path
    names : iterable of str, optional
        Registry names (default: all).
    as_of, seed, reveal_secrets
        As for :func:`run_detectors` (``reveal_secrets`` goes to the detectors that take it).
    on_result : callable, optional
        Called with each result once its files are written (to report progress).
    **params
        Further keyword parameters (``fdr``), passed to the detectors that accept them.

    Returns
    -------
    (results, paths)
        Every result by name (look at ``status``), and the files written for each.

    Examples
    --------
    >>> results, paths = run_and_write(GraphView(backend), "analyses")            # doctest: +SKIP
    >>> [n for n, r in results.items() if r.status == "failed"]                    # doctest: +SKIP
    """
    run = {
        "graph": view.fingerprint(),
        "scope": view.scope,
        "as_of": None if as_of is None else str(as_of).strip(),
        "seed": seed,
        "reveal_secrets": bool(reveal_secrets),
        **{k: v for k, v in params.items() if v is not None},
    }
    paths: dict[str, dict[str, Path]] = {}

    def write(result: DetectorResult) -> None:
        paths.update(write_results({result.detector: result}, folder, run=run))
        if on_result is not None:
            on_result(result)

    given = {k: v for k, v in params.items() if v is not None}
    results = run_detectors(
        view, names, as_of=as_of, seed=seed, reveal_secrets=reveal_secrets, errors="keep", on_result=write, **given
    )
    return results, paths


def write_results(
    results: Mapping[str, DetectorResult], folder: str | Path, *, run: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Path]]:
    """Write every result's CSV, evidence CSV and JSON into ``folder``, and add them to ``summary.json``.

    ``run`` says what the results were asked for (``graph``: the view's
    :meth:`~analytics.graphview.GraphView.fingerprint`; ``scope``, ``as_of``,
    ``seed``, ``reveal_secrets`` as given). It is kept per detector in
    ``runs.json``, so that :func:`reuse_results` can tell whether a later
    export may use a result as it is. A failed result is written (its JSON
    says why) but never reused. Called once per detector as each finishes,
    it keeps what the earlier calls wrote.
    """
    folder = Path(folder)
    paths = {name: result.write(folder) for name, result in results.items()}
    runs_path = folder / RUN_FILE
    runs = _read_runs(folder)
    for name, result in results.items():
        if run is None or result.failed:
            runs.pop(name, None)  # written without saying how, or failed: never reused
        else:
            runs[name] = {**run, "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    runs_path.write_text(json.dumps(runs, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    summary_path = folder / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    summary = summary if isinstance(summary, dict) else {}
    for name, r in results.items():
        data = r.to_json()
        summary[name] = {
            "status": r.status,
            "detections": len(r),
            **{k: data[k] for k in ("skipped", "failed") if data[k]},
            "params": data["params"],
            "stats": {k: v for k, v in data["stats"].items() if k != "traceback"},
        }
    tmp = summary_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(summary_path)
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

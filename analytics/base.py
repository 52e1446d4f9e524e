"""What every detector returns: detections with their evidence, and a frame of them.

A :class:`Detection` says what was found (``kind`` and ``summary``), where
(``where``: organisations, cadres, companies, tenders, findings ... by graph
id), how strongly (``score``, higher is stronger) and why (``evidence``: the
chain of graph records an inspection team can check, each with its date).
A detector returns a :class:`DetectorResult`: its detections plus the
parameters it ran with, convertible to a pandas DataFrame or to JSON.

Graph ids of organisations, persons and companies are the canonical ids the
entity resolver gave them, so one organisation written three ways by three
tiers is one subject here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphmodel import LiandongError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Evidence", "Detection", "DetectorResult", "DetectorError", "InputsAbsent"]


class DetectorError(LiandongError, ValueError):
    """A detector cannot run as asked (a bad parameter, or the graph lacks what it needs)."""


class InputsAbsent(DetectorError):
    """The records a detector needs are not in the graph (or not in the view's scope): it is skipped, not failed.

    :func:`analytics.run_detectors` turns this into a skipped :class:`DetectorResult` whose ``skipped`` says why;
    the message should name the missing records as an analyst knows them.
    """


@dataclass(frozen=True)
class Evidence:
    """One checkable step of a detection's evidence chain.

    Parameters
    ----------
    role : str
        What this record is in the argument, e.g. ``"first finding"``.
    label : str
        Graph label of the record (``Finding``, ``Rectification`` ...), or
        ``"Screen"`` for a computed statistic.
    ref : str
        Graph id (node key or canonical id) of the record.
    text : str
        What the record says, in the words of its source.
    date : str, optional
        ISO date of the record, when it has one.
    """

    role: str
    label: str
    ref: str
    text: str = ""
    date: str | None = None


@dataclass(frozen=True)
class Detection:
    """One thing a detector found.

    Parameters
    ----------
    detector : str
        Registry name of the detector (``"recurrence"``).
    kind : str
        What sort of thing this is (``"sham-rectification"``, ``"bid-ring"`` ...).
    subject : str
        The detection's own id, stable across runs on the same graph.
    score : float
        Strength; comparable within one detector only.
    summary : str
        One line for a person.
    where : mapping of str to tuple of str
        Graph ids by role: ``{"organisations": (...), "companies": (...)}``.
    evidence : tuple of Evidence
        The records that make the case, in the order to read them.
    details : mapping
        Detector-specific values (test statistics, dates, screens).
    """

    detector: str
    kind: str
    subject: str
    score: float
    summary: str
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = asdict(self)
        out["where"] = {k: list(v) for k, v in self.where.items()}
        out["evidence"] = [asdict(e) for e in self.evidence]
        out["details"] = _jsonable(dict(self.details))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Detection:
        """Inverse of :meth:`to_dict`."""
        return cls(
            detector=data["detector"],
            kind=data["kind"],
            subject=data["subject"],
            score=float(data["score"]),
            summary=data["summary"],
            where={k: tuple(v) for k, v in data.get("where", {}).items()},
            evidence=tuple(Evidence(**e) for e in data.get("evidence", ())),
            details=dict(data.get("details", {})),
        )


@dataclass
class DetectorResult:
    """A detector's detections, strongest first, and how it was run.

    Parameters
    ----------
    detector : str
        Registry name.
    detections : list of Detection
    params : dict
        The parameters it ran with (``as_of`` and thresholds), for the record.
    stats : dict
        What it looked at (counts), so an empty result can be told from no data.
    columns : tuple of str
        The columns :meth:`to_frame` gives first, whether or not anything was found (the registry's
        documented columns; more follow if detections carry more).
    skipped : str, optional
        Why the detector did not run: the records it needs are absent (see ``missing``). No detections.
    missing : tuple of str
        For a skipped detector, the labels and relationship types it needs that the graph does not hold.
    failed : str, optional
        Why the detector failed, for a person; ``stats["traceback"]`` holds the details for developers.

    Notes
    -----
    ``status`` is ``"ran"``, ``"skipped"`` or ``"failed"``. A skipped or failed result has no detections,
    which is not the same as a detector that ran and found nothing.
    """

    detector: str
    detections: list[Detection]
    params: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    skipped: str | None = None
    missing: tuple[str, ...] = ()
    failed: str | None = None

    def __post_init__(self) -> None:
        self.detections.sort(key=lambda d: (-d.score, d.subject))
        self.columns = tuple(self.columns)
        self.missing = tuple(self.missing)

    @property
    def status(self) -> str:
        """``"ran"``, ``"skipped"`` (inputs absent) or ``"failed"``."""
        return "failed" if self.failed else "skipped" if self.skipped else "ran"

    def __len__(self) -> int:
        return len(self.detections)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.detections)

    def to_frame(self) -> pd.DataFrame:  # (pandas imported here: listing the detectors needs none of it)
        """One row per detection: subject, kind, score, summary, one column per ``where`` role and per detail.

        Lists of ids are joined with ``;`` so the frame also writes cleanly to CSV and Excel.
        """
        import pandas as pd

        rows = []
        for d in self.detections:
            row: dict[str, Any] = {"subject": d.subject, "kind": d.kind, "score": d.score, "summary": d.summary}
            for role, ids in d.where.items():
                row[role] = ";".join(ids)
            for key, value in d.details.items():
                row[key] = ";".join(map(str, value)) if isinstance(value, list | tuple) else value
            row["evidence"] = len(d.evidence)
            rows.append(row)
        return pd.DataFrame(rows, columns=_frame_columns(rows, self.columns))

    def plot(self, top: int = 20):  # type: ignore[no-untyped-def]
        """A plotly bar chart of the ``top`` detections by score, each labelled with its summary.

        For the report's figures (heatmaps, ring networks, lead flow) see :func:`analytics.report.report_figures`.
        """
        import plotly.graph_objects as go

        shown = self.detections[:top][::-1]
        fig = go.Figure(
            go.Bar(
                x=[d.score for d in shown],
                y=[f"{len(shown) - i}. {d.summary[:40]}" for i, d in enumerate(shown)],
                orientation="h",
                hovertext=[d.summary for d in shown],
                hoverinfo="text+x",
                marker_color="#2b6cb0",
            )
        )
        fig.update_layout(
            title=f"{self.detector}: {len(self)} found (top {len(shown)} by score)",
            xaxis_title="score",
            height=max(300, 30 * len(shown) + 120),
            margin={"l": 320},
        )
        return fig

    def evidence_frame(self) -> pd.DataFrame:
        """One row per evidence step: subject, step number, role, label, ref, text, date."""
        import pandas as pd

        rows = [
            {"subject": d.subject, "step": n, **asdict(e)}
            for d in self.detections
            for n, e in enumerate(d.evidence, start=1)
        ]
        return pd.DataFrame(rows, columns=["subject", "step", "role", "label", "ref", "text", "date"])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: detector, status (with why it was skipped or failed), params, stats, columns and
        detections."""
        return {
            "detector": self.detector,
            "status": self.status,
            "skipped": self.skipped,
            "missing": list(self.missing),
            "failed": self.failed,
            "params": _jsonable(self.params),
            "stats": _jsonable(self.stats),
            "columns": list(self.columns),
            "detections": [d.to_dict() for d in self.detections],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DetectorResult:
        """Inverse of :meth:`to_json` (files written before results had a status read as ``"ran"``)."""
        return cls(
            detector=data["detector"],
            detections=[Detection.from_dict(d) for d in data.get("detections", [])],
            params=dict(data.get("params", {})),
            stats=dict(data.get("stats", {})),
            columns=tuple(data.get("columns", ())),
            skipped=data.get("skipped"),
            missing=tuple(data.get("missing", ())),
            failed=data.get("failed"),
        )

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write ``NAME.csv``, ``NAME.evidence.csv`` and ``NAME.json`` into ``folder``; returns the paths.

        A skipped detector writes them too (the CSVs with their header only, the JSON saying why); a failed
        one writes only ``NAME.json`` saying why, and removes the CSVs an earlier run left, which would
        otherwise pass for this run's.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "csv": folder / f"{self.detector}.csv",
            "evidence": folder / f"{self.detector}.evidence.csv",
            "json": folder / f"{self.detector}.json",
        }
        if self.failed:
            for kind in ("csv", "evidence"):
                paths.pop(kind).unlink(missing_ok=True)
        else:
            # utf-8-sig so Excel on Windows opens the Chinese text correctly.
            self.to_frame().to_csv(paths["csv"], index=False, encoding="utf-8-sig")
            self.evidence_frame().to_csv(paths["evidence"], index=False, encoding="utf-8-sig")
        tmp = paths["json"].with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(paths["json"])
        return paths


def _frame_columns(rows: Sequence[Mapping[str, Any]], declared: Sequence[str] = ()) -> list[str]:
    columns = list(dict.fromkeys(["subject", "kind", "score", "summary", *declared]))
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    return columns


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value == value else None
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def judged_day(as_of: Any) -> Any:
    """The day a detector judges on, as a pandas Timestamp (None when not given); a clear error when
    ``as_of`` is not a date."""
    import pandas as pd

    if as_of is None:
        return None
    try:
        return pd.Timestamp(as_of)
    except ValueError as exc:
        raise DetectorError(f"as_of {as_of!r} is not a date; write it as 2024-12-31") from exc


def iso(value: Any) -> str | None:
    """ISO text of a date-like value, or None."""
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def ids(values: Iterable[Any]) -> tuple[str, ...]:
    """Sorted, de-duplicated, non-empty ids."""
    return tuple(sorted({str(v) for v in values if v is not None and v == v and str(v)}))

"""Detectors of cross-tier problem patterns, each returning detections with their evidence.

>>> from graphmodel import open_backend                    # doctest: +SKIP
>>> from analytics import run_detectors, GraphView          # doctest: +SKIP
>>> view = GraphView(open_backend("liandong-workspace"))    # doctest: +SKIP
>>> results = run_detectors(view, ["recurrence", "systemic-problems"])  # doctest: +SKIP
>>> results["recurrence"].to_frame()                        # doctest: +SKIP

One module per detector; :mod:`.registry` lists them by their CLI names;
:mod:`.evaluation` scores them against a generated dataset's truth.
"""

from __future__ import annotations

from .base import Detection, DetectorError, DetectorResult, Evidence, InputsAbsent
from .graphview import GraphView
from .registry import (
    DETECTORS,
    detector_names,
    outcome_line,
    read_results,
    reader_line,
    reuse_results,
    run_and_write,
    run_detectors,
    write_results,
)

__all__ = [
    "Detection",
    "DetectorError",
    "DetectorResult",
    "Evidence",
    "InputsAbsent",
    "GraphView",
    "DETECTORS",
    "detector_names",
    "outcome_line",
    "reader_line",
    "read_results",
    "reuse_results",
    "run_detectors",
    "run_and_write",
    "write_results",
]

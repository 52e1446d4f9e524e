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

import importlib
from typing import TYPE_CHECKING, Any

# The names below load on first use (PEP 562), so a command that needs only the word catalogue
# (analytics.terms) or nothing of analytics at all does not pay for scipy, scikit-learn and every detector.
_WHERE = {
    "Detection": ".base",
    "DetectorError": ".base",
    "DetectorResult": ".base",
    "Evidence": ".base",
    "InputsAbsent": ".base",
    "GraphView": ".graphview",
    "DETECTORS": ".registry",
    "detector_names": ".registry",
    "outcome_line": ".registry",
    "reader_line": ".registry",
    "read_results": ".registry",
    "reuse_results": ".registry",
    "run_and_write": ".registry",
    "run_detectors": ".registry",
    "write_results": ".registry",
}

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
    "run_and_write",
    "run_detectors",
    "write_results",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'analytics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:
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

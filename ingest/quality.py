"""What an office's data lacks, per file and field, before anyone trusts a figure built on it.

Every ingest counts, for each field of each file: how many rows it was read
from, how many left it empty, how many held a value that could not be parsed
(the row was quarantined, or the field left empty where the mapping says
``invalid: skip``), and which values were not recognised (unparseable values,
and values a mapping's ``extract``, ``keywords`` or ``map`` did not know), the
ten most common with their counts. ``liandong ingest`` prints the worst
fields, puts all of them in ``--json`` and writes ``WORKSPACE/quality.csv``.
"""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FieldQuality", "QUALITY_COLUMNS", "write_quality_csv"]

QUALITY_COLUMNS = [
    "batch",
    "file",
    "sheet",
    "format",
    "field",
    "column",
    "rows",
    "empty",
    "invalid",
    "unrecognised",
    "empty_share",
    "invalid_share",
    "top_unrecognised",
]
_KEPT = 1000  # distinct unrecognised values counted per field; more are summed under one entry


@dataclass
class FieldQuality:
    """The counts for one field of one file."""

    field: str
    column: str
    rows: int = 0
    empty: int = 0
    invalid: int = 0
    unrecognised: int = 0
    values: Counter[str] = dataclasses.field(default_factory=Counter)

    def note(self, value: Any) -> None:
        """Count one value that was not recognised (invalid, or missed by a rewrite rule)."""
        text = "" if value is None else str(value)[:100]
        if text in self.values or len(self.values) < _KEPT:
            self.values[text] += 1
        else:
            self.values["(other values)"] += 1

    @property
    def empty_share(self) -> float:
        return self.empty / self.rows if self.rows else 0.0

    @property
    def invalid_share(self) -> float:
        return self.invalid / self.rows if self.rows else 0.0

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` most common unrecognised values with their counts."""
        return self.values.most_common(n)

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "column": self.column,
            "rows": self.rows,
            "empty": self.empty,
            "invalid": self.invalid,
            "unrecognised": self.unrecognised,
            "empty_share": round(self.empty_share, 4),
            "invalid_share": round(self.invalid_share, 4),
            "top_unrecognised": [{"value": v, "count": c} for v, c in self.top()],
        }


def write_quality_csv(path: str | Path, rows: Iterable[tuple[str, str, str | None, str | None, FieldQuality]]) -> Path:
    """Write (batch, file, sheet, format, FieldQuality) rows to ``path`` (UTF-8 with a BOM, for Excel)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(QUALITY_COLUMNS)
        for batch, file, sheet, fmt, q in rows:
            top = "; ".join(f"{v} ×{c}" for v, c in q.top())
            out.writerow(
                [
                    batch,
                    file,
                    sheet or "",
                    fmt or "",
                    q.field,
                    q.column,
                    q.rows,
                    q.empty,
                    q.invalid,
                    q.unrecognised,
                    f"{q.empty_share:.4f}",
                    f"{q.invalid_share:.4f}",
                    top,
                ]
            )
    return path

"""A dry run of one mapping on one file: what its rows would become, and why rows would be quarantined.

``liandong mapping check MAPPING FILE`` reads the whole file exactly as
``ingest`` would (the same reader, header search, mapping, parsers and
taxonomy), and writes nothing: no graph, no quarantine file, no quality file.
It answers the questions a person writing a mapping has: does the mapping
recognise the file, which columns does it lack, what records does a row
become, which rows would be quarantined and why, and which fields are mostly
empty or unrecognised.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from graphmodel import LiandongError, NodeRecord, Schema

from .load import _map_file, _MapTask, _missing_columns
from .mapping import Mapping_, file_vars_for
from .quality import FieldQuality
from .readers import ReadError, find_header, read_tables
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["MappingCheck", "check_mapping"]


@dataclass
class MappingCheck:
    """What a mapping makes of one file (or sheet), without writing anything.

    Attributes
    ----------
    recognised : bool
        Whether the mapping recognises the file's headers.
    problems : list of str
        Why the file would be refused (unrecognised, a required column missing, a file variable unknown).
    warnings : list of str
        Columns optional fields read that the file lacks.
    records : DataFrame
        The first rows as the records they become: row, kind (node/relationship), label, key, props.
    quarantine : DataFrame
        Every quarantined row's problems: row, column, value, reason (secret values withheld).
    reasons : Counter
        (column, reason) -> how many rows.
    quality : list of FieldQuality
        Per field: rows, empty, invalid, unrecognised values.
    """

    file: str
    sheet: str | None
    mapping: str
    recognised: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    records: pd.DataFrame = field(default_factory=pd.DataFrame)
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    quality: list[FieldQuality] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "mapping": self.mapping,
            "recognised": self.recognised,
            "problems": self.problems,
            "warnings": self.warnings,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "records": self.records.to_dict("records"),
            "reasons": [{"column": c, "reason": r, "rows": n} for (c, r), n in self.reasons.most_common()],
            "quality": [q.as_dict() for q in self.quality],
            "seconds": round(self.seconds, 3),
        }


def check_mapping(
    mapping: Mapping_,
    path: str | Path,
    schema: Schema,
    *,
    taxonomy: Taxonomy | None = None,
    overrides: dict[str, str] | None = None,
    secret_key: bytes | None = None,
    show: int = 5,
) -> list[MappingCheck]:
    """Map every row of ``path`` with ``mapping`` and report, per sheet, what would be loaded or quarantined.

    Parameters
    ----------
    mapping : Mapping_
        From :func:`ingest.mapping.load_mapping` (which has already checked its shape).
    path : path
        The file (CSV, XLSX, JSON), as ``ingest`` would read it.
    schema : Schema
    taxonomy : Taxonomy, optional
        The words categories and systems are looked up in (default: the shipped taxonomy).
    overrides : dict, optional
        File variables, as ``ingest --office`` / ``--file-var`` give them.
    secret_key : bytes, optional
        Secret columns are hashed with it; without one a throwaway key is used (nothing is written).
    show : int
        How many of the first loaded rows to show as records.

    Returns
    -------
    list of MappingCheck
        One per sheet (one for CSV and JSON).
    """
    path = Path(path)
    clock = time.perf_counter()
    try:
        tables = read_tables(path)
    except ReadError as exc:
        raise LiandongError(str(exc)) from None
    taxonomy = taxonomy or load_taxonomy()
    variables, var_problems = file_vars_for(mapping, path, overrides or {})
    optional = sorted({c for f in mapping.fields.values() for c in f.columns})
    out = []
    for table in tables:
        check = MappingCheck(str(path), table.sheet, str(mapping.path))
        header = find_header(table, mapping.required_headers, optional)
        if header is None or not mapping.matches(header.columns):
            lacking = [c for c in mapping.required_headers if header is None or c not in header.columns]
            check.problems.append(
                f"the mapping does not recognise this {'sheet' if table.sheet else 'file'}: "
                f"its headers.required {', '.join(lacking) or mapping.required_headers} not found together in one "
                "header row"
            )
            out.append(check)
            continue
        check.recognised = True
        missing, check.warnings = _missing_columns(mapping, header.columns)
        check.problems += missing + var_problems
        if check.problems:
            out.append(check)
            continue
        task = _MapTask(
            path, table.sheet, header, mapping, schema, taxonomy, variables, secret_key or os.urandom(32), "check"
        )
        mapped = _map_file(task, table)
        check.rows_read, check.rows_loaded, check.rows_quarantined = (
            mapped.rows_read,
            mapped.rows_loaded,
            mapped.rows_quarantined,
        )
        check.quality = mapped.quality
        secret = {
            (label, name)
            for label, element in (*schema.nodes.items(), *schema.relationships.items())
            for name, prop in element.properties.items()
            if prop.secret
        }
        shown_rows = sorted(set(mapped.rows))[:show]
        rows = []
        for record, row in zip(mapped.records, mapped.rows, strict=True):
            if row not in shown_rows:
                continue
            if isinstance(record, NodeRecord):
                kind, label, key = "node", record.label, record.key
            else:
                kind, label, key = "relationship", record.type, f"{record.start} -> {record.end}"
            props = {k: ("(secret)" if (label, k) in secret else _plain(v)) for k, v in record.props.items()}
            rows.append(
                {"row": row, "kind": kind, "label": label, "key": key, "props": json.dumps(props, ensure_ascii=False)}
            )
        check.records = pd.DataFrame(rows, columns=["row", "kind", "label", "key", "props"])
        check.quarantine = pd.DataFrame(
            [q[3:] for q in mapped.quarantine], columns=["row", "column", "value", "reason"]
        )
        check.reasons = Counter((str(q[4]), str(q[6])) for q in mapped.quarantine)
        out.append(check)
    for check in out:
        check.seconds = time.perf_counter() - clock
    return out


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value

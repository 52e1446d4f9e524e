"""Reading tier exports into the graph.

* :mod:`ingest.load` — recognise each export by its headers, validate every
  row, load it or quarantine it, resume after a crash (``liandong ingest``);
* :mod:`ingest.mapping` and ``ingest/mappings/*.yaml`` — the declarative
  mappings from a format's columns to graph records;
* :mod:`ingest.readers`, :mod:`ingest.parse` — files and values as Chinese
  offices write them;
* :mod:`ingest.generator` — realistic synthetic exports with known answers
  (``liandong generate``);
* :mod:`ingest.graph_json` — liandong's own JSON Lines exchange format.
"""

from __future__ import annotations

from .graph_json import LoadReport, RejectedRow, load_graph_jsonl, read_graph_jsonl
from .load import FileReport, Ingester, IngestReport

__all__ = [
    "Ingester",
    "IngestReport",
    "FileReport",
    "LoadReport",
    "RejectedRow",
    "load_graph_jsonl",
    "read_graph_jsonl",
]

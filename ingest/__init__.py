"""Reading tier exports and exchange files into the graph.

For now: liandong's JSON Lines graph format (:mod:`ingest.graph_json`).
"""

from __future__ import annotations

from .graph_json import LoadReport, RejectedRow, load_graph_jsonl, read_graph_jsonl

__all__ = ["LoadReport", "RejectedRow", "load_graph_jsonl", "read_graph_jsonl"]

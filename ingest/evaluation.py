"""Score entity resolution against a generated dataset's truth.

The generator records which true entity each cell of its exports names
(``truth_entities.csv``: kind, file, row, column, entity). Re-reading those
files with the same mappings tells which graph record each cell became; the
records' ``canonical_id`` is the resolver's answer. Scores are pairwise over
distinct (record, true entity) items: precision is the share of record pairs
put in one cluster that truly are one entity, recall the share of truly-same
pairs that were put in one cluster.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphmodel import GraphBackend, NodeRef

from .load import Ingester, RecognisedFile
from .mapping import file_vars_for
from .readers import iter_records, read_tables

__all__ = ["pairwise_scores", "entity_resolution_scores", "ExportTruth"]

_LABEL_OF = {"organisation": "Organisation", "person": "Person", "company": "Company"}


def pairwise_scores(items: Iterable[tuple[Any, Any]]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of ``(predicted cluster, true entity)`` items."""
    items = list(items)

    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    together = pairs(Counter(items))
    predicted = pairs(Counter(p for p, _ in items))
    actual = pairs(Counter(t for _, t in items))
    precision = together / predicted if predicted else 1.0
    recall = together / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "items": len(items),
        "predicted_pairs": predicted,
        "true_pairs": actual,
    }


_RECORD_LABELS = {
    "finding": "Finding",
    "rectification": "Rectification",
    "tour": "Tour",
    "lead": "Lead",
    "transfer": "Transfer",
    "tender": "Tender",
}


_ALL_LABELS = {**_LABEL_OF, **_RECORD_LABELS}


class ExportTruth:
    """Which graph record each true entity of a generated dataset became.

    Built from ``truth_entities.csv`` by re-reading the exports with the same
    mappings. Resolved kinds (organisation, person, company) map through the
    records' ``canonical_id``; other kinds (finding, tour, lead, transfer,
    tender, rectification) map to node keys.

    Attributes
    ----------
    items : dict
        kind -> set of ``(node key, true id)``.
    missing : collections.Counter
        kind -> cells whose row was quarantined or whose cell was empty.
    canonical : dict
        label -> {node key: canonical id}.
    """

    def __init__(self, backend: GraphBackend, exports: str | Path, secret_key: bytes | None = None):
        exports = Path(exports)
        self.backend, self.exports = backend, exports
        labels = _ALL_LABELS
        truth: dict[tuple[str, int, str], list[tuple[str, str]]] = defaultdict(list)
        with open(exports / "truth_entities.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["kind"] in labels:
                    truth[(row["file"], int(row["row"]), row["column"])].append((row["kind"], row["entity"]))
        ingester = Ingester(backend, exports / ".evaluation", secret_key=secret_key)
        cell_to_node: dict[tuple[str, int, str, str], NodeRef] = {}
        for name in sorted({f for f, _, _ in truth}):
            path = exports / name
            for table in read_tables(path):
                job = ingester.recognise(path, table, False)
                if not isinstance(job, RecognisedFile):
                    continue
                variables, _ = file_vars_for(job.mapping, path, {})
                mapper = job.mapping.mapper(backend.schema, ingester.taxonomy, variables, ingester.secret_key)
                for row_number, raw in iter_records(table, job.header):
                    result = mapper.apply(raw)
                    for _field, column, ref in result.mentions:
                        cell_to_node.setdefault((name, row_number, column, ref.label), ref)
        self.canonical: dict[str, dict[str, str]] = {}
        for label in labels.values():
            key = backend.schema.node(label).key
            if label in _LABEL_OF.values():
                frame = backend.nodes(label)
                if frame.empty:
                    self.canonical[label] = {}
                    continue
                self.canonical[label] = dict(zip(frame[key], frame["canonical_id"].fillna(frame[key]), strict=True))
            else:
                frame = backend.nodes(label)
                self.canonical[label] = {k: k for k in frame[key]} if not frame.empty else {}
        self.items: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.missing: Counter = Counter()
        for (name, row_number, column), entries in truth.items():
            for kind, entity in entries:
                label = labels[kind]
                node = cell_to_node.get((name, row_number, column, label))
                if node is None or node.key not in self.canonical[label]:
                    self.missing[kind] += 1  # the row was quarantined, or the cell was empty
                    continue
                self.items[kind].add((node.key, entity))
        self._to_graph: dict[str, dict[str, Counter]] = {}
        self._to_true: dict[str, dict[str, Counter]] = {}

    def label(self, kind: str) -> str:
        """The graph label of a truth kind."""
        return _ALL_LABELS[kind]

    def graph_id(self, kind: str, true_id: str) -> str | None:
        """The graph id (canonical id, or node key) most cells of ``true_id`` became, or None."""
        counts = self._tables(kind)[0].get(true_id)
        return _majority(counts) if counts else None

    def graph_ids(self, kind: str, true_id: str) -> set[str]:
        """Every graph id some cell of ``true_id`` became."""
        return set(self._tables(kind)[0].get(true_id, {}))

    def true_id(self, kind: str, graph_id: str) -> str | None:
        """The true entity most cells behind graph id ``graph_id`` name (ties go to the smallest id), or None."""
        counts = self._tables(kind)[1].get(graph_id)
        return _majority(counts) if counts else None

    def _tables(self, kind: str) -> tuple[dict[str, Counter], dict[str, Counter]]:
        if kind not in self._to_graph:
            to_graph: dict[str, Counter] = defaultdict(Counter)
            to_true: dict[str, Counter] = defaultdict(Counter)
            canonical = self.canonical[self.label(kind)]
            for key, entity in self.items[kind]:
                to_graph[entity][canonical[key]] += 1
                to_true[canonical[key]][entity] += 1
            self._to_graph[kind] = to_graph
            self._to_true[kind] = to_true
        return self._to_graph[kind], self._to_true[kind]


def _majority(counts: Counter) -> str:
    # Most cells win; ties go to the smallest id, so scores never depend on set order.
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def entity_resolution_scores(
    backend: GraphBackend, exports: str | Path, secret_key: bytes | None = None, truth: ExportTruth | None = None
) -> dict[str, dict[str, float]]:
    """Pairwise scores per entity kind for the exports in ``exports`` (with their ``truth_entities.csv``)."""
    truth = truth or ExportTruth(backend, exports, secret_key)
    out = {}
    for kind, label in _LABEL_OF.items():
        canonical = truth.canonical[label]
        scores = pairwise_scores((canonical[key], entity) for key, entity in truth.items[kind])
        scores["cells_not_loaded"] = truth.missing[kind]
        out[kind] = scores
    return out

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

__all__ = ["pairwise_scores", "entity_resolution_scores"]

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


def entity_resolution_scores(
    backend: GraphBackend, exports: str | Path, secret_key: bytes | None = None
) -> dict[str, dict[str, float]]:
    """Pairwise scores per entity kind for the exports in ``exports`` (with their ``truth_entities.csv``)."""
    exports = Path(exports)
    truth: dict[tuple[str, int, str], tuple[str, str]] = {}
    with open(exports / "truth_entities.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[(row["file"], int(row["row"]), row["column"])] = (row["kind"], row["entity"])
    ingester = Ingester(backend, exports / ".evaluation", secret_key=secret_key)
    cell_to_node: dict[tuple[str, int, str], NodeRef] = {}
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
                    cell_to_node.setdefault((name, row_number, column), ref)
    canonical: dict[str, dict[str, str]] = {}
    for label in _LABEL_OF.values():
        frame = backend.nodes(label)
        key = backend.schema.node(label).key
        canonical[label] = dict(zip(frame[key], frame["canonical_id"].fillna(frame[key]), strict=True))
    items: dict[str, set[tuple[str, str]]] = defaultdict(set)
    missing: Counter = Counter()
    for cell, (kind, entity) in truth.items():
        node = cell_to_node.get(cell)
        label = _LABEL_OF[kind]
        if node is None or node.label != label or node.key not in canonical[label]:
            missing[kind] += 1  # the row was quarantined, or the cell was empty
            continue
        items[kind].add((node.key, entity))
    out = {}
    for kind in _LABEL_OF:
        scores = pairwise_scores((canonical[_LABEL_OF[kind]][key], entity) for key, entity in items[kind])
        scores["cells_not_loaded"] = missing[kind]
        out[kind] = scores
    return out

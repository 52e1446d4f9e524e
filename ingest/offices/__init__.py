"""A second generator of offices' exports, independent of :mod:`ingest.generator`, for scoring entity resolution.

31 offices of 江西省 (the province, six cities, four counties of each; real
GB/T 2260 codes and names) each export four files written their own way — a
unit directory (its own units and the upper tiers' it deals with), a cadre
roster, a company register and a bid list — in ten layouts (CSV in UTF-8 or
GBK, XLSX with a title row), with local ids of their own and nothing shared
between offices. The mappings that load them are in ``ingest/offices/mappings``.
Beside the files the generator writes which records are one real unit, cadre or
company, and which look-alikes are not.

The variants (how one unit, company or cadre is written differently) and their
rates are in :data:`ingest.offices.names.RATES`; the decoys (look-alikes that
are different entities):

==============  ============================  =====================================================
kind            decoy                         what
==============  ============================  =====================================================
organisation    same_town_name                one town name in two counties (修水县 and 于都县 each
                                              have a 太平镇; other names collide by chance)
organisation    discipline_vs_committee       X纪委监委 beside X委 of the same place (县纪委监委 / 县委)
organisation    hospital_vs_tcm_hospital      X人民医院 beside X中医院
organisation    same_name_other_place         two units written alike in two offices' files: the same
                                              kind of unit of two places, each written bare in its own
                                              office's files (县委 / 县委, 教体局 / 教体局, 市中医院 …)
person          homonym                       one name, two people (王伟, 李娜 … planted in different
                                              counties with different births; others by chance)
company         sound_alike                   宏达/鸿达建材 (九江/赣州), 恒信/恒鑫物业管理, 金盛/锦盛园林绿化
company         same_trade_name               东升劳务 in 九江 and in 上饶, 华瑞建筑工程 in 南昌 and 赣州
company         branch                        a 分公司 beside its parent company
==============  ============================  =====================================================

``decoys.csv`` lists every pair of records of two such entities (for
same_name_other_place, the pairs written alike that no other decoy lists).

Examples
--------
>>> from ingest.offices import generate_offices
>>> report = generate_offices("/tmp/offices", seed=1, scale="small")   # doctest: +SKIP
>>> report.exports                                                     # doctest: +SKIP
PosixPath('/tmp/offices/exports')
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .names import RATES
from .render import LAYOUTS, render
from .world import SCALES, build_world

__all__ = ["generate_offices", "OfficesReport", "mapping_paths", "RATES", "SCALES", "LAYOUTS", "KINDS"]

MAPPINGS = Path(__file__).parent / "mappings"
KINDS = ("organisation", "person", "company")


def mapping_paths() -> list[Path]:
    """The mappings that load the offices' files, one per layout."""
    return sorted(MAPPINGS.glob("*.yaml"))


@dataclass(frozen=True)
class OfficesReport:
    """What :func:`generate_offices` wrote."""

    out: Path
    exports: Path  # the offices' files (and nothing else)
    files: dict[str, int]  # file -> data rows
    sizes: dict[str, int]  # entities and records per kind, decoy pairs
    fallbacks: int


def generate_offices(out: str | Path, seed: int, scale: str = "small") -> OfficesReport:
    """Write the 31 offices' exports into ``out/exports`` and the truth beside them.

    Files in ``out``:

    * ``exports/单位名录_CODE.*``, ``干部名册_CODE.*``, ``企业名录_CODE.*``, ``投标记录_CODE.*``: the exports;
    * ``truth_entities.csv``: kind, file, row, column, entity — which true entity each cell names (the shape
      ``liandong generate`` writes; file names are relative to ``exports``; rows are those liandong reports:
      Excel's row for XLSX, the CSV record number for CSV);
    * ``truth_records.csv``: kind, key, entity — the record each of those cells becomes under this package's
      mappings (``mapping_paths()``), by its key;
    * ``decoys.csv``: kind, decoy, key_a, key_b, entity_a, entity_b — records that must not be merged;
    * ``variants.csv``: family, variant, count, opportunities, share, documented — the variants drawn;
    * ``layouts.json``: each office's layout per kind of file.

    Parameters
    ----------
    out : path
    seed : int
        The same seed writes the same files.
    scale : {"tiny", "small"}
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    out = Path(out)
    exports = out / "exports"
    world = build_world(SCALES[scale], seed)
    report = render(world, exports, seed)
    with open(out / "truth_entities.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "file", "row", "column", "entity"])
        writer.writerows(sorted(report.cells))
    with open(out / "truth_records.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "key", "entity"])
        writer.writerows(sorted((kind, key, entity) for (kind, key), entity in report.records.items()))
    keys_of: dict[str, list[str]] = defaultdict(list)
    for (_kind, key), entity in sorted(report.records.items()):
        keys_of[entity].append(key)
    decoy_rows = []
    listed = set()
    for kind, decoy, a, b in world.decoys:
        listed.add(frozenset((a, b)))
        for key_a in keys_of.get(a, []):
            for key_b in keys_of.get(b, []):
                decoy_rows.append((kind, decoy, key_a, key_b, a, b))
    # Units of different places written alike (each office writes its own units bare).
    written: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (kind, key), entity in sorted(report.records.items()):
        if kind == "organisation":
            written[key.split(":", 2)[2]].append((key, entity))
    for same in written.values():
        for i, (key_a, a) in enumerate(same):
            for key_b, b in same[i + 1 :]:
                if a != b and frozenset((a, b)) not in listed:
                    decoy_rows.append(("organisation", "same_name_other_place", key_a, key_b, a, b))
    with open(out / "decoys.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "decoy", "key_a", "key_b", "entity_a", "entity_b"])
        writer.writerows(sorted(decoy_rows))
    with open(out / "variants.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["family", "variant", "count", "opportunities", "share", "documented"])
        writer.writerows(report.variants.rows())
    (out / "layouts.json").write_text(json.dumps(report.layouts, ensure_ascii=False, indent=1), encoding="utf-8")
    sizes: dict[str, int] = {}
    for kind in KINDS:
        entities = {e for (k, _), e in report.records.items() if k == kind}
        sizes[f"{kind}_entities"] = len(entities)
        sizes[f"{kind}_records"] = sum(1 for (k, _) in report.records if k == kind)
        sizes[f"{kind}_decoy_pairs"] = sum(1 for row in decoy_rows if row[0] == kind)
    return OfficesReport(out, exports, dict(sorted(report.files.items())), sizes, report.fallbacks)

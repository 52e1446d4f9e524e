"""Synthetic tier exports with planted patterns and the truth about them (``liandong generate``).

Real inspection data is secret, so liandong makes its own: a true world
(:mod:`.world`, :mod:`.activity`), the answers detectors should find in it
(:mod:`.truth`), and the files each tier's office would export about it, mess
included (:mod:`.render`).

``difficulty="hard"`` (``liandong generate --difficulty hard``) makes the
planted patterns less tidy than the detectors' own assumptions: prices that
differ by market, imperfect rotation, varied cover margins, real post titles,
findings clustered inside units and small tiers (:mod:`.hard` gives the
ranges). The default setting writes the same files it always has.

Examples
--------
>>> from ingest.generator import generate
>>> report = generate("tiny", seed=1, out="/tmp/liandong-tiny")   # doctest: +SKIP
>>> report.files["truth.json"]                                    # doctest: +SKIP
>>> generate("small", seed=1, out="/tmp/hard-small", difficulty="hard")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .hard import DIFFICULTIES, Difficulty
from .render import render
from .scales import SCALES, Scale
from .truth import compute_truth
from .world import build_world

__all__ = ["generate", "GenerateReport", "SCALES", "Scale", "DIFFICULTIES", "Difficulty"]


@dataclass(frozen=True)
class GenerateReport:
    """What :func:`generate` wrote: files with their row counts, and headline sizes of the world."""

    out: Path
    files: dict[str, int]
    sizes: dict[str, int]


def generate(
    scale: str | Scale,
    seed: int,
    out: str | Path,
    province_code: str = "330000",
    progress: Callable[[str], None] | None = None,
    difficulty: Difficulty = "default",
) -> GenerateReport:
    """Generate one world, write its tier exports and ``truth.json`` into ``out``.

    Parameters
    ----------
    scale : {"tiny", "small", "province", "province2x"} or Scale
    seed : int
        The same seed writes the same files.
    out : path
        Folder to write into (created if missing).
    province_code : str
        Which province's real cities and counties to use (GB/T 2260).
    progress : callable, optional
        Called with the name of each step as it starts (a province takes minutes).
    difficulty : {"default", "hard"}
        ``"hard"`` draws the planted patterns and their background from realistic ranges instead of the
        tidy defaults (see :mod:`ingest.generator.hard`); ``truth.json`` has the same keys either way.

    Returns
    -------
    GenerateReport
    """
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
        scale = SCALES[scale]
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}; choose one of {', '.join(DIFFICULTIES)}")
    out = Path(out)
    say = progress or (lambda step: None)
    say("building the world (organisations, cadres, companies, tours, findings, tenders, planted patterns)")
    world = build_world(scale, seed, province_code, difficulty)
    say("writing the tier exports")
    report = render(world, out, seed)
    say("writing the truth")
    truth: dict[str, Any] = compute_truth(world)
    truth["entities_file"] = "truth_entities.csv"
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    # Which true entity each cell names: large, so a CSV beside truth.json.
    with open(out / "truth_entities.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "file", "row", "column", "entity"])
        for kind, rows in sorted(report.entities.items()):
            writer.writerows([kind, *row] for row in rows)
    files = dict(sorted(report.files.items()))
    files["truth.json"] = 1
    files["truth_entities.csv"] = sum(len(rows) for rows in report.entities.values())
    sizes = {
        "organisations": len(world.orgs),
        "people": len(world.people),
        "companies": len(world.companies),
        "tenders": len(world.tenders),
        "bids": sum(len(t.bids) for t in world.tenders.values()),
        "tours": len(world.tours),
        "findings": len(world.findings),
        "leads": len(world.leads),
    }
    return GenerateReport(out, files, sizes)

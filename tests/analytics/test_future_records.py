"""Time is part of every fact: judged "as of" a day, no detector sees what happened after it.

One test for every detector in the registry: the tiny world is judged as of a day, then records dated
after that day are added (tours and findings, rectifications, leads and transfers, posts, company roles,
tenders with a ring's bids), and the same day is judged again. Every detector must give the same answer.
The same records judged without a day must change some answers, or the test would prove nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np

from analytics import GraphView, detector_names, run_detectors
from graphmodel import EmbeddedBackend

from .builders import GraphBuilder, NodeRef

DAY = "2023-06-30"
SOON = dt.date(2024, 2, 1)


def _answers(backend, as_of: str | None) -> dict[str, list[tuple]]:
    results = run_detectors(GraphView(backend), as_of=as_of, errors="keep")
    out = {}
    for name, result in results.items():
        assert result.failed is None, (name, result.failed)
        out[name] = sorted(
            (
                d.kind,
                d.subject,
                round(float(d.score), 9),
                d.summary,
                tuple(sorted((k, tuple(v)) for k, v in d.where.items())),
            )
            for d in result.detections
        )
    return out


def _future(view: GraphView) -> GraphBuilder:
    """Records all dated after DAY, on the world's own organisations, people and companies."""
    rng = np.random.default_rng(5)
    g = GraphBuilder()
    orgs = [NodeRef("Organisation", k) for k in view.organisations.index[:40]]
    people = [NodeRef("Person", k) for k in view.people.index[:30]]
    companies = [NodeRef("Company", k) for k in view.companies.index[:8]]
    depts = [NodeRef("Organisation", k) for k in view.organisations.index[40:43]]
    categories = sorted(set(view.findings["category"].dropna())) or ["C01"]
    for i, org in enumerate(orgs):
        tour = g.tour(f"tour:future{i}", "2024-03-01", [org], members=[(people[i % len(people)], "leader")])
        for j in range(4):
            f = g.finding(org, categories[(i + j) % len(categories)], "2024-04-01", tour, severity="serious")
            g.rectify(f, "completed", "2024-06-01")
    for i, person in enumerate(people[:10]):
        g.serves(person, orgs[i], "2024-01-01", post="党组书记、局长")
        g.rel("OFFICER_OF", person, companies[i % len(companies)], role="legal_representative", start_date=SOON)
    for i in range(12):
        lead = g.lead(f"lead:future{i}", depts[i % len(depts)], "2024-01-10", orgs[i % 3], categories[0], people[0])
        g.transfer(f"transfer:future{i}", lead, orgs[i % 3], "2024-01-20", "2024-02-20")
    ring = companies[:4]
    for t in range(12):
        price = float(rng.uniform(9e5, 1e6))
        winner = t % 4
        bids = [
            (c, price if k == winner else price * float(rng.uniform(1.01, 1.02)), k == winner)
            for k, c in enumerate(ring)
        ]
        g.tender(f"tender:future{t}", orgs[t % 2], f"2024-{1 + t % 12:02d}-15", bids)
    return g


def test_no_detector_sees_records_after_its_day(tiny_world, tmp_path):
    shutil.copytree(tiny_world.workspace, tmp_path / "ws")
    with EmbeddedBackend(tmp_path / "ws") as backend:
        before = _answers(backend, DAY)
        unjudged = _answers(backend, None)
        _future(GraphView(backend)).write(backend)
        after = _answers(backend, DAY)
        assert set(after) == set(detector_names())
        for name in after:
            assert after[name] == before[name], name
        # The added records matter when no day is set: the test could have failed.
        changed = [name for name, found in _answers(backend, None).items() if found != unjudged[name]]
        # (bid-rings and duplicate-leads have their own as_of tests; these records need not change them.)
        expected = {"recurrence", "conflict-of-interest", "overdue-transfers", "inspector-ties", "targets", "profiles"}
        assert expected <= set(changed), changed

"""Scope: a county sees itself, a city its counties, a province all; nothing outside appears in any output."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from analytics import DetectorError, GraphView, run_detectors
from cli import main

from .conftest import KEY

ENV = {"NEO4J_URI": None, "LIANDONG_WORKSPACE": None, "LIANDONG_SECRET_KEY": KEY.decode()}


def _organisations_named(result) -> set[str]:
    out: set[str] = set()
    for d in result:
        for role in ("organisations", "departments"):
            out.update(d.where.get(role, ()))
        for key in ("buyer", "recipient", "target", "organisation"):
            value = d.details.get(key)
            if isinstance(value, str):
                out.add(value)
        if d.kind in ("target", "organisation-profile"):
            out.add(d.subject)
    return out


@pytest.fixture(scope="module")
def regions(tiny_world):
    view = GraphView(tiny_world.backend)
    codes = sorted({c for c in view.organisations["region_code"].dropna() if len(c) == 6})
    county = next(c for c in codes if not c.endswith("00"))
    city = county[:4] + "00"
    return {"county": county, "city": city, "province": county[:2] + "0000"}


@pytest.mark.parametrize("level", ["county", "city", "province"])
def test_nothing_outside_the_scope(tiny_world, regions, level):
    scope = regions[level]
    full = GraphView(tiny_world.backend)
    scoped = GraphView(tiny_world.backend, scope=scope)
    results = run_detectors(scoped, as_of="2024-12-31")
    named = set().union(*(_organisations_named(r) for r in results.values()))
    assert named, "the scope should still hold something to report"
    outside = {o for o in named if o not in scoped._scope_orgs}
    assert not outside, f"outside {scope}: {sorted(outside)[:5]}"
    # A scope sees only what the whole graph holds.
    assert set(scoped.findings["finding"]) <= set(full.findings["finding"])


def test_a_county_sees_fewer_findings_than_its_city(tiny_world, regions):
    county = GraphView(tiny_world.backend, scope=regions["county"])
    city = GraphView(tiny_world.backend, scope=regions["city"])
    assert 0 < len(county.findings) < len(city.findings)
    assert set(county.findings["finding"]) <= set(city.findings["finding"])


def test_bad_scope_is_a_clear_error(tiny_world):
    with pytest.raises(DetectorError, match="6-digit region code"):
        GraphView(tiny_world.backend, scope="Hangzhou")
    result = CliRunner(env=ENV).invoke(
        main, ["--workspace", str(tiny_world.workspace), "analyze", "--scope", "33", "--out", "/tmp/x"]
    )
    assert result.exit_code == 1 and "6-digit region code" in result.output and "Traceback" not in result.output


def test_analyze_with_a_scope_writes_an_audit_line(tiny_world, regions, tmp_path):
    out = tmp_path / "scoped"
    result = CliRunner(env=ENV).invoke(
        main,
        [
            "--workspace",
            str(tiny_world.workspace),
            "analyze",
            "recurrence",
            "--scope",
            regions["county"],
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = (tiny_world.workspace / "audit.log").read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[-1])
    assert entry["command"] == "analyze" and entry["scope"] == regions["county"] and entry["secrets"] is False
    assert str(out / "recurrence.csv") in entry["files"] and entry["who"]
    saved = json.loads((out / "recurrence.json").read_text(encoding="utf-8"))
    assert saved["params"]["scope"] == regions["county"]

"""Lists that accumulate across files (every spelling of a name), whatever the order, the same on both backends."""

from __future__ import annotations

import pytest

from graphmodel import LiandongError, NodeRecord


def test_values_are_added_once_kept_sorted_and_no_source_is_claimed(backend):
    backend.write([NodeRecord("Company", "c1", {"name": "九江东升劳务有限公司"})], source="register")
    backend.write([NodeRecord("Company", "c2", {"name": "鸿达建材有限公司"})], source="bids")
    found = backend.append_to_lists("Company", "aliases", {"c1": ["九江东升劳务有限公司", "东升劳务（九江）有限公司"]})
    assert found == 1
    backend.append_to_lists(
        "Company", "aliases", {"c1": ["东升劳务（九江）有限公司", "东升劳务有限公司"], "missing": ["x"]}
    )
    frame = backend.nodes("Company", include_sources=True).set_index("company_id")
    assert list(frame.loc["c1", "aliases"]) == sorted(
        ["九江东升劳务有限公司", "东升劳务（九江）有限公司", "东升劳务有限公司"]
    )
    assert frame.loc["c2", "aliases"] is None or frame.loc["c2", "aliases"] != frame.loc["c2", "aliases"]
    assert list(frame.loc["c1", "source_ids"]) == ["register"]  # no source claimed: retraction still removes it
    assert backend.nodes("Company", where={"company_id": "missing"}).empty
    backend.retract_source("register")
    assert backend.nodes("Company", where={"company_id": "c1"}).empty


def test_only_declared_list_properties(backend):
    backend.write([NodeRecord("Company", "c1", {"name": "x"})], source="s")
    with pytest.raises(LiandongError, match="not a list property"):
        backend.append_to_lists("Company", "name", {"c1": ["y"]})
    with pytest.raises(LiandongError, match="not a list property"):
        backend.append_to_lists("Company", "aliases`) DETACH DELETE n //", {"c1": ["y"]})

"""Resolution reads an organisation record's office from properties, never from its key."""

from __future__ import annotations

from graphmodel import EmbeddedBackend, NodeRecord
from ingest.resolve import Resolver


def _canonical(g: EmbeddedBackend) -> dict[str, str]:
    frame = g.nodes("Organisation")
    return dict(zip(frame["org_id"], frame["canonical_id"], strict=True))


def test_office_from_the_property_or_from_the_file_that_wrote_the_record(tmp_path):
    # 义乌 (330782) writes its own 城管局 without the place name. Record "K1" states its office; "K2" was loaded
    # before records carried one, so its office comes from its Source node; "K3" has neither, so it stays apart.
    g = EmbeddedBackend(tmp_path / "ws")
    g.write(
        [
            NodeRecord("Organisation", "A", {"name": "义乌市城市管理局", "tier": "county", "region_code": "330782"}),
            NodeRecord("Organisation", "K1", {"name": "城管局", "office": "330782"}),
        ],
        source="directory",
    )
    g.write([NodeRecord("Source", "old-file", {"office": "330782", "status": "complete"})], source="ingest")
    g.write([NodeRecord("Organisation", "K2", {"name": "城市管理局"})], source="old-file")
    g.write([NodeRecord("Organisation", "K3", {"name": "城管局"})], source="no-office")
    Resolver(g).run()
    c = _canonical(g)
    assert c["K1"] == c["K2"] == "A"
    assert c["K3"] != "A"
    g.close()

"""Procurement data in standard and ad-hoc layouts.

* OCDS (Open Contracting Data Standard) release and record packages in JSON:
  parties, buyer, tender, bids (the bids extension) and awards become
  Organisation / Company / Tender and ``ISSUED`` / ``BID_ON`` records. Company
  keys follow the tier-export mappings (``company:<USCC>`` when the party
  carries a valid Chinese USCC, else ``company:name:<name>``), so entity
  resolution links them with registry extracts and bid tables.
* Bid-level tables in any layout, from a one-line column spec such as
  ``tender=项目编号,bidder=投标人,amount=投标报价,winner=是否中标`` (see
  :func:`bid_table_mapping`), e.g. the labelled research datasets of
  collusive tenders.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from graphmodel import Schema

from .mapping import FieldSpec, Mapping_, MappingError, RecordSpec
from .ocds import OCDS_METHODS, OcdsMapping

__all__ = ["OcdsMapping", "bid_table_mapping", "OCDS_METHODS"]

_SPEC_FIELDS = {
    *("tender", "bidder", "amount", "winner", "date", "buyer", "bidder_uscc", "rank"),
    *("status", "submitted", "period_start", "period_end", "method", "title"),
}
#: What offices write for a bid's status, as OCDS bid statuses (the schema's Chinese labels are read too).
BID_STATUS_WORDS = {
    **dict.fromkeys(("合格", "通过", "有效投标", "qualified", "active", "accepted"), "valid"),
    **dict.fromkeys(
        ("不合格", "无效", "无效投标", "废标", "否决", "未通过", "not-qualified", "rejected"), "disqualified"
    ),
    **dict.fromkeys(("撤回", "撤标", "放弃"), "withdrawn"),
}


def bid_table_mapping(spec: str, schema: Schema) -> Mapping_:
    """A mapping for a bid-level table from ``tender=COL,bidder=COL,amount=COL,winner=COL[,date=COL,…]``.

    Recognised keys: tender, bidder, amount (required), winner, date (of the bid, also the tender's
    announcement), buyer, bidder_uscc, rank, title (of the tender), method (公开招标, 邀请招标 … or the schema's
    codes), status (of the bid: 有效/合格 valid, 无效/废标/不合格 disqualified, 撤回 withdrawn, or OCDS's
    values; others are left empty and counted in the quality report), submitted (the bid's date and time),
    period_start and period_end (the tender's bidding period, date and time). Each row is one bid; the red
    flags use whichever of these the table has.
    """
    columns: dict[str, str] = {}
    for part in spec.split(","):
        if "=" not in part:
            raise MappingError(f"column spec part {part!r} is not key=column")
        key, column = (x.strip() for x in part.split("=", 1))
        if key not in _SPEC_FIELDS:
            raise MappingError(f"unknown column spec key {key!r}; use {', '.join(sorted(_SPEC_FIELDS))}")
        columns[key] = column
    missing = {"tender", "bidder", "amount"} - set(columns)
    if missing:
        raise MappingError(f"the column spec needs {', '.join(sorted(missing))}")
    parsers = {
        "tender": "text",
        "bidder": "org_name",
        "amount": "float",
        "winner": "bool",
        "date": "date",
        "buyer": "org_name",
        "bidder_uscc": "uscc",
        "rank": "int",
        "submitted": "datetime",
        "period_start": "datetime",
        "period_end": "datetime",
        "title": "text",
    }
    fields = {
        k: FieldSpec(k, (c,), parsers[k], required=k in ("tender", "bidder", "amount"))
        for k, c in columns.items()
        if k not in ("status", "method")
    }
    if "status" in columns:
        fields["status"] = FieldSpec(
            "status",
            (columns["status"],),
            "enum",
            enum=("BID_ON", "status"),
            aliases=BID_STATUS_WORDS,
            skip_invalid=True,
        )
    if "method" in columns:
        fields["method"] = FieldSpec(
            "method", (columns["method"],), "enum", enum=("Tender", "method"), skip_invalid=True
        )
    company = ("company:{bidder_uscc}", "company:name:{bidder}")
    records = [
        RecordSpec(
            "Tender",
            None,
            ("tender:{tender}",),
            None,
            None,
            {
                "announced": ("date",),
                "title": ("title",),
                "method": ("method",),
                "period_start": ("period_start",),
                "period_end": ("period_end",),
            },
            (),
            {},
        ),
        RecordSpec("Company", None, company, None, None, {"name": ("bidder",), "uscc": ("bidder_uscc",)}, (), {}),
        RecordSpec(
            None,
            "BID_ON",
            (),
            ("Company", company),
            ("Tender", ("tender:{tender}",)),
            {
                "amount": ("amount",),
                "won": ("winner",),
                "rank": ("rank",),
                "bid_date": ("date",),
                "status": ("status",),
                "submitted": ("submitted",),
            },
            (),
            {},
        ),
        RecordSpec("Organisation", None, ("org:bids:{buyer}",), None, None, {"name": ("buyer",)}, ("buyer",), {}),
        RecordSpec(
            None,
            "ISSUED",
            (),
            ("Organisation", ("org:bids:{buyer}",)),
            ("Tender", ("tender:{tender}",)),
            {},
            ("buyer",),
            {},
        ),
    ]
    return Mapping_(
        name="bid-table",
        title=f"bid table ({spec})",
        path=Path("<column spec>"),
        required_headers=tuple(columns[k] for k in ("tender", "bidder", "amount")),
        one_of=(),
        file_vars={},
        fields=fields,
        records=tuple(records),
        each=(),
        has_secrets=False,
        digest=hashlib.sha256(f"bid-table\x00{spec}".encode()).hexdigest(),
    )

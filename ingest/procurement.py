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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphmodel import EdgeRecord, NodeRecord, NodeRef, Schema

from . import parse as P
from .mapping import FieldSpec, Mapping_, MappingError, RecordSpec, RowResult

__all__ = ["OcdsMapping", "bid_table_mapping", "OCDS_METHODS"]

#: OCDS procurementMethod codes -> the schema's Tender.method.
OCDS_METHODS = {"open": "open", "selective": "invited", "limited": "competitive_negotiation", "direct": "single_source"}
_SPEC_FIELDS = {"tender", "bidder", "amount", "winner", "date", "buyer", "bidder_uscc", "rank"}


class OcdsMapping:
    """Recognises OCDS releases (a JSON list of objects carrying ``ocid``) and maps each release to records."""

    name = "ocds"
    title = "OCDS release or record package"
    required_headers = ("ocid",)
    one_of: tuple[tuple[str, ...], ...] = ()
    file_vars: Mapping[str, tuple[str, str]] = {}
    each: tuple = ()
    has_secrets = False
    builtin = True
    digest = "ocds-releases-1"  # the reading is code: a change to it that alters records changes this
    fields: Mapping[str, FieldSpec] = {
        name: FieldSpec(name, (name,), "text") for name in ("ocid", "tender", "parties", "bids", "awards", "buyer")
    }
    path = Path(__file__)

    def matches(self, columns: Any) -> bool:
        present = {c for c in columns if c}
        return "ocid" in present or "compiledRelease" in present

    def coverage(self, columns: Any) -> int:
        return sum(
            1 for c in ("ocid", "tender", "parties", "bids", "awards", "buyer", "compiledRelease") if c in set(columns)
        )

    def mapper(self, schema: Schema, *_: Any, **__: Any) -> _OcdsRows:
        return _OcdsRows(schema)


class _OcdsRows:
    def __init__(self, schema: Schema):
        self.schema = schema

    def apply(self, raw: Mapping[str, Any]) -> RowResult:
        result = RowResult()
        compiled = raw.get("compiledRelease")
        release: Mapping[str, Any] = compiled if isinstance(compiled, Mapping) else raw
        ocid = P.clean_text(release.get("ocid"))
        if not ocid:
            result.problems.append(("ocid", release.get("ocid"), "a release needs its ocid"))
            return result
        parties = {str(p.get("id")): p for p in release.get("parties") or [] if isinstance(p, Mapping)}
        tender = _obj(release.get("tender"))
        tender_key = f"tender:{ocid}"
        try:
            value = (tender.get("value") or {}).get("amount")
            period = tender.get("tenderPeriod") or {}
            props = {
                "title": P.clean_text(tender.get("title")),
                "budget": P.parse_float(value),
                "announced": P.parse_date(period.get("startDate") or release.get("date")),
                "method": OCDS_METHODS.get(str(tender.get("procurementMethod") or "")),
            }
        except P.ParseError as exc:
            result.problems.append(("tender", str(tender)[:80], str(exc)))
            return result
        result.records.append(NodeRecord("Tender", tender_key, {k: v for k, v in props.items() if v is not None}))

        buyer = _obj(release.get("buyer"))
        buyer_party: Mapping[str, Any] = parties.get(str(buyer.get("id")), {}) if buyer else {}
        buyer_name = P.normalise_org_name(buyer.get("name") or buyer_party.get("name"))
        if buyer_name:
            org_key = f"org:ocds:{buyer_name}"
            result.records.append(NodeRecord("Organisation", org_key, {"name": buyer_name}))
            result.records.append(EdgeRecord("ISSUED", NodeRef("Organisation", org_key), NodeRef("Tender", tender_key)))
            result.mentions.append(("buyer", "buyer", NodeRef("Organisation", org_key)))

        winners: dict[str, float | None] = {}
        for award in release.get("awards") or []:
            if not isinstance(award, Mapping) or award.get("status") in ("cancelled", "unsuccessful"):
                continue
            amount = P.parse_float((award.get("value") or {}).get("amount"))
            for supplier in award.get("suppliers") or []:
                winners[str(supplier.get("id") or supplier.get("name"))] = amount

        bid_section = release.get("bids")
        bids = bid_section.get("details") if isinstance(bid_section, Mapping) else None
        bidders: dict[str, float | None] = {}
        for bid in bids or []:
            if not isinstance(bid, Mapping) or bid.get("status") in ("withdrawn", "invalid", "disqualified"):
                continue
            try:
                amount = P.parse_float((bid.get("value") or {}).get("amount"))
            except P.ParseError as exc:
                result.problems.append(("bids.details.value.amount", bid.get("value"), str(exc)))
                return result
            for tenderer in bid.get("tenderers") or []:
                bidders[str(tenderer.get("id") or tenderer.get("name"))] = amount
        for party_id, amount in winners.items():
            bidders.setdefault(party_id, amount)
        for party_id, amount in sorted(bidders.items()):
            party = parties.get(party_id, {"id": party_id, "name": party_id})
            company_key, company_props = _company(party)
            result.records.append(NodeRecord("Company", company_key, company_props))
            props = {"won": party_id in winners}
            if amount is not None:
                props["amount"] = amount
            result.records.append(
                EdgeRecord("BID_ON", NodeRef("Company", company_key), NodeRef("Tender", tender_key), props)
            )
            result.mentions.append(("bidder", "tenderers", NodeRef("Company", company_key)))
        return result


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _company(party: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    name = P.normalise_org_name(party.get("name")) or str(party.get("id"))
    identifier = _obj(party.get("identifier"))
    props: dict[str, Any] = {"name": name}
    try:
        uscc = (
            P.parse_uscc(identifier.get("id")) if str(identifier.get("scheme", "")).upper().startswith("CN") else None
        )
    except P.ParseError:
        uscc = None
    if uscc:
        props["uscc"] = uscc
        return f"company:{uscc}", props
    return f"company:name:{name}", props


def bid_table_mapping(spec: str, schema: Schema) -> Mapping_:
    """A mapping for a bid-level table from ``tender=COL,bidder=COL,amount=COL,winner=COL[,date=COL,…]``.

    Recognised keys: tender, bidder, amount (required), winner, date, buyer,
    bidder_uscc, rank. Each row is one bid.
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
    }
    fields = {
        k: FieldSpec(k, (c,), parsers[k], required=k in ("tender", "bidder", "amount")) for k, c in columns.items()
    }
    company = ("company:{bidder_uscc}", "company:name:{bidder}")
    records = [
        RecordSpec("Tender", None, ("tender:{tender}",), None, None, {"announced": ("date",)}, (), {}),
        RecordSpec("Company", None, company, None, None, {"name": ("bidder",), "uscc": ("bidder_uscc",)}, (), {}),
        RecordSpec(
            None,
            "BID_ON",
            (),
            ("Company", company),
            ("Tender", ("tender:{tender}",)),
            {"amount": ("amount",), "won": ("winner",), "rank": ("rank",), "bid_date": ("date",)},
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

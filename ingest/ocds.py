"""OCDS (Open Contracting Data Standard) contracting processes as graph records.

The reader (:mod:`ingest.ocds_read`) hands over one compiled release per
process; this module turns it into records:

* **Tender** — one per lot where the process has several lots
  (``tender:<ocid>/<lot id>``), else one per process (``tender:<ocid>``), with
  its ocid, lot, status, OCDS procurement method, currency, value, tender period
  and the items' classifications. A release that only plans a procurement
  (no tender, or a planned tender with no bids and no awards) is not a tender:
  it is counted in the data-quality report and loads nothing.
* **Organisation** (the buyer) ``ISSUED`` the tender; **Company** (each
  tenderer and supplier) ``BID_ON`` the tender of each lot it bid on, with the
  bid's amount, currency, status, date and id, and ``won`` when it is a supplier
  of an active award on that lot. Cancelled and unsuccessful tenders are kept
  with their status (analyses leave them out of price screens), and so are
  disqualified and withdrawn bids.
* Parties' **identifiers** (scheme + id) key them: ``company:<USCC>`` for a valid
  Chinese USCC, ``company:<scheme>-<id>`` otherwise, ``company:name:<name>`` only
  when the party has no identifier. A tenderer written without an id is matched by
  name to the party of the same release that has one, so its bid and its award
  meet on one company.
* Parties' addresses, telephones and e-mails become **Address**, **Phone** and
  **Email** nodes (``HAS_ADDRESS`` …), which bid-rings reads as shared contacts.

Publishers' own codelist values (Ukrainian ``active`` bids, Romanian tender
statuses) are mapped to OCDS values by a codelists file (see
:func:`load_codelists`); a value neither OCDS's nor mapped is left empty and
counted in the data-quality report under its field.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphmodel import EdgeRecord, NodeRecord, NodeRef, Schema

from . import parse as P
from .mapping import FieldSpec, MappingError, RowResult
from .ocds_read import UNCOMPILED
from .quality import FieldQuality

__all__ = ["OcdsMapping", "CODELISTS", "OCDS_METHODS", "load_codelists", "parse_codelists"]

#: OCDS procurementMethod codes -> the schema's Tender.method.
OCDS_METHODS = {"open": "open", "selective": "invited", "limited": "competitive_negotiation", "direct": "single_source"}

#: The OCDS codelists a codelists file may map to, with their values.
CODELISTS: dict[str, tuple[str, ...]] = {
    "tender_status": ("planning", "planned", "active", "cancelled", "unsuccessful", "complete", "withdrawn"),
    "bid_status": ("invited", "pending", "valid", "disqualified", "withdrawn"),
    "award_status": ("pending", "active", "cancelled", "unsuccessful"),
    "procurement_method": ("open", "selective", "limited", "direct"),
}
_ALIASES = {
    "tenderstatus": "tender_status",
    "bidstatus": "bid_status",
    "awardstatus": "award_status",
    "method": "procurement_method",
    "procurementmethod": "procurement_method",
}
_PLANNING = frozenset({"planning", "planned"})


def _value_key(value: Any) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(value)).casefold().split())


def parse_codelists(data: Any, source: str = "the codelists file") -> dict[str, dict[str, str]]:
    """Check a codelists mapping ``{codelist: {publisher's value: OCDS value}}`` and key it for lookup.

    Raises
    ------
    MappingError
        For an unknown codelist, or a target value that is not in the OCDS codelist; the message names it.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise MappingError(f"{source} must map codelist names to {{publisher value: OCDS value}}")
    out: dict[str, dict[str, str]] = {}
    for name, values in data.items():
        key = str(name).strip()
        key = _ALIASES.get(key.replace("_", "").lower(), key)
        if key not in CODELISTS:
            raise MappingError(f"{source}: unknown codelist {name!r}; the codelists are {', '.join(CODELISTS)}")
        if not isinstance(values, Mapping):
            raise MappingError(f"{source}: {name} must map publisher values to OCDS values, like  active: valid")
        table = out.setdefault(key, {})
        for given, target in values.items():
            if str(target) not in CODELISTS[key]:
                raise MappingError(
                    f"{source}: {name}: {given!r} maps to {target!r}, which is not in the OCDS codelist "
                    f"({', '.join(CODELISTS[key])})"
                )
            table[_value_key(given)] = str(target)
    return out


def load_codelists(path: str | Path | None) -> dict[str, dict[str, str]]:
    """Read a YAML codelists file, e.g. ``bid_status: {qualified: valid, not-qualified: disqualified}``."""
    if path is None:
        return {}
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"codelists file {p} does not exist") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"codelists file {p} is not valid YAML: {exc}") from None
    return parse_codelists(data, f"codelists file {p.name}")


class OcdsMapping:
    """Recognises OCDS compiled releases (objects carrying ``ocid``) and maps each process to records."""

    name = "ocds"
    title = "OCDS contracting processes (releases, records, packages)"
    required_headers = ("ocid",)
    one_of: tuple[tuple[str, ...], ...] = ()
    file_vars: Mapping[str, tuple[str, str]] = {}
    each: tuple = ()
    has_secrets = False
    builtin = True
    fields: Mapping[str, FieldSpec] = {
        name: FieldSpec(name, (name,), "text") for name in ("ocid", "tender", "parties", "bids", "awards", "buyer")
    }
    path = Path(__file__)

    def __init__(self, codelists: Mapping[str, Mapping[str, str]] | None = None):
        self.codelists = {k: dict(v) for k, v in (codelists or {}).items()}
        text = repr(sorted((k, sorted(v.items())) for k, v in self.codelists.items()))
        # The reading is code: a change to it that alters records changes this, and so does another codelist.
        self.digest = "ocds-2:" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def matches(self, columns: Any) -> bool:
        present = {c for c in columns if c}
        return "ocid" in present or "compiledRelease" in present

    def coverage(self, columns: Any) -> int:
        return sum(
            1 for c in ("ocid", "tender", "parties", "bids", "awards", "buyer", "compiledRelease") if c in set(columns)
        )

    def mapper(self, schema: Schema, *_: Any, **__: Any) -> _OcdsProcess:
        return _OcdsProcess(schema, self.codelists)


# (``type(x) is dict`` first: JSON gives dicts, and an isinstance check against the Mapping ABC is slow.)
def _obj(value: Any) -> Mapping[str, Any]:
    return value if type(value) is dict or isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if type(v) is dict or isinstance(v, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if type(value) is str:
        return _clean_str(value)
    if isinstance(value, (Mapping, list)):
        return None
    return P.clean_text(value)


@functools.lru_cache(maxsize=65536)
def _clean_str(value: str) -> str | None:
    """:func:`ingest.parse.clean_text` of a string, remembered: statuses, currencies, names and days recur."""
    return P.clean_text(value)


def _datetime(value: Any) -> dt.datetime | None:
    """An ISO 8601 date-time as naive UTC (a date alone is its midnight)."""
    text = _text(value)
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise P.ParseError(
            f"not a date-time: {text[:40]!r} (OCDS dates are ISO 8601, 2016-06-02T14:54:40+03:00)"
        ) from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when


def _local_date(value: Any) -> dt.date | None:
    """The calendar day as the publisher wrote it (its own time zone)."""
    text = _text(value)
    if not text:
        return None
    return _day(text[:10])


@functools.lru_cache(maxsize=8192)
def _day(text: str) -> dt.date | None:
    """:func:`ingest.parse.parse_date`, remembered: the days of a file's dates are few."""
    return P.parse_date(text)


def _amount(value: Any) -> tuple[float | None, str | None]:
    v = _obj(value)
    amount = P.parse_float(v.get("amount")) if _text(v.get("amount")) else None
    currency = _text(v.get("currency"))
    return amount, currency.upper() if currency else None


def _identifier(party: Mapping[str, Any]) -> str | None:
    ident = _obj(party.get("identifier"))
    scheme, number = _text(ident.get("scheme")), _text(ident.get("id"))
    if number:
        return f"{scheme}-{number}" if scheme and not number.startswith(f"{scheme}-") else number
    return None


_NOT_WORD = re.compile(r"[^\w]+")
_CACHE_SIZE = 200_000


def _party_key(party: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What :func:`_company` and the contacts read of a party, as a hashable key; None when not hashable."""
    key: list[Any] = [party.get("id"), party.get("name")]
    for part in ("identifier", "address", "contactPoint"):
        value = party.get(part)
        key.append(tuple(value.items()) if isinstance(value, Mapping) else value)
    try:
        hash(tup := tuple(key))
    except TypeError:
        return None
    return tup


def _address_key(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


class _OcdsProcess:
    def __init__(self, schema: Schema, codelists: Mapping[str, Mapping[str, str]]):
        self.schema = schema
        self.codelists = codelists
        self.quality: dict[str, FieldQuality] = {}
        # Firms and buyers recur in many processes: their keys and contact records are made once.
        self._companies: dict[tuple[Any, ...], tuple[str, NodeRecord] | None] = {}
        self._contact_cache: dict[tuple[Any, ...], tuple[list[Any], list[tuple[str, str]]]] = {}

    # -- data quality ---------------------------------------------------------------------------
    def _q(self, field: str) -> FieldQuality:
        q = self.quality.get(field)
        if q is None:
            q = self.quality[field] = FieldQuality(field, field)
        return q

    def _note(self, field: str, text: str) -> None:
        """Count one thing in a field the graph does not take as written (it says what was done instead)."""
        q = self._q(field)
        q.unrecognised += 1
        q.note(text)

    def _code(self, codelist: str, field: str, value: Any) -> str | None:
        """A publisher's value as the OCDS code: its own when in the codelist, else the codelists file's."""
        q = self._q(field)
        q.rows += 1
        text = _text(value)
        if not text:
            q.empty += 1
            return None
        key = _value_key(text)
        mapped = self.codelists.get(codelist, {}).get(key)
        if mapped is not None:
            return mapped
        if key in CODELISTS[codelist]:
            return key
        q.unrecognised += 1
        q.note(text)
        return None

    # -- one process ----------------------------------------------------------------------------
    def apply(self, raw: Mapping[str, Any]) -> RowResult:
        result = RowResult()
        compiled = raw.get("compiledRelease")
        release: Mapping[str, Any] = compiled if isinstance(compiled, Mapping) else raw
        if UNCOMPILED in release:
            result.problems.append(("releases", release.get("ocid"), release[UNCOMPILED]))
            return result
        ocid = _text(release.get("ocid"))
        if not ocid:
            result.problems.append(("ocid", release.get("ocid"), "a release needs its ocid"))
            return result
        try:
            self._process(release, ocid, result)
        except P.ParseError as exc:
            result.records.clear()
            result.mentions.clear()
            result.problems.append((getattr(exc, "field", "") or "release", ocid, str(exc)))
        return result

    def _process(self, release: Mapping[str, Any], ocid: str, result: RowResult) -> None:
        tender = _obj(release.get("tender"))
        bids = _list(_obj(release.get("bids")).get("details"))
        awards = _list(release.get("awards"))
        if release.get("awards") is not None and not isinstance(release.get("awards"), list):
            self._note("awards", "not a list of awards (OCDS has one): the winners are not known")
        status = self._code("tender_status", "tender.status", tender.get("status"))
        plan = self._q("tender (planning only)")
        plan.rows += 1
        if not tender or (status in _PLANNING and not bids and not awards):
            self._note("tender (planning only)", "planning only: not a tender")
            return

        parties = _list(release.get("parties"))
        by_id = {str(p.get("id")): p for p in parties if p.get("id") is not None}
        named: list[dict[str, Mapping[str, Any]]] = []  # the parties by name, made when first needed

        def by_name() -> dict[str, Mapping[str, Any]]:
            if not named:
                table: dict[str, Mapping[str, Any]] = {}
                for p in parties:
                    for written in (p.get("name"), _obj(p.get("identifier")).get("legalName")):
                        name = P.normalise_org_name(_text(written))
                        if name and (_identifier(p) or p.get("id") is not None):
                            table.setdefault(name, p)
                named.append(table)
            return named[0]

        def party_of(ref: Mapping[str, Any]) -> Mapping[str, Any]:
            """The party a reference (id and/or name) points at: by id, else by name, else the reference."""
            ref_id = ref.get("id")
            if ref_id is not None and str(ref_id) in by_id:
                return by_id[str(ref_id)]
            name = P.normalise_org_name(_text(ref.get("name")))
            if name and name in by_name():
                return by_name()[name]
            return ref

        # -- lots and the tenders they become
        lots = [entry for entry in _list(tender.get("lots")) if entry.get("id") is not None]
        method = self._code("procurement_method", "tender.procurementMethod", tender.get("procurementMethod"))
        period = _obj(tender.get("tenderPeriod"))
        base: dict[str, Any] = {
            "ocid": ocid,
            "procurement_method": method,
            "method": OCDS_METHODS.get(method or ""),
            "method_details": _text(tender.get("procurementMethodDetails")),
            "period_start": _datetime(period.get("startDate")),
            "period_end": _datetime(period.get("endDate")),
            "announced": _local_date(period.get("startDate") or tender.get("datePublished") or release.get("date")),
        }
        value, currency = _amount(tender.get("value"))
        items = _list(tender.get("items"))
        tenders: dict[str | None, str] = {}  # lot id (None: the whole process) -> Tender key
        lot_props: dict[str | None, dict[str, Any]] = {}
        if len(lots) > 1:
            for entry in lots:
                lot_id = str(entry["id"])
                lot_value, lot_currency = _amount(entry.get("value"))
                lot_status = self._code("tender_status", "tender.lots.status", entry.get("status")) or status
                tenders[lot_id] = f"tender:{ocid}/{lot_id}"
                lot_props[lot_id] = {
                    "title": _text(entry.get("title")) or _text(tender.get("title")),
                    "lot": lot_id,
                    "status": lot_status,
                    "budget": lot_value,
                    "currency": lot_currency or currency,
                    "classifications": _classes(i for i in items if str(i.get("relatedLot")) == lot_id),
                }
        else:
            only: str | None = str(lots[0]["id"]) if lots else None
            lot_status = self._code("tender_status", "tender.lots.status", lots[0].get("status")) if lots else None
            if lot_status in ("cancelled", "unsuccessful") or status is None:
                status = lot_status or status  # the one lot failed: so did the tender
            if not value and lots:
                value = _amount(lots[0].get("value"))[0]
            tenders[None] = f"tender:{ocid}"
            lot_props[None] = {
                "title": _text(tender.get("title")),
                "lot": only,
                "status": status,
                "budget": value,
                "currency": currency,
                "classifications": _classes(items),
            }

        def lots_of(obj: Mapping[str, Any], *keys: str) -> list[str | None]:
            """The tenders (by lot) a bid or award is for; every lot when it names none."""
            if None in tenders:
                return [None]
            named: list[str] = []
            for key in keys:
                v = obj.get(key)
                named += [str(x) for x in v] if isinstance(v, list) else [str(v)] if v is not None else []
            known = [n for n in named if n in tenders]
            if not known:
                self._note("bids/awards without a lot", "no relatedLots in a process with lots: on every lot")
                return list(tenders)
            return list(dict.fromkeys(known))

        # -- awards: who won which lot
        winners: dict[tuple[str | None, str], dict[str, Any]] = {}
        award_dates: dict[str | None, dt.date] = {}
        companies: dict[str, NodeRecord] = {}
        party_keys: dict[int, str] = {}

        def company(ref: Mapping[str, Any]) -> str | None:
            party = party_of(ref)
            key = party_keys.get(id(party))
            if key is None:
                content = _party_key(party)
                made = self._company(party, content)
                if made is None:
                    self._note("tenderers and suppliers", "neither a name nor an identifier: left out")
                    return None
                key, record = made
                party_keys[id(party)] = key
                companies.setdefault(key, record)
                self._contacts(NodeRef("Company", key), party, result, content)
            return key

        for award in awards:
            a_status = self._code("award_status", "awards.status", award.get("status"))
            if a_status in ("pending", "cancelled", "unsuccessful"):
                continue
            amount, _ = _amount(award.get("value"))
            when = _local_date(award.get("date"))
            for lot in lots_of(award, "relatedLots", "lotID", "relatedLot"):
                if when and (lot not in award_dates or when < award_dates[lot]):
                    award_dates[lot] = when
                for supplier in _list(award.get("suppliers")):
                    key = company(supplier)
                    if key is None:
                        continue
                    won = winners.setdefault((lot, key), {"award_amount": None})
                    if amount:
                        won["award_amount"] = (won["award_amount"] or 0.0) + amount

        # -- bids
        edges: dict[tuple[str | None, str], dict[str, Any]] = {}
        for bid in bids:
            b_status = self._code("bid_status", "bids.details.status", bid.get("status"))
            amount, b_currency = _amount(bid.get("value"))
            if amount is not None and amount <= 0:
                self._note("bids.details.value.amount", "zero or negative amount: loaded without an amount")
                amount = None
            submitted = _datetime(bid.get("date"))
            bid_lots = lots_of(bid, "relatedLots", "relatedLot")
            if amount is not None and len(bid_lots) > 1:  # one price for several lots prices none of them
                self._note("bids.details.value.amount", "one amount for several lots: loaded without an amount")
                amount = None
            for lot in bid_lots:
                for tenderer in _list(bid.get("tenderers")):
                    key = company(tenderer)
                    if key is None:
                        continue
                    props = {
                        "amount": amount,
                        "currency": b_currency,
                        "status": b_status,
                        "submitted": submitted,
                        "bid_date": _local_date(bid.get("date")),
                        "bid_id": _text(bid.get("id")),
                    }
                    edges[(lot, key)] = {
                        **edges.get((lot, key), {}),
                        **{k: v for k, v in props.items() if v is not None},
                    }
        # Tenderers listed without bid details (tender.tenderers) bid too, amount unknown.
        if not bids:
            for tenderer in _list(tender.get("tenderers")):
                key = company(tenderer)
                if key is not None:
                    for lot in tenders:
                        edges.setdefault((lot, key), {})
        for (lot, key), won in winners.items():
            edge = edges.setdefault((lot, key), {})
            if won["award_amount"] is not None:
                edge["award_amount"] = won["award_amount"]

        # -- the buyer
        buyer_ref = _obj(release.get("buyer")) or _obj(tender.get("procuringEntity"))
        org_key = None
        if buyer_ref:
            buyer = party_of(buyer_ref)
            name = P.normalise_org_name(
                _text(buyer.get("name"))
                or _text(buyer_ref.get("name"))
                or _text(_obj(buyer.get("identifier")).get("legalName"))
            )
            ident = _identifier(buyer)
            if name:
                org_key = f"org:ocds:{ident}" if ident else f"org:ocds:{name}"
                props = {"name": name, "identifier": ident}
                result.records.append(NodeRecord("Organisation", org_key, _filled(props)))
                result.mentions.append(("buyer", "buyer", NodeRef("Organisation", org_key)))
                self._contacts(NodeRef("Organisation", org_key), buyer, result)

        # -- write
        for lot, tender_key in tenders.items():
            props = {**base, **lot_props[lot], "awarded": award_dates.get(lot)}
            result.records.append(NodeRecord("Tender", tender_key, _filled(props)))
            if org_key:
                result.records.append(
                    EdgeRecord("ISSUED", NodeRef("Organisation", org_key), NodeRef("Tender", tender_key))
                )
        for record in companies.values():
            result.records.insert(0, record)
        for (lot, key), props in sorted(edges.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            edge_props = {**props, "won": (lot, key) in winners}
            result.records.append(
                EdgeRecord("BID_ON", NodeRef("Company", key), NodeRef("Tender", tenders[lot]), _filled(edge_props))
            )
            result.mentions.append(("bidder", "tenderers", NodeRef("Company", key)))

    def _company(self, party: Mapping[str, Any], key: tuple[Any, ...] | None) -> tuple[str, NodeRecord] | None:
        """The party's Company key and node, remembered by the party's content ``key`` (a firm is a party of
        many processes; records are immutable)."""
        if key is not None and key in self._companies:
            return self._companies[key]
        made = _company(party)
        out = None if made is None else (made[0], NodeRecord("Company", made[0], _filled(made[1])))
        if key is not None:
            if len(self._companies) >= _CACHE_SIZE:
                self._companies.clear()
            self._companies[key] = out
        return out

    def _contacts(
        self, node: NodeRef, party: Mapping[str, Any], result: RowResult, key: tuple[Any, ...] | None = None
    ) -> None:
        """The party's address, telephones and e-mail as records (remembered by node and party content)."""
        key = key or _party_key(party)
        if key is None:
            records, notes = self._contact_records(node, party)
        else:
            cached = self._contact_cache.get((node, key))
            if cached is None:
                if len(self._contact_cache) >= _CACHE_SIZE:
                    self._contact_cache.clear()
                cached = self._contact_cache[(node, key)] = self._contact_records(node, party)
            records, notes = cached
        result.records.extend(records)
        for field, text in notes:
            self._note(field, text)

    def _contact_records(
        self, node: NodeRef, party: Mapping[str, Any]
    ) -> tuple[list[NodeRecord | EdgeRecord], list[tuple[str, str]]]:
        result = RowResult()
        notes: list[tuple[str, str]] = []
        address = _obj(party.get("address"))
        parts = [_text(address.get(k)) for k in ("streetAddress", "locality", "region", "postalCode", "countryName")]
        text = ", ".join(p for p in parts if p)
        if _text(address.get("streetAddress")):
            key = _address_key(text)
            result.records.append(NodeRecord("Address", key, {"text": text}))
            result.records.append(EdgeRecord("HAS_ADDRESS", node, NodeRef("Address", key)))
        contact = _obj(party.get("contactPoint"))
        for field in ("telephone", "faxNumber"):
            if _text(contact.get(field)):
                try:
                    phone = P.parse_phone(contact.get(field))
                except P.ParseError:
                    notes.append((f"parties.contactPoint.{field}", str(_text(contact.get(field)))))
                    continue
                if phone:
                    result.records.append(NodeRecord("Phone", phone, {}))
                    result.records.append(EdgeRecord("HAS_PHONE", node, NodeRef("Phone", phone)))
        email = _text(contact.get("email"))
        if email and "@" in email:
            key = email.strip().lower()
            result.records.append(NodeRecord("Email", key, {}))
            result.records.append(EdgeRecord("HAS_EMAIL", node, NodeRef("Email", key)))
        return list(result.records), notes


def _classes(items: Any) -> list[str]:
    out: list[str] = []
    for item in items:
        cls = _obj(item.get("classification"))
        code = _text(cls.get("id"))
        if code and code not in out:
            out.append(code)
    return out


def _filled(props: Mapping[str, Any]) -> dict[str, Any]:
    """The properties that are set: not None, not an empty list, not empty text."""
    # (The type tests first: comparing a date with [] and "" costs two failed comparisons each.)
    return {k: v for k, v in props.items() if v is not None and not (isinstance(v, (list, str)) and not v)}


def _company(party: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    ident = _identifier(party)
    name = P.normalise_org_name(_text(party.get("name"))) or P.normalise_org_name(
        _text(_obj(party.get("identifier")).get("legalName"))
    )
    if not name and not ident:
        return None
    props: dict[str, Any] = {"name": name or ident, "identifier": ident}
    number = _text(_obj(party.get("identifier")).get("id"))
    scheme = str(_obj(party.get("identifier")).get("scheme") or "").upper()
    uscc = None
    if number and (scheme.startswith("CN") or not scheme):
        try:
            uscc = P.parse_uscc(number)
        except P.ParseError:
            uscc = None
    if uscc:
        props["uscc"] = uscc
        return f"company:{uscc}", _filled(props)
    if ident:
        return f"company:{ident}", _filled(props)
    if name:
        return f"company:name:{name}", _filled(props)
    return None

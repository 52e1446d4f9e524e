"""The graph as the detectors read it: tidy pandas frames over resolved entities.

Every detector needs the same few joins (a finding's organisation, a bid's
company and tender, a cadre's posts), and each of them must see one
organisation, cadre or company however many tiers wrote it. :class:`GraphView`
reads each label and relationship type once through the backend's public
interface (so both backends give the same frames), replaces organisation,
person and company keys by their ``canonical_id``, and caches the result for
every detector run on the same view.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
import unicodedata
from collections.abc import Callable
from functools import cached_property, lru_cache
from typing import Any

import pandas as pd

from graphmodel import GraphBackend
from ingest.parse import ParseError, current_region

from .base import DetectorError

__all__ = ["GraphView", "RESOLVED_LABELS"]

RESOLVED_LABELS = ("Organisation", "Person", "Company")
_log = logging.getLogger(__name__)


#: Tender fields only some sources give (OCDS): empty columns where none does.
TENDER_DETAILS = (
    "ocid", "lot", "status", "procurement_method", "method_details", "currency", "period_start", "period_end",
    "classifications",
)  # fmt: skip
BID_DETAILS = ("status", "currency", "submitted", "bid_id", "award_amount", "bid_date")
#: Labels and relationship types analyses write into the graph (not data they read).
ANALYSIS_OUTPUT = ("RedFlag", "FLAGS")
#: Tender statuses whose bids are not prices anyone paid (OCDS tender.status).
FAILED_TENDER = ("cancelled", "unsuccessful", "withdrawn")


@lru_cache(maxsize=65536)
def _today(code: str) -> str:
    """The code in use today for a region code; a code GB/T 2260 never had stands for itself."""
    try:
        return current_region(code)
    except ParseError:
        return code


def _dates(series: pd.Series) -> pd.Series:
    # datetime64 whatever the values: all missing, or no rows at all (a graph without this kind of record).
    return pd.to_datetime(series, errors="coerce")


class GraphView:
    """Cached, resolved frames of one graph.

    Parameters
    ----------
    backend : GraphBackend
        Any backend; only its public read methods are used.
    scope : str, optional
        A 6-digit region code (full-width digits read as digits): only that jurisdiction and its subtree are
        read (a province sees its cities and counties, a city its counties, a county itself). Organisations
        with no known region are outside every scope; so are findings, leads, tours, posts and tenders of
        organisations outside it, and leads and transfers kept by departments outside it.

    Notes
    -----
    Frames are read lazily and cached; build a new view after the graph
    changes. Dates are ``datetime64`` columns (``NaT`` when missing). A
    frame has the same columns and dtypes whether the graph holds many
    records of its kind or none: a graph of procurement data alone has an
    empty ``findings`` frame whose ``found_date`` is still ``datetime64``.
    """

    def __init__(self, backend: GraphBackend, scope: str | None = None):
        self.backend = backend
        if scope is not None:
            # Full-width digits, as a Chinese input method types them, are the code; other scripts' digits are not.
            text = unicodedata.normalize("NFKC", str(scope)).strip()
            if not re.fullmatch(r"[0-9]{6}", text):
                raise DetectorError(
                    f"scope {scope!r} is not a 6-digit region code (GB/T 2260), e.g. 330102 for a county"
                )
            scope = text
        self.scope = scope
        self._canonical: dict[str, dict[str, str]] = {}
        self._results: dict[tuple, Any] = {}
        self._fingerprint: str | None = None
        self._counts: dict[str, int] | None = None
        self._node_frames: dict[str, pd.DataFrame] = {}
        self._rel_frames: dict[str, pd.DataFrame] = {}

    def _nodes(self, label: str) -> pd.DataFrame:
        # Each label is read once per view (resolution and entity tables both need it).
        if label not in self._node_frames:
            self._node_frames[label] = self.backend.nodes(label)
        return self._node_frames[label]

    def _relationships(self, rel_type: str) -> pd.DataFrame:
        # Each type is read once per view (CONCERNS serves findings and leads alike).
        if rel_type not in self._rel_frames:
            self._rel_frames[rel_type] = self.backend.relationships(rel_type)
        return self._rel_frames[rel_type]

    def memo(self, name: str, params: dict[str, Any], compute: Callable[[], Any]) -> Any:
        """A detector's result for these parameters, computed once per view (detectors reuse each other's)."""
        key = (name, tuple(sorted((k, str(v)) for k, v in params.items())))
        if key not in self._results:
            self._results[key] = compute()
        return self._results[key]

    def counts(self) -> dict[str, int]:
        """Records per label and per relationship type in the graph, scope aside (those with none are left out).

        What tells a detector its inputs are absent (a graph of procurement data alone has no ``Finding``),
        read once per view from the backend's counts.
        """
        if self._counts is None:
            stats = self.backend.stats()
            self._counts = {**stats["nodes"], **stats["relationships"]}
        return dict(self._counts)

    def fingerprint(self) -> str:
        """A digest of what the whole graph holds: its sources (each file at its version), its counts, and
        how its records were resolved. Detector results computed on a graph with another fingerprint are
        stale: a file was added, replaced or retracted, or entities were resolved again since."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            stats = self.backend.stats()
            # What analyses wrote back (red flags) is their output, not the data they read.
            stats = {k: {n: c for n, c in v.items() if n not in ANALYSIS_OUTPUT} for k, v in stats.items()}
            digest.update(json.dumps(stats, sort_keys=True).encode())
            sources = self._nodes("Source")
            if not sources.empty:
                columns = [c for c in ("source_id", "status", "sha256", "rows_loaded") if c in sources]
                table = sources[columns].astype(str).sort_values("source_id")
                digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
            for label in RESOLVED_LABELS:
                canonical = pd.Series(self.canonical(label), dtype=object).sort_index()
                digest.update(label.encode())
                digest.update(pd.util.hash_pandas_object(canonical, index=True).to_numpy().tobytes())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    # -- resolution -------------------------------------------------------------------------------
    def canonical(self, label: str) -> dict[str, str]:
        """node key -> canonical id, for a resolved label (identity for others)."""
        if label not in self._canonical:
            frame = self._nodes(label)
            key = self.backend.schema.node(label).key
            if frame.empty:
                self._canonical[label] = {}
            elif "canonical_id" in frame:
                self._canonical[label] = dict(zip(frame[key], frame["canonical_id"].fillna(frame[key]), strict=True))
            else:
                self._canonical[label] = {k: k for k in frame[key]}
        return self._canonical[label]

    def resolve(self, label: str, keys: pd.Series) -> pd.Series:
        """Map node keys of ``label`` to canonical ids (keys not in the graph stay as they are)."""
        if label not in RESOLVED_LABELS:
            return keys
        table = self.canonical(label)
        return keys.map(lambda k: table.get(k, k))

    def rel(self, rel_type: str, start: str | None = None, end: str | None = None) -> pd.DataFrame:
        """Relationships of a type, ends resolved: columns ``start, end`` (+ labels and properties)."""
        frame = self._relationships(rel_type)
        if frame.empty:
            props = list(self.backend.schema.relationship(rel_type).properties)
            return pd.DataFrame(columns=["start_label", "start", "end_label", "end", *props])
        if start is not None:
            frame = frame[frame["start_label"] == start]
        if end is not None:
            frame = frame[frame["end_label"] == end]
        frame = frame.copy()
        frame["start"] = frame["start_key"]
        frame["end"] = frame["end_key"]
        for side in ("start", "end"):
            for label in RESOLVED_LABELS:
                mask = frame[f"{side}_label"] == label
                if mask.any():
                    frame.loc[mask, side] = self.resolve(label, frame.loc[mask, f"{side}_key"])
        return frame.drop(columns=["start_key", "end_key"]).reset_index(drop=True)

    def _entities(self, label: str, prefer: Callable[[pd.DataFrame], pd.Series] | None = None) -> pd.DataFrame:
        frame = self._nodes(label)
        key = self.backend.schema.node(label).key
        frame = frame.copy()
        frame["id"] = frame["canonical_id"].fillna(frame[key])
        if prefer is not None:
            # Records that say more come first, so "first non-null" takes their values.
            frame = frame.assign(_rank=prefer(frame)).sort_values(["_rank", key], ascending=[False, True])
            frame = frame.drop(columns="_rank")
        grouped = frame.drop(columns=[key, "canonical_id"]).groupby("id", sort=True)
        out = grouped.first()
        out.insert(0, "records", grouped.size())
        if "name" in frame.columns and len(frame):
            authoritative = prefer(frame) if prefer is not None else pd.Series(0, index=frame.index)
            agreed = _agreed_names(frame["id"], frame["name"], authoritative)
            out.loc[agreed.index, "name"] = agreed
        return out

    # -- entities ---------------------------------------------------------------------------------
    @cached_property
    def _all_organisations(self) -> pd.DataFrame:
        """One row per resolved organisation (index ``id``): name, tier, system, region_code, kind, records."""
        return self._entities("Organisation", prefer=lambda f: f["tier"].notna().astype(int) + f["system"].notna())

    @cached_property
    def people(self) -> pd.DataFrame:
        """One row per resolved person: name, birth_date, native_place, records."""
        return self._entities("Person", prefer=lambda f: f["birth_date"].notna().astype(int))

    @cached_property
    def companies(self) -> pd.DataFrame:
        """One row per resolved company: name, uscc, region_code, records."""
        return self._entities("Company", prefer=lambda f: f["uscc"].notna().astype(int))

    @cached_property
    def _all_parent(self) -> dict[str, str]:
        """Organisation -> its parent organisation (``PART_OF``)."""
        r = self.rel("PART_OF")
        return dict(zip(r["start"], r["end"], strict=True))

    @cached_property
    def _all_successor(self) -> dict[str, str]:
        """Organisation -> the organisation that took over its work (``SUCCEEDED_BY``)."""
        r = self.rel("SUCCEEDED_BY")
        return {a: b for a, b in zip(r["start"], r["end"], strict=True) if a != b}

    # -- inspection -------------------------------------------------------------------------------
    @cached_property
    def _all_findings(self) -> pd.DataFrame:
        """Findings: finding, category, found_date, severity, amount, organisation, tour."""
        f = self._nodes("Finding").rename(columns={"finding_id": "finding"})
        f["found_date"] = _dates(f["found_date"])
        concerns = self.rel("CONCERNS", "Finding", "Organisation")[["start", "end"]]
        concerns = concerns.drop_duplicates("start").rename(columns={"start": "finding", "end": "organisation"})
        found = self.rel("FOUND", "Tour", "Finding")[["start", "end"]].drop_duplicates("end")
        found = found.rename(columns={"end": "finding", "start": "tour"})
        return f.merge(concerns, on="finding", how="left").merge(found, on="finding", how="left")

    @cached_property
    def _all_rectifications(self) -> pd.DataFrame:
        """Rectifications: rectification, finding, status, deadline, reported_date, verified."""
        r = self._nodes("Rectification").rename(columns={"rectification_id": "rectification"})
        for c in ("deadline", "reported_date", "verified_date"):
            r[c] = _dates(r[c])
        link = self.rel("RECTIFIES")[["start", "end"]].rename(columns={"start": "rectification", "end": "finding"})
        return r.merge(link.drop_duplicates("rectification"), on="rectification", how="left")

    @cached_property
    def _all_tours(self) -> pd.DataFrame:
        """Tours: tour, level, kind, start_date, end_date, round, team."""
        t = self._nodes("Tour").rename(columns={"tour_id": "tour"})
        for c in ("start_date", "end_date", "feedback_date"):
            t[c] = _dates(t[c])
        rounds = self.rel("IN_ROUND")[["start", "end"]].drop_duplicates("start")
        teams = self.rel("CONDUCTED")[["start", "end"]].drop_duplicates("end")
        t = t.merge(rounds.rename(columns={"start": "tour", "end": "round"}), on="tour", how="left")
        return t.merge(teams.rename(columns={"end": "tour", "start": "team"}), on="tour", how="left")

    @cached_property
    def _all_inspected(self) -> pd.DataFrame:
        """Tour -> organisation it inspected: tour, organisation."""
        r = self.rel("INSPECTED")[["start", "end"]].drop_duplicates()
        return r.rename(columns={"start": "tour", "end": "organisation"}).reset_index(drop=True)

    @cached_property
    def _all_members(self) -> pd.DataFrame:
        """Inspectors: person, team, role."""
        r = self.rel("MEMBER_OF")[["start", "end", "role"]].drop_duplicates()
        return r.rename(columns={"start": "person", "end": "team"}).reset_index(drop=True)

    # -- people -----------------------------------------------------------------------------------
    @cached_property
    def _all_posts(self) -> pd.DataFrame:
        """Posts held: person, organisation, post, start_date, end_date."""
        r = self.rel("SERVES_AT")
        r = r.rename(columns={"start": "person", "end": "organisation"})
        r = r[["person", "organisation", "post", "start_date", "end_date"]].copy()
        r["start_date"] = _dates(r["start_date"])
        r["end_date"] = _dates(r["end_date"])
        return r.drop_duplicates().reset_index(drop=True)

    @cached_property
    def relatives(self) -> pd.DataFrame:
        """Declared relatives: person, relative, relation (both directions listed)."""
        r = self.rel("RELATIVE_OF")[["start", "end", "relation"]]
        both = pd.concat(
            [
                r.rename(columns={"start": "person", "end": "relative"}),
                r.rename(columns={"end": "person", "start": "relative"}),
            ],
            ignore_index=True,
        )
        return both[both["person"] != both["relative"]].drop_duplicates().reset_index(drop=True)

    @cached_property
    def company_roles(self) -> pd.DataFrame:
        """Persons' roles in companies: person, company, role (officer roles and ``shareholder``), start_date,
        end_date (NaT where the registry extract gives none)."""
        frames = []
        for rel_type, role in (("OFFICER_OF", None), ("SHAREHOLDER_OF", "shareholder")):
            r = self.rel(rel_type, "Person")
            r = r.assign(role=role) if role else r
            for column in ("role", "start_date", "end_date"):
                if column not in r:
                    r[column] = None
            frames.append(r[["start", "end", "role", "start_date", "end_date"]])
        both = pd.concat(frames, ignore_index=True).rename(columns={"start": "person", "end": "company"})
        both["role"] = both["role"].fillna("officer")
        both["start_date"] = _dates(both["start_date"])
        both["end_date"] = _dates(both["end_date"])
        return both.drop_duplicates().reset_index(drop=True)

    # -- procurement ------------------------------------------------------------------------------
    @cached_property
    def _all_tenders(self) -> pd.DataFrame:
        """Tenders: tender, title, budget, announced, awarded, method, buyer; from OCDS also ocid, lot, status,
        procurement_method, method_details, currency, period_start, period_end, classifications."""
        t = self._nodes("Tender").rename(columns={"tender_id": "tender"})
        t["announced"] = _dates(t["announced"])
        t["awarded"] = _dates(t["awarded"])
        for column in TENDER_DETAILS:
            if column not in t:
                t[column] = None
        for column in ("period_start", "period_end"):  # one resolution, whatever the values (or none)
            t[column] = pd.to_datetime(t[column], errors="coerce").astype("datetime64[us]")
        issued = self.rel("ISSUED")[["start", "end"]].drop_duplicates("end")
        return t.merge(issued.rename(columns={"start": "buyer", "end": "tender"}), on="tender", how="left")

    @cached_property
    def _all_bids(self) -> pd.DataFrame:
        """Bids: company, tender, amount, rank, won (one per company and tender); from OCDS also status,
        currency, submitted, bid_id and award_amount (absent fields are empty)."""
        b = self.rel("BID_ON").rename(columns={"start": "company", "end": "tender"})
        for column in ("amount", "rank", "won", *BID_DETAILS):
            if column not in b:
                b[column] = None
        b = b[["company", "tender", "amount", "rank", "won", *BID_DETAILS]]
        b["amount"] = pd.to_numeric(b["amount"], errors="coerce").astype(float)
        b["award_amount"] = pd.to_numeric(b["award_amount"], errors="coerce").astype(float)
        b["submitted"] = pd.to_datetime(b["submitted"], errors="coerce").astype("datetime64[us]")
        b["won"] = b["won"].fillna(False).astype(bool)
        # Two records of one company resolved together on one tender are one bid: keep the winning one.
        b = b.sort_values(["tender", "company", "won"], ascending=[True, True, False])
        return b.drop_duplicates(["tender", "company"]).reset_index(drop=True)

    @cached_property
    def competing_bids(self) -> pd.DataFrame:
        """The bids that compete on price: of tenders not cancelled, unsuccessful or withdrawn, and either
        valid, pending, or of unknown status (bid tables without statuses), plus every winner's.
        Disqualified, invalid, withdrawn and invited bids are left out (OCDS bid statuses)."""
        b = self.bids
        if b.empty:
            return b
        failed = b["tender"].map(self.tenders.set_index("tender")["status"]).isin(FAILED_TENDER)
        competing = b["status"].isna() | b["status"].isin(("valid", "pending")) | b["won"]
        return b[competing & ~failed].reset_index(drop=True)

    @cached_property
    def company_contacts(self) -> pd.DataFrame:
        """Companies' addresses, phones and e-mails: company, kind (address/phone/email), value."""
        parts = []
        for rel_type, kind in (("HAS_ADDRESS", "address"), ("HAS_PHONE", "phone"), ("HAS_EMAIL", "email")):
            r = self.rel(rel_type, "Company")[["start", "end"]]
            parts.append(r.rename(columns={"start": "company", "end": "value"}).assign(kind=kind))
        return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)

    # -- leads ------------------------------------------------------------------------------------
    @cached_property
    def _all_leads(self) -> pd.DataFrame:
        """Leads: lead, source, received_date, status, category, department, organisation, person."""
        lead = self._nodes("Lead")
        lead = lead.rename(columns={"lead_id": "lead"}).drop(columns=["summary", "petitioner_hash"], errors="ignore")
        lead["received_date"] = _dates(lead["received_date"])
        received = self.rel("RECEIVED")[["start", "end"]].drop_duplicates("end")
        lead = lead.merge(received.rename(columns={"start": "department", "end": "lead"}), on="lead", how="left")
        for label, column in (("Organisation", "organisation"), ("Person", "person")):
            c = self.rel("CONCERNS", "Lead", label)[["start", "end"]].drop_duplicates("start")
            lead = lead.merge(c.rename(columns={"start": "lead", "end": column}), on="lead", how="left")
        return lead

    @cached_property
    def _all_transfers(self) -> pd.DataFrame:
        """Transfers: transfer, lead, recipient, transfer_date, deadline, feedback_date, feedback."""
        t = self._nodes("Transfer").rename(columns={"transfer_id": "transfer"})
        for c in ("transfer_date", "deadline", "feedback_date"):
            t[c] = _dates(t[c])
        has = self.rel("HAS_TRANSFER")[["start", "end"]].drop_duplicates("end")
        to = self.rel("TRANSFERRED_TO")[["start", "end"]].drop_duplicates("start")
        t = t.merge(has.rename(columns={"start": "lead", "end": "transfer"}), on="transfer", how="left")
        return t.merge(to.rename(columns={"start": "transfer", "end": "recipient"}), on="transfer", how="left")

    # -- scope: the public frames are the full ones cut to the jurisdiction ---------------------------
    def in_scope(self, region_code: Any) -> bool:
        """Whether a region code lies in this view's scope (always, without a scope).

        Both the code and the scope are taken as the codes in use today (:func:`ingest.parse.current_region`):
        110228 (密云县, a district since 2015) lies in the scope 110118 and in 110000, and a scope given as a
        retired code means its successor.
        """
        if self.scope is None:
            return True
        if not isinstance(region_code, str) or len(region_code) != 6:
            return False
        code, scope = _today(region_code), _today(self.scope)
        if scope.endswith("0000"):
            return code[:2] == scope[:2]
        if scope.endswith("00"):
            return code[:4] == scope[:4]
        return code == scope

    @cached_property
    def _placed(self) -> dict[str, tuple[str | None, str]]:
        """Organisation -> (region code, how it was placed), or (None, why not).

        From declared properties only, never from the spelling of a key: the organisation's own
        ``region_code`` (a directory entry; a department carries its office's), else the nearest ``PART_OF``
        parent that has one.
        """
        orgs = self._all_organisations
        own = {o: c for o, c in zip(orgs.index, orgs["region_code"], strict=True) if isinstance(c, str) and c}
        parent = self._all_parent
        out: dict[str, tuple[str | None, str]] = {}
        for o in orgs.index:
            if o in own:
                out[o] = (own[o], "region_code")
                continue
            chain, up = [o], parent.get(o)
            while up is not None and up not in own and up not in chain:
                chain.append(up)
                up = parent.get(up)
            if up is not None and up in own:
                out[o] = (own[up], f"PART_OF {up}")
            elif len(chain) > 1:
                out[o] = (None, f"no region_code on its records nor on its PART_OF parents ({len(chain) - 1})")
            else:
                out[o] = (None, "no region_code on its records and no PART_OF parent")
        return out

    @cached_property
    def unplaced(self) -> pd.DataFrame:
        """Organisations that cannot be placed in any region, and why: index ``id``, columns name, records, why.

        A scoped view leaves them out (they lie in no jurisdiction) and says how many at WARNING level of the
        ``analytics.graphview`` logger; give them a ``region_code`` (or a ``PART_OF`` parent with one) to place
        them.
        """
        orgs = self._all_organisations
        why = {o: reason for o, (code, reason) in self._placed.items() if code is None}
        out = orgs.loc[orgs.index.isin(list(why)), ["name", "records"]].copy()
        out["why"] = [why[o] for o in out.index]
        return out

    @cached_property
    def _scope_orgs(self) -> set[str]:
        out = {o for o, (code, _) in self._placed.items() if code is not None and self.in_scope(code)}
        if self.scope is not None and len(self.unplaced):
            _log.warning(
                "scope %s: %d organisation(s) have no region and are left out (GraphView.unplaced lists them)",
                self.scope,
                len(self.unplaced),
            )
        return out

    def _keep(self, ids: pd.Series, missing_ok: bool = False) -> pd.Series:
        inside = ids.isin(self._scope_orgs)
        return inside | ids.isna() if missing_ok else inside

    @cached_property
    def organisations(self) -> pd.DataFrame:
        """One row per resolved organisation in scope (index ``id``): name, tier, system, region_code, kind, records."""
        o = self._all_organisations
        return o if self.scope is None else o[o.index.isin(self._scope_orgs)]

    @cached_property
    def findings(self) -> pd.DataFrame:
        """Findings: finding, category, found_date, severity, amount, organisation, tour."""
        f = self._all_findings
        return f if self.scope is None else f[self._keep(f["organisation"])].reset_index(drop=True)

    @cached_property
    def rectifications(self) -> pd.DataFrame:
        """Rectifications: rectification, finding, status, deadline, reported_date, verified."""
        r = self._all_rectifications
        return r if self.scope is None else r[r["finding"].isin(self.findings["finding"])].reset_index(drop=True)

    @cached_property
    def inspected(self) -> pd.DataFrame:
        """Tour -> organisation it inspected: tour, organisation."""
        i = self._all_inspected
        return i if self.scope is None else i[self._keep(i["organisation"])].reset_index(drop=True)

    @cached_property
    def tours(self) -> pd.DataFrame:
        """Tours: tour, level, kind, start_date, end_date, round, team."""
        t = self._all_tours
        return t if self.scope is None else t[t["tour"].isin(self.inspected["tour"])].reset_index(drop=True)

    @cached_property
    def members(self) -> pd.DataFrame:
        """Inspectors: person, team, role."""
        m = self._all_members
        return m if self.scope is None else m[m["team"].isin(self.tours["team"])].reset_index(drop=True)

    @cached_property
    def posts(self) -> pd.DataFrame:
        """Posts held: person, organisation, post, start_date, end_date."""
        p = self._all_posts
        return p if self.scope is None else p[self._keep(p["organisation"])].reset_index(drop=True)

    @cached_property
    def tenders(self) -> pd.DataFrame:
        """Tenders: tender, title, budget, announced, awarded, method, buyer."""
        t = self._all_tenders
        return t if self.scope is None else t[self._keep(t["buyer"])].reset_index(drop=True)

    @cached_property
    def bids(self) -> pd.DataFrame:
        """Bids: company, tender, amount, rank, won (one per company and tender)."""
        b = self._all_bids
        return b if self.scope is None else b[b["tender"].isin(self.tenders["tender"])].reset_index(drop=True)

    @cached_property
    def leads(self) -> pd.DataFrame:
        """Leads: lead, source, received_date, status, category, department, organisation, person."""
        lead = self._all_leads
        if self.scope is None:
            return lead
        return lead[self._keep(lead["organisation"]) & self._keep(lead["department"], True)].reset_index(drop=True)

    @cached_property
    def transfers(self) -> pd.DataFrame:
        """Transfers: transfer, lead, recipient, transfer_date, deadline, feedback_date, feedback."""
        t = self._all_transfers
        if self.scope is None:
            return t
        return t[t["lead"].isin(self.leads["lead"]) & self._keep(t["recipient"], True)].reset_index(drop=True)

    @cached_property
    def successor(self) -> dict[str, str]:
        """Organisation -> the organisation that took over its work (``SUCCEEDED_BY``)."""
        return {a: b for a, b in self._all_successor.items() if self.scope is None or {a, b} <= self._scope_orgs}

    @cached_property
    def parent(self) -> dict[str, str]:
        """Organisation -> its parent organisation (``PART_OF``)."""
        return {a: b for a, b in self._all_parent.items() if self.scope is None or {a, b} <= self._scope_orgs}

    def name_of(self, label: str, graph_id: Any) -> str:
        """A person-readable name for a resolved id (falls back to the id)."""
        if label == "Tender":
            return self._tender_names.get(graph_id) or str(graph_id).removeprefix("tender:")
        table = {"Organisation": self.organisations, "Person": self.people, "Company": self.companies}.get(label)
        if table is not None and graph_id in table.index:
            name = table.at[graph_id, "name"]
            if isinstance(name, str) and name:
                return name
        return str(graph_id)

    @cached_property
    def _tender_names(self) -> dict[str, str]:
        """A tender's title (its process's when a lot has none), else its number as the source wrote it."""
        t = self._all_tenders
        titles = t["title"] if "title" in t else pd.Series(None, index=t.index)
        return {k: v for k, v in zip(t["tender"], titles, strict=True) if isinstance(v, str) and v}

    @cached_property
    def _tour_names(self) -> dict[str, str]:
        tours = self._all_tours
        rounds = self._nodes("Round")
        teams = self._nodes("Team")
        round_name = dict(zip(rounds["round_id"], rounds["name"], strict=True)) if "name" in rounds else {}
        team_name = dict(zip(teams["team_id"], teams["name"], strict=True)) if "name" in teams else {}
        out = {}
        for t in tours.itertuples(index=False):
            parts = [round_name.get(t.round), team_name.get(t.team)]
            words = [p for p in parts if isinstance(p, str) and p]
            if len(words) == 2 and words[0] in words[1]:  # a team named with its round
                words = words[1:]
            if not words and t.start_date == t.start_date and t.start_date is not pd.NaT:
                words = [f"{t.start_date.year}年{t.start_date.month}月"]
            out[t.tour] = " ".join(words) + ("巡察" if words and not words[-1].endswith(("组", "巡察", "巡视")) else "")
        return out

    def tour_name(self, tour: Any) -> str:
        """A tour as a team knows it: its round and team (``十四届第五轮 第三巡察组``), else its month."""
        name = self._tour_names.get(str(tour))
        return name if name else "一次巡察"

    @cached_property
    def vocabulary(self) -> dict[str, dict[str, str]]:
        """The workspace's own names: ``{"category": {code: name}, "system": {code: name}}``.

        From the ``ProblemCategory`` and ``SectorSystem`` nodes of the taxonomy the workspace was loaded with
        (an office's own, when it gave one), so every text shows the words that office uses.
        """
        out: dict[str, dict[str, str]] = {}
        for kind, label in (("category", "ProblemCategory"), ("system", "SectorSystem")):
            nodes = self._nodes(label)
            out[kind] = (
                {str(c): str(n) for c, n in zip(nodes["code"], nodes["name"], strict=True) if isinstance(n, str)}
                if len(nodes) and "name" in nodes.columns
                else {}
            )
        return out

    def category_name(self, code: Any) -> str:
        """A problem category as the workspace's taxonomy names it: ``违规吃喝`` (the code when unknown)."""
        return _named(self.vocabulary["category"], code)

    def system_name(self, code: Any) -> str:
        """A sector system as the workspace's taxonomy names it: ``供销合作`` (the code when unknown)."""
        return _named(self.vocabulary["system"], code)

    def latest_date(self) -> Any:
        """The latest date any finding, lead, transfer or tender carries (a default for ``as_of``)."""
        candidates = [
            self.findings["found_date"].max() if len(self.findings) else pd.NaT,
            self.leads["received_date"].max() if len(self.leads) else pd.NaT,
            self.transfers["transfer_date"].max() if len(self.transfers) else pd.NaT,
            self.transfers["feedback_date"].max() if len(self.transfers) else pd.NaT,
            self.tenders["awarded"].max() if len(self.tenders) else pd.NaT,
        ]
        dates = [d for d in candidates if d is not pd.NaT and d == d]
        return max(dates).date() if dates else None


def _agreed_names(ids: pd.Series, names: pd.Series, authority: pd.Series) -> pd.Series:
    """The name each entity's records agree on, for entities whose records spell it more than one way.

    A name's support is the records that write it, plus those that write a shorter form it ends with (民政局
    supports 温州市民政局, so the place-less form an office uses for its own unit never beats the full one; 宁波市委
    and 中共宁波市委员会 support each other).
    Most support wins; then the records that say most about the entity (``authority``: a directory row, a
    registry row); then the longer name; then the first in code-point order, so the choice never depends on
    load order. A misspelt minority record (田花乡员会 beside 田花乡党委 ×3) never names the entity.
    """
    frame = pd.DataFrame({"id": ids.to_numpy(), "name": names.to_numpy(), "authority": authority.to_numpy()})
    frame = frame[frame["name"].map(lambda n: isinstance(n, str) and bool(n))]
    distinct = frame.groupby("id")["name"].nunique()
    several = distinct.index[distinct > 1]
    if not len(several):
        return pd.Series(dtype=object)
    frame = frame[frame["id"].isin(several)]
    table = frame.groupby(["id", "name"], sort=True).agg(n=("name", "size"), authority=("authority", "sum"))
    table = table.reset_index()
    rows = zip(table["id"], table["name"], table["n"], table["authority"], strict=True)
    chosen = {}
    for entity, group in itertools.groupby(rows, key=lambda r: r[0]):
        spelt = [(name, n, authority_n) for _, name, n, authority_n in group]
        best = None
        forms = {name: _plain_form(name) for name, _, _ in spelt}
        for name, _, authority_n in spelt:
            support = sum(n for other, n, _ in spelt if forms[name].endswith(forms[other]))
            rank = (support, authority_n, len(name), [-ord(c) for c in name])
            if best is None or rank > best[0]:
                best = (rank, name)
        assert best is not None
        chosen[entity] = best[1]
    return pd.Series(chosen, dtype=object)


def _plain_form(name: str) -> str:
    """A name with the party's prefix and 委员会 written short (中共宁波市委员会 -> 宁波市委), for agreement."""
    plain = name.removeprefix("中国共产党").removeprefix("中共")
    return plain.replace("委员会", "委")


def _named(names: dict[str, str], code: Any) -> str:
    if code is None or code != code:
        return ""
    # A reader sees the name alone; the code is the graph's, kept in the frames' own columns.
    name = names.get(str(code))
    return name if name else str(code)

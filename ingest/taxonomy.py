"""An office's vocabulary: the problem-category tree and the sector systems, kept in the workspace.

Offices keep their own problem lists (Nanzhang's has 5 classes and 23 items)
and their own names for sector systems, so the vocabulary is data. A taxonomy
file has the shape of the shipped ``ingest/mappings/taxonomy.yaml``::

    categories:
    - {code: A, name: 党的领导弱化}
    - {code: A01, name: 贯彻落实党中央决策部署不到位, parent: A, aliases: [贯彻落实不到位]}
    systems:
    - {code: supply_marketing, name: 供销系统, aliases: [供销社, 供销]}

The workspace keeps the taxonomy it was first loaded with (the shipped one
when none is given) as the ``taxonomy`` source: ``ProblemCategory`` and
``SectorSystem`` nodes for queries, and the whole document on the source node,
so that later ingests, analyses and exports use the same words. A later
``ingest --taxonomy`` may add categories, systems and aliases; redefining a
code (another name or parent) or pointing an alias at another code is refused,
naming both definitions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphmodel import EdgeRecord, LiandongError, NodeRecord, NodeRef

from . import parse as P

__all__ = ["Category", "SectorSystem", "Taxonomy", "TaxonomyError", "load_taxonomy", "SHIPPED_TAXONOMY"]

SHIPPED_TAXONOMY = Path(__file__).parent / "mappings" / "taxonomy.yaml"
SOURCE_ID = "taxonomy"


class TaxonomyError(LiandongError):
    """A taxonomy file is malformed, or conflicts with the one the workspace holds."""


@dataclass(frozen=True)
class Category:
    """One node of the problem-category tree."""

    code: str
    name: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    origin: str = ""  # where it was defined: a file, or "the workspace"


@dataclass(frozen=True)
class SectorSystem:
    """A sector line crossing tiers (系统): 供销系统, 教育系统 …"""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    origin: str = ""


def _category_key(text: str) -> str:
    return re.sub(r"[\s“”\"'、，,]", "", P.clean_text(text) or "")


def _system_key(text: str) -> str:
    return re.sub(r"\s", "", P.clean_text(text) or "")


@dataclass(frozen=True)
class Taxonomy:
    """Problem categories and sector systems, with every way offices write them.

    Parameters
    ----------
    category_list, system_list
        The definitions, in file order.

    Examples
    --------
    >>> t = load_taxonomy()
    >>> t.code("围标串标"), t.system("供销")
    ('C03', 'supply_marketing')
    """

    category_list: tuple[Category, ...]
    system_list: tuple[SectorSystem, ...] = ()
    aliases: Mapping[str, str] = field(init=False, repr=False, compare=False)
    systems: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        aliases: dict[str, str] = {}
        for c in self.category_list:
            for alias in (c.code, c.name, *c.aliases):
                aliases.setdefault(_category_key(alias), c.code)
        systems: dict[str, str] = {}
        for s in self.system_list:
            for alias in (s.code, s.name, *s.aliases):
                systems.setdefault(_system_key(alias), s.code)
        object.__setattr__(self, "aliases", aliases)
        object.__setattr__(self, "systems", systems)

    # -- lookups
    @property
    def categories(self) -> tuple[tuple[str, str, str | None], ...]:
        """``(code, name, parent)`` for every category."""
        return tuple((c.code, c.name, c.parent) for c in self.category_list)

    def code(self, value: str) -> str:
        """The category code for a way of writing it; :class:`ParseError` when the taxonomy has no such one."""
        key = _category_key(value)
        code = self.aliases.get(key) or self.aliases.get(key.upper())
        if code is None:
            raise P.ParseError(
                f"unknown problem category '{value}' (add it to the taxonomy's aliases, or load your office's "
                "taxonomy with ingest --taxonomy)"
            )
        return code

    def system(self, value: str) -> str:
        """The sector-system code for a way of writing it; :class:`ParseError` when unknown."""
        code = self.systems.get(_system_key(value))
        if code is None:
            raise P.ParseError(
                f"unknown sector system '{value}' (add it to the taxonomy's systems, or load your office's "
                "taxonomy with ingest --taxonomy)"
            )
        return code

    def category_names(self) -> dict[str, str]:
        """Code -> name of every category."""
        return {c.code: c.name for c in self.category_list}

    def system_names(self) -> dict[str, str]:
        """Code -> name of every sector system."""
        return {s.code: s.name for s in self.system_list}

    # -- combining
    def merge(self, other: Taxonomy) -> Taxonomy:
        """This taxonomy with what ``other`` adds; :class:`TaxonomyError` naming both definitions on a conflict."""
        cats = {c.code: c for c in self.category_list}
        problems: list[str] = []
        for c in other.category_list:
            old = cats.get(c.code)
            if old is None:
                cats[c.code] = c
                continue
            if old.name != c.name or (old.parent or None) != (c.parent or None):
                problems.append(
                    f"category {c.code} is {old.name!r} (parent {old.parent or '—'}) in {old.origin or 'the workspace'}"
                    f" but {c.name!r} (parent {c.parent or '—'}) in {c.origin or 'the new taxonomy'}"
                )
                continue
            extra = tuple(a for a in c.aliases if a not in old.aliases)
            if extra:
                cats[c.code] = Category(old.code, old.name, old.parent, old.aliases + extra, old.origin)
        systems = {s.code: s for s in self.system_list}
        for s in other.system_list:
            old_s = systems.get(s.code)
            if old_s is None:
                systems[s.code] = s
            elif old_s.name != s.name:
                problems.append(
                    f"system {s.code} is {old_s.name!r} in {old_s.origin or 'the workspace'} but {s.name!r} in "
                    f"{s.origin or 'the new taxonomy'}"
                )
            else:
                extra = tuple(a for a in s.aliases if a not in old_s.aliases)
                if extra:
                    systems[s.code] = SectorSystem(old_s.code, old_s.name, old_s.aliases + extra, old_s.origin)
        merged = Taxonomy(tuple(cats.values()), tuple(systems.values()))
        problems += _alias_conflicts(merged)
        if problems:
            raise TaxonomyError(
                "the taxonomy conflicts with the one this workspace was loaded with: "
                + "; ".join(problems)
                + ". Use other codes for your own categories, or load into a new workspace."
            )
        return merged

    # -- storage
    def document(self, with_origin: bool = False) -> dict[str, Any]:
        """The taxonomy as a plain document of the taxonomy file's shape (``with_origin``: each item's file too)."""

        def item(pairs: Iterable[tuple[str, Any]], origin: str) -> dict[str, Any]:
            out = {k: v for k, v in pairs if v}
            if with_origin and origin:
                out["from"] = origin
            return out

        return {
            "categories": [
                item((("code", c.code), ("name", c.name), ("parent", c.parent), ("aliases", list(c.aliases))), c.origin)
                for c in self.category_list
            ],
            "systems": [
                item((("code", s.code), ("name", s.name), ("aliases", list(s.aliases))), s.origin)
                for s in self.system_list
            ],
        }

    def digest(self) -> str:
        """A digest of the definitions (not of where they came from)."""
        text = json.dumps(self.document(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def records(self) -> list[NodeRecord | EdgeRecord]:
        """Graph records: ProblemCategory and SectorSystem nodes, SUBCATEGORY_OF between categories."""
        out: list[NodeRecord | EdgeRecord] = []
        depth = {c.code: _depth(c, {x.code: x for x in self.category_list}) for c in self.category_list}
        for c in self.category_list:
            props: dict[str, Any] = {"name": c.name, "level": depth[c.code]}
            if c.aliases:
                props["aliases"] = list(c.aliases)
            out.append(NodeRecord("ProblemCategory", c.code, props))
        for s in self.system_list:
            props = {"name": s.name}
            if s.aliases:
                props["aliases"] = list(s.aliases)
            out.append(NodeRecord("SectorSystem", s.code, props))
        for c in self.category_list:
            if c.parent:
                out.append(
                    EdgeRecord(
                        "SUBCATEGORY_OF", NodeRef("ProblemCategory", c.code), NodeRef("ProblemCategory", c.parent)
                    )
                )
        return out

    @classmethod
    def from_document(cls, doc: Any, origin: str) -> Taxonomy:
        """Build from a parsed taxonomy document; :class:`TaxonomyError` naming ``origin`` when malformed."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("categories", []), list):
            raise TaxonomyError(f"{origin}: a taxonomy has 'categories:' (a list) and 'systems:' (a list)")
        unknown = set(doc) - {"categories", "systems"}
        if unknown:
            raise TaxonomyError(
                f"{origin}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                "a taxonomy has 'categories' and 'systems'"
            )
        cats: list[Category] = []
        for n, item in enumerate(doc.get("categories") or [], start=1):
            code, name = _item(item, origin, "categories", n, {"code", "name", "parent", "aliases", "from"})
            parent = item.get("parent")
            where = str(item.get("from") or origin)
            cats.append(Category(code, name, None if parent is None else str(parent), _aliases(item), where))
        systems: list[SectorSystem] = []
        for n, item in enumerate(doc.get("systems") or [], start=1):
            code, name = _item(item, origin, "systems", n, {"code", "name", "aliases", "from"})
            systems.append(SectorSystem(code, name, _aliases(item), str(item.get("from") or origin)))
        codes = [c.code for c in cats]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise TaxonomyError(f"{origin}: category code(s) defined twice: {', '.join(dupes)}")
        missing = sorted({c.parent for c in cats if c.parent and c.parent not in set(codes)})
        if missing:
            raise TaxonomyError(f"{origin}: parent(s) {', '.join(missing)} are not categories of this file")
        out = cls(tuple(cats), tuple(systems))
        problems = _alias_conflicts(out)
        if problems:
            raise TaxonomyError(f"{origin}: " + "; ".join(problems))
        return out

    @classmethod
    def from_backend(cls, backend: Any) -> Taxonomy | None:
        """The taxonomy a workspace was loaded with, or None when it holds none yet."""
        source = backend.nodes("Source", where={"source_id": SOURCE_ID})
        if source.empty:
            return None
        stored = source.iloc[0].get("document") if "document" in source.columns else None
        if not isinstance(stored, str) or not stored:
            # Loaded before the workspace kept its document: that was always the shipped taxonomy.
            return load_taxonomy()
        return cls.from_document(json.loads(stored), "the workspace")


def _depth(c: Category, by_code: Mapping[str, Category]) -> int:
    depth, seen = 1, {c.code}
    while c.parent and c.parent in by_code and c.parent not in seen:
        c = by_code[c.parent]
        seen.add(c.code)
        depth += 1
    return depth


def _item(item: Any, origin: str, section: str, n: int, allowed: set[str]) -> tuple[str, str]:
    if not isinstance(item, Mapping) or "code" not in item or "name" not in item:
        raise TaxonomyError(f"{origin}: {section} item {n} needs 'code' and 'name'")
    unknown = set(item) - allowed
    if unknown:
        raise TaxonomyError(
            f"{origin}: {section} item {n} ({item.get('code')}): unknown key(s) {', '.join(sorted(map(str, unknown)))}"
            f"; allowed: {', '.join(sorted(allowed))}"
        )
    return str(item["code"]), str(item["name"])


def _aliases(item: Mapping[str, Any]) -> tuple[str, ...]:
    value = item.get("aliases") or []
    if isinstance(value, str):
        value = [value]
    return tuple(str(a) for a in value)


def _alias_conflicts(t: Taxonomy) -> list[str]:
    problems = []
    kinds: tuple[tuple[str, Any, Any], ...] = (
        ("category", t.category_list, _category_key),
        ("system", t.system_list, _system_key),
    )
    for kind, items, key_of in kinds:
        seen: dict[str, Any] = {}
        for item in items:
            for alias in (item.code, item.name, *item.aliases):
                other = seen.setdefault(key_of(alias), item)
                if other.code != item.code:
                    problems.append(
                        f"{alias!r} means {kind} {other.code} ({other.name}, {other.origin or 'the workspace'}) and "
                        f"{item.code} ({item.name}, {item.origin or 'the new taxonomy'})"
                    )
    return problems


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file (default: the shipped ``ingest/mappings/taxonomy.yaml``)."""
    path = Path(path) if path else SHIPPED_TAXONOMY
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"cannot read the taxonomy {path}: {exc}") from None
    return Taxonomy.from_document(doc, str(path) if path != SHIPPED_TAXONOMY else "the shipped taxonomy")


def load_taxonomies(paths: Iterable[str | Path]) -> Taxonomy | None:
    """Several taxonomy files merged in order (None for none)."""
    out: Taxonomy | None = None
    for p in paths:
        t = load_taxonomy(p)
        out = t if out is None else out.merge(t)
    return out

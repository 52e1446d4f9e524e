"""Records written to and read from a backend: plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["NodeRef", "NodeRecord", "EdgeRecord"]


def _frozen_props(props: Mapping[str, Any] | None) -> Mapping[str, Any]:
    # A property set to None means "not given": drop it so that MERGE
    # semantics (absent keys are left alone) are the same on every backend.
    clean = {k: (tuple(v) if isinstance(v, list) else v) for k, v in (props or {}).items() if v is not None}
    return MappingProxyType(clean)


@dataclass(frozen=True, order=True)
class NodeRef:
    """The identity of a node: its label and the value of its key property."""

    label: str
    key: str

    def __str__(self) -> str:
        return f"{self.label}[{self.key}]"


@dataclass(frozen=True)
class NodeRecord:
    """A node to upsert: label, key value and properties.

    The key value is also stored under the label's declared key property;
    ``props`` need not repeat it.

    Examples
    --------
    >>> NodeRecord("Organisation", "330000-gxs", {"name": "浙江省供销合作社联合社", "tier": "province"})
    NodeRecord(label='Organisation', key='330000-gxs', ...)

    With ``fill=True`` the properties only fill gaps: a node that already has
    a value keeps it. That is for a record that names an entity in passing (a
    bidder as a tender table spells it) rather than describing it (the company
    registry), so the describing source wins whichever file is loaded first.
    """

    label: str
    key: str
    props: Mapping[str, Any] = field(default_factory=dict)
    fill: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "props", _frozen_props(self.props))

    @property
    def ref(self) -> NodeRef:
        return NodeRef(self.label, self.key)

    def __reduce__(self) -> tuple[Any, ...]:
        # The read-only props view does not pickle; a plain dict does (records cross process boundaries).
        return (_node_record, (self.label, self.key, dict(self.props), self.fill))

    def __repr__(self) -> str:
        fill = ", fill=True" if self.fill else ""
        return f"NodeRecord(label={self.label!r}, key={self.key!r}, props={dict(self.props)!r}{fill})"


@dataclass(frozen=True)
class EdgeRecord:
    """A relationship to upsert between two nodes identified by label and key.

    A relationship's identity is its type, its two end nodes and the values of
    the type's declared key properties (empty for most types: at most one
    such relationship between two nodes).
    """

    type: str
    start: NodeRef
    end: NodeRef
    props: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.start, tuple) and not isinstance(self.start, NodeRef):
            object.__setattr__(self, "start", NodeRef(*self.start))
        if isinstance(self.end, tuple) and not isinstance(self.end, NodeRef):
            object.__setattr__(self, "end", NodeRef(*self.end))
        object.__setattr__(self, "props", _frozen_props(self.props))

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _edge_record,
            (self.type, self.start.label, self.start.key, self.end.label, self.end.key, dict(self.props)),
        )

    def __repr__(self) -> str:
        return f"EdgeRecord({self.start} -[{self.type} {dict(self.props)!r}]-> {self.end})"


# Unpickling: the props were cleaned when the record was first made, so they are only wrapped again
# (records mapped in a worker process arrive by the million).
def _node_record(label: str, key: str, props: dict[str, Any], fill: bool = False) -> NodeRecord:
    record = object.__new__(NodeRecord)
    object.__setattr__(record, "label", label)
    object.__setattr__(record, "key", key)
    object.__setattr__(record, "props", MappingProxyType(props))
    object.__setattr__(record, "fill", fill)
    return record


def _edge_record(
    type_: str, start_label: str, start_key: str, end_label: str, end_key: str, props: dict[str, Any]
) -> EdgeRecord:
    record = object.__new__(EdgeRecord)
    object.__setattr__(record, "type", type_)
    object.__setattr__(record, "start", NodeRef(start_label, start_key))
    object.__setattr__(record, "end", NodeRef(end_label, end_key))
    object.__setattr__(record, "props", MappingProxyType(props))
    return record

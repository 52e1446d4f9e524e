"""liandong's graph layer: the declared schema, records, and storage backends.

Examples
--------
>>> from graphmodel import open_backend, NodeRecord
>>> g = open_backend("/tmp/liandong-doc-ws")                         # doctest: +SKIP
>>> g.write([NodeRecord("Organisation", "330000", {"name": "中共浙江省委", "tier": "province"})],
...         source="example")                                       # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationFailed,
    BackendError,
    BackendUnavailable,
    LiandongError,
    SchemaError,
    ValidationError,
    WorkspaceError,
)
from .model import NodeType, Property, RelationshipType, Schema, load_schema
from .records import EdgeRecord, NodeRecord, NodeRef

DEFAULT_WORKSPACE = "liandong-workspace"  # the embedded workspace when none is named

# The storage backends (pandas, sqlite, the Neo4j driver) load on first use (PEP 562), so a command that only
# reads the schema or prints its help starts fast.
_BACKENDS = (
    "EmbeddedBackend",
    "GraphBackend",
    "GraphPath",
    "GraphWriter",
    "Hop",
    "RetractReport",
    "WriteReport",
    "open_backend",
)


def __getattr__(name: str) -> Any:
    if name not in _BACKENDS:
        raise AttributeError(f"module 'graphmodel' has no attribute {name!r}")
    value = getattr(importlib.import_module(".backends", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .backends import (
        EmbeddedBackend,
        GraphBackend,
        GraphPath,
        GraphWriter,
        Hop,
        RetractReport,
        WriteReport,
        open_backend,
    )

__all__ = [
    "open_backend",
    "GraphBackend",
    "GraphWriter",
    "GraphPath",
    "Hop",
    "WriteReport",
    "RetractReport",
    "EmbeddedBackend",
    "DEFAULT_WORKSPACE",
    "Schema",
    "NodeType",
    "RelationshipType",
    "Property",
    "load_schema",
    "NodeRecord",
    "EdgeRecord",
    "NodeRef",
    "LiandongError",
    "SchemaError",
    "ValidationError",
    "BackendError",
    "BackendUnavailable",
    "AuthenticationFailed",
    "WorkspaceError",
]

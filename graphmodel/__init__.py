"""liandong's graph layer: the declared schema, records, and storage backends.

Examples
--------
>>> from graphmodel import open_backend, NodeRecord
>>> g = open_backend("/tmp/liandong-doc-ws")                         # doctest: +SKIP
>>> g.write([NodeRecord("Organisation", "330000", {"name": "中共浙江省委", "tier": "province"})],
...         source="example")                                       # doctest: +SKIP
"""

from __future__ import annotations

from .backends import (
    DEFAULT_WORKSPACE,
    EmbeddedBackend,
    GraphBackend,
    GraphPath,
    GraphWriter,
    Hop,
    RetractReport,
    WriteReport,
    open_backend,
)
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

"""Storage backends behind one interface (see :mod:`graphmodel.backends.base`).

The Neo4j backend is imported lazily so that the embedded default works
without touching the driver.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .base import GraphBackend, GraphPath, GraphWriter, Hop, RetractReport, WriteReport
from .embedded import DEFAULT_WORKSPACE, EmbeddedBackend

if TYPE_CHECKING:
    from ..model import Schema
    from .neo4j_ import Neo4jBackend

__all__ = [
    "GraphBackend",
    "GraphWriter",
    "GraphPath",
    "Hop",
    "WriteReport",
    "RetractReport",
    "EmbeddedBackend",
    "Neo4jBackend",
    "open_backend",
    "DEFAULT_WORKSPACE",
]


def __getattr__(name: str) -> Any:
    if name == "Neo4jBackend":
        from .neo4j_ import Neo4jBackend

        return Neo4jBackend
    raise AttributeError(name)


def open_backend(
    workspace: str | os.PathLike[str] | None = None,
    *,
    neo4j_uri: str | None = None,
    neo4j_user: str | None = None,
    neo4j_password: str | None = None,
    neo4j_database: str | None = None,
    create: bool = True,
    read_only: bool = False,
    schema: Schema | None = None,
) -> GraphBackend:
    """Open the graph: Neo4j when a URI is given, else the embedded workspace.

    Parameters
    ----------
    workspace : path, optional
        Embedded workspace folder (default ``LIANDONG_WORKSPACE`` or
        ``./liandong-workspace``). Ignored when ``neo4j_uri`` is given.
    neo4j_uri : str, optional
        ``neo4j://`` or ``bolt://`` address; credentials and database from the
        other arguments or ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``.
    create, read_only : bool
        For the embedded backend: create a missing workspace; open read-only.

    Examples
    --------
    >>> g = open_backend("./liandong-workspace")                  # doctest: +SKIP
    >>> g = open_backend(neo4j_uri="neo4j://127.0.0.1:7687")      # doctest: +SKIP
    """
    if neo4j_uri:
        from .neo4j_ import Neo4jBackend

        return Neo4jBackend(neo4j_uri, neo4j_user, neo4j_password, neo4j_database, schema=schema)
    workspace = workspace or os.environ.get("LIANDONG_WORKSPACE") or DEFAULT_WORKSPACE
    return EmbeddedBackend(workspace, create=create, read_only=read_only, schema=schema)

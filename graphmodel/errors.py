"""One exception tree for the graph layer.

Every error a person may see carries a message that names the problem and
what to do about it; the CLI turns these into plain messages, never
tracebacks.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "LiandongError",
    "SchemaError",
    "ValidationError",
    "BackendError",
    "BackendUnavailable",
    "AuthenticationFailed",
    "WorkspaceError",
]


class LiandongError(Exception):
    """Base class of every error liandong raises on purpose."""


class SchemaError(LiandongError):
    """The declared schema itself is inconsistent, or a name is not in it."""


class ValidationError(LiandongError):
    """A record does not fit the declared schema.

    Attributes
    ----------
    element : str
        The label or relationship type the record claims to be.
    errors : dict
        Property name -> list of messages, one per problem.
    """

    def __init__(self, element: str, errors: Mapping[str, list[str]], ref: str | None = None):
        self.element = element
        self.errors = {k: list(v) for k, v in errors.items()}
        self.ref = ref
        where = f"{element} {ref}" if ref else element
        detail = "; ".join(f"{prop}: {', '.join(msgs)}" for prop, msgs in self.errors.items())
        super().__init__(f"invalid {where}: {detail}")


class BackendError(LiandongError):
    """A storage backend failed in a way the caller should hear about."""


class BackendUnavailable(BackendError):
    """The database cannot be reached (server down, wrong address)."""


class AuthenticationFailed(BackendError):
    """The database refused the credentials."""


class WorkspaceError(BackendError):
    """The embedded workspace folder is missing, unreadable or not a workspace."""

"""The audit log, written by the library: who read secret fields, ran an analysis or wrote an export.

One JSON line per event, whether the command line or a Python session made the call: ``at`` (UTC),
``who`` (the operating-system user), ``action``, ``backend`` (the workspace or server), ``pid``, ``argv``
and the event's own fields (labels and secret fields read, detectors and scope, files written).

Where it goes: the backend's ``audit_log`` when set, else the file named by ``LIANDONG_AUDIT_LOG``, else the
embedded workspace's ``audit.log``, else ``./liandong-audit.log`` (a Neo4j session outside the command
line). A log that cannot be written stops the call that wanted to log: nothing secret is read, and no
analysis or export is made, unrecorded.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from .errors import LiandongError

__all__ = ["AUDIT_ENV", "audit", "audit_log_path"]

AUDIT_ENV = "LIANDONG_AUDIT_LOG"


def audit_log_path(backend: Any) -> Path:
    """The file this backend's events are written to (see the module's docstring)."""
    own = getattr(backend, "audit_log", None)
    if own:
        return Path(own)
    env = os.environ.get(AUDIT_ENV)
    if env:
        return Path(env)
    workspace = getattr(backend, "workspace", None)
    if workspace is not None:
        return Path(workspace) / "audit.log"
    return Path("liandong-audit.log")


def audit(backend: Any, action: str, **fields: Any) -> None:
    """Append one event to the audit log.

    Raises
    ------
    LiandongError
        When the log cannot be written; the message names the file.
    """
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (a container without one)
        who = str(os.getuid()) if hasattr(os, "getuid") else "?"
    entry = {
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "who": who,
        "action": action,
        "backend": str(getattr(backend, "workspace", None) or getattr(backend, "uri", None) or repr(backend)),
        "pid": os.getpid(),
        "argv": sys.argv[1:],
        **fields,
    }
    path = audit_log_path(backend)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
    except OSError as exc:
        raise LiandongError(
            f"cannot write the audit log {path} ({exc.strerror}): make it writable, or set {AUDIT_ENV} "
            "to a file that is"
        ) from None

"""A read-only workspace, a full disk, a full quarantine folder: a clear message, exit 1, nothing half-written.

Each fault is real, made by whatever this machine permits:

* read-only: ``chmod a-w`` when the tests run as an ordinary user; as root,
  whom permissions do not stop, a read-only bind mount if mounting is
  permitted, else the product's own read-only mode (``EmbeddedBackend(read_only=True)``);
  a probe write checks that the folder really refuses writes first;
* full disk: a tiny tmpfs if mounting is permitted, and (always) a file-size
  limit (``ulimit -f``) on the ingest process, which makes the kernel refuse
  writes past it;
* full quarantine folder: a tiny tmpfs if mounting is permitted, else
  quarantine.csv pointing at ``/dev/full``, which refuses every write with ENOSPC.

After the fault the workspace holds the previous state exactly, or the same
command, once the fault is gone, finishes the full reference graph.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphmodel import BackendError, EmbeddedBackend
from ingest.load import Ingester

from .graphdump import describe_difference
from .harness import (
    SECRET_KEY,
    Reference,
    Target,
    assert_clean_failure,
    assert_no_traceback,
    can_mount,
    embedded_target,
    read_quarantine,
    run,
    tmpfs,
    write_refused,
)


def _finishes_like_the_reference(target: Target, reference: Reference, exports: Path, cwd: Path) -> None:
    resumed = run(target.command(exports), target.env, cwd)
    assert resumed.returncode == reference.returncode, resumed
    assert_no_traceback(resumed)
    assert describe_difference(reference.graph, target.graph()) == ""
    assert read_quarantine(target.quarantine / "quarantine.csv") == reference.quarantine
    assert read_quarantine(target.quarantine / "unresolved_links.csv") == reference.unresolved


def _loaded_in_order(target: Target, reference: Reference) -> int:
    """Files complete after a failed run: the first N in load order, and at most the next one cut off."""
    statuses = target.sources()
    statuses.pop("taxonomy", None)
    complete = sorted(s for s, status in statuses.items() if status == "complete")
    assert complete == sorted(reference.order[: len(complete)]), complete
    assert set(statuses) - set(complete) <= set(reference.order[len(complete) : len(complete) + 1]), statuses
    return len(complete)


# ------------------------------------------------------------------ read-only
@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[str]:
    """Make ``folder`` genuinely read-only for this process; yields how ("product" when only the product's
    read-only mode is left: root, and mounting not permitted)."""
    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(stat.S_IMODE(modes[p]) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield "chmod a-w"
        finally:
            for p in reversed(paths):
                p.chmod(stat.S_IMODE(modes[p]))
    elif can_mount():
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True, capture_output=True)
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True)
            yield "read-only bind mount"
        finally:
            subprocess.run(["umount", str(folder)], check=True, capture_output=True)
    else:
        yield "product"


def test_a_read_only_workspace_is_named_and_left_as_it_was(embedded_reference, exports, workdir, tmp_path):
    target = embedded_target(tmp_path)
    directories = [str(p) for p in sorted(exports.glob("单位名录_*"))]  # the previous state: these files loaded
    loaded = run(target.command(exports)[:-1] + directories, target.env, workdir)
    assert loaded.returncode == 0, loaded
    before = target.graph()
    assert target.workspace is not None
    with _read_only(target.workspace) as how:
        if how == "product":
            # Root, and no mount allowed: nothing makes a folder read-only for us, so open it read-only.
            with EmbeddedBackend(target.workspace, read_only=True) as g, pytest.raises(BackendError, match="read-only"):
                Ingester(g, tmp_path / "q-ro", secret_key=SECRET_KEY.encode()).ingest([exports])
        else:
            assert write_refused(target.workspace), f"{how} did not make {target.workspace} read-only"
            failed = run(target.command(exports), target.env, workdir)
            assert_clean_failure(failed, f"the workspace {target.workspace} is read-only", "writable", "--workspace")
    assert describe_difference(before, target.graph()) == ""  # nothing written
    _finishes_like_the_reference(target, embedded_reference, exports, workdir)


# ------------------------------------------------------------------ full disk
def test_a_full_disk_is_named_and_the_same_command_finishes_once_there_is_room(
    embedded_reference, exports, workdir, tmp_path
):
    if not can_mount():
        pytest.skip("mounting a tmpfs is not permitted here; test_writes_refused_past_a_file_size_limit covers it")
    with tmpfs(tmp_path / "disk", "3m") as resize:
        target = embedded_target(tmp_path / "disk")  # the workspace and its quarantine folder on a 3 MB disk
        failed = run(target.command(exports), target.env, workdir)
        assert_clean_failure(failed, f"the disk holding the workspace {target.workspace} is full", "free some space")
        assert "run the same command again" in failed.messages[0]
        assert 0 < _loaded_in_order(target, embedded_reference) < len(embedded_reference.order)
        resize("64m")
        _finishes_like_the_reference(target, embedded_reference, exports, workdir)


def test_writes_refused_past_a_file_size_limit_are_named_and_the_same_command_finishes(
    embedded_reference, exports, workdir, tmp_path
):
    target = embedded_target(tmp_path)
    # bash's ulimit -f counts KiB; with SIGXFSZ ignored, a write past the limit fails with EFBIG.
    limited = ["bash", "-c", 'ulimit -f 3072 && trap "" XFSZ && exec "$@"', "bash", *target.command(exports)]
    failed = run(limited, target.env, workdir)
    message = assert_clean_failure(failed, f"the disk holding the workspace {target.workspace}", "run the same command")
    assert "full" in message or "failed a write" in message, message
    assert 0 < _loaded_in_order(target, embedded_reference) < len(embedded_reference.order)
    _finishes_like_the_reference(target, embedded_reference, exports, workdir)


def test_a_full_quarantine_folder_is_named_and_leaves_no_cut_rows(embedded_reference, exports, workdir, tmp_path):
    # The quarantine files are written by the ingester whatever the backend; resuming after a failed
    # file on Neo4j is what the SIGKILL trials check there.
    reference = embedded_reference
    target = embedded_target(tmp_path)
    target.quarantine.mkdir(parents=True)
    quarantine = target.quarantine / "quarantine.csv"
    # Whichever file of the folder (quarantine.csv, record_rows.csv.gz) meets the full disk is named.
    phrases = (
        f"cannot write {target.quarantine}/",
        "No space left on device",
        "--quarantine",
        "run the same command again",
    )
    if can_mount():
        with tmpfs(target.quarantine, "4k") as resize:  # room for the first files' rows, not for all
            failed = run(target.command(exports), target.env, workdir)
            assert_clean_failure(failed, *phrases)
            loaded = _loaded_in_order(target, reference)
            assert 0 < loaded < len(reference.order)
            # Whole rows only (read_quarantine checks), and only of files marked complete: none of the
            # file that failed, which the next run redoes.
            rows = read_quarantine(quarantine)
            assert {row[0] for row in rows} <= set(reference.order[:loaded]), sorted(rows)[-3:]
            record_rows = target.quarantine / "record_rows.csv.gz"
            if record_rows.exists():
                text = gzip.decompress(record_rows.read_bytes()).decode("utf-8")
                assert text.endswith("\n") and all(len(r) == 8 for r in csv.reader(text.splitlines()))
            resize("1m")
            _finishes_like_the_reference(target, reference, exports, workdir)
    else:
        quarantine.symlink_to("/dev/full")
        failed = run(target.command(exports), target.env, workdir)
        assert_clean_failure(failed, *phrases)
        assert 0 < _loaded_in_order(target, reference) < len(reference.order)
        quarantine.unlink()
        _finishes_like_the_reference(target, reference, exports, workdir)

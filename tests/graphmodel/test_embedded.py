"""What only the embedded backend promises: a workspace folder, durability, clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from graphmodel import BackendError, EmbeddedBackend, NodeRecord, WorkspaceError, open_backend


def test_missing_workspace_is_not_created_when_reading(tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace"):
        EmbeddedBackend(tmp_path / "absent", create=False)
    assert not (tmp_path / "absent").exists()


def test_a_folder_of_other_files_is_not_taken_over(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="not a liandong workspace"):
        EmbeddedBackend(tmp_path)


def test_a_file_is_not_a_workspace(tmp_path):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="is a file"):
        EmbeddedBackend(tmp_path / "f")


def test_read_only_refuses_writes_and_keeps_data(tmp_path):
    with EmbeddedBackend(tmp_path / "ws") as g:
        g.write([NodeRecord("Phone", "13800000000")], source="s")
    with EmbeddedBackend(tmp_path / "ws", read_only=True) as ro:
        assert ro.count_nodes("Phone") == 1
        with pytest.raises(BackendError, match="read-only"):
            ro.write([NodeRecord("Phone", "13900000000")], source="s")
        assert ro.count_nodes("Phone") == 1


def test_data_persists_across_opens_and_env_selects_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("LIANDONG_WORKSPACE", str(tmp_path / "from-env"))
    with open_backend() as g:
        g.write([NodeRecord("Phone", "057985551234")], source="s")
    with open_backend(tmp_path / "from-env", create=False) as again:
        assert again.nodes("Phone")["phone_id"].tolist() == ["057985551234"]


def test_a_second_writer_waits_its_turn_then_says_so(tmp_path):
    a = EmbeddedBackend(tmp_path / "ws")
    b = EmbeddedBackend(tmp_path / "ws")
    a._db.execute("PRAGMA busy_timeout=0")
    b._db.execute("PRAGMA busy_timeout=0")
    a._db.execute("BEGIN IMMEDIATE")
    with pytest.raises(BackendError, match="another liandong"):
        b.write([NodeRecord("Phone", "1")], source="s")
    a._db.execute("ROLLBACK")
    b.write([NodeRecord("Phone", "1")], source="s")
    assert a.count_nodes() == 1
    a.close()
    b.close()


def test_sigkill_mid_write_leaves_whole_batches_only(tmp_path):
    # A child writes batches of 1,000 nodes forever; we kill it hard at some
    # point mid-stream. Whatever survives must be a whole number of batches.
    ws = tmp_path / "ws"
    script = textwrap.dedent(f"""
        import sys
        from graphmodel import EmbeddedBackend, NodeRecord
        g = EmbeddedBackend({str(ws)!r})
        with g.writer("stream", batch_size=1000) as w:
            i = 0
            while True:
                w.add_node(NodeRecord("Phone", f"{{i:09d}}"))
                i += 1
                if i == 3000:
                    print("started", flush=True)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), *sys.path]))
    for delay in (0.05, 0.3):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
        assert proc.stdout.readline().strip() == b"started"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with EmbeddedBackend(ws) as g:
            count = g.count_nodes("Phone")
            assert count >= 3000 and count % 1000 == 0, count
            keys = g.nodes("Phone")["phone_id"].tolist()
            assert keys == [f"{i:09d}" for i in range(count)]
            g.clear()

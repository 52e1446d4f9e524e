"""Running the real ``liandong`` command in a subprocess, killing it, and checking how it failed.

Also: the graph targets the fault tests run on (an embedded workspace, or a
Neo4j server), the reference ingest every faulted one is compared with, a
private Neo4j server a test may kill and start again, and a tiny tmpfs where
the machine permits mounting one.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graphmodel import EmbeddedBackend, GraphBackend, LiandongError

from .graphdump import Graph, canonical_graph

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "fault-tests-key"
#: A progress line the ingest writes to stderr after each file: "  [12] 干部名册_330100.xlsx: loaded".
PROGRESS = re.compile(r"^  \[(\d+)\] (.+): (\w+)$")


def free_port() -> int:
    """A TCP port nothing listens on (the kernel's choice, released again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a ``liandong`` subprocess: this repository first, the secret key set, and no
    backend chosen by the caller's environment (NEO4J_* and LIANDONG_* are dropped)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "LIANDONG_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    env["LIANDONG_SECRET_KEY"] = SECRET_KEY
    env.update(extra)
    return env


@dataclass
class Outcome:
    """How one run of the command ended."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    killed: bool = False
    file_times: list[float] = field(default_factory=list)  # seconds from start to each file's progress line

    @property
    def progress(self) -> list[tuple[str, str]]:
        """(file, status) of each file the run finished, in order."""
        return [(m.group(2), m.group(3)) for m in map(PROGRESS.match, self.stderr.splitlines()) if m]

    @property
    def messages(self) -> list[str]:
        """What the run said on stderr apart from its progress lines."""
        return [line for line in self.stderr.splitlines() if line.strip() and not PROGRESS.match(line)]

    def __str__(self) -> str:
        return (
            f"$ {' '.join(self.command[2:])}\nexit {self.returncode} after {self.seconds:.1f}s"
            f"{' (killed)' if self.killed else ''}\n"
            f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
        )


@dataclass(frozen=True)
class KillPoint:
    """Kill the run ``offset`` seconds after it reports its ``files``-th finished file (0: after it starts)."""

    files: int
    offset: float


def run(
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    kill_at: KillPoint | None = None,
    timeout: float = 300,
) -> Outcome:
    """Run ``command`` to its end, or SIGKILL it at ``kill_at`` if it is still running then."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: list[str] = []
    err: list[str] = []
    times: list[float] = []
    changed = threading.Condition()
    done = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            with changed:
                err.append(line)
                if PROGRESS.match(line.rstrip("\n")):
                    times.append(time.perf_counter() - start)
                changed.notify_all()
        with changed:
            done.set()
            changed.notify_all()

    def read_stdout() -> None:
        assert proc.stdout is not None
        out.append(proc.stdout.read())

    readers = [threading.Thread(target=read_stderr, daemon=True), threading.Thread(target=read_stdout, daemon=True)]
    for thread in readers:
        thread.start()
    killed = False
    try:
        if kill_at is not None:
            with changed:
                changed.wait_for(lambda: len(times) >= kill_at.files or done.is_set(), timeout)
            try:
                proc.wait(timeout=kill_at.offset)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                killed = True
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for thread in readers:
        thread.join(timeout=30)
    return Outcome(
        command, proc.returncode, "".join(out), "".join(err), time.perf_counter() - start, killed, list(times)
    )


def assert_no_traceback(outcome: Outcome) -> None:
    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome
    assert not any(line.startswith("Error: ") for line in outcome.messages), outcome


def assert_clean_failure(outcome: Outcome, *phrases: str) -> str:
    """Exit status 1, no traceback, and exactly one message line (after the progress lines), holding ``phrases``."""
    assert outcome.returncode == 1, outcome
    assert "Traceback" not in outcome.stdout + outcome.stderr, outcome
    assert len(outcome.messages) == 1, outcome
    message = outcome.messages[0]
    assert message.startswith("Error: "), outcome
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in the message:\n{message}"
    return message


def read_quarantine(path: Path) -> set[tuple[str, ...]]:
    """The rows of quarantine.csv without their batch column; the file must be whole (header, 7 fields a row)."""
    if not path.exists():
        return set()
    text = path.read_text(encoding="utf-8-sig")
    assert text.endswith("\n"), f"{path} ends in a cut row: {text[-200:]!r}"
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["batch", "file", "sheet", "row", "column", "value", "reason"], rows[0]
    bad = [row for row in rows[1:] if len(row) != 7 or not row[0].startswith("ingest-")]
    assert not bad, f"{path} has malformed rows: {bad[:3]}"
    return {tuple(row[1:]) for row in rows[1:]}


# --------------------------------------------------------------------- targets
@dataclass
class Target:
    """Where a test's ingest goes: the global CLI options choosing the backend, and how to read and reset it."""

    kind: str
    args: list[str]
    env: dict[str, str]
    quarantine: Path
    workspace: Path | None = None
    server: GraphBackend | None = None  # an open Neo4jBackend on the same database, for reading and clearing

    def command(self, exports: Path, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "cli",
            *self.args,
            "ingest",
            "--quarantine",
            str(self.quarantine),
            *extra,
            str(exports),
        ]

    def reset(self) -> None:
        """An empty graph and no quarantine files."""
        shutil.rmtree(self.quarantine, ignore_errors=True)
        if self.workspace is not None:
            shutil.rmtree(self.workspace, ignore_errors=True)
        else:
            assert self.server is not None
            self.server.clear()

    @contextlib.contextmanager
    def backend(self) -> Iterator[GraphBackend | None]:
        """The graph for reading (None when no workspace exists yet). Embedded: opened read-only, so a
        crashed workspace's write-ahead log is left exactly as the next run will find it."""
        if self.workspace is None:
            yield self.server
            return
        try:
            backend = EmbeddedBackend(self.workspace, read_only=True)
        except LiandongError:
            yield None
            return
        with backend:
            yield backend

    def graph(self) -> Graph:
        with self.backend() as backend:
            assert backend is not None, "no graph to read"
            return canonical_graph(backend)

    def sources(self) -> dict[str, str]:
        """Source id -> status ("loading" or "complete")."""
        with self.backend() as backend:
            if backend is None:
                return {}
            frame = backend.nodes("Source")
            return dict(zip(frame["source_id"], frame["status"], strict=True))


def embedded_target(root: Path) -> Target:
    workspace = root / "ws"
    return Target("embedded", ["--workspace", str(workspace)], cli_env(), root / "quarantine", workspace=workspace)


def neo4j_target(root: Path, server: GraphBackend, uri: str, password: str | None) -> Target:
    env = cli_env(**{k: v for k, v in os.environ.items() if k in ("NEO4J_USER", "NEO4J_DATABASE")})
    if password is not None:
        env["NEO4J_PASSWORD"] = password
    return Target("neo4j", ["--neo4j-uri", uri], env, root / "quarantine", server=server)


@dataclass
class Reference:
    """An uninterrupted ingest of the exports into an empty graph."""

    graph: Graph
    returncode: int
    seconds: float  # wall time of the whole command, start-up included
    order: list[str]  # file names in the order the ingest loads them
    file_times: list[float]  # seconds from start to each file's progress line
    quarantine: set[tuple[str, ...]]  # rows of quarantine.csv, without the batch column
    unresolved: set[tuple[str, ...]]  # rows of unresolved_links.csv, likewise
    target: Target

    @property
    def waiting(self) -> set[str]:
        """Files with links still unresolved at the end: they stay loading until the run's end."""
        return {row[0] for row in self.unresolved}

    def kill_point(self, at: float) -> KillPoint:
        """Where ``at`` seconds into this run fell: after how many finished files, and how far into the next.

        A kill there lands at the same stage of another run of the ingest, however fast the machine is
        then, and in a resumed run too (files loaded before report "unchanged" at once).
        """
        files = bisect.bisect_right(self.file_times, at)
        return KillPoint(files, at - (self.file_times[files - 1] if files else 0.0))


def record_reference(target: Target, exports: Path, cwd: Path) -> Reference:
    target.reset()
    first = run(target.command(exports), target.env, cwd)
    assert first.returncode == 3, first  # the generator plants rows that must be quarantined
    assert_no_traceback(first)
    graph = target.graph()
    again = run(target.command(exports), target.env, cwd)
    assert again.returncode == 3 and {status for _, status in again.progress} == {"unchanged"}, again
    assert target.graph() == graph, "running the same ingest again changed the graph"
    return Reference(
        graph,
        first.returncode,
        first.seconds,
        [name for name, _ in first.progress],
        first.file_times,
        read_quarantine(target.quarantine / "quarantine.csv"),
        read_quarantine(target.quarantine / "unresolved_links.csv"),
        target,
    )


# ------------------------------------------------------------ private Neo4j
def neo4j_unavailable(reason: str) -> None:
    """Skip, or fail in CI (LIANDONG_REQUIRE_NEO4J), like the shared-server tests do."""
    if os.environ.get("LIANDONG_REQUIRE_NEO4J"):
        pytest.fail("LIANDONG_REQUIRE_NEO4J is set but " + reason)
    pytest.skip(reason)


class DevServer:
    """A Neo4j server of our own (tools/neo4j-dev/run), which a test may kill and start again on its data."""

    def __init__(self, data: Path, password: str, log: Path, niceness: int = 0):
        self.data = data
        self.password = password
        self.log = log
        self.niceness = niceness
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._launched = 0  # where the current launch's output starts in the log

    @property
    def uri(self) -> str:
        return f"neo4j://127.0.0.1:{self.port}"

    def launch(self) -> None:
        """Start the server process; :meth:`wait_ready` waits for it."""
        # C1-only compilation: half the CPU to boot, and as quick for the short runs a test makes.
        env = dict(os.environ, NEO4J_DEV_HEAP="384m", JAVA_TOOL_OPTIONS="-XX:TieredStopAtLevel=1")
        command = ["bash", str(REPO / "tools/neo4j-dev/run"), "--data", str(self.data), "--port", str(self.port)]
        command += ["--password", self.password, "--pagecache", "64m"]
        if self.niceness:
            command = ["nice", "-n", str(self.niceness), *command]
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"=== {' '.join(command)}\n")
            log.flush()
            # Its own session: bash execs java, and the group is what we signal.
            self.proc = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self._launched = self.log.stat().st_size

    def wait_ready(self, timeout: float = 600) -> None:
        """Until the server prints BOLT READY (the launcher is built with Maven on first use)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log, encoding="utf-8", errors="replace") as fh:
                fh.seek(self._launched)
                if "BOLT READY" in fh.read():
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the Neo4j server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            time.sleep(0.2)
        raise RuntimeError(f"the Neo4j server was not ready after {timeout:.0f}s:\n{self.log.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=120)
        self.proc = None


def wait_for_progress(proc: subprocess.Popen, files: int, timeout: float = 300) -> tuple[list[str], threading.Thread]:
    """Read a running ingest's stderr until it reports ``files`` finished files.

    Returns the list its lines go into and the thread filling it, which reads on until the process ends.
    """
    lines: list[str] = []
    reached = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip("\n"))
            m = PROGRESS.match(lines[-1])
            if m and int(m.group(1)) >= files:
                reached.set()
        reached.set()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    reached.wait(timeout)
    return lines, thread


# -------------------------------------------------------------- filesystems
@functools.cache
def can_mount() -> bool:
    """Whether this process may mount filesystems (root with CAP_SYS_ADMIN, as in a privileged container)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    probe = Path(f"/tmp/.liandong-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        if subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True
        ).returncode:
            return False
        subprocess.run(["umount", str(probe)], check=True, capture_output=True)
        return True
    finally:
        probe.rmdir()


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Callable[[str], None]]:
    """A tmpfs of ``size`` at ``path``; yields a function that resizes it (to free space)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True, capture_output=True)

    def resize(new_size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={new_size}", str(path)], check=True, capture_output=True)

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def write_refused(folder: Path) -> bool:
    """Whether creating a file in ``folder`` fails (the mechanism making it read-only really works)."""
    probe = folder / ".write-probe"
    try:
        probe.write_bytes(b"x")
    except OSError:
        return True
    probe.unlink()
    return False

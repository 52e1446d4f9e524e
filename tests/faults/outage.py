"""The Neo4j outage scenario, run in a background thread while the other fault tests run.

A server of our own is started (never the shared one of NEO4J_URI), the
ingest is started against it, and the server is SIGKILLed once the ingest has
reported a few files. The Neo4j driver then retries the transaction for its
30-second budget (checked before each backoff sleep of 1, 2, 4, 8, 16, 32 s
±20 %, so it gives up after about 30 or about 62 s) and the ingest exits. The
server is started again on the same data folder and port, and the same
command is run again. That is a minute or more of mostly waiting, so it starts
in the background with the folder's first test (``conftest._outage_in_the_background``),
at a low CPU priority, and the tests that look at its results run after the
folder's others.
"""

from __future__ import annotations

import random
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .graphdump import Graph, canonical_graph
from .harness import REPO, DevServer, Outcome, Target, cli_env, read_quarantine, run, wait_for_progress

SEED = 20250302
#: The scenario has minutes to spare; at a lower priority it takes only what the other tests leave idle.
NICENESS = 10


def cannot_run_a_server() -> str | None:
    """Why a private Neo4j server cannot be started here, or None."""
    if shutil.which("java") is None:
        return "there is no java on PATH to run a private Neo4j server (tools/neo4j-dev needs a JDK 17)"
    if shutil.which("nice") is None:
        return "there is no nice on PATH (coreutils) to run the outage scenario at a low priority"
    if not (REPO / "tools/neo4j-dev/target/lib").is_dir() and shutil.which("mvn") is None:
        return "tools/neo4j-dev is not built and there is no mvn to build it"
    return None


@dataclass
class OutageScenario:
    """The scenario's server, the runs of the command and what the graph held; ``error`` if it broke."""

    root: Path
    exports: Callable[[], Path]
    server: DevServer = field(init=False)
    target: Target = field(init=False)
    thread: threading.Thread = field(init=False)
    error: BaseException | None = None
    files_before_outage: int = 0
    failed: Outcome | None = None  # the ingest the outage cut off
    complete_after_outage: set[str] = field(default_factory=set)  # files marked complete when the server was back
    resumed: Outcome | None = None  # the same command, run again
    graph: Graph | None = None
    quarantine: set[tuple[str, ...]] = field(default_factory=set)
    _client: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.server = DevServer(
            self.root / "data", "faults-" + secrets.token_hex(6), self.root / "server.log", NICENESS
        )
        env = cli_env(NEO4J_PASSWORD=self.server.password)
        self.target = Target("neo4j", ["--neo4j-uri", self.server.uri], env, self.root / "quarantine")
        self.thread = threading.Thread(target=self._run, name="neo4j-outage", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def backend(self):
        from graphmodel.backends.neo4j_ import Neo4jBackend

        return Neo4jBackend(self.server.uri, password=self.server.password)

    def _run(self) -> None:
        try:
            self._scenario()
        except BaseException as exc:  # reported by the test that reads the results
            self.error = exc

    def _scenario(self) -> None:
        exports = self.exports()
        cwd = self.root
        self.server.launch()
        self.server.wait_ready()
        rng = random.Random(SEED)
        self.files_before_outage = rng.randint(4, 24)
        command = ["nice", "-n", str(NICENESS), *self.target.command(exports)]
        started = time.perf_counter()
        proc = self._client = subprocess.Popen(
            command, cwd=cwd, env=self.target.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            stderr, pump = wait_for_progress(proc, self.files_before_outage)
            time.sleep(rng.uniform(0.0, 0.2))  # into the next file's writes
            self.server.kill(signal.SIGKILL)
            proc.wait(timeout=240)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        pump.join(timeout=30)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        self.failed = Outcome(command, proc.returncode, stdout, "\n".join(stderr) + "\n", time.perf_counter() - started)
        self.server.launch()  # the same data folder and port
        self.server.wait_ready()
        with self.backend() as g:
            sources = g.nodes("Source")
            self.complete_after_outage = set(sources.loc[sources["status"] == "complete", "source_id"]) - {"taxonomy"}
            self.resumed = run(command, self.target.env, cwd)
            self.graph = canonical_graph(g)
        self.quarantine = read_quarantine(self.target.quarantine / "quarantine.csv")

    def stop(self) -> None:
        """Kill the server, and the cut-off ingest if the session ends before it gave up."""
        if self._client is not None and self._client.poll() is None:
            self._client.kill()
        self.server.kill()
        self.thread.join(timeout=30)

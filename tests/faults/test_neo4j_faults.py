"""Neo4j going away mid-ingest, a wrong password, nothing listening: one clear line, exit 1, no traceback.

The outage happens to a Neo4j server of the tests' own (see ``outage.py``),
never to the shared one named by NEO4J_URI, which other tests use. The
wrong-password test uses that private server too, so no failed logins count
against the shared server's user.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main

from .graphdump import describe_difference
from .harness import SECRET_KEY, assert_clean_failure, assert_no_traceback, free_port


@pytest.mark.neo4j
def test_server_stopped_mid_ingest_fails_clearly_then_the_same_command_finishes(outage, embedded_reference):
    failed, resumed = outage.failed, outage.resumed
    assert failed is not None and resumed is not None
    assert_clean_failure(failed, f"cannot reach Neo4j at {outage.server.uri}", "is the server running?")
    order = embedded_reference.order
    assert outage.files_before_outage <= len(failed.progress) < len(order), failed
    # What the cut-off run reported loaded survived the crash, and was not all there was to do.
    loaded_before = {name for name, _ in failed.progress}
    assert loaded_before <= outage.complete_after_outage, (sorted(loaded_before), sorted(outage.complete_after_outage))
    assert len(outage.complete_after_outage) < len(order)
    assert resumed.returncode == embedded_reference.returncode, resumed
    assert_no_traceback(resumed)
    unchanged = {name for name, status in resumed.progress if status == "unchanged"}
    assert unchanged == outage.complete_after_outage, resumed
    # Compared with the embedded reference: the canonical form is the same on both backends
    # (test_both_backends_load_the_same_graph).
    assert outage.graph is not None
    assert describe_difference(embedded_reference.graph, outage.graph) == ""
    assert outage.quarantine == embedded_reference.quarantine


@pytest.mark.neo4j
def test_a_wrong_password_is_named_and_nothing_is_written(outage, exports, tmp_path):
    server = outage.server
    with outage.backend() as g:
        before = g.stats()
    result = CliRunner().invoke(
        main,
        ["--neo4j-uri", server.uri, "--neo4j-password", "not-" + server.password]
        + ["ingest", "--quarantine", str(tmp_path / "q"), str(exports)],
        env={"NEO4J_URI": None, "NEO4J_PASSWORD": None, "NEO4J_USER": None, "LIANDONG_SECRET_KEY": SECRET_KEY},
    )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # click's exit, not an escaped error
    assert result.output.splitlines() == [
        f"Error: Neo4j at {server.uri} refused user 'neo4j': wrong password? Check NEO4J_USER / NEO4J_PASSWORD."
    ], result.output
    assert not (tmp_path / "q").exists()
    with outage.backend() as g:
        assert g.stats() == before


def test_an_unreachable_server_is_named_and_nothing_is_written(exports, tmp_path):
    uri = f"neo4j://127.0.0.1:{free_port()}"  # nothing listens there
    result = CliRunner().invoke(
        main,
        ["--neo4j-uri", uri, "--neo4j-password", "whatever-it-is", "ingest", "--quarantine", str(tmp_path / "q")]
        + [str(exports)],
        env={"NEO4J_URI": None, "NEO4J_PASSWORD": None, "LIANDONG_SECRET_KEY": SECRET_KEY},
    )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.output.splitlines() == [
        f"Error: cannot reach Neo4j at {uri}: is the server running? "
        "(start the development server with: bash tools/neo4j-dev/run)"
    ], result.output
    assert not (tmp_path / "q").exists()

"""What Neo4j Graph Data Science would cost for the bid-rings work: memory estimates and run times.

    NEO4J_DEV_GDS=1 NEO4J_DEV_HEAP=3g bash tools/neo4j-dev/run --data DIR --port 7687 --password PW &
    NEO4J_URI=neo4j://127.0.0.1:7687 NEO4J_PASSWORD=PW python bench/gds.py --label province

Run it on a Neo4j that already holds an ingested graph (bench/end_to_end.py
--backend neo4j leaves one behind) and has the GDS plugin (tools/neo4j-dev
loads GDS 2.13, the release for Neo4j 5.26, when NEO4J_DEV_GDS=1). Nothing in
the graph is changed: the projections live in GDS's in-memory catalogue and
are dropped at the end.

Steps, as docs/scaling.md section 5 proposes them:

1. the Company-BID_ON->Tender projection: `gds.graph.project.estimate`, then
   the projection itself (time, nodes, relationships);
2. Node Similarity on it (companies compared by the tenders they bid on,
   top 10 per company, companies with at least 2 tenders): `.estimate`, then
   `mutate` (time, pairs written into the projection);
3. the similarity relationships made undirected, then Leiden and weakly
   connected components on them: `.estimate` and `stats` (time, communities).

Figures go to stdout and bench/results/gds_<label>.json. Times are GDS's own
(computeMillis, projectMillis, ...) and the wall time of each call seen from
the client; the server's memory is the estimate's bytesMin/bytesMax and the
projection's own size in the catalogue after each step (gds.graph.list).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from neo4j import GraphDatabase
from neo4j.exceptions import ClientError

RESULTS = Path(__file__).resolve().parent / "results"
GRAPH = "liandong_bench_bids"
SIMILAR = "SIMILAR"


def _one(session: Any, query: str, **params: Any) -> tuple[dict[str, Any], float]:
    clock = time.perf_counter()
    record = session.run(query, params).single()
    return (dict(record) if record else {}), round(time.perf_counter() - clock, 3)


def _mb(value: Any) -> float | None:
    return round(value / 2**20, 2) if isinstance(value, (int, float)) else None


def _estimate(session: Any, call: str, **params: Any) -> dict[str, Any]:
    """One `.estimate` procedure call (e.g. "gds.wcc.stats.estimate($g, $c)"): its memory figures and time."""
    row, secs = _one(
        session,
        f"CALL {call} YIELD bytesMin, bytesMax, requiredMemory, nodeCount, relationshipCount RETURN *",
        **params,
    )
    return {
        "bytes_min_mb": _mb(row.get("bytesMin")),
        "bytes_max_mb": _mb(row.get("bytesMax")),
        "required": row.get("requiredMemory"),
        "node_count": row.get("nodeCount"),
        "relationship_count": row.get("relationshipCount"),
        "seconds": secs,
    }


def _size(session: Any) -> float | None:
    """The projection's size in the GDS catalogue, in MB (gds.graph.list's sizeInBytes)."""
    row, _ = _one(session, "CALL gds.graph.list($g) YIELD sizeInBytes RETURN sizeInBytes", g=GRAPH)
    return _mb(row.get("sizeInBytes"))


def run(session: Any, top_k: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    row, _ = _one(session, "RETURN gds.version() AS v")
    out["gds_version"] = row["v"]
    row, _ = _one(
        session,
        "CALL () { MATCH (c:Company) RETURN count(c) AS companies } "
        "CALL () { MATCH (t:Tender) RETURN count(t) AS tenders } "
        "CALL () { MATCH (:Company)-[b:BID_ON]->(:Tender) RETURN count(b) AS bids } "
        "RETURN companies, tenders, bids",
    )
    out["graph"] = row
    print(f"graph: {row['companies']:,} companies, {row['tenders']:,} tenders, {row['bids']:,} bids", flush=True)
    session.run("CALL gds.graph.drop($g, false) YIELD graphName RETURN graphName", g=GRAPH).consume()

    out["project_estimate"] = _estimate(session, "gds.graph.project.estimate(['Company', 'Tender'], 'BID_ON')")
    row, secs = _one(
        session,
        "CALL gds.graph.project($g, ['Company', 'Tender'], 'BID_ON') "
        "YIELD nodeCount, relationshipCount, projectMillis RETURN *",
        g=GRAPH,
    )
    out["project"] = {**row, "seconds": secs, "projection_mb": _size(session)}
    print(f"projection: {row['nodeCount']:,} nodes, {row['relationshipCount']:,} relationships in {secs} s", flush=True)

    similarity = {
        "nodeLabels": ["Company", "Tender"],
        "topK": top_k,
        "degreeCutoff": 2,
        "mutateRelationshipType": SIMILAR,
        "mutateProperty": "score",
    }
    out["node_similarity_estimate"] = _estimate(
        session, "gds.nodeSimilarity.mutate.estimate($g, $c)", g=GRAPH, c=similarity
    )
    row, secs = _one(
        session,
        "CALL gds.nodeSimilarity.mutate($g, $c) YIELD nodesCompared, relationshipsWritten, computeMillis, "
        "mutateMillis RETURN *",
        g=GRAPH,
        c=similarity,
    )
    out["node_similarity"] = {**row, "seconds": secs, "projection_mb": _size(session)}
    print(
        f"node similarity: {row['nodesCompared']:,} companies compared, {row['relationshipsWritten']:,} pairs "
        f"in {secs} s",
        flush=True,
    )

    row, secs = _one(
        session,
        "CALL gds.graph.relationships.toUndirected($g, {relationshipType: $t, mutateRelationshipType: $u}) "
        "YIELD relationshipsWritten, mutateMillis RETURN *",
        g=GRAPH,
        t=SIMILAR,
        u=SIMILAR + "_U",
    )
    out["to_undirected"] = {**row, "seconds": secs}
    communities = {"nodeLabels": ["Company"], "relationshipTypes": [SIMILAR + "_U"]}
    # Each algorithm with the field its stats mode counts groups in, and its own settings.
    for name, count, extra in (
        ("leiden", "communityCount", {"relationshipWeightProperty": "score"}),
        ("wcc", "componentCount", {}),
    ):
        config = {**communities, **extra}
        out[f"{name}_estimate"] = _estimate(session, f"gds.{name}.stats.estimate($g, $c)", g=GRAPH, c=config)
        row, secs = _one(
            session, f"CALL gds.{name}.stats($g, $c) YIELD {count} AS count, computeMillis RETURN *", g=GRAPH, c=config
        )
        out[name] = {**row, "seconds": secs}
        print(f"{name}: {row['count']:,} groups in {secs} s (compute {row['computeMillis']} ms)", flush=True)
    session.run("CALL gds.graph.drop($g, false) YIELD graphName RETURN graphName", g=GRAPH).consume()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="graph", help="Name for the results file, e.g. the scale loaded.")
    parser.add_argument("--top-k", type=int, default=10, help="Node Similarity: most similar companies kept each.")
    args = parser.parse_args()
    uri, password = os.environ.get("NEO4J_URI"), os.environ.get("NEO4J_PASSWORD")
    if not uri or not password:
        sys.exit("set NEO4J_URI and NEO4J_PASSWORD to the Neo4j that holds the graph")
    driver = GraphDatabase.driver(uri, auth=(os.environ.get("NEO4J_USER", "neo4j"), password))
    try:
        with driver.session(database=os.environ.get("NEO4J_DATABASE", "neo4j")) as session:
            try:
                figures = run(session, args.top_k)
            except ClientError as exc:
                if "gds." in str(exc) and ("Unknown function" in str(exc) or "no procedure" in str(exc).lower()):
                    sys.exit("this Neo4j has no Graph Data Science plugin: start tools/neo4j-dev with NEO4J_DEV_GDS=1")
                raise
    finally:
        driver.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"gds_{args.label}.json"
    out.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    print(json.dumps(figures, indent=2, default=str))
    print(f"written {out}")


if __name__ == "__main__":
    main()

"""The SQL answers behind `LocalQueryService`: functions of an open store, one module per kind of question."""
from lineage_nb.query.sql.graph import (
    DEFAULT_FANOUT,
    DEFAULT_NODE_CAP,
    TRANSITIVE_MAX_DEPTH,
    TRANSITIVE_NODE_CAP,
    graph,
    page_neighbours,
    transitive,
)
from lineage_nb.query.sql.lookup import NotFound, like_pattern, node_id, parse_node_id, resolve_artifact, resolve_workload
from lineage_nb.query.sql.overviews import (
    LIST_LIMIT,
    RELATED_LIMIT,
    artifact_overview,
    list_artifacts,
    list_workloads,
    workload_overview,
)

__all__ = [
    "DEFAULT_FANOUT", "DEFAULT_NODE_CAP", "LIST_LIMIT", "RELATED_LIMIT", "TRANSITIVE_MAX_DEPTH", "TRANSITIVE_NODE_CAP",
    "NotFound", "artifact_overview", "graph", "like_pattern", "list_artifacts", "node_id", "page_neighbours",
    "list_workloads", "parse_node_id", "resolve_artifact", "resolve_workload", "transitive", "workload_overview",
]

"""Tables of the lineage store, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Raw events live apart from the graph tables, so traversals never touch JSON. Graph ids are
64-bit hashes of the OpenLineage identity (see `stable_id`), which makes ingest idempotent
and lets a batch be written without reading ids back.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, SmallInteger, String, Table, Text

from lineage_nb.store.ids import DIRECT, EVIDENCE, INFERRED, INPUT, OUTPUT, stable_id  # noqa: F401 - the graph's vocabulary, re-exported

SCHEMA_VERSION = 4

metadata = MetaData()
_PK = BigInteger().with_variant(Integer, "sqlite")

lineage_meta = Table(
    "lineage_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", _PK, primary_key=True, autoincrement=True),
    Column("event_key", LargeBinary(16), nullable=False, unique=True),
    Column("run_id", BigInteger),
    Column("event_type", String(16)),
    Column("event_time", String(40), nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("namespace", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("uri", Text),
    Column("kind", String(16), nullable=False),
    Column("format", String(32)),
    Column("schema_json", Text),
    Column("version", Text),
    Column("created_at", String(40)),
    Column("created_by", Text),
    Column("first_seen", String(40), nullable=False),
    Column("last_seen", String(40), nullable=False),
    Column("properties_json", Text),
    Index("ix_artifacts_kind_last_seen", "kind", "last_seen"),
    Index("ix_artifacts_creator_recent", "created_by", "kind", "last_seen"),
    Index("ix_artifacts_name", "name"),
    Index("ix_artifacts_uri", "uri"),
)

workloads = Table(
    "workloads",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("namespace", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("type", String(16), nullable=False),
    Column("producer", Text),
    Column("owner", Text),
    Column("metadata_json", Text),
    # The job this one is a step or child job of (a notebook's cell, a dbt run's model), from the parent facet.
    Column("parent_id", BigInteger),
    Column("first_seen", String(40), nullable=False),
    Column("last_run_at", String(40), nullable=False),
    Index("ix_workloads_name", "name"),
    Index("ix_workloads_parent", "parent_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("run_uuid", String(64), nullable=False),
    Column("workload_id", BigInteger, nullable=False),
    Column("parent_run_uuid", String(64)),
    Column("state", String(16), nullable=False),
    Column("state_rank", SmallInteger, nullable=False),
    Column("started_at", String(40)),
    Column("ended_at", String(40)),
    Column("activity", String(64)),
    Column("context_json", Text),
    Index("ix_runs_workload_started", "workload_id", "started_at"),
    Index("ix_runs_parent", "parent_run_uuid"),
)

run_io = Table(
    "run_io",
    metadata,
    Column("run_id", BigInteger, primary_key=True, autoincrement=False),
    Column("direction", SmallInteger, primary_key=True, autoincrement=False),
    Column("artifact_id", BigInteger, primary_key=True, autoincrement=False),
    Index("ix_run_io_artifact", "artifact_id", "direction", "run_id"),
)

workload_io = Table(
    "workload_io",
    metadata,
    Column("workload_id", BigInteger, primary_key=True, autoincrement=False),
    Column("direction", SmallInteger, primary_key=True, autoincrement=False),
    Column("artifact_id", BigInteger, primary_key=True, autoincrement=False),
    Column("first_at", String(40), nullable=False),
    Column("last_at", String(40), nullable=False),
    # How the edge is known, the strongest over its runs: DIRECT, INFERRED or COLUMN_LINEAGE (store/ids.py).
    Column("evidence", SmallInteger, nullable=False, server_default="0"),
    Index("ix_workload_io_artifact", "artifact_id", "direction", "workload_id"),
    # Overviews list an artifact's or a workload's newest edges first, a page at a time.
    Index("ix_workload_io_artifact_recent", "artifact_id", "direction", "last_at"),
    Index("ix_workload_io_workload_recent", "workload_id", "direction", "last_at"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("namespace", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("artifact_id", BigInteger, nullable=False),
)

# The latest value of each fact other producers state about a dataset (store/facets.py): its data
# source, column lineage, quality metrics, each quality assertion, input and output statistics.
artifact_facets = Table(
    "artifact_facets",
    metadata,
    Column("artifact_id", BigInteger, primary_key=True, autoincrement=False),
    Column("key", Text, primary_key=True),
    Column("at", String(40), nullable=False),
    Column("value_json", Text, nullable=False),
)

"""What other producers state about a dataset, for its overview: data source, column lineage,
quality (assertions and metrics), statistics, the SQL that produced it, and how its writes went."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from lineage_nb.store import schema as s
from lineage_nb.store.schema import OUTPUT

ASSERTION_KEY = "assertion:"  # store/facets.py: one fact per quality assertion
FAILED_STATES = ("FAIL", "ABORT")


def dataset_facts(conn: Any, artifact: int) -> dict[str, Any]:
    """The overview keys made from the artifact's stored facts (latest of each)."""
    f = s.artifact_facets
    facts = {key: (at, json.loads(value)) for key, at, value in conn.execute(
        select(f.c.key, f.c.at, f.c.value_json).where(f.c.artifact_id == artifact).order_by(f.c.key)
    )}
    assertions = [{**value, "at": at} for key, (at, value) in facts.items() if key.startswith(ASSERTION_KEY)]
    assertions.sort(key=lambda a: (a["success"], a.get("column") or "", a.get("name") or a["assertion"]))
    passed = sum(a["success"] for a in assertions)
    return {
        "data_source": _latest(facts, "dataSource"),
        "column_lineage": _latest(facts, "columnLineage") or [],
        "quality": {
            "assertions": assertions,
            "passed": passed,
            "failed": len(assertions) - passed,
            "metrics": _latest(facts, "dataQualityMetrics"),
        },
        "input_statistics": _latest(facts, "inputStatistics"),
        "output_statistics": _latest(facts, "outputStatistics"),
    }


def _latest(facts: dict[str, tuple[str, Any]], key: str) -> Any:
    found = facts.get(key)
    return found[1] if found else None


def write_status(conn: Any, artifact: int, created_at: str | None) -> str:
    """complete (a COMPLETE run wrote it), failed (every write failed or was aborted), in_progress
    (writes started, none finished well yet), or unknown (no writer run in the store)."""
    if created_at is not None:
        return "complete"
    r, io = s.runs, s.run_io
    states = dict(conn.execute(
        select(r.c.state, func.count()).join(io, io.c.run_id == r.c.id).where(io.c.artifact_id == artifact, io.c.direction == OUTPUT).group_by(r.c.state)
    ).all())
    if not states:
        return "unknown"
    if set(states) <= set(FAILED_STATES):
        return "failed"
    return "complete" if "COMPLETE" in states else "in_progress"


def producing_sql(conn: Any, artifact: int) -> dict[str, Any] | None:
    """The SQL of the newest job that wrote the artifact, with that job; when the job carries none,
    the statements of its own child jobs in the order they ran (dbt-ol's structured-log mode puts
    each statement of a model on a `.sql.N` child job)."""
    w, io = s.workloads, s.workload_io
    writers = conn.execute(
        select(w.c.id, w.c.namespace, w.c.name, w.c.metadata_json)
        .join(io, io.c.workload_id == w.c.id)
        .where(io.c.artifact_id == artifact, io.c.direction == OUTPUT)
        .order_by(io.c.last_at.desc(), w.c.id)
        .limit(1)
    ).first()
    if writers is None:
        return None
    raw, namespace, name, metadata = writers
    statements = [_sql(metadata)]
    if statements[0] is None:
        children = conn.execute(select(w.c.name, w.c.metadata_json).where(w.c.parent_id == raw, w.c.metadata_json.like('%"sql":%'))).all()
        statements = [_sql(m) for _, m in sorted(children, key=lambda c: _natural(c[0]))]
    statements = [sql for sql in statements if sql is not None]
    if not statements:
        return None
    return {
        "query": ";\n".join(sql["query"].strip().rstrip(";") for sql in statements),
        "dialect": statements[0].get("dialect"),
        "statements": len(statements),
        "workload": {"namespace": namespace, "name": name},
    }


def _sql(metadata: str | None) -> dict[str, Any] | None:
    sql = json.loads(metadata).get("sql") if metadata else None
    return sql if isinstance(sql, dict) and isinstance(sql.get("query"), str) and sql["query"].strip() else None


def _natural(name: str) -> tuple[str, int]:
    """`x.sql.10` after `x.sql.9`."""
    head, _, tail = name.rpartition(".")
    return (head, int(tail)) if tail.isdigit() else (name, 0)

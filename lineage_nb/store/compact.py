"""Retention: fold old runs out of a store while keeping its graph.

What stays: workloads, artifacts, aliases and the workload-level edges (`workload_io`), so
listings, overviews, neighbourhoods, impact and provenance answer exactly as before.
What goes, for each folded run: its `runs` row, its `run_io` rows and its raw events.

Raw events go too because they are most of a store's size (retention that kept them would
free almost nothing). The trade-off: `lineage-nb export` no longer contains folded runs, so
replaying an export into an empty store rebuilds only the kept runs' edges. Export first
when a full history must be kept elsewhere.

The newest run that wrote each artifact is never folded, so every artifact overview still
names the run (and cell) that wrote it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger, Column, MetaData, Table, and_, delete, func, insert, select
from sqlalchemy.engine import Connection

from lineage_nb.store import Store
from lineage_nb.store import schema as s
from lineage_nb.store.schema import OUTPUT

FOLDED_RUNS_KEY = "folded_runs"
_ID_BATCH = 5_000

_fold = Table("lineage_fold_runs", MetaData(), Column("id", BigInteger, primary_key=True, autoincrement=False), prefixes=["TEMPORARY"])


@dataclass
class CompactReport:
    runs_folded: int
    run_edges_deleted: int
    events_deleted: int
    runs_kept: int


def compact(store: Store, keep_runs: int | None = None, older_than_days: float | None = None, now: datetime | None = None) -> CompactReport:
    """Fold runs beyond the newest `keep_runs` of each workload and/or older than `older_than_days`.

    With both, a run is folded only when neither rule keeps it.
    """
    if keep_runs is None and older_than_days is None:
        raise ValueError("give --keep-runs N or --older-than DAYS")
    if keep_runs is not None and keep_runs < 0:
        raise ValueError("--keep-runs must be 0 or more")
    if older_than_days is not None and older_than_days < 0:
        raise ValueError("--older-than must be 0 or more days")
    cutoff = None
    if older_than_days is not None:
        cutoff = ((now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)).isoformat(timespec="microseconds")
    with store.write() as conn:
        folded = _runs_to_fold(conn, keep_runs, cutoff)
        report = _fold_runs(conn, folded)
        report.runs_kept = conn.execute(select(func.count()).select_from(s.runs)).scalar_one()
        _count_folded(conn, report.runs_folded)
    return report


def _run_time():  # type: ignore[no-untyped-def]
    return func.coalesce(s.runs.c.started_at, s.runs.c.ended_at)


def _runs_to_fold(conn: Connection, keep_runs: int | None, cutoff: str | None) -> list[int]:
    r = s.runs
    newest_first = func.row_number().over(partition_by=r.c.workload_id, order_by=(_run_time().desc(), r.c.id.desc()))
    ranked = select(r.c.id, newest_first.label("rank"), _run_time().label("at")).subquery()
    conditions = []
    if keep_runs is not None:
        conditions.append(ranked.c.rank > keep_runs)
    if cutoff is not None:
        conditions.append(ranked.c.at < cutoff)
    candidates = set(conn.execute(select(ranked.c.id).where(and_(*conditions))).scalars())
    return sorted(candidates - _latest_writers(conn))


def _latest_writers(conn: Connection) -> set[int]:
    """The newest run that wrote each artifact."""
    r, io = s.runs, s.run_io
    newest_first = func.row_number().over(partition_by=io.c.artifact_id, order_by=(_run_time().desc(), r.c.id.desc()))
    ranked = (
        select(io.c.run_id, newest_first.label("rank")).join(r, r.c.id == io.c.run_id).where(io.c.direction == OUTPUT).subquery()
    )
    return set(conn.execute(select(ranked.c.run_id).where(ranked.c.rank == 1)).scalars())


def _fold_runs(conn: Connection, run_ids: list[int]) -> CompactReport:
    if not run_ids:
        return CompactReport(0, 0, 0, 0)
    # A temporary table (per connection) lets each delete be one statement, however many runs fold.
    _fold.create(conn, checkfirst=True)
    conn.execute(delete(_fold))
    for start in range(0, len(run_ids), _ID_BATCH):
        conn.execute(insert(_fold), [{"id": run_id} for run_id in run_ids[start : start + _ID_BATCH]])
    folded = select(_fold.c.id)
    edges = conn.execute(delete(s.run_io).where(s.run_io.c.run_id.in_(folded))).rowcount
    events = conn.execute(delete(s.events).where(s.events.c.run_id.in_(folded))).rowcount
    runs = conn.execute(delete(s.runs).where(s.runs.c.id.in_(folded))).rowcount
    _fold.drop(conn)
    return CompactReport(runs, edges, events, 0)


def _count_folded(conn: Connection, runs_folded: int) -> None:
    meta = s.lineage_meta
    before = conn.execute(select(meta.c.value).where(meta.c.key == FOLDED_RUNS_KEY)).scalar()
    conn.execute(delete(meta).where(meta.c.key == FOLDED_RUNS_KEY))
    conn.execute(insert(meta).values(key=FOLDED_RUNS_KEY, value=str(int(before or 0) + runs_folded)))


def folded_runs(store: Store) -> int:
    """How many runs compaction has folded out of this store, over its life."""
    with store.read() as conn:
        value = conn.execute(select(s.lineage_meta.c.value).where(s.lineage_meta.c.key == FOLDED_RUNS_KEY)).scalar()
    return int(value or 0)


__all__ = ["CompactReport", "compact", "folded_runs"]

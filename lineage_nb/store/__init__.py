"""The lineage store: raw events (append-only) plus the derived graph, on SQLite or PostgreSQL.

`open_store(path_or_url)` is the entry point. Writes go through `Store.ingest`, which validates,
derives graph rows, and writes everything for a batch in one transaction, so a batch is either
fully in the store or not at all.
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from sqlalchemy import bindparam, case, create_engine, event, func, literal_column, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from lineage_nb.core.errors import UnusableStore
from lineage_nb.store import schema as s
from lineage_nb.store.schema import OUTPUT, SCHEMA_VERSION

if TYPE_CHECKING:
    from lineage_nb.store.batch import PreparedBatch

SQLITE_BUSY_TIMEOUT_MS = 60_000
EVENT_COLUMNS = ("event_key", "run_id", "event_type", "event_time", "payload")
# Page cache and memory map sized so the hot indices of a million-event store stay in memory,
# while an import's memory stays bounded (tests/test_fuzz_import.py).
SQLITE_CACHE_KIB = 32_768
SQLITE_MMAP_BYTES = 1 << 30
# Every event dirties ~20 pages at random places in the graph indices. Checkpointing every 40 MB
# of WAL instead of SQLite's 4 MB writes each hot page back once per many commits, not once per
# few; the single-event endpoint sustains ~40% more events/s (benchmarks/bench_server.py).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
SQLITE_WAL_SIZE_LIMIT_BYTES = 64 << 20
LOW_DISK_BYTES = 1 << 20


class StoreError(UnusableStore):
    """A store that cannot be used; the message is one line, fit for a user."""


@dataclass
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def is_url(target: str) -> bool:
    return "://" in target and not target.startswith("file://")


def redact_url(url: str) -> str:
    from lineage_nb.core.naming import strip_credentials

    return strip_credentials(url)


def open_store(target: str | os.PathLike[str] | None = None, create: bool = False) -> Store:
    """Open the store at a path or URL (default: LINEAGE_NB_STORE). `create` makes a missing one."""
    from lineage_nb.core.settings import settings

    target = os.fspath(target) if target is not None else settings().store
    if target.startswith(("http://", "https://")):
        raise StoreError(f"{redact_url(target)} is a lineage-nb serve endpoint, not a store: reach it through lineage_nb.query.open_service")
    if target.startswith(("postgresql", "postgres://")):
        url = "postgresql+psycopg://" + target.split("://", 1)[1]
        engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
        return Store(engine, redact_url(target), create=create)
    path = Path(target.removeprefix("sqlite:///").removeprefix("file://")).expanduser()
    if not path.exists():
        if not create:
            raise StoreError(f"no lineage store at {path} (nothing captured yet, or a wrong --store)")
        _create_private_file(path)
    elif path.is_dir():
        raise StoreError(f"{path} is a directory, not a lineage store file")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _configure_sqlite(engine)
    return Store(engine, str(path), create=create)


def _create_private_file(path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StoreError(f"cannot create the lineage store at {path}: {exc.strerror or exc}") from None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit = {SQLITE_WAL_SIZE_LIMIT_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the lock up front, so two writers never deadlock upgrading read locks.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def _friendly(exc: BaseException, where: str) -> StoreError:
    message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    if "file is not a database" in message or "malformed" in message:
        return StoreError(f"{where} is not a readable lineage store (corrupt or not SQLite): {message}")
    if "disk I/O error" in message and _disk_full(where):  # what SQLite says when it cannot grow its WAL
        message += " (no space left on the device)"
    return StoreError(f"cannot use the lineage store at {where}: {message}")


def _disk_full(where: str) -> bool:
    try:
        return shutil.disk_usage(os.path.dirname(where) or ".").free < LOW_DISK_BYTES
    except OSError:
        return False


class Store:
    def __init__(self, engine: Engine, location: str, create: bool = False) -> None:
        self.engine = engine
        self.location = location
        self.dialect = engine.dialect.name
        try:
            self._migrate(create)
        except StoreError:
            engine.dispose()
            raise
        except (SQLAlchemyError, OSError) as exc:
            engine.dispose()
            raise _friendly(exc, location) from None

    # ---- schema -------------------------------------------------------------------------------
    def _migrate(self, create: bool) -> None:
        with self.engine.connect() as conn:
            version = self._schema_version(conn)
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {self.location} has schema version {version}, newer than this lineage_nb "
                f"understands ({SCHEMA_VERSION}); upgrade lineage_nb"
            )
        if version == 0 and not create and not self._is_empty():
            raise StoreError(f"{self.location} is not a lineage store (it has other tables)")
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(727364)"))
            from lineage_nb.store.migrations import MIGRATIONS

            current = self._schema_version(conn)
            for step in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](conn)
            s.metadata.create_all(conn, tables=[s.lineage_meta], checkfirst=True)
            conn.execute(s.lineage_meta.delete().where(s.lineage_meta.c.key == "schema_version"))
            conn.execute(s.lineage_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))

    def _is_empty(self) -> bool:
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            return not inspect(conn).get_table_names()

    def _schema_version(self, conn: Connection) -> int:
        from sqlalchemy import inspect

        if not inspect(conn).has_table("lineage_meta"):
            return 0
        value = conn.execute(select(s.lineage_meta.c.value).where(s.lineage_meta.c.key == "schema_version")).scalar()
        try:
            return int(value or 0)
        except ValueError:
            raise StoreError(f"{self.location} has an unreadable schema version {value!r}") from None

    # ---- transactions -------------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as conn:
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except (SQLAlchemyError, OSError) as exc:
            raise _friendly(exc, self.location) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- ingest -------------------------------------------------------------------------------
    def ingest(self, events: Iterable[Any]) -> IngestReport:
        """Validate and write events in one transaction. Invalid events are skipped and reported."""
        from lineage_nb.store.batch import PreparedBatch
        from lineage_nb.store.derive import InvalidEvent

        report = IngestReport()
        batch = PreparedBatch()
        for index, item in enumerate(events):
            try:
                batch.add(item)
            except InvalidEvent as exc:
                report.rejected.append((index, str(exc)))
        if batch.events or batch.duplicates:
            with self.write() as conn:
                self.write_prepared(conn, batch, report)
        return report

    def write_prepared(self, conn: Connection, batch: PreparedBatch, report: IngestReport) -> None:
        """Write a prepared batch inside the caller's transaction."""
        self.write_rows(conn, batch.packed_events(), batch.graph.tables(), batch.duplicates, report)

    def write_rows(
        self, conn: Connection, events: list[tuple[Any, ...]], tables: dict[str, list[tuple[Any, ...]]], duplicates: int, report: IngestReport
    ) -> None:
        """Write a batch's event rows and merged graph rows (PreparedBatch) in the caller's transaction.
        Graph rows are upserts, so rewriting those of events already stored changes nothing."""
        report.duplicates += duplicates
        if not events:
            return
        statements = _statements(self.dialect)
        # A concurrent writer may insert the same event at the same time (PostgreSQL), so the
        # count comes from the insert itself.
        inserted = conn.exec_driver_sql(statements["events"], events).rowcount
        report.accepted += inserted
        report.duplicates += len(events) - inserted
        if not inserted:
            return
        for table, rows in tables.items():
            if rows:
                conn.exec_driver_sql(statements[table], rows)

    # ---- raw events ---------------------------------------------------------------------------
    def iter_events(self, batch: int = 1_000) -> Iterator[dict[str, Any]]:
        """Every raw event, oldest first, as the producer sent it less its secrets (store/redaction.py)."""
        from lineage_nb.store import payload as payload_codec
        from lineage_nb.store.encoding import parse_stored

        last = 0
        while True:
            with self.read() as conn:
                rows = conn.execute(
                    select(s.events.c.id, s.events.c.payload).where(s.events.c.id > last).order_by(s.events.c.id).limit(batch)
                ).all()
            if not rows:
                return
            for row_id, payload in rows:
                last = row_id
                yield parse_stored(payload_codec.decompress(payload))

    def counts(self) -> dict[str, int]:
        with self.read() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in (
                    ("events", s.events),
                    ("artifacts", s.artifacts),
                    ("workloads", s.workloads),
                    ("runs", s.runs),
                )
            }


def _insert(dialect: str, table: Any, columns: tuple[str, ...]) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).values({name: bindparam(name) for name in columns})


@functools.cache
def _statements(dialect: str) -> dict[str, str]:
    """Each table's insert as driver SQL with positional parameters in ROW_COLUMNS order.

    Executed with the driver's executemany on plain tuples: SQLAlchemy builds the SQL once for
    both dialects, and ingest skips its per-row parameter processing.
    """
    from lineage_nb.store.batch import CREATIONS
    from lineage_nb.store.derive import ROW_COLUMNS

    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import psycopg

        compiler_dialect: Any = psycopg.dialect(paramstyle="format")
    else:
        from sqlalchemy.dialects import sqlite

        compiler_dialect = sqlite.dialect(paramstyle="qmark")
    events = _insert(dialect, s.events, EVENT_COLUMNS).on_conflict_do_nothing()
    plans = {"events": (events, EVENT_COLUMNS)}
    for table, columns in ROW_COLUMNS.items():
        plans[table] = (_upsert(dialect, getattr(s, table), columns), columns)
    plans[CREATIONS] = (_creation(), ("run",) * 4)
    statements = {}
    for name, (statement, columns) in plans.items():
        compiled = statement.compile(dialect=compiler_dialect)
        if tuple(compiled.positiontup or ()) != columns:
            raise AssertionError(f"{name}: parameters {compiled.positiontup} are not in row order {columns}")
        statements[name] = compiled.string
    return statements


_IDENTITY = ("namespace", "name", "run_uuid")


def _creation() -> Any:
    """Set the creation of a run's outputs when the run is COMPLETE and earlier than their creation so far.

    An artifact is created by the first COMPLETE run that wrote it (at the run's end, by its
    workload's owner or else its name), not by a write that failed. A run's outputs and its
    COMPLETE may come in different events and batches, in either order, so this runs once the
    batch's rows are written, for each run of the batch that wrote something or completed.
    """
    a, r, w, io = s.artifacts, s.runs, s.workloads, s.run_io
    run = bindparam("run")
    completed = select(r.c.ended_at).where(r.c.id == run).scalar_subquery()
    creator = select(func.coalesce(w.c.owner, w.c.name)).join(w, w.c.id == r.c.workload_id).where(r.c.id == run).scalar_subquery()
    earlier = (
        select(r.c.id)
        .where(r.c.id == run, r.c.state == _literal("COMPLETE"), r.c.ended_at.is_not(None))
        .where(a.c.created_at.is_(None) | (r.c.ended_at < a.c.created_at))
        .exists()
    )
    outputs = select(io.c.artifact_id).where(io.c.run_id == run, io.c.direction == literal_column(str(OUTPUT)))
    return a.update().where(a.c.id.in_(outputs), earlier).values(created_at=completed, created_by=creator)


def _literal(text_value: str) -> Any:
    """A constant written into the SQL, so the statement's only parameters are the row's columns."""
    return literal_column(f"'{text_value}'")


def _sql_earliest(current: Any, incoming: Any) -> Any:
    return case((current.is_(None), incoming), (incoming.is_not(None) & (incoming < current), incoming), else_=current)


def _sql_latest(current: Any, incoming: Any) -> Any:
    return case((current.is_(None), incoming), (incoming.is_not(None) & (incoming > current), incoming), else_=current)


def _upsert(dialect: str, table: Any, columns: tuple[str, ...]) -> Any:
    stmt = _insert(dialect, table, columns)
    keys = [c.name for c in table.primary_key.columns]
    x, t = stmt.excluded, table.c
    if table is s.run_io:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    if table is s.aliases:
        return stmt.on_conflict_do_update(index_elements=keys, set_={"artifact_id": x.artifact_id})
    if table is s.workload_io:
        return stmt.on_conflict_do_update(
            index_elements=keys,
            set_={
                "first_at": _sql_earliest(t.first_at, x.first_at),
                "last_at": _sql_latest(t.last_at, x.last_at),
                "evidence": case((x.evidence < t.evidence, x.evidence), else_=t.evidence),
            },
        )
    # namespace and name are the identity the id hashes, so they never change; leaving them out
    # of SET spares SQLite rewriting their index entries on every conflict.
    if table is s.artifact_facets:
        newer = (x.at > t.at) | ((x.at == t.at) & (x.value_json > t.value_json))
        return stmt.on_conflict_do_update(
            index_elements=keys, set_={"at": case((newer, x.at), else_=t.at), "value_json": case((newer, x.value_json), else_=t.value_json)}
        )
    coalesced = {name: func.coalesce(x[name], t[name]) for name in columns if name not in (*keys, *_IDENTITY)}
    if table is s.workloads:
        coalesced.update(
            type=case((x.type != _literal("external"), x.type), else_=t.type),
            first_seen=_sql_earliest(t.first_seen, x.first_seen),
            last_run_at=_sql_latest(t.last_run_at, x.last_run_at),
        )
    elif table is s.artifacts:
        coalesced.update(
            kind=case(((t.kind == _literal("model")) | (x.kind == _literal("model")), _literal("model")), else_=_literal("dataset")),
            first_seen=_sql_earliest(t.first_seen, x.first_seen),
            last_seen=_sql_latest(t.last_seen, x.last_seen),
        )
    elif table is s.runs:
        newer_state = x.state_rank >= t.state_rank
        coalesced.update(
            workload_id=t.workload_id,
            state=case((newer_state, x.state), else_=t.state),
            state_rank=case((newer_state, x.state_rank), else_=t.state_rank),
            started_at=_sql_earliest(t.started_at, x.started_at),
            ended_at=_sql_latest(t.ended_at, x.ended_at),
        )
    return stmt.on_conflict_do_update(index_elements=keys, set_=coalesced)


def __getattr__(name: str) -> Any:
    # The write path's modules load on first use, so a fresh process opens a store to read sooner.
    if name == "InvalidEvent":
        from lineage_nb.store.derive import InvalidEvent

        return InvalidEvent
    if name == "storable":  # the documented rule: U+FFFD for NUL and lone surrogates
        from lineage_nb.store.encoding import storable

        return storable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["IngestReport", "InvalidEvent", "Store", "StoreError", "open_store", "DBAPIError"]

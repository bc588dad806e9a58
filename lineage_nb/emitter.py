"""The only way events leave the process.

The user's thread appends to a bounded queue and returns; a background thread builds the
OpenLineage events, writes them to the local store in batches, and forwards them to the
OpenLineage client's transport when one is configured. When the queue is full the oldest
item is dropped and counted. Nothing here raises into user code unless
LINEAGE_NB_IGNORE_ERRORS=false.
"""
from __future__ import annotations

import atexit
# The emitter thread imports openlineage lazily, which imports this; once interpreter shutdown has
# begun it can no longer be imported first, and the events of an exiting kernel were lost.
import concurrent.futures.thread  # noqa: F401
import os
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from lineage_nb import errors
from lineage_nb.config import settings

if TYPE_CHECKING:
    from lineage_nb.facts import ActivityFact
    from lineage_nb.session import Workload

BATCH_SIZE = 500
# Waiting a moment for more events turns a burst of calls into one store transaction, so the
# background writes compete less with the user's thread for the GIL and the disk.
LINGER_SECONDS = 0.25
EXIT_FLUSH_SECONDS = 2.0
FORWARD_GIVE_UP_SECONDS = 10.0


@dataclass
class EmitterStats:
    submitted: int = 0
    written: int = 0
    dropped: int = 0
    forwarded: int = 0
    restarts: int = 0


@dataclass
class _Item:
    """Work for the background thread: a ready event dict, or what is needed to build events."""

    seq: int
    build: Callable[[], list[dict[str, Any]]]
    done: bool = field(default=False)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def describe_error(error: BaseException | None) -> tuple[str, str] | None:
    if error is None:
        return None
    message = f"{type(error).__name__}: {error}"
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return message, stack


class Emitter:
    def __init__(self, store_url: str | None = None, queue_size: int | None = None, forward: bool | None = None) -> None:
        self.store_url = store_url or settings().store
        self.queue_size = queue_size or settings().queue_size
        self.forward = settings().forward_to_openlineage if forward is None else forward
        self.stats = EmitterStats()
        self._queue: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._seq = 0
        self._done_seq = 0
        self._thread: threading.Thread | None = None
        self._store: Any = None
        self._forwarder: Any = None
        self._closed = False
        self._strict_error: errors.LineageError | None = None
        self._flushing = 0

    # ---- user thread -------------------------------------------------------------------------
    def submit(self, build: Callable[[], list[dict[str, Any]]]) -> None:
        """Queue a builder of events. Never blocks; drops the oldest item when the queue is full."""
        with self._cond:
            self._seq += 1
            full = len(self._queue) >= self.queue_size
            if full:
                dropped = self._queue.popleft()
                self.stats.dropped += 1
                self._done_seq = max(self._done_seq, dropped.seq)
            self._queue.append(_Item(self._seq, build))
            self.stats.submitted += 1
            self._cond.notify()
        self._ensure_thread()
        if full:
            errors.report("queue full", OverflowError(f"the lineage event queue is full ({self.queue_size}); the oldest events were dropped"))

    def submit_event(self, event: dict[str, Any]) -> None:
        self.submit(lambda: [event])

    def submit_session(self, workload: "Workload", state: str) -> None:
        at = _now()

        def build() -> list[dict[str, Any]]:
            from lineage_nb import events

            return [events.session_event(workload, state, at)]

        self.submit(build)

    def submit_child(
        self, workload: "Workload", run_id: str, fact: "ActivityFact", state: str, error: BaseException | None, at: datetime | None = None
    ) -> None:
        at = at or _now()
        error_info = describe_error(error)

        def build() -> list[dict[str, Any]]:
            from lineage_nb import events

            return [events.child_event(workload, run_id, fact, state, at, error_info)]

        self.submit(build)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is written (or dropped). True when it all made it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._seq
        self._ensure_thread()
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._done_seq < target:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(min(remaining, 0.05))
            finally:
                self._flushing -= 1
        if self._forwarder is not None:
            self._forwarder.flush(max(0.0, deadline - time.monotonic()))
        self.raise_pending_error()
        return True

    def close(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._forwarder is not None:
            self._forwarder.close(max(0.0, deadline - time.monotonic()))
        if self._store is not None:
            self._store.close()
            self._store = None

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    # ---- background thread ------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            died = self._thread is not None and not self._closed
            if self._thread is not None:
                self.stats.restarts += 1
            self._closed = False
            self._thread = threading.Thread(target=self._run, name="lineage-nb-emitter", daemon=True)
            self._thread.start()
        if died:
            errors.report("emitter thread", RuntimeError("the lineage emitter thread had stopped; a new one took over its queue"))

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue and self._closed:
                    return
                self._linger()
                batch = [self._queue.popleft() for _ in range(min(BATCH_SIZE, len(self._queue)))]
            try:
                self._process(batch)
            finally:
                with self._cond:
                    self._done_seq = max(self._done_seq, batch[-1].seq)
                    self._cond.notify_all()

    def _linger(self) -> None:
        """Hold the condition's lock; return when a batch is full, someone flushes or closes, or time is up."""
        until = time.monotonic() + LINGER_SECONDS
        while len(self._queue) < BATCH_SIZE and not self._closed and not self._flushing:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            self._cond.wait(remaining)

    def _process(self, batch: list[_Item]) -> None:
        built: list[dict[str, Any]] = []
        for item in batch:
            try:
                built.extend(item.build())
            except Exception as exc:  # noqa: BLE001
                self._report("build", exc)
        if not built:
            return
        try:
            report = self._open_store().ingest(built)
            self.stats.written += len(built) - len(report.rejected)
            if report.rejected:
                _, reason = report.rejected[0]
                self._report("invalid event", ValueError(f"{len(report.rejected)} captured events rejected by the store: {reason}"))
        except Exception as exc:  # noqa: BLE001
            self._report("store", exc)
            self._store = None
        if self.forward:
            try:
                self._open_forwarder().forward(built)
            except Exception as exc:  # noqa: BLE001
                self._report("transport", exc)

    def _report(self, kind: str, exc: BaseException) -> None:
        try:
            errors.report(kind, exc)
        except errors.LineageError as strict:
            self._strict_error = strict

    def _open_store(self) -> Any:
        if self._store is None:
            from lineage_nb.store import open_store

            self._store = open_store(self.store_url, create=True)
        return self._store

    def _open_forwarder(self) -> Any:
        if self._forwarder is None:
            from lineage_nb.forwarder import Forwarder

            self._forwarder = Forwarder(give_up_seconds=settings().forward_give_up_seconds)
        return self._forwarder

    def raise_pending_error(self) -> None:
        """In strict mode, surface a background failure at the next call on the user's thread."""
        strict = self._strict_error
        if strict is not None:
            self._strict_error = None
            raise strict


_emitter: Emitter | None = None
_emitter_lock = threading.Lock()


def get_emitter() -> Emitter:
    global _emitter
    with _emitter_lock:
        if _emitter is None:
            _emitter = Emitter()
        return _emitter


def set_emitter(emitter: Emitter | None) -> Emitter | None:
    """Swap the process emitter (tests, `lineage_nb.enable(store=...)`); returns the old one."""
    global _emitter
    with _emitter_lock:
        old, _emitter = _emitter, emitter
    return old


def _flush_at_exit() -> None:
    from lineage_nb.session import end_session

    try:
        end_session()
        if _emitter is not None:
            _emitter.close(EXIT_FLUSH_SECONDS)
    except Exception:  # noqa: BLE001 - never fail interpreter exit
        pass


def _reset_after_fork() -> None:
    global _emitter
    _emitter = None


atexit.register(_flush_at_exit)
os.register_at_fork(after_in_child=_reset_after_fork)

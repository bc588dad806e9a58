"""The only way events leave the process.

The user's thread queues a builder of events and returns; a background thread (runtime/background.py)
builds the events and writes them, in batches, to the process's sink (runtime/sinks/): the store,
a `serve` endpoint, then the OpenLineage transport when one is configured. Nothing here raises into
user code unless LINEAGE_NB_IGNORE_ERRORS=false. `flush` is True only when everything submitted
before it is durably stored (and forwarded, where forwarding is on).
"""
from __future__ import annotations

# The emitter thread imports openlineage lazily, which imports this; once interpreter shutdown has
# begun it can no longer be imported first, and the events of an exiting kernel were lost.
import concurrent.futures.thread  # noqa: F401
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from lineage_nb.core import errors
from lineage_nb.core.settings import settings
from lineage_nb.runtime.background import BackgroundQueue
from lineage_nb.runtime.sinks import Outgoing, Sink, build_sink

BATCH_SIZE = 500
# Waiting a moment for more events turns a burst of calls into one store transaction, so the
# background writes compete less with the user's thread for the GIL and the disk.
LINGER_SECONDS = 0.25
EXIT_FLUSH_SECONDS = 2.0

Builder = Callable[[], list[Any]]  # returns events: openlineage-python objects or dicts


@dataclass
class EmitterStats:
    submitted: int = 0
    written: int = 0
    failed: int = 0
    dropped: int = 0
    forwarded: int = 0
    forward_failed: int = 0
    restarts: int = 0


class Emitter:
    def __init__(self, store_url: str | None = None, queue_size: int | None = None, forward: bool | None = None,
                 sink: Sink | None = None) -> None:
        self.store_url = store_url or settings().store
        self.forward = settings().forward_to_openlineage if forward is None else forward
        self._sink = sink
        self._sink_lock = threading.Lock()
        self._strict_error: errors.LineageError | None = None
        self._submitted = 0
        self._closed_sink_stats: Counter[str] = Counter()  # what sinks closed so far counted
        self._queue: BackgroundQueue[Builder] = BackgroundQueue(
            "lineage-nb-emitter", self._process, queue_size or settings().queue_size, BATCH_SIZE, LINGER_SECONDS,
            on_drop=self._dropped, on_restart=self._restarted,
        )

    # ---- user thread -------------------------------------------------------------------------
    def submit(self, build: Builder) -> None:
        """Queue a builder of events. Never blocks; drops the oldest item when the queue is full."""
        self._submitted += 1
        self._queue.put(build)

    def submit_event(self, event: Any) -> None:
        self.submit(lambda: [event])

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is written. True only when none of it was lost."""
        deadline = time.monotonic() + timeout
        stored = self._queue.flush(timeout)
        forwarded = True
        if self._sink is not None:
            forwarded = self._sink.flush(max(0.0, deadline - time.monotonic()))
        self.raise_pending_error()
        return stored and forwarded

    def close(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        self._queue.close(timeout)
        with self._sink_lock:
            sink, self._sink = self._sink, None
        if sink is not None:
            sink.close(max(0.0, deadline - time.monotonic()))
            self._closed_sink_stats.update(sink.stats())

    def pending(self) -> int:
        return self._queue.pending()

    @property
    def stats(self) -> EmitterStats:
        sink_stats = self._closed_sink_stats + Counter(self._sink.stats() if self._sink is not None else {})
        return EmitterStats(
            submitted=self._submitted,
            written=sink_stats.get("written", 0),
            failed=self._queue.failed,
            dropped=self._queue.dropped,
            forwarded=sink_stats.get("openlineage_forwarded", 0),
            forward_failed=sink_stats.get("openlineage_failed", 0) + sink_stats.get("openlineage_dropped", 0),
            restarts=self._queue.restarts,
        )

    # ---- background thread ------------------------------------------------------------------
    def _process(self, batch: list[Builder]) -> list[bool]:
        """Build and write a batch; returns, per builder, whether its events were lost."""
        built: list[Outgoing] = []
        owners: list[int] = []
        lost = [False] * len(batch)
        for index, build in enumerate(batch):
            try:
                for event in build():
                    built.append(_outgoing(event))
                    owners.append(index)
            except errors.LineageError as strict:  # a builder's own guard, in strict mode: already counted and named
                lost[index] = True
                self._strict_error = strict
            except Exception as exc:  # noqa: BLE001
                lost[index] = True
                self._report("build", exc)
        if not built:
            return lost
        try:
            self._open_sink().write(built)
        except Exception as exc:  # noqa: BLE001
            self._report("store", exc)
            for index in owners:
                lost[index] = True
        return lost

    def _open_sink(self) -> Sink:
        with self._sink_lock:
            if self._sink is None:
                self._sink = build_sink(self.store_url, self.forward)
            return self._sink

    def _dropped(self, capacity: int) -> None:
        errors.report("queue full", OverflowError(f"the lineage event queue is full ({capacity}); the oldest events were dropped"))

    def _restarted(self) -> None:
        errors.report("emitter thread", RuntimeError("the lineage emitter thread had stopped; a new one took over its queue"))

    def _report(self, kind: str, exc: BaseException) -> None:
        try:
            errors.report(kind, exc)
        except errors.LineageError as strict:
            self._strict_error = strict

    def raise_pending_error(self) -> None:
        """In strict mode, surface a background failure at the next call on the user's thread."""
        strict = self._strict_error
        if strict is not None:
            self._strict_error = None
            raise strict


def _outgoing(event: Any) -> Outgoing:
    if isinstance(event, Outgoing):
        return event
    if isinstance(event, dict):
        return Outgoing(event)
    from openlineage.client.serde import Serde

    return Outgoing(Serde.to_dict(event), event)


_emitter: Emitter | None = None
_emitter_lock = threading.Lock()


def get_emitter() -> Emitter:
    global _emitter
    with _emitter_lock:
        if _emitter is None:
            _emitter = Emitter()
        return _emitter


def current_emitter() -> Emitter | None:
    """The process's emitter, if one was made (status must not make one)."""
    return _emitter


def set_emitter(emitter: Emitter | None) -> Emitter | None:
    """Swap the process emitter (tests, `lineage_nb.enable(store=...)`); returns the old one."""
    global _emitter
    with _emitter_lock:
        old, _emitter = _emitter, emitter
    return old


def _reset_after_fork() -> None:
    global _emitter
    _emitter = None


os.register_at_fork(after_in_child=_reset_after_fork)

"""One bounded queue drained by one background thread: the emitter's and the forwarder's shared machinery.

Callers `put` and return at once; when the queue is full the oldest item is dropped and counted.
The thread hands batches to `process`, which returns how many of the batch's items were lost
(failed). `flush` is truthful: it returns True only when every item put before it was processed
and none of them was dropped or failed.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class BackgroundQueue(Generic[T]):
    def __init__(
        self,
        name: str,
        process: Callable[[list[T]], list[bool]],
        capacity: int,
        batch_size: int = 1,
        linger_seconds: float = 0.0,
        on_drop: Callable[[int], None] | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> None:
        """`process(batch)` returns, per item, whether it was lost; it must not raise."""
        self.name = name
        self.capacity = capacity
        self.batch_size = batch_size
        self.linger_seconds = linger_seconds
        self.processed = self.dropped = self.failed = self.restarts = 0
        self._process = process
        self._on_drop = on_drop
        self._on_restart = on_restart
        self._queue: deque[tuple[int, T]] = deque()
        self._cond = threading.Condition()
        self._seq = 0
        self._done_seq = 0
        self._lost: list[int] = []  # seq numbers of dropped or failed items not yet owned up to by a flush
        self._closed = False
        self._flushing = 0
        self._thread: threading.Thread | None = None

    # ---- callers ----------------------------------------------------------------------------------
    def put(self, item: T) -> None:
        """Queue an item; never blocks. Returns after dropping the oldest item when full."""
        dropped = False
        with self._cond:
            self._seq += 1
            if len(self._queue) >= self.capacity:
                seq, _ = self._queue.popleft()
                self._lose(seq)
                self.dropped += 1
                dropped = True
            self._queue.append((self._seq, item))
            if len(self._queue) == 1 or len(self._queue) >= self.batch_size:
                # the thread waits for a first item, then lingers until the batch is full: waking it
                # for every item in between would only make it compete for the GIL with the caller
                self._cond.notify()
        self._ensure_thread()
        if dropped and self._on_drop is not None:
            self._on_drop(self.capacity)

    def flush(self, timeout: float) -> bool:
        """Wait for everything put so far. True only when all of it was processed and nothing was lost."""
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
            lost = [seq for seq in self._lost if seq <= target]
            self._lost = [seq for seq in self._lost if seq > target]
            return not lost

    def close(self, timeout: float) -> int:
        """Process what can be processed within `timeout`, then stop; returns how many items were left behind."""
        deadline = time.monotonic() + timeout
        self.flush(timeout)
        with self._cond:
            self._closed = True
            left = len(self._queue)
            for seq, _ in self._queue:
                self._lose(seq)
            self.dropped += left
            self._queue.clear()
            self._done_seq = self._seq
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(max(0.0, min(deadline - time.monotonic(), 0.5)))
        return left

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- the thread -------------------------------------------------------------------------------
    def _lose(self, seq: int) -> None:
        self._lost.append(seq)
        self._done_seq = max(self._done_seq, seq)

    def _ensure_thread(self) -> None:
        if self.alive():
            return
        with self._cond:
            if self.alive():
                return
            died = self._thread is not None and not self._closed
            if self._thread is not None:
                self.restarts += 1
            self._closed = False
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        if died and self._on_restart is not None:
            self._on_restart()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue and self._closed:
                    return
                self._linger()
                batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
            if not batch:
                continue
            lost_flags = [True] * len(batch)
            try:
                lost_flags = self._process([item for _, item in batch])
            finally:
                with self._cond:
                    for (seq, _), lost in zip(batch, lost_flags):
                        if lost:
                            self._lost.append(seq)
                            self.failed += 1
                        else:
                            self.processed += 1
                    self._done_seq = max(self._done_seq, batch[-1][0])
                    self._cond.notify_all()

    def _linger(self) -> None:
        """With the lock held: return when a batch is full, someone flushes or closes, or time is up."""
        until = time.monotonic() + self.linger_seconds
        while len(self._queue) < self.batch_size and not self._closed and not self._flushing:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            self._cond.wait(remaining)

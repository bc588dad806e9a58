"""Forward events to the transport the standard OpenLineage client config names, off every caller's thread.

`OpenLineageClient()` reads OPENLINEAGE_URL / OPENLINEAGE_API_KEY, OPENLINEAGE_CONFIG, openlineage.yml
and OPENLINEAGE__TRANSPORT__*; its transport sends our already-built events. A bounded queue and
one thread keep an outage from ever blocking the local store or the user: an event is retried
with backoff for at most `give_up_seconds`, the oldest events are dropped when the queue is full,
and `close` waits no longer than it is told to.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable

from lineage_nb import errors

QUEUE_SIZE = 10_000
GIVE_UP_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 2.0


class Forwarder:
    def __init__(
        self,
        client_factory: Callable[[], Any] | None = None,
        queue_size: int = QUEUE_SIZE,
        give_up_seconds: float = GIVE_UP_SECONDS,
    ) -> None:
        self.give_up_seconds = give_up_seconds
        self.sent = self.dropped = self.failed = 0
        self._client_factory = client_factory or _default_client
        self._client: Any = None
        self._queue: deque[tuple[int, dict[str, Any]]] = deque()
        self._queue_size = queue_size
        self._cond = threading.Condition()
        self._seq = self._done_seq = 0
        self._closed = False
        self._strict_error: errors.LineageError | None = None
        self._thread = threading.Thread(target=self._run, name="lineage-nb-forwarder", daemon=True)
        self._thread.start()

    def forward(self, events: list[dict[str, Any]]) -> None:
        """Queue events for the transport; returns at once."""
        with self._cond:
            for event in events:
                self._seq += 1
                if len(self._queue) >= self._queue_size:
                    dropped, _ = self._queue.popleft()
                    self._done_seq = max(self._done_seq, dropped)
                    self.dropped += 1
                self._queue.append((self._seq, event))
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far was sent or given up on. True when it all went out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target, failed_before = self._seq, self.failed + self.dropped
            while self._done_seq < target and (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(min(remaining, 0.05))
            finished = self._done_seq >= target and self.failed + self.dropped == failed_before
        strict, self._strict_error = self._strict_error, None
        if strict is not None:
            raise strict
        return finished

    def close(self, timeout: float = 2.0) -> None:
        """Send what can be sent within `timeout`, then stop; an outage never holds up exit longer."""
        self.flush(timeout)
        with self._cond:
            self._closed = True
            left = len(self._queue)
            self.dropped += left
            self._done_seq = self._seq
            self._cond.notify_all()
        if left:
            self._report(RuntimeError(f"{left} events were not forwarded before the transport was closed"))
        self._thread.join(max(0.0, min(timeout, 0.5)))
        if self._client is not None and not self._thread.is_alive():
            self._client.close(0)

    # ---- forwarding thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                seq, event = self._queue.popleft()
            self._send(event)
            with self._cond:
                self._done_seq = max(self._done_seq, seq)
                self._cond.notify_all()

    def _send(self, event: dict[str, Any]) -> None:
        give_up_at = time.monotonic() + self.give_up_seconds
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                self._transport().emit(event)
                self.sent += 1
                return
            except Exception as exc:  # noqa: BLE001 - an outage must never reach the user
                if not _worth_retrying(exc) or time.monotonic() + backoff > give_up_at or self._closed:
                    self.failed += 1
                    self._report(exc)
                    return
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _transport(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client.transport

    def _report(self, exc: BaseException) -> None:
        try:
            errors.report("transport", exc)
        except errors.LineageError as strict:
            self._strict_error = strict


def _default_client() -> Any:
    """The client the standard config describes. Building it rewrites OPENLINEAGE_URL into
    OPENLINEAGE__TRANSPORT__* variables; the user's environment is put back as it was."""
    import os

    from openlineage.client import OpenLineageClient

    before = {key: value for key, value in os.environ.items() if key.startswith("OPENLINEAGE")}
    try:
        return OpenLineageClient()
    finally:
        for key in [k for k in os.environ if k.startswith("OPENLINEAGE") and k not in before]:
            del os.environ[key]
        os.environ.update(before)


def _worth_retrying(exc: BaseException) -> bool:
    """Server trouble and network trouble pass; a 4xx (bad event, bad token) will not."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status is None or status >= 500 or status == 429

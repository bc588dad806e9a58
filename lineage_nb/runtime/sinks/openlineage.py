"""Forwarding to the transport the standard OpenLineage client config names, off every caller's thread.

`OpenLineageClient()` reads OPENLINEAGE_URL / OPENLINEAGE_API_KEY, OPENLINEAGE_CONFIG, openlineage.yml
and OPENLINEAGE__TRANSPORT__*. Every event goes through `OpenLineageClient.emit`, so the user's
filters, dataset reducers, tags and environment facets apply as they would to any producer.

An outage never blocks the local store or the user: events wait in their own bounded queue
(runtime/background.py), and each event is tried for at most `give_up_seconds` of wall-clock time.
HTTP transports retry inside each attempt (urllib3), which would overrun that bound, so their
internal retries are turned off and each attempt's timeout is cut to the time left; the retrying
with backoff happens here.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from lineage_nb.core import errors
from lineage_nb.runtime.background import BackgroundQueue
from lineage_nb.runtime.sinks import Outgoing

QUEUE_SIZE = 10_000
GIVE_UP_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 2.0
MIN_ATTEMPT_SECONDS = 0.05


class OpenLineageSink:
    kind = "openlineage"
    location = "openlineage client"

    def __init__(
        self,
        client_factory: Callable[[], Any] | None = None,
        queue_size: int = QUEUE_SIZE,
        give_up_seconds: float = GIVE_UP_SECONDS,
    ) -> None:
        self.give_up_seconds = give_up_seconds
        self.sent = 0
        self._client_factory = client_factory or default_client
        self._client: Any = None
        self._http_timeouts: list[tuple[Any, float]] = []
        self._strict_error: errors.LineageError | None = None
        self._closing = False
        self._queue: BackgroundQueue[Outgoing] = BackgroundQueue(
            "lineage-nb-forwarder", self._send_all, queue_size, on_drop=self._dropped
        )

    @property
    def failed(self) -> int:
        return self._queue.failed

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    def write(self, events: list[Outgoing]) -> None:
        """Queue events for the transport; returns at once."""
        for event in events:
            self._queue.put(event)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far was sent or given up on. True when it all went out."""
        finished = self._queue.flush(timeout)
        strict, self._strict_error = self._strict_error, None
        if strict is not None:
            raise strict
        return finished

    def close(self, timeout: float = 2.0) -> None:
        """Send what can be sent within `timeout`, then stop; an outage never holds up exit longer."""
        deadline = time.monotonic() + timeout
        self._queue.flush(timeout)
        self._closing = True
        left = self._queue.close(max(0.0, deadline - time.monotonic()))
        if left:
            self._report(RuntimeError(f"{left} events were not forwarded before the transport was closed"))
        if self._client is not None and not self._queue.alive():
            self._client.close(0)

    def stats(self) -> dict[str, int]:
        return {"forwarded": self.sent, "failed": self.failed, "dropped": self.dropped}

    # ---- the forwarding thread ----------------------------------------------------------------
    def _send_all(self, batch: list[Outgoing]) -> list[bool]:
        return [not self._send(item) for item in batch]

    def _send(self, item: Outgoing) -> bool:
        give_up_at = time.monotonic() + self.give_up_seconds
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                client = self._open_client()
                self._bound_attempts(give_up_at - time.monotonic())
                client.emit(item.event if item.event is not None else event_from_dict(item.data))
                self.sent += 1
                return True
            except Exception as exc:  # noqa: BLE001 - an outage must never reach the user
                if not _worth_retrying(exc) or time.monotonic() + backoff >= give_up_at or self._closing:
                    self._report(exc)
                    return False
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _open_client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
            self._http_timeouts = _take_over_http_retries(self._client.transport)
        return self._client

    def _bound_attempts(self, remaining: float) -> None:
        for transport, configured in self._http_timeouts:
            transport.timeout = max(MIN_ATTEMPT_SECONDS, min(configured, remaining))

    def _dropped(self, capacity: int) -> None:
        self._report(OverflowError(f"the forwarding queue is full ({capacity}); the oldest events were dropped"))

    def _report(self, exc: BaseException) -> None:
        try:
            errors.report("transport", exc)
        except errors.LineageError as strict:
            self._strict_error = strict


def _take_over_http_retries(transport: Any) -> list[tuple[Any, float]]:
    """HTTP transports (also inside a composite transport), with urllib3's retries turned off; returns
    each with its configured per-request timeout."""
    found = []
    for inner in getattr(transport, "transports", None) or [transport]:
        if getattr(inner, "kind", None) == "http":
            from requests.adapters import HTTPAdapter

            inner.session.mount(inner.url, HTTPAdapter(max_retries=0))
            found.append((inner, float(inner.timeout)))
    return found


def default_client() -> Any:
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


def event_from_dict(data: dict[str, Any]) -> Any:
    """An openlineage-python RunEvent for an event that exists only as a dict (facets kept as given)."""
    from openlineage.client import event_v2

    def datasets(kind: Any, items: list[dict[str, Any]] | None) -> list[Any]:
        return [kind(namespace=d["namespace"], name=d["name"], facets=d.get("facets") or {}) for d in items or []]

    run, job = data["run"], data["job"]
    return event_v2.RunEvent(
        eventType=event_v2.RunState[data.get("eventType") or "OTHER"],
        eventTime=data["eventTime"],
        run=event_v2.Run(runId=run["runId"], facets=run.get("facets") or {}),
        job=event_v2.Job(namespace=job["namespace"], name=job["name"], facets=job.get("facets") or {}),
        producer=data["producer"],
        inputs=datasets(event_v2.InputDataset, data.get("inputs")),
        outputs=datasets(event_v2.OutputDataset, data.get("outputs")),
    )


def _worth_retrying(exc: BaseException) -> bool:
    """Server trouble and network trouble pass; a 4xx (bad event, bad token) will not."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status is None or status >= 500 or status == 429

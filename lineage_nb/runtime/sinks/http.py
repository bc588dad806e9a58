"""A `lineage-nb serve` endpoint as a sink (`LINEAGE_NB_STORE=http://host:port`): events POSTed in batches.

The endpoint answers 2xx only after the events are committed, so a returned `write` is durable.
"""
from __future__ import annotations

from typing import Any

from lineage_nb.core.naming import strip_credentials
from lineage_nb.core.protocol import INGEST_BATCH_PATH
from lineage_nb.core.settings import settings
from lineage_nb.runtime.sinks import Outgoing

TIMEOUT_SECONDS = 30.0


class EndpointRefused(RuntimeError):
    """The endpoint did not take the events."""


class HttpSink:
    kind = "http"

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.location = strip_credentials(self.url)
        self._token = token or settings().token
        self._session: Any = None
        self.written = self.failed = 0

    def write(self, events: list[Outgoing]) -> None:
        import requests

        if self._session is None:
            self._session = requests.Session()
            if self._token:
                self._session.headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self._session.post(self.url + INGEST_BATCH_PATH, json=[item.data for item in events], timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            self.failed += len(events)
            raise EndpointRefused(f"cannot reach the lineage server at {self.location}: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            self.failed += len(events)
            try:
                detail = response.json().get("error", "")
            except ValueError:
                detail = response.text[:200]
            raise EndpointRefused(f"{self.location} refused {len(events)} events (HTTP {response.status_code}): {detail}")
        self.written += len(events)

    def flush(self, timeout: float) -> bool:
        return True

    def close(self, timeout: float) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def stats(self) -> dict[str, int]:
        return {"written": self.written, "failed": self.failed}

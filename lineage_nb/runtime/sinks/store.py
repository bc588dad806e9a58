"""The local store as a sink: a SQLite file (the default) or a PostgreSQL store."""
from __future__ import annotations

import time
from typing import Any

from lineage_nb.core.errors import report
from lineage_nb.core.naming import strip_credentials
from lineage_nb.runtime.sinks import Outgoing

RETRY_PAUSE_SECONDS = 0.2


class StoreSink:
    kind = "store"

    def __init__(self, target: str) -> None:
        self.target = target
        self.location = strip_credentials(target)
        self._store: Any = None
        self.written = self.failed = self.rejected = 0

    def write(self, events: list[Outgoing]) -> None:
        try:
            result = self._ingest(events)
        except Exception:
            self.failed += len(events)
            raise
        self.written += len(events) - len(result.rejected)
        if result.rejected:
            self.rejected += len(result.rejected)
            _, reason = result.rejected[0]
            report("invalid event", ValueError(f"{len(result.rejected)} captured events rejected by the store: {reason}"))

    def flush(self, timeout: float) -> bool:
        return True

    def close(self, timeout: float) -> None:
        self._close_store()

    def stats(self) -> dict[str, int]:
        return {"written": self.written, "failed": self.failed, "rejected": self.rejected}

    def _ingest(self, events: list[Outgoing]) -> Any:
        """One retry, after a pause, on a reopened store: the first open imports the store in this thread,
        and an import can fail once while another thread imports (Python's import-lock deadlock
        detection); SQLite can answer "database is locked" at once, without waiting, in a few WAL races."""
        data = [item.data for item in events]
        try:
            return self._ingest_once(data)
        except Exception:  # noqa: BLE001 - retried once; the second failure is the caller's
            time.sleep(RETRY_PAUSE_SECONDS)
        return self._ingest_once(data)

    def _ingest_once(self, data: list[dict[str, Any]]) -> Any:
        try:
            return self._open().ingest(data)
        except Exception:
            self._close_store()
            raise

    def _open(self) -> Any:
        if self._store is None:
            from lineage_nb.store import open_store

            self._store = open_store(self.target, create=True)
        return self._store

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()

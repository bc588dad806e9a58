"""Several sinks in order: "store, then forward". The first is the record; the others follow it."""
from __future__ import annotations

from lineage_nb.core.errors import report
from lineage_nb.runtime.sinks import Outgoing, Sink


class CompositeSink:
    kind = "composite"

    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = sinks
        self.location = sinks[0].location

    def write(self, events: list[Outgoing]) -> None:
        """Write to the first sink (raising if it fails), then hand to the others; a follower's
        failure is reported, never allowed to undo or block the record."""
        first, *followers = self.sinks
        try:
            first.write(events)
        finally:
            for sink in followers:
                try:
                    sink.write(events)
                except Exception as exc:  # noqa: BLE001
                    report("transport", exc)

    def flush(self, timeout: float) -> bool:
        import time

        deadline = time.monotonic() + timeout
        return all([sink.flush(max(0.0, deadline - time.monotonic())) for sink in self.sinks])

    def close(self, timeout: float) -> None:
        import time

        deadline = time.monotonic() + timeout
        for sink in reversed(self.sinks):
            sink.close(max(0.0, deadline - time.monotonic()))

    def stats(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for sink in self.sinks:
            for key, value in sink.stats().items():
                merged[key if sink is self.sinks[0] else f"{sink.kind}_{key}"] = value
        return merged

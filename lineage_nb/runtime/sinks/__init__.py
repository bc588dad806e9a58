"""Where the emitter sends events: a `Sink`, chosen by the store URL's scheme, as openlineage-python picks a transport.

- `store`: the local SQLite file or a PostgreSQL store (`sinks/store.py`)
- `http`: a `lineage-nb serve` endpoint (`sinks/http.py`)
- `openlineage`: the transport the standard OpenLineage client config names (`sinks/openlineage.py`)
- `CompositeSink`: "store, then forward", when OPENLINEAGE_* config is present

`write` is called on the emitter's thread and must be durable when it returns: it raises when
the events did not get there, so the emitter can count them as failed and `flush` can say so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, runtime_checkable


@dataclass
class Outgoing:
    """One event on its way out: the dict the stores keep, and the openlineage-python object it was built
    as (when it was), which `OpenLineageClient.emit` needs."""

    data: dict[str, Any]
    event: Any = None


@dataclass
class SinkStats:
    written: int = 0  # events a sink confirmed
    failed: int = 0  # events it could not take
    extra: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class Sink(Protocol):
    kind: str
    location: str  # credentials stripped

    def write(self, events: list[Outgoing]) -> None:
        """Make `events` durable, or raise."""

    def flush(self, timeout: float) -> bool:
        """For sinks that finish work in the background: wait; True when nothing was lost."""

    def close(self, timeout: float) -> None: ...

    def stats(self) -> dict[str, int]: ...


SinkFactory = Callable[[str], Sink]
_factories: dict[str, SinkFactory] = {}


def register(scheme: str, factory: SinkFactory) -> None:
    _factories[scheme] = factory


def open_sink(target: str) -> Sink:
    """The sink for a store path or URL: http(s) -> an endpoint, anything else -> a store."""
    scheme, sep, _ = target.partition("://")
    key = scheme.split("+")[0].lower() if sep else ""
    return (_factories.get(key) or _factories[""])(target)


def build_sink(store_url: str, forward: bool) -> Sink:
    """The emitter's sink: the store (or endpoint), then the OpenLineage transport when one is configured."""
    primary = open_sink(store_url)
    if not forward:
        return primary
    from lineage_nb.runtime.sinks.composite import CompositeSink

    return CompositeSink([primary, _factories["openlineage"]("")])


def _store(target: str) -> Sink:
    from lineage_nb.runtime.sinks.store import StoreSink

    return StoreSink(target)


def _http(target: str) -> Sink:
    from lineage_nb.runtime.sinks.http import HttpSink

    return HttpSink(target)


def _openlineage(_target: str) -> Sink:
    from lineage_nb.core.settings import settings
    from lineage_nb.runtime.sinks.openlineage import OpenLineageSink

    return OpenLineageSink(give_up_seconds=settings().forward_give_up_seconds)


for _scheme in ("", "file", "sqlite", "postgres", "postgresql"):
    register(_scheme, _store)
for _scheme in ("http", "https"):
    register(_scheme, _http)
register("openlineage", _openlineage)

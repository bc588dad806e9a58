"""`QueryService`: the one interface every front end asks its questions through.

Two implementations, chosen by the store's URL scheme as openlineage-python chooses a transport:
`LocalQueryService` runs SQL on a SQLite or PostgreSQL store; `RemoteQueryService` asks a
`lineage-nb serve` endpoint over HTTP (core/protocol.py). Front ends (CLI, magic, widget, server)
never see which one they hold.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Protocol, runtime_checkable

from lineage_nb.core.errors import UnusableStore
from lineage_nb.core.limits import DEFAULT_NODE_CAP, LIST_LIMIT, TRANSITIVE_MAX_DEPTH
from lineage_nb.query.results import (
    ArtifactOverview,
    ArtifactRow,
    Counts,
    Graph,
    ImportReport,
    Reached,
    WorkloadEntry,
    WorkloadOverview,
)

ServiceError = UnusableStore  # a store or endpoint that cannot answer; the message is one line


class NotFound(LookupError):
    """An artifact or workload that is not in the store; carries the closest matches."""

    def __init__(self, what: str, looked_up: str, matches: list[str]) -> None:
        self.what, self.looked_up, self.matches = what, looked_up, matches
        hint = f"; closest: {', '.join(matches)}" if matches else ""
        super().__init__(f"no {what} {looked_up!r} in the store{hint}")


@runtime_checkable
class QueryService(Protocol):
    location: str  # where answers come from, credentials stripped

    # ---- listings and overviews ----------------------------------------------------------------
    def artifacts(self, kind: str | None = None, created_by: str | None = None, search: str | None = None,
                  limit: int = LIST_LIMIT, offset: int = 0, project: str | None = None) -> list[ArtifactRow]: ...

    def workloads(self, search: str | None = None, limit: int = LIST_LIMIT, offset: int = 0,
                  project: str | None = None) -> list[WorkloadEntry]: ...

    def artifact(self, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> ArtifactOverview: ...

    def workload(self, name: str, namespace: str | None = None) -> WorkloadOverview: ...

    # ---- look-ups: what users type -> node ids ----------------------------------------------------
    def resolve_artifact(self, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> ArtifactRow: ...

    def resolve_workload(self, name: str, namespace: str | None = None) -> WorkloadEntry: ...

    # ---- graphs --------------------------------------------------------------------------------
    def graph(self, start: list[str], depth: int = 1, direction: str = "both", node_cap: int = DEFAULT_NODE_CAP,
              direct_only: bool = False) -> Graph: ...

    def page_neighbours(self, node: str, flow: str, offset: int, direct_only: bool = False) -> Graph: ...

    def transitive(self, node: str, flow: str, max_depth: int = TRANSITIVE_MAX_DEPTH, direct_only: bool = False) -> Reached: ...

    def counts(self) -> Counts: ...

    # ---- store administration (a local or PostgreSQL store; an endpoint refuses) ----------------
    def import_file(self, path: str, strict: bool = False, workers: int | None = None) -> ImportReport: ...

    def export_events(self, write: Callable[[dict[str, Any]], None]) -> int: ...

    def compact(self, keep_runs: int | None = None, older_than_days: float | None = None) -> dict[str, int]: ...

    def close(self) -> None: ...


# scheme -> "module:function" making a service from (target, create); resolved on first use, so
# opening a service imports only the implementation it needs (as openlineage-python's transport factory).
_factories: dict[str, str] = {}


def register(scheme: str, factory_path: str) -> None:
    """Make `open_service` answer URLs of `scheme` ("" for a file path) with the factory at `factory_path`."""
    _factories[scheme] = factory_path


def scheme_of(target: str) -> str:
    scheme, sep, _ = target.partition("://")
    return scheme.split("+")[0].lower() if sep else ""


def open_service(target: str | os.PathLike[str] | None = None, create: bool = False) -> QueryService:
    """The query service for a store path or URL (default: LINEAGE_NB_STORE)."""
    import importlib

    from lineage_nb.core.settings import settings

    text = os.fspath(target) if target is not None else settings().store
    module, _, function = (_factories.get(scheme_of(text)) or _factories[""]).partition(":")
    factory: Callable[[str, bool], QueryService] = getattr(importlib.import_module(module), function)
    return factory(text, create)


for _scheme in ("", "file", "sqlite", "postgres", "postgresql"):
    register(_scheme, "lineage_nb.query.local:open_local")
for _scheme in ("http", "https"):
    register(_scheme, "lineage_nb.query.remote:open_remote")

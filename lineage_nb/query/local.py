"""`LocalQueryService`: the answers of a SQLite or PostgreSQL store, computed here (query/sql/)."""
from __future__ import annotations

from typing import Any, Callable

from lineage_nb.query import sql
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
from lineage_nb.query.service import DEFAULT_NODE_CAP, LIST_LIMIT, TRANSITIVE_MAX_DEPTH
from lineage_nb.store import Store, open_store


def _public(entry: dict[str, Any]) -> Any:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


class LocalQueryService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.location = store.location

    @classmethod
    def open(cls, target: str, create: bool = False) -> LocalQueryService:
        return cls(open_store(target, create=create))

    def artifacts(self, kind: str | None = None, created_by: str | None = None, search: str | None = None,
                  limit: int = LIST_LIMIT, offset: int = 0, project: str | None = None) -> list[ArtifactRow]:
        return sql.list_artifacts(self.store, kind, created_by, search, limit, offset, project)

    def workloads(self, search: str | None = None, limit: int = LIST_LIMIT, offset: int = 0,
                  project: str | None = None) -> list[WorkloadEntry]:
        return sql.list_workloads(self.store, search, limit, offset, project)

    def artifact(self, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> ArtifactOverview:
        return sql.artifact_overview(self.store, sql.resolve_artifact(self.store, ref, namespace, name))

    def workload(self, name: str, namespace: str | None = None) -> WorkloadOverview:
        return sql.workload_overview(self.store, sql.resolve_workload(self.store, name, namespace))

    def resolve_artifact(self, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> ArtifactRow:
        return _public(sql.resolve_artifact(self.store, ref, namespace, name))

    def resolve_workload(self, name: str, namespace: str | None = None) -> WorkloadEntry:
        return _public(sql.resolve_workload(self.store, name, namespace))

    def graph(self, start: list[str], depth: int = 1, direction: str = "both", node_cap: int = DEFAULT_NODE_CAP,
              direct_only: bool = False) -> Graph:
        return sql.graph(self.store, start, depth=depth, direction=direction, node_cap=node_cap, direct_only=direct_only)

    def page_neighbours(self, node: str, flow: str, offset: int, direct_only: bool = False) -> Graph:
        return sql.page_neighbours(self.store, node, flow, offset, direct_only=direct_only)

    def transitive(self, node: str, flow: str, max_depth: int = TRANSITIVE_MAX_DEPTH, direct_only: bool = False) -> Reached:
        return sql.transitive(self.store, node, flow, max_depth=max_depth, direct_only=direct_only)

    def counts(self) -> Counts:
        return self.store.counts()  # type: ignore[return-value]

    def import_file(self, path: str, strict: bool = False, workers: int | None = None) -> ImportReport:
        from lineage_nb.store.importer import import_file

        r = import_file(self.store, path, strict=strict, workers=workers)
        return {"file": r.path, "accepted": r.accepted, "duplicates": r.duplicates, "errors": r.errors, "skipped_file": r.skipped_file}

    def export_events(self, write: Callable[[dict[str, Any]], None]) -> int:
        count = 0
        for event in self.store.iter_events():
            write(event)
            count += 1
        return count

    def compact(self, keep_runs: int | None = None, older_than_days: float | None = None) -> dict[str, int]:
        from dataclasses import asdict

        from lineage_nb.store.compact import compact

        return asdict(compact(self.store, keep_runs=keep_runs, older_than_days=older_than_days))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> LocalQueryService:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_local(target: str, create: bool = False) -> LocalQueryService:
    return LocalQueryService.open(target, create)

"""`RemoteQueryService`: the same answers, asked of a `lineage-nb serve` endpoint (`--store http://host:port`).

Each method is one GET of the read route of the same name (core/protocol.py). `requests` (an
openlineage-python dependency) is imported on first use, so opening the service stays cheap.
"""
from __future__ import annotations

from typing import Any, Callable

from lineage_nb.core.naming import strip_credentials
from lineage_nb.core.protocol import READ_ROUTES
from lineage_nb.core.settings import settings
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
from lineage_nb.query.service import DEFAULT_NODE_CAP, LIST_LIMIT, TRANSITIVE_MAX_DEPTH, NotFound, ServiceError

TIMEOUT_SECONDS = 30.0


class RemoteQueryService:
    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.location = strip_credentials(self.url)
        self._token = token or settings().token
        self._session: Any = None

    def artifacts(self, kind: str | None = None, created_by: str | None = None, search: str | None = None,
                  limit: int = LIST_LIMIT, offset: int = 0, project: str | None = None) -> list[ArtifactRow]:
        return self._get("artifacts", kind=kind, created_by=created_by, search=search, limit=limit, offset=offset, project=project)

    def workloads(self, search: str | None = None, limit: int = LIST_LIMIT, offset: int = 0,
                  project: str | None = None) -> list[WorkloadEntry]:
        return self._get("workloads", search=search, limit=limit, offset=offset, project=project)

    def artifact(self, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> ArtifactOverview:
        return self._get("artifact", ref=ref, namespace=namespace, name=name)

    def workload(self, name: str, namespace: str | None = None) -> WorkloadOverview:
        return self._get("workload", name=name, namespace=namespace)

    def resolve_artifact(self, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> ArtifactRow:
        return self._get("resolve_artifact", ref=ref, namespace=namespace, name=name)

    def resolve_workload(self, name: str, namespace: str | None = None) -> WorkloadEntry:
        return self._get("resolve_workload", name=name, namespace=namespace)

    def graph(self, start: list[str], depth: int = 1, direction: str = "both", node_cap: int = DEFAULT_NODE_CAP,
              direct_only: bool = False) -> Graph:
        return self._get("graph", start=list(start), depth=depth, direction=direction, node_cap=node_cap, direct_only=direct_only)

    def page_neighbours(self, node: str, flow: str, offset: int, direct_only: bool = False) -> Graph:
        return self._get("page_neighbours", node=node, flow=flow, offset=offset, direct_only=direct_only)

    def transitive(self, node: str, flow: str, max_depth: int = TRANSITIVE_MAX_DEPTH, direct_only: bool = False) -> Reached:
        return self._get("transitive", node=node, flow=flow, max_depth=max_depth, direct_only=direct_only)

    def counts(self) -> Counts:
        return self._get("counts")

    def import_file(self, path: str, strict: bool = False, workers: int | None = None) -> ImportReport:
        raise self._local_only("import")

    def export_events(self, write: Callable[[dict[str, Any]], None]) -> int:
        raise self._local_only("export")

    def compact(self, keep_runs: int | None = None, older_than_days: float | None = None) -> dict[str, int]:
        raise self._local_only("compact")

    def _local_only(self, command: str) -> ServiceError:
        return ServiceError(f"{command} works on a local or PostgreSQL store, not over {self.location}")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> RemoteQueryService:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _get(self, route_name: str, **arguments: Any) -> Any:
        import requests

        route = READ_ROUTES[route_name]
        if self._session is None:
            self._session = requests.Session()
            if self._token:
                self._session.headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self._session.get(self.url + route.path, params=route.encode(arguments), timeout=TIMEOUT_SECONDS)
            body = response.json()
        except requests.RequestException as exc:
            raise ServiceError(f"cannot reach the lineage server at {self.location}: {type(exc).__name__}") from None
        except ValueError:
            raise ServiceError(f"{self.location} did not answer with JSON (HTTP {response.status_code}); is it a lineage-nb server?") from None
        if response.status_code == 404 and isinstance(body, dict) and "looked_up" in body:
            raise NotFound(body.get("what", "artifact"), body["looked_up"], body.get("matches") or [])
        if response.status_code != 200:
            message = body.get("error") if isinstance(body, dict) else None
            raise ServiceError(f"{self.location}: {message or f'HTTP {response.status_code}'}")
        return body


def open_remote(target: str, create: bool = False) -> RemoteQueryService:
    return RemoteQueryService(target)

"""The HTTP protocol between `lineage-nb serve` and its clients: routes, typed parameters, the token rule.

Written out here, on its own, so that the wire format changes only when this file does. The read
routes mirror `QueryService`'s methods one to one (lineage_nb/query/service.py): the remote
service encodes a call with `ReadRoute.encode`, the server decodes it with `ReadRoute.decode`.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

API = "/api/v1"
INGEST_PATH = f"{API}/lineage"  # one OpenLineage event (the OpenLineage HTTP transport's endpoint)
INGEST_BATCH_PATH = f"{API}/lineage/batch"  # a JSON list of events
DIRECTIONS = ("up", "down", "both")
FLOWS = ("up", "down")
MAX_DEPTH = 10
MAX_TRANSITIVE_DEPTH = 1_000
MAX_NODE_CAP = 20_000
MAX_LIMIT = 10_000


class ProtocolError(ValueError):
    """A request that does not follow the protocol; the message says which parameter and why."""


# ---- the token rule ----------------------------------------------------------------------------
def bearer(token: str | None) -> bytes | None:
    """The Authorization header value a token requires (None: no token, every request passes)."""
    return f"Bearer {token}".encode() if token else None


def is_loopback(host: str) -> bool:
    """A server may listen without a token only on a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---- typed parameters --------------------------------------------------------------------------
def _text(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"must be {low}-{high}")
        return number

    return parse


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def _flag(value: str) -> bool:
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValueError("must be true or false")


@dataclass(frozen=True)
class Param:
    name: str
    parse: Callable[[str], Any] = _text
    repeated: bool = False  # given several times (?node=a&node=b), decoded as a list


@dataclass(frozen=True)
class ReadRoute:
    """`GET {API}/{name}`: answers the `QueryService` method of the same name with its JSON result."""

    name: str
    params: tuple[Param, ...] = ()

    @property
    def path(self) -> str:
        return f"{API}/{self.name}"

    def encode(self, arguments: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A call's arguments as query parameters; None and False are left out."""
        known = {p.name: p for p in self.params}
        query: list[tuple[str, str]] = []
        for key, value in arguments.items():
            if key not in known:
                raise ProtocolError(f"{self.name} takes no parameter {key!r}")
            if value is None or value is False:
                continue
            values: Sequence[Any] = value if known[key].repeated else [value]
            query += [(key, "true" if item is True else str(item)) for item in values]
        return query

    def decode(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """Query parameters as the method's keyword arguments; unknown or malformed ones raise ProtocolError."""
        known = {p.name: p for p in self.params}
        unknown = sorted({key for key, _ in query} - set(known))
        if unknown:
            raise ProtocolError(f"unknown parameter(s) for {self.name}: {', '.join(unknown)}")
        arguments: dict[str, Any] = {}
        for key, raw in query:
            param = known[key]
            try:
                value = param.parse(raw)
            except ValueError as exc:
                raise ProtocolError(f"{self.name}: {key} {exc}") from None
            if param.repeated:
                arguments.setdefault(key, []).append(value)
            elif key in arguments:
                raise ProtocolError(f"{self.name}: {key} given twice")
            else:
                arguments[key] = value
        return arguments


_NODE = Param("node")
READ_ROUTES: dict[str, ReadRoute] = {
    route.name: route
    for route in (
        ReadRoute("artifacts", (
            Param("kind", _one_of("dataset", "model")), Param("created_by"), Param("search"),
            Param("limit", _bounded_int(1, MAX_LIMIT)), Param("offset", _bounded_int(0, 1 << 31)), Param("project"),
        )),
        ReadRoute("workloads", (
            Param("search"), Param("limit", _bounded_int(1, MAX_LIMIT)), Param("offset", _bounded_int(0, 1 << 31)),
            Param("project"),
        )),
        ReadRoute("artifact", (Param("ref"), Param("namespace"), Param("name"))),
        ReadRoute("workload", (Param("name"), Param("namespace"))),
        ReadRoute("resolve_artifact", (Param("ref"), Param("namespace"), Param("name"))),
        ReadRoute("resolve_workload", (Param("name"), Param("namespace"))),
        ReadRoute("graph", (
            Param("start", repeated=True), Param("depth", _bounded_int(1, MAX_DEPTH)), Param("direction", _one_of(*DIRECTIONS)),
            Param("node_cap", _bounded_int(1, MAX_NODE_CAP)), Param("direct_only", _flag),
        )),
        ReadRoute("page_neighbours", (
            _NODE, Param("flow", _one_of(*FLOWS)), Param("offset", _bounded_int(0, 1 << 31)), Param("direct_only", _flag),
        )),
        ReadRoute("transitive", (
            _NODE, Param("flow", _one_of(*FLOWS)), Param("max_depth", _bounded_int(1, MAX_TRANSITIVE_DEPTH)), Param("direct_only", _flag),
        )),
        ReadRoute("counts"),
    )
}

"""A store reached through `lineage-nb serve`'s read API (`--store http://host:port`).

The read API answers the command layer's commands, so the CLI and the magic keep one command
layer: `commands.run` hands a parsed command to `RemoteStore.run`, which sends it as a GET and
returns the same `Result` a local store would give. The widget's node-level questions (a graph
around node ids, the next page behind "+N more") have their own two endpoints.

`to_query` and `from_query` are the wire format, shared with the server. Importing this module
is cheap: `requests` (an openlineage-python dependency) is imported on first use.
"""
from __future__ import annotations

import argparse
import os
from typing import Any

from lineage_nb.store import StoreError, redact_url

API = "/api/v1"
READ_COMMANDS = ("datasets", "models", "show", "workload", "graph", "impact", "provenance", "status")
NOT_OVER_HTTP = {"json", "html", "help", "store"}  # output choices and local files stay on the client
TOKEN_ENV = "LINEAGE_NB_TOKEN"
TIMEOUT_SECONDS = 30.0


class RemoteCommandError(ValueError):
    """A read API request that does not describe a command."""


def _subparser(command: str) -> argparse.ArgumentParser:
    from lineage_nb.commands import build_parser

    parser = build_parser(parser_class=_RaisingParser)
    choices = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    if command not in READ_COMMANDS or command not in choices:
        raise RemoteCommandError(f"no read command {command!r}; one of {', '.join(READ_COMMANDS)}")
    return choices[command]


def _parameters(command: str) -> dict[str, argparse.Action]:
    """Query parameter name -> argparse action: long option without dashes, or a positional's name."""
    found = {}
    for action in _subparser(command)._actions:
        key = max(action.option_strings, key=len).lstrip("-") if action.option_strings else action.dest
        if key not in NOT_OVER_HTTP:
            found[key] = action
    return found


def to_query(args: argparse.Namespace) -> dict[str, str]:
    """The parsed command's non-default arguments as query parameters."""
    query = {}
    for key, action in _parameters(args.command).items():
        value = getattr(args, action.dest, None)
        if value is not None and value != action.default:
            query[key] = str(value)
    return query


def from_query(command: str, query: dict[str, str]) -> argparse.Namespace:
    """Parse query parameters as the command's arguments; unknown or malformed ones raise RemoteCommandError."""
    parameters = _parameters(command)
    unknown = sorted(set(query) - set(parameters))
    if unknown:
        raise RemoteCommandError(f"unknown parameter(s) for {command}: {', '.join(unknown)}")
    argv = [command]
    for key, value in query.items():
        action = parameters[key]
        argv += [value] if not action.option_strings else [action.option_strings[-1], value]
    from lineage_nb.commands import build_parser

    return build_parser(parser_class=_RaisingParser).parse_args(argv)


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise RemoteCommandError(message)


class RemoteStore:
    """Answers commands and node queries through the read API of a `lineage-nb serve` endpoint."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.location = redact_url(self.url)
        self.dialect = "remote"
        self._token = token or os.environ.get(TOKEN_ENV)
        self._session: Any = None

    def run(self, args: argparse.Namespace) -> Any:
        """Execute a parsed command remotely; returns a `commands.Result` like a local run."""
        from lineage_nb.commands import EXIT_ERROR, EXIT_NOT_FOUND, Result

        if args.command not in READ_COMMANDS:
            return Result(args.command, None, EXIT_ERROR, [f"{args.command} works on a local or PostgreSQL store, not over {self.location}"])
        status, body = self._get(f"{API}/{args.command}", to_query(args))
        if status == 200:
            return Result(args.command, body)
        return Result(args.command, None, EXIT_NOT_FOUND if status == 404 else EXIT_ERROR, [body.get("error", f"HTTP {status}")])

    def graph(self, start: list[str], depth: int = 1, direction: str = "both", node_cap: int | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {"node": list(start), "depth": depth, "direction": direction}
        if node_cap is not None:
            query["max-nodes"] = node_cap
        return self._answer(f"{API}/nodes/graph", query)

    def page_neighbours(self, node: str, flow: str, offset: int) -> dict[str, Any]:
        return self._answer(f"{API}/nodes/page", {"node": node, "flow": flow, "offset": offset})

    def counts(self) -> dict[str, int]:
        return self._answer(f"{API}/status", {})["store_counts"]

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> "RemoteStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _answer(self, path: str, query: dict[str, Any]) -> Any:
        status, body = self._get(path, query)
        if status != 200:
            raise StoreError(f"{self.location}: {body.get('error', f'HTTP {status}')}")
        return body

    def _get(self, path: str, query: dict[str, Any]) -> tuple[int, Any]:
        import requests

        if self._session is None:
            self._session = requests.Session()
            if self._token:
                self._session.headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self._session.get(self.url + path, params=query, timeout=TIMEOUT_SECONDS)
            body = response.json()
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach the lineage server at {self.location}: {type(exc).__name__}") from None
        except ValueError:
            raise StoreError(f"{self.location} did not answer with JSON (HTTP {response.status_code}); is it a lineage-nb server?") from None
        return response.status_code, body

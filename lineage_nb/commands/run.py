"""Run a parsed command against a `QueryService`; the CLI prints the `Result`, the magic renders it.

Commands speak only to the service, so every command works on every store kind the service
supports (a SQLite file, PostgreSQL, a `serve` endpoint); administration (`import`, `export`,
`compact`) needs a store the service can write, and an endpoint says so in one line.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lineage_nb.commands.parser import ARTIFACT_HELP, build_parser  # noqa: F401 - build_parser is part of this layer's API
from lineage_nb.query.service import NotFound, QueryService, ServiceError, open_service

EXIT_OK, EXIT_ERROR, EXIT_NOT_FOUND = 0, 1, 2
WRITING_COMMANDS = {"import"}
NO_STORE_COMMANDS = {"on", "off", "serve"}


class UsageError(ValueError):
    """Wrong arguments: shown as a usage message, never a traceback."""


@dataclass
class Result:
    command: str
    data: Any
    exit_code: int = EXIT_OK
    messages: list[str] = field(default_factory=list)


def artifact_of(service: QueryService, args: argparse.Namespace) -> dict[str, Any]:
    if (args.namespace is None) != (args.artifact_name is None):
        raise UsageError("--namespace and --name go together")
    if not args.artifact and not args.namespace:
        raise UsageError(f"give an artifact: {ARTIFACT_HELP}, or --namespace NS --name NAME")
    return dict(service.resolve_artifact(args.artifact, args.namespace, args.artifact_name))


def _artifacts(service: QueryService, args: argparse.Namespace) -> Any:
    kind = "model" if args.command == "models" else "dataset"
    return service.artifacts(kind, args.created_by, args.search, args.limit, args.offset, project=args.project)


def _workloads(service: QueryService, args: argparse.Namespace) -> Any:
    return service.workloads(args.search, args.limit, args.offset, project=args.project)


def _show(service: QueryService, args: argparse.Namespace) -> Any:
    if (args.namespace is None) != (args.artifact_name is None):
        raise UsageError("--namespace and --name go together")
    if not args.artifact and not args.namespace:
        raise UsageError(f"give an artifact: {ARTIFACT_HELP}, or --namespace NS --name NAME")
    return service.artifact(args.artifact, args.namespace, args.artifact_name)


def _workload(service: QueryService, args: argparse.Namespace) -> Any:
    if not args.workload:
        raise UsageError("give a workload name (in a notebook, %lineage workload shows this notebook)")
    return service.workload(args.workload, args.namespace)


def graph_start(service: QueryService, args: argparse.Namespace) -> str:
    if getattr(args, "workload", None):
        return service.resolve_workload(args.workload)["id"]
    return artifact_of(service, args)["id"]


def _graph(service: QueryService, args: argparse.Namespace) -> Any:
    data = service.graph([graph_start(service, args)], depth=args.depth, direction=args.direction, node_cap=args.max_nodes,
                         direct_only=args.direct_only)
    if args.html:
        from lineage_nb.view.export import export_html

        export_html(data, args.html, depth=args.depth, direction=args.direction, service=service)
    return data


def _transitive(service: QueryService, args: argparse.Namespace) -> Any:
    start = artifact_of(service, args)["id"]
    return service.transitive(start, "down" if args.command == "impact" else "up", max_depth=args.max_depth, direct_only=args.direct_only)


def _import(service: QueryService, args: argparse.Namespace) -> Any:
    if args.workers is not None and args.workers < 0:
        raise UsageError("--workers must be 0 or more")
    return [service.import_file(path, strict=args.strict, workers=args.workers) for path in args.files]


def jsonl_line(event: dict[str, Any]) -> str:
    """One event per line, \\u-escaped only when it holds text UTF-8 cannot carry (lone surrogates)."""
    line = json.dumps(event, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(event)
    return line + "\n"


def _export(service: QueryService, args: argparse.Namespace) -> Any:
    if args.html:
        from lineage_nb.view.export import export_html

        depth = 2
        data = service.graph([service.resolve_artifact(args.file)["id"]], depth=depth)
        export_html(data, args.html, depth=depth, service=service)
        return {"file": args.html, "artifact": args.file, "nodes": len(data["nodes"])}
    handle = sys.stdout if args.file == "-" else Path(args.file).open("w", encoding="utf-8")
    try:
        count = service.export_events(lambda event: handle.write(jsonl_line(event)))
    finally:
        if handle is not sys.stdout:
            handle.close()
    return {"file": args.file, "events": count}


def _compact(service: QueryService, args: argparse.Namespace) -> Any:
    try:
        return service.compact(keep_runs=args.keep_runs, older_than_days=args.older_than)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _status(service: QueryService | None, args: argparse.Namespace) -> Any:
    from lineage_nb.commands.status import status

    return status(service, store=args.store)


COMMANDS: dict[str, Callable[[Any, argparse.Namespace], Any]] = {
    "datasets": _artifacts,
    "models": _artifacts,
    "workloads": _workloads,
    "show": _show,
    "workload": _workload,
    "graph": _graph,
    "impact": _transitive,
    "provenance": _transitive,
    "import": _import,
    "export": _export,
    "compact": _compact,
    "status": _status,
}


def run(args: argparse.Namespace, service: QueryService | None = None) -> Result:
    """Execute one parsed command. Expected failures become a Result with a one-line message."""
    if args.command not in COMMANDS:
        return Result(args.command, None, EXIT_ERROR, [f"{args.command} is not a command here"])
    owns_service = service is None
    try:
        if service is None and args.command != "status":
            service = open_service(args.store, create=args.command in WRITING_COMMANDS)
        data = COMMANDS[args.command](service, args)
    except NotFound as exc:
        return Result(args.command, None, EXIT_NOT_FOUND, [str(exc)])
    except (ServiceError, UsageError, OSError) as exc:
        return Result(args.command, None, EXIT_ERROR, [str(exc)])
    finally:
        if owns_service and service is not None:
            service.close()
    result = Result(args.command, data)
    if args.command == "import" and any(r["errors"] for r in data):
        result.exit_code = EXIT_ERROR
    return result

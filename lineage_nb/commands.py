"""The one command layer shared by the `lineage-nb` CLI and the `%lineage` magic.

`build_parser` defines every command once; `run` executes parsed arguments against a store and
returns a `Result` that the CLI prints (text or --json) and the magic renders (widget or table).
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lineage_nb import queries
from lineage_nb.store import Store, StoreError, open_store
from lineage_nb.store.remote import RemoteStore

EXIT_OK, EXIT_ERROR, EXIT_NOT_FOUND = 0, 1, 2
ARTIFACT_HELP = "a path, URI, models:/ URI or name as written when captured"


class UsageError(ValueError):
    """Wrong arguments: shown as a usage message, never a traceback."""


@dataclass
class Result:
    command: str
    data: Any
    exit_code: int = EXIT_OK
    messages: list[str] = field(default_factory=list)


def _add_artifact_arguments(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("artifact", nargs="?" if not required else None, help=ARTIFACT_HELP)
    parser.add_argument("--namespace", help="the artifact's OpenLineage namespace (with --name)")
    parser.add_argument("--name", dest="artifact_name", help="the artifact's OpenLineage name (with --namespace)")


def _add_listing(sub: Any, name: str, what: str) -> None:
    parser = sub.add_parser(name, help=f"list {what}, newest first")
    parser.add_argument("--created-by", metavar="EMAIL", help="only those created by this owner")
    parser.add_argument("--search", metavar="TEXT", help="only those whose name or namespace contains TEXT")
    parser.add_argument("--limit", type=int, default=queries.LIST_LIMIT, help="rows per page (default %(default)s)")
    parser.add_argument("--offset", type=int, default=0, help="rows to skip, for paging")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser(prog: str = "lineage-nb", parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser = parser_class(prog=prog, description="Explore OpenLineage lineage captured from notebooks, Ray Data and MLflow.")
    parser.add_argument("--store", metavar="PATH_OR_URL", help="the lineage store (default: $LINEAGE_NB_STORE or ~/.lineage_nb/lineage.db)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    sub.required = True

    _add_listing(sub, "datasets", "datasets")
    _add_listing(sub, "models", "models")

    show = sub.add_parser("show", help="an artifact's overview: metadata, schema, producers and consumers")
    _add_artifact_arguments(show, required=False)
    show.add_argument("--json", action="store_true", help="machine-readable output")

    workload = sub.add_parser("workload", help="a workload's overview: metadata, artifacts read and written, runs")
    workload.add_argument("workload", nargs="?", help="workload name (a notebook or script path, or a job name)")
    workload.add_argument("--namespace", help="the workload's OpenLineage job namespace, when the name is in several")
    workload.add_argument("--json", action="store_true", help="machine-readable output")

    graph = sub.add_parser("graph", help="the lineage graph around an artifact or a workload")
    _add_artifact_arguments(graph, required=False)
    graph.add_argument("--workload", metavar="NAME", help="start from this workload instead of an artifact")
    graph.add_argument("--depth", type=int, default=1, choices=range(1, 11), metavar="N", help="hops to follow, 1-10 (default 1)")
    graph.add_argument("--direction", choices=("up", "down", "both"), default="both", help="which way to follow (default both)")
    graph.add_argument("--max-nodes", type=int, default=queries.DEFAULT_NODE_CAP, help="node cap (default %(default)s)")
    output = graph.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable output")
    output.add_argument("--html", metavar="FILE", help="write a self-contained interactive HTML graph")

    for name, what in (("impact", "downstream"), ("provenance", "upstream")):
        transitive = sub.add_parser(name, help=f"everything transitively {what} of an artifact")
        _add_artifact_arguments(transitive, required=False)
        transitive.add_argument("--max-depth", type=int, default=queries.TRANSITIVE_MAX_DEPTH, help="hops to follow at most")
        transitive.add_argument("--json", action="store_true", help="machine-readable output")

    importer = sub.add_parser("import", help="ingest OpenLineage events from .json or .jsonl files")
    importer.add_argument("files", nargs="+", metavar="FILE")
    importer.add_argument("--strict", action="store_true", help="ingest nothing from a file that has an invalid event")
    importer.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="processes that prepare a .jsonl file's events (default: one per core for large files; 0: none)",
    )
    importer.add_argument("--json", action="store_true", help="machine-readable output")

    export = sub.add_parser("export", help="write every raw event as JSONL (backup, or replay into Marquez), or with --html an artifact's graph")
    export.add_argument("file", metavar="FILE|ARTIFACT", help="output file, or - for standard output; with --html, the artifact to graph")
    export.add_argument("--html", metavar="FILE", help="write ARTIFACT's lineage graph as a self-contained HTML file that works offline")

    serve = sub.add_parser("serve", help="accept OpenLineage events over HTTP into the store, and answer these commands as JSON")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s; others need $LINEAGE_NB_TOKEN)")
    serve.add_argument("--port", type=int, default=5000, help="port (default %(default)s)")

    compact = sub.add_parser("compact", help="fold old runs (and their raw events) out of the store; the graph stays")
    compact.add_argument("--keep-runs", type=int, metavar="N", help="keep the newest N runs of each workload")
    compact.add_argument("--older-than", type=float, metavar="DAYS", help="fold runs older than DAYS days")
    compact.add_argument("--json", action="store_true", help="machine-readable output")

    status = sub.add_parser("status", help="capture state, store location, event counts and errors seen")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("on", help="start capturing in this process (in a notebook: this kernel)")
    sub.add_parser("off", help="stop capturing in this process; events already captured are kept")
    return parser


def _artifact(store: Store, args: argparse.Namespace) -> dict[str, Any]:
    if (args.namespace is None) != (args.artifact_name is None):
        raise UsageError("--namespace and --name go together")
    if not args.artifact and not args.namespace:
        raise UsageError(f"give an artifact: {ARTIFACT_HELP}, or --namespace NS --name NAME")
    return queries.resolve_artifact(store, args.artifact, args.namespace, args.artifact_name)


def _datasets(store: Store, args: argparse.Namespace) -> Any:
    kind = "model" if args.command == "models" else "dataset"
    return queries.list_artifacts(store, kind, args.created_by, args.search, args.limit, args.offset)


def _show(store: Store, args: argparse.Namespace) -> Any:
    return queries.artifact_overview(store, _artifact(store, args))


def _workload(store: Store, args: argparse.Namespace) -> Any:
    if not args.workload:
        raise UsageError("give a workload name (in a notebook, %lineage workload shows this notebook)")
    return queries.workload_overview(store, queries.resolve_workload(store, args.workload, args.namespace))


def graph_start(store: Store, args: argparse.Namespace) -> str:
    if getattr(args, "workload", None):
        return queries.resolve_workload(store, args.workload)["id"]
    return _artifact(store, args)["id"]


def _graph(store: Store, args: argparse.Namespace) -> Any:
    data = queries.graph(store, [graph_start(store, args)], depth=args.depth, direction=args.direction, node_cap=args.max_nodes)
    if args.html:
        from lineage_nb.widget.export import export_html

        export_html(data, args.html)
    return data


def _transitive(store: Store, args: argparse.Namespace) -> Any:
    start = _artifact(store, args)["id"]
    return queries.transitive(store, start, "down" if args.command == "impact" else "up", max_depth=args.max_depth)


def _import(store: Store, args: argparse.Namespace) -> Any:
    from lineage_nb.importer import import_file

    if args.workers is not None and args.workers < 0:
        raise UsageError("--workers must be 0 or more")
    reports = [import_file(store, path, strict=args.strict, workers=args.workers) for path in args.files]
    return [
        {"file": r.path, "accepted": r.accepted, "duplicates": r.duplicates, "errors": r.errors, "skipped_file": r.skipped_file}
        for r in reports
    ]


def _jsonl_line(event: dict[str, Any]) -> str:
    """One event per line, \\u-escaped only when it holds text UTF-8 cannot carry (lone surrogates)."""
    line = json.dumps(event, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(event)
    return line + "\n"


def _export(store: Store, args: argparse.Namespace) -> Any:
    import sys

    if args.html:
        from lineage_nb.widget.export import export_html

        data = queries.graph(store, [queries.resolve_artifact(store, args.file)["id"]], depth=2)
        export_html(data, args.html)
        return {"file": args.html, "artifact": args.file, "nodes": len(data["nodes"])}

    count = 0
    handle = sys.stdout if args.file == "-" else Path(args.file).open("w", encoding="utf-8")
    try:
        for event in store.iter_events():
            handle.write(_jsonl_line(event))
            count += 1
    finally:
        if handle is not sys.stdout:
            handle.close()
    return {"file": args.file, "events": count}


def _serve(store: Store, args: argparse.Namespace) -> Any:
    from lineage_nb.server import serve

    serve(store, args.host, args.port)
    return None


def _compact(store: Store, args: argparse.Namespace) -> Any:
    from dataclasses import asdict

    from lineage_nb.store.compact import compact

    try:
        return asdict(compact(store, keep_runs=args.keep_runs, older_than_days=args.older_than))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _status(store: Store | None, args: argparse.Namespace) -> Any:
    from lineage_nb import status

    return status(store)


def _switch(_store: Store | None, args: argparse.Namespace) -> Any:
    import lineage_nb

    if args.command == "on":
        lineage_nb.enable()
    else:
        lineage_nb.disable()
    return lineage_nb.status()


COMMANDS: dict[str, Callable[[Any, argparse.Namespace], Any]] = {
    "datasets": _datasets,
    "models": _datasets,
    "show": _show,
    "workload": _workload,
    "graph": _graph,
    "impact": _transitive,
    "provenance": _transitive,
    "import": _import,
    "export": _export,
    "status": _status,
    "compact": _compact,
    "on": _switch,
    "off": _switch,
    "serve": _serve,
}
WRITING_COMMANDS = {"import", "serve"}


def run(args: argparse.Namespace, store: Store | None = None) -> Result:
    """Execute one parsed command. Expected failures become a Result with a one-line message."""
    owns_store = store is None
    try:
        if store is None and args.command not in ("status", "on", "off"):
            store = open_store(args.store, create=args.command in WRITING_COMMANDS)
        if isinstance(store, RemoteStore):
            return store.run(args)
        data = COMMANDS[args.command](store, args)
    except queries.NotFound as exc:
        return Result(args.command, None, EXIT_NOT_FOUND, [str(exc)])
    except (StoreError, UsageError, OSError) as exc:
        return Result(args.command, None, EXIT_ERROR, [str(exc)])
    finally:
        if owns_store and store is not None:
            store.close()
    result = Result(args.command, data)
    if args.command == "import" and any(r["errors"] for r in data):
        result.exit_code = EXIT_ERROR
    return result

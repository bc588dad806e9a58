"""Every command's arguments, defined once for the `lineage-nb` CLI and the `%lineage` magic.

Global options (`--store`) are accepted before or after the command. `on` and `off` exist only in
the magic: they switch capture in the kernel, and a CLI process has nothing to switch.
"""
from __future__ import annotations

import argparse
from typing import Any

from lineage_nb.core.limits import DEFAULT_NODE_CAP, LIST_LIMIT, TRANSITIVE_MAX_DEPTH

ARTIFACT_HELP = "a path, URI, models:/ URI or name as written when captured"
DIRECT_ONLY_HELP = "follow only direct edges (what a call itself read), not inferred ones (data held in the kernel when Python-built data was written)"
STORE_HELP = "the lineage store: a path, postgresql:// URL or http:// serve endpoint (default: $LINEAGE_NB_STORE or ~/.lineage_nb/lineage.db)"


def _global_options(suppress_default: bool) -> argparse.ArgumentParser:
    """The options every command takes. On subcommands their default is SUPPRESS, so a value
    given before the command is not overwritten by the subcommand's default."""
    options = argparse.ArgumentParser(add_help=False)
    default: Any = argparse.SUPPRESS if suppress_default else None
    options.add_argument("--store", metavar="PATH_OR_URL", default=default, help=STORE_HELP)
    return options


def _artifact_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", nargs="?", help=ARTIFACT_HELP)
    parser.add_argument("--namespace", help="the artifact's OpenLineage namespace (with --name)")
    parser.add_argument("--name", dest="artifact_name", help="the artifact's OpenLineage name (with --namespace)")


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--search", metavar="TEXT", help="only those whose name or namespace contains TEXT")
    parser.add_argument("--project", metavar="NAME", help="only this project's (an artifact's project is its writer's)")
    parser.add_argument("--limit", type=int, default=LIST_LIMIT, help="rows per page (default %(default)s)")
    parser.add_argument("--offset", type=int, default=0, help="rows to skip, for paging")
    _json(parser)


def build_parser(prog: str = "lineage-nb", parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
                 switches: bool = False) -> argparse.ArgumentParser:
    """The parser; `switches` adds `on` and `off` (the magic's)."""
    parser = parser_class(prog=prog, description="Explore OpenLineage lineage captured from notebooks, Ray Data and MLflow.",
                          parents=[_global_options(False)])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    sub.required = True
    common = [_global_options(True)]

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=common)

    for name, what in (("datasets", "datasets"), ("models", "models")):
        listing = command(name, f"list {what}, newest first")
        listing.add_argument("--created-by", metavar="EMAIL", help="only those created by this owner")
        _paging(listing)
    _paging(command("workloads", "list workloads (notebooks, scripts, jobs), most recently run first"))

    show = command("show", "an artifact's overview: metadata, schema, producers and consumers")
    _artifact_arguments(show)
    _json(show)

    workload = command("workload", "a workload's overview: metadata, artifacts read and written, runs")
    workload.add_argument("workload", nargs="?", help="workload name (a notebook or script path, or a job name)")
    workload.add_argument("--namespace", help="the workload's OpenLineage job namespace, when the name is in several")
    _json(workload)

    graph = command("graph", "the lineage graph around an artifact or a workload")
    _artifact_arguments(graph)
    graph.add_argument("--workload", metavar="NAME", help="start from this workload instead of an artifact")
    graph.add_argument("--depth", type=int, default=1, choices=range(1, 11), metavar="N", help="hops to follow, 1-10 (default 1)")
    graph.add_argument("--direction", choices=("up", "down", "both"), default="both", help="which way to follow (default both)")
    graph.add_argument("--max-nodes", type=int, default=DEFAULT_NODE_CAP, help="node cap (default %(default)s)")
    graph.add_argument("--direct-only", action="store_true", help=DIRECT_ONLY_HELP)
    output = graph.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable output")
    output.add_argument("--html", metavar="FILE", help="write a self-contained interactive HTML graph")

    for name, what in (("impact", "downstream"), ("provenance", "upstream")):
        transitive = command(name, f"everything transitively {what} of an artifact")
        _artifact_arguments(transitive)
        transitive.add_argument("--max-depth", type=int, default=TRANSITIVE_MAX_DEPTH, help="hops to follow at most")
        transitive.add_argument("--direct-only", action="store_true", help=DIRECT_ONLY_HELP)
        _json(transitive)

    importer = command("import", "ingest OpenLineage events from .json or .jsonl files")
    importer.add_argument("files", nargs="+", metavar="FILE")
    importer.add_argument("--strict", action="store_true", help="ingest nothing from a file that has an invalid event")
    importer.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="processes that prepare a .jsonl file's events (default: one per core for large files; 0: none)",
    )
    _json(importer)

    export = command("export", "write every raw event as JSONL (backup, or replay into Marquez), or with --html an artifact's graph")
    export.add_argument("file", metavar="FILE|ARTIFACT", help="output file, or - for standard output; with --html, the artifact to graph")
    export.add_argument("--html", metavar="FILE", help="write ARTIFACT's lineage graph as a self-contained HTML file that works offline")

    serve = command("serve", "accept OpenLineage events over HTTP into the store, and answer queries as JSON")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s; others need $LINEAGE_NB_TOKEN)")
    serve.add_argument("--port", type=int, default=5000, help="port (default %(default)s)")

    compact = command("compact", "fold old runs (and their raw events) out of the store; the graph stays")
    compact.add_argument("--keep-runs", type=int, metavar="N", help="keep the newest N runs of each workload")
    compact.add_argument("--older-than", type=float, metavar="DAYS", help="fold runs older than DAYS days")
    _json(compact)

    status = command("status", "capture state, store location, event counts and errors seen")
    _json(status)
    if switches:
        command("on", "start capturing in this kernel")
        command("off", "stop capturing in this kernel; events already captured are kept")
    return parser


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each command's parser, by name (for per-command help)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}

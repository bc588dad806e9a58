"""`%load_ext lineage_nb` and the `%lineage` line magic, over the command layer the CLI uses.

Loading stays cheap: the parser, the store and the widget are built on first use, so loading
imports neither ray, mlflow, SQLAlchemy nor anywidget.
"""
from __future__ import annotations

import sys
from typing import Any

MAGIC_NAME = "lineage"
REACHED_COLUMNS = ["distance", "kind", "name", "namespace"]
ARTIFACT_FIELDS = {"graph": "artifact", "show": "artifact", "impact": "artifact", "provenance": "artifact", "export": "file"}
HELP_FLAGS = ("-h", "--help")


class LineageMagic:
    """The `%lineage` callable; its help is the shared parser's, built when first asked for."""

    # The line is split and its `$name` / `{expr}` filled in here (notebook/line.py), not by IPython.
    _ipython_magic_no_var_expand = True

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._parser: Any = None

    @property
    def parser(self) -> Any:
        if self._parser is None:
            from IPython.core.magic_arguments import MagicArgumentParser

            from lineage_nb.commands.parser import build_parser

            # MagicArgumentParser's usage line adds the "%" itself.
            self._parser = build_parser(prog=MAGIC_NAME, parser_class=MagicArgumentParser, switches=True)
            self._parser.epilog = "With no command: the graph of this notebook. With only ARTIFACT: that artifact's graph."
        return self._parser

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        """The whole help: the commands, then each command's options (what `%lineage?` shows)."""
        from lineage_nb.commands.parser import subparsers

        parts = [self.command_help(self.parser)]
        for name, command in subparsers(self.parser).items():
            parts.append(f"---- %{MAGIC_NAME} {name} ----\n" + self.command_help(command))
        return "\n".join(parts)

    @staticmethod
    def command_help(command: Any) -> str:
        # MagicArgumentParser's usage line starts "::" for Sphinx; here it is read as text.
        return command.format_help().replace("::\n\n  ", "usage: ")

    def __call__(self, line: str) -> Any:
        from IPython.core.error import UsageError

        from lineage_nb.notebook.line import LineError, split_line

        try:
            words = split_line(line, self.shell.user_ns)
        except LineError as exc:
            raise UsageError(str(exc)) from None
        if any(word in HELP_FLAGS for word in words):
            print(self._help_for(words))
            return None
        try:
            args = self.parser.parse_args(self.tokens(words))
        except UsageError as exc:
            usage = self.parser.format_usage().replace("::\n\n  ", "usage: ")
            raise UsageError(f"{exc}\n{usage}Try %lineage? for help.") from None
        try:
            self._resolve_variables(args)
        except (TypeError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        return render(args)

    def _help_for(self, words: list[str]) -> str:
        from lineage_nb.commands.parser import subparsers

        commands = subparsers(self.parser)
        named = next((w for w in words if w in commands), None)
        return self.command_help(commands[named] if named else self.parser)

    def tokens(self, words: list[str]) -> list[str]:
        tokens = list(words)
        commands = self._command_names()
        position = _first_positional(tokens)
        if position is None:
            return tokens + ["graph", "--workload", _own_workload().name]
        if tokens[position] not in commands:
            tokens.insert(position, "graph")
        if tokens[position] == "workload" and _first_positional(tokens[position + 1 :]) is None:
            own = _own_workload()
            tokens += [own.name, "--namespace", own.namespace]
        return tokens

    def _command_names(self) -> set[str]:
        from lineage_nb.commands.parser import subparsers

        return set(subparsers(self.parser))

    def _resolve_variables(self, args: Any) -> None:
        """An ARTIFACT naming a notebook variable (Ray Dataset, ModelInfo) becomes that artifact's URI."""
        from lineage_nb.notebook.graph import artifact_reference

        field = ARTIFACT_FIELDS.get(args.command)
        if args.command == "export" and not args.html:
            return
        name = getattr(args, field, None) if field else None
        if not name or not name.isidentifier() or name not in self.shell.user_ns:
            return
        value = self.shell.user_ns[name]
        if isinstance(value, str):
            return
        reference = artifact_reference(value)
        if reference is None:
            raise TypeError(f"{name} is a {type(value).__name__}: give a path, URI, models:/ URI, Ray Dataset or ModelInfo")
        setattr(args, field, reference)


def _first_positional(tokens: list[str]) -> int | None:
    skip = False
    for index, token in enumerate(tokens):
        if skip:
            skip = False
        elif token == "--store":
            skip = True
        elif not token.startswith("-"):
            return index
    return None


def _own_workload() -> Any:
    from lineage_nb.runtime.session import current_session

    return current_session().workload


def render(args: Any) -> Any:
    """Run a parsed command; widgets for what can be explored, text for the rest, messages for failures."""
    from lineage_nb.capture.control import flush
    from lineage_nb.commands import run as commands
    from lineage_nb.commands.render import render_text
    from lineage_nb.query.service import open_service

    flush(timeout=5)
    if args.command in ("on", "off"):
        print(render_text(commands.Result(args.command, _switch(args.command))))
        return None
    service = None
    if args.command not in ("status", "serve"):
        try:
            service = open_service(args.store, create=args.command in commands.WRITING_COMMANDS)
        except Exception as exc:  # noqa: BLE001 - a missing or unreadable store is a message, not a traceback
            print(f"lineage: {exc}", file=sys.stderr)
            return None
    result = commands.run(args, service)
    for message in result.messages:
        print(f"lineage: {message}", file=sys.stderr)
    widget = _widget_for(args, result.data, service) if result.data is not None else None
    if widget is not None:
        return widget
    if service is not None:
        service.close()
    if result.data is not None:
        print(render_text(result))
    return None


def _switch(command: str) -> Any:
    from lineage_nb.capture.control import disable, enable
    from lineage_nb.commands.status import status

    if command == "on":
        enable()
    else:
        disable()
    return status()


def _widget_for(args: Any, data: Any, service: Any) -> Any:
    from lineage_nb.notebook.widget import ARTIFACT_COLUMNS, WORKLOAD_COLUMNS, LineageWidget

    command = args.command
    if command not in ("graph", "show", "workload", "datasets", "models", "workloads", "impact", "provenance"):
        return None
    if command == "graph" and args.html:
        print(f"wrote {args.html}")
    widget = LineageWidget(service)
    if command == "graph":
        widget.show_graph(data["focus"], args.depth, args.direction, args.max_nodes, data=data)
    elif command in ("show", "workload"):
        widget.show_graph([data["id"]])
        widget.select(data["id"])
    elif command in ("datasets", "models"):
        filters = {"kind": command.rstrip("s"), "search": args.search, "created_by": args.created_by, "project": args.project}
        widget.show_table(command.capitalize(), data, ARTIFACT_COLUMNS, filters)
    elif command == "workloads":
        filters = {"kind": "workload", "search": args.search, "project": args.project}
        widget.show_table("Workloads", data, WORKLOAD_COLUMNS, filters)
    else:
        reached = data["artifacts"] + data["workloads"]
        title = f"{'Impact (downstream)' if command == 'impact' else 'Provenance (upstream)'}: {len(reached)} reached"
        widget.show_table(title + (" (truncated)" if data["truncated"] else ""), reached, REACHED_COLUMNS)
    return widget


_trackers: dict[int, Any] = {}


def load_ipython_extension(ipython: Any) -> None:
    from lineage_nb.capture.control import enable
    from lineage_nb.notebook.cells import CellTracker

    ipython.register_magic_function(LineageMagic(ipython), "line", MAGIC_NAME)
    if not enable():
        return
    unload_ipython_extension(ipython, keep_magic=True)
    tracker = _trackers[id(ipython)] = CellTracker(ipython)
    tracker.register()


def unload_ipython_extension(ipython: Any, keep_magic: bool = False) -> None:
    tracker = _trackers.pop(id(ipython), None)
    if tracker is not None:
        tracker.unregister()
    if not keep_magic:
        from lineage_nb.capture.control import disable

        ipython.magics_manager.magics["line"].pop(MAGIC_NAME, None)
        disable()

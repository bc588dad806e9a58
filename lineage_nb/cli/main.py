"""`lineage-nb`: the command line, over the command layer the magic uses too.

Imports are kept to what a command needs: `--help` loads only the parser, and a query loads
neither openlineage-python's client nor the store's write path.
"""
from __future__ import annotations

import signal
import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    import json

    from lineage_nb.commands.parser import build_parser

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    from lineage_nb.commands.render import render_text
    from lineage_nb.commands.run import run

    result = run(args)
    for message in result.messages:
        print(f"lineage-nb: {message}", file=sys.stderr)
    if result.data is not None and not (args.command == "export" and args.file == "-"):
        if getattr(args, "json", False):
            print(json.dumps(result.data, indent=2, ensure_ascii=False, default=str))
        else:
            print(render_text(result))
    return result.exit_code


def _serve(args: object) -> int:
    from lineage_nb.core.errors import UnusableStore
    from lineage_nb.http.server import serve

    try:
        serve(getattr(args, "store", None), args.host, args.port)
    except UnusableStore as exc:
        print(f"lineage-nb: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

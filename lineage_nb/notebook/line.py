"""A `%lineage` line as the user typed it -> the argument list, with `$name` and `{expr}` filled in.

IPython would fill those in over the whole line before the magic sees it, and a value holding a
space, a quote or `<>` would then be split or refused by the shell-style split after it. Here the
line is split first (quotes group, as in a shell), and each value goes into its own word whole.
The rules for what is filled in are IPython's: `{expr}` is evaluated, `$name` (or `$name.attr`) is
looked up, `$$`, `{{` and `}}` stand for themselves, `$` is literal inside single quotes, and
anything that does not evaluate stays as it was typed.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


class LineError(ValueError):
    """A line that cannot be split (an unclosed quote or brace)."""


def split_line(line: str, namespace: Mapping[str, Any]) -> list[str]:
    words: list[str] = []
    word: list[str] | None = None
    quote: str | None = None
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if quote is None and char.isspace():
            if word is not None:
                words.append("".join(word))
                word = None
            i += 1
            continue
        if word is None:
            word = []
        pair = line[i : i + 2]
        if quote is None and char in "'\"":
            quote = char
            i += 1
        elif char == quote:
            quote = None
            i += 1
        elif char == "\\" and quote != "'" and i + 1 < n:
            word.append(line[i + 1])
            i += 2
        elif pair in ("{{", "}}", "$$"):
            word.append(char)
            i += 2
        elif char == "{":
            end = _closing_brace(line, i)
            word.append(_evaluated(line[i + 1 : end], namespace, line[i : end + 1]))
            i = end + 1
        elif char == "$" and quote != "'" and (match := NAME.match(line, i + 1)):
            word.append(_looked_up(match.group(), namespace, "$" + match.group()))
            i = match.end()
        else:
            word.append(char)
            i += 1
    if quote is not None:
        raise LineError(f"no closing quotation ({quote}) in: {line}")
    if word is not None:
        words.append("".join(word))
    return words


def _closing_brace(line: str, start: int) -> int:
    """The index of the brace closing the one at `start`, skipping braces inside Python strings."""
    depth, i, quote = 0, start, None
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise LineError(f"no closing brace for {{ in: {line}")


def _evaluated(expression: str, namespace: Mapping[str, Any], typed: str) -> str:
    try:
        return str(eval(expression, dict(namespace)))
    except Exception:  # noqa: BLE001 - like IPython: what does not evaluate is left as typed
        return typed


def _looked_up(dotted: str, namespace: Mapping[str, Any], typed: str) -> str:
    head, *attributes = dotted.split(".")
    if head not in namespace:
        return typed
    value = namespace[head]
    for attribute in attributes:
        if not hasattr(value, attribute):
            return typed
        value = getattr(value, attribute)
    return str(value)

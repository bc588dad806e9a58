"""The words drawn on a node: a short name people recognise, and a badge naming what it is."""
from __future__ import annotations

from typing import Any

# Characters on one line of a node, and the width a node needs for them at the widget's font (11 px,
# bold for a `+`); tests/test_browser.py measures that every caption fits its node in Chromium.
LINE_CHARS = 22
CHAR_WIDTH = 6.4
ICON_ROOM = 30  # the badge at the node's left, and padding
MIN_NODE_WIDTH = 84
BADGES = ("dataset", "model", "notebook", "script", "job", "external", "cell", "line", "more")
STEP_WORDS = {"cell": "cells", "line": "lines"}


def shorten(text: str, limit: int = LINE_CHARS) -> str:
    """`text` cut from the middle to `limit` characters, keeping its start and its (more telling) end."""
    if len(text) <= limit:
        return text
    tail = (limit - 1) * 3 // 5
    return text[: limit - 1 - tail] + "…" + text[-tail:]


def code_lines(text: str, lines: int = 2, limit: int = LINE_CHARS) -> list[str]:
    """Source code (a step's label) over at most `lines` lines, cut at the end: code reads left to right."""
    text = " ".join(text.split())
    out = [text[i : i + limit] for i in range(0, min(len(text), lines * limit), limit)]
    if len(text) > lines * limit:
        out[-1] = out[-1][: limit - 1] + "…"
    return out


def badge(node: dict[str, Any]) -> str:
    """Which icon a node gets: its kind for artifacts, its type for workloads and steps."""
    kind = node.get("kind")
    if kind in ("dataset", "model", "more"):
        return kind
    kind_of_workload = node.get("type") or "job"
    if kind_of_workload in BADGES:
        return kind_of_workload
    return "external" if kind_of_workload in ("external", "service") else "job"


def model_name(properties: dict[str, Any]) -> str | None:
    """A model's registered name and version, or its run and flavour, from its MLflow properties."""
    registered = properties.get("registeredModelName")
    if registered:
        version = properties.get("registeredModelVersion")
        return f"{registered} v{version}" if version else str(registered)
    flavours = [f for f in properties.get("flavors") or [] if f != "python_function"] or list(properties.get("flavors") or [])
    run = properties.get("runName") or (f"run {str(properties['runId'])[:8]}" if properties.get("runId") else None)
    parts = [p for p in (flavours[0] if flavours else None, run) if p]
    return " · ".join(parts) or None


def step_count(count: int, step_type: str | None) -> str:
    return f"{count} {STEP_WORDS.get(step_type or '', 'steps')}"


def caption(title: str, detail: str | None = None, plus: bool = False, code: bool = False) -> str:
    """What the node shows: a `+` when there is more to expand, its title, and an optional second line.

    A `code` title (a step's source line) wraps over two lines; a `code` detail is cut at its end.
    """
    room = LINE_CHARS - (2 if plus else 0)
    lines = code_lines(title, limit=room) if code and not detail else [shorten(title, room)]
    if detail:
        lines.append(code_lines(detail, 1)[0] if code else shorten(detail))
    lines[0] = ("+ " if plus else "") + lines[0]
    return "\n".join(lines)


def node_width(caption_text: str) -> int:
    """How wide a node must be for its caption: narrow names make narrow nodes, and narrow columns."""
    longest = max((len(line) for line in caption_text.split("\n")), default=0)
    return int(min(ICON_ROOM + CHAR_WIDTH * LINE_CHARS, max(MIN_NODE_WIDTH, ICON_ROOM + CHAR_WIDTH * longest)))

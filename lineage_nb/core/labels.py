"""Short labels for what users see: the line of a cell that says what it does."""
from __future__ import annotations

LABEL_SOURCE_CHARACTERS = 60


def first_line(source: str | None) -> str:
    """The first line of a cell that says something (not blank, a comment, a magic or an import), shortened."""
    for line in (source or "").splitlines():
        text = line.strip()
        if text and not text.startswith(("#", "%", "import ", "from ")):
            return text if len(text) <= LABEL_SOURCE_CHARACTERS else text[: LABEL_SOURCE_CHARACTERS - 1] + "…"
    return ""

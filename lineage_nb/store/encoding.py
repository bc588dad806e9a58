"""JSON in and out of the store: orjson for speed, the standard library for what orjson refuses.

orjson refuses NaN and Infinity, lone surrogates and non-string keys; Python's json module takes
them, so every event readable before stays readable. One difference remains: orjson reads an
integer beyond 64 bits as a float, as JavaScript does.
"""
from __future__ import annotations

import json
import re
from typing import Any

import orjson


def parse(raw: bytes | str) -> Any:
    """Parse JSON text; errors are the standard library's (`json.JSONDecodeError`, `UnicodeDecodeError`)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)


def compact_json(value: Any, sort_keys: bool = False) -> bytes:
    """orjson.dumps, copied out of orjson's 32 KiB working buffer, which its result otherwise keeps."""
    return memoryview(orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)).tobytes()


def canonical(event: Any) -> bytes:
    """The event as UTF-8 JSON with sorted keys and no spaces: the stored payload and the source of its key."""
    try:
        return compact_json(event, sort_keys=True)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def parse_stored(payload: bytes) -> Any:
    """Parse a stored payload, which holds lone surrogates as `canonical` wrote them."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)  # bytes: decoded with surrogatepass


# Text that neither database can hold in a text column: NUL (PostgreSQL) and lone surrogates (both).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

def storable(value: Any) -> Any:
    """The event with U+FFFD for unstorable characters, so graph rows are the same on both backends."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value

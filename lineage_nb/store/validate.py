"""What ingest checks of an event before it derives anything: the fields it relies on, with a clear reason when one is wrong."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

STATE_RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
MAX_TEXT = 4096
_FRACTION = re.compile(r"(\.\d{6})\d+")
_UTC_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z")
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class InvalidEvent(ValueError):
    """An event that cannot be ingested; the message says which field and why."""


def normalize_time(value: Any, where: str = "eventTime") -> str:
    """Any ISO-8601 date-time -> 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00' in UTC, so strings sort as times."""
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{where} must be an ISO-8601 date-time string")
    utc = _UTC_TIME.fullmatch(value)
    if utc is not None:  # what nearly every producer sends; the general path below is six times slower
        try:
            datetime.fromisoformat(utc[1])
        except ValueError:
            raise InvalidEvent(f"{where} {value[:60]!r} is not an ISO-8601 date-time") from None
        return f"{utc[1]}.{(utc[2] or '').ljust(6, '0')}+00:00"
    text = _FRACTION.sub(r"\1", value.strip().replace("z", "Z"))
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEvent(f"{where} {value[:60]!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="microseconds")


def is_text(value: Any) -> bool:
    return value.__class__ is str and 0 < len(value) <= MAX_TEXT


def text(container: dict[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if is_text(value):
        return value
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{where}.{key} must be a non-empty string")
    raise InvalidEvent(f"{where}.{key} is {len(value)} characters; the limit is {MAX_TEXT}")


def object_field(container: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any]:
    value = container.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise InvalidEvent(f"{where}.{key} must be an object")
    return value


def run_uuid(run: dict[str, Any]) -> str:
    run_id = text(run, "runId", "run")
    if _CANONICAL_UUID.fullmatch(run_id) is None:
        try:
            uuid.UUID(run_id)
        except ValueError:
            raise InvalidEvent(f"run.runId {run_id[:60]!r} is not a UUID") from None
    return run_id


def event_kind(event: dict[str, Any]) -> str:
    if "run" in event:
        return "run"
    if "dataset" in event:
        return "dataset"
    if "job" in event:
        return "job"
    if "eventType" in event:
        return "run"
    raise InvalidEvent("not an OpenLineage event: no run, job or dataset")


def datasets(event: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    items = event.get(direction) or []
    if not isinstance(items, list):
        raise InvalidEvent(f"event.{direction} must be a list")
    for index, dataset in enumerate(items):
        if not (dataset.__class__ is dict and is_text(dataset.get("namespace")) and is_text(dataset.get("name"))
                and dataset.get("facets").__class__ in (dict, type(None))):
            check_dataset(dataset, f"{direction}[{index}]")  # says what is wrong
    return items


def check_dataset(dataset: Any, where: str) -> None:
    if not isinstance(dataset, dict):
        raise InvalidEvent(f"{where} must be an object")
    text(dataset, "namespace", where)
    text(dataset, "name", where)
    if dataset.get("facets") is not None and not isinstance(dataset["facets"], dict):
        raise InvalidEvent(f"{where}.facets must be an object")


def run_state(event: dict[str, Any]) -> str:
    state = event.get("eventType", "OTHER")
    if state not in STATE_RANK:
        raise InvalidEvent(f"eventType {str(state)[:30]!r} is not one of {', '.join(STATE_RANK)}")
    return state

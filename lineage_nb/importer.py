"""Import OpenLineage events from any producer: .json (one event or a list) and .jsonl files.

.jsonl is streamed line by line, so memory stays bounded on large files. Each file is written in
one transaction: a failed import leaves the store as it was.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from lineage_nb.store import IngestReport, Store
from lineage_nb.store.derive import InvalidEvent, validate

CHUNK = 2_000


@dataclass
class FileReport:
    path: str
    accepted: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    skipped_file: bool = False


def _events_in(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line, parsed event or None, error) for each event in the file."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    yield number, json.loads(raw.decode("utf-8")), None
                except UnicodeDecodeError:
                    yield number, None, "not valid UTF-8"
                except json.JSONDecodeError as exc:
                    yield number, None, f"malformed JSON: {exc.msg} at column {exc.colno}"
                except RecursionError:
                    yield number, None, "JSON nested too deeply"
        return
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        yield 1, None, f"not valid UTF-8 (byte {exc.start})"
        return
    yield from _json_document(text)


def _json_document(text: str) -> Iterator[tuple[int, Any, str | None]]:
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    if not text[start:].startswith("["):
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            yield exc.lineno, None, f"malformed JSON: {exc.msg} at column {exc.colno}"
            return
        except RecursionError:
            yield 1, None, "JSON nested too deeply"
            return
        if text[end:].strip():
            yield text.count("\n", 0, end) + 1, None, "extra data after the JSON value (use .jsonl for one event per line)"
        else:
            yield text.count("\n", 0, start) + 1, value, None
        return
    position = start + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text):
            yield text.count("\n") + 1, None, "malformed JSON: the list is not closed"
            return
        if text[position] == "]":
            if text[position + 1 :].strip():
                yield text.count("\n", 0, position) + 1, None, "extra data after the JSON list (use .jsonl for one event per line)"
            return
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            yield exc.lineno, None, f"malformed JSON: {exc.msg} at column {exc.colno}"
            return
        except RecursionError:
            yield line, None, "JSON nested too deeply"
            return
        yield line, value, None


def _checked(path: Path) -> Iterator[tuple[int, tuple[dict[str, Any], str] | None, str | None]]:
    for line, value, error in _events_in(path):
        if error is not None:
            yield line, None, error
            continue
        try:
            yield line, (value, validate(value)), None
        except InvalidEvent as exc:
            yield line, None, str(exc)
        except RecursionError:
            yield line, None, "event nested too deeply"


def import_file(store: Store, path: str | Path, strict: bool = False) -> FileReport:
    path = Path(path)
    report = FileReport(str(path))
    if not path.is_file():
        report.errors.append(f"{path}: no such file")
        report.skipped_file = True
        return report
    if strict:
        for line, _, error in _checked(path):
            if error is not None:
                report.errors.append(f"{path}:{line}: {error}")
        if report.errors:
            report.skipped_file = True
            return report
    ingest = IngestReport()
    with store.write() as conn:
        chunk: list[tuple[dict[str, Any], str]] = []
        for line, checked, error in _checked(path):
            if error is not None:
                if not strict:
                    report.errors.append(f"{path}:{line}: {error}")
                continue
            chunk.append(checked)  # type: ignore[arg-type]
            if len(chunk) >= CHUNK:
                store.write_batch(conn, chunk, ingest)
                chunk = []
        if chunk:
            store.write_batch(conn, chunk, ingest)
    report.accepted, report.duplicates = ingest.accepted, ingest.duplicates
    return report

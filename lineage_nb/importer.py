"""Import OpenLineage events from any producer: .json (one event or a list) and .jsonl files.

.jsonl is streamed line by line, so memory stays bounded on large files. Each file is written in
one transaction: a failed import leaves the store as it was.
"""
from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from lineage_nb.store import IngestReport, Store
from lineage_nb.store.batch import PreparedBatch
from lineage_nb.store.derive import InvalidEvent, validate
from lineage_nb.store.encoding import parse

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
                    yield number, parse(raw), None
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


def _problems(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """(line, event, None) for each well-formed event; (line, None, error) for each problem."""
    for line, value, error in _events_in(path):
        if error is not None:
            yield line, None, error
            continue
        try:
            validate(value)
        except InvalidEvent as exc:
            yield line, None, str(exc)
        except RecursionError:
            yield line, None, "event nested too deeply"
        else:
            yield line, value, None


def import_file(store: Store, path: str | Path, strict: bool = False) -> FileReport:
    path = Path(path)
    report = FileReport(str(path))
    if not path.is_file():
        report.errors.append(f"{path}: no such file")
        report.skipped_file = True
        return report
    if strict:
        for line, _, error in _problems(path):
            if error is not None:
                report.errors.append(f"{path}:{line}: {error}")
        if report.errors:
            report.skipped_file = True
            return report
    with _BackgroundWriter(store) as writer:
        batch = PreparedBatch()
        for line, value, error in _events_in(path):
            if error is None:
                try:
                    batch.add(value)
                except InvalidEvent as exc:
                    error = str(exc)
                except RecursionError:
                    error = "event nested too deeply"
            if error is not None:
                report.errors.append(f"{path}:{line}: {error}")
            elif len(batch) >= CHUNK:
                writer.write(batch)
                batch = PreparedBatch()
        writer.write(batch)
    report.accepted, report.duplicates = writer.report.accepted, writer.report.duplicates
    return report


class _BackgroundWriter:
    """Writes batches in one transaction on its own thread, while the caller prepares the next.

    The writer's time is mostly compression and SQLite, which release the GIL, so on two cores
    the two threads overlap. Leaving the `with` block by an exception rolls everything back.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.report = IngestReport()
        self._batches: queue.Queue[PreparedBatch | None] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._abort = False
        self._thread = threading.Thread(target=self._run, name="lineage-nb-import", daemon=True)

    def __enter__(self) -> "_BackgroundWriter":
        self._thread.start()
        return self

    def write(self, batch: PreparedBatch) -> None:
        self._raise_failure()
        self._batches.put(batch)

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self._abort = exc_type is not None
        self._batches.put(None)
        self._thread.join()
        if exc_type is None:
            self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        try:
            with self.store.write() as conn:
                while (batch := self._batches.get()) is not None:
                    self.store.write_prepared(conn, batch, self.report)
                if self._abort:
                    raise _Aborted
        except _Aborted:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self._failure = exc
            while self._batches.get() is not None:  # let a blocked caller go on to its exit
                pass


class _Aborted(Exception):
    """Raised inside the write transaction to roll it back."""

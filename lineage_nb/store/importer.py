"""Import OpenLineage events from any producer: a file of one event, a JSON list of events, or one event per line.

The format is told by the content, not the name (dbt-ol and the OpenLineage file transport write
one event per line to `.log` or `.json` files). Line files are streamed in chunks of lines, so
memory stays bounded on large files. Each file is written in one transaction: a failed import
leaves the store as it was.

Preparing events (parsing, hashing, deriving graph rows, compressing) is most of an import's
CPU, and chunks are independent, so large files are prepared in worker processes while this
process writes the chunks in file order. Each chunk's rows are merged within the chunk, and
the upserts merge them across chunks, so the store is the same whichever process prepared what.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from lineage_nb.store import IngestReport, Store
from lineage_nb.store.batch import PreparedBatch
from lineage_nb.store.derive import InvalidEvent
from lineage_nb.store.encoding import parse

CHUNK = 2_000
BLOCK_BYTES = 2 << 20
# Below these sizes starting workers costs more than it saves: forking is cheap, spawning
# (a fresh interpreter importing lineage_nb) is not.
FORK_MIN_BYTES = 8 << 20
SPAWN_MIN_BYTES = 128 << 20
MAX_WORKERS = 4

Item = tuple[int, Any, "str | None"]  # (line, raw JSON bytes or a parsed value, error)


@dataclass
class FileReport:
    path: str
    accepted: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    skipped_file: bool = False


@dataclass
class PreparedChunk:
    """What a worker sends back: rows ready for `Store.write_rows`, and the chunk's problems."""

    events: list[tuple[Any, ...]]
    tables: dict[str, list[tuple[Any, ...]]]
    duplicates: int
    errors: list[tuple[int, str]]


def _blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    """A line file as (number of its first line, block of whole lines), BLOCK_BYTES at a time."""
    with path.open("rb") as handle:
        line, rest = 1, b""
        while data := handle.read(BLOCK_BYTES):
            data = rest + data
            cut = data.rfind(b"\n") + 1
            block, rest = data[:cut], data[cut:]
            if block:
                yield line, block
                line += block.count(b"\n")
        if rest:
            yield line, rest


def holds_lines(path: Path) -> bool:
    """Whether a file holds one event per line: its first line is a whole JSON object. A JSON list
    is a document. A first line that is not valid JSON is a broken line of a line file when the
    name says so (.jsonl, .ndjson) or the line ends like an object, else the start of a document."""
    with path.open("rb") as handle:
        first = b""
        while not first and (line := handle.readline()):
            first = line.strip()
    if path.suffix.lower() in (".jsonl", ".ndjson") and not first.startswith(b"["):
        return True
    if not first.startswith(b"{"):
        return False
    try:
        parse(first)
    except (ValueError, RecursionError):
        return path.suffix.lower() in (".jsonl", ".ndjson") or first.endswith(b"}")
    return True


def _document_chunks(path: Path) -> Iterator[list[Item]]:
    """The events of a JSON document (one event or a list), CHUNK at a time."""
    try:
        items: Iterator[Item] = _json_document(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        items = iter([(1, None, f"not valid UTF-8 (byte {exc.start})")])
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def prepare_block(first_line: int, block: bytes) -> PreparedChunk:
    """Prepare the lines of a block of a line file; runs in a worker process for large files."""
    lines = enumerate(block.split(b"\n"), start=first_line)
    return prepare_chunk([(number, raw, None) for number, raw in lines if raw.strip()])


def prepare_chunk(chunk: list[Item]) -> PreparedChunk:
    """Parse, check and prepare a chunk of events."""
    batch, errors = PreparedBatch(), []
    for line, value, error in chunk:
        if error is None:
            error = _add(batch, value)
        if error is not None:
            errors.append((line, error))
    return PreparedChunk(batch.packed_events(), batch.graph.tables(), batch.duplicates, errors)


def _add(batch: PreparedBatch, value: Any) -> str | None:
    try:
        batch.add(parse(value) if isinstance(value, bytes) else value)
    except UnicodeDecodeError:
        return "not valid UTF-8"
    except json.JSONDecodeError as exc:
        return f"malformed JSON: {exc.msg} at column {exc.colno}"
    except InvalidEvent as exc:
        return str(exc)
    except RecursionError:
        return "event nested too deeply"
    return None


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
            yield text.count("\n", 0, end) + 1, None, "extra data after the JSON value"
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
                yield text.count("\n", 0, position) + 1, None, "extra data after the JSON list"
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


def import_file(store: Store, path: str | Path, strict: bool = False, workers: int | None = None) -> FileReport:
    """Import one file. `workers`: processes that prepare events (default: chosen by file size; 0: none)."""
    path = Path(path)
    report = FileReport(str(path))
    if not path.is_file():
        report.errors.append(f"{path}: no such file")
        report.skipped_file = True
        return report
    ingest = IngestReport()
    try:
        with _Preparer(path, workers) as preparer, store.write() as conn:
            for chunk in preparer.chunks():
                report.errors.extend(f"{path}:{line}: {error}" for line, error in chunk.errors)
                if not (strict and report.errors):
                    store.write_rows(conn, chunk.events, chunk.tables, chunk.duplicates, ingest)
            if strict and report.errors:
                raise _RejectedFile  # rolls the file's writes back
    except _RejectedFile:
        report.skipped_file = True
        return report
    report.accepted, report.duplicates = ingest.accepted, ingest.duplicates
    return report


class _RejectedFile(Exception):
    """A strict import found invalid events: every error is reported and nothing is written."""


class _Preparer:
    """Prepares a file's chunks in a process pool for a large line file, else in this process."""

    def __init__(self, path: Path, workers: int | None) -> None:
        self.path = path
        self.lines = holds_lines(path)
        self.workers = workers if self.lines else 0
        # Forking a process that runs other threads can deadlock the child, so only a
        # single-threaded process (the CLI) forks.
        can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
        if self.workers is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            big_enough = path.stat().st_size >= (FORK_MIN_BYTES if can_fork else SPAWN_MIN_BYTES)
            self.workers = min(cores, MAX_WORKERS) if cores > 1 and big_enough else 0
        self.pool = None
        if self.workers:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork" if can_fork else "spawn"))

    def __enter__(self) -> _Preparer:
        return self

    def __exit__(self, *_: Any) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def chunks(self) -> Iterator[PreparedChunk]:
        """Prepared chunks in file order, with a bounded number in flight."""
        work: Iterator[tuple[Any, ...]]
        if self.lines:
            work = ((prepare_block, first, block) for first, block in _blocks(self.path))
        else:
            work = ((prepare_chunk, chunk) for chunk in _document_chunks(self.path))
        if self.pool is None:
            for function, *args in work:
                yield function(*args)
            return
        in_flight: deque[Future[PreparedChunk]] = deque()
        for function, *args in work:
            in_flight.append(self.pool.submit(function, *args))
            if len(in_flight) > 2 * self.workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()

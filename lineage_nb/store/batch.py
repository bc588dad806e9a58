"""A batch of events made ready to write: raw payloads keyed by their hash, graph rows merged.

This is the CPU side of ingest, kept free of SQL (and of SQLAlchemy) so that import worker
processes can run it. `Store.write_prepared` writes a batch in the caller's transaction.

Rows are merged as they arrive, by the same rules as the upserts in SQL (store/__init__.py):
the later of two non-null values wins, times widen (first seen earliest, last seen latest), a
dataset that is a model anywhere is a model, and a dataset fact keeps its latest value. An
artifact's creation is not a row: the batch lists the runs that may create something, and the
store sets each artifact's creation from its first COMPLETE writer once the runs are written.
Every event is redacted (store/redaction.py) before its payload, key or rows are made.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from lineage_nb.store import payload as payload_codec
from lineage_nb.store.derive import ARTIFACT_FIELDS, WORKLOAD_FIELDS, InvalidEvent, validate_and_derive
from lineage_nb.store.encoding import canonical, compact_json, storable
from lineage_nb.store.facets import DatasetInfo, dataset_info, workload_fields
from lineage_nb.store.ids import DIRECT, OUTPUT, run_row_id
from lineage_nb.store.redaction import might_hold_secrets, redact_event
from lineage_nb.store.validate import STATE_RANK, event_kind

# Text that neither database can hold in a text column: NUL (PostgreSQL) and lone surrogates (both).
_UNSTORABLE_IN_JSON = re.compile(rb"\\u0000|\xed[\xa0-\xbf]")

_W_TYPE = WORKLOAD_FIELDS.index("type")
_A_KIND = ARTIFACT_FIELDS.index("kind")
_R_STATE, _R_RANK, _R_STARTED, _R_ENDED = 4, 5, 6, 7
# The pseudo-table of runs whose outputs may now be created (the `_creation` statement in store/__init__.py).
CREATIONS = "creations"


class GraphRows:
    """The graph rows of a batch, one per key, merged as events are added.

    A job's or dataset's fields are derived once per distinct JSON text in the batch: a batch
    mostly repeats the same few jobs and datasets, so this saves most of the derivation.
    """

    def __init__(self) -> None:
        # id -> [fields, first_seen, last_run_at, absorbed]
        self.workloads: dict[int, list[Any]] = {}
        # id -> [fields, first_seen, last_seen, absorbed]
        self.artifacts: dict[int, list[Any]] = {}
        self.runs: dict[int, tuple[Any, ...]] = {}
        self.run_io: set[tuple[int, int, int]] = set()
        self.workload_io: dict[tuple[int, int, int], list[Any]] = {}  # key -> [first_at, last_at, evidence]
        self.aliases: dict[tuple[str, str], int] = {}
        self.facts: dict[tuple[int, str], tuple[str, str]] = {}  # (artifact, key) -> (at, value JSON), the latest
        self._workload_fields: dict[tuple[tuple[str, str, str, bytes], int | None], tuple[Any, ...]] = {}
        self._dataset_info: dict[tuple[str, str, str, bytes], DatasetInfo] = {}

    # ---- GraphSink, called by validate_and_derive ----------------------------------------------
    def workload(self, job: dict[str, Any], producer: str, at: str, parent: int | None = None) -> int:
        key = _cache_key(producer, job)
        fields = self._workload_fields.get((key, parent)) if key is not None else None
        if fields is None:
            fields = (*workload_fields(job, producer), parent)
            if key is not None:
                self._workload_fields[(key, parent)] = fields
        self._add_workload(fields, at, at)
        return fields[0]

    def artifact(self, dataset: dict[str, Any], at: str) -> tuple[int, list[tuple[str, str]]]:
        key = _cache_key("", dataset)
        info = self._dataset_info.get(key) if key is not None else None
        if info is None:
            info = dataset_info(dataset)
            if key is not None:
                self._dataset_info[key] = info
        artifact = info.fields[0]
        self._add_artifact(info.fields, at, at)
        for alias in info.aliases:
            self.aliases[alias] = artifact
        for fact_key, value in info.facts:
            self.fact(artifact, fact_key, at, value)
        return artifact, info.lineage_inputs

    def run(self, row: tuple[Any, ...]) -> None:
        old = self.runs.get(row[0])
        self.runs[row[0]] = row if old is None else _merge_runs(old, row)

    def edge(self, workload: int, run: int | None, direction: int, artifact: int, at: str, evidence: int = DIRECT) -> None:
        if run is not None:
            self.run_io.add((run, direction, artifact))
        self._add_edge((workload, direction, artifact), at, at, evidence)

    def fact(self, artifact: int, key: str, at: str, value_json: str) -> None:
        """The latest value of a dataset fact wins; at the same time, the larger JSON (any fixed rule will do)."""
        old = self.facts.get((artifact, key))
        if old is None or (at, value_json) > old:
            self.facts[(artifact, key)] = (at, value_json)

    # ---- merging ----------------------------------------------------------------------------
    def _add_workload(self, fields: tuple[Any, ...], first: str, last: str) -> None:
        entry = self.workloads.get(fields[0])
        if entry is None:
            self.workloads[fields[0]] = [fields, first, last, ()]
            return
        _merge_fields(entry, fields, _merge_workload_fields)
        _widen(entry, 1, first, last)

    def _add_artifact(self, fields: tuple[Any, ...], first: str, last: str) -> None:
        entry = self.artifacts.get(fields[0])
        if entry is None:
            self.artifacts[fields[0]] = [fields, first, last, ()]
            return
        _merge_fields(entry, fields, _merge_artifact_fields)
        _widen(entry, 1, first, last)

    def _add_edge(self, key: tuple[int, int, int], first: str, last: str, evidence: int) -> None:
        """An edge's span widens over its runs; its evidence is the strongest any run gave (direct wins)."""
        entry = self.workload_io.get(key)
        if entry is None:
            self.workload_io[key] = [first, last, evidence]
        else:
            _widen(entry, 0, first, last)
            if evidence < entry[2]:
                entry[2] = evidence

    def absorb(self, other: GraphRows) -> None:
        """Merge another batch's rows in, as if its events had been added here after ours."""
        for fields, first, last, _ in other.workloads.values():
            self._add_workload(fields, first, last)
        for fields, first, last, _ in other.artifacts.values():
            self._add_artifact(fields, first, last)
        for row in other.runs.values():
            self.run(row)
        self.run_io |= other.run_io
        for key, (first, last, evidence) in other.workload_io.items():
            self._add_edge(key, first, last, evidence)
        self.aliases.update(other.aliases)
        for (artifact, key), (at, value) in other.facts.items():
            self.fact(artifact, key, at, value)

    def creating_runs(self) -> list[int]:
        """Runs of this batch that wrote something or completed: once their rows are stored, the
        outputs of those that are COMPLETE get their creation time and creator."""
        runs = {run for run, direction, _ in self.run_io if direction == OUTPUT}
        runs.update(run for run, row in self.runs.items() if row[_R_STATE] == "COMPLETE")
        return sorted(runs)

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Rows by table in `ROW_COLUMNS` order, sorted by key: every writer locks rows in the
        same order, so concurrent PostgreSQL writers never deadlock. Last, the creations."""
        return {
            "workloads": [(*fields, first, last) for _, (fields, first, last, _) in sorted(self.workloads.items())],
            "artifacts": [(*fields[:8], first, last, fields[8]) for _, (fields, first, last, _) in sorted(self.artifacts.items())],
            "runs": [row for _, row in sorted(self.runs.items())],
            "run_io": sorted(self.run_io),
            "workload_io": [(*key, first, last, evidence) for key, (first, last, evidence) in sorted(self.workload_io.items())],
            "aliases": [(*key, target) for key, target in sorted(self.aliases.items())],
            "artifact_facets": [(*key, at, value) for key, (at, value) in sorted(self.facts.items())],
            CREATIONS: [(run,) * 4 for run in self.creating_runs()],  # the statement names the run four times
        }


def _cache_key(producer: str, job_or_dataset: dict[str, Any]) -> tuple[str, str, str, bytes] | None:
    """What a job's or dataset's fields depend on. Run-specific parts such as a dataset's
    inputFacets and outputFacets are left out, so that runs of the same job share one entry."""
    try:
        facets = compact_json(job_or_dataset.get("facets"))
    except (TypeError, orjson.JSONEncodeError):
        return None  # not cacheable; derived afresh each time
    return producer, job_or_dataset["namespace"], job_or_dataset["name"], facets


def _merge_fields(entry: list[Any], fields: tuple[Any, ...], merge: Any) -> None:
    """Merge `fields` into entry[0]. entry[3] holds the fields tuples already merged in since
    entry[0] last changed: merging one again changes nothing, so it is skipped."""
    if fields is entry[0]:
        return
    for seen in entry[3]:
        if seen is fields:
            return
    merged = merge(entry[0], fields)
    if merged == entry[0]:
        entry[3] = (*entry[3], fields)
    else:
        entry[0], entry[3] = (fields if merged == fields else merged), ()


def _merge_workload_fields(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    merged = _newer_wins(old, new)
    if new[_W_TYPE] == "external":
        merged[_W_TYPE] = old[_W_TYPE]
    return tuple(merged)


def _merge_artifact_fields(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    merged = _newer_wins(old, new)
    merged[_A_KIND] = "model" if "model" in (old[_A_KIND], new[_A_KIND]) else "dataset"
    return tuple(merged)


def _newer_wins(old: tuple[Any, ...], new: tuple[Any, ...]) -> list[Any]:
    return [n if n is not None else o for o, n in zip(old, new)]


def _earliest(a: Any, b: Any) -> Any:
    return b if a is None or (b is not None and b < a) else a


def _latest(a: Any, b: Any) -> Any:
    return b if a is None or (b is not None and b > a) else a


def _widen(span: list[Any], at: int, first: str, last: str) -> None:
    """Widen the (first seen, last seen) pair at span[at], span[at + 1] to cover first..last."""
    if first < span[at]:
        span[at] = first
    if last > span[at + 1]:
        span[at + 1] = last


def _merge_runs(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    merged = _newer_wins(old, new)
    winner = new if new[_R_RANK] >= old[_R_RANK] else old
    merged[2] = old[2]  # a run keeps the workload it started in
    merged[_R_STATE], merged[_R_RANK] = winner[_R_STATE], winner[_R_RANK]
    merged[_R_STARTED] = _earliest(old[_R_STARTED], new[_R_STARTED])
    merged[_R_ENDED] = _latest(old[_R_ENDED], new[_R_ENDED])
    return tuple(merged)


class PreparedBatch:
    """Events keyed by the hash of their canonical JSON (an event seen twice is kept once), and
    the merged graph rows of them all."""

    def __init__(self) -> None:
        self.events: dict[bytes, tuple[Any, ...]] = {}
        self.graph = GraphRows()
        self.duplicates = 0

    def __len__(self) -> int:
        return len(self.events)

    def add(self, event: Any) -> None:
        """Add one event; raises InvalidEvent, leaving the batch as it was."""
        payload = canonical(event)
        if might_hold_secrets(payload):
            event = redact_event(event)
            payload = canonical(event)
        key = hashlib.blake2b(payload, digest_size=16).digest()
        if key in self.events:
            validate_and_derive(event, None)
            self.duplicates += 1
            return
        at = validate_and_derive(storable(event) if _has_unstorable(payload) else event, self.graph)
        run = event.get("run")
        self.events[key] = (
            key,
            run_row_id(run["runId"]) if isinstance(run, dict) else None,
            event.get("eventType") or ("OTHER" if isinstance(run, dict) else event_kind(event).upper()),
            at,
            payload,  # compressed for the whole batch at once (packed_events)
        )

    def packed_events(self) -> list[tuple[Any, ...]]:
        """The events table's rows, payloads compressed."""
        rows = list(self.events.values())
        packed = payload_codec.compress_many([row[4] for row in rows])
        return [(*row[:4], payload) for row, payload in zip(rows, packed)]

    def absorb(self, other: PreparedBatch) -> None:
        """Add another batch's events after this one's."""
        for key, row in other.events.items():
            if key in self.events:
                self.duplicates += 1
            else:
                self.events[key] = row
        self.duplicates += other.duplicates
        self.graph.absorb(other.graph)


def _has_unstorable(payload: bytes) -> bool:
    # Substring tests are ten times faster than the regex and almost always say no.
    return (b"\\u0000" in payload or b"\xed" in payload) and _UNSTORABLE_IN_JSON.search(payload) is not None




__all__ = ["CREATIONS", "GraphRows", "InvalidEvent", "PreparedBatch", "STATE_RANK", "storable"]

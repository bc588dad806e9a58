"""Import in worker processes writes the same store as import in one process.

Large .jsonl files are prepared in worker processes (importer.py); chunks meet again only in
the store's upserts. These tests compare every table, the raw events in order and each report
(accepted, duplicates, errors with their line numbers) against a one-process import.
"""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from lineage_nb.store import importer, open_store
from lineage_nb.store import schema as s

GRAPH_TABLES = (s.workloads, s.artifacts, s.runs, s.run_io, s.workload_io, s.aliases)


def _event(i: int, state: str, minute: int) -> dict:
    outputs = [{"namespace": "s3://lake", "name": f"table{i % 37}", "facets": {"schema": {"fields": [{"name": f"c{i % 3}", "type": "int"}]}}}]
    if i % 11 == 0:
        outputs.append({"namespace": "mlflow://localhost", "name": f"m-{i % 5}", "facets": {
            "datasetType": {"datasetType": "MODEL"}, "symlinks": {"identifiers": [{"namespace": "models", "name": f"models:/m-{i % 5}"}]}}})
    return {
        "eventType": state,
        "eventTime": f"2024-03-01T{(minute // 60) % 24:02d}:{minute % 60:02d}:00.{i % 1000:03d}Z",
        "producer": "https://example.com/producer",
        "run": {"runId": str(uuid.UUID(int=i)), "facets": {"parent": {"run": {"runId": str(uuid.UUID(int=10**6 + i % 7))}}}},
        "job": {"namespace": "team", "name": f"job{i % 23}", "facets": {"ownership": {"owners": [{"name": f"owner{i % 4}"}]}}},
        "inputs": [{"namespace": "s3://lake", "name": f"table{(i + 1) % 37}"}, {"namespace": "file", "name": f"/raw/{i % 13}"}],
        "outputs": outputs,
    }


def _write_file(path: Path, events: int) -> list[int]:
    """A .jsonl file with duplicates, blank and CRLF lines, and bad lines; the bad lines' numbers."""
    bad, lines = [], []
    for i in range(events):
        lines.append(json.dumps(_event(i, "START", i)))
        lines.append(json.dumps(_event(i, "COMPLETE", i + 3)) + ("\r" if i % 17 == 0 else ""))
        if i % 97 == 0:
            lines.append(lines[-1])  # the same event again
        if i % 131 == 0:
            lines.append("")
            lines.append('{"eventType": "START", "eventTime": "not a time"}')
            bad.append(len(lines))
            lines.append("{not json")
            bad.append(len(lines))
    path.write_text("\n".join(lines) + "\n")
    return bad


def _contents(store_path: Path) -> dict:
    with open_store(store_path) as store, store.read() as conn:
        tables = {t.name: sorted(tuple(row) for row in conn.execute(select(t))) for t in GRAPH_TABLES}
        tables["events"] = [tuple(row) for row in conn.execute(select(s.events.c.event_key, s.events.c.run_id, s.events.c.event_time).order_by(s.events.c.id))]
        return tables


def _report(report: importer.FileReport) -> tuple:
    return report.accepted, report.duplicates, report.errors


@pytest.fixture()
def events_file(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BLOCK_BYTES", 64 * 1024)  # many chunks from a small file
    source = tmp_path / "events.jsonl"
    return source, _write_file(source, 1_500)


def test_workers_write_what_one_process_writes(tmp_path, events_file):
    source, bad = events_file
    reports = {}
    for workers in (0, 2):
        with open_store(tmp_path / f"w{workers}.db", create=True) as store:
            reports[workers] = _report(importer.import_file(store, source, workers=workers))
    assert reports[0] == reports[2]
    accepted, duplicates, errors = reports[0]
    assert (accepted, duplicates) == (3_000, 16)
    assert [int(e.removeprefix(f"{source}:").split(":")[0]) for e in errors] == bad
    one, many = _contents(tmp_path / "w0.db"), _contents(tmp_path / "w2.db")
    assert len(one["events"]) == 3_000 and len(one["artifacts"]) > 50
    assert one == many


def test_strict_import_with_workers_writes_nothing_from_a_bad_file(tmp_path, events_file):
    source, bad = events_file
    with open_store(tmp_path / "strict.db", create=True) as store:
        report = importer.import_file(store, source, strict=True, workers=2)
        assert report.skipped_file and len(report.errors) == len(bad)
        assert store.counts()["events"] == 0


def test_the_cli_forks_workers_for_a_large_file_and_writes_the_same_store(tmp_path):
    source = tmp_path / "large.jsonl"
    _write_file(source, 1_500)
    padded = source.read_text()
    while len(padded) < importer.FORK_MIN_BYTES:  # the same events repeated: the rest are duplicates
        padded += padded
    source.write_text(padded)
    with open_store(tmp_path / "one.db", create=True) as store:
        expected = _report(importer.import_file(store, source, workers=0))
    out = subprocess.run(
        [sys.executable, "-m", "lineage_nb.cli", "--store", str(tmp_path / "cli.db"), "import", "--json", str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 1, out.stderr  # the file has bad lines
    (result,) = json.loads(out.stdout)
    assert (result["accepted"], result["duplicates"], result["errors"]) == expected
    assert _contents(tmp_path / "one.db") == _contents(tmp_path / "cli.db")

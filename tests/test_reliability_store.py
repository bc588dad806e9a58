"""Lose nothing: concurrent writers, readers beside them, kill -9 mid-batch, exit and kernel-restart flushes.

Writers and readers are real processes on one SQLite file, going through the real emitter, so the
store's locking, WAL and one-transaction-per-batch promises are what is tested.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lineage_nb.query import sql as queries
from lineage_nb.store import open_store

WRITERS = 8
EVENTS_PER_WRITER = 1_000
SHARED_INPUTS = 10
OUTPUTS_PER_WRITER = 100
EXIT_FLUSH_BOUND_SECONDS = 2.0

EVENT_CODE = f"SHARED_INPUTS, OUTPUTS_PER_WRITER = {SHARED_INPUTS}, {OUTPUTS_PER_WRITER}\n" + textwrap.dedent(
    """
    def event(writer, i, padding=""):
        return {
            "eventType": "COMPLETE",
            "eventTime": f"2024-05-01T00:00:00.{i % 1000000:06d}Z",
            "producer": "https://example.com/reliability",
            "run": {"runId": f"{writer:08x}-0000-4000-8000-{i:012x}", "facets": {"pad": {"text": padding}} if padding else {}},
            "job": {"namespace": "writers", "name": f"writer-{writer}"},
            "inputs": [{"namespace": "file", "name": f"/shared/in-{i % SHARED_INPUTS}"}],
            "outputs": [{"namespace": "file", "name": f"/out/{writer}/{i % OUTPUTS_PER_WRITER}"}],
        }
    """
)

WRITER = EVENT_CODE + textwrap.dedent(
    """
    import json, sys
    from lineage_nb.core import errors
    from lineage_nb.runtime.emitter import Emitter

    store, writer, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    emitter = Emitter(store_url=store, forward=False)
    for i in range(count):
        emitter.submit_event(event(writer, i))
    acknowledged = emitter.flush(300)
    emitter.close()
    print(json.dumps({"acknowledged": acknowledged, "written": emitter.stats.written, "errors": errors.last_errors()}))
    """
)

READER = EVENT_CODE + textwrap.dedent(
    """
    import json, sys, time
    from lineage_nb.query import sql as queries
    from lineage_nb.store import open_store

    store = open_store(sys.argv[1])
    stop_file = sys.argv[2]
    done, failures, last_events = 0, [], 0
    import os
    while not os.path.exists(stop_file) or done == 0:
        try:
            events = store.counts()["events"]
            if events < last_events:
                failures.append(f"event count went back from {last_events} to {events}")
            last_events = events
            queries.list_artifacts(store, search="/out/", limit=20)
            try:
                start = queries.resolve_artifact(store, "/shared/in-0")["id"]
            except queries.NotFound:
                start = None
            if start:
                down = queries.transitive(store, start, "down")
                if len(down["workloads"]) > WRITERS:
                    failures.append(f"{len(down['workloads'])} workloads downstream")
                queries.graph(store, [start], depth=2)
            done += 1
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"queries": done, "failures": failures[:5]}))
    """
).replace("WRITERS", str(WRITERS))


def _spawn(code: str, *args: object, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _result(process: subprocess.Popen[str], timeout: float = 240) -> dict:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _assert_consistent_graph(store_file: Path, writers: int, events_per_writer: int) -> None:
    """Every event's rows are there, and nothing else: the graph is what the events say."""
    with open_store(store_file) as store:
        counts = store.counts()
        assert counts["events"] == writers * events_per_writer
        assert counts["runs"] == writers * events_per_writer
        assert counts["workloads"] == writers
        assert counts["artifacts"] == SHARED_INPUTS + writers * min(OUTPUTS_PER_WRITER, events_per_writer)
        with sqlite3.connect(store_file) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            per_run = db.execute("SELECT direction, COUNT(*) FROM run_io GROUP BY run_id, direction").fetchall()
            assert len(per_run) == 2 * writers * events_per_writer and {n for _, n in per_run} == {1}
            assert db.execute("SELECT COUNT(*) FROM workload_io").fetchone()[0] == writers * (SHARED_INPUTS + OUTPUTS_PER_WRITER)
        downstream = queries.transitive(store, queries.resolve_artifact(store, "/shared/in-0")["id"], "down")
        assert sorted(w["name"] for w in downstream["workloads"]) == sorted(f"writer-{w}" for w in range(writers))
        assert len(downstream["artifacts"]) == writers * OUTPUTS_PER_WRITER


def test_eight_writer_processes_lose_no_event(tmp_path):
    store_file = tmp_path / "shared.db"
    writers = [_spawn(WRITER, store_file, w, EVENTS_PER_WRITER) for w in range(WRITERS)]
    results = [_result(p) for p in writers]
    assert all(r["acknowledged"] and not r["errors"] for r in results), results
    assert sum(r["written"] for r in results) == WRITERS * EVENTS_PER_WRITER
    _assert_consistent_graph(store_file, WRITERS, EVENTS_PER_WRITER)


def test_readers_query_while_writers_write(tmp_path):
    store_file = tmp_path / "shared.db"
    open_store(store_file, create=True).close()
    stop_file = tmp_path / "writers-done"
    readers = [_spawn(READER, store_file, stop_file) for _ in range(2)]
    writers = [_spawn(WRITER, store_file, w, EVENTS_PER_WRITER // 2) for w in range(WRITERS)]
    results = [_result(p) for p in writers]
    stop_file.touch()
    reads = [_result(p) for p in readers]
    assert all(r["acknowledged"] and not r["errors"] for r in results), results
    assert all(r["queries"] > 0 and not r["failures"] for r in reads), reads
    _assert_consistent_graph(store_file, WRITERS, EVENTS_PER_WRITER // 2)


CRASHING_WRITER = EVENT_CODE + textwrap.dedent(
    """
    import json, sys
    from lineage_nb.core import errors
    from lineage_nb.runtime.emitter import Emitter

    emitter = Emitter(store_url=sys.argv[1], forward=False)
    batch, sent = 700, 0
    while True:
        for i in range(sent, sent + batch):
            emitter.submit_event(event(1, i, padding="x" * 2000))
        sent += batch
        if not emitter.flush(60) or errors.error_counts():
            print(json.dumps({"failed": errors.last_errors()}), flush=True)
            break
        print(json.dumps({"acknowledged": sent}), flush=True)
    """
)


@pytest.mark.parametrize("kill_after_acks", [1, 3])
def test_kill_9_mid_batch_keeps_every_acknowledged_event_and_no_partial_one(tmp_path, kill_after_acks):
    store_file = tmp_path / "crash.db"
    writer = _spawn(CRASHING_WRITER, store_file)
    acknowledged = 0
    for line in writer.stdout:
        message = json.loads(line)
        assert "failed" not in message, message
        acknowledged = message["acknowledged"]
        if acknowledged >= kill_after_acks * 700:
            break
    time.sleep(0.15)  # into the next batch's transaction
    writer.send_signal(signal.SIGKILL)
    writer.wait(30)
    assert writer.returncode == -signal.SIGKILL

    with open_store(store_file) as store:
        counts = store.counts()
        run_ids = {e["run"]["runId"] for e in store.iter_events()}
    assert {f"00000001-0000-4000-8000-{i:012x}" for i in range(acknowledged)} <= run_ids
    assert counts["events"] == len(run_ids) == counts["runs"]
    with sqlite3.connect(store_file) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orphans = db.execute(
            "SELECT COUNT(*) FROM runs WHERE (SELECT COUNT(*) FROM run_io WHERE run_io.run_id = runs.id) != 2"
        ).fetchone()[0]
        assert orphans == 0


EXITING_SCRIPT = textwrap.dedent(
    """
    import atexit, sys, time
    atexit.register(lambda: print("exit handlers done at", time.monotonic(), flush=True))  # registered first, runs last
    from lineage_nb.core.facts import ActivityFact, ArtifactFact
    from lineage_nb.runtime.session import current_session

    import lineage_nb

    session = current_session()
    lineage_nb.flush(float(sys.argv[2]))  # a workload that has run for a while: the emitter has started and imported what it needs
    for i in range(int(sys.argv[1])):
        session.record(ActivityFact("write", outputs=[ArtifactFact(location=f"/data/out-{i}.parquet")]))
    print("workload done at", time.monotonic(), flush=True)
    """
)


def _exit_flush_seconds(process: subprocess.Popen[str]) -> float:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    times = dict(line.rsplit(" at ", 1) for line in out.splitlines() if " at " in line)
    return float(times["exit handlers done"]) - float(times["workload done"])


def test_events_are_flushed_at_interpreter_exit_within_the_bound(tmp_path):
    store_file = tmp_path / "exit.db"
    runs = 100
    seconds = _exit_flush_seconds(_spawn(EXITING_SCRIPT, runs, 10, env={"LINEAGE_NB_STORE": str(store_file)}))
    assert seconds <= EXIT_FLUSH_BOUND_SECONDS
    with open_store(store_file) as store:
        events = list(store.iter_events())
    assert len(events) == 2 + 2 * runs  # session START and COMPLETE, and each child run's START and COMPLETE
    session_states = [e["eventType"] for e in events if "parent" not in e["run"].get("facets", {})]
    assert session_states == ["START", "COMPLETE"]


LOCK_HOLDER = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_exit_is_not_held_up_beyond_the_bound_by_a_locked_store(tmp_path):
    store_file = tmp_path / "locked.db"
    open_store(store_file, create=True).close()
    holder = _spawn(LOCK_HOLDER, store_file)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        script = _spawn(EXITING_SCRIPT, 5, 0, env={"LINEAGE_NB_STORE": str(store_file)})
        seconds = _exit_flush_seconds(script)
        assert seconds <= EXIT_FLUSH_BOUND_SECONDS + 0.5
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()


KERNEL_CELL = textwrap.dedent(
    """
    from lineage_nb.core.facts import ActivityFact, ArtifactFact
    from lineage_nb.runtime.session import current_session
    for i in range(50):
        current_session().record(ActivityFact("write", outputs=[ArtifactFact(location=f"/data/kernel-{i}.csv")]))
    """
)


def test_kernel_restart_right_after_a_write_keeps_the_events(tmp_path):
    from jupyter_client import KernelManager

    store_file = tmp_path / "kernel.db"
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env={**os.environ, "LINEAGE_NB_STORE": str(store_file), "JPY_SESSION_NAME": str(tmp_path / "restart.ipynb")})
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(KERNEL_CELL, timeout=60)
        assert reply["content"]["status"] == "ok"
        started = time.monotonic()
        manager.restart_kernel(now=False)
        restart_seconds = time.monotonic() - started
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    with open_store(store_file) as store:
        events = list(store.iter_events())
    outputs = {o["name"] for e in events for o in e.get("outputs", [])}
    assert outputs == {f"/data/kernel-{i}.csv" for i in range(50)}
    assert len(events) == 2 + 2 * 50
    notebook = str(tmp_path / "restart.ipynb")
    session_events = [e for e in events if e["job"]["name"] == notebook]
    step_events = [e for e in events if e["job"]["name"] != notebook]
    assert len(session_events) == 2, "the session's START and COMPLETE"
    assert {e["job"]["name"].split("::")[0] for e in step_events} == {notebook}, "every write is a step of the notebook"
    assert {e["run"]["facets"]["parent"]["job"]["name"] for e in step_events} == {notebook}
    assert restart_seconds < 10

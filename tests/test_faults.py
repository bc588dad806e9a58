"""Never break the workload: inject each lineage fault under each capture point and compare with capture off.

The user's result must be identical; the fault is logged once per kind and counted in
`lineage_nb.status()["errors"]`; with LINEAGE_NB_IGNORE_ERRORS=false it raises, naming the cause.
Every case is tallied in FIGURES, which the last test prints for docs/reliability.md.
"""
from __future__ import annotations

import contextlib
import http.server
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

import pytest
from conftest import reset_lineage
from conftest_ray import ray_local  # noqa: F401  (session-scoped fixture)

import lineage_nb
from lineage_nb.core import errors
from lineage_nb.core import settings as config
from lineage_nb.runtime import emitter

ROWS = 40
FIGURES: Counter[str] = Counter()


# ---- capture points: each returns what the user gets -------------------------------------------
def ray_data_execution(tmp: Path, source: Any = None) -> object:
    """One Ray Data execution that reads, transforms and writes; the result is the data written."""
    import pyarrow.parquet as pq
    import ray

    out = tmp / "ray-out"
    dataset = ray.data.read_datasource(source) if source is not None else ray.data.read_parquet(str(tmp.parent / "ray-in"))
    dataset.map(lambda row: {"id": row["id"], "double": row["id"] * 2}).write_parquet(str(out))
    return sorted(pq.read_table(str(out)).to_pylist(), key=lambda row: row["id"])


def mlflow_log_and_load(tmp: Path, signature: Any = None) -> object:
    import mlflow
    import numpy as np
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    X = np.arange(20, dtype=float).reshape(-1, 1)
    y = 3 * X.ravel() + 1
    model = LinearRegression().fit(X, y)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model, name="model", signature=signature or infer_signature(X, y), pip_requirements=["scikit-learn"]
        )
    return mlflow.sklearn.load_model(info.model_uri).predict(X).round(6).tolist()


def artifact_log_and_download(tmp: Path) -> object:
    import mlflow

    source = tmp / "notes.txt"
    source.write_text("the artifact's content\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(source))
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes.txt", dst_path=str(tmp / "dl"))
    return Path(local).read_text()


CAPTURE_POINTS: dict[str, Callable[[Path], object]] = {
    "ray data execution": ray_data_execution,
    "mlflow log and load": mlflow_log_and_load,
    "artifact log and download": artifact_log_and_download,
}

ACTIVITIES = {  # the child runs each capture point records
    "ray data execution": {"ray_data.execute"},
    "mlflow log and load": {"mlflow.log_model", "mlflow.load_model"},
    "artifact log and download": {"mlflow.log_artifact", "mlflow.download_artifacts"},
}


# ---- faults around the store and the transport ---------------------------------------------------
@dataclass(frozen=True)
class Fault:
    setup: Callable[[Path, pytest.MonkeyPatch], ContextManager[str]]  # yields the store to enable capture with
    kind: str  # the errors kind it is counted under
    cause: str  # what the strict-mode message must say (a regex)


@contextlib.contextmanager
def _mounted(directory: Path, options: str) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], capture_output=True, text=True)
    assert mount.returncode == 0, f"a tmpfs needs mount rights (root here): {mount.stderr}"
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True)


@contextlib.contextmanager
def unwritable(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    directory = tmp / "read-only"  # a read-only filesystem: root ignores a directory's mode bits
    with _mounted(directory, "size=1m,ro"):
        yield str(directory / "lineage.db")


@contextlib.contextmanager
def disk_full(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    directory = tmp / "tiny"
    with _mounted(directory, "size=512k"):
        store = directory / "lineage.db"
        lineage_nb.open_store(store, create=True).close()
        with contextlib.suppress(OSError), (directory / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield str(store)


@contextlib.contextmanager
def corrupt(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    store = tmp / "corrupt.db"
    store.write_bytes(os.urandom(64 * 1024))
    yield str(store)


LOCK_HOLDER = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\ndb.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\nsys.stdin.read()\n"


@contextlib.contextmanager
def _lock_held(store: Path) -> Iterator[None]:
    lineage_nb.open_store(store, create=True).close()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(30)


@contextlib.contextmanager
def locked(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Another process holds the store for longer than the busy timeout (shortened from 60 s to 1 s)."""
    from lineage_nb import store as store_module

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 1000)
    store = tmp / "locked.db"
    with _lock_held(store):
        yield str(store)


def _forward_to(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """The standard OpenLineage client config, with the transport's own retries off and a short give-up."""
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", url)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TIMEOUT", "0.3")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__RETRY", '{"total": 0}')
    monkeypatch.setenv("LINEAGE_NB_FORWARD_GIVE_UP_SECONDS", "0.3")


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def transport_500(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _forward_to(monkeypatch, f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield str(tmp / "lineage.db")
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def transport_timeout(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A server that accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        _forward_to(monkeypatch, f"http://127.0.0.1:{silent.getsockname()[1]}")
        yield str(tmp / "lineage.db")


@contextlib.contextmanager
def transport_refused(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _forward_to(monkeypatch, f"http://127.0.0.1:{port}")
    yield str(tmp / "lineage.db")


FAULTS = {
    "store unwritable": Fault(unwritable, "store", "Read-only file system|readonly|cannot create"),
    "store locked": Fault(locked, "store", "database is locked"),
    "disk full": Fault(disk_full, "store", "disk is full|no space left"),
    "store corrupt": Fault(corrupt, "store", "not a (readable lineage store|database)|corrupt|malformed"),
    "transport 500": Fault(transport_500, "transport", "500"),
    "transport timeout": Fault(transport_timeout, "transport", "timed out|Timeout"),
    "transport refused": Fault(transport_refused, "transport", "refused"),
}


# ---- fixtures and helpers ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    import mlflow

    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("faults", artifact_location=str(root / "artifacts")))
    yield
    mlflow.set_tracking_uri(None)


def _make_workdir(base: Path) -> Path:
    """`base/work` for the user's files, beside `base/ray-in`, the parquet file the Ray capture point reads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (base / "ray-in").mkdir(parents=True)
    pq.write_table(pa.table({"id": list(range(ROWS))}), base / "ray-in" / "part-0.parquet")
    (base / "work").mkdir()
    return base / "work"


@pytest.fixture
def workdir(tmp_path, ray_local) -> Path:
    return _make_workdir(tmp_path)


@pytest.fixture(scope="module")
def results_without_capture(tmp_path_factory, tracking, ray_local):
    """What each capture point gives the user with capture off: computed once for the module."""
    reset_lineage(None)
    return {name: run(_make_workdir(tmp_path_factory.mktemp("off"))) for name, run in CAPTURE_POINTS.items()}


@pytest.fixture
def lineage(store_path, monkeypatch, caplog, tracking):
    """Per test: a fresh lineage state; afterwards the emitter is closed quickly, whatever the fault left queued."""
    caplog.set_level(logging.WARNING, logger="lineage_nb")
    FIGURES["fault cases"] += 1
    yield
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "true")
    config.reload_settings()
    for _ in range(2):  # a strict error still pending is raised once, then closing goes on
        with contextlib.suppress(errors.LineageError):
            emitter.get_emitter().close(0.5)


def _enable(store: str | Path) -> None:
    config.reload_settings()  # the new emitter must see the fault's environment
    reset_lineage(str(store))
    assert lineage_nb.enable(store=str(store))


def _wait_for_error(kind: str, at_least: int = 1, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while errors.error_counts().get(kind, 0) < at_least and time.monotonic() < deadline:
        time.sleep(0.05)


def _finish(kind: str) -> None:
    """Let the emitter reach the fault. A transport is closed once it has failed again: close is bounded."""
    if kind == "transport":
        _wait_for_error(kind, at_least=2)
        emitter.get_emitter().close(0.5)
    else:
        lineage_nb.flush(20)


def _logged(caplog, kind: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if f"({kind})" in r.getMessage()]


def _assert_counted_and_logged_once(caplog, kind: str, at_least: int) -> None:
    counted = lineage_nb.status()["errors"].get(kind, 0)
    assert counted >= at_least, lineage_nb.status()["errors"]
    assert len(_logged(caplog, kind)) == 1, _logged(caplog, kind)
    FIGURES["counted, logged once"] += 1


def _activities(store_path: Path) -> dict[str, set[str]]:
    """Child-run activity -> event types in the store."""
    found: dict[str, set[str]] = {}
    if not store_path.exists():
        return found
    with lineage_nb.open_store(str(store_path)) as store:
        for event in store.iter_events():
            activity = event["run"].get("facets", {}).get("lineageNb_execution", {}).get("activity")
            if activity:
                found.setdefault(activity, set()).add(event["eventType"])
    return found


def _same_result(result: object, expected: object) -> None:
    FIGURES["results compared"] += 1
    if result != expected:
        FIGURES["results changed"] += 1
    assert result == expected


# ---- store and transport faults under every capture point ----------------------------------------
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("capture_point", CAPTURE_POINTS)
def test_a_fault_changes_nothing_for_the_user_and_is_counted_once_logged_once(
    capture_point, fault, workdir, lineage, monkeypatch, caplog, results_without_capture
):
    with FAULTS[fault].setup(workdir.parent, monkeypatch) as store:
        _enable(store)
        lineage_nb.flush(10)  # the session START fails in a batch of its own: the capture's events fail again
        result = CAPTURE_POINTS[capture_point](workdir)
        _finish(FAULTS[fault].kind)
        _same_result(result, results_without_capture[capture_point])
        _assert_counted_and_logged_once(caplog, FAULTS[fault].kind, at_least=2)


@pytest.mark.parametrize("fault", FAULTS)
def test_strict_mode_raises_the_fault_naming_its_cause(fault, workdir, lineage, monkeypatch, results_without_capture):
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    kind = FAULTS[fault].kind
    with FAULTS[fault].setup(workdir.parent, monkeypatch) as store:
        _enable(store)
        result = artifact_log_and_download(workdir)
        if kind == "transport":
            _wait_for_error(kind)
        with pytest.raises(errors.LineageError, match=FAULTS[fault].cause) as raised:
            lineage_nb.flush(20)
    assert f"lineage {kind} failed" in str(raised.value)
    FIGURES["strict raises naming the cause"] += 1
    _same_result(result, results_without_capture["artifact log and download"])


def _wait_for_activities(store: Path, activities: set[str], timeout: float = 20.0) -> dict[str, set[str]]:
    deadline = time.monotonic() + timeout
    while not set(found := _activities(store)) >= activities and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_a_transport_that_never_answers_keeps_local_events_and_does_not_hold_up_close(workdir, lineage, monkeypatch):
    """With the client's default timeout (5 s) and retries and our default 10 s give-up, close(0.5) keeps its bound."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
        monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        store = workdir.parent / "lineage.db"
        _enable(store)
        artifact_log_and_download(workdir)
        found = _wait_for_activities(store, {"mlflow.log_artifact", "mlflow.download_artifacts"})
        started = time.monotonic()
        emitter.get_emitter().close(0.5)
        closing = time.monotonic() - started
    assert all(states == {"START", "COMPLETE"} for states in found.values()), found
    assert closing < 1.5, f"close took {closing:.1f} s"


def test_a_lock_shorter_than_the_busy_timeout_delays_events_without_losing_any(workdir, lineage, store_path, results_without_capture):
    with _lock_held(store_path):
        _enable(store_path)
        result = artifact_log_and_download(workdir)
        assert lineage_nb.flush(1) is False  # waiting for the lock, on the emitter's thread only
    _same_result(result, results_without_capture["artifact log and download"])
    assert lineage_nb.flush(60) and lineage_nb.status()["errors"] == {}
    assert _activities(store_path) == {a: {"START", "COMPLETE"} for a in ("mlflow.log_artifact", "mlflow.download_artifacts")}


def test_a_first_store_open_that_fails_once_is_retried_and_loses_nothing(workdir, lineage, store_path, monkeypatch, results_without_capture):
    """The emitter thread's first open imports the store; an import racing another thread's import can
    fail once (Python's "deadlock detected by _ModuleLock"). The write is retried, not lost."""
    import lineage_nb.store

    real_open, calls = lineage_nb.store.open_store, []

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("deadlock detected by _ModuleLock('lineage_nb.store.sqlite')")
        return real_open(*args, **kwargs)

    monkeypatch.setattr(lineage_nb.store, "open_store", fails_once)
    _enable(store_path)
    result = artifact_log_and_download(workdir)
    assert lineage_nb.flush(60), lineage_nb.status()["errors"]
    _same_result(result, results_without_capture["artifact log and download"])
    assert len(calls) >= 2 and lineage_nb.status()["errors"] == {}
    assert _activities(store_path) == {a: {"START", "COMPLETE"} for a in ("mlflow.log_artifact", "mlflow.download_artifacts")}


# ---- the emitter itself failing --------------------------------------------------------------------
def _block_the_emitter_thread() -> threading.Event:
    """The emitter thread is stuck in a build until the returned gate opens."""
    gate = threading.Event()
    emitter.get_emitter().submit(lambda: gate.wait(60) and [])
    while emitter.get_emitter().pending():
        time.sleep(0.01)
    return gate


def _fill_the_queue(capacity: int) -> None:
    """Queue no-op items up to `capacity` behind the blocked thread: each captured call then drops one
    (a finished call is one queue item, so a capture point alone may fit in a small queue)."""
    for _ in range(capacity):
        emitter.get_emitter().submit(list)


def _kill_the_emitter_thread() -> None:
    def die() -> list:
        raise SystemExit("the emitter thread ends")  # not an Exception: nothing in the thread catches it

    emitter.get_emitter().submit(die)
    for thread in threading.enumerate():
        if thread.name == "lineage-nb-emitter":
            thread.join(10)


@pytest.mark.parametrize("capture_point", CAPTURE_POINTS)
def test_a_full_queue_drops_the_oldest_and_counts_without_touching_the_result(
    capture_point, workdir, lineage, store_path, monkeypatch, caplog, results_without_capture
):
    monkeypatch.setenv("LINEAGE_NB_QUEUE_SIZE", "2")
    _enable(store_path)
    gate = _block_the_emitter_thread()
    _fill_the_queue(2)
    result = CAPTURE_POINTS[capture_point](workdir)
    gate.set()
    lineage_nb.flush(20)
    _same_result(result, results_without_capture[capture_point])
    dropped = lineage_nb.status()["emitter"]["dropped"]
    assert dropped >= 2 and lineage_nb.status()["errors"]["queue full"] == dropped
    _assert_counted_and_logged_once(caplog, "queue full", at_least=2)


@pytest.mark.parametrize("capture_point", CAPTURE_POINTS)
def test_a_dead_emitter_thread_is_replaced_and_loses_nothing_after(
    capture_point, workdir, lineage, store_path, caplog, results_without_capture
):
    _enable(store_path)
    lineage_nb.flush(10)
    _kill_the_emitter_thread()
    assert lineage_nb.flush(10) is False  # the builder that killed the thread lost its events: flush owns up to it
    result = CAPTURE_POINTS[capture_point](workdir)
    assert lineage_nb.flush(30)
    _same_result(result, results_without_capture[capture_point])
    assert lineage_nb.status()["emitter"]["restarts"] == 1
    _assert_counted_and_logged_once(caplog, "emitter thread", at_least=1)
    found = _activities(store_path)
    assert set(found) >= ACTIVITIES[capture_point] and all(states == {"START", "COMPLETE"} for states in found.values()), found


def test_strict_mode_raises_a_full_queue_and_a_dead_thread_to_the_caller(workdir, lineage, store_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_QUEUE_SIZE", "2")
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    _enable(store_path)
    gate = _block_the_emitter_thread()
    _fill_the_queue(2)
    with pytest.raises(errors.LineageError, match="queue is full"):
        artifact_log_and_download(workdir)
    gate.set()
    lineage_nb.flush(20)
    _kill_the_emitter_thread()
    with pytest.raises(errors.LineageError, match="emitter thread had stopped"):
        artifact_log_and_download(workdir)
    FIGURES["strict raises naming the cause"] += 2


# ---- bad plan or data under Ray Data -------------------------------------------------------------
def _refuse_to_list() -> list:
    raise ConnectionError("the catalogue refused to list the source's paths")


class _UnreadablePath:
    def __fspath__(self) -> str:
        raise TypeError("this path-like object cannot be rendered as a path")


def _rows_source(paths: Callable[[], Any]) -> Any:
    """A working Ray datasource of ids 0..ROWS-1; asked for its paths (only lineage asks), it answers `paths()`."""
    import pyarrow as pa
    from ray.data import Datasource, ReadTask
    from ray.data.block import BlockMetadata

    class RowsSource(Datasource):
        def estimate_inmemory_data_size(self) -> None:
            return None

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None) -> list:
            table = pa.table({"id": list(range(ROWS))})
            return [ReadTask(lambda: [table], BlockMetadata(num_rows=ROWS, size_bytes=table.nbytes, exec_stats=None))]

        @property
        def _source_paths(self) -> Any:
            return paths()

        def _paths(self) -> Any:
            return paths()

    return RowsSource()


BAD_PATHS = {  # each fails the plan's extraction: counted, logged once, the run still recorded
    "a datasource that raises when asked for its paths": (_refuse_to_list, "refused to list"),
    "a path-like object that cannot be read": (lambda: ["/data/a.parquet", _UnreadablePath()], "cannot be rendered"),
}


def _ray_events(store_path: Path, event_type: str) -> list[dict]:
    with lineage_nb.open_store(str(store_path)) as store:
        return [
            e for e in store.iter_events()
            if e["eventType"] == event_type and e["run"].get("facets", {}).get("lineageNb_execution", {}).get("activity") == "ray_data.execute"
        ]


def _names(datasets: list[dict]) -> list[str]:
    return [d["name"] for d in datasets]


@pytest.mark.parametrize("bad_paths", BAD_PATHS)
def test_a_datasource_whose_paths_fail_changes_nothing_for_the_user_and_is_counted_once_logged_once(
    bad_paths, workdir, lineage, store_path, caplog, results_without_capture
):
    paths, _ = BAD_PATHS[bad_paths]
    _enable(store_path)
    result = ray_data_execution(workdir, _rows_source(paths))
    assert lineage_nb.flush(20)
    _same_result(result, results_without_capture["ray data execution"])
    _assert_counted_and_logged_once(caplog, "ray_data plan", at_least=2)  # at START and again at COMPLETE
    assert len(_ray_events(store_path, "COMPLETE")) == 1


@pytest.mark.parametrize("bad_paths", BAD_PATHS)
def test_strict_mode_raises_a_failing_datasource_naming_its_cause(bad_paths, workdir, lineage, store_path, monkeypatch, results_without_capture):
    paths, cause = BAD_PATHS[bad_paths]
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    _enable(store_path)
    result = ray_data_execution(workdir, _rows_source(paths))
    with pytest.raises(errors.LineageError, match=cause) as raised:
        lineage_nb.flush(20)
    assert "ray_data plan failed" in str(raised.value)
    FIGURES["strict raises naming the cause"] += 1
    _same_result(result, results_without_capture["ray data execution"])


def _unknown_operator_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ds.map` builds an operator type the extractor has never seen; Ray plans it as the MapRows it extends."""
    import ray.data.dataset
    from ray.data._internal.logical.operators.map_operator import MapRows

    class UnknownTransform(MapRows):
        pass

    monkeypatch.setattr(ray.data.dataset, "MapRows", UnknownTransform)


def test_unknown_operator_kinds_and_paths_that_are_not_strings_are_skipped_even_in_strict_mode(
    workdir, lineage, store_path, monkeypatch, results_without_capture
):
    """Not failures: what the extractor cannot name is left out; the rest of the run is still described."""
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    _unknown_operator_kind(monkeypatch)
    _enable(store_path)
    unknown_operator = ray_data_execution(workdir)
    other = _make_workdir(workdir.parent / "non-strings")
    not_strings = ray_data_execution(other, _rows_source(lambda: [b"/data/bytes.parquet", 7, None, {"path": "/data/x"}]))
    assert lineage_nb.flush(20)
    assert lineage_nb.status()["errors"] == {}
    _same_result(unknown_operator, results_without_capture["ray data execution"])
    _same_result(not_strings, results_without_capture["ray data execution"])
    FIGURES["skipped without error"] += 2
    completed = sorted(_ray_events(store_path, "COMPLETE"), key=lambda e: e["eventTime"])
    assert [(_names(e["inputs"]), _names(e["outputs"])) for e in completed] == [
        ([str(workdir.parent / "ray-in")], [str(workdir / "ray-out")]),
        ([], [str(other / "ray-out")]),
    ]


# ---- serialisation failure under MLflow logging --------------------------------------------------
def _unserialisable_signature() -> Any:
    """A signature MLflow writes (it serialises columns one by one) but whose schema's to_dict raises."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    class UnserialisableSchema(Schema):
        def to_dict(self) -> list:
            raise TypeError("the signature's column type cannot be serialised")

    return ModelSignature(inputs=UnserialisableSchema([ColSpec("double")]), outputs=Schema([ColSpec("double")]))


def test_a_signature_that_cannot_be_serialised_changes_nothing_for_the_user_and_is_counted_once_logged_once(
    workdir, lineage, store_path, caplog, results_without_capture
):
    _enable(store_path)
    result = mlflow_log_and_load(workdir, signature=_unserialisable_signature())
    assert lineage_nb.flush(20)
    _same_result(result, results_without_capture["mlflow log and load"])
    _assert_counted_and_logged_once(caplog, "mlflow log_model", at_least=1)
    assert "mlflow.load_model" in _activities(store_path)


def test_strict_mode_raises_a_signature_that_cannot_be_serialised_naming_its_cause(workdir, lineage, store_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    _enable(store_path)
    with pytest.raises(errors.LineageError, match="mlflow log_model failed: TypeError: the signature's column type cannot be serialised"):
        mlflow_log_and_load(workdir, signature=_unserialisable_signature())  # at the next captured call (load_model) ...
        lineage_nb.flush()  # ... or, when the emitter thread was slower than that, at the flush
    FIGURES["strict raises naming the cause"] += 1


def test_zz_no_workload_result_changed_in_the_module():
    """Last in the module: prints the figures for docs/reliability.md (complete only when the whole module ran)."""
    print(f"\nFIGURES {dict(FIGURES)}")
    assert FIGURES["results compared"] > 0 and FIGURES["results changed"] == 0

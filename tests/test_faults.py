"""Never break the workload: inject each lineage fault under each capture point and compare with capture off.

The user's result must be identical; the fault is logged once per kind and counted in
`lineage_nb.status()["errors"]`; with LINEAGE_NB_IGNORE_ERRORS=false it raises, naming the cause.
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
from pathlib import Path
from typing import Callable, Iterator

import pytest

import lineage_nb
from conftest import reset_lineage
from conftest_ray import ray_local  # noqa: F401  (session-scoped fixture)
from lineage_nb import config, emitter, errors


# ---- capture points: each returns what the user gets -------------------------------------------
def ray_data_execution(tmp: Path) -> object:
    import ray

    out = tmp / "ray-out"
    ray.data.range(40).map(lambda row: {"id": row["id"], "double": row["id"] * 2}).write_parquet(str(out))
    return sorted(tuple(sorted(r.items())) for r in ray.data.read_parquet(str(out)).take_all())


def mlflow_log_and_load(tmp: Path) -> object:
    import mlflow
    import numpy as np
    from sklearn.linear_model import LinearRegression

    X = np.arange(20, dtype=float).reshape(-1, 1)
    model = LinearRegression().fit(X, 3 * X.ravel() + 1)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model")
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


# ---- faults: each sets up a store (and environment) that fails, and says how the failure reads --
def _mount_tmpfs(directory: Path, options: str) -> bool:
    directory.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], capture_output=True).returncode == 0


@contextlib.contextmanager
def _mounted(directory: Path, options: str) -> Iterator[bool]:
    mounted = _mount_tmpfs(directory, options)
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(directory)], capture_output=True)


@contextlib.contextmanager
def unwritable(tmp: Path, monkeypatch) -> Iterator[tuple[str, str]]:
    directory = tmp / "read-only"
    with _mounted(directory, "size=1m,ro") as mounted:
        if not mounted:  # without mount rights a read-only directory is enough for a non-root user
            directory.chmod(0o555)
        yield str(directory / "lineage.db"), "store"


@contextlib.contextmanager
def disk_full(tmp: Path, monkeypatch) -> Iterator[tuple[str, str]]:
    directory = tmp / "tiny"
    with _mounted(directory, "size=512k") as mounted:
        assert mounted, "a tiny filesystem needs mount rights (root here)"
        store = directory / "lineage.db"
        lineage_nb.open_store(store, create=True).close()
        with contextlib.suppress(OSError), (directory / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield str(store), "store"


@contextlib.contextmanager
def corrupt(tmp: Path, monkeypatch) -> Iterator[tuple[str, str]]:
    store = tmp / "corrupt.db"
    store.write_bytes(os.urandom(64 * 1024))
    yield str(store), "store"


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def transport_500(tmp: Path, monkeypatch) -> Iterator[tuple[str, str]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENLINEAGE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield str(tmp / "lineage.db"), "transport"
    finally:
        server.shutdown()


@contextlib.contextmanager
def transport_refused(tmp: Path, monkeypatch) -> Iterator[tuple[str, str]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OPENLINEAGE_URL", f"http://127.0.0.1:{port}")
    yield str(tmp / "lineage.db"), "transport"


FAULTS = {
    "store unwritable": unwritable,
    "disk full": disk_full,
    "store corrupt": corrupt,
    "transport 500": transport_500,
    "transport refused": transport_refused,
}


@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    import mlflow

    root = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("faults", artifact_location=str(root / "artifacts")))
    yield
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def results_without_capture(tmp_path_factory, tracking, ray_local):
    reset_lineage(None)
    return {name: run(tmp_path_factory.mktemp("off")) for name, run in CAPTURE_POINTS.items()}


def _enable(store: str) -> None:
    config.reload_settings()  # the new emitter must see the fault's OPENLINEAGE_URL
    reset_lineage(store)
    assert lineage_nb.enable(store=store)


def _finish(kind: str) -> None:
    """Let the emitter (and forwarder) reach the fault; a transport gives up within close's bound."""
    lineage_nb.flush(5)
    if kind == "transport":
        emitter.get_emitter().close(0.5)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("capture_point", CAPTURE_POINTS)
def test_a_fault_changes_nothing_for_the_user_and_is_counted_once_logged_once(
    capture_point, fault, tmp_path, store_path, monkeypatch, caplog, results_without_capture
):
    caplog.set_level(logging.WARNING, logger="lineage_nb")
    with FAULTS[fault](tmp_path, monkeypatch) as (store, kind):
        _enable(store)
        result = CAPTURE_POINTS[capture_point](tmp_path)
        _finish(kind)
        counted = lineage_nb.status()["errors"].get(kind, 0)
    assert result == results_without_capture[capture_point]
    assert counted >= 1, lineage_nb.status()["errors"]
    logged = [r for r in caplog.records if f"({kind})" in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in logged]
    if kind == "store":
        assert counted >= 2, "several events failed, but only the first was logged"


CAUSES = {
    "store unwritable": "read-only|readonly|Read-only|permission|cannot create",
    "disk full": "full|space",
    "store corrupt": "not a (readable lineage store|database)|corrupt|malformed",
    "transport 500": "500|transport|forward",
    "transport refused": "refused|Connection|forward",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_strict_mode_raises_the_fault_naming_its_cause(fault, tmp_path, store_path, monkeypatch, tracking, results_without_capture):
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    with FAULTS[fault](tmp_path, monkeypatch) as (store, kind):
        _enable(store)
        result = artifact_log_and_download(tmp_path)
        with pytest.raises(errors.LineageError, match=CAUSES[fault]) as raised:
            lineage_nb.flush(5)
            if kind == "transport":
                emitter.get_emitter().close(0.5)
                lineage_nb.flush(1)
    assert kind in str(raised.value)
    assert result == results_without_capture["artifact log and download"]


LOCK_HOLDER = "import sqlite3, sys, time\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\ndb.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\nsys.stdin.read()\n"


@pytest.mark.parametrize("capture_point", CAPTURE_POINTS)
def test_a_locked_store_delays_events_without_losing_them_or_touching_the_result(
    capture_point, tmp_path, store_path, results_without_capture
):
    lineage_nb.open_store(store_path, create=True).close()
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(store_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        _enable(str(store_path))
        result = CAPTURE_POINTS[capture_point](tmp_path)
        assert lineage_nb.flush(1) is False  # still waiting for the lock, on the emitter's thread only
    finally:
        holder.stdin.close()
        holder.wait(30)
    assert result == results_without_capture[capture_point]
    assert lineage_nb.flush(60) and lineage_nb.status()["errors"] == {}
    with lineage_nb.open_store(store_path) as store:
        assert store.counts()["runs"] >= 2  # the session run and at least one child run arrived after the lock


def test_a_full_queue_drops_oldest_and_counts_without_touching_the_result(tmp_path, store_path, monkeypatch, results_without_capture):
    monkeypatch.setenv("LINEAGE_NB_QUEUE_SIZE", "2")
    _enable(str(store_path))
    gate = threading.Event()
    emitter.get_emitter().submit(lambda: gate.wait(30) and [])
    result = artifact_log_and_download(tmp_path)
    gate.set()
    lineage_nb.flush(10)
    assert result == results_without_capture["artifact log and download"]
    assert lineage_nb.status()["emitter"]["dropped"] >= 1


def test_a_dead_emitter_thread_is_replaced_and_loses_nothing_after(tmp_path, store_path, results_without_capture):
    _enable(str(store_path))
    emitter.get_emitter().close(5)  # the thread has ended, as if it had died
    result = artifact_log_and_download(tmp_path)
    assert lineage_nb.flush(30)
    assert result == results_without_capture["artifact log and download"]
    assert lineage_nb.status()["emitter"]["restarts"] >= 1
    with lineage_nb.open_store(store_path) as store:
        activities = {e["run"]["facets"].get("lineageNb_execution", {}).get("activity") for e in store.iter_events()}
    assert len(activities - {None}) >= 2, activities

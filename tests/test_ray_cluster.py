"""Capture on the workers of a multi-node Ray cluster, simulated on this machine.

One cluster for the module: a head node and a second node (`ray start --address`), each with its own
temp dir, the second with a `node2` resource so work can be pinned to it. Drivers are subprocesses
that join it with `ray.init(address=...)` after `lineage_nb.enable()`: nothing else tells the
workers to capture, so what reaches the shared store got there through the job's runtime_env.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from pg import PG_PASSWORD, free_port
from sqlalchemy import select

import lineage_nb
from lineage_nb.store import schema

CLUSTER_START_SECONDS = 240
DRIVER_SECONDS = 600
OBJECT_STORE_BYTES = 100 * 1024 * 1024
ROWS = 40
STARTED = "Ray runtime started."
NODE_START_ATTEMPTS = 3
# Variables of this test process that must not leak into the cluster or the drivers.
PRIVATE_PREFIXES = ("LINEAGE_NB_", "RAY_DATA_EXECUTION_CALLBACKS", "RAY_RUNTIME_ENV_HOOK", "RAY_ADDRESS", "OPENLINEAGE_")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PRIVATE_PREFIXES)}
    return env | {"RAY_DISABLE_USAGE_STATS": "1", "RAY_AUTH_MODE": "disabled", "MLFLOW_DISABLE_TELEMETRY": "true"} | extra


class Cluster:
    """`ray start` processes of one simulated cluster; stopped by killing only what it started."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []

    def start_node(self, name: str, *args: str) -> None:
        """Start a node and wait until it has registered. Ray gives a node a fixed 30 s to register
        with the head, which a loaded machine can miss: a node that gave up is started again."""
        for attempt in range(1, NODE_START_ATTEMPTS + 1):
            process = self._launch(f"{name}-{attempt}", args)
            if self._registered(process, f"{name}-{attempt}"):
                return
            _signal_group(process.pid, signal.SIGKILL)  # whatever the failed attempt left running
        raise RuntimeError(f"the {name} node did not start:\n{self.logs()}")

    def _launch(self, name: str, args: tuple[str, ...]) -> subprocess.Popen:
        temp_dir = self.root / name  # Ray's socket paths must stay short: root is directly under /tmp
        temp_dir.mkdir()
        command = [
            str(Path(sys.executable).parent / "ray"), "start", "--block", "--num-cpus=1", f"--temp-dir={temp_dir}",
            "--node-ip-address=127.0.0.1", f"--object-store-memory={OBJECT_STORE_BYTES}", "--disable-usage-stats", *args,
        ]
        with open(self.root / f"{name}.log", "wb") as log:
            process = subprocess.Popen(command, env=_clean_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        _start_watchdog(process.pid)
        return process

    def _registered(self, process: subprocess.Popen, name: str) -> bool:
        """`ray start --block` says so once its node has registered with the cluster; False if it exited."""
        log, deadline = self.root / f"{name}.log", time.monotonic() + CLUSTER_START_SECONDS
        while STARTED not in log.read_text(errors="replace"):
            if process.poll() is not None:
                return False
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {name} node did not start:\n{self.logs()}")
            time.sleep(1)
        return True

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(self.root.glob("*.log")))

    def stop(self) -> None:
        """SIGTERM lets `ray start --block` stop its node; then whatever of ours is left is killed, by id.

        Ray workers run in process groups of their own, so they are found as descendants beforehand."""
        ours = _descendants({p.pid for p in self.processes})
        for process in self.processes:
            _signal_group(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for process in self.processes:
            _signal_group(process.pid, signal.SIGKILL)
        for pid in ours:
            _signal(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


def _start_watchdog(group: int) -> None:
    """Kill a node's process group if pytest dies before the fixture's finalizer runs."""
    script = f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; kill -9 -{group} 2>/dev/null"
    subprocess.Popen(["sh", "-c", script], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _descendants(roots: set[int]) -> set[int]:
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, set()).add(int(entry.name))
    found, todo = set(), list(roots)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.fixture(scope="module")
def ray_cluster():
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="lnb-rc-", dir="/tmp")))
    try:
        cluster.start_node("head", "--head", f"--port={cluster.port}", "--include-dashboard=false")
        cluster.start_node("node2", f"--address={cluster.address}", '--resources={"node2": 1}')
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def shared_dir():
    """A directory every node sees (on one machine, any directory; on a real cluster, a shared mount)."""
    path = Path(tempfile.mkdtemp(prefix="lnb-shared-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


# ---- drivers ------------------------------------------------------------------------------------
DRIVER_START = """
import json, sys, time
import lineage_nb
assert lineage_nb.enable()
import ray

args = json.loads(sys.argv[1])
ray.init(address=args["address"], log_to_driver=False, runtime_env=args.get("runtime_env"))
deadline = time.monotonic() + 300
while not any(n["Alive"] and "node2" in n["Resources"] for n in ray.nodes()):
    assert time.monotonic() < deadline, "the second node never joined"
    time.sleep(1)


def report(**found):
    context = ray.get_runtime_context()
    found.update(job_id=context.get_job_id(), driver_node=context.get_node_id(), job_runtime_env=json.dumps(context.runtime_env))
    print("RESULT " + json.dumps(found))
"""

PIPELINE_DRIVER = DRIVER_START + """

@ray.remote(num_cpus=0, resources={"node2": 1})
class Pipeline:
    def run(self, source, out):
        import importlib.util
        import ray.data

        ray.data.DataContext.get_current().enable_progress_bars = False
        ray.data.read_csv(source).write_parquet(out)
        return ray.get_runtime_context().get_node_id(), importlib.util.find_spec("lineage_nb") is not None


node, worker_has_lineage_nb = ray.get(Pipeline.remote().run.remote(args["source"], args["out"]))
report(worker_node=node, worker_has_lineage_nb=worker_has_lineage_nb)
"""

TRAINING_DRIVER = DRIVER_START + """

@ray.remote(num_cpus=0, resources={"node2": 1})
def train(tracking_uri, artifacts):
    import mlflow
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    mlflow.set_tracking_uri(tracking_uri)
    experiment = mlflow.create_experiment("cluster", artifact_location=artifacts)
    features = pd.DataFrame({"x": [float(i) for i in range(20)]})
    with mlflow.start_run(experiment_id=experiment) as run:
        info = mlflow.sklearn.log_model(LinearRegression().fit(features, features.x * 2), name="model", pip_requirements=["scikit-learn"])
    return info.model_id, run.info.run_id, ray.get_runtime_context().get_node_id()


model_id, mlflow_run_id, node = ray.get(train.remote(args["tracking_uri"], args["artifacts"]))
report(model_id=model_id, mlflow_run_id=mlflow_run_id, worker_node=node)
"""


def run_driver(script: str, workdir: Path, store: str, **args) -> dict:
    """Run a driver script (from `workdir`, so its workers cannot import lineage_nb from a source tree) and return its RESULT."""
    path = workdir / "driver.py"
    path.write_text(textwrap.dedent(script))
    done = subprocess.run(
        [sys.executable, str(path), json.dumps(args)], cwd=workdir, env=_clean_env(LINEAGE_NB_STORE=store, LINEAGE_NB_IGNORE_ERRORS="false"),
        capture_output=True, text=True, timeout=DRIVER_SECONDS,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    result = json.loads(line.removeprefix("RESULT "))
    result["driver_script"] = str(path)
    return result


def write_source(directory: Path) -> Path:
    directory.mkdir()
    (directory / "part.csv").write_text("id,x\n" + "".join(f"{i},{i / 2}\n" for i in range(ROWS)))
    return directory


# ---- reading the shared store -------------------------------------------------------------------
def stored(store_url: str, wait_for_child_runs: int, timeout: float = 60.0) -> tuple[list[dict], list[dict]]:
    """(events, runs rows) once `wait_for_child_runs` child runs have ended: workers write on their own schedule."""
    deadline = time.monotonic() + timeout
    while True:
        with lineage_nb.open_store(store_url) as store:
            events = list(store.iter_events())
            with store.read() as conn:
                runs = [dict(row._mapping) for row in conn.execute(select(schema.runs))]
        ended = [r for r in runs if r["parent_run_uuid"] and r["ended_at"]]
        if len(ended) >= wait_for_child_runs or time.monotonic() > deadline:
            return events, runs
        time.sleep(1)


def assert_child_runs_of_the_driver(events: list[dict], runs: list[dict], result: dict, activity: str) -> dict:
    """The driver's one session run, and one ended child run of it from the second node; returns the child's terminal event."""
    (session,) = [r for r in runs if r["parent_run_uuid"] is None]
    (child,) = [r for r in runs if r["parent_run_uuid"] is not None]
    assert child["parent_run_uuid"] == session["run_uuid"]
    assert (child["activity"], child["state"]) == (activity, "COMPLETE")
    context = json.loads(child["context_json"])
    assert (context["rayJobId"], context["rayNodeId"]) == (result["job_id"], result["worker_node"])
    assert result["worker_node"] != result["driver_node"]

    (terminal,) = [e for e in events if e["run"]["runId"] == child["run_uuid"] and e["eventType"] == "COMPLETE"]
    assert terminal["job"]["name"] == f"{result['driver_script']}::worker", "a worker does not know the driver's step"
    assert terminal["run"]["facets"]["parent"]["job"]["name"] == result["driver_script"]
    return terminal


# ---- tests --------------------------------------------------------------------------------------
def test_ray_data_in_an_actor_on_another_node_lands_in_the_shared_postgres_store(ray_cluster, shared_dir, postgres_url):
    source, out = write_source(shared_dir / "raw"), shared_dir / "out"
    result = run_driver(PIPELINE_DRIVER, shared_dir, postgres_url, address=ray_cluster.address, source=str(source), out=str(out))

    assert result["worker_has_lineage_nb"]
    assert "start_lineage_capture" in result["job_runtime_env"], "enable() alone gave the job its worker setup hook"
    assert PG_PASSWORD not in result["job_runtime_env"], "the store password is not in the runtime_env Ray shows"
    events, runs = stored(postgres_url, 1)
    terminal = assert_child_runs_of_the_driver(events, runs, result, "ray_data.execute")
    assert [d["name"] for d in terminal["inputs"]] == [str(source)]
    assert [d["name"] for d in terminal["outputs"]] == [str(out)]


def test_an_mlflow_model_logged_by_a_task_on_another_node_lands_in_the_shared_sqlite_store(ray_cluster, shared_dir):
    store = str(shared_dir / "lineage.db")
    tracking_uri = f"sqlite:///{shared_dir / 'mlflow.db'}"
    result = run_driver(
        TRAINING_DRIVER, shared_dir, store, address=ray_cluster.address, tracking_uri=tracking_uri, artifacts=str(shared_dir / "artifacts")
    )

    events, runs = stored(store, 1)
    terminal = assert_child_runs_of_the_driver(events, runs, result, "mlflow.log_model")
    (model,) = terminal["outputs"]
    assert model["name"] == result["model_id"]
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert terminal["run"]["facets"]["lineageNb_execution"]["mlflowRunId"] == result["mlflow_run_id"]


def _python_without_lineage_nb(root: Path) -> Path:
    """A venv that sees this environment's packages (Ray, pandas...) but not lineage_nb, like a worker image built without it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, capture_output=True, timeout=120)
    site_packages = Path(sysconfig.get_paths(vars={"base": str(root), "platbase": str(root)})["purelib"])
    # A path line, not a copy of the .pth files: the editable install's own .pth is not processed.
    (site_packages / "project_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return root / "bin" / "python"


def test_workers_whose_image_lacks_lineage_nb_still_run_the_pipeline(ray_cluster, shared_dir):
    import pyarrow.parquet as pq

    python = _python_without_lineage_nb(shared_dir / "image-without-lineage-nb")
    source, out, store = write_source(shared_dir / "raw"), shared_dir / "out", str(shared_dir / "lineage.db")
    result = run_driver(
        PIPELINE_DRIVER, shared_dir, store, address=ray_cluster.address, source=str(source), out=str(out),
        runtime_env={"py_executable": str(python)},
    )

    assert not result["worker_has_lineage_nb"]
    assert pq.read_table(out).num_rows == ROWS
    events, runs = stored(store, 0)
    assert [(r["parent_run_uuid"], r["state"]) for r in runs] == [(None, "COMPLETE")], "only the driver's own session run"

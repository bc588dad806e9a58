"""Ray Data capture: one child run per Ray Data execution, through Ray Data's execution callback.

Registration: `install()` appends `lineage_nb.capture.ray_data.LineageCallback` to the
`RAY_DATA_EXECUTION_CALLBACKS` environment variable, which Ray Data reads on every plan, so it
works in a running kernel, for datasets created earlier, without importing ray. It never touches
`DataContext.custom_execution_callback_classes` (both ways at once would duplicate events), and
`uninstall()` removes only its own entry. On a Ray outside the verified range nothing is
registered and a warning is logged once.

Threads: `before_execution_starts` runs on the user's thread and only reads the cell or script
context, the active MLflow run and the operator objects; extracting datasets from the plan
(`ray_plan`), fingerprints, naming and events happen in the emitter thread. `after_*` may run on
Ray's iterator thread or during garbage collection; they only queue the terminal event. Early
stops (`take(3)`, `limit()`) end through `after_execution_succeeds` when Ray shuts the executor.

Ray workers (Ray tasks and actors calling Ray Data, the `streaming_split` coordinator) capture
through the job's `runtime_env`: see `ray_workers`. A worker without the driver's workload
variables captures nothing, because it could not say which workload it works for.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from typing import Any, Callable

from lineage_nb.core import errors
from lineage_nb.core.facts import ActivityFact, RunContext
from lineage_nb.core.settings import settings

WATCHED_MODULE = None  # registered through an environment variable: nothing to wait for
ENV_VAR = "RAY_DATA_EXECUTION_CALLBACKS"
CALLBACK_PATH = f"{__name__}.LineageCallback"
VERIFIED_RAY = ((2, 60), (2, 61))  # [lowest, first unverified) major.minor
ACTIVITY = "ray_data.execute"
_warned_versions: set[str] = set()


# ---- install / uninstall ------------------------------------------------------------------------

def install() -> bool:
    if not settings().enabled or not _ray_supported(_installed_ray_version()):
        return False
    entries = _entries(os.environ.get(ENV_VAR, ""))
    if CALLBACK_PATH not in entries:
        os.environ[ENV_VAR] = ",".join([*entries, CALLBACK_PATH])
    return True


def uninstall() -> None:
    remaining = [entry for entry in _entries(os.environ.get(ENV_VAR, "")) if entry != CALLBACK_PATH]
    if remaining:
        os.environ[ENV_VAR] = ",".join(remaining)
    else:
        os.environ.pop(ENV_VAR, None)


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


def _installed_ray_version() -> str | None:
    ray = sys.modules.get("ray")
    if ray is not None:
        return getattr(ray, "__version__", None)
    try:
        return importlib.metadata.version("ray")
    except importlib.metadata.PackageNotFoundError:
        return None


def _ray_supported(version: str | None) -> bool:
    """True on a verified Ray; warns once per unknown version; False when Ray is absent."""
    if version is None:
        return False
    major_minor = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if VERIFIED_RAY[0] <= major_minor < VERIFIED_RAY[1]:
        return True
    if version not in _warned_versions:
        _warned_versions.add(version)
        low, high = (".".join(map(str, v)) for v in VERIFIED_RAY)
        errors.logger.warning(
            "lineage_nb: Ray Data capture is off: ray %s is outside the verified range (>=%s, <%s)", version, low, high
        )
    return False


# ---- workers ------------------------------------------------------------------------------------

def worker_runtime_env(runtime_env: dict[str, Any] | None = None) -> dict[str, Any]:
    """`runtime_env` (a copy) for `ray.init` with what the job's workers need to capture into this
    process's store and workload; see `ray_workers`, which `lineage_nb.enable()` applies by itself."""
    from lineage_nb.capture import ray_workers

    return ray_workers.with_worker_capture(runtime_env) or {}


def _capturing_here() -> bool:
    """Capture on, a verified Ray, and in a Ray worker only when it knows the driver's workload."""
    if not settings().enabled:
        return False
    import ray

    if not _ray_supported(ray.__version__):
        return False
    if settings().inherited_session_run:
        return True
    return not ray.is_initialized() or ray.get_runtime_context().worker.mode != ray.WORKER_MODE


# ---- the callback -------------------------------------------------------------------------------

def _run_context() -> RunContext:
    """Where this execution starts: read on the user's thread (the `after_*` hooks may run elsewhere)."""
    import ray

    from lineage_nb.runtime.session import current_session

    extra: dict[str, str | None] = {"engine": "ray", "engine_version": ray.__version__}
    if ray.is_initialized():
        runtime = ray.get_runtime_context()
        extra["ray_job_id"] = runtime.get_job_id()
        extra["ray_node_id"] = runtime.get_node_id()
    mlflow = sys.modules.get("mlflow")
    active = mlflow.active_run() if mlflow is not None else None
    if active is not None:
        extra["mlflow_run_id"] = active.info.run_id
        extra["mlflow_experiment_id"] = active.info.experiment_id
        extra["mlflow_tracking_uri"] = mlflow.get_tracking_uri()
    return current_session().context(**extra)


def _in_background(step: Callable[[], None], kind: str) -> None:
    """Queue work for the emitter thread, ahead of the events queued after it."""
    from lineage_nb.runtime.emitter import get_emitter

    def build() -> list[dict[str, Any]]:
        with errors.guarded(kind):
            step()
        return []

    get_emitter().submit(build)


def start_run(executor: Any) -> tuple[Any, list[Any]]:
    """START a child run for this execution; its datasets are filled in off the user's thread."""
    from lineage_nb.capture import ray_plan
    from lineage_nb.runtime.session import current_session

    if not _capturing_here():
        return None, []
    session = current_session()
    operators = ray_plan.logical_operators(executor)
    fact = ActivityFact(ACTIVITY, context=_run_context())

    initial_stats = getattr(executor, "_initial_stats", None)

    def fill_datasets() -> None:
        ray_plan.describe(fact, ray_plan.artifacts(operators, initial_stats=initial_stats))

    _in_background(fill_datasets, "ray_data plan")
    return session.start_child_run(fact), operators


def finish_run(run: Any, operators: list[Any], executor: Any, error: BaseException | None) -> None:
    """COMPLETE or FAIL. Datasets are described again with the schemas the execution saw and,
    after a success, what storage tells: written schemas and versions, column lineage. A success
    is remembered for the executions that will read its output back if it was materialized."""
    from lineage_nb.capture import ray_materialized, ray_plan

    if run is None:
        return
    fact = run.fact
    observed = ray_plan.observed_schemas(executor)
    initial_stats = getattr(executor, "_initial_stats", None)
    outcome = ray_materialized.remember(getattr(executor, "_final_stats", None)) if error is None else None

    def describe_outcome() -> None:
        found = ray_plan.artifacts(operators, observed, initial_stats)
        ray_plan.describe(fact, found)
        if outcome is not None:
            outcome.inputs, outcome.built_in_python = found.inputs, found.built_in_python
            ray_plan.describe_succeeded(found)  # completes the facts `describe` handed over
            outcome.columns = found.output_columns

    _in_background(describe_outcome, "ray_data plan")
    run.finish(error)


def _callback_class() -> type:
    from ray.data._internal.execution.execution_callback import ExecutionCallback

    class LineageCallback(ExecutionCallback):
        """Ray instantiates this once per plan, so it holds that execution's child run."""

        def __init__(self) -> None:
            super().__init__()
            self._run: Any = None
            self._operators: list[Any] = []

        def before_execution_starts(self, executor: Any) -> None:
            with errors.guarded("ray_data"):
                self._run, self._operators = start_run(executor)

        def after_execution_succeeds(self, executor: Any) -> None:
            self._finish(executor, None)

        def after_execution_fails(self, executor: Any, error: Exception) -> None:
            self._finish(executor, error)

        def _finish(self, executor: Any, error: Exception | None) -> None:
            with errors.guarded("ray_data"):
                run, self._run = self._run, None
                finish_run(run, self._operators, executor, error)

    LineageCallback.__module__ = __name__
    return LineageCallback


def __getattr__(name: str) -> Any:
    """`LineageCallback` subclasses Ray's ExecutionCallback, so it is made only when Ray asks for it."""
    if name == "LineageCallback":
        cls = _callback_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

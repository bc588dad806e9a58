"""Capture in Ray workers, on every node: the driver's `runtime_env` carries it there.

`install()` (run by `lineage_nb.enable()`) points Ray's `RAY_RUNTIME_ENV_HOOK` at
`runtime_env_hook`, so the next `ray.init()` in this process (explicit, implicit through Ray
Data, or joining a cluster with `address=`) gives the job a `worker_process_setup_hook`. Every
worker process of the job runs it first, before any task or actor; it sets the driver's store
(a PostgreSQL URL, or a SQLite path on a shared filesystem), its OpenLineage forwarding settings
and its workload name and session run id, then enables capture, so the worker's runs are child
runs of the driver's session and land in the same store or ingest endpoint.

Why a closure and not `env_vars`: Ray pickles a closure by value, so a worker whose image lacks
lineage_nb can still load the hook; its import then fails and the worker runs untouched. Ray
Data's callback variable in `env_vars` would instead fail every execution in such a worker. And
`env_vars` are shown in Ray's dashboard and job listings, where store passwords and tokens must
not appear; the hook travels in Ray's internal key-value store.

A driver that initialised Ray before enabling capture passes `with_worker_capture()` to
`ray.init` itself. A job that brings its own setup hook keeps it, and its workers do not capture.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from lineage_nb.core import errors
from lineage_nb.core.settings import settings

WATCHED_MODULE = None  # Ray reads the hook variable in ray.init(): nothing to wait for
HOOK_ENV_VAR = "RAY_RUNTIME_ENV_HOOK"
HOOK_PATH = f"{__name__}.runtime_env_hook"
SETUP_HOOK = "worker_process_setup_hook"
_warned: set[str] = set()


def install() -> bool:
    """Have `ray.init` in this process add worker capture, unless another runtime_env hook is set."""
    if not settings().enabled:
        return False
    current = os.environ.get(HOOK_ENV_VAR)
    if current not in (None, HOOK_PATH):
        _warn_once(f"lineage_nb: Ray workers are not captured automatically: {HOOK_ENV_VAR} is already {current}")
        return False
    os.environ[HOOK_ENV_VAR] = HOOK_PATH
    return True


def uninstall() -> None:
    if os.environ.get(HOOK_ENV_VAR) == HOOK_PATH:
        del os.environ[HOOK_ENV_VAR]


def runtime_env_hook(runtime_env: dict[str, Any] | None) -> dict[str, Any] | None:
    """Ray calls this in `ray.init`. Child processes inherit the variable, so act only where capture was enabled."""
    from lineage_nb import capture

    if "ray_workers" not in capture.installed_hooks():
        return runtime_env
    return with_worker_capture(runtime_env)


def with_worker_capture(runtime_env: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """`runtime_env` (a copy) with the setup hook that makes the job's workers capture for this process's workload."""
    changed = runtime_env
    with errors.guarded("ray workers"):
        changed = _add_worker_capture(dict(runtime_env or {}))
    return changed


def _add_worker_capture(runtime_env: dict[str, Any]) -> dict[str, Any]:
    if not settings().enabled:
        return runtime_env
    if runtime_env.get(SETUP_HOOK) is not None:
        _warn_once("lineage_nb: Ray workers are not captured: the job has its own worker_process_setup_hook")
        return runtime_env
    given = runtime_env.get("env_vars") or {}
    environment = {key: value for key, value in worker_environment().items() if key not in given}
    return {**runtime_env, SETUP_HOOK: worker_setup_hook(environment)}


def worker_environment() -> dict[str, str]:
    """Where workers send events, and whose child runs they are."""
    from lineage_nb.runtime.emitter import get_emitter
    from lineage_nb.runtime.session import current_session

    workload = current_session().workload
    return dict(settings().worker_environment) | {
        "LINEAGE_NB_STORE": get_emitter().store_url,
        "LINEAGE_NB_WORKLOAD_NAME": workload.name,
        "LINEAGE_NB_WORKLOAD_TYPE": workload.type,
        "LINEAGE_NB_SESSION_RUN_ID": workload.session_run_id,
    }


def worker_setup_hook(environment: dict[str, str]) -> Callable[[], None]:
    """The hook Ray pickles by value (a closure) and runs first in every worker of the job."""

    def start_lineage_capture() -> None:
        try:
            from lineage_nb.capture.ray_workers import start_in_worker
        except ImportError:  # a worker image without lineage_nb: leave the worker as it is
            return
        start_in_worker(environment)

    return start_lineage_capture


def start_in_worker(environment: dict[str, str]) -> None:
    """In a Ray worker: capture for the driver's workload, into the driver's store."""
    with errors.guarded("ray worker setup"):
        os.environ.update(environment)
        from lineage_nb.capture.control import enable

        enable()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        errors.logger.warning(message)

"""Capture in Ray workers, on every node: the driver's `runtime_env` carries it there.

`install()` (run by `lineage_nb.enable()`) points Ray's `RAY_RUNTIME_ENV_HOOK` at
`runtime_env_hook`, so the next `ray.init()` in this process (explicit, implicit through Ray
Data, or joining a cluster with `address=`) gives the job's workers:
- `env_vars`: the driver's store (a PostgreSQL URL, or a SQLite path on a shared filesystem), its
  OpenLineage forwarding settings, and its workload name and session run id, so a worker's runs are
  child runs of the driver's session and land in the same store or ingest endpoint;
- `worker_process_setup_hook`: `ray_worker_setup.start_capture`, pickled by value, which turns
  capture on where lineage_nb is importable and does nothing where it is not.

Ray Data's callback variable is set by each worker after it imported lineage_nb, never passed in
`env_vars`: Ray Data fails every execution whose callback class it cannot import. A driver that
initialised Ray before enabling capture passes `with_worker_capture()` to `ray.init` itself. A job
that brings its own setup hook keeps it, and its workers capture only if that hook calls
`start_in_worker()`.
"""
from __future__ import annotations

import os
from typing import Any

from lineage_nb import errors
from lineage_nb.config import settings

WATCHED_MODULE = None  # Ray reads the hook variable in ray.init(): nothing to wait for
HOOK_ENV_VAR = "RAY_RUNTIME_ENV_HOOK"
HOOK_PATH = f"{__name__}.runtime_env_hook"
SETUP_HOOK = "worker_process_setup_hook"
WORKER_SETTINGS = ("LINEAGE_NB_NAMESPACE", "LINEAGE_NB_STORAGE_ROOTS", "LINEAGE_NB_IGNORE_ERRORS", "LINEAGE_NB_LOG_LEVEL")
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
    """`runtime_env` (a copy) with what the job's workers need to capture for this process's workload."""
    changed = runtime_env
    with errors.guarded("ray workers"):
        changed = _add_worker_capture(dict(runtime_env or {}))
    return changed


def _add_worker_capture(runtime_env: dict[str, Any]) -> dict[str, Any]:
    if not settings().enabled:
        return runtime_env
    if runtime_env.get(SETUP_HOOK) is not None:
        _warn_once(
            "lineage_nb: Ray workers capture only if the job's worker_process_setup_hook calls "
            "lineage_nb.capture.ray_workers.start_in_worker()"
        )
        setup_hook: Any = runtime_env[SETUP_HOOK]
    else:
        setup_hook = _setup_hook_by_value()
    given_env_vars = runtime_env.get("env_vars") or {}
    return {**runtime_env, "env_vars": {**worker_env_vars(), **given_env_vars}, SETUP_HOOK: setup_hook}


def worker_env_vars() -> dict[str, str]:
    """Where workers send events, and whose child runs they are."""
    from lineage_nb.emitter import get_emitter
    from lineage_nb.session import current_session

    workload = current_session().workload
    forwarded = {
        key: value
        for key, value in os.environ.items()
        if value and (key in WORKER_SETTINGS or key.startswith("OPENLINEAGE_"))
    }
    return forwarded | {
        "LINEAGE_NB_STORE": get_emitter().store_url,
        "LINEAGE_NB_WORKLOAD_NAME": workload.name,
        "LINEAGE_NB_WORKLOAD_TYPE": workload.type,
        "LINEAGE_NB_SESSION_RUN_ID": workload.session_run_id,
    }


def _setup_hook_by_value() -> Any:
    import ray.cloudpickle

    from lineage_nb.capture import ray_worker_setup

    ray.cloudpickle.register_pickle_by_value(ray_worker_setup)
    return ray_worker_setup.start_capture


def start_in_worker() -> None:
    """In a Ray worker that the driver's runtime_env reached: capture for the driver's workload."""
    if not os.environ.get("LINEAGE_NB_SESSION_RUN_ID"):
        return
    with errors.guarded("ray worker setup"):
        import lineage_nb

        lineage_nb.enable()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        errors.logger.warning(message)

"""One local Ray instance for the whole test session (2 CPUs shared by everyone: start it once)."""
from __future__ import annotations

import os

import pytest

RAY_OBJECT_STORE_BYTES = 256 * 1024 * 1024
RAY_START_ATTEMPTS = 3  # on a loaded machine Ray's agents can miss the raylet's 15 s start-up window


def _start_ray(ray) -> None:
    """A local Ray of 2 CPUs; or, with RAY_ADDRESS set, the running cluster it names (started without
    lineage variables too), which spares a loaded machine a Ray start-up per test session."""
    if os.environ.get("RAY_ADDRESS"):
        ray.init(log_to_driver=False, configure_logging=False)
        return
    for attempt in range(1, RAY_START_ATTEMPTS + 1):
        try:
            ray.init(
                num_cpus=2,
                include_dashboard=False,
                log_to_driver=False,
                object_store_memory=RAY_OBJECT_STORE_BYTES,
                configure_logging=False,
            )
            return
        except Exception as exc:  # Ray raises a bare Exception for a node that timed out
            if attempt == RAY_START_ATTEMPTS or "timed out during startup" not in str(exc):
                raise
            ray.shutdown()


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray, reused if this process already started one. Started without lineage variables,
    so worker processes only capture when a test gives them a runtime_env that asks for it."""
    import ray
    from ray.data import DataContext

    if not ray.is_initialized():
        saved = os.environ.pop("RAY_DATA_EXECUTION_CALLBACKS", None)
        saved_hook = os.environ.pop("RAY_RUNTIME_ENV_HOOK", None)  # set by lineage_nb.enable(): workers would capture
        try:
            _start_ray(ray)
        finally:
            if saved is not None:
                os.environ["RAY_DATA_EXECUTION_CALLBACKS"] = saved
            if saved_hook is not None:
                os.environ["RAY_RUNTIME_ENV_HOOK"] = saved_hook
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    yield ray

"""One local Ray instance for the whole test session (2 CPUs shared by everyone: start it once)."""
from __future__ import annotations

import os

import pytest

RAY_OBJECT_STORE_BYTES = 256 * 1024 * 1024


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
            ray.init(
                num_cpus=2,
                include_dashboard=False,
                log_to_driver=False,
                object_store_memory=RAY_OBJECT_STORE_BYTES,
                configure_logging=False,
            )
        finally:
            if saved is not None:
                os.environ["RAY_DATA_EXECUTION_CALLBACKS"] = saved
            if saved_hook is not None:
                os.environ["RAY_RUNTIME_ENV_HOOK"] = saved_hook
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    yield ray

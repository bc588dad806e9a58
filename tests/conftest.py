"""Shared fixtures: every test gets its own store file and a fresh emitter and session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from pg import postgres_cluster, postgres_url, store_url  # noqa: F401  (fixtures: throwaway PostgreSQL, both backends)
from shared_dir import SHARED

FIXTURES = SHARED / "fixtures" / "openlineage"
SPEC = SHARED / "spec"

os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
# Ray Data 2.60 starts up to 32 actors to read Parquet footers, and up to 128 aggregator actors for a
# join or groupby, each a new process killed after the execution: 10-60 s per tiny test on 2 cores.
# Tests (and the notebooks and scripts they start, which inherit this) use one and two, and sort-based
# groupbys (joins always shuffle by hash).
os.environ.setdefault("RAY_DATA_PARQUET_FOOTER_NUM_ACTORS", "1")
os.environ.setdefault("RAY_DATA_MAX_HASH_SHUFFLE_AGGREGATORS", "2")
os.environ.setdefault("RAY_DATA_DEFAULT_SHUFFLE_STRATEGY", "sort_shuffle_pull_based")  # a groupby without actors: 5 s, not 35


MLFLOW_STATE_VARIABLES = ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI")


@pytest.fixture(autouse=True)
def _mlflow_environment_put_back():
    """`mlflow.set_experiment` writes MLFLOW_EXPERIMENT_ID into os.environ behind the test's back, and a
    later test's subprocess would inherit an experiment its tracking store does not have."""
    saved = {name: os.environ.get(name) for name in MLFLOW_STATE_VARIABLES}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def reset_lineage(store_url: str | None) -> None:
    """Forget the process's lineage state (settings, emitter, session, hooks, error counts)."""
    from lineage_nb import capture
    from lineage_nb.core import errors
    from lineage_nb.core import settings as config
    from lineage_nb.runtime import emitter, session
    capture.uninstall_all()
    old = emitter.set_emitter(emitter.Emitter(store_url=store_url) if store_url else None)
    if old is not None:
        old.close(timeout=5)
    session._session = None
    errors.reset()
    config.reload_settings()


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store file that LINEAGE_NB_STORE points at, with lineage state reset around the test."""
    path = tmp_path / "store" / "lineage.db"
    monkeypatch.setenv("LINEAGE_NB_STORE", str(path))
    monkeypatch.delenv("LINEAGE_NB_ENABLED", raising=False)
    monkeypatch.delenv("LINEAGE_NB_IGNORE_ERRORS", raising=False)
    reset_lineage(str(path))
    yield path
    reset_lineage(None)


@pytest.fixture
def open_test_store(store_path: Path):
    """Flush the emitter and open the test's store for queries."""
    import lineage_nb

    opened = []

    def _open():
        assert lineage_nb.flush(timeout=30), "emitter did not drain"
        store = lineage_nb.open_store(str(store_path))
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()

"""The emitter: the user's thread never waits, a full queue drops oldest-first and counts, flush acknowledges."""
import threading

import pytest

from lineage_nb.core import errors
from lineage_nb.runtime.emitter import Emitter
from lineage_nb.store import open_store


def _event(i):
    return {
        "eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "https://example.com/p",
        "run": {"runId": f"00000000-0000-4000-8000-{i:012d}"}, "job": {"namespace": "ns", "name": "j"},
        "outputs": [{"namespace": "ns", "name": f"d{i}"}],
    }


def test_flush_acknowledges_everything_submitted(tmp_path):
    emitter = Emitter(store_url=str(tmp_path / "e.db"), forward=False)
    for i in range(1200):
        emitter.submit_event(_event(i))
    assert emitter.flush(30)
    with open_store(tmp_path / "e.db") as store:
        assert store.counts()["events"] == 1200
    assert emitter.stats.written == 1200 and emitter.stats.dropped == 0
    emitter.close()


def test_a_full_queue_drops_the_oldest_and_counts(tmp_path):
    emitter = Emitter(store_url=str(tmp_path / "e.db"), queue_size=10, forward=False)
    gate = threading.Event()
    emitter.submit(lambda: gate.wait(10) and [])
    while emitter.pending():
        pass
    for i in range(25):
        emitter.submit_event(_event(i))
    gate.set()
    assert emitter.flush(30) is False  # 15 events were dropped: flush owns up to it
    assert emitter.flush(30) is True  # and once owned up to, the next flush is about what came after
    assert emitter.stats.dropped == 15
    with open_store(tmp_path / "e.db") as store:
        names = {e["outputs"][0]["name"] for e in store.iter_events()}
    assert names == {f"d{i}" for i in range(15, 25)}
    emitter.close()


def test_a_dead_emitter_thread_is_restarted(tmp_path):
    emitter = Emitter(store_url=str(tmp_path / "e.db"), forward=False)
    emitter.submit_event(_event(1))
    emitter.flush(10)
    emitter.close()
    emitter.submit_event(_event(2))
    assert emitter.flush(10)
    assert emitter.stats.restarts == 1 and emitter.stats.written == 2


def test_store_failures_are_counted_not_raised(tmp_path, store_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    emitter = Emitter(store_url=str(blocked / "sub" / "x.db"), forward=False)
    for i in range(3):
        emitter.submit_event(_event(i))
    assert emitter.flush(10) is False  # nothing was stored, so flush must not say it was
    assert errors.error_counts().get("store", 0) >= 1 and emitter.stats.failed == 3
    emitter.close()


def test_strict_mode_raises_at_the_next_flush(tmp_path, store_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    from lineage_nb.core.settings import reload_settings

    reload_settings()
    emitter = Emitter(store_url=str(tmp_path / "e.db"), forward=False)
    emitter.submit(lambda: 1 / 0)
    with pytest.raises(errors.LineageError, match="build failed: ZeroDivisionError"):
        emitter.flush(10)
    emitter.close()

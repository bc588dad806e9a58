"""What a `materialize()`d dataset was made from, for the executions that read it back.

A MaterializedDataset's plan is only an InputData operator holding blocks, so a later execution
over it (`mat.write_parquet(...)`) cannot tell where they came from. Ray hands every execution
over such a dataset the final stats of the execution that materialized it, or a shallow copy of
them (sharing its `parents` list). So each execution's outcome is remembered under its final
stats, weakly: it lives exactly as long as Ray keeps those stats, i.e. the materialized dataset.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any


class Outcome:
    """What a later execution takes from this one, filled in by the emitter thread. It holds no
    plan operator: an InputData among them would keep a materialized dataset's blocks alive."""

    def __init__(self) -> None:
        self.inputs: list[Any] = []  # ArtifactFacts
        self.built_in_python = False
        self.columns: Any = None  # the ray_columns.Columns the execution output, once known


_outcomes: weakref.WeakKeyDictionary[Any, Outcome] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def remember(final_stats: Any) -> Outcome:
    """Called when an execution succeeds: its outcome, to fill in later, under its final stats."""
    outcome = Outcome()
    if final_stats is not None:
        with _lock:
            _outcomes[final_stats] = outcome
    return outcome


def recall(initial_stats: Any) -> Outcome | None:
    """The outcome of the execution that materialized what an execution starts from, if seen."""
    if initial_stats is None:
        return None
    with _lock:
        outcome = _outcomes.get(initial_stats)
        if outcome is None:
            parents = getattr(initial_stats, "parents", None)
            outcome = next((o for stats, o in _outcomes.items() if parents and stats.parents is parents), None)
    return outcome

"""The workload session: its session run and the child runs hanging off it, from START to the end of the process.

Everything here runs on the user's thread, so it only reads cheap facts and hands builders to
the emitter; OpenLineage events are built in the emitter's thread (runtime/events.py). The
session owns its lifecycle: it starts with the first capture and ends at interpreter exit,
after which the emitter is drained.
"""
from __future__ import annotations

import atexit
import sys
import threading
from datetime import datetime
from typing import Any, Callable

from lineage_nb.core.facts import ActivityFact, ArtifactFact, RunContext
from lineage_nb.runtime.emitter import EXIT_FLUSH_SECONDS, current_emitter, get_emitter
from lineage_nb.runtime.workload import Workload, detect_workload, new_run_id, utcnow

MAX_CELL_SOURCE = 8_000
WORKER_RUN_FLUSH_SECONDS = 5.0

__all__ = ["ChildRun", "Session", "Workload", "current_session", "end_session", "new_run_id", "utcnow"]


def _submit_session_event(workload: Workload, state: str) -> None:
    at = utcnow()

    def build() -> list[Any]:
        from lineage_nb.runtime import events

        return [events.session_event(workload, state, at)]

    get_emitter().submit(build)


def describe_error(error: BaseException | None) -> tuple[str, str] | None:
    if error is None:
        return None
    import traceback

    message = f"{type(error).__name__}: {error}"
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return message, stack


class HeldData:
    """Artifacts whose data entered this Python process (DESIGN.md "Held data"), until the kernel restarts.

    Touched only by event builders, which the emitter runs one at a time in the order the calls
    happened: a write therefore sees exactly what was held before it, wherever its facts were filled in.
    """

    def __init__(self) -> None:
        self._held: dict[str, ArtifactFact] = {}

    def hold(self, artifacts: list[ArtifactFact]) -> None:
        for artifact in artifacts:
            self._held[_identity(artifact)] = artifact

    def snapshot(self) -> list[ArtifactFact]:
        return list(self._held.values())


def _identity(artifact: ArtifactFact) -> str:
    return artifact.location or f"{artifact.namespace}\x1f{artifact.name}"


class Session:
    """The process-wide workload session; child runs hang off its session run."""

    def __init__(self) -> None:
        self.workload = detect_workload()
        self.held = HeldData()
        self._cell: tuple[str | None, int | None, str | None] = (None, None, None)
        self._lock = threading.Lock()
        self._ended = self.workload.inherited
        if not self.workload.inherited:
            _submit_session_event(self.workload, "START")

    def set_cell(self, execution_count: int | None, source: str | None, cell_id: str | None = None) -> None:
        """The cell about to run: its id (nbformat 4.5, from the execute request), the prompt number the user sees, its source."""
        if source is not None and len(source) > MAX_CELL_SOURCE:
            source = source[:MAX_CELL_SOURCE] + "\n# ... (truncated)"
        self._cell = (cell_id, execution_count, source)

    def context(self, **extra: str | None) -> RunContext:
        """Cheap, user-thread facts about where a run starts."""
        cell_id, execution_count, source = self._cell
        script_path, script_line = (None, None)
        if self.workload.type != "notebook":
            script_path, script_line = _caller_location(self.workload.source_path)
        return RunContext(
            cell_id=cell_id,
            cell_execution_count=execution_count,
            cell_source=source,
            script_path=script_path,
            script_line=script_line,
            **(_ray_location() | extra),
        )

    def start_child_run(self, fact: ActivityFact) -> ChildRun:
        return ChildRun(self, fact)

    def record(self, fact: ActivityFact, error: BaseException | None = None, started_at: datetime | None = None,
               prepare: Callable[[], object] | None = None) -> None:
        """A call that already finished: its START (at `started_at`, default now) and terminal events, built
        together in the emitter thread after `prepare` (which fills the fact in there). One queue item and
        no run id on the user's thread: this is the path of every tiny pandas read."""
        ended_at = utcnow()
        start_at = started_at or ended_at
        error_info = describe_error(error)

        def build() -> list[Any]:
            from lineage_nb.runtime import events

            if prepare is not None:
                prepare()
            _take_held(self, fact)
            built = events.finished_child_events(self.workload, new_run_id(start_at), fact, start_at, ended_at, error_info)
            if error_info is None:
                _hold_inputs(self, fact)
            return built

        get_emitter().submit(build)
        if self.workload.inherited:
            get_emitter().flush(WORKER_RUN_FLUSH_SECONDS)  # see ChildRun.finish

    def end(self, state: str = "COMPLETE") -> None:
        with self._lock:
            if self._ended:
                return
            self._ended = True
        _submit_session_event(self.workload, state)


def _ray_location() -> dict[str, str | None]:
    """The Ray job and node this process works in, when Ray is initialised here (always, in a worker)."""
    ray = sys.modules.get("ray")
    if ray is None or not getattr(ray, "is_initialized", lambda: False)():
        return {}
    runtime = ray.get_runtime_context()
    return {"ray_job_id": runtime.get_job_id(), "ray_node_id": runtime.get_node_id()}


def _caller_location(script: str | None) -> tuple[str | None, int | None]:
    if not script:
        return None, None
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == script:
            return script, frame.f_lineno
        frame = frame.f_back
    return script, None


class ChildRun:
    """START now; COMPLETE or FAIL once, from whichever thread ends it.

    Its events are built in the emitter thread, in call order: START takes what is held as the
    inferred inputs of a write of Python-built data; a successful COMPLETE of a call that brought
    data into the process adds its inputs to what is held.
    """

    def __init__(self, session: Session, fact: ActivityFact, started_at: datetime | None = None) -> None:
        self.session = session
        self.fact = fact
        self.run_id = new_run_id()
        self._finished = False
        self._lock = threading.Lock()
        self._submit("START", None, started_at)

    def finish(self, error: BaseException | None = None, outputs: list | None = None) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
        if outputs is not None:
            self.fact.outputs = outputs
        self._submit("FAIL" if error else "COMPLETE", error)
        if self.session.workload.inherited:
            # Ray kills a job's workers without running exit handlers when the driver ends, often
            # right after the last task returned: a worker's run is stored before its call returns.
            get_emitter().flush(WORKER_RUN_FLUSH_SECONDS)

    def _submit(self, state: str, error: BaseException | None, at: datetime | None = None) -> None:
        at = at or utcnow()
        error_info = describe_error(error)
        session, fact, run_id = self.session, self.fact, self.run_id
        get_emitter().submit(lambda: _child_events(session, fact, run_id, state, at, error_info))


def _child_events(session: Session, fact: ActivityFact, run_id: str, state: str, at: datetime,
                  error_info: tuple[str, str] | None) -> list[Any]:
    """One event of a child run, in the emitter thread: START takes what is held as the inferred inputs
    of a write of Python-built data; a COMPLETE of a call that brought data in adds its inputs to it."""
    from lineage_nb.runtime import events

    if state == "START":
        _take_held(session, fact)
    event = events.child_event(session.workload, run_id, fact, state, at, error_info)
    if state == "COMPLETE":
        _hold_inputs(session, fact)
    return [event]


def _take_held(session: Session, fact: ActivityFact) -> None:
    if fact.python_built:
        fact.inferred_inputs = session.held.snapshot()


def _hold_inputs(session: Session, fact: ActivityFact) -> None:
    if fact.holds:
        session.held.hold(fact.inputs)


_session: Session | None = None
_session_lock = threading.Lock()


def current_session() -> Session:
    global _session
    with _session_lock:
        if _session is None:
            _session = Session()
        return _session


def end_session() -> None:
    global _session
    with _session_lock:
        session, _session = _session, None
    if session is not None:
        session.end()


def _end_at_exit() -> None:
    try:
        end_session()
        emitter = current_emitter()
        if emitter is not None:
            emitter.close(EXIT_FLUSH_SECONDS)
    except Exception:  # noqa: BLE001 - never fail interpreter exit
        pass


atexit.register(_end_at_exit)

"""The workload session: who is running (notebook, script, job), its session run, and its child runs.

Everything here runs on the user's thread, so it only reads cheap facts and hands them to the
emitter; events are built in the emitter's thread.
"""
from __future__ import annotations

import getpass
import os
import platform
import socket
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

from lineage_nb import __version__
from lineage_nb.config import settings
from lineage_nb.emitter import get_emitter
from lineage_nb.facts import ActivityFact, RunContext

MAX_CELL_SOURCE = 8_000
WORKER_RUN_FLUSH_SECONDS = 5.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_run_id() -> str:
    """A UUIDv7, as OpenLineage recommends: time-ordered run ids."""
    millis = int(utcnow().timestamp() * 1000)
    value = (millis & ((1 << 48) - 1)) << 80 | (0x7 << 76) | (int.from_bytes(os.urandom(10), "big") & ((1 << 76) - 1))
    value = (value & ~(0xC << 60)) | (0x8 << 60)
    return str(uuid.UUID(int=value))


@dataclass
class Workload:
    namespace: str
    name: str
    type: str
    session_run_id: str = field(default_factory=new_run_id)
    started_at: datetime = field(default_factory=utcnow)
    source_path: str | None = None
    inherited: bool = False  # a Ray worker working for a driver's session run, which it neither starts nor ends

    @property
    def id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.namespace}/{self.name}"))

    @cached_property
    def metadata(self) -> dict[str, str | None]:
        """Slow look-ups (git, hostname); called from the emitter thread only."""
        ray = sys.modules.get("ray")
        return {
            "workloadType": self.type,
            "workloadName": self.name,
            "workloadId": self.id,
            "owner": settings().owner or _git_email() or _os_user(),
            "project": settings().project or _project_name(self.source_path),
            "host": socket.gethostname(),
            "rayVersion": getattr(ray, "__version__", None),
            "pythonVersion": platform.python_version(),
            "osVersion": platform.platform(),
            "lineageNbVersion": __version__,
        }


def _git_email() -> str | None:
    try:
        out = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True, timeout=2, check=False)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return None


def _project_name(source_path: str | None) -> str | None:
    start = os.path.dirname(source_path) if source_path else os.getcwd()
    directory = start
    while True:
        if os.path.isdir(os.path.join(directory, ".git")):
            return os.path.basename(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            return os.path.basename(start) or None
        directory = parent


def detect_workload() -> Workload:
    """Notebook (in a kernel), job (Ray job submission), else script."""
    namespace = settings().namespace
    inherited = _inherited_workload(namespace)
    if inherited is not None:
        return inherited
    notebook = _notebook_path()
    if notebook is not None:
        return Workload(namespace, notebook, "notebook", source_path=notebook)
    if os.environ.get("RAY_JOB_SUBMISSION_ID") or os.environ.get("LINEAGE_NB_WORKLOAD_TYPE") == "job":
        name = os.environ.get("RAY_JOB_SUBMISSION_ID") or _script_path() or "job"
        return Workload(namespace, name, "job", source_path=_script_path())
    script = _script_path()
    return Workload(namespace, script or "python", "script", source_path=script)


def _inherited_workload(namespace: str) -> Workload | None:
    """The driver's workload, passed to Ray workers by `capture.ray_data.worker_runtime_env`."""
    name, run_id = os.environ.get("LINEAGE_NB_WORKLOAD_NAME"), os.environ.get("LINEAGE_NB_SESSION_RUN_ID")
    if not name or not run_id:
        return None
    kind = os.environ.get("LINEAGE_NB_WORKLOAD_TYPE") or "script"
    return Workload(namespace, name, kind, session_run_id=run_id, source_path=name if os.path.isabs(name) else None, inherited=True)


def _notebook_path() -> str | None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ == "TerminalInteractiveShell":
        return None
    path = os.environ.get("JPY_SESSION_NAME") or shell.user_ns.get("__vsc_ipynb_file__") or shell.user_ns.get("__session__")
    if path:
        return os.path.abspath(str(path))
    kernel = getattr(shell, "kernel", None)
    ident = getattr(kernel, "ident", None) or os.getpid()
    return f"notebook-{ident}"


def _script_path() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else None)
    return os.path.abspath(path) if path and path != "-c" else None


class Session:
    """The process-wide workload session; child runs hang off its session run."""

    def __init__(self) -> None:
        self.workload = detect_workload()
        self._cell: tuple[int | None, str | None] = (None, None)
        self._lock = threading.Lock()
        self._ended = self.workload.inherited
        if not self.workload.inherited:
            get_emitter().submit_session(self.workload, "START")

    def set_cell(self, execution_count: int | None, source: str | None) -> None:
        if source is not None and len(source) > MAX_CELL_SOURCE:
            source = source[:MAX_CELL_SOURCE] + "\n# ... (truncated)"
        self._cell = (execution_count, source)

    def context(self, **extra: str | None) -> RunContext:
        """Cheap, user-thread facts about where a run starts."""
        execution_count, source = self._cell
        script_path, script_line = (None, None)
        if self.workload.type != "notebook":
            script_path, script_line = _caller_location(self.workload.source_path)
        return RunContext(
            cell_execution_count=execution_count,
            cell_source=source,
            script_path=script_path,
            script_line=script_line,
            **(_ray_location() | extra),
        )

    def start_child_run(self, fact: ActivityFact) -> "ChildRun":
        return ChildRun(self, fact)

    def record(self, fact: ActivityFact, error: BaseException | None = None, started_at: datetime | None = None) -> None:
        """A call that already finished: START (at `started_at`, default now) and its terminal event in one go."""
        run = ChildRun(self, fact, started_at)
        run.finish(error)

    def end(self, state: str = "COMPLETE") -> None:
        with self._lock:
            if self._ended:
                return
            self._ended = True
        get_emitter().submit_session(self.workload, state)


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
    """START now; COMPLETE or FAIL once, from whichever thread ends it."""

    def __init__(self, session: Session, fact: ActivityFact, started_at: datetime | None = None) -> None:
        self.session = session
        self.fact = fact
        self.run_id = new_run_id()
        self._finished = False
        self._lock = threading.Lock()
        get_emitter().submit_child(session.workload, self.run_id, fact, "START", None, at=started_at)

    def finish(self, error: BaseException | None = None, outputs: list | None = None) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
        if outputs is not None:
            self.fact.outputs = outputs
        get_emitter().submit_child(self.session.workload, self.run_id, self.fact, "FAIL" if error else "COMPLETE", error)
        if self.session.workload.inherited:
            # Ray kills a job's workers without running exit handlers when the driver ends, often
            # right after the last task returned: a worker's run is stored before its call returns.
            get_emitter().flush(WORKER_RUN_FLUSH_SECONDS)


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

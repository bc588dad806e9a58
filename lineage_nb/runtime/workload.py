"""Who is running: a notebook, a script or a Ray job, named and described once per process."""
from __future__ import annotations

import getpass
import os
import platform
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

from lineage_nb.core.settings import settings
from lineage_nb.core.version import __version__


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_run_id(at: datetime | None = None) -> str:
    """A UUIDv7 (of `at`, default now), as OpenLineage recommends: time-ordered run ids."""
    millis = int((at or utcnow()).timestamp() * 1000)
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
    if settings().ray_job_submission_id or settings().workload_type == "job":
        name = settings().ray_job_submission_id or _script_path() or "job"
        return Workload(namespace, name, "job", source_path=_script_path())
    script = _script_path()
    return Workload(namespace, script or "python", "script", source_path=script)


def _inherited_workload(namespace: str) -> Workload | None:
    """The driver's workload, passed to Ray workers by `capture.ray_data.worker_runtime_env`."""
    name, run_id = settings().inherited_workload, settings().inherited_session_run
    if not name or not run_id:
        return None
    kind = settings().workload_type or "script"
    return Workload(namespace, name, kind, session_run_id=run_id, source_path=name if os.path.isabs(name) else None, inherited=True)


def _notebook_path() -> str | None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ == "TerminalInteractiveShell":
        return None
    path = settings().jupyter_session_name or shell.user_ns.get("__vsc_ipynb_file__") or shell.user_ns.get("__session__")
    if path:
        return os.path.abspath(str(path))
    kernel = getattr(shell, "kernel", None)
    ident = getattr(kernel, "ident", None) or os.getpid()
    return f"notebook-{ident}"


def _script_path() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else None)
    return os.path.abspath(path) if path and path != "-c" else None

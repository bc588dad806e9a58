"""Capture hooks. Each hook module knows Ray, MLflow or pandas and reports plain facts to the session.

A hook module exposes `WATCHED_MODULE`, `install() -> bool`, `uninstall()` and, where it can tell,
`is_installed()`. Hooks attach when their library is imported, or at once if it already is,
through a post-import hook, so loading lineage_nb never imports ray, mlflow or pandas.
`LINEAGE_NB_CAPTURE` picks the integrations (all by default).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

from lineage_nb.core import errors
from lineage_nb.core.settings import settings

HOOK_MODULES = {
    "lineage_nb.capture.ray_data": "ray",
    "lineage_nb.capture.mlflow": "mlflow",
    "lineage_nb.capture.pandas": "pandas",
    "lineage_nb.capture.ray_workers": "ray",
}
_installed: set[str] = set()
_lock = threading.RLock()  # held while a hook is installed or removed, and while the finder decides to attach one


def _hook(module_name: str) -> ModuleType:
    return importlib.import_module(module_name)


def _in_place(module_name: str) -> bool:
    """Whether a hook we installed is still in place, as the hook itself tells (someone may have removed it)."""
    check = getattr(sys.modules.get(module_name), "is_installed", None)
    return check is None or bool(check())


def _attach(module_name: str) -> None:
    """Install one hook all or nothing: a failure part-way removes whatever it had put in place."""
    with _lock:
        if module_name in _installed and _in_place(module_name):
            return
        _installed.discard(module_name)
        hook = None
        try:
            hook = _hook(module_name)
            if hook.install():
                _installed.add(module_name)
        except Exception as exc:  # noqa: BLE001 - this is the guard
            if hook is not None:
                with errors.guarded("uninstall"):
                    hook.uninstall()
            errors.report(f"install {module_name.rsplit('.', 1)[-1]}", exc)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Runs our installer right after a watched module finishes importing."""

    def __init__(self) -> None:
        self.watched: dict[str, str] = {}
        self.importing: set[str] = set()  # watched modules this finder is importing right now
        self._busy = threading.local()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        hook_module = self.watched.get(fullname)
        if hook_module is None or getattr(self._busy, fullname, False):
            return None
        setattr(self._busy, fullname, True)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            setattr(self._busy, fullname, False)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        original = spec.loader.exec_module
        self.importing.add(fullname)

        def exec_module(module: ModuleType) -> None:
            try:
                original(module)
                with _lock:  # not after uninstall_all: it clears `watched` under the same lock
                    if self.watched.get(fullname) == hook_module:
                        _attach(hook_module)
            finally:
                self.importing.discard(fullname)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_finder = _PostImportFinder()


def install_all() -> None:
    """Install every hook LINEAGE_NB_CAPTURE selects: now for libraries already imported, on import for the rest."""
    with _lock:
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
        for module_name, integration in HOOK_MODULES.items():
            if integration not in settings().capture:
                continue
            try:
                watched = _hook(module_name).WATCHED_MODULE
            except Exception as exc:  # noqa: BLE001
                errors.report("install", exc)
                continue
            if watched is not None:
                _finder.watched[watched] = module_name  # first, so that an import starting now attaches it when done
            # A library another thread is importing through the finder gets its hook from that
            # thread: installing here would wait for that import, which waits for this lock.
            if watched is None or (watched in sys.modules and watched not in _finder.importing):
                _attach(module_name)
        if not _finder.watched:
            sys.meta_path.remove(_finder)


def uninstall_all() -> None:
    """Remove every hook we installed, and stop waiting for libraries not imported yet."""
    with _lock:
        _finder.watched.clear()
        if _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        for module_name in list(_installed):
            with errors.guarded("uninstall"):
                _hook(module_name).uninstall()
            _installed.discard(module_name)


def installed_hooks() -> list[str]:
    """The hooks in place now: installed by us and, where the hook can tell, still in place."""
    with _lock:
        return sorted(name.rsplit(".", 1)[-1] for name in _installed if _in_place(name))

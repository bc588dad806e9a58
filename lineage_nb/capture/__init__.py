"""Capture hooks. Each hook module knows Ray or MLflow and reports plain facts to the session.

A hook module exposes `WATCHED_MODULE`, `install() -> bool` and `uninstall()`. Hooks attach when
their library is imported, or at once if it already is, through a post-import hook, so loading
lineage_nb never imports ray or mlflow.
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
    "lineage_nb.capture.ray_workers": "ray",
}
_installed: set[str] = set()
_lock = threading.RLock()


def _hook(module_name: str) -> ModuleType:
    return importlib.import_module(module_name)


def _attach(module_name: str) -> None:
    """Install one hook all or nothing: a failure part-way removes whatever it had put in place."""
    with _lock:
        if module_name in _installed:
            return
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

        def exec_module(module: ModuleType) -> None:
            original(module)
            if hook_module in self.watched.values():
                _attach(hook_module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_finder = _PostImportFinder()


def install_all() -> None:
    """Install every hook LINEAGE_NB_CAPTURE selects: now for libraries already imported, on import for the rest."""
    for module_name, integration in HOOK_MODULES.items():
        if integration not in settings().capture:
            continue
        try:
            watched = _hook(module_name).WATCHED_MODULE
        except Exception as exc:  # noqa: BLE001
            errors.report("install", exc)
            continue
        if watched is None or watched in sys.modules:
            _attach(module_name)
        else:
            _finder.watched[watched] = module_name
    if _finder.watched and _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall_all() -> None:
    _finder.watched.clear()
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    with _lock:
        for module_name in list(_installed):
            with errors.guarded("uninstall"):
                _hook(module_name).uninstall()
            _installed.discard(module_name)


def installed_hooks() -> list[str]:
    with _lock:
        return sorted(name.rsplit(".", 1)[-1] for name in _installed)

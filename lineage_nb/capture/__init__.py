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

from lineage_nb import errors

HOOK_MODULES = ("lineage_nb.capture.ray_data", "lineage_nb.capture.mlflow", "lineage_nb.capture.ray_workers")
_installed: set[str] = set()
_lock = threading.RLock()


def _hook(module_name: str) -> ModuleType:
    return importlib.import_module(module_name)


def _attach(module_name: str) -> None:
    with _lock:
        if module_name in _installed:
            return
        with errors.guarded(f"install {module_name.rsplit('.', 1)[-1]}"):
            if _hook(module_name).install():
                _installed.add(module_name)


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
    for module_name in HOOK_MODULES:
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

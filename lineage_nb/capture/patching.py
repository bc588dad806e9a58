"""Reversible patches on a library's functions and methods, put in place all or nothing.

Like MLflow's autologging, a hook replaces a few functions and keeps the originals to put back.
`Patches.apply` resolves and checks every target before changing anything, and a failure part-way
puts back what it had already changed. `remove` puts back exactly what `apply` changed, and turns
every wrapper it made into a plain pass-through, so a wrapper that someone else has wrapped in turn
(and that therefore cannot be taken out) stops capturing too.

A module-level function is often also bound by name in other modules of its library
(`from mlflow.tracking.fluent import log_metric` in `mlflow/__init__.py`). Those bindings are patched
as well; modules imported later bind the patched function by themselves.
"""
from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

_ABSENT = object()  # the owner inherited the attribute: removing the patch deletes ours


@dataclass(frozen=True)
class Target:
    """One function to wrap: `module.attribute`, or `module.owner.attribute` for a method."""

    module: str
    owner: str | None
    attribute: str
    parameters: tuple[str, ...]  # its leading parameter names: the check that this version is the one we know

    @property
    def label(self) -> str:
        return ".".join(part for part in (self.module, self.owner, self.attribute) if part)


@dataclass
class Patch:
    owner: Any
    attribute: str
    original: Any  # as found in the owner's __dict__ (a classmethod stays a classmethod), or _ABSENT
    replacement: Any


class Switch:
    """Shared by the wrappers of one installation; off once it is removed."""

    on = True


Wrap = Callable[[Target, Callable[..., Any], Switch], Callable[..., Any]]


def resolve(target: Target) -> tuple[Any, Any]:
    """The owner (class or module) and the attribute as stored on it or inherited by it."""
    module = importlib.import_module(target.module)
    if target.owner is None:
        return module, getattr(module, target.attribute)
    owner = getattr(module, target.owner)
    return owner, inspect.getattr_static(owner, target.attribute)


def function_of(raw: Any) -> Callable[..., Any]:
    return raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw


def supported(target: Target, raw: Any) -> bool:
    names = tuple(inspect.signature(function_of(raw)).parameters)
    return names[: len(target.parameters)] == target.parameters


def library_modules(library: str) -> list[ModuleType]:
    """The library's imported modules. dict.copy() holds the GIL throughout: iterating sys.modules
    itself can meet another thread's import (a garbage collection during the walk lets it run)."""
    modules = sys.modules.copy()
    prefix = library + "."
    return [m for name, m in modules.items() if (name == library or name.startswith(prefix)) and isinstance(m, ModuleType)]


class Patches:
    """The patches one hook made in one library."""

    def __init__(self, library: str) -> None:
        self.library = library
        self._applied: list[Patch] = []
        self._switch = Switch()

    @property
    def installed(self) -> bool:
        return bool(self._applied)

    def unsupported(self, targets: tuple[Target, ...]) -> list[str]:
        """Targets this version of the library lacks or has changed."""
        changed = []
        for target in targets:
            try:
                _, raw = resolve(target)
                ok = supported(target, raw)
            except (ImportError, AttributeError, TypeError, ValueError):
                ok = False
            if not ok:
                changed.append(target.label)
        return changed

    def apply(self, targets: tuple[Target, ...], wrap: Wrap) -> None:
        """Wrap every target, or, when anything fails, none: what was done is undone before raising."""
        if self._applied:
            return
        resolved = [(target, *resolve(target)) for target in targets]
        switch = Switch()
        try:
            by_name: dict[str, tuple[Any, Any]] = {}
            for target, owner, raw in resolved:
                wrapped = wrap(target, function_of(raw), switch)
                replacement = classmethod(wrapped) if isinstance(raw, classmethod) else staticmethod(wrapped) if isinstance(raw, staticmethod) else wrapped
                self._set(owner, target.attribute, replacement)
                if target.owner is None:
                    by_name[target.attribute] = (raw, replacement)
            self._rebind(by_name)
        except BaseException:
            self._undo()
            raise
        self._switch = switch

    def remove(self) -> None:
        """Put back every original; bindings made after `apply` by modules imported since are put back too."""
        self._switch.on = False
        rebound = {p.attribute: (p.replacement, p.original) for p in self._applied if isinstance(p.owner, ModuleType)}
        self._undo()
        for module in library_modules(self.library):
            for attribute, (replacement, original) in rebound.items():
                if vars(module).get(attribute) is replacement:
                    setattr(module, attribute, original)

    def _set(self, owner: Any, attribute: str, replacement: Any) -> None:
        original = vars(owner).get(attribute, _ABSENT)
        setattr(owner, attribute, replacement)
        self._applied.append(Patch(owner, attribute, original, replacement))

    def _rebind(self, by_name: dict[str, tuple[Any, Any]]) -> None:
        if not by_name:
            return
        for module in library_modules(self.library):
            namespace = vars(module)
            for attribute, (original, replacement) in by_name.items():
                if namespace.get(attribute) is original:
                    self._set(module, attribute, replacement)

    def _undo(self) -> None:
        """Restore in reverse order; an attribute someone replaced since is left to them."""
        while self._applied:
            patch = self._applied.pop()
            if vars(patch.owner).get(patch.attribute) is not patch.replacement:
                continue
            if patch.original is _ABSENT:
                delattr(patch.owner, patch.attribute)
            else:
                setattr(patch.owner, patch.attribute, patch.original)

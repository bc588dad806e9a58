"""One child run per captured library call, with as little as possible done on the user's thread.

The wrapper calls the original unchanged. Then, on the user's thread, it reads only what cannot
wait (the cell or script line, the active MLflow run, a file that may be gone later: `observe`) and
hands the rest to the emitter thread: `describe` fills the run's inputs and outputs there, in the
queue item that then builds the run's events, so naming, schemas and metadata look-ups cost the user nothing.

One user call is one child run: while a captured call runs, the calls it makes to other captured
functions (MLflow's own downloads inside `log_model`, pandas I/O inside `mlflow.log_table`) pass
straight through, unless the outer capture collects them (`collects_nested`).
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from lineage_nb.capture.patching import Patches, Switch, Target
from lineage_nb.core import errors
from lineage_nb.core.facts import ActivityFact, ArtifactFact
from lineage_nb.core.settings import settings
from lineage_nb.runtime.emitter import get_emitter
from lineage_nb.runtime.session import current_session, utcnow


@dataclass
class Call:
    """A finished call to a captured function, as the describers see it."""

    activity: str
    positions: dict[str, int]  # parameter name -> position, to read arguments without binding them
    signature: inspect.Signature
    args: tuple
    kwargs: dict
    result: Any = None
    error: BaseException | None = None
    seen: Any = None  # what `observe` read on the user's thread
    nested: list[Call] = field(default_factory=list)

    def argument(self, name: str, default: Any = None) -> Any:
        """An argument by parameter name, passed by position or by keyword; cheap enough for the user's thread."""
        index = self.positions.get(name)
        if index is not None and index < len(self.args):
            return self.args[index]
        return self.kwargs.get(name, default)

    @functools.cached_property
    def arguments(self) -> dict[str, Any]:
        """Every argument by name, defaults applied (for the emitter thread)."""
        bound = self.signature.bind(*self.args, **self.kwargs)
        bound.apply_defaults()
        return bound.arguments


SKIP = object()  # what `observe` returns for a call that is not lineage (pandas reading a buffer)


@dataclass(frozen=True)
class Capture:
    """What a wrapped function records. `describe` None: it records nothing and only hides the calls it makes."""

    activity: str
    describe: Callable[[Call, ActivityFact], None] | None = None
    observe: Callable[[Call], Any] | None = None  # user-thread reads, kept in `Call.seen`; SKIP records nothing
    holds: bool = False  # the call brings its inputs' data into the process
    python_built: bool = False  # what the call writes was built in Python
    collects_nested: bool = False  # the captured calls it makes are kept in `Call.nested` instead of passing unseen


@dataclass(frozen=True)
class Library:
    """What every capture of one library shares: its name in error kinds, and the run context it adds."""

    name: str
    context: Callable[[Call], dict[str, Any]]


_QUIET = object()  # "inside a captured call that keeps nothing of the calls it makes"
_current: contextvars.ContextVar[Any] = contextvars.ContextVar("lineage_nb_captured_call", default=None)


def captured(original: Callable[..., Any], capture: Capture, library: Library, switch: Switch, kind: str) -> Callable[..., Any]:
    """Wrap `original`: outside another captured call, and while `switch` is on, record one child run for it."""
    signature = inspect.signature(original)
    positions = {name: index for index, name in enumerate(signature.parameters)}

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = _current.get() if switch.on else _QUIET
        if outer is _QUIET or (outer is not None and capture.describe is None):
            return original(*args, **kwargs)  # switched off, or inside a call that keeps nothing of the calls it makes
        call = Call(capture.activity, positions, signature, args, kwargs)
        if outer is not None:  # inside a call that collects the calls it makes
            call.result = original(*args, **kwargs)
            outer.nested.append(call)
            return call.result
        token = _current.set(call if capture.collects_nested else _QUIET)
        started_at = utcnow()
        try:
            result = call.result = original(*args, **kwargs)
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            _current.reset(token)
            if capture.describe is not None:
                _record(call, capture, library, kind, started_at)
        return result

    wrapper.__lineage_nb_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _record(call: Call, capture: Capture, library: Library, kind: str, started_at: Any) -> None:
    if call.error is None:
        get_emitter().raise_pending_error()  # strict mode: an earlier call's failure in the emitter thread surfaces here
    try:  # the guard, written out: errors.guarded's context manager costs a tiny pandas read too much
        if capture.observe is not None:
            call.seen = capture.observe(call)
            if call.seen is SKIP:
                return
        session = current_session()
        fact = ActivityFact(capture.activity, context=session.context(**library.context(call)),
                            holds=capture.holds, python_built=capture.python_built)
        session.record(fact, call.error, started_at, prepare=functools.partial(_describe_in_background, capture.describe, call, fact, kind))
    except Exception as exc:  # noqa: BLE001
        errors.report(kind, exc)


def _describe_in_background(describe: Callable[[Call, ActivityFact], None], call: Call, fact: ActivityFact, kind: str) -> None:
    """Fill the fact in the emitter thread, before its run's events are built; library calls made meanwhile are not captured."""
    token = _current.set(_QUIET)
    try:
        with errors.guarded(kind):
            describe(call, fact)
            fact.inputs, fact.outputs = distinct(fact.inputs), distinct(fact.outputs)
    finally:
        _current.reset(token)


def distinct(artifacts: list[ArtifactFact]) -> list[ArtifactFact]:
    """One entry per artifact (MLflow's evaluate logs the same dataset and model once per metric)."""
    seen: dict[tuple[Any, ...], ArtifactFact] = {}
    for artifact in artifacts:
        seen.setdefault((artifact.namespace, artifact.name, artifact.location), artifact)
    return list(seen.values())


def wrapper_for(library: Library, captures: dict[Target, Capture]) -> Callable[[Target, Callable[..., Any], Switch], Callable[..., Any]]:
    """The `wrap` that `Patches.apply` calls for each target of a library."""

    def wrap(target: Target, original: Callable[..., Any], switch: Switch) -> Callable[..., Any]:
        capture = captures[target]
        return captured(original, capture, library, switch, f"{library.name} {capture.activity.rsplit('.', 1)[-1]}")

    return wrap


class PatchHook:
    """A hook made of patches on one library's functions: the `install`/`uninstall`/`is_installed` of a hook module."""

    def __init__(self, library: Library, captures: dict[Target, Capture]) -> None:
        self.library = library
        self.captures = captures
        self.patches = Patches(library.name)
        self._warned = False

    def install(self) -> bool:
        """Patch every target, or none when this version of the library does not look like the one we know."""
        if not settings().enabled:
            return False
        if self.patches.installed:
            return True
        targets = tuple(self.captures)
        unsupported = self.patches.unsupported(targets)
        if unsupported:
            if not self._warned:
                self._warned = True
                version = getattr(sys.modules.get(self.library.name), "__version__", "?")
                errors.logger.warning("%s %s is not supported by lineage capture (changed: %s); its calls are not captured",
                                      self.library.name, version, ", ".join(unsupported))
            return False
        self.patches.apply(targets, wrapper_for(self.library, self.captures))
        return True

    def uninstall(self) -> None:
        self.patches.remove()

    def is_installed(self) -> bool:
        return self.patches.installed

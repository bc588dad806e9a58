"""The one place lineage failures go: logged once per kind, counted, raised only when asked to.

Lineage must never break the user's workload, so every hook and the emitter route their
exceptions here instead of letting them propagate.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections import Counter
from typing import Any, Callable, Iterator, TypeVar

from lineage_nb.core.settings import settings

logger = logging.getLogger("lineage_nb")
_lock = threading.Lock()
_counts: Counter[str] = Counter()
_last_messages: dict[str, str] = {}

F = TypeVar("F", bound=Callable[..., Any])


class UnusableStore(RuntimeError):
    """A store or endpoint that cannot be used (missing, corrupt, unreachable); the message is one line, fit for a user."""


class LineageError(RuntimeError):
    """Raised to the caller only when LINEAGE_NB_IGNORE_ERRORS=false."""


def report(kind: str, exc: BaseException) -> None:
    """Count a failure; log it the first time this kind is seen; raise it in strict mode."""
    from lineage_nb.core.naming import redact_text

    message = redact_text(f"{type(exc).__name__}: {exc}")
    with _lock:
        first = _counts[kind] == 0
        _counts[kind] += 1
        _last_messages[kind] = message
    if first:
        logger.warning("lineage capture failed (%s): %s; further %s failures are counted, not logged", kind, message, kind)
    if not settings().ignore_errors:
        raise LineageError(f"lineage {kind} failed: {message}") from exc


@contextlib.contextmanager
def guarded(kind: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - this is the guard
        report(kind, exc)


def guard(kind: str, default: Any = None) -> Callable[[F], F]:
    """Decorator form of `guarded`; the wrapped function returns `default` on failure."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001
                report(kind, exc)
                return default

        return wrapper  # type: ignore[return-value]

    return decorate


def error_counts() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def last_errors() -> dict[str, str]:
    with _lock:
        return dict(_last_messages)


def reset() -> None:
    with _lock:
        _counts.clear()
        _last_messages.clear()

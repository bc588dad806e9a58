"""Side-by-side timing of a library call with lineage capture off, on, and on with events stored after the block.

Shared by the MLflow and pandas overhead benchmarks. Blocks alternate between the states and each
round rotates which state goes first, so drift and background load hit every state alike. The
emitter is flushed between blocks, outside the timing, so one state's queued events are not written
while another state is timed. The third state swaps in an emitter whose thread runs only while
flushing: the hook's own user-thread cost, without the emitter's concurrent work.

Reported per call: median milliseconds off and on, the added milliseconds (difference of the
medians) and the ratio on/off, in wall-clock time and in the user thread's own CPU time
(`time.thread_time`). The two differ when the emitter thread, building and storing the events of
earlier calls, holds the GIL while the user's thread waits for it.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

STATES = ("off", "on", "on_deferred")


def timed_block(call: Callable[[int], object], calls: int, counter: list[int]) -> list[tuple[float, float]]:
    """(wall ms, this thread's CPU ms) per call."""
    times = []
    for _ in range(calls):
        counter[0] += 1
        start, start_cpu = time.perf_counter(), time.thread_time()
        call(counter[0])
        times.append(((time.perf_counter() - start) * 1000, (time.thread_time() - start_cpu) * 1000))
    return times


def deferred_emitter() -> Any:
    """An emitter whose thread runs only while flushing: events of a timed block are built and stored after the block."""
    from lineage_nb.runtime.emitter import Emitter

    emitter = Emitter()
    queue = emitter._queue
    start_thread = queue._ensure_thread
    queue._ensure_thread = lambda: None  # put() no longer starts the thread
    flush = emitter.flush

    def flush_then_stop(timeout: float = 10.0) -> bool:
        start_thread()
        try:
            return flush(timeout)
        finally:
            queue.close(timeout)  # empty after the flush: the thread just ends

    emitter.flush = flush_then_stop
    return emitter


def switcher(hook: Any) -> Callable[[str], None]:
    """Switch between the states by installing and uninstalling one hook module and swapping emitters."""
    from lineage_nb.runtime import emitter

    normal, deferred = emitter.get_emitter(), deferred_emitter()

    def switch(state: str) -> None:
        emitter.set_emitter(deferred if state == "on_deferred" else normal)
        if state == "off":
            hook.uninstall()
        else:
            assert hook.install()

    def restore() -> None:
        hook.uninstall()
        emitter.set_emitter(normal)

    switch.restore = restore  # type: ignore[attr-defined]
    return switch


def compare(name: str, call: Callable[[int], object], rounds: int, calls: int, switch: Callable[[str], None], target_ms: float) -> dict:
    import lineage_nb

    samples: dict[str, list[tuple[float, float]]] = {state: [] for state in STATES}
    counter = [0]
    for state in STATES:  # warm caches and imports in every path before timing
        switch(state)
        call(0)
    for round_number in range(rounds):
        order = STATES[round_number % 3:] + STATES[: round_number % 3]
        for state in order:
            switch(state)
            samples[state] += timed_block(call, calls, counter)
            lineage_nb.flush(timeout=60)
    return _summary(name, samples, target_ms)


def _summary(name: str, samples: dict[str, list[tuple[float, float]]], target_ms: float) -> dict:
    off, on, deferred = (statistics.median(wall for wall, _ in samples[state]) for state in STATES)
    off_cpu, on_cpu, deferred_cpu = (statistics.median(cpu for _, cpu in samples[state]) for state in STATES)
    result = {
        "call": name,
        "calls_per_state": len(samples["on"]),
        "median_ms_off": round(off, 4),
        "median_ms_on": round(on, 4),
        "added_ms": round(on - off, 4),
        "ratio": round(on / off, 4),
        "user_thread_cpu_ms_off": round(off_cpu, 4),
        "user_thread_cpu_ms_on": round(on_cpu, 4),
        "user_thread_cpu_added_ms": round(on_cpu - off_cpu, 4),
        "within_target": on - off <= target_ms,
        "median_ms_on_events_stored_after_block": round(deferred, 4),
        "added_ms_events_stored_after_block": round(deferred - off, 4),
        "user_thread_cpu_added_ms_events_stored_after_block": round(deferred_cpu - off_cpu, 4),
    }
    print(json.dumps(result), flush=True)
    return result


def write_report(path: Path, benchmark: str, target_ms: float, results: list[dict], versions: dict[str, str]) -> None:
    report = {
        "benchmark": benchmark,
        "target_added_ms": target_ms,
        "results": results,
        "environment": {
            "python": platform.python_version(),
            **versions,
            "cpus": os.cpu_count(),
            "load_average_1m": os.getloadavg()[0],
            "switch_interval_s": sys.getswitchinterval(),
            "platform": platform.platform(),
        },
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")


def compare_interleaved(name: str, plain: Callable[[int], object], hooked: Callable[[int], object], calls: int, target_ms: float) -> dict:
    """Per call, not per block: the original function and its wrapper alternate call by call (and the
    wrapper with events stored later), so a loaded machine slows every state alike. For hooks whose
    wrapper is the call itself (pandas); the emitter is flushed every FLUSH_EVERY calls, outside the timing."""
    import lineage_nb
    from lineage_nb.runtime import emitter

    normal, deferred = emitter.get_emitter(), deferred_emitter()
    calls_by_state = {"off": plain, "on": hooked, "on_deferred": hooked}
    samples: dict[str, list[tuple[float, float]]] = {state: [] for state in STATES}
    counter = [0]
    for state in STATES:
        calls_by_state[state](0)
    for index in range(calls):
        for state in STATES[index % 3:] + STATES[: index % 3]:
            emitter.set_emitter(deferred if state == "on_deferred" else normal)
            samples[state] += timed_block(calls_by_state[state], 1, counter)
        if index % FLUSH_EVERY == FLUSH_EVERY - 1:
            emitter.set_emitter(deferred)
            deferred.flush(60)
            emitter.set_emitter(normal)
            lineage_nb.flush(timeout=60)
    emitter.set_emitter(deferred)
    deferred.flush(60)
    emitter.set_emitter(normal)
    return _summary(name, samples, target_ms)


FLUSH_EVERY = 100

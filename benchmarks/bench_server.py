"""Load test of `lineage-nb serve` on loopback: sustained events/s, latency percentiles, zero lost events.

The server runs as `lineage-nb serve` in its own process over a fresh store. A load process
(aiohttp, many requests in flight) posts single events to /api/v1/lineage, then batches to
/api/v1/lineage/batch, each for --seconds. Afterwards every acknowledged event must be in the store.

Anchor: openlineage-python's synchronous http transport blocks its caller for a round trip per
event; the forwarder the emitter uses returns at once. Both are timed side by side, interleaved.

    .venv/bin/python benchmarks/bench_server.py [--seconds 60] [--store URL]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "server.json"
PYTHON = sys.executable
TOKEN = "bench-token"


def _event(number: int, run_id: str) -> dict:
    """The number-th run of one of 500 jobs, each reading one of 100 raw datasets and writing its
    own output, as scheduled jobs do: run-level rows are new, job-level edges repeat."""
    job = number % 500
    return {
        "eventType": "COMPLETE",
        "eventTime": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "producer": "https://github.com/lineage-nb/bench",
        "run": {"runId": run_id},
        "job": {"namespace": "bench", "name": f"job-{job}"},
        "inputs": [{"namespace": "s3://bench", "name": f"raw/{job % 100}"}],
        "outputs": [{"namespace": "s3://bench", "name": f"out/{job}"}],
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(store: str, port: int) -> subprocess.Popen:
    env = os.environ | {"LINEAGE_NB_TOKEN": TOKEN}
    process = subprocess.Popen([PYTHON, "-m", "lineage_nb.cli", "--store", store, "serve", "--port", str(port)], env=env)
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/status", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


async def _load(url: str, seconds: float, batch: int, concurrency: int) -> dict:
    import aiohttp

    latencies: list[float] = []
    acknowledged = failed = 0
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    path = "/api/v1/lineage/batch" if batch > 1 else "/api/v1/lineage"
    counter = iter(range(10**9))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal acknowledged, failed
        while time.monotonic() < stop_at:
            events = [_event(next(counter), str(uuid.uuid4())) for _ in range(batch)]
            body = json.dumps(events if batch > 1 else events[0])
            started = time.perf_counter()
            async with session.post(url + path, data=body, headers=headers) as response:
                await response.read()
                ok = response.status in (200, 201)
            latencies.append(time.perf_counter() - started)
            if ok:
                acknowledged += batch
            else:
                failed += batch

    connector = aiohttp.TCPConnector(limit=concurrency)
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "mode": "batch" if batch > 1 else "single",
        "events_per_request": batch,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "acknowledged_events": acknowledged,
        "failed_events": failed,
        "events_per_second": round(acknowledged / elapsed),
        "latency_ms": {
            "p50": round(1000 * latencies[len(latencies) // 2], 2),
            "p99": round(1000 * latencies[int(len(latencies) * 0.99)], 2),
            "max": round(1000 * latencies[-1], 2),
        },
    }


def _stored_events(store: str) -> int:
    from lineage_nb.store import open_store

    with open_store(store) as opened:
        return opened.counts()["events"]


def caller_blocking(url: str, rounds: int = 7, events: int = 200) -> dict:
    """Per-event time on the caller's thread: synchronous http transport vs the forwarder, interleaved."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.serde import Serde  # noqa: F401 - the transport serialises with it
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

    from lineage_nb.runtime.sinks.openlineage import Forwarder

    def client() -> OpenLineageClient:
        return OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, auth=ApiKeyTokenProvider({"apiKey": TOKEN}))))

    sync_client = client()
    forwarder = Forwarder(client)
    sync_us, forward_us = [], []
    for _ in range(rounds):
        batch = [_event(i, str(uuid.uuid4())) for i in range(events)]
        started = time.perf_counter()
        for event in batch:
            sync_client.transport.emit(event)
        sync_us.append(1e6 * (time.perf_counter() - started) / events)
        batch = [_event(i, str(uuid.uuid4())) for i in range(events)]
        started = time.perf_counter()
        for event in batch:
            forwarder.forward([event])
        forward_us.append(1e6 * (time.perf_counter() - started) / events)
        assert forwarder.flush(60), "the forwarder did not deliver"
    forwarder.close()
    sync_median, forward_median = statistics.median(sync_us), statistics.median(forward_us)
    return {
        "events_per_round": events,
        "rounds": rounds,
        "sync_http_transport_us_per_event_median": round(sync_median, 1),
        "forwarder_us_per_event_median": round(forward_median, 1),
        "caller_time_ratio_sync_over_forwarder": round(sync_median / forward_median, 1),
        "forwarder_sent": forwarder.sent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--store", help="store URL (default: a fresh SQLite file)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=100)
    options = parser.parse_args()
    store = options.store or str(Path(tempfile.mkdtemp(prefix="lineage-bench-")) / "lineage.db")
    port = _free_port()
    server = start_server(store, port)
    url = f"http://127.0.0.1:{port}"
    try:
        runs = []
        for batch in (1, options.batch_size):
            before = _stored_events(store)
            result = asyncio.run(_load(url, options.seconds, batch, options.concurrency))
            result["stored_events"] = _stored_events(store) - before
            result["lost_events"] = result["acknowledged_events"] - result["stored_events"]
            runs.append(result)
            print(json.dumps(result), flush=True)
        anchor = caller_blocking(url)
        print(json.dumps(anchor), flush=True)
    finally:
        server.terminate()
        server.wait(30)
    report = {
        "benchmark": "lineage-nb serve, loopback",
        "store": "sqlite" if not options.store else options.store.split("://")[0],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average_1_5_15_at_end": os.getloadavg()},
        "target_events_per_second": 2000,
        "runs": runs,
        "caller_blocking": anchor,
        "passed": all(r["events_per_second"] >= 2000 and r["lost_events"] == 0 and r["failed_events"] == 0 for r in runs),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}: passed={report['passed']}")


if __name__ == "__main__":
    main()

"""`lineage-nb serve`: openlineage-python's own http transport as the client, real uvicorn on loopback.

Also the read API (the CLI with --store http://...) and the forwarder the emitter uses when
OPENLINEAGE_URL is set, against this server, a server answering 500 and a closed port.
"""
import gzip
import json
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
import uvicorn
from conftest import FIXTURES
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport
from pg import free_port
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from lineage_nb.commands.run import build_parser, run
from lineage_nb.core import errors
from lineage_nb.http import server
from lineage_nb.query import sql as queries
from lineage_nb.query.local import LocalQueryService
from lineage_nb.query.remote import RemoteQueryService
from lineage_nb.runtime.emitter import Emitter
from lineage_nb.runtime.sinks import Outgoing
from lineage_nb.runtime.sinks.openlineage import OpenLineageSink
from lineage_nb.store import StoreError, open_store

TOKEN = "team-token-123"
FOOD = FIXTURES / "marquez-food-delivery.json"


class Running:
    """An ASGI app served by uvicorn in a thread on a free loopback port."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def served(store_url):
    """The endpoint over a fresh store (SQLite and PostgreSQL), with a token required."""
    with open_store(store_url, create=True) as store, Running(server.create_app(store, TOKEN)) as running:
        running.store_url = store_url
        yield running


def _client(url, token=TOKEN, **config):
    auth = ApiKeyTokenProvider({"apiKey": token}) if token else None
    http = HttpConfig(url=url, retry={"total": 0}, **({"auth": auth} if auth else {}), **config)
    return OpenLineageClient(transport=HttpTransport(http))


def _run_event(job="nightly", inputs=("raw",), outputs=("clean",), state=RunState.COMPLETE, run_id=None):
    return RunEvent(
        eventType=state,
        eventTime=datetime.now(timezone.utc).isoformat(),
        run=Run(runId=run_id or str(uuid.uuid4())),
        job=Job(namespace="airflow", name=job),
        producer="https://github.com/apache/airflow",
        inputs=[InputDataset(namespace="postgres://db:5432", name=n) for n in inputs],
        outputs=[OutputDataset(namespace="postgres://db:5432", name=n) for n in outputs],
    )


def test_openlineage_http_transport_events_are_durable_when_acknowledged(served):
    client = _client(served.url)
    run_id = str(uuid.uuid4())
    client.emit(_run_event(state=RunState.START, run_id=run_id))
    client.emit(_run_event(run_id=run_id))
    with open_store(served.store_url) as store:  # a fresh connection, no waiting: 2xx means committed
        assert store.counts()["events"] == 2
        workload = queries.resolve_workload(store, "nightly")
        overview = queries.workload_overview(store, workload)
    assert (workload["type"], workload["producer"]) == ("external", "https://github.com/apache/airflow")
    assert [a["name"] for a in overview["upstream"]] == ["raw"] and [a["name"] for a in overview["downstream"]] == ["clean"]
    assert overview["runs"][0]["state"] == "COMPLETE"


def test_gzip_bodies_from_the_transport_are_accepted(served):
    _client(served.url, compression=HttpCompression.GZIP).emit(_run_event(job="zipped"))
    with open_store(served.store_url) as store:
        assert queries.resolve_workload(store, "zipped")["name"] == "zipped"


def test_a_missing_or_wrong_token_is_refused(served):
    for token in (None, "wrong"):
        with pytest.raises(requests.HTTPError) as refused:
            _client(served.url, token=token).emit(_run_event())
        assert refused.value.response.status_code == 401
    assert requests.get(f"{served.url}/api/v1/datasets", timeout=5).status_code == 401
    with open_store(served.store_url) as store:
        assert store.counts()["events"] == 0


def test_batches_are_all_or_nothing_with_clear_errors(served):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    events = json.loads(FOOD.read_text())
    ok = requests.post(f"{served.url}/api/v1/lineage/batch", json=events, headers=headers, timeout=30)
    assert (ok.status_code, ok.json()) == (200, {"received": 26})
    bad = [dict(events[0], run={"runId": "not-a-uuid"}), *events[1:3], {"eventTime": "yesterday"}]
    refused = requests.post(f"{served.url}/api/v1/lineage/batch", json=bad, headers=headers, timeout=30)
    assert refused.status_code == 400
    assert refused.json()["error"] == (
        "invalid OpenLineage event: event 0: run.runId 'not-a-uuid' is not a UUID; "
        "event 3: eventTime 'yesterday' is not an ISO-8601 date-time"
    )
    cases = {
        "/api/v1/lineage": (b"{not json", "malformed JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        "/api/v1/lineage/batch": (json.dumps(events[0]).encode(), "the batch endpoint takes a JSON list of events"),
    }
    for path, (body, message) in cases.items():
        answer = requests.post(served.url + path, data=body, headers=headers, timeout=10)
        assert (answer.status_code, answer.json()) == (400, {"error": message})
    wrong_method = requests.get(f"{served.url}/api/v1/lineage", headers=headers, timeout=10)
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "POST")
    with open_store(served.store_url) as store:
        assert store.counts()["events"] == 26


def test_request_size_is_limited(served, monkeypatch):
    monkeypatch.setattr(server, "MAX_BODY_BYTES", 4_096)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    big = json.dumps([_event_dict(f"job-{i}") for i in range(40)]).encode()
    assert requests.post(f"{served.url}/api/v1/lineage/batch", data=big, headers=headers, timeout=10).status_code == 413
    chunked = requests.post(f"{served.url}/api/v1/lineage/batch", data=iter([big[:3000], big[3000:]]), headers=headers, timeout=10)
    assert chunked.status_code == 413
    bomb = gzip.compress(b"[" + b" " * 1_000_000 + b"]")
    inflated = requests.post(f"{served.url}/api/v1/lineage/batch", data=bomb, headers=headers | {"Content-Encoding": "gzip"}, timeout=10)
    assert inflated.status_code == 413


def _event_dict(job):
    from openlineage.client.serde import Serde

    return Serde.to_dict(_run_event(job=job))


def test_concurrent_writers_lose_nothing(served):
    session_headers = {"Authorization": f"Bearer {TOKEN}"}

    def post_many(worker):
        with requests.Session() as session:
            for i in range(40):
                answer = session.post(f"{served.url}/api/v1/lineage", json=_event_dict(f"w{worker}-{i}"), headers=session_headers, timeout=30)
                assert answer.status_code == 201

    threads = [threading.Thread(target=post_many, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open_store(served.store_url) as store:
        assert store.counts()["events"] == 240 and store.counts()["workloads"] == 240


def test_non_loopback_needs_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("LINEAGE_NB_TOKEN", raising=False)
    from lineage_nb.core.settings import reload_settings

    reload_settings()
    with pytest.raises(StoreError, match="LINEAGE_NB_TOKEN"):
        server.serve(str(tmp_path / "s.db"), host="0.0.0.0", port=free_port())
    assert not (tmp_path / "s.db").exists()


# ---- read API ----------------------------------------------------------------------------------
READS = (
    ["datasets", "--search", "7_days"], ["models"], ["workloads", "--search", "etl"], ["show", "public.orders_7_days"],
    ["workload", "etl_delivery_7_days"], ["graph", "public.orders", "--depth", "3", "--direction", "down"],
    ["graph", "--workload", "email_discounts"], ["impact", "public.orders"],
    ["provenance", "--namespace", "food_delivery", "--name", "public.delivery_7_days"],
)


@pytest.fixture
def token_env(monkeypatch):
    from lineage_nb.core.settings import reload_settings

    monkeypatch.setenv("LINEAGE_NB_TOKEN", TOKEN)
    reload_settings()
    yield
    monkeypatch.delenv("LINEAGE_NB_TOKEN")
    reload_settings()


def test_the_cli_reads_a_remote_store_with_the_same_answers(served, token_env):
    run(build_parser().parse_args(["--store", served.store_url, "import", str(FOOD)]))
    for argv in READS:
        local = run(build_parser().parse_args([*argv, "--json", "--store", served.store_url]))  # global option after the command
        remote = run(build_parser().parse_args(["--store", served.url, *argv, "--json"]))
        assert (remote.exit_code, remote.data) == (0, local.data), argv
    missing = run(build_parser().parse_args(["--store", served.url, "show", "public.nothing"]))
    assert missing.exit_code == 2 and missing.messages[0].startswith("no artifact 'public.nothing' in the store; closest:")
    status = run(build_parser().parse_args(["status", "--store", served.url]))
    assert status.data["store"] == served.url and status.data["store_counts"]["events"] == 26
    refused = run(build_parser().parse_args(["import", str(FOOD), "--store", served.url]))
    assert refused.exit_code == 1 and refused.messages == [f"import works on a local or PostgreSQL store, not over {served.url}"]
    counts = requests.get(f"{served.url}/api/v1/counts", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert counts.json()["events"] == 26 and "pg-secret" not in counts.text


def test_the_read_api_refuses_what_is_not_a_read(served):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    html = requests.get(f"{served.url}/api/v1/resolve_artifact", params={"ref": "x", "html": "/tmp/owned.html"}, headers=headers, timeout=10)
    assert (html.status_code, html.json()) == (400, {"error": "unknown parameter(s) for resolve_artifact: html"})
    for path in ("import_file", "export_events", "compact", "close", "__init__"):
        assert requests.get(f"{served.url}/api/v1/{path}", params={"path": "/etc/passwd"}, headers=headers, timeout=10).status_code == 404
    depth = requests.get(f"{served.url}/api/v1/graph", params={"start": "a1", "depth": "99"}, headers=headers, timeout=10)
    assert (depth.status_code, depth.json()) == (400, {"error": "graph: depth must be 1-10"})


def test_the_remote_service_answers_like_the_local_one(served):
    with open_store(served.store_url) as store:
        store.ingest(json.loads(FOOD.read_text()))
        local = LocalQueryService(store)
        start = local.resolve_artifact("public.orders")["id"]
        expected = (local.graph([start], depth=2), local.page_neighbours(start, "down", 0), local.transitive(start, "down"))
    with RemoteQueryService(served.url, token=TOKEN) as remote:
        assert remote.resolve_artifact("public.orders")["id"] == start
        assert (remote.graph([start], depth=2), remote.page_neighbours(start, "down", 0), remote.transitive(start, "down")) == expected
        assert remote.counts()["events"] == 26


def test_capture_into_an_endpoint_store_arrives_and_flush_is_truthful(served, token_env, tmp_path):
    emitter = Emitter(store_url=served.url, forward=False)
    for i in range(30):
        emitter.submit_event(_event_dict(f"captured-{i}"))
    assert emitter.flush(30) is True
    assert emitter.stats.written == 30 and emitter.stats.failed == 0
    with open_store(served.store_url) as store:
        assert store.counts()["events"] == 30
    emitter.close()
    down = Emitter(store_url=f"http://127.0.0.1:{free_port()}", forward=False)
    down.submit_event(_event_dict("lost"))
    assert down.flush(30) is False  # the endpoint is not there: the event is not stored, and flush says so
    assert down.stats.failed == 1 and errors.error_counts()["store"] >= 1
    down.close()


def test_the_widget_expands_and_selects_over_an_endpoint(served):
    from lineage_nb.notebook.widget import LineageWidget

    with open_store(served.store_url) as store:
        store.ingest(json.loads(FOOD.read_text()))
    with RemoteQueryService(served.url, token=TOKEN) as remote:
        widget = LineageWidget(remote)
        start = remote.resolve_artifact("public.orders")["id"]
        widget.show_graph([start])
        before = set(widget.view.nodes)
        expandable = next(n for n, node in widget.view.nodes.items() if node.get("expandable"))
        sent = []
        widget.send = sent.append
        widget._on_message(widget, {"type": "expand", "id": expandable}, None)
        assert sent and sent[-1]["type"] == "delta" and set(widget.view.nodes) > before
        widget._on_message(widget, {"type": "select", "id": start}, None)
        assert widget.selected == start and widget.panel["data"]["name"] == "public.orders" and widget.message == ""


# ---- forwarding from the emitter ---------------------------------------------------------------
def test_the_emitter_forwards_to_the_endpoint(served, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", served.url)
    monkeypatch.setenv("OPENLINEAGE_API_KEY", TOKEN)
    emitter = Emitter(store_url=str(tmp_path / "local.db"), forward=True)
    for i in range(30):
        emitter.submit_event(_event_dict(f"forwarded-{i}"))
    assert emitter.flush(30)
    emitter.close()
    with open_store(served.store_url) as shared, open_store(tmp_path / "local.db") as local:
        assert shared.counts()["events"] == local.counts()["events"] == 30
        forwarded, kept = list(shared.iter_events()), list(local.iter_events())
    # Forwarding goes through OpenLineageClient.emit, which adds the client's tags facet; the rest is as stored.
    assert all("tags" in event["run"]["facets"] for event in forwarded)
    for event in forwarded:
        del event["run"]["facets"]["tags"]
    assert forwarded == kept


def _failing_app(status):
    async def fail(request):
        return PlainTextResponse("down for maintenance", status_code=status)

    return Starlette(routes=[Route("/api/v1/lineage", fail, methods=["POST"])])


def _outgoing(events):
    return [Outgoing(event) for event in events]


@pytest.mark.parametrize("outage", ["500", "refused"])
def test_an_outage_never_blocks_the_caller_and_is_reported(outage, monkeypatch):
    errors.reset()
    monkeypatch.delenv("LINEAGE_NB_IGNORE_ERRORS", raising=False)
    with Running(_failing_app(500)) as failing:
        url = failing.url if outage == "500" else f"http://127.0.0.1:{free_port()}"
        forwarder = OpenLineageSink(lambda: _client(url), give_up_seconds=0.5)
        started = time.perf_counter()
        forwarder.write(_outgoing([_event_dict(f"job-{i}") for i in range(3)]))
        assert time.perf_counter() - started < 0.05
        assert forwarder.flush(10) is False
        assert (forwarder.sent, forwarder.failed) == (0, 3)
        started = time.perf_counter()
        forwarder.write(_outgoing([_event_dict("late")]))
        forwarder.close(timeout=0.2)
        assert time.perf_counter() - started < 1.5
    assert errors.error_counts()["transport"] == 4  # three given up, then the late one given up or left at close
    detail = errors.last_errors()["transport"]
    assert ("500" in detail) if outage == "500" else ("Connection" in detail)


def test_the_give_up_deadline_bounds_each_event_in_wall_clock_time():
    """openlineage-python's HTTP transport retries inside each attempt (5 times, with backoff);
    the forwarder turns that off and cuts each attempt to the time left."""
    with Running(_failing_app(503)) as failing:
        client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=failing.url)))  # the default retry settings
        forwarder = OpenLineageSink(lambda: client, give_up_seconds=1.0)
        started = time.perf_counter()
        forwarder.write(_outgoing([_event_dict("bounded")]))
        assert forwarder.flush(30) is False
        assert time.perf_counter() - started < 2.0
        forwarder.close(0.1)
    errors.reset()


def test_forwarding_applies_the_users_openlineage_filters(served, tmp_path, monkeypatch):
    config = tmp_path / "openlineage.yml"
    config.write_text(
        f"transport:\n  type: http\n  url: {served.url}\n  auth:\n    type: api_key\n    apiKey: {TOKEN}\n"
        "filters:\n  - type: exact\n    match: secret-job\n"
    )
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    emitter = Emitter(store_url=str(tmp_path / "local.db"), forward=True)
    emitter.submit_event(_event_dict("secret-job"))
    emitter.submit_event(_event_dict("public-job"))
    assert emitter.flush(30)
    emitter.close()
    assert emitter.stats.forwarded == 2  # emitted through the client, which dropped one by its filter
    with open_store(served.store_url) as shared, open_store(tmp_path / "local.db") as local:
        assert local.counts()["events"] == 2
        assert [e["job"]["name"] for e in shared.iter_events()] == ["public-job"]


def test_strict_mode_surfaces_a_transport_failure_at_flush(monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    from lineage_nb.core import settings as config
    config.reload_settings()
    try:
        forwarder = OpenLineageSink(lambda: _client(f"http://127.0.0.1:{free_port()}"), give_up_seconds=0.1)
        forwarder.write(_outgoing([_event_dict("strict")]))
        with pytest.raises(errors.LineageError, match="lineage transport failed: ConnectionError"):
            forwarder.flush(10)
        forwarder.close(0.1)
    finally:
        monkeypatch.delenv("LINEAGE_NB_IGNORE_ERRORS")
        config.reload_settings()
        errors.reset()


def test_building_the_forwarding_client_leaves_the_users_environment_alone(monkeypatch):
    import os

    from lineage_nb.runtime.sinks.openlineage import default_client

    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")
    before = dict(os.environ)
    client = default_client()
    assert dict(os.environ) == before
    assert type(client.transport).__name__ == "HttpTransport"

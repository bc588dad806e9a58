"""The same store behaviour on SQLite and PostgreSQL: every test runs against both backends.

`store_url` (tests/pg.py) is a fresh SQLite file or a fresh database on a throwaway PostgreSQL
cluster. The many-writers test runs 16 processes against one PostgreSQL store.
"""
import json
import multiprocessing
import uuid

import pytest
from conftest import FIXTURES

from lineage_nb.commands.run import build_parser, run
from lineage_nb.query import sql as queries
from lineage_nb.store import open_store
from lineage_nb.store.importer import import_file

FOOD = FIXTURES / "marquez-food-delivery.json"
PRODUCER = "https://example.com/producer"


@pytest.fixture
def store(store_url):
    with open_store(store_url, create=True) as opened:
        yield opened


def _names(entries):
    return sorted(e["name"] for e in entries)


def _event(job, inputs=(), outputs=(), state="COMPLETE", run_id=None, time="2024-05-01T10:00:00Z", namespace="ns", facets=None):
    def dataset(name):
        return {"namespace": namespace, "name": name, "facets": facets or {}}

    return {
        "eventType": state, "eventTime": time, "producer": PRODUCER,
        "run": {"runId": run_id or str(uuid.uuid4())}, "job": {"namespace": namespace, "name": job},
        "inputs": [dataset(n) for n in inputs], "outputs": [dataset(n) for n in outputs],
    }


def test_food_delivery_has_the_known_topology(store):
    report = import_file(store, FOOD)
    assert (report.accepted, report.errors) == (26, [])
    etl = queries.workload_overview(store, queries.resolve_workload(store, "etl_orders_7_days"))
    assert _names(etl["upstream"]) == ["public.categories", "public.menu_items", "public.menus", "public.orders"]
    assert _names(etl["downstream"]) == ["public.orders_7_days"]
    delivery = queries.workload_overview(store, queries.resolve_workload(store, "etl_delivery_7_days"))
    assert _names(delivery["upstream"]) == ["public.customers", "public.drivers", "public.order_status", "public.orders_7_days", "public.restaurants"]
    assert _names(delivery["downstream"]) == ["public.delivery_7_days"]
    discounts = queries.workload_overview(store, queries.resolve_workload(store, "email_discounts"))
    assert discounts["downstream"] == []
    assert (discounts["type"], discounts["producer"]) == ("external", "https://github.com/MarquezProject/marquez/blob/main/docker/metadata.json")
    orders_7 = queries.artifact_overview(store, queries.resolve_artifact(store, "public.orders_7_days"))
    assert (_names(orders_7["upstream"]), _names(orders_7["downstream"])) == (["etl_orders_7_days"], ["etl_delivery_7_days"])


def test_impact_and_provenance(store):
    import_file(store, FOOD)
    impact = queries.transitive(store, queries.resolve_artifact(store, "public.orders")["id"], "down")
    assert {a["name"] for a in impact["artifacts"]} == {
        "public.orders_7_days", "public.delivery_7_days", "public.top_delivery_times", "public.discounts", "public.popular_orders_day_of_week"}
    assert {w["name"] for w in impact["workloads"]} == {
        "etl_orders_7_days", "etl_delivery_7_days", "delivery_times_7_days", "email_discounts", "orders_popular_day_of_week"}
    provenance = queries.transitive(store, queries.resolve_artifact(store, "public.delivery_7_days")["id"], "up")
    assert {"public.orders", "public.menus", "public.orders_7_days", "public.drivers"} <= {a["name"] for a in provenance["artifacts"]}
    assert [a["distance"] for a in provenance["artifacts"]] == sorted(a["distance"] for a in provenance["artifacts"])


def test_ingest_is_idempotent(store):
    events = json.loads(FOOD.read_text())
    first = store.ingest(events)
    before = store.counts()
    start = queries.resolve_artifact(store, "public.orders_7_days")["id"]
    graph_before = queries.graph(store, [start], depth=3)
    again = store.ingest(events + events[:5])
    assert (first.accepted, again.accepted, again.duplicates) == (26, 0, 31)
    assert store.counts() == before
    assert queries.graph(store, [start], depth=3) == graph_before


def test_run_state_and_times_merge_the_same_in_any_order(store):
    run_id = str(uuid.uuid4())
    start = _event("job", ["in"], [], "START", run_id, "2024-05-01T10:00:00Z")
    running = _event("job", [], [], "RUNNING", run_id, "2024-05-01T10:00:30Z")
    done = _event("job", [], ["out"], "COMPLETE", run_id, "2024-05-01T10:01:00Z")
    store.ingest([done])
    store.ingest([running, start])
    overview = queries.workload_overview(store, queries.resolve_workload(store, "job"))
    assert overview["runs"][0] | {"context": None} == {
        "run_id": run_id, "state": "COMPLETE", "started_at": "2024-05-01T10:00:00.000000+00:00",
        "ended_at": "2024-05-01T10:01:00.000000+00:00", "activity": None, "context": None,
    }
    assert (_names(overview["upstream"]), _names(overview["downstream"])) == (["in"], ["out"])


def test_listing_search_is_literal_and_case_insensitive(store):
    import_file(store, FOOD)
    assert _names(queries.list_artifacts(store, "dataset", search="7_DAYS")) == ["public.delivery_7_days", "public.orders_7_days"]
    assert queries.list_artifacts(store, "dataset", search="%") == []
    assert _names(queries.list_artifacts(store, "dataset", created_by="etl_orders_7_days")) == ["public.orders_7_days"]
    first, second = queries.list_artifacts(store, "dataset", limit=5), queries.list_artifacts(store, "dataset", limit=5, offset=5)
    assert len(first) == 5 and not {r["id"] for r in first} & {r["id"] for r in second}


def test_listing_order_is_the_same_on_both_backends(store):
    store.ingest([_event(f"writer-{i}", [], [f"t{i}"], time="2024-05-01T10:00:00Z") for i in range(30)])
    listed = queries.list_artifacts(store, "dataset", limit=100)
    expected = sorted(listed, key=lambda r: int(r["id"][1:]))
    assert [r["name"] for r in listed] == [r["name"] for r in expected]


def test_text_a_database_cannot_hold_is_stored_the_same(store):
    """NUL characters and oversized facet values: PostgreSQL rejects what SQLite takes, so neither may see them."""
    odd = _event("nul\x00job", ["in\x00put"], ["out"], facets={"storage": {"fileFormat": "f" * 200, "storageLayer": "x"}})
    odd["job"]["facets"] = {"ownership": {"owners": [{"name": "owner\x00x"}]}}
    fine = _event("plain", ["in"], ["out"])
    report = store.ingest([odd, fine])
    assert (report.accepted, report.rejected) == (2, [])
    listed = {r["name"]: r for r in queries.list_artifacts(store, "dataset", limit=10)}
    assert set(listed) == {"in\ufffdput", "in", "out"}
    assert len(listed["in\ufffdput"]["format"]) <= 32
    assert queries.resolve_workload(store, "nul\ufffdjob")["owner"] == "owner\ufffdx"
    assert [json.loads(json.dumps(e)) for e in store.iter_events()] == [odd, fine]


def test_cli_json_answers_are_identical(tmp_path, postgres_url):
    """The command layer gives byte-identical --json on a SQLite store and a PostgreSQL store."""
    answers = []
    for url in (str(tmp_path / "lineage.db"), postgres_url):
        run(build_parser().parse_args(["--store", url, "import", str(FOOD)]))
        outputs = []
        for argv in (["datasets"], ["show", "public.orders_7_days"], ["workload", "etl_delivery_7_days"],
                     ["graph", "public.orders", "--depth", "3"], ["impact", "public.orders"], ["provenance", "public.delivery_7_days"]):
            result = run(build_parser().parse_args(["--store", url, *argv, "--json"]))
            assert result.exit_code == 0, result.messages
            outputs.append(json.dumps(result.data, sort_keys=True))
        answers.append(outputs)
    assert answers[0] == answers[1]


def test_store_location_hides_the_password(postgres_url):
    with open_store(postgres_url, create=True) as store:
        assert "pg-secret" not in store.location and "127.0.0.1" in store.location
    result = run(build_parser().parse_args(["--store", postgres_url.replace("pg-secret", "wrong"), "datasets"]))
    assert result.exit_code == 1 and "wrong" not in result.messages[0] and "password" in result.messages[0]


# ---- many writers ------------------------------------------------------------------------------
WRITERS = 16
BATCHES = 12


def _writer_events(writer: int) -> list[list[dict]]:
    """Batches that overlap across writers: shared workloads, shared artifacts, and events sent twice."""
    batches = []
    for batch in range(BATCHES):
        run_id = str(uuid.UUID(int=writer * 1_000 + batch))
        shared = str(uuid.UUID(int=10**9 + batch))
        batches.append([
            _event(f"job-{batch % 4}", [f"raw-{(batch + k) % 7}" for k in range(5)], [f"out-{writer % 3}"], "START", run_id),
            _event(f"job-{batch % 4}", [], [f"out-{writer % 3}", f"shared-{batch % 5}"], "COMPLETE", run_id, "2024-05-01T10:05:00Z"),
            _event("everyone", [f"shared-{k}" for k in range(5)], ["summary"], "COMPLETE", shared),
        ])
    return batches


def _write(url: str, writer: int, barrier) -> None:
    with open_store(url, create=True) as store:
        barrier.wait()
        for batch in _writer_events(writer):
            store.ingest(batch)


def test_sixteen_processes_write_one_postgres_store(postgres_url):
    open_store(postgres_url, create=True).close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    workers = [context.Process(target=_write, args=(postgres_url, n, barrier)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * WRITERS
    distinct = {json.dumps(e, sort_keys=True) for n in range(WRITERS) for batch in _writer_events(n) for e in batch}
    with open_store(postgres_url) as store:
        counts = store.counts()
        assert counts["events"] == len(distinct) == WRITERS * BATCHES * 2 + BATCHES
        assert counts["runs"] == WRITERS * BATCHES + BATCHES
        with store.read() as conn:
            states = dict(conn.exec_driver_sql("SELECT state, count(*) FROM runs GROUP BY state").all())
        assert states == {"COMPLETE": counts["runs"]}
        everyone = queries.workload_overview(store, queries.resolve_workload(store, "everyone"))
        assert _names(everyone["upstream"]) == [f"shared-{k}" for k in range(5)]


def _creation_events():
    """'table' is written by a failed run, then by a run whose outputs are in its START only, then again;
    'broken' only by the failed run."""
    failed, listed_in_start, again = (str(uuid.UUID(int=i)) for i in (1, 2, 3))
    return [
        _event("loader", [], ["table", "broken"], "START", failed, "2024-05-01T10:00:00Z"),
        _event("loader", [], ["table", "broken"], "FAIL", failed, "2024-05-01T10:01:00Z"),
        _event("builder", [], ["table"], "START", listed_in_start, "2024-05-01T10:02:00Z"),
        _event("builder", [], [], "COMPLETE", listed_in_start, "2024-05-01T10:03:00Z"),
        _event("rebuilder", [], ["table"], "COMPLETE", again, "2024-05-01T10:05:00Z"),
    ]


@pytest.mark.parametrize("order", ["in order", "reversed", "one per batch", "one per batch reversed"])
def test_an_artifact_is_created_by_its_first_complete_write_however_events_arrive(store, order):
    events = _creation_events()
    if "reversed" in order:
        events.reverse()
    for batch in ([e] for e in events) if "one per batch" in order else [events]:
        store.ingest(batch)
    table = queries.artifact_overview(store, queries.resolve_artifact(store, "table"))
    broken = queries.artifact_overview(store, queries.resolve_artifact(store, "broken"))
    assert (table["created_at"], table["created_by"], table["write_status"]) == ("2024-05-01T10:03:00.000000+00:00", "builder", "complete")
    assert (broken["created_at"], broken["created_by"], broken["write_status"], broken["only_failed_writes"]) == (None, None, "failed", True)
    assert _names(queries.list_artifacts(store, "dataset", created_by="builder")) == ["table"]


def test_dataset_facts_keep_the_latest_the_same_on_both_backends(store):
    def tested(success, time):
        event = _event("tests", ["t"], [], time=time)
        event["inputs"][0]["inputFacets"] = {"dataQualityAssertions": {"assertions": [{"assertion": "not_null", "column": "id", "success": success}]}}
        return event

    store.ingest([tested(False, "2024-05-01T10:00:00Z")])
    store.ingest([tested(True, "2024-05-01T11:00:00Z")])
    store.ingest([tested(False, "2024-05-01T09:00:00Z")])  # an older result arriving late changes nothing
    quality = queries.artifact_overview(store, queries.resolve_artifact(store, "t"))["quality"]
    assert [(a["assertion"], a["column"], a["success"], a["at"]) for a in quality["assertions"]] == [
        ("not_null", "id", True, "2024-05-01T11:00:00.000000+00:00")]

"""Lineage at scale, checked small: generator shapes, "+N more" paging, node caps, compaction."""
from __future__ import annotations

import collections
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from olspec import event_errors

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import generate as gen
from lineage_nb.cli import main as cli
from lineage_nb.query import sql as queries
from lineage_nb.store import open_store
from lineage_nb.store.compact import compact, folded_runs
from lineage_nb.store.derive import validate

EVENTS = 3_000
PAGE = 10
SCALE = gen.Scale(EVENTS)
SHAPES = gen.Shapes(SCALE)


@pytest.fixture(scope="module")
def events():
    return list(gen.generate(EVENTS, seed=7))


def _write_store(path: Path, events) -> Path:
    with open_store(path, create=True) as store:
        report = store.ingest(events)
    assert (report.accepted, report.rejected) == (len(events), [])
    return path


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory, events):
    """One read-only store for the query tests (tests that write make their own)."""
    with open_store(_write_store(tmp_path_factory.mktemp("scale") / "lineage.db", events)) as store:
        yield store


def _artifact(store, identity):
    return queries.resolve_artifact(store, namespace=identity[0], name=identity[1])


# ---- the generator -----------------------------------------------------------------------------
def test_generator_is_deterministic_for_a_seed(events):
    assert list(gen.generate(EVENTS, seed=7)) == events
    other = list(gen.generate(EVENTS, seed=8))
    assert len(other) == EVENTS and other[0]["run"]["runId"] != events[0]["run"]["runId"]


def test_generated_events_are_valid_openlineage(events):
    for event in events[:: len(events) // 30]:
        validate(event)
        assert event_errors(event) == []
    trainer_start = next(e for e in events if e["job"]["name"] == gen.workload_name(SHAPES.trainer)[1])
    assert event_errors(trainer_start) == []


def test_every_run_is_start_running_then_complete_or_fail(events):
    states = collections.defaultdict(list)
    for event in events:
        states[event["run"]["runId"]].append(event["eventType"])
    assert len(states) == SCALE.runs
    for sequence in states.values():
        assert sequence[:4] == ["START", "RUNNING", "RUNNING", "RUNNING"] and sequence[4] in ("COMPLETE", "FAIL")


def test_generator_has_the_promised_shapes(events):
    reads, writes, runs_of = collections.defaultdict(set), collections.defaultdict(set), collections.defaultdict(set)
    for event in events:
        job = (event["job"]["namespace"], event["job"]["name"])
        runs_of[job].add(event["run"]["runId"])
        for d in event.get("inputs", []):
            reads[(d["namespace"], d["name"])].add(job)
        for d in event.get("outputs", []):
            writes[job].add((d["namespace"], d["name"]))
    assert len(runs_of) == SCALE.workloads
    assert {len(r) for r in runs_of.values()} == {gen.RUNS_PER_WORKLOAD}
    assert len(reads[gen.SHARED_RAW]) == SCALE.fan_out
    trainer = gen.workload_name(SHAPES.trainer)
    assert sum(trainer in readers for readers in reads.values()) == SCALE.fan_in
    assert writes[trainer] == {gen.model(SHAPES.trainer)}
    cyclic = [job for job, outputs in writes.items() if any(job in reads[o] for o in outputs)]
    assert cyclic, "no workload reads and rewrites its own output"
    partitions = {name for outputs in writes.values() for _, name in outputs if "/date=" in name}
    assert len(partitions) >= SCALE.workloads // 4 * gen.RUNS_PER_WORKLOAD - gen.RUNS_PER_WORKLOAD
    # A long pipeline: the last stage of the first pipeline is PIPELINE_LENGTH - 1 hops from the first.
    provenance_chain = [gen.stage_output(w) for w in range(gen.PIPELINE_LENGTH)]
    for upstream, downstream in zip(provenance_chain, provenance_chain[1:]):
        assert any(upstream in reads and job in reads[upstream] and downstream in writes[job] for job in runs_of)


def test_scale_sizes_follow_the_issue():
    million = gen.Scale(1_000_000)
    assert (million.runs, million.workloads, million.fan_in, million.fan_out) == (200_000, 20_000, 500, 2_000)


def test_generated_file_is_cached_and_replayable(tmp_path, monkeypatch, events):
    monkeypatch.setattr(gen, "DATA_DIR", tmp_path)
    path = gen.ensure_file(EVENTS, seed=7)
    stamp = path.stat().st_mtime_ns
    assert gen.ensure_file(EVENTS, seed=7).stat().st_mtime_ns == stamp
    with path.open(encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == events


# ---- "+N more" and node caps ---------------------------------------------------------------------
def test_fan_out_pages_through_every_consumer_once(shared_store):
    raw = _artifact(shared_store, gen.SHARED_RAW)
    # The consumers are the steps that read it: workloads, and the cells of the generator's notebooks.
    consumers = queries.artifact_overview(shared_store, raw)["downstream_count"]
    assert consumers >= SCALE.fan_out
    first = queries.graph(shared_store, [raw["id"]], depth=1, direction="down", fanout=PAGE)
    shown = [e["target"] for e in first["edges"] if e["source"] == raw["id"] and not e["target"].startswith("more:")]
    more = [n for n in first["nodes"] if n["kind"] == "more"]
    assert len(shown) == PAGE and len(more) == 1 and more[0]["count"] == consumers - PAGE
    seen = list(shown)
    while more:
        page = queries.page_neighbours(shared_store, more[0]["anchor"], more[0]["flow"], more[0]["offset"], fanout=PAGE)
        reached = [e["target"] for e in page["edges"] if e["source"] == raw["id"] and not e["target"].startswith("more:")]
        seen += reached
        more = [n for n in page["nodes"] if n["kind"] == "more"]
        assert len(reached) <= PAGE
    assert len(seen) == len(set(seen)) == consumers


def test_fan_in_shows_a_more_node_with_the_rest_counted(shared_store):
    model = _artifact(shared_store, gen.model(SHAPES.trainer))
    graph = queries.graph(shared_store, [model["id"]], depth=2, direction="up", fanout=PAGE)
    trainer = next(n for n in graph["nodes"] if n["kind"] == "workload")
    more = [n for n in graph["nodes"] if n["kind"] == "more" and n["anchor"] == trainer["id"]]
    assert len(more) == 1 and more[0]["count"] == SCALE.fan_in - PAGE
    assert sum(1 for e in graph["edges"] if e["target"] == trainer["id"]) == PAGE + 1  # the datasets and the "+N more" node


@pytest.mark.parametrize("cap", [10, 40])
def test_deep_graphs_honour_the_node_cap(shared_store, cap):
    raw = _artifact(shared_store, gen.SHARED_RAW)
    graph = queries.graph(shared_store, [raw["id"]], depth=3, node_cap=cap, fanout=None)
    real = [n for n in graph["nodes"] if n["kind"] != "more"]
    assert len(real) == cap and graph["truncated"]
    impact = queries.transitive(shared_store, raw["id"], "down", node_cap=cap)
    assert len(impact["artifacts"]) + len(impact["workloads"]) == cap - 1 and impact["truncated"]


def test_provenance_of_the_fan_in_model_reaches_every_input(shared_store):
    model = _artifact(shared_store, gen.model(SHAPES.trainer))
    provenance = queries.transitive(shared_store, model["id"], "up")
    names = {(a["namespace"], a["name"]) for a in provenance["artifacts"]}
    assert set(SHAPES.fan_in_inputs) <= names and not provenance["truncated"]


# ---- compaction ----------------------------------------------------------------------------------
def _everything(store):
    """Every answer an overview, listing or graph gives, keyed by what was asked."""
    answers = {}
    for kind in ("dataset", "model"):
        answers[("list", kind)] = queries.list_artifacts(store, kind, limit=10_000)
    for row in answers[("list", "dataset")] + answers[("list", "model")]:
        artifact = queries.resolve_artifact(store, namespace=row["namespace"], name=row["name"])
        answers[("artifact", row["id"])] = queries.artifact_overview(store, artifact)
        answers[("graph", row["id"])] = queries.graph(store, [row["id"]], depth=1)
    for w in range(SCALE.workloads):
        namespace, name = gen.workload_name(w)
        workload = queries.resolve_workload(store, name, namespace)
        answers[("workload", name)] = queries.workload_overview(store, workload)
    return answers


def _without_runs(answers):
    return {key: {k: v for k, v in value.items() if k not in ("runs", "run_count")} if key[0] == "workload" else value for key, value in answers.items()}


@pytest.fixture
def compactable(tmp_path, events):
    return open_store(_write_store(tmp_path / "lineage.db", events[:1_000]))


@pytest.fixture
def compactable_anywhere(store_url, events):
    """A store on SQLite or PostgreSQL with a few runs per workload."""
    with open_store(store_url, create=True) as store:
        assert store.ingest(events[:1_000]).accepted == 1_000
        yield store


def test_keep_runs_folds_old_runs_and_every_overview_still_answers(compactable_anywhere):
    store = compactable_anywhere
    before = _everything(store)
    events_before = store.counts()["events"]
    report = compact(store, keep_runs=2)
    after = _everything(store)
    assert report.runs_folded > 0 and report.events_deleted >= report.runs_folded * gen.EVENTS_PER_RUN
    assert _without_runs(after) == _without_runs(before)
    writers = {overview["written_by_run"]["run_id"] for key, overview in after.items() if key[0] == "artifact" and overview["written_by_run"]}
    for key, overview in after.items():
        if key[0] != "workload":
            continue
        kept = overview["runs"]
        assert kept[:2] == before[key]["runs"][:2]
        assert all(run["run_id"] in writers for run in kept[2:]), "only the newest writer of an artifact outlives --keep-runs"
    assert store.counts()["events"] == events_before - report.events_deleted == sum(1 for _ in store.iter_events())
    assert folded_runs(store) == report.runs_folded
    again = compact(store, keep_runs=2)
    assert again.runs_folded == 0 and folded_runs(store) == report.runs_folded


def test_older_than_folds_by_age_only(compactable):
    store = compactable
    times = sorted(_run_times(store))
    middle = datetime.fromisoformat(times[len(times) // 2])
    report = compact(store, older_than_days=1, now=middle + timedelta(days=1))
    remaining = _run_times(store)
    assert 0 < report.runs_folded <= len(times) // 2
    assert len(remaining) == len(times) - report.runs_folded == report.runs_kept
    assert sorted(t for t in remaining if t >= times[len(times) // 2]) == times[len(times) // 2 :]
    store.close()


def _run_times(store):
    with store.read() as conn:
        return [at for (at,) in conn.exec_driver_sql("SELECT coalesce(started_at, ended_at) FROM runs")]


def test_compact_command_reports_json_and_refuses_without_a_rule(compactable, capsys):
    location = compactable.location
    compactable.close()
    assert cli.main(["--store", location, "compact", "--keep-runs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["runs_folded"] > 0 and set(report) == {"runs_folded", "run_edges_deleted", "events_deleted", "runs_kept"}
    assert cli.main(["--store", location, "compact"]) == 1
    assert "--keep-runs N or --older-than DAYS" in capsys.readouterr().err


# ---- raw payloads --------------------------------------------------------------------------------
def test_payloads_round_trip_smaller_and_old_payloads_stay_readable(events):
    import zlib

    from lineage_nb.store import payload

    canonical = [json.dumps(e, sort_keys=True, separators=(",", ":")).encode() for e in events[:200]]
    packed = [payload.compress(p) for p in canonical]
    assert [payload.decompress(p) for p in packed] == canonical
    assert sum(map(len, packed)) < 0.8 * sum(len(zlib.compress(p, 6)) for p in canonical)
    assert payload.decompress(zlib.compress(canonical[0], 6)) == canonical[0]
    foreign = zlib.compressobj(6, zdict=b"some other dictionary")
    with pytest.raises(ValueError, match="unknown compression dictionary"):
        payload.decompress(foreign.compress(canonical[0]) + foreign.flush())

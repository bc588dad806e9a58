"""Bad input gets a clear per-line error or a correct ingest: never a crash, never a partial write.

Hypothesis writes .jsonl and .json files mixing valid events with every kind of damage; the
oracle is built from how each line was made, not from the importer's code.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lineage_nb.query import sql as queries
from lineage_nb.store import open_store, storable  # storable: the store's documented U+FFFD for NUL and lone surrogates
from lineage_nb.store.importer import import_file

ACCEPT, REJECT, EITHER = "accept", "reject", "either"
FUZZ_EXAMPLES = 120


@dataclass
class Line:
    raw: bytes
    expect: str
    event: dict | None = None  # what must be in the store if this line is ingested
    run_id: str | None = None  # how to find it there
    instant: datetime | None = None  # the eventTime's instant, when the line gives one

    def __post_init__(self) -> None:
        if self.event is not None and self.run_id is None:
            self.run_id = self.event["run"]["runId"]


# ---- how lines are made ------------------------------------------------------------------------
namespaces = st.one_of(
    st.sampled_from(["file", "s3://bucket", "gs://b#frag", "hdfs://host:8020", "my namespace/with spaces", "a:b:c", "mlflow://host:5000"]),
    st.text(min_size=1, max_size=40).filter(str.strip),
)
names = st.one_of(
    st.text(min_size=1, max_size=60),
    st.sampled_from(["/data/קובץ.csv", "/data/ملف.parquet", "\u202eevil\u202c.csv", "名前/テーブル", "emoji 🎉 name", "a#b:c/d e"]),
)
instants = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: timedelta(minutes=minutes))


def _offset_text(offset: timedelta, colon: bool = True) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


@st.composite
def rfc3339_times(draw) -> tuple[str, datetime]:
    """RFC 3339 date-times, the form OpenLineage requires: these must all be accepted at the right instant."""
    instant = draw(instants)
    offset = draw(offsets)
    local = instant.astimezone(timezone(offset))
    digits = draw(st.integers(min_value=0, max_value=9))
    fraction = f"{local.microsecond:06d}{draw(st.integers(0, 999)):03d}"[:digits]
    zone = "Z" if offset == timedelta(0) and draw(st.booleans()) else _offset_text(offset)
    separator = draw(st.sampled_from(["T", "t", " "]))
    text = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + (f".{fraction}" if digits else "") + zone
    kept = int((fraction + "000000")[:6]) if digits else 0
    return text, instant.replace(microsecond=kept)


@st.composite
def other_iso_times(draw) -> tuple[str, datetime | None]:
    """Other ISO-8601 spellings: either accepted at the right instant or refused with a clear error."""
    instant = draw(instants).replace(microsecond=0)
    year, week, weekday = instant.isocalendar()
    forms = {
        "basic": (instant.strftime("%Y%m%dT%H%M%SZ"), instant),
        "no zone": (instant.strftime("%Y-%m-%dT%H:%M:%S"), instant),
        "minutes only": (instant.strftime("%Y-%m-%dT%H:%MZ"), instant.replace(second=0)),
        "week date": (f"{year}-W{week:02d}-{weekday}T{instant:%H:%M:%S}Z", instant),
        "ordinal date": (instant.strftime("%Y-%jT%H:%M:%SZ"), instant),
        "comma fraction": (instant.strftime("%Y-%m-%dT%H:%M:%S,5Z"), instant.replace(microsecond=500000)),
        "offset without colon": (instant.strftime("%Y-%m-%dT%H:%M:%S+0000"), instant),
        "date only": (instant.strftime("%Y-%m-%d"), instant.replace(hour=0, minute=0, second=0)),
        "not a time": (draw(st.sampled_from(["yesterday", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "T", ""])), None),
    }
    return forms[draw(st.sampled_from(sorted(forms)))]


def _event(namespace: str, name: str, at: str) -> dict:
    return {
        "eventType": "COMPLETE",
        "eventTime": at,
        "producer": "https://example.com/fuzz",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": namespace, "name": name},
        "inputs": [{"namespace": namespace, "name": name + "-in"}],
        "outputs": [{"namespace": namespace, "name": name}],
    }


def _encoded(event: dict) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


@st.composite
def valid_lines(draw) -> Line:
    text, instant = draw(rfc3339_times())
    event = _event(draw(namespaces), draw(names), text)
    return Line(_encoded(event), ACCEPT, event, instant=instant)


@st.composite
def iso_variant_lines(draw) -> Line:
    text, instant = draw(other_iso_times())
    event = _event("file", "/iso/variant", text)
    return Line(_encoded(event), EITHER if instant else REJECT, event, instant=instant)


# Without "run", an event with a job is a JobEvent (static lineage, as in Marquez's job_event fixture), not an error.
REQUIRED = [("eventTime",), ("producer",), ("run", "runId"), ("job",), ("job", "namespace"), ("job", "name")]
WRONG_VALUES = [None, 0, 1.5, True, [], {}, ""]


def _without(event: dict, path: tuple[str, ...]) -> dict:
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return event


def _replaced(event: dict, path: tuple[str, ...], value: object) -> dict:
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return event


@st.composite
def broken_lines(draw) -> Line:
    event = _event("ns", "broken", "2024-01-01T00:00:00Z")
    damage = draw(st.sampled_from(["truncated", "garbage", "missing", "wrong type", "bad uuid", "not utf-8", "dataset type", "not an object"]))
    if damage == "truncated":
        raw = _encoded(event)
        return Line(raw[: draw(st.integers(min_value=1, max_value=len(raw) - 1))], REJECT)
    if damage == "garbage":
        return Line(draw(st.sampled_from([b"{", b"}", b"[1,", b"{'single': 'quotes'}", b"NaN-ish", b'{"a":1}}', b"nul\x00l"])), REJECT)
    if damage == "missing":
        return Line(_encoded(_without(event, draw(st.sampled_from(REQUIRED)))), REJECT)
    if damage == "wrong type":
        return Line(_encoded(_replaced(event, draw(st.sampled_from(REQUIRED)), draw(st.sampled_from(WRONG_VALUES)))), REJECT)
    if damage == "bad uuid":
        bad = draw(st.sampled_from(["not-a-uuid", "1234", "00000000-0000-4000-8000-00000000000g", "x" * 36, "0" * 37]))
        return Line(_encoded(_replaced(event, ("run", "runId"), bad)), REJECT)
    if damage == "not utf-8":
        raw = _encoded(event)
        cut = raw.index(b"broken") + 3
        return Line(raw[:cut] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80"])) + raw[cut:], REJECT)
    if damage == "dataset type":
        return Line(_encoded(_replaced(event, ("outputs",), draw(st.sampled_from([[1], ["x"], [{"name": "no ns"}], "not a list"])))), REJECT)
    return Line(draw(st.sampled_from([b"[]", b"42", b'"text"', b"null"])), REJECT)


@st.composite
def deep_lines(draw) -> Line:
    depth = draw(st.sampled_from([1, 10, 100, 500, 900, 1_000, 5_000, 100_000]))
    event = _event("ns", "deep", "2024-01-01T00:00:00Z")
    raw = _encoded(event)
    nested = b'{"k":' * depth + b"1" + b"}" * depth
    raw = raw[:-1] + b', "run": {"runId": "' + event["run"]["runId"].encode() + b'", "facets": {"deep": ' + nested + b"}}}"
    return Line(raw, EITHER, json.loads(raw) if depth <= 500 else None, run_id=event["run"]["runId"])


UNSTORABLE_NAMES = ["nul\\u0000name", "lone \\ud800 surrogate", "reversed \\udc00\\ud800 pair", "fine \\ud83c\\udf89 pair"]


@st.composite
def escaped_name_lines(draw) -> Line:
    """Names that JSON can escape but text columns cannot hold: either refused or kept exactly."""
    template = _encoded(_event("file", "PLACEHOLDER", "2024-01-01T00:00:00Z"))
    raw = template.replace(b"PLACEHOLDER", draw(st.sampled_from(UNSTORABLE_NAMES)).encode())
    return Line(raw, EITHER, json.loads(raw))


lines_strategy = st.lists(
    st.one_of(valid_lines(), valid_lines(), iso_variant_lines(), broken_lines(), broken_lines(), deep_lines(), escaped_name_lines()),
    min_size=1,
    max_size=12,
)


# ---- the oracle ----------------------------------------------------------------------------------
def _error_lines(report, path: Path) -> dict[int, str]:
    found = {}
    for message in report.errors:
        prefix, _, reason = message.partition(": ")
        assert prefix.startswith(f"{path}:"), message
        assert reason and "\n" not in reason and "Traceback" not in reason, message
        found[int(prefix.rsplit(":", 1)[1])] = reason
    return found


def _stored(store) -> dict[str, dict]:
    return {e["run"]["runId"]: e for e in store.iter_events()}


def _check_import(lines: list[Line], path: Path, store, strict: bool = False) -> None:
    report = import_file(store, path, strict=strict)
    errors = _error_lines(report, path)
    stored = _stored(store)
    if strict and errors:
        assert report.skipped_file and stored == {}, "strict import wrote part of a file with errors"
        return
    ingested = 0
    for number, line in enumerate(lines, start=1):
        in_store = line.run_id in stored
        assert (number in errors) != in_store, (number, line.raw[:200], errors.get(number))
        if line.expect == ACCEPT:
            assert in_store, (line.raw[:200], errors.get(number))
        if line.expect == REJECT:
            assert number in errors and not in_store, line.raw[:200]
        if in_store:
            ingested += 1
            if line.event is not None:
                assert stored[line.run_id] == line.event
            if line.instant is not None:
                with store.read() as conn:
                    at = conn.exec_driver_sql("SELECT started_at, ended_at FROM runs WHERE run_uuid = ?", (line.run_id,)).one()
                assert datetime.fromisoformat(at[1]) == line.instant, (line.event["eventTime"], at)
            output = stored[line.run_id]["outputs"][0]
            found = queries.resolve_artifact(store, namespace=output["namespace"], name=output["name"])
            assert (found["namespace"], found["name"]) == tuple(storable([output["namespace"], output["name"]]))
    assert len(stored) == ingested == report.accepted


def _fresh_store(directory: str):
    return open_store(Path(directory) / "fuzz.db", create=True)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=lines_strategy, strict=st.booleans())
def test_jsonl_lines_get_a_clear_error_or_a_correct_ingest(lines, strict):
    # A file whose content starts with a JSON array is one JSON document (import tells formats by content):
    # test_a_json_document_is_ingested_whole_or_refused_with_its_line covers those.
    assume(not lines[0].raw.lstrip().startswith(b"["))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "events.jsonl"
        path.write_bytes(b"\n".join(line.raw for line in lines) + b"\n")
        with _fresh_store(directory) as store:
            _check_import(lines, path, store, strict=strict)


@settings(max_examples=FUZZ_EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(valid_lines(), min_size=1, max_size=8), damage=st.sampled_from(["none", "truncated", "not utf-8", "trailing"]))
def test_a_json_document_is_ingested_whole_or_refused_with_its_line(events, damage):
    document = b"[\n" + b",\n".join(line.raw for line in events) + b"\n]"
    if damage == "truncated":
        document = document[: len(document) // 2]
    elif damage == "not utf-8":
        document = document.replace(b"[", b"[\xff", 1)
    elif damage == "trailing":
        document += b"\n{}"
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "events.json"
        path.write_bytes(document)
        with _fresh_store(directory) as store:
            report = import_file(store, path, strict=True)
            stored = _stored(store)
            if damage == "none":
                assert not report.errors and stored == {line.event["run"]["runId"]: line.event for line in events}
            else:
                assert report.errors and stored == {}, report.errors
                assert all(e.startswith(f"{path}:") and "\n" not in e for e in report.errors)


def test_ten_megabyte_names_get_a_clear_error_and_the_rest_is_ingested(tmp_path):
    huge = "n" * (10 * 1024 * 1024)
    fine = _event("file", "/fine", "2024-01-01T00:00:00Z")
    lines = [
        Line(_encoded(_event("file", huge, "2024-01-01T00:00:00Z")), EITHER),
        Line(_encoded(_event(huge, "/x", "2024-01-01T00:00:00Z")), EITHER),
        Line(_encoded(fine), ACCEPT, fine),
    ]
    for line in lines[:2]:
        line.event = json.loads(line.raw)
    path = tmp_path / "huge.jsonl"
    path.write_bytes(b"\n".join(line.raw for line in lines))
    with open_store(tmp_path / "huge.db", create=True) as store:
        _check_import(lines, path, store)


# ---- memory: the importer streams --------------------------------------------------------------
# VmHWM, not ru_maxrss: a forked child's ru_maxrss starts at its parent's, and pytest's grows large.
PEAK_RSS = textwrap.dedent(
    """
    def peak_kib():
        with open("/proc/self/status") as status:
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
    import re, resource, sys, json
    from lineage_nb.store import importer
    from lineage_nb.store import open_store, storable  # storable: the store's documented U+FFFD for NUL and lone surrogates
    with open_store(sys.argv[2], create=True) as store:
        report = importer.import_file(store, sys.argv[1])
    print(json.dumps({"accepted": report.accepted, "errors": len(report.errors), "peak_kib": peak_kib(),
                      "worker_peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
    """
)


def _write_events_file(path: Path, megabytes: int) -> int:
    padding = "0123456789abcdef" * 160  # about 2.5 KB per event, like an event with a wide schema
    count = 0
    with path.open("w") as handle:
        while handle.tell() < megabytes * 1024 * 1024:
            event = _event("file", f"/big/part-{count % 5000}", "2024-01-01T00:00:00Z")
            event["run"]["runId"] = str(uuid.UUID(int=count))
            event["outputs"][0]["facets"] = {"pad": {"text": padding + str(count)}}
            handle.write(json.dumps(event) + "\n")
            count += 1
    return count


def _peak_rss_kib(events_file: Path, store_file: Path) -> tuple[int, dict]:
    out = subprocess.run([sys.executable, "-c", PEAK_RSS, str(events_file), str(store_file)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    return result["peak_kib"], result


def test_memory_stays_bounded_when_the_input_grows_tenfold(tmp_path):
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small_count, large_count = _write_events_file(small, 20), _write_events_file(large, 200)
    small_peak, small_result = _peak_rss_kib(small, tmp_path / "small.db")
    large_peak, large_result = _peak_rss_kib(large, tmp_path / "large.db")
    assert (small_result["accepted"], large_result["accepted"]) == (small_count, large_count)
    assert large_result["errors"] == 0
    small_worker, large_worker = small_result["worker_peak_kib"], large_result["worker_peak_kib"]
    print(
        f"import peak RSS: {small_peak // 1024} MiB for 20 MB ({small_count} events), {large_peak // 1024} MiB for 200 MB ({large_count} events); "
        f"largest worker {small_worker // 1024} and {large_worker // 1024} MiB"
    )
    several_cores = len(os.sched_getaffinity(0)) > 1
    assert (small_worker > 0) == several_cores, "the 20 MB file should be prepared in worker processes exactly when there are several cores"
    assert large_peak - small_peak < 48 * 1024, f"peak RSS {small_peak // 1024} MiB for 20 MB, {large_peak // 1024} MiB for 200 MB"
    assert large_worker - small_worker < 48 * 1024, f"worker peak RSS {small_worker // 1024} MiB for 20 MB, {large_worker // 1024} MiB for 200 MB"
    assert large_peak < 400 * 1024


def test_what_was_imported_exports_and_imports_again_unchanged(tmp_path, capsys):
    from lineage_nb.cli import main as cli
    lines = [dict(_event("file", "PLACEHOLDER", "2024-01-01T00:00:00Z"), job={"namespace": "file", "name": name}) for name in
             ("nul\x00name", "lone \ud800 surrogate", "reversed \udc00\ud800 pair", "rtl \u202eevil\u202c")]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(event) for event in lines) + "\n")
    first, second, exported = tmp_path / "first.db", tmp_path / "second.db", tmp_path / "out.jsonl"
    assert cli.main(["--store", str(first), "import", str(source)]) == 0
    assert cli.main(["--store", str(first), "export", str(exported)]) == 0
    assert cli.main(["--store", str(first), "export", "-"]) == 0
    assert cli.main(["--store", str(second), "import", str(exported)]) == 0
    with open_store(first) as before, open_store(second) as after:
        assert list(before.iter_events()) == list(after.iter_events()) == lines
    assert "Traceback" not in capsys.readouterr().err

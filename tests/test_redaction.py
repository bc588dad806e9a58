"""No secret is stored through any ingest door: `import` and `serve` redact every event first.

Hypothesis builds random OpenLineage events (random facets, nesting, text) and plants a credential,
in one of the forms people leak them, in every string field; some events also get secret-named
fields and environment variables. Then the store file (with its WAL), every decompressed payload,
`export`, the log records, every `--json` answer and the server's replies are searched byte for byte.
A redacted event keeps its meaning (the dataset `s3://KEY:SECRET@bucket/x` is `s3://bucket/x`) and
its key: the same input gives the same stored event.
"""
from __future__ import annotations

import json
import logging
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_server import Running

from lineage_nb.cli import main as cli
from lineage_nb.http import server
from lineage_nb.store import open_store
from lineage_nb.store.batch import PreparedBatch
from lineage_nb.store.encoding import canonical
from lineage_nb.store.redaction import might_hold_secrets, redact_event

MARK = "PLANTED"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SECRET_FIELDS = ["password", "apiKey", "client_secret", "AWS_SECRET_ACCESS_KEY", "sasToken", "db-password", "privateKey"]
STRUCTURAL = {"eventTime", "eventType", "runId"}  # planting here makes the event invalid: done only sometimes


@st.composite
def secrets(draw) -> str:
    return MARK + draw(st.text(ALNUM, min_size=6, max_size=14))


@st.composite
def planted(draw) -> tuple[str, str]:
    """(text holding a credential, the credential), in the forms people leak them."""
    secret = draw(secrets())
    upper = MARK + draw(st.text(UPPER, min_size=9, max_size=9))
    forms = [
        (f"s3://AKIA{upper}:{secret}@bucket/data/x.parquet", secret),
        (f"postgresql://analyst:{secret}@db.example.com:5432/sales", secret),
        (f"https://host/obj.csv?X-Amz-Algorithm=AWS4&X-Amz-Signature={secret}&v=1", secret),
        (f"https://acct.blob.core.windows.net/c/f.csv?sv=2022&sig={secret}", secret),
        (f"password={secret}", secret),
        (f'"api_key": "{secret}"', secret),
        (f"Authorization: Bearer {secret}", secret),
        (f"AKIA{upper}", f"AKIA{upper}"),
        (f"ghp_{secret}{'x' * 30}", secret),
        (f"eyJ{secret}.eyJ{secret}.{secret}", secret),
        (f"-----BEGIN RSA PRIVATE KEY-----\n{secret}\n-----END RSA PRIVATE KEY-----", secret),
        (f"CREATE SECRET s3 (TYPE S3, KEY_ID 'id', SECRET '{secret}')", secret),
    ]
    return draw(st.sampled_from(forms))


plain_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
facet_values = st.recursive(
    st.one_of(plain_text, st.integers(), st.booleans(), st.none()),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(ALNUM, min_size=1, max_size=8), children, max_size=3)),
    max_leaves=8,
)
facets = st.dictionaries(st.text(ALNUM, min_size=1, max_size=10), st.dictionaries(st.text(ALNUM, min_size=1, max_size=8), facet_values, max_size=3), max_size=3)


@st.composite
def events(draw) -> dict:
    def dataset() -> dict:
        return {"namespace": draw(st.sampled_from(["s3://bucket", "file", "postgres://db:5432"])), "name": "t" + draw(plain_text),
                "facets": draw(facets)}

    event = {
        "eventType": draw(st.sampled_from(["START", "COMPLETE", "FAIL"])),
        "eventTime": "2024-05-01T10:00:00Z",
        "producer": "https://example.com/" + draw(plain_text),
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))), "facets": draw(facets)},
        "job": {"namespace": "ns-" + draw(plain_text), "name": "job-" + draw(plain_text), "facets": draw(facets)},
        "inputs": [dataset() for _ in range(draw(st.integers(0, 2)))],
        "outputs": [dataset() for _ in range(draw(st.integers(0, 2)))],
    }
    if draw(st.booleans()):
        event["run"]["facets"]["environmentVariables"] = {"environmentVariables": [{"name": draw(st.sampled_from(SECRET_FIELDS)), "value": draw(secrets())}]}
    return event


@st.composite
def planted_events(draw) -> tuple[dict, list[str]]:
    """An event with a credential in every string field (and maybe in secret-named fields), and the credentials."""
    event, found = draw(events()), []
    spoil_structure = draw(st.booleans()) and draw(st.booleans())

    def plant(value, key=""):
        if isinstance(value, dict):
            planted_dict = {k: plant(v, k) for k, v in value.items()}
            if draw(st.integers(0, 4)) == 0:
                secret = draw(secrets())
                planted_dict[draw(st.sampled_from(SECRET_FIELDS))] = draw(st.sampled_from([secret, {"v": secret}, [secret]]))
                found.append(secret)
            return planted_dict
        if isinstance(value, list):
            return [plant(item, key) for item in value]
        if isinstance(value, str) and (key not in STRUCTURAL or spoil_structure) and key != "value":
            text, secret = draw(planted())
            found.append(secret)
            return f"{value} {text} {draw(plain_text)}" if key not in STRUCTURAL else text
        return value

    for variable in event["run"]["facets"].get("environmentVariables", {}).get("environmentVariables", []):
        found.append(variable["value"])
    return plant(event), found


def _leaks(blob: bytes, secrets_: list[str]) -> list[str]:
    return [s for s in secrets_ if s.encode() in blob or json.dumps(s)[1:-1].encode() in blob]


@given(st.lists(planted_events(), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_planted_credentials_reach_nothing_through_import_and_serve(tmp_path_factory, caplog, capsys, endpoint, planted_list):
    caplog.set_level(logging.DEBUG)
    directory = tmp_path_factory.mktemp("redaction")
    batch = [event for event, _ in planted_list]
    planted_secrets = [secret for _, found in planted_list for secret in found]
    assert planted_secrets

    events_file = directory / "events.log"
    events_file.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in batch) + "\n", encoding="utf-8")
    store = directory / "imported.db"
    cli.main(["--store", str(store), "import", str(events_file), "--json"])
    replies = [requests.post(endpoint.url + "/api/v1/lineage/batch", json=batch, timeout=30).text]
    replies += [requests.post(endpoint.url + "/api/v1/lineage", json=event, timeout=30).text for event in batch]
    outputs = []
    for target in (store, endpoint.store_path):
        for argv in (["export", str(directory / "export.jsonl")], ["datasets", "--json", "--limit", "500"],
                     ["workloads", "--json", "--limit", "500"], ["status", "--json"]):
            cli.main(["--store", str(target), *argv])
            outputs.append((directory / "export.jsonl").read_bytes() if argv[0] == "export" else b"")
        with open_store(target) as opened:
            outputs.append(json.dumps([e for e in opened.iter_events()], ensure_ascii=False).encode())
        outputs += [p.read_bytes() for p in target.parent.glob(target.name + "*")]
    captured = capsys.readouterr()
    searched = {
        "store files, payloads, exports": b"".join(outputs),
        "CLI output (--json, errors)": (captured.out + captured.err).encode(),
        "server replies": "".join(replies).encode(),
        "log records": "\n".join(r.getMessage() for r in caplog.records).encode(),
    }
    leaks = {where: _leaks(blob, planted_secrets) for where, blob in searched.items()}
    assert {where: found for where, found in leaks.items() if found} == {}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "served.db"
    with open_store(path, create=True) as store, Running(server.create_app(store)) as running:
        running.store_path = path
        yield running


@given(events())
@settings(max_examples=200, deadline=None)
def test_the_quick_check_never_lets_through_an_event_redaction_would_change(event):
    if redact_event(event) != event:
        assert might_hold_secrets(canonical(event))


@given(planted_events())
@settings(max_examples=200, deadline=None)
def test_planted_events_are_always_caught_and_redaction_is_stable(planted_event):
    event, found = planted_event
    assert might_hold_secrets(canonical(event))
    once = redact_event(event)
    assert _leaks(canonical(once), found) == []
    assert redact_event(once) == once  # nothing left to redact
    first, again = PreparedBatch(), PreparedBatch()
    for batch in (first, again):
        try:
            batch.add(event)
        except ValueError:
            pass
    assert list(first.events) == list(again.events)  # the same input, the same stored event and key


def test_a_redacted_event_keeps_its_meaning():
    secret = "PLANTEDs3cr3t"
    event = {
        "eventType": "COMPLETE", "eventTime": "2024-05-01T10:00:00Z", "producer": "https://example.com/p",
        "run": {"runId": str(uuid.uuid4()), "facets": {"environmentVariables": {"environmentVariables": [
            {"name": "AWS_SECRET_ACCESS_KEY", "value": secret}, {"name": "REGION", "value": "eu-west-1"}]}}},
        "job": {"namespace": "spark", "name": "etl", "facets": {"sql": {"query": f"SELECT * FROM t WHERE token = '{secret}'"}}},
        "inputs": [{"namespace": f"s3://AKIAPLANTEDKEY1234:{secret}@bucket", "name": "raw/x.parquet",
                    "facets": {"dataSource": {"name": "s3", "uri": f"s3://AKIAPLANTEDKEY1234:{secret}@bucket/raw/x.parquet"}}}],
        "outputs": [{"namespace": "abfss://container@account.dfs.core.windows.net", "name": f"out?sig={secret}&v=2"}],
    }
    clean = redact_event(event)
    assert clean["inputs"][0]["namespace"] == "s3://bucket"
    assert clean["inputs"][0]["facets"]["dataSource"]["uri"] == "s3://bucket/raw/x.parquet"
    assert clean["outputs"][0] == {"namespace": "abfss://container@account.dfs.core.windows.net", "name": "out?v=2"}
    assert clean["run"]["facets"]["environmentVariables"]["environmentVariables"] == [
        {"name": "AWS_SECRET_ACCESS_KEY", "value": "***"}, {"name": "REGION", "value": "eu-west-1"}]
    assert clean["job"]["facets"]["sql"]["query"] == "SELECT * FROM t WHERE token = '***'"
    assert secret not in json.dumps(clean)


def test_an_event_without_secrets_is_stored_untouched(tmp_path):
    event = {"eventType": "COMPLETE", "eventTime": "2024-05-01T10:00:00Z", "producer": "https://example.com/p",
             "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "ns", "name": "owner alice@example.com's job"},
             "outputs": [{"namespace": "file", "name": "/data/a?b c"}]}
    assert not might_hold_secrets(canonical(event))
    with open_store(tmp_path / "s.db", create=True) as store:
        store.ingest([event])
        assert list(store.iter_events()) == [event]

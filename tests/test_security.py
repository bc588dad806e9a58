"""Leak nothing: planted credentials never reach the store, an event, a log line, the CLI or an HTML export.

Secrets are planted where users really put them (URIs with user:password@, signed URLs, tracking URIs
with tokens, cell source, error messages, environment variables) and then searched for byte for byte
in everything lineage_nb wrote. Also: the store is private to its user, and wrong arguments give usage.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from urllib.parse import quote

import pytest

import lineage_nb
from lineage_nb.cli import main as cli
from lineage_nb.core import settings as config
from lineage_nb.core.facts import ActivityFact, ArtifactFact, RunContext
from lineage_nb.query import sql as queries
from lineage_nb.runtime import emitter
from lineage_nb.runtime.session import current_session

SECRETS = {
    "s3 key": "AKIAPLANTEDKEY4711",
    "s3 secret": "pLaNtEd+S3cret/Value9",
    "postgres password": "pLantedPgPassw0rd",
    "s3 signature": "5eedfacefeedbeef5eedfacefeedbeef",
    "gcs signature": "d00dc0ffeed00dc0ffee",
    "azure sas": "plantedAzureSasSig%3D",
    "mlflow token": "dapiPLANTEDtoken0042",
    "mlflow password": "pLantedMlflowPw",
    "env secret": "plantedEnvironmentSecret77",
}
S = SECRETS

LOCATIONS = [
    f"s3://{S['s3 key']}:{S['s3 secret']}@training-bucket/data/train.parquet",
    f"s3a://{S['s3 key']}:{quote(S['s3 secret'], safe='')}@training-bucket/data/valid.parquet",
    f"postgresql://analyst:{S['postgres password']}@db.example.com:5432/sales",
    f"https://bucket.s3.amazonaws.com/reports/q1.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={S['s3 key']}%2F20240101"
    f"&X-Amz-Signature={S['s3 signature']}",
    f"https://storage.googleapis.com/bucket/obj.json?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature={S['gcs signature']}",
    f"https://account.blob.core.windows.net/container/file.csv?sv=2022-11-02&sig={S['azure sas']}&se=2030-01-01",
]
TRACKING_URIS = [
    f"https://token:{S['mlflow token']}@mlflow.example.com",
    f"https://admin:{S['mlflow password']}@mlflow.example.com:5000/",
    f"databricks://profile?token={S['mlflow token']}",
]
CELL = textwrap.dedent(
    f"""
    ds = ray.data.read_parquet("{LOCATIONS[0]}")
    engine = create_engine("{LOCATIONS[2]}")
    mlflow.set_tracking_uri("{TRACKING_URIS[0]}")
    url = "{LOCATIONS[3]}"
    """
)


def _needles() -> dict[str, bytes]:
    """Each secret as it could appear in bytes: plain, URL-encoded, JSON-escaped."""
    found = {}
    for label, secret in SECRETS.items():
        for variant in {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}:
            found[f"{label} ({variant})"] = variant.encode()
    return found


def _leaks(blob: bytes) -> list[str]:
    return [label for label, needle in _needles().items() if needle in blob]


def _plant_everything(tracking_uri: str) -> None:
    session = current_session()
    session.set_cell(1, CELL)
    for location in LOCATIONS:
        session.record(ActivityFact("read", inputs=[ArtifactFact(location=location, properties={"source": location})]))
    model = ArtifactFact(
        namespace="mlflow://mlflow.example.com",
        name="m-123",
        kind="model",
        location=f"{TRACKING_URIS[0]}/models/m-123",
        aliases=[("mlflow://mlflow.example.com", f"runs:/abc/model?token={S['mlflow token']}", "MLFLOW_URI")],
    )
    context = RunContext(mlflow_tracking_uri=tracking_uri, mlflow_run_id="abc", cell_source=CELL)
    run = session.start_child_run(ActivityFact("log_model", outputs=[model], context=context))
    run.finish(error=ConnectionError(f"cannot reach {TRACKING_URIS[1]} nor {LOCATIONS[2]}"))


@pytest.fixture
def forwarded_file(tmp_path, store_path, monkeypatch):
    """Forward events through openlineage-python's file transport, so 'emitted events' are a file to search."""
    target = tmp_path / "forwarded.jsonl"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(target))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    for variable in ("AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_TOKEN", "DATABRICKS_TOKEN", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.setenv(variable, S["env secret"])
    monkeypatch.setenv("MLFLOW_TRACKING_URI", TRACKING_URIS[1])
    config.reload_settings()
    old = emitter.set_emitter(emitter.Emitter(store_url=str(store_path)))
    if old is not None:
        old.close()
    return target


def test_planted_secrets_are_found_nowhere(tmp_path, store_path, forwarded_file, caplog, capsys):
    caplog.set_level(logging.DEBUG, logger="lineage_nb")
    for tracking_uri in TRACKING_URIS:
        _plant_everything(tracking_uri)
    assert lineage_nb.flush(30)
    assert emitter.get_emitter().stats.written > 2 * len(LOCATIONS)
    assert forwarded_file.exists() and forwarded_file.stat().st_size > 0

    with lineage_nb.open_store(store_path) as store:
        events = list(store.iter_events())
        artifact = queries.resolve_artifact(store, "s3://training-bucket/data/train.parquet")
        graph = queries.graph(store, [artifact["id"]], depth=3)
        cli_outputs = []
        for argv in (["datasets", "--json"], ["models", "--json"], ["show", "s3://training-bucket/data/train.parquet", "--json"],
                     ["graph", "s3://training-bucket/data/train.parquet", "--depth", "3", "--html", str(tmp_path / "g.html")],
                     ["export", str(tmp_path / "export.jsonl")], ["status", "--json"]):
            assert cli.main(["--store", str(store_path), *argv]) == 0
        cli_outputs.append(capsys.readouterr())
    assert len(events) >= 2 * (len(LOCATIONS) + 1) * len(TRACKING_URIS)
    assert any("errorMessage" in e["run"].get("facets", {}) for e in events)

    searched = {
        "store file, -wal and -shm": b"".join(p.read_bytes() for p in store_path.parent.glob(store_path.name + "*")),
        "stored events (decompressed)": json.dumps(events).encode(),
        "store tables (SQL dump)": "\n".join(sqlite3.connect(store_path).iterdump()).encode("utf-8", "surrogatepass"),
        "forwarded events": forwarded_file.read_bytes(),
        "log records": "\n".join(r.getMessage() for r in caplog.records).encode(),
        "CLI output": "".join(o.out + o.err for o in cli_outputs).encode(),
        "HTML export": (tmp_path / "g.html").read_bytes(),
        "JSONL export": (tmp_path / "export.jsonl").read_bytes(),
        "status()": json.dumps(lineage_nb.status(), default=str).encode(),
        "graph data (widget)": json.dumps(graph).encode(),
    }
    leaks = {where: _leaks(blob) for where, blob in searched.items() if _leaks(blob)}
    planted = len(SECRETS) * len(searched)
    print(f"secrets planted: {len(SECRETS)} in {len(LOCATIONS) + len(TRACKING_URIS) + 3} places, searched in {len(searched)} outputs "
          f"({planted} secret/output pairs), found: {sum(map(len, leaks.values()))}")
    assert leaks == {}
    assert [where for where, blob in searched.items() if not blob] in ([], ["log records"])


def test_a_store_url_with_a_password_is_redacted_in_errors_logs_and_status(store_path, caplog, capsys):
    caplog.set_level(logging.DEBUG, logger="lineage_nb")
    url = f"postgresql://analyst:{S['postgres password']}@127.0.0.1:1/lineage"
    lineage_nb.enable(store=url)
    current_session().record(ActivityFact("read", inputs=[ArtifactFact(location="/data/x.csv")]))
    lineage_nb.flush(30)
    status = lineage_nb.status()
    assert status["errors"].get("store", 0) >= 1
    code = cli.main(["--store", url, "datasets"])
    output = capsys.readouterr()
    assert code != 0 and "Traceback" not in output.err
    blob = (json.dumps(status, default=str) + "\n".join(r.getMessage() for r in caplog.records) + output.out + output.err).encode()
    assert _leaks(blob) == []


PRIVATE_STORE = textwrap.dedent(
    """
    import os, sys
    os.umask(int(sys.argv[2], 8))
    from lineage_nb.store import open_store
    from lineage_nb.runtime.emitter import Emitter
    emitter = Emitter(store_url=sys.argv[1], forward=False)
    emitter.submit_event({"eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "p",
                          "run": {"runId": "00000000-0000-4000-8000-000000000001"}, "job": {"namespace": "n", "name": "j"}})
    assert emitter.flush(30)
    reader = open_store(sys.argv[1])
    reader.counts()  # a second connection keeps -wal and -shm in place
    print("ok")
    os._exit(0)
    """
)


@pytest.mark.parametrize("umask", ["000", "022"])
def test_the_store_is_private_to_its_user_whatever_the_umask(tmp_path, umask):
    store_file = tmp_path / "home" / ".lineage_nb" / "lineage.db"
    out = subprocess.run([sys.executable, "-c", PRIVATE_STORE, str(store_file), umask], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in store_file.parent.iterdir()}
    assert modes == {"lineage.db": 0o600, "lineage.db-wal": 0o600, "lineage.db-shm": 0o600}
    assert stat.S_IMODE(store_file.parent.stat().st_mode) == 0o700


BAD_CLI_ARGUMENTS = [
    [],
    ["nonsense"],
    ["graph", "--depth", "99", "x"],
    ["graph", "--direction", "sideways", "x"],
    ["datasets", "--limit", "many"],
    ["show"],
    ["show", "--namespace", "file"],
    ["workload"],
    ["impact"],
    ["import"],
    ["import", "/no/such/file.jsonl"],
    ["export"],
    ["show", "/not/captured.csv"],
    ["--store", "{corrupt}", "datasets"],
    ["--store", "{directory}", "datasets"],
    ["--store", "{missing}", "datasets"],
    ["--store", f"postgresql://u:{S['postgres password']}@127.0.0.1:1/db", "datasets"],
]


@pytest.mark.parametrize("argv", BAD_CLI_ARGUMENTS, ids=lambda argv: " ".join(argv)[:40] or "no arguments")
def test_wrong_cli_arguments_give_a_message_not_a_traceback(tmp_path, store_path, argv, capsys):
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(os.urandom(8192))
    lineage_nb.open_store(store_path, create=True).close()
    places = {"corrupt": corrupt, "directory": tmp_path, "missing": tmp_path / "nothing-here.db"}
    argv = [arg.format(**places) if arg.startswith("{") else arg for arg in argv]
    if "--store" not in argv:
        argv = ["--store", str(store_path), *argv]
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    output = capsys.readouterr()
    assert code not in (0, None)
    assert "Traceback" not in output.err + output.out
    message = (output.err + output.out).strip()
    assert message and len(message.splitlines()) <= 25, message
    assert output.err.startswith(("usage:", "lineage-nb:")) or "no such file" in output.out, message
    assert _leaks(message.encode()) == []


BAD_MAGIC_LINES = ["", "nonsense", "graph --depth 99 x", "datasets --limit many", "show", "show --namespace file",
                   "--store /no/such/dir/x.db datasets", "show /not/captured.csv"]


def test_wrong_magic_arguments_give_a_usage_message_not_a_traceback(store_path, capsys):
    from IPython.core.error import UsageError
    from IPython.testing.globalipapp import get_ipython, start_ipython

    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "lineage_nb")
    lineage_nb.open_store(store_path, create=True).close()
    for line in BAD_MAGIC_LINES:
        result = shell.run_cell(f"%lineage {line}")
        output = capsys.readouterr()
        assert "Traceback" not in output.out + output.err, (line, output)
        error = result.error_in_exec
        assert isinstance(error, UsageError) or error is None and output.out + output.err, (line, error)


def test_other_producers_secrets_are_redacted_at_import_and_serve(tmp_path, capsys, caplog):
    """Events from other producers carry the same secrets (in namespaces, names, dataSource URIs, SQL,
    environment variables); `import` and `serve` store them redacted, keeping each dataset's identity."""
    import requests
    from test_server import Running

    from lineage_nb.http import server

    caplog.set_level(logging.DEBUG, logger="lineage_nb")

    def event(location: str, index: int) -> dict:
        host_starts = location.index("@") if "@" in location else location.index("://") + 3  # a producer's split: credentials stay in the namespace
        host, _, name = location[host_starts:].partition("/")
        namespace = location[:host_starts] + host
        return {
            "eventType": "COMPLETE", "eventTime": "2024-05-01T10:00:00Z", "producer": "https://example.com/airflow",
            "run": {"runId": f"00000000-0000-4000-8000-{index:012d}", "facets": {
                "environmentVariables": {"environmentVariables": [{"name": "AWS_SECRET_ACCESS_KEY", "value": S["env secret"]}]}}},
            "job": {"namespace": "airflow", "name": f"dag.task{index}", "facets": {"sql": {"query": CELL}}},
            "outputs": [{"namespace": namespace, "name": name or "root", "facets": {"dataSource": {"name": "source", "uri": location}}}],
        }

    events = [event(location, index) for index, location in enumerate(LOCATIONS + TRACKING_URIS[:2])]
    source = tmp_path / "airflow-events.log"
    source.write_text("\n".join(json.dumps(e) for e in events))
    imported, served = tmp_path / "imported.db", tmp_path / "served.db"
    assert cli.main(["--store", str(imported), "import", str(source), "--json"]) == 0
    with lineage_nb.open_store(served, create=True) as store, Running(server.create_app(store)) as endpoint:
        assert requests.post(endpoint.url + "/api/v1/lineage/batch", json=events, timeout=30).status_code == 200
    for path in (imported, served):
        assert cli.main(["--store", str(path), "datasets", "--json"]) == 0
        assert cli.main(["--store", str(path), "export", str(tmp_path / f"{path.stem}.jsonl")]) == 0
        with lineage_nb.open_store(path) as store:
            assert queries.resolve_artifact(store, "s3://training-bucket/data/train.parquet")["namespace"] == "s3://training-bucket"
    output = capsys.readouterr()
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("*") if p.is_file() and p != source)
    blob += (output.out + output.err + "\n".join(r.getMessage() for r in caplog.records)).encode()
    assert _leaks(blob) == []
    assert _leaks(source.read_bytes())  # the secrets were there to find

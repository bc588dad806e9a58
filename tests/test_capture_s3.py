"""Ray Data against a real S3 API (a moto server on loopback): names, formats, schemas, links, and no credential anywhere.

The pipeline runs in a driver script of its own that connects to the session's Ray with the AWS
variables in its job's runtime_env, as a user's script would set them before `ray.init`: workers
started for that job read and write S3 through the environment alone.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest_ray import ray_local  # noqa: F401  (session-scoped fixture)
from olspec import event_errors, facet_errors
from pg import free_port

import lineage_nb
from lineage_nb.capture import ray_data

pytestmark = pytest.mark.usefixtures("ray_local")
BUCKET = "lineage-bucket"
ACCESS_KEY = "AKIALINEAGENBTEST0001"
SECRET_KEY = "lineage/Nb+Secret/0123456789abcdefXYZ"  # a slash and a plus, as AWS secrets have
MOTO_START_SECONDS = 60


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server on loopback, with the documented training images and nothing else."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(endpoint, server)
        _upload_images(endpoint)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(endpoint: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + MOTO_START_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, "moto server exited"
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"moto did not start within {MOTO_START_SECONDS} s")


def _upload_images(endpoint: str) -> None:
    import boto3
    from PIL import Image

    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1"
    )
    client.create_bucket(Bucket=BUCKET)
    for i in range(3):
        image = io.BytesIO()
        Image.new("RGB", (4, 4), (i * 40, 0, 0)).save(image, format="PNG")
        client.put_object(Bucket=BUCKET, Key=f"train/img{i}.png", Body=image.getvalue())


PIPELINE = """import os
import sys

import lineage_nb

assert lineage_nb.enable()
import ray

aws = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")
ray.init(runtime_env={"env_vars": {name: os.environ[name] for name in aws}}, log_to_driver=False)
bucket = sys.argv[1]
train = (
    ray.data.read_images(f"s3://{bucket}/train", include_paths=True, shuffle="files")
    .map(lambda row: {"path": row["path"], "red": int(row["image"][0, 0, 0])})
    .materialize()
)
train.write_parquet(f"s3://{bucket}/features")
ray.data.read_parquet(f"s3://{bucket}/features").select_columns(["path"]).write_csv(f"s3://{bucket}/paths_csv")
ray.data.read_csv(f"s3://{bucket}/paths_csv").write_json(f"s3://{bucket}/paths_json")
assert lineage_nb.flush(60)
print("rows", train.count())
"""


@pytest.fixture(scope="module")
def s3_run(s3_endpoint, ray_local, tmp_path_factory):
    """Run the pipeline script once; its store, its output and the events of its Ray Data runs."""
    work = tmp_path_factory.mktemp("s3")
    store_path, script = work / "store" / "lineage.db", work / "pipeline.py"
    script.write_text(PIPELINE)
    env = {
        **os.environ,
        "LINEAGE_NB_STORE": str(store_path),
        "LINEAGE_NB_LOG_LEVEL": "DEBUG",
        "RAY_ADDRESS": ray_local.get_runtime_context().gcs_address,
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": "us-east-1",
    }
    env.pop(ray_data.ENV_VAR, None)
    done = subprocess.run([sys.executable, str(script), BUCKET], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rows 3" in done.stdout
    store = lineage_nb.open_store(str(store_path))
    try:
        events = list(store.iter_events())
    finally:
        store.close()
    runs: dict[str, list[dict]] = {}
    for event in events:
        if event["run"]["facets"].get("lineageNb_execution", {}).get("activity") == ray_data.ACTIVITY:
            runs.setdefault(event["run"]["runId"], []).append(event)
    completes = [next(e for e in run if e["eventType"] == "COMPLETE") for run in runs.values()]
    return {"store_dir": store_path.parent, "events": events, "completes": completes, "logs": done.stdout + done.stderr}


def _named(datasets: list[dict]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def _schema(dataset: dict) -> list[str] | None:
    facet = dataset["facets"].get("schema")
    return [f["name"] for f in facet["fields"]] if facet else None


def test_reads_and_writes_are_named_by_bucket_and_key_with_formats_and_schemas(s3_run):
    bucket = f"s3://{BUCKET}"
    materialized, features, projected, converted = s3_run["completes"]

    assert _named(materialized["inputs"]) == [(bucket, "train")] and materialized["outputs"] == []
    (images,) = materialized["inputs"]
    assert images["facets"]["storage"]["fileFormat"] == "images"
    assert sorted(_schema(images)) == ["image", "path"], "the fused read's own schema"

    assert _named(features["inputs"]) == [(bucket, "train")], "a materialized dataset's sources"
    (written,) = features["outputs"]
    assert (written["namespace"], written["name"], _schema(written)) == (bucket, "features", ["path", "red"])
    assert (written["facets"]["storage"]["storageLayer"], written["facets"]["storage"]["fileFormat"]) == ("s3", "parquet")
    assert {c: f["inputFields"] for c, f in written["facets"]["columnLineage"]["fields"].items()} == {"path": [], "red": []}

    (features_read,) = projected["inputs"]
    assert (features_read["name"], _schema(features_read)) == ("features", None)
    columns_read = features_read["inputFacets"]["lineageNb_columnsRead"]
    assert facet_errors(columns_read) == [] and [f["name"] for f in columns_read["fields"]] == ["path"]
    (csv,) = projected["outputs"]
    assert (csv["name"], csv["facets"]["storage"]["fileFormat"], _schema(csv)) == ("paths_csv", "csv", ["path"])
    assert csv["facets"]["columnLineage"]["fields"]["path"]["inputFields"] == [
        {"namespace": bucket, "name": "features", "field": "path", "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}
    ]

    assert _named(converted["inputs"]) == [(bucket, "paths_csv")] and _schema(converted["inputs"][0]) == ["path"]
    assert _named(converted["outputs"]) == [(bucket, "paths_json")] and _schema(converted["outputs"][0]) == ["path"]
    assert converted["outputs"][0]["facets"]["storage"]["fileFormat"] == "json"
    for event in s3_run["events"]:
        assert event_errors(event) == [], event["eventType"]


def test_no_credential_reaches_the_store_the_events_or_the_logs(s3_run):
    assert s3_run["logs"], "the script logged nothing to check"
    texts = {"logs": s3_run["logs"], "events": repr(s3_run["events"])}
    for path in Path(s3_run["store_dir"]).iterdir():
        texts[path.name] = path.read_bytes().decode("latin-1")
    for where, text in texts.items():
        for secret in (ACCESS_KEY, SECRET_KEY, SECRET_KEY.split("/")[1]):
            assert secret not in text, f"{secret!r} found in {where}"

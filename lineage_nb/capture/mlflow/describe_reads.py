"""Describers of MLflow calls that bring data into the process: model loads, downloads, `load_dict` and the like."""
from __future__ import annotations

from lineage_nb.capture.mlflow.facts import artifact_location, downloaded_fact
from lineage_nb.capture.mlflow.observe import Observed
from lineage_nb.capture.recording import Call
from lineage_nb.core.facts import ActivityFact, ArtifactFact

LOAD_MODEL = "mlflow.load_model"
DOWNLOAD = "mlflow.download_artifacts"


def download_from_uri(call: Call, fact: ActivityFact) -> None:
    """`artifact_utils._download_artifact_from_uri`, which every flavor's `load_model` goes through."""
    seen: Observed = call.seen
    uri = str(call.argument("artifact_uri"))
    if call.result is None:
        fact.activity = LOAD_MODEL if uri.startswith("models:/") else DOWNLOAD
        return
    read = downloaded_fact(uri, str(call.result), seen.mlmodel, seen.tracking_uri, seen.artifact_roots)
    fact.activity = LOAD_MODEL if read.kind == "model" else DOWNLOAD
    fact.inputs = [read]


def download_artifacts(call: Call, fact: ActivityFact) -> None:
    """`mlflow.artifacts.download_artifacts(artifact_uri=... | run_id=..., artifact_path=...)`."""
    seen: Observed = call.seen
    if call.result is not None:
        fact.inputs = [downloaded_fact(call.argument("artifact_uri"), str(call.result), seen.mlmodel, seen.tracking_uri,
                                       seen.artifact_roots, call.argument("run_id"), call.argument("artifact_path"))]


def client_download(call: Call, fact: ActivityFact) -> None:
    """`MlflowClient().download_artifacts(run_id, path)`."""
    seen: Observed = call.seen
    if call.result is not None:
        fact.inputs = [downloaded_fact(None, str(call.result), seen.mlmodel, seen.tracking_uri, seen.artifact_roots,
                                       call.argument("run_id"), call.argument("path"))]


def load_artifact(call: Call, fact: ActivityFact) -> None:
    """`mlflow.artifacts.load_text`, `load_dict`, `load_image`: one artifact, by its URI."""
    seen: Observed = call.seen
    fact.inputs = [ArtifactFact(location=artifact_location(str(call.argument("artifact_uri")), seen.tracking_uri, seen.artifact_roots))]


def load_table(call: Call, fact: ActivityFact) -> None:
    """`load_table`: the table artifact of every run it read, as the downloads it made tell."""
    seen: Observed = call.seen
    fact.inputs = [
        ArtifactFact(location=artifact_location(None, seen.tracking_uri, seen.artifact_roots, download.argument("run_id"), download.argument("path")))
        for download in call.nested
        if download.activity == DOWNLOAD and download.argument("run_id") and download.argument("path")
    ]

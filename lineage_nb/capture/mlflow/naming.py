"""Names for what MLflow tracks: tracking servers, in-memory datasets, and where artifacts are stored.

- A model is `(mlflow://<tracking server>, <model id>)` whichever URI logged or loaded it; the URI
  forms used (`models:/m-..`, `runs:/<run>/<name>`, `models:/<name>/<version>`) are aliases.
- Logged and downloaded artifacts are named by where they are stored (`runs:/` resolved to the
  run's artifact root; `mlflow-artifacts:` resolved to the tracking server's artifact endpoint).
- A `log_input` dataset with no file or URI source (an in-memory pandas frame) is
  `(mlflow-dataset://<tracking server>, <dataset name>@<digest>)`: same content, same node.
"""
from __future__ import annotations

import functools
import os
import posixpath
from urllib.parse import urlsplit

from lineage_nb.core.naming import strip_credentials

ALIAS_TYPE = "MODEL_URI"
MLFLOW_ARTIFACTS_ENDPOINT = "/api/2.0/mlflow-artifacts/artifacts"


@functools.lru_cache(maxsize=64)
def tracking_namespace(tracking_uri: str) -> str:
    """A stable namespace for a tracking server, credentials stripped.

    http(s) servers are `mlflow://host:port[/path]`; local sqlite and file stores are
    `mlflow://local<absolute path>` (the same file gives the same namespace from any working
    directory); other database back ends are `mlflow://host:port/database`.
    """
    raw = tracking_uri.strip()
    if raw.lower().startswith("databricks"):
        profile = urlsplit(raw).netloc.rpartition("@")[2]
        return f"mlflow://databricks{'/' + profile if profile else ''}"
    if raw.lower().startswith("sqlite:"):  # a file path; it cannot carry credentials
        path = raw.split("?", 1)[0][len("sqlite:"):].removeprefix("//").removeprefix("/")
        return f"mlflow://local{os.path.abspath(path) if path and path != ':memory:' else '/:memory:'}"
    clean = clean_uri(raw)
    parts = urlsplit(clean)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return f"mlflow://{parts.netloc}{parts.path.rstrip('/')}"
    if scheme in ("", "file") or len(scheme) == 1:
        return f"mlflow://local{os.path.abspath(parts.path if scheme == 'file' else clean)}"
    return f"mlflow://{parts.hostname or 'localhost'}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def clean_uri(uri: str) -> str:
    """`strip_credentials` where there can be credentials; it rewrites `sqlite:///x` to `sqlite:/x`."""
    return strip_credentials(uri) if "@" in uri or "?" in uri else uri


def dataset_namespace(tracking_uri: str) -> str:
    """Where in-memory datasets logged with `log_input` live: beside the tracking server, not a model."""
    return "mlflow-dataset://" + tracking_namespace(tracking_uri).removeprefix("mlflow://")


def storage_location(artifact_uri: str, tracking_uri: str) -> str:
    """Where an artifact's bytes are, as a path or URI that `naming.dataset_name` understands."""
    clean = clean_uri(artifact_uri)
    if not clean.startswith("mlflow-artifacts:"):
        return clean
    parts = urlsplit(clean)
    server = urlsplit(clean_uri(tracking_uri))
    base = f"{server.scheme}://{server.netloc}" if not parts.netloc else f"{server.scheme or 'http'}://{parts.netloc}"
    return f"{base}{MLFLOW_ARTIFACTS_ENDPOINT}/{parts.path.lstrip('/')}"


def join(root: str | None, path: str | None) -> str:
    """`root/path` for a run's artifact root and a run-relative path."""
    if root is None:
        raise ValueError("the run has no artifact location")
    return posixpath.join(root, path.strip("/")) if path and path.strip("/") else root


def local_path(uri: str | None) -> str | None:
    """The absolute path when `uri` is an existing local path (or a file:// URI of one), else None."""
    if not uri:
        return None
    path = urlsplit(uri).path if uri.startswith("file:") else uri
    return os.path.abspath(path) if ("://" not in path and os.path.exists(path)) else None

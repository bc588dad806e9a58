"""MLflow capture: reversible patches on the few functions every model and artifact call goes through.

MLflow has no observer hook for logging or loading models, so, like MLflow's own autologging, we
wrap its choke points and keep the originals to put back:

| what                       | choke point                                                      |
|----------------------------|------------------------------------------------------------------|
| model logged (output)      | `Model.log` (every flavor's `log_model`)                         |
| model or artifact read     | `artifact_utils._download_artifact_from_uri` (rebound in every   |
| (input)                    | module that imported it by name), `mlflow.artifacts.download_    |
|                            | artifacts`, `TrackingServiceClient.download_artifacts`           |
| artifact logged (output)   | `TrackingServiceClient.log_artifact` / `log_artifacts`           |
| dataset logged as input    | `TrackingServiceClient.log_inputs`                               |
| (guard only)               | `Model.load`, which re-reads `MLmodel` after a load              |

One user call is one child run: a context variable marks "inside a captured call", so nested
calls (Model.load re-reading MLmodel, log_model's own downloads, our metadata look-ups) pass
straight through.

Naming (see also `tracking_namespace`):
- A model is `(mlflow://<tracking server>, <model id>)` whichever URI logged or loaded it; the
  id comes from `ModelInfo` when logging and from the downloaded `MLmodel` file when loading,
  so `models:/name@alias` needs no registry look-up and always names what was really loaded.
  The URI forms used (`models:/m-..`, `runs:/<run>/<name>`, `models:/<name>/<version>`, the
  URI as the user wrote it) become aliases. A model saved to a local directory and loaded from
  it has no id: it is named by its path, still as a model.
- Logged and downloaded artifacts are named by where they are stored (`runs:/` resolved to the
  run's artifact root; `mlflow-artifacts:` resolved to the tracking server's artifact endpoint).
- A `log_input` dataset with a file or URI source is named by that source, exactly as a Ray Data
  read of it is; a dataset with no such source (an in-memory pandas frame) is
  `(mlflow-dataset://<tracking server>, <dataset name>@<digest>)`: same content, same node.
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import json
import os
import posixpath
import sys
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any, Callable
from urllib.parse import urlsplit

from lineage_nb.core import errors
from lineage_nb.core.facts import ActivityFact, ArtifactFact
from lineage_nb.core.naming import strip_credentials
from lineage_nb.core.settings import settings
from lineage_nb.runtime.session import current_session, utcnow

WATCHED_MODULE = "mlflow"
MLMODEL = "MLmodel"
REGISTERED_MODEL_META = "registered_model_meta"
ALIAS_TYPE = "MODEL_URI"
MLFLOW_ARTIFACTS_ENDPOINT = "/api/2.0/mlflow-artifacts/artifacts"
MAX_CACHED = 4_096

_inside_captured_call: contextvars.ContextVar[bool] = contextvars.ContextVar("lineage_nb_mlflow_busy", default=False)


# ---- naming -------------------------------------------------------------------------------------
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


# ---- cached metadata look-ups -------------------------------------------------------------------
@dataclass(frozen=True)
class RunInfo:
    artifact_uri: str | None
    experiment_id: str | None


_runs: dict[tuple[str, str], RunInfo] = {}
_run_inputs: dict[tuple[str, str], list[ArtifactFact]] = {}  # datasets logged to a run with log_input


def run_inputs(tracking_uri: str, run_id: str | None) -> list[ArtifactFact]:
    """The datasets logged to a run so far: direct inputs of what the run logs."""
    return list(_run_inputs.get((tracking_namespace(tracking_uri), run_id), ())) if run_id else []


def run_info(tracking_uri: str, run_id: str | None) -> RunInfo:
    """A run's artifact root and experiment: from the active run when it is that run, else looked up once."""
    if not run_id:
        return RunInfo(None, None)
    import mlflow

    active = mlflow.active_run()
    if active is not None and active.info.run_id == run_id:
        return RunInfo(active.info.artifact_uri, active.info.experiment_id)
    key = (tracking_uri, run_id)
    found = _runs.get(key)
    if found is None:
        info = mlflow.MlflowClient(tracking_uri).get_run(run_id).info
        found = RunInfo(info.artifact_uri, info.experiment_id)
        if len(_runs) >= MAX_CACHED:
            _runs.clear()
        _runs[key] = found
    return found


def current_tracking_uri(explicit: str | None = None) -> str:
    import mlflow

    return explicit or mlflow.get_tracking_uri()


def _call_context(tracking_uri: str, run_id: str | None = None, experiment_id: str | None = None) -> Any:
    """The run context: the MLflow run the call belongs to (the active run unless the call names one)."""
    import mlflow

    if run_id is None:
        active = mlflow.active_run()
        run_id = active.info.run_id if active is not None else None
    if run_id and experiment_id is None:
        experiment_id = run_info(tracking_uri, run_id).experiment_id
    return current_session().context(
        mlflow_run_id=run_id,
        mlflow_experiment_id=experiment_id,
        mlflow_tracking_uri=clean_uri(tracking_uri),
        engine="mlflow",
        engine_version=sys.modules["mlflow"].__version__,
    )


# ---- facts --------------------------------------------------------------------------------------
def schema_fields(columns: Any) -> list[tuple[str, str]] | None:
    """Named columns of an MLflow schema (a list of column specs); tensors without names give none."""
    if not isinstance(columns, list):
        return None
    fields = [(str(c["name"]), str(c.get("type", ""))) for c in columns if isinstance(c, dict) and c.get("name") is not None]
    return fields or None


def model_fact(
    tracking_uri: str,
    model_id: str | None,
    run_id: str | None,
    flavors: list[str],
    input_columns: Any,
    aliases: list[str],
    location: str | None = None,
    registered: tuple[str, str | None] | None = None,
    experiment_id: str | None = None,
) -> ArtifactFact:
    namespace = tracking_namespace(tracking_uri)
    uris = ([f"models:/{model_id}"] if model_id else []) + aliases
    if registered and registered[1] is not None:
        uris.append(f"models:/{registered[0]}/{registered[1]}")
    properties: dict[str, Any] = {
        "modelId": model_id,
        "modelUri": f"models:/{model_id}" if model_id else location,
        "flavors": flavors,
        "runId": run_id,
        "experimentId": experiment_id,
        "trackingUri": clean_uri(tracking_uri),
    }
    if registered:
        properties["registeredModelName"], properties["registeredModelVersion"] = registered[0], registered[1]
    fact = ArtifactFact(
        kind="model",
        format="mlflow",
        schema=schema_fields(input_columns),
        aliases=[(namespace, uri, ALIAS_TYPE) for uri in dict.fromkeys(clean_uri(u) for u in uris)],
        properties={k: v for k, v in properties.items() if v is not None},
    )
    if model_id:
        fact.namespace, fact.name = namespace, model_id
    else:
        fact.location = location
    return fact


_mlmodels: dict[tuple[str, int, int], dict[str, Any]] = {}


def read_mlmodel(model_dir: str) -> dict[str, Any]:
    """The parsed MLmodel file of a downloaded model, cached by path, size and modification time."""
    import yaml

    path = os.path.join(model_dir, MLMODEL)
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    found = _mlmodels.get(key)
    if found is None:
        with open(path, encoding="utf-8") as handle:
            found = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        if len(_mlmodels) >= MAX_CACHED:
            _mlmodels.clear()
        _mlmodels[key] = found
    return found


def registered_name(uri: str | None, model_dir: str) -> tuple[str, str | None] | None:
    """(registered name, version) when the URI names a registered model (`models:/name/1`, `models:/name@alias`)."""
    if not uri or not uri.startswith("models:/"):
        return None
    head = uri.removeprefix("models:/").split("/")
    name, _, alias = head[0].partition("@")
    if name.startswith("m-") and not alias and len(head) == 1:
        return None
    version = head[1] if not alias and len(head) > 1 and head[1].isdigit() else None
    meta_path = os.path.join(model_dir, REGISTERED_MODEL_META)
    if version is None and os.path.isfile(meta_path):
        import yaml

        with open(meta_path, encoding="utf-8") as handle:
            meta = yaml.safe_load(handle) or {}
        if str(meta.get("model_name")) == name:
            version = str(meta.get("model_version"))
    return name, version


def downloaded_fact(uri: str | None, local_path: str, tracking_uri: str, run_id: str | None = None, path: str | None = None) -> ArtifactFact:
    """What a download read: the model when it fetched a model directory, else the artifact by its storage location."""
    if os.path.isfile(os.path.join(local_path, MLMODEL)):
        meta = read_mlmodel(local_path)
        model_run = meta.get("run_id")
        return model_fact(
            tracking_uri,
            meta.get("model_id"),
            model_run,
            sorted(meta.get("flavors") or {}),
            _json(meta.get("signature", {}).get("inputs")) if isinstance(meta.get("signature"), dict) else None,
            aliases=[uri] if uri and ":" in uri and not os.path.exists(uri) else [],
            location=os.path.abspath(uri) if uri and os.path.exists(uri) else local_path,
            registered=registered_name(uri, local_path),
            experiment_id=run_info(tracking_uri, model_run).experiment_id if meta.get("model_id") and model_run else None,
        )
    return ArtifactFact(location=artifact_location(uri, tracking_uri, run_id, path, local_path))


def artifact_location(uri: str | None, tracking_uri: str, run_id: str | None, path: str | None, local_path: str) -> str:
    if uri is None and run_id:
        return storage_location(_join(run_info(tracking_uri, run_id).artifact_uri, path), tracking_uri)
    if uri and uri.startswith("runs:/"):
        run, _, rest = uri.removeprefix("runs:/").partition("/")
        return storage_location(_join(run_info(tracking_uri, run).artifact_uri, rest), tracking_uri)
    if uri and not uri.startswith("models:/"):
        return os.path.abspath(uri) if os.path.exists(uri) else storage_location(uri, tracking_uri)
    return local_path


def _join(root: str | None, path: str | None) -> str:
    if root is None:
        raise ValueError("the run has no artifact location")
    return posixpath.join(root, path.strip("/")) if path and path.strip("/") else root


def _json(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) and text else None


def dataset_fact(dataset: Any, tracking_uri: str, context: str | None) -> ArtifactFact:
    """A `log_input` dataset: named by its file or URI source, else by name and digest."""
    source = _json(dataset.source) or {}
    location = next((source[k] for k in ("uri", "url", "path") if isinstance(source.get(k), str) and source[k]), None)
    schema = _json(dataset.schema) or {}
    properties = {
        "mlflowDatasetName": dataset.name,
        "digest": dataset.digest,
        "sourceType": dataset.source_type,
        "context": context,
    }
    fact = ArtifactFact(
        location=location,
        schema=schema_fields(schema.get("mlflow_colspec")) if isinstance(schema, dict) else None,
        properties={k: v for k, v in properties.items() if v is not None},
    )
    if location is None:
        fact.namespace, fact.name, fact.version = dataset_namespace(tracking_uri), f"{dataset.name}@{dataset.digest}", dataset.digest
    return fact


# ---- the capture wrapper ------------------------------------------------------------------------
Describe = Callable[[inspect.BoundArguments, Any, "BaseException | None"], ActivityFact]


def captured(original: Callable[..., Any], activity: str, describe: Describe | None) -> Callable[..., Any]:
    """Call `original` unchanged; outside another captured call, record one child run for it.

    `describe` builds the facts from the bound arguments and the result (None on failure). It
    runs under the guard, so MLflow calls it makes are not captured themselves.
    """
    signature = inspect.signature(original)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _inside_captured_call.get():
            return original(*args, **kwargs)
        token = _inside_captured_call.set(True)
        started_at = utcnow()
        try:
            try:
                result = original(*args, **kwargs)
            except BaseException as exc:
                if describe is not None:
                    _record(describe, signature, activity, args, kwargs, None, exc, started_at)
                raise
            if describe is not None:
                _record(describe, signature, activity, args, kwargs, result, None, started_at)
            return result
        finally:
            _inside_captured_call.reset(token)

    wrapper.__lineage_nb_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _record(
    describe: Describe,
    signature: inspect.Signature,
    activity: str,
    args: tuple,
    kwargs: dict,
    result: Any,
    error: BaseException | None,
    started_at: datetime,
) -> None:
    with errors.guarded(f"mlflow {activity}"):
        bound = signature.bind(*args, **kwargs)
        current_session().record(describe(bound, result, error), error, started_at)


# ---- what each choke point reports --------------------------------------------------------------
def describe_log_model(bound: inspect.BoundArguments, info: Any, error: BaseException | None) -> ActivityFact:
    args = bound.arguments
    tracking_uri = current_tracking_uri()
    outputs = []
    run_id = args.get("run_id")
    if info is not None:
        run_id = info.run_id
        name = args.get("name") or args.get("artifact_path")
        signature = info.signature
        registered = (args["registered_model_name"], _text(info.registered_model_version)) if args.get("registered_model_name") else None
        outputs.append(
            model_fact(
                tracking_uri,
                info.model_id,
                run_id,
                sorted(info.flavors or {}),
                signature.inputs.to_dict() if signature is not None and signature.inputs is not None else None,
                aliases=[f"runs:/{run_id}/{name}"] if run_id and name else [],
                location=info.model_uri,
                registered=registered,
                experiment_id=run_info(tracking_uri, run_id).experiment_id,
            )
        )
    return ActivityFact("mlflow.log_model", inputs=run_inputs(tracking_uri, run_id), outputs=outputs,
                        context=_call_context(tracking_uri, run_id), python_built=True)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def describe_log_artifact(bound: inspect.BoundArguments, _result: Any, error: BaseException | None) -> ActivityFact:
    client, args = bound.arguments["self"], bound.arguments
    local_path = args.get("local_path") or args.get("local_dir")
    relative = args.get("artifact_path") or ""
    if "local_path" in args:
        relative = posixpath.join(relative, os.path.basename(os.path.normpath(local_path)))
    run = run_info(client.tracking_uri, args["run_id"])
    fact = ArtifactFact(
        location=storage_location(_join(run.artifact_uri, relative), client.tracking_uri),
        properties={"mlflowRunId": args["run_id"], "artifactPath": relative or "."},
    )
    activity = "mlflow.log_artifact" if "local_path" in args else "mlflow.log_artifacts"
    return ActivityFact(activity, inputs=run_inputs(client.tracking_uri, args["run_id"]), outputs=[fact],
                        context=_call_context(client.tracking_uri, args["run_id"], run.experiment_id), python_built=True)


def describe_log_inputs(bound: inspect.BoundArguments, _result: Any, error: BaseException | None) -> ActivityFact:
    client, args = bound.arguments["self"], bound.arguments
    inputs = []
    for dataset_input in args.get("datasets") or []:
        tags = {tag.key: tag.value for tag in dataset_input.tags or []}
        inputs.append(dataset_fact(dataset_input.dataset, client.tracking_uri, tags.get("mlflow.data.context")))
    if inputs and error is None:
        _run_inputs.setdefault((tracking_namespace(client.tracking_uri), args["run_id"]), []).extend(inputs)
    namespace = tracking_namespace(client.tracking_uri)
    for model_input in args.get("models") or []:
        # no properties: a bare reference must not replace the metadata the model was logged with
        inputs.append(ArtifactFact(namespace=namespace, name=model_input.model_id, kind="model", format="mlflow"))
    return ActivityFact("mlflow.log_input", inputs=inputs, context=_call_context(client.tracking_uri, args["run_id"]))


def describe_download_from_uri(bound: inspect.BoundArguments, local_path: Any, error: BaseException | None) -> ActivityFact:
    args = bound.arguments
    tracking_uri = current_tracking_uri(args.get("tracking_uri"))
    uri = str(args["artifact_uri"])
    if local_path is None:
        activity = "mlflow.load_model" if uri.startswith("models:/") else "mlflow.download_artifacts"
        return ActivityFact(activity, context=_call_context(tracking_uri), holds=True)
    fact = downloaded_fact(uri, str(local_path), tracking_uri)
    activity = "mlflow.load_model" if fact.kind == "model" else "mlflow.download_artifacts"
    return ActivityFact(activity, inputs=[fact], context=_call_context(tracking_uri), holds=True)


def describe_download_artifacts(bound: inspect.BoundArguments, local_path: Any, error: BaseException | None) -> ActivityFact:
    args = bound.arguments
    tracking_uri = current_tracking_uri(args.get("tracking_uri"))
    inputs = []
    if local_path is not None:
        inputs.append(downloaded_fact(args.get("artifact_uri"), str(local_path), tracking_uri, args.get("run_id"), args.get("artifact_path")))
    return ActivityFact("mlflow.download_artifacts", inputs=inputs, context=_call_context(tracking_uri), holds=True)


def describe_client_download(bound: inspect.BoundArguments, local_path: Any, error: BaseException | None) -> ActivityFact:
    client, args = bound.arguments["self"], bound.arguments
    inputs = []
    if local_path is not None:
        inputs.append(downloaded_fact(None, str(local_path), client.tracking_uri, args["run_id"], args.get("path")))
    return ActivityFact("mlflow.download_artifacts", inputs=inputs, context=_call_context(client.tracking_uri), holds=True)


# ---- install / uninstall ------------------------------------------------------------------------
@dataclass
class Patch:
    owner: Any
    attribute: str
    original: Any  # as found in the owner's __dict__ (a classmethod stays a classmethod)
    replacement: Any


@dataclass(frozen=True)
class Target:
    module: str
    owner: str | None  # a class in the module, or None for a module-level function
    attribute: str
    parameters: tuple[str, ...]  # expected leading parameter names: the version check
    activity: str
    describe: Describe | None


TARGETS = (
    Target("mlflow.models.model", "Model", "log", ("cls", "artifact_path", "flavor", "registered_model_name"), "log_model", describe_log_model),
    Target("mlflow.models.model", "Model", "load", ("cls", "path"), "load_mlmodel", None),
    Target("mlflow.tracking._tracking_service.client", "TrackingServiceClient", "log_artifact", ("self", "run_id", "local_path", "artifact_path"), "log_artifact", describe_log_artifact),
    Target("mlflow.tracking._tracking_service.client", "TrackingServiceClient", "log_artifacts", ("self", "run_id", "local_dir", "artifact_path"), "log_artifacts", describe_log_artifact),
    Target("mlflow.tracking._tracking_service.client", "TrackingServiceClient", "log_inputs", ("self", "run_id", "datasets", "models"), "log_inputs", describe_log_inputs),
    Target("mlflow.tracking._tracking_service.client", "TrackingServiceClient", "download_artifacts", ("self", "run_id", "path", "dst_path"), "download_artifacts", describe_client_download),
    Target("mlflow.artifacts", None, "download_artifacts", ("artifact_uri", "run_id", "artifact_path", "dst_path", "tracking_uri"), "download_artifacts", describe_download_artifacts),
    Target("mlflow.tracking.artifact_utils", None, "_download_artifact_from_uri", ("artifact_uri", "output_path", "lineage_header_info", "tracking_uri"), "download", describe_download_from_uri),
)
REBOUND_BY_NAME = "_download_artifact_from_uri"

_patches: list[Patch] = []
_warned_unsupported = False


def _resolve(target: Target) -> tuple[Any, Any]:
    """The owner (class or module) and the raw attribute as stored on it."""
    import importlib

    module = importlib.import_module(target.module)
    owner = getattr(module, target.owner) if target.owner else module
    return owner, (vars(owner)[target.attribute] if target.owner else getattr(owner, target.attribute))


def _function(raw: Any) -> Callable[..., Any]:
    return raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw


def _supported(target: Target, raw: Any) -> bool:
    names = tuple(inspect.signature(_function(raw)).parameters)
    return names[: len(target.parameters)] == target.parameters


def install() -> bool:
    """Patch every choke point, or none when this MLflow version does not look like the one we know."""
    global _warned_unsupported
    if not settings().enabled:
        return False
    if _patches:
        return True
    resolved = [(target, *_resolve(target)) for target in TARGETS]
    unsupported = [f"{t.module}.{t.owner + '.' if t.owner else ''}{t.attribute}" for t, _, raw in resolved if not _supported(t, raw)]
    if unsupported:
        if not _warned_unsupported:
            _warned_unsupported = True
            version = getattr(sys.modules.get("mlflow"), "__version__", "?")
            errors.logger.warning("MLflow %s is not supported by lineage capture (changed: %s); MLflow calls are not captured", version, ", ".join(unsupported))
        return False
    for target, owner, raw in resolved:
        wrapped = captured(_function(raw), target.activity, target.describe)
        replacement = classmethod(wrapped) if isinstance(raw, classmethod) else wrapped
        setattr(owner, target.attribute, replacement)
        _patches.append(Patch(owner, target.attribute, raw, replacement))
        if target.attribute == REBOUND_BY_NAME:
            _rebind_everywhere(raw, replacement)
    return True


def _mlflow_modules() -> list[ModuleType]:
    # dict.copy() holds the GIL throughout; iterating sys.modules itself races other threads' imports.
    modules = sys.modules.copy()
    return [m for name, m in modules.items() if (name == "mlflow" or name.startswith("mlflow.")) and isinstance(m, ModuleType)]


def _rebind_everywhere(old: Any, new: Any) -> None:
    """Modules that did `from artifact_utils import _download_artifact_from_uri` hold their own reference.

    Modules imported after install pick up the patched function from artifact_utils by themselves.
    """
    for module in _mlflow_modules():
        if vars(module).get(REBOUND_BY_NAME) is old:
            setattr(module, REBOUND_BY_NAME, new)


def uninstall() -> None:
    """Put every original back, including the by-name copies in modules imported after install."""
    while _patches:
        patch = _patches.pop()
        if patch.owner.__dict__.get(patch.attribute) is patch.replacement:
            setattr(patch.owner, patch.attribute, patch.original)
        if patch.attribute == REBOUND_BY_NAME:
            _rebind_everywhere(patch.replacement, patch.original)
    _runs.clear()
    _run_inputs.clear()
    _mlmodels.clear()


def is_installed() -> bool:
    return bool(_patches)

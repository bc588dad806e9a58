"""Settings read once from the environment (see README, "Configuration")."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def _flag(environ: dict[str, str], key: str, default: bool) -> bool:
    raw = environ.get(key, "").strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    return default


def _number(environ: dict[str, str], key: str, default: float) -> float:
    """A positive number from the environment; a bad value is reported once and the default used."""
    raw = environ.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if value > 0:
        return value
    import logging

    logging.getLogger("lineage_nb").warning("%s=%r is not a positive number; using %s", key, raw, default)
    return default


INTEGRATIONS = ("ray", "mlflow", "pandas")
WORKER_SETTINGS = ("LINEAGE_NB_NAMESPACE", "LINEAGE_NB_STORAGE_ROOTS", "LINEAGE_NB_IGNORE_ERRORS", "LINEAGE_NB_LOG_LEVEL", "LINEAGE_NB_CAPTURE")


def _integrations(raw: str | None) -> frozenset[str]:
    """`LINEAGE_NB_CAPTURE=ray,mlflow`: the integrations to hook (default: all); unknown names are warned about."""
    if raw is None or not raw.strip():
        return frozenset(INTEGRATIONS)
    asked = {part.strip().lower() for part in raw.split(",") if part.strip()}
    unknown = asked - set(INTEGRATIONS)
    if unknown:
        import logging

        logging.getLogger("lineage_nb").warning("LINEAGE_NB_CAPTURE: unknown integration(s) %s; known: %s", ", ".join(sorted(unknown)), ", ".join(INTEGRATIONS))
    return frozenset(asked & set(INTEGRATIONS))


def default_store_path() -> Path:
    return Path.home() / ".lineage_nb" / "lineage.db"


def parse_storage_roots(raw: str) -> tuple[tuple[str, str], ...]:
    """`prefix=template,prefix2=template2` -> ((prefix, template), ...), longest prefix first."""
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        prefix, sep, template = item.partition("=")
        if sep and prefix and template:
            pairs.append((prefix.rstrip("/") or "/", template))
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


@dataclass(frozen=True)
class Settings:
    enabled: bool = True
    log_level: str = "WARNING"
    ignore_errors: bool = True
    store: str = field(default_factory=lambda: str(default_store_path()))
    namespace: str = "lineage_nb"
    storage_roots: tuple[tuple[str, str], ...] = ()
    owner: str | None = None
    project: str | None = None
    queue_size: int = 10_000
    forward_to_openlineage: bool = False
    forward_give_up_seconds: float = 10.0
    token: str | None = None
    capture: frozenset[str] = frozenset({"ray", "mlflow", "pandas"})
    # What a Ray worker inherits from its driver (capture/ray_workers.py) and what names a workload.
    inherited_workload: str | None = None
    inherited_session_run: str | None = None
    workload_type: str | None = None
    ray_job_submission_id: str | None = None
    jupyter_session_name: str | None = None
    worker_environment: tuple[tuple[str, str], ...] = ()  # what Ray workers of this driver inherit

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        return cls(
            enabled=_flag(env, "LINEAGE_NB_ENABLED", True),
            log_level=env.get("LINEAGE_NB_LOG_LEVEL", "WARNING").upper(),
            ignore_errors=_flag(env, "LINEAGE_NB_IGNORE_ERRORS", True),
            store=env.get("LINEAGE_NB_STORE") or str(default_store_path()),
            namespace=env.get("LINEAGE_NB_NAMESPACE") or "lineage_nb",
            storage_roots=parse_storage_roots(env.get("LINEAGE_NB_STORAGE_ROOTS", "")),
            owner=env.get("LINEAGE_NB_OWNER") or None,
            project=env.get("LINEAGE_NB_PROJECT") or None,
            queue_size=int(_number(env, "LINEAGE_NB_QUEUE_SIZE", 10_000)),
            forward_to_openlineage=openlineage_client_configured(env),
            forward_give_up_seconds=_number(env, "LINEAGE_NB_FORWARD_GIVE_UP_SECONDS", 10.0),
            token=env.get("LINEAGE_NB_TOKEN") or None,
            capture=_integrations(env.get("LINEAGE_NB_CAPTURE")),
            inherited_workload=env.get("LINEAGE_NB_WORKLOAD_NAME") or None,
            inherited_session_run=env.get("LINEAGE_NB_SESSION_RUN_ID") or None,
            workload_type=env.get("LINEAGE_NB_WORKLOAD_TYPE") or None,
            ray_job_submission_id=env.get("RAY_JOB_SUBMISSION_ID") or None,
            jupyter_session_name=env.get("JPY_SESSION_NAME") or None,
            worker_environment=tuple(sorted(
                (key, value) for key, value in env.items() if value and (key in WORKER_SETTINGS or key.startswith("OPENLINEAGE_"))
            )),
        )


def openlineage_client_configured(env: dict[str, str]) -> bool:
    """True when the standard OpenLineage client config asks for a transport."""
    if _flag(env, "OPENLINEAGE_DISABLED", False):
        return False
    if env.get("OPENLINEAGE_URL") or env.get("OPENLINEAGE_CONFIG"):
        return True
    if any(key.startswith("OPENLINEAGE__TRANSPORT") for key in env):
        return True
    return Path("openlineage.yml").is_file() or (Path.home() / ".openlineage" / "openlineage.yml").is_file()


_settings: Settings | None = None


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def reload_settings() -> Settings:
    """Re-read the environment; used by tests and by `enable()` after the user changed it."""
    global _settings
    _settings = Settings.from_env()
    return _settings

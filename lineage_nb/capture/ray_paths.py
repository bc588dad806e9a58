"""The paths a Ray Data read or write names, as Ray's workers see them.

- A Datasource V2 listing drops the URI scheme (`bucket/key` on an S3 filesystem): `with_scheme`
  puts it back.
- A read of several directories is one dataset per directory, while a read of several files of
  one directory (or of partitions) is the one dataset they belong to: `dataset_locations`.
- A relative local path is opened by Ray's workers, relative to their working directory, which
  need not be the driver's (it is where the cluster started, or the job's `working_dir`):
  `worker_absolute` asks a worker on this node once per Ray job.
"""
from __future__ import annotations

import os
import posixpath
import threading
from typing import Any

from lineage_nb.core import errors
from lineage_nb.core.naming import dataset_root, infer_format

MAX_LISTED_FILES = 10_000
WORKER_CWD_TIMEOUT_SECONDS = 30.0
# pyarrow / fsspec filesystem type names -> URI scheme of the paths they hold (V2 reads drop it).
SCHEME_BY_FILESYSTEM = {"local": "", "file": "", "s3": "s3", "gcs": "gs", "gs": "gs", "hdfs": "hdfs", "abfs": "abfss"}

_worker_cwd: dict[str, str] = {}  # Ray job id -> working directory of its workers on this node
_worker_cwd_lock = threading.Lock()


def strings(paths: Any) -> list[str]:
    """User paths as strings; anything else (None, handles, odd objects) is skipped."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not isinstance(paths, (list, tuple)):
        return []
    return [os.fspath(p) for p in paths if isinstance(p, (str, os.PathLike)) and os.fspath(p).strip()]


def filesystem_type(filesystem: Any) -> str:
    if filesystem is not None and hasattr(filesystem, "unwrap"):
        filesystem = filesystem.unwrap()
    type_name = str(getattr(filesystem, "type_name", "") or "local")
    if "fsspec+" in type_name:
        return type_name.rsplit("fsspec+", 1)[1].strip("()[]'\" ").split("'")[0]
    return type_name.removeprefix("py::")


def with_scheme(path: str, filesystem_type: str) -> str:
    """Put back the URI scheme a V2 listing dropped (`b/k` on an s3 filesystem is `s3://b/k`)."""
    if "://" in path:
        return path
    scheme = SCHEME_BY_FILESYSTEM.get(filesystem_type, filesystem_type)
    return f"{scheme}://{path.lstrip('/')}" if scheme else path


def dataset_locations(paths: list[str]) -> list[str]:
    """The datasets a read of `paths` reads, in order: one per directory given, and one for the
    files (or partitions) given under the same directory."""
    if len(paths) <= 1:
        return [dataset_root(paths)] if paths else []
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(path if _is_directory(path) else _parent(path), []).append(path)
    return list(dict.fromkeys(dataset_root(group) for group in groups.values()))


def owning_location(path: str, locations: list[str]) -> str | None:
    """Which of `locations` a listed file belongs to (the longest that contains it)."""
    owners = [loc for loc in locations if path == loc or path.startswith(loc.rstrip("/") + "/")]
    return max(owners, key=len) if owners else None


def _is_directory(path: str) -> bool:
    if "://" not in path:
        return os.path.isdir(path)
    return infer_format(path) is None and not posixpath.splitext(path.rstrip("/"))[1]


def _parent(path: str) -> str:
    scheme, sep, rest = path.partition("://")
    head = posixpath.dirname(rest.rstrip("/"))
    return f"{scheme}{sep}{head}" if sep else (head or "/")


def local_files(paths: list[str]) -> list[str] | None:
    """The data files under local paths (a file or a directory tree), for a cheap version fingerprint."""
    files: list[str] = []
    for path in paths:
        if "://" in path:
            return None
        if os.path.isfile(path):
            files.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            files.extend(os.path.join(root, n) for n in sorted(names) if not n.startswith((".", "_")))
            if len(files) >= MAX_LISTED_FILES:
                return files[:MAX_LISTED_FILES]
    return files or None


def is_relative_local(path: str) -> bool:
    return "://" not in path and not path.startswith(("/", "~")) and not path.startswith("file:")


def worker_absolute(path: str) -> str:
    """A local path as Ray's workers resolve it: relative paths against their working directory."""
    if not is_relative_local(path):
        return path
    return os.path.normpath(os.path.join(worker_working_directory(), path))


def worker_working_directory() -> str:
    """The working directory of this Ray job's workers on this node; the driver's if Ray cannot say."""
    import ray

    job = ray.get_runtime_context().get_job_id() if ray.is_initialized() else ""
    with _worker_cwd_lock:
        if job not in _worker_cwd:
            _worker_cwd[job] = _ask_a_worker() if job else os.getcwd()
        return _worker_cwd[job]


def _ask_a_worker() -> str:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    # A lambda is pickled by value, so the worker needs no lineage_nb installed.
    getcwd = ray.remote(num_cpus=0, max_retries=0)(lambda: os.getcwd()).options(scheduling_strategy=here)
    try:
        return str(ray.get(getcwd.remote(), timeout=WORKER_CWD_TIMEOUT_SECONDS))
    except Exception as exc:  # noqa: BLE001 - fall back to the driver's view, and say so
        errors.report("ray_data worker directory", exc)
        return os.getcwd()

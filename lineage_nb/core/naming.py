"""Map any path or URI to an OpenLineage dataset identity (namespace, name), per the naming spec.

Credentials never survive this module: user:password@ and signed-URL query parameters are
stripped before anything is named, and `redact_text` scrubs free text (cell source, errors).
"""
from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from openlineage.client.naming import dataset as ol_naming

SENSITIVE_QUERY_WORDS = ("sig", "token", "secret", "password", "passwd", "credential", "key", "auth", "x-amz-", "x-goog-")
_URI_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/@\s\"]*@)")
# user:password@ whose password holds a "/" (AWS secret keys often do): urlsplit ends the netloc at that
# "/", so the credentials would pass for a path. A digits-only "password" is a host's port instead.
_SLASHED_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@:\s\"]+:(?!\d+(?:/|$))[^@\s\"]*/[^@\s\"]*@")
_SENSITIVE_QUERY = re.compile(
    r"(?P<key>[?&](?:[^=&\s]*(?:" + "|".join(re.escape(w) for w in SENSITIVE_QUERY_WORDS) + r")[^=&\s]*))=(?P<value>[^&\s#'\"]*)",
    re.IGNORECASE,
)
AZURE_CONTAINER_SCHEMES = {"abfs", "abfss", "wasb", "wasbs"}  # container@account is not a credential
REDACTED = "***"
# Credentials whose format names them, wherever they appear: cloud and code-host keys, API keys,
# JSON web tokens, PEM private keys.
TOKEN_FORMATS = {
    "AWS access key id": r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
    "GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
    "GitLab token": r"\bglpat-[A-Za-z0-9_\-]{20,}",
    "Slack token": r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",
    "API secret key": r"\b(?:sk-[A-Za-z0-9_\-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,})",
    "Databricks token": r"\bdapi[0-9a-f]{32}\b",
    "Google API key": r"\bAIza[0-9A-Za-z_\-]{35}",
    "JSON web token": r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    "private key": r"-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|$)",
    "HTTP credentials": r"\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]{8,}",
}
_TOKEN = re.compile("|".join(f"(?:{p})" for p in TOKEN_FORMATS.values()))
SECRET_WORDS = (
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key", "access_key", "accesskey",
    "private_key", "privatekey", "credential", "authorization", "sas", "signature",
)
# A name naming a secret: one of SECRET_WORDS as a word of it (snake_case, kebab-case or camelCase).
_SECRET_NAME = re.compile(
    r"(?:^|[^a-z0-9]|(?<=[a-z0-9])(?=[A-Z]))(?:" + "|".join(re.escape(w).replace("_", "[_-]?") for w in SECRET_WORDS) + r")s?(?:$|[^a-z])",
    re.IGNORECASE,
)
# `password=x`, `"token": "x"`, `api_key: x`: the name stays, the value goes.
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<key>\b(?:[A-Za-z0-9]+[_-])*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key(?:[_-]?id)?|private[_-]?key"
    r"|credentials?|client[_-]?secret)\b[\"']?)(?P<separator>\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"',;&}]+",
    re.IGNORECASE,
)
# SQL that carries a secret as a literal: DuckDB's CREATE SECRET (KEY_ID '...', SECRET '...'), IDENTIFIED BY '...'.
_SQL_SECRET = re.compile(r"(?P<key>\b(?:PASSWORD|SECRET|KEY_ID|SESSION_TOKEN|TOKEN|IDENTIFIED\s+BY)\s+)'[^']*'", re.IGNORECASE)
_PARTITION_SEGMENT = re.compile(r"^[^=/]+=[^/]*$")
_GLOB_CHARS = re.compile(r"[*?\[]")

FORMAT_BY_EXTENSION = {
    "parquet": "parquet", "pq": "parquet", "csv": "csv", "tsv": "csv", "json": "json", "jsonl": "json",
    "ndjson": "json", "png": "images", "jpg": "images", "jpeg": "images", "gif": "images", "bmp": "images",
    "tif": "images", "tiff": "images", "webp": "images", "npy": "numpy", "npz": "numpy", "txt": "text",
    "tfrecords": "tfrecords", "tfrecord": "tfrecords", "arrow": "arrow", "feather": "arrow", "ipc": "arrow",
    "avro": "avro", "orc": "orc", "pkl": "pickle", "pickle": "pickle", "joblib": "pickle", "onnx": "onnx",
    "pt": "torch", "pth": "torch", "safetensors": "safetensors", "lance": "lance", "h5": "hdf5",
}
COMPRESSION_SUFFIXES = {"gz", "bz2", "zst", "snappy", "lz4", "xz", "zip"}


@dataclass(frozen=True)
class DatasetName:
    namespace: str
    name: str
    uri: str


def is_sensitive_query_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SENSITIVE_QUERY_WORDS)


def strip_credentials(uri: str) -> str:
    """Drop user:password@ and signed-URL query parameters from a URI; every other character is kept."""
    if "@" in uri and "://" in uri:
        uri = _SLASHED_USERINFO.sub(lambda m: m.group("scheme"), uri)
        uri = _URI_USERINFO.sub(_without_userinfo, uri)
    if "?" in uri:
        uri = _without_sensitive_query(uri)
    return uri


def _is_azure_container(match: re.Match[str]) -> bool:
    """abfss://container@account: a container, not a user."""
    return match.group("scheme")[:-3].lower() in AZURE_CONTAINER_SCHEMES and ":" not in match.group("userinfo")


def _without_userinfo(match: re.Match[str]) -> str:
    return match.group(0) if _is_azure_container(match) else match.group("scheme")


def _without_sensitive_query(uri: str) -> str:
    base, _, rest = uri.partition("?")
    query, hash_, fragment = rest.partition("#")
    kept = [pair for pair in query.split("&") if not is_sensitive_query_key(pair.partition("=")[0])]
    if len(kept) == query.count("&") + 1:
        return uri
    return base + ("?" + "&".join(kept) if kept else "") + hash_ + fragment


def redact_text(text: str) -> str:
    """Scrub credentials embedded in free text: URIs with userinfo, signed query parameters, and
    token-like values (known key formats, `password=...`-style assignments, bearer tokens, private keys)."""
    text = _SLASHED_USERINFO.sub(lambda m: m.group("scheme") + "***@", text)
    text = _URI_USERINFO.sub(_masked_userinfo, text)
    text = _SENSITIVE_QUERY.sub(lambda m: m.group("key") + "=***", text)
    return redact_tokens(text)


def _masked_userinfo(match: re.Match[str]) -> str:
    return match.group(0) if _is_azure_container(match) else match.group("scheme") + REDACTED + "@"


def redact_tokens(text: str) -> str:
    """Replace token-like values (TOKEN_FORMATS, secret assignments, bearer credentials) with ***."""
    text = _TOKEN.sub(REDACTED, text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group("key") + m.group("separator") + REDACTED, text)
    return _SQL_SECRET.sub(lambda m: m.group("key") + "'" + REDACTED + "'", text)


def is_secret_name(name: str) -> bool:
    """A field or variable name whose value is a secret (`password`, `AWS_SECRET_ACCESS_KEY`, `apiKey`...)."""
    return _SECRET_NAME.search(name) is not None


def infer_format(path: str) -> str | None:
    """A file format from the extension, looking past compression suffixes, else from a local directory's files."""
    base = posixpath.basename(path.rstrip("/"))
    pieces = base.lower().split(".")[1:]
    while pieces and pieces[-1] in COMPRESSION_SUFFIXES:
        pieces.pop()
    if pieces and pieces[-1] in FORMAT_BY_EXTENSION:
        return FORMAT_BY_EXTENSION[pieces[-1]]
    if "://" not in path and os.path.isdir(path):
        try:
            with os.scandir(path) as entries:
                for entry, _ in zip(entries, range(50)):
                    if entry.is_file() and not entry.name.startswith((".", "_")):
                        found = infer_format(entry.name)
                        if found:
                            return found
        except OSError:
            return None
    return None


def dataset_root(paths: list[str]) -> str:
    """The one dataset a read of a directory, a glob, partitions or a list of files stands for."""
    if not paths:
        raise ValueError("no paths")
    roots = set()
    for path in paths:
        root = _glob_free_prefix(path)
        if _looks_like_file(root) and _PARTITION_SEGMENT.match(posixpath.basename(_parent(root))):
            root = _parent(root)
        roots.add(_strip_partitions(root))
    if len(roots) == 1:
        return roots.pop()
    dirs = {_strip_partitions(_parent(root)) if _looks_like_file(root) else root for root in roots}
    if len(dirs) == 1:
        return dirs.pop()
    common = os.path.commonpath(sorted(dirs)) if all("://" not in d for d in dirs) else _common_uri_prefix(sorted(dirs))
    return common or sorted(dirs)[0]


def _glob_free_prefix(path: str) -> str:
    match = _GLOB_CHARS.search(path)
    if not match:
        return path.rstrip("/") or "/"
    return _parent(path[: match.start()] + "x")


def _parent(path: str) -> str:
    scheme, sep, rest = path.partition("://")
    if not sep:
        return posixpath.dirname(path.rstrip("/")) or "/"
    head, _, _tail = rest.rstrip("/").rpartition("/")
    return f"{scheme}://{head}" if head else path


def _looks_like_file(path: str) -> bool:
    return "." in posixpath.basename(path) and not (("://" not in path) and os.path.isdir(path))


def _strip_partitions(path: str) -> str:
    while _PARTITION_SEGMENT.match(posixpath.basename(path)):
        parent = _parent(path)
        if parent == path:
            break
        path = parent
    return path


def _common_uri_prefix(uris: list[str]) -> str:
    prefix = os.path.commonprefix(uris)
    return prefix if prefix.endswith("/") or prefix in uris else prefix.rpartition("/")[0]


def dataset_name(path_or_uri: str, storage_roots: tuple[tuple[str, str], ...] = (), workload_id: str = "") -> DatasetName:
    """Name a path or URI per the OpenLineage naming spec, with credentials stripped."""
    if not isinstance(path_or_uri, (str, os.PathLike)):
        raise TypeError(f"a dataset path must be a string, not {type(path_or_uri).__name__}")
    raw = os.fspath(path_or_uri).strip()
    if not raw:
        raise ValueError("an empty path names no dataset")
    clean = strip_credentials(raw)
    scheme, sep, _ = clean.partition(":")
    if not sep or len(scheme) == 1 or clean.startswith("file:") and urlsplit(clean).netloc in ("", "localhost"):
        local = urlsplit(clean).path if clean.startswith("file:") else clean
        return _local_name(local, storage_roots, workload_id)
    # Imported here, not at the top: it loads openlineage-python's whole client (~200 ms), which
    # the read path (local paths, or no naming at all) should not pay for.
    from openlineage.client.naming import dataset as ol_naming

    parts = urlsplit(clean)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    path = parts.path
    naming: ol_naming.DatasetNaming
    if scheme in ("s3", "s3a", "s3n"):
        naming = ol_naming.S3(bucket_name=host, object_key=_key(path))
    elif scheme in ("gs", "gcs"):
        naming = ol_naming.GCS(bucket_name=host, object_key=_key(path))
    elif scheme in ("abfss", "abfs"):
        container, _, service = parts.netloc.partition("@")
        naming = ol_naming.ABFSS(container=container, service=service.split(".")[0], path=_key(path))
    elif scheme in ("wasbs", "wasb"):
        container, _, service = parts.netloc.partition("@")
        naming = ol_naming.WASBS(container=container, service_name=service.split(".")[0], object_key=_key(path))
    elif scheme == "hdfs":
        naming = ol_naming.HDFS(namenode_host=host, namenode_port=str(parts.port or 8020), path=_abs(path))
    elif scheme == "dbfs":
        naming = ol_naming.DBFS(workspace=host or "workspace", path=_abs(path))
    elif scheme == "file":
        naming = ol_naming.RemoteFileSystem(host=parts.netloc, path=_abs(path))
    else:
        authority = parts.netloc.rpartition("@")[2]
        return DatasetName(f"{scheme}://{authority}", _abs(path) if authority else path, clean)
    return DatasetName(naming.get_namespace(), naming.get_name(), clean)


def sql_dataset_name(connection_url: str, table: str | None) -> DatasetName:
    """Name a SQL table (or, without one, the database) by its connection URL, credentials stripped."""
    parts = urlsplit(strip_credentials(connection_url))
    scheme = parts.scheme.split("+")[0].lower()
    scheme = {"postgresql": "postgres", "sqlite3": "sqlite"}.get(scheme, scheme)
    database = parts.path.lstrip("/")
    if scheme in ("sqlite", "duckdb"):
        # No naming-spec rule for these files: the namespace is the scheme and the file's absolute path,
        # as dbt-ol names DuckDB (so a notebook's read of a dbt table is that table). A DuckDB table is
        # catalog.schema.table, its catalog the file's stem ("memory" in memory) and its schema main.
        file_path = parts.path[1:]  # sqlite:////abs/file.db is absolute, sqlite:///file.db relative
        in_memory = file_path in ("", ":memory:")
        namespace = f"{scheme}://{':memory:' if in_memory else os.path.abspath(file_path)}"
        if scheme == "sqlite":
            return DatasetName(namespace, table or "main", namespace)
        catalog = "memory" if in_memory else posixpath.splitext(posixpath.basename(file_path))[0]
        qualified = {0: f"{catalog}.main.{table}", 1: f"{catalog}.{table}"}.get(table.count("."), table) if table else catalog
        return DatasetName(namespace, qualified, f"{namespace}/{qualified}")
    default_ports = {"postgres": 5432, "mysql": 3306, "mssql": 1433, "oracle": 1521}
    port = parts.port or default_ports.get(scheme, 0)
    namespace = f"{scheme}://{parts.hostname or 'localhost'}:{port}"
    qualified = table or ""
    if scheme == "postgres" and table and table.count(".") == 0:
        qualified = f"{database}.public.{table}"
    elif table and database and not table.startswith(database + "."):
        qualified = f"{database}.{table}"
    return DatasetName(namespace, qualified or database, f"{namespace}/{database}")


def _local_name(path: str, storage_roots: tuple[tuple[str, str], ...], workload_id: str) -> DatasetName:
    absolute = os.path.normpath(os.path.abspath(os.path.expanduser(path)))
    for prefix, template in storage_roots:
        if absolute == prefix or absolute.startswith(prefix.rstrip("/") + "/"):
            namespace = template.format(workload_id=workload_id or "unknown", host=_hostname())
            return DatasetName(namespace, absolute, f"{namespace.rstrip('/')}{absolute}")
    # The spec's LocalFileSystem naming ("file", absolute path), written out so that naming a local
    # path loads no openlineage client; tests/test_naming.py checks it against openlineage-python's.
    return DatasetName("file", absolute, f"file://{absolute}")


def _hostname() -> str:
    import socket

    return socket.gethostname()


def _key(path: str) -> str:
    return path.strip("/") or "/"


def _abs(path: str) -> str:
    return "/" + path.strip("/") if path.strip("/") else "/"

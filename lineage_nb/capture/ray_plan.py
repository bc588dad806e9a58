"""Every look into Ray Data's internal plan objects: which datasets an execution reads and writes.

Ray's logical operators are internal APIs (verified on ray 2.60), so all knowledge of them lives
here, one extractor per operator kind, dispatched by class name: an operator kind this module does
not know yields nothing instead of failing. Extractors return plain `ArtifactFact`s; naming,
fingerprints and events are built later by `events`, off the user's thread.

Two entry points: `logical_operators(executor)` (cheap, on the user's thread: it only collects
operator objects) and `artifacts(operators)` (the extraction itself, run in the emitter thread).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from lineage_nb.capture import ray_python
from lineage_nb.capture.sql_names import sql_table_facts
from lineage_nb.core.facts import ActivityFact, ArtifactFact
from lineage_nb.core.naming import FORMAT_BY_EXTENSION, dataset_root, infer_format

MAX_LISTED_FILES = 10_000
# pyarrow / fsspec filesystem type names -> URI scheme of the paths they hold (V2 reads drop it).
SCHEME_BY_FILESYSTEM = {"local": "", "file": "", "s3": "s3", "gcs": "gs", "gs": "gs", "hdfs": "hdfs", "abfs": "abfss"}
# Ray datasource names (Read<name>, ReadFiles<name>) whose format is not the lower-cased name.
FORMAT_BY_DATASOURCE = {
    "image": "images", "parquetbulk": "parquet", "arrowjson": "json", "pandasjson": "json",
}
# Python DB-API modules -> SQLAlchemy-style URL scheme, for naming read_sql sources.
SCHEME_BY_DBAPI_MODULE = {
    "sqlite3": "sqlite", "psycopg": "postgresql", "psycopg2": "postgresql", "pg8000": "postgresql",
    "pymysql": "mysql", "MySQLdb": "mysql", "mysql": "mysql", "snowflake": "snowflake", "databricks": "databricks", "duckdb": "duckdb",
}


@dataclass
class PlanArtifacts:
    inputs: list[ArtifactFact] = field(default_factory=list)
    outputs: list[ArtifactFact] = field(default_factory=list)
    observed: dict[int, Any] = field(default_factory=dict)  # id(logical op) -> schema seen at its output
    holds: bool = False  # the execution does not end in a write: its inputs' data entered the process
    python_built: bool = False  # what it writes was built in Python


# ---- collecting operators (user thread: no I/O, no Ray calls) -----------------------------------

def logical_operators(executor: Any) -> list[Any]:
    """The distinct logical operators behind a streaming executor's physical topology, inputs first."""
    seen: dict[int, Any] = {}
    for physical in getattr(executor, "_topology", None) or ():
        for logical in getattr(physical, "_logical_operators", None) or ():
            for op in logical.post_order_iter():
                seen.setdefault(id(op), op)
    return list(seen.values())


def observed_schemas(executor: Any) -> dict[int, Any]:
    """After an execution: the schema each physical operator saw at its output, by its last logical operator."""
    observed: dict[int, Any] = {}
    for physical, state in (getattr(executor, "_topology", None) or {}).items():
        logical = getattr(physical, "_logical_operators", None)
        schema = getattr(state, "_schema", None)
        if logical and schema is not None:
            observed[id(logical[-1])] = schema
    return observed


def dataset_operators(dataset: Any) -> list[Any]:
    """The logical operators of a Ray Dataset's plan, without executing it."""
    return list(dataset._logical_plan.dag.post_order_iter())


def artifacts_of_dataset(dataset: Any) -> list[ArtifactFact]:
    """The datasets a Ray Dataset reads (and writes, if its plan ends in a write), without executing it."""
    found = artifacts(dataset_operators(dataset))
    return found.inputs + found.outputs


# ---- extraction (emitter thread) ----------------------------------------------------------------

def artifacts(operators: Iterable[Any], observed: dict[int, Any] | None = None) -> PlanArtifacts:
    """Inputs and outputs of a plan; one dataset per location, in plan order.

    `observed` (from `observed_schemas`) supplies schemas that only an execution could tell.
    """
    operators = list(operators)
    found = PlanArtifacts(observed=observed or {})
    for op in operators:
        extractor = EXTRACTORS.get(type(op).__name__)
        if extractor is not None:
            extractor(op, found)
    writes = any(type(op).__name__ == "Write" for op in operators)
    found.holds = not writes
    found.python_built = writes and ray_python.built_in_python(operators)
    found.inputs = _distinct(found.inputs)
    found.outputs = _distinct(found.outputs)
    return found


def _read_files(op: Any, found: PlanArtifacts) -> None:
    """Datasource V2 read (`read_parquet`): ListFiles -> ReadFiles. A ListFiles alone only lists."""
    listing = next((dep for dep in op.input_dependencies if type(dep).__name__ == "ListFiles"), None)
    if listing is None:
        return
    fs_type = filesystem_type(listing.filesystem)
    sources = [with_scheme(p, fs_type) for p in _strings(listing.source_paths or listing.paths)]
    if not sources:
        return
    found.inputs.append(
        ArtifactFact(
            location=dataset_root(sources),
            format=_datasource_format(op.datasource_name),
            schema=_fields(op.infer_schema()),
            files=_local_files([with_scheme(p, fs_type) for p in _strings(listing.paths)]),
        )
    )


def _read(op: Any, found: PlanArtifacts) -> None:
    """Datasource V1 read: file-based readers carry their paths; read_sql carries a query and a connection."""
    source = op.datasource
    if type(source).__name__ == "SQLDatasource":
        found.inputs.extend(_sql_tables(source.sql, source.connection_factory))
        return
    if not hasattr(type(source), "_source_paths"):
        return
    sources = _strings(source._source_paths)
    if not sources:
        return
    found.inputs.append(
        ArtifactFact(
            location=dataset_root(sources),
            format=_extension_format(source) or _datasource_format(source.get_name()) or _inferred_format(sources),
            schema=_read_schema(op, found.observed),
            files=_local_files(_strings(source._paths())),
        )
    )


def _write(op: Any, found: PlanArtifacts) -> None:
    """Every write: a file datasink's output directory, or write_sql's table."""
    sink = op.datasink_or_legacy_datasource
    if type(sink).__name__ == "SQLDatasink":
        found.outputs.extend(_sql_tables(sink.sql, sink.connection_factory))
        return
    path = getattr(sink, "unresolved_path", None)
    if not isinstance(path, (str, os.PathLike)):
        return
    path = os.fspath(path)
    file_format = getattr(sink, "file_format", None)
    found.outputs.append(
        ArtifactFact(
            location=path,
            format=FORMAT_BY_EXTENSION.get(str(file_format).lower(), str(file_format).lower()) if file_format else infer_format(path),
            schema=_upstream_schema(op.input_dependencies[0], found.observed) if op.input_dependencies else None,
        )
    )


EXTRACTORS: dict[str, Callable[[Any, PlanArtifacts], None]] = {
    "ReadFiles": _read_files,
    "Read": _read,
    "Write": _write,
}


def describe(fact: ActivityFact, found: PlanArtifacts) -> None:
    """Copy what a plan reads and writes, and its held-data flags, onto the execution's fact."""
    fact.inputs, fact.outputs = found.inputs, found.outputs
    fact.holds, fact.python_built = found.holds, found.python_built


def describe_written(outputs: list[ArtifactFact]) -> None:
    """After a successful write: the files now in each local output (its version), and its schema if unknown."""
    for artifact in outputs:
        if not artifact.location or "://" in artifact.location or not os.path.isdir(artifact.location):
            continue
        artifact.files = _local_files([artifact.location])
        if artifact.schema is None and artifact.format == "parquet" and artifact.files:
            import pyarrow.parquet as pq

            artifact.schema = _fields(pq.read_schema(artifact.files[-1]))


# ---- helpers ------------------------------------------------------------------------------------

def _strings(paths: Any) -> list[str]:
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


def _datasource_format(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    lowered = name.lower().removesuffix("v2")  # Datasource V2 names: ParquetV2
    return FORMAT_BY_DATASOURCE.get(lowered, lowered)


def _extension_format(source: Any) -> str | None:
    """The format of the files a file-based datasource is made for (`_FILE_EXTENSIONS`)."""
    extensions = getattr(source, "_FILE_EXTENSIONS", None)
    first = extensions if isinstance(extensions, str) else next(iter(extensions or ()), None)
    return FORMAT_BY_EXTENSION.get(str(first).lower()) if first else None


def _inferred_format(paths: list[str]) -> str | None:
    return next((fmt for fmt in map(infer_format, paths[:5]) if fmt), None)


def _fields(schema: Any) -> list[tuple[str, str]] | None:
    """(name, type) pairs from a pyarrow schema or Ray's pandas block schema."""
    names, types = getattr(schema, "names", None), getattr(schema, "types", None)
    if not names or types is None:
        return None
    return [(str(n), str(t)) for n, t in zip(names, types)]


def _read_schema(read_op: Any, observed: dict[int, Any]) -> list[tuple[str, str]] | None:
    """A V1 read's schema as executed, else only if Ray already computed it while planning; never reads."""
    if id(read_op) in observed:
        return _fields(observed[id(read_op)])
    cached = read_op.__dict__.get("_cached_output_metadata")
    return _fields(getattr(cached, "schema", None)) if cached is not None else None


def _upstream_schema(op: Any, observed: dict[int, Any]) -> list[tuple[str, str]] | None:
    """The schema flowing into a write: as executed, else through schema-preserving ops to a read."""
    while op is not None:
        kind = type(op).__name__
        if id(op) in observed:
            return _fields(observed[id(op)])
        if kind == "ReadFiles":
            return _fields(op.infer_schema())
        if kind == "Read":
            return _read_schema(op, observed)
        preserves = any(base.__name__ == "LogicalOperatorPreservesSchema" for base in type(op).__mro__)
        if not preserves or len(op.input_dependencies) != 1:
            return None
        op = op.input_dependencies[0]
    return None


def _local_files(paths: list[str]) -> list[str] | None:
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


def _distinct(found: list[ArtifactFact]) -> list[ArtifactFact]:
    by_key: dict[tuple[Any, ...], ArtifactFact] = {}
    for artifact in found:
        by_key.setdefault((artifact.location, artifact.namespace, artifact.name), artifact)
    return list(by_key.values())


def _sql_tables(sql: Any, connection_factory: Any) -> list[ArtifactFact]:
    """Tables named in a query, each named by its connection URL (credentials stripped by naming)."""
    return sql_table_facts(sql, connection_url(connection_factory))


def connection_url(factory: Any) -> str | None:
    """A connection URL from what a DB-API connection factory closes over (a URL, an engine, or connect args).

    The factory is never called: that would open a connection on the user's behalf.
    """
    target, values = _unwrap_factory(factory)
    for value in values:
        url = getattr(value, "url", None)
        if url is not None and hasattr(url, "render_as_string"):
            return url.render_as_string(hide_password=True)
        if isinstance(value, str) and "://" in value:
            return value
    scheme = _dbapi_scheme(target)
    text = next((v for v in values if isinstance(v, str)), None)
    if scheme is None or text is None:
        return None
    if scheme in ("sqlite", "duckdb"):  # connect() takes a file path
        return f"{scheme}:///{os.path.abspath(text)}" if text != ":memory:" else f"{scheme}://"
    return _url_from_dsn(scheme, text)


def _unwrap_factory(factory: Any) -> tuple[Any, list[Any]]:
    """The callable a factory ends up calling and the values it was given (partial args or closure cells)."""
    values: list[Any] = []
    target = factory
    while hasattr(target, "func") and hasattr(target, "args"):  # functools.partial
        values += [*target.args, *target.keywords.values()]
        target = target.func
    for cell in getattr(target, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:
            continue
    code = getattr(target, "__code__", None)
    if code is not None:
        namespace = getattr(target, "__globals__", {})
        values += [c for c in code.co_consts if isinstance(c, str)]
        values += [namespace[n] for n in code.co_names if isinstance(namespace.get(n), str) or hasattr(namespace.get(n), "url")]
        callee = _called_module(target)
        if callee is not None:
            target = callee
    return target, values


def _called_module(function: Any) -> Any:
    """In `lambda: sqlite3.connect(path)`, the `sqlite3.connect` being called, looked up in the function's globals."""
    names = function.__code__.co_names
    namespace = getattr(function, "__globals__", {})
    for first, attribute in zip(names, names[1:]):
        module = namespace.get(first)
        candidate = getattr(module, attribute, None)
        if candidate is not None and _dbapi_scheme(candidate):
            return candidate
    return None


def _dbapi_scheme(function: Any) -> str | None:
    module = (getattr(function, "__module__", None) or "").split(".")[0].lstrip("_")
    return SCHEME_BY_DBAPI_MODULE.get(module)


def _url_from_dsn(scheme: str, dsn: str) -> str | None:
    """libpq-style `host=h port=p dbname=d user=u` -> `scheme://h:p/d` (user and password dropped)."""
    if "://" in dsn:
        return dsn
    pairs = dict(item.split("=", 1) for item in dsn.split() if "=" in item)
    if not pairs:
        return None
    host = pairs.get("host", "localhost")
    port = f":{pairs['port']}" if "port" in pairs else ""
    database = pairs.get("dbname") or pairs.get("database") or ""
    return urlsplit(f"{scheme}://{host}{port}/{database}").geturl()

"""Every look into Ray Data's internal plan objects: which datasets an execution reads and writes.

Ray's logical operators are internal APIs (verified on ray 2.60), so all knowledge of them lives
in this package, one extractor per operator kind, dispatched by class name: an operator kind this
module does not know yields nothing instead of failing. Extractors return plain `ArtifactFact`s;
naming, fingerprints and events are built later by `events`, off the user's thread.

Entry points: `logical_operators(executor)` (cheap, on the user's thread: it only collects operator
objects), `artifacts(operators, ...)` (the extraction itself, run in the emitter thread) and, once
an execution succeeded, `describe_succeeded(found)`, which reads back from storage what the plan
cannot tell: the written files' schemas, a fused read's schema, and so the column lineage.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

from lineage_nb.capture import ray_columns, ray_materialized, ray_python, ray_schemas, ray_sql
from lineage_nb.capture.ray_paths import (
    dataset_locations,
    filesystem_type,
    local_files,
    owning_location,
    strings,
    with_scheme,
    worker_absolute,
)
from lineage_nb.core.facts import ActivityFact, ArtifactFact
from lineage_nb.core.naming import FORMAT_BY_EXTENSION, dataset_name, infer_format

# Ray datasource names (Read<name>, ReadFiles<name>) whose format is not the lower-cased name.
FORMAT_BY_DATASOURCE = {
    "image": "images", "parquetbulk": "parquet", "arrowjson": "json", "pandasjson": "json",
}


@dataclass
class Written:
    artifact: ArtifactFact
    write_op: Any
    file_sink: Any = None  # a file datasink, whose files can be read back


@dataclass
class PlanArtifacts:
    operators: list[Any] = field(default_factory=list)
    observed: dict[int, Any] = field(default_factory=dict)  # id(logical op) -> schema seen at its output
    inputs: list[ArtifactFact] = field(default_factory=list)
    outputs: list[ArtifactFact] = field(default_factory=list)
    sources: dict[int, list[ArtifactFact]] = field(default_factory=dict)  # id(read op) -> datasets it reads
    written: list[Written] = field(default_factory=list)
    initial_stats: Any = None  # the executor's: they lead to the execution that materialized an InputData
    linked: ray_materialized.Outcome | None = None  # the execution that materialized this plan's InputData
    built_in_python: bool = False  # the plan's data was built in Python (here or where it was materialized)
    output_columns: ray_columns.Columns | None = None  # after success: the columns the plan outputs

    @property
    def holds(self) -> bool:
        """The execution does not end in a write: its inputs' data entered the process."""
        return not self.written

    @property
    def python_built(self) -> bool:
        """What it writes was built in Python."""
        return bool(self.written) and self.built_in_python


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
    found = artifacts(dataset_operators(dataset), initial_stats=getattr(dataset, "_in_stats", None))
    return found.inputs + found.outputs


# ---- extraction (emitter thread) ----------------------------------------------------------------

def artifacts(operators: Iterable[Any], observed: dict[int, Any] | None = None, initial_stats: Any = None) -> PlanArtifacts:
    """Inputs and outputs of a plan; one dataset per location, in plan order.

    `observed` (from `observed_schemas`) supplies schemas that only an execution could tell;
    `initial_stats` (the executor's) leads to the execution that materialized an InputData.
    """
    found = PlanArtifacts(operators=list(operators), observed=observed or {}, initial_stats=initial_stats)
    for op in found.operators:
        extractor = EXTRACTORS.get(type(op).__name__)
        if extractor is not None:
            extractor(op, found)
    found.built_in_python = found.built_in_python or ray_python.built_in_python(found.operators)
    if found.linked is not None:
        found.inputs.extend(replace(source) for source in found.linked.inputs)  # copies: merging must not touch another run's facts
        found.built_in_python = found.built_in_python or found.linked.built_in_python
    inputs = _distinct(found.inputs)
    found.inputs = list(inputs.values())
    found.outputs = list(_distinct(found.outputs).values())
    found.sources = {op_id: _kept(reads, inputs) for op_id, reads in found.sources.items()}
    return found


def _read_files(op: Any, found: PlanArtifacts) -> None:
    """Datasource V2 read (`read_parquet`): ListFiles -> ReadFiles. A ListFiles alone only lists.
    A read of some columns (`columns=`, or `select_columns` pushed into it) records them as read."""
    listing = next((dep for dep in op.input_dependencies if type(dep).__name__ == "ListFiles"), None)
    if listing is None:
        return
    fs_type = filesystem_type(listing.filesystem)
    requested = [worker_absolute(with_scheme(p, fs_type)) for p in strings(listing.source_paths or listing.paths)]
    listed = [worker_absolute(with_scheme(p, fs_type)) for p in strings(listing.paths)]
    read = ray_schemas.fields(op.infer_schema())
    _add_reads(op, found, requested, listed, _datasource_format(op.datasource_name), read, op.get_projection_map() is not None)


def _read(op: Any, found: PlanArtifacts) -> None:
    """Datasource V1 read: file-based readers carry their paths; read_sql carries a query and a connection."""
    source = op.datasource
    if type(source).__name__ == "SQLDatasource":
        found.inputs.extend(ray_sql.sql_tables(source.sql, source.connection_factory))
        return
    if not hasattr(type(source), "_source_paths"):
        return
    fs_type = filesystem_type(getattr(source, "_filesystem", None))
    requested = [worker_absolute(p) for p in strings(source._source_paths)]
    listed = [worker_absolute(with_scheme(p, fs_type)) for p in strings(source._paths())]
    file_format = _extension_format(source) or _datasource_format(source.get_name()) or _inferred_format(requested)
    projected = op.supports_projection_pushdown() and op.get_projection_map() is not None
    _add_reads(op, found, requested, listed, file_format, _read_schema(op, found.observed), projected)


def _add_reads(op: Any, found: PlanArtifacts, requested: list[str], listed: list[str], file_format: str | None,
               read: list[tuple[str, str]] | None, projected: bool) -> None:
    locations = dataset_locations(requested)
    reads = [
        ArtifactFact(
            location=location,
            format=file_format,
            schema=None if projected else read,
            columns_read=read if projected else None,
            files=local_files([path for path in listed if owning_location(path, locations) == location]),
        )
        for location in locations
    ]
    found.inputs.extend(reads)
    found.sources[id(op)] = reads


def _write(op: Any, found: PlanArtifacts) -> None:
    """Every write: a file datasink's output directory, or write_sql's table. Its schema is read
    from what it wrote, once it succeeded (`describe_succeeded`)."""
    from ray.data.datasource.file_datasink import _FileDatasink

    sink = op.datasink_or_legacy_datasource
    if type(sink).__name__ == "SQLDatasink":
        for table in ray_sql.sql_tables(sink.sql, sink.connection_factory):
            found.outputs.append(table)
            found.written.append(Written(table, op))
        return
    path = getattr(sink, "unresolved_path", None)
    if not isinstance(path, (str, os.PathLike)):
        return
    path = worker_absolute(os.fspath(path))
    file_format = getattr(sink, "file_format", None)
    artifact = ArtifactFact(
        location=path,
        format=FORMAT_BY_EXTENSION.get(str(file_format).lower(), str(file_format).lower()) if file_format else infer_format(path),
    )
    found.outputs.append(artifact)
    found.written.append(Written(artifact, op, sink if isinstance(sink, _FileDatasink) else None))


def _input_data(op: Any, found: PlanArtifacts) -> None:
    """Blocks an earlier `materialize()` produced: that execution's sources are this one's inputs."""
    found.linked = ray_materialized.recall(found.initial_stats)
    if found.linked is None:
        # Materialized without executing (`from_pandas(df).materialize()`): the stats say from what.
        made_by = getattr(found.initial_stats, "metadata", None) or {}
        found.built_in_python = any(name in ray_python.IN_MEMORY_SOURCES for name in made_by)


EXTRACTORS: dict[str, Callable[[Any, PlanArtifacts], None]] = {
    "ReadFiles": _read_files,
    "Read": _read,
    "Write": _write,
    "InputData": _input_data,
}


# ---- after success: what storage tells ---------------------------------------------------------

def describe_succeeded(found: PlanArtifacts) -> None:
    """Schemas of fused reads and of what was written, each output's files, and column lineage."""
    for op in found.operators:
        reads = found.sources.get(id(op), [])
        if type(op).__name__ == "Read" and reads and not (reads[0].schema or reads[0].columns_read):
            sampled = ray_schemas.sampled_read_schema(op)
            for artifact in reads:
                artifact.schema = sampled
    for written in found.written:
        artifact, sink = written.artifact, written.file_sink
        if sink is None:
            continue
        local = bool(artifact.location) and "://" not in artifact.location
        directory = artifact.location if local else sink.path  # a relative path as the workers resolved it
        files = ray_schemas.written_files(sink.filesystem, directory, getattr(sink, "dataset_uuid", None))
        artifact.schema = ray_schemas.written_schema(sink.filesystem, artifact.format, files)
        if local:
            artifact.files = local_files([artifact.location])
    if not found.operators:
        return
    linked = found.linked.columns if found.linked is not None else None
    columns = ray_columns.flow(found.operators[-1], found.sources, linked)
    found.output_columns = columns.get(id(found.operators[-1]))
    for written in found.written:
        into_write = columns.get(id(written.write_op.input_dependencies[0])) if written.write_op.input_dependencies else None
        if into_write is None:
            continue
        names = [n for n, _ in written.artifact.schema] if written.artifact.schema else list(into_write.known) if into_write.is_complete() else []
        if names:
            written.artifact.column_lineage = ray_columns.written_lineage(into_write, names)


def describe(fact: ActivityFact, found: PlanArtifacts) -> None:
    """Copy what a plan reads and writes, and its held-data flags, onto the execution's fact."""
    fact.inputs, fact.outputs = found.inputs, found.outputs
    fact.holds, fact.python_built = found.holds, found.python_built


# ---- helpers ------------------------------------------------------------------------------------

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


def _read_schema(read_op: Any, observed: dict[int, Any]) -> list[tuple[str, str]] | None:
    """A V1 read's schema as executed, else only if Ray already computed it while planning; never reads."""
    if id(read_op) in observed:
        return ray_schemas.fields(observed[id(read_op)])
    cached = read_op.__dict__.get("_cached_output_metadata")
    return ray_schemas.fields(getattr(cached, "schema", None)) if cached is not None else None


def _distinct(found: list[ArtifactFact]) -> dict[tuple[str, str], ArtifactFact]:
    """One fact per dataset, however its path was spelled; what several reads of it read, merged."""
    by_identity: dict[tuple[str, str], ArtifactFact] = {}
    for artifact in found:
        key = _identity(artifact)
        if key in by_identity:
            _merge_into(by_identity[key], artifact)
        else:
            by_identity[key] = artifact
    return by_identity


def _kept(reads: list[ArtifactFact], kept: dict[tuple[str, str], ArtifactFact]) -> list[ArtifactFact]:
    """The facts `_distinct` kept for these reads, each once."""
    by_id = {id(fact): fact for fact in (kept[_identity(read)] for read in reads)}
    return list(by_id.values())


def _identity(artifact: ArtifactFact) -> tuple[str, str]:
    if artifact.namespace and artifact.name:
        return artifact.namespace, artifact.name
    named = dataset_name(artifact.location or "")
    return named.namespace, named.name


def _merge_into(kept: ArtifactFact, other: ArtifactFact) -> None:
    kept.schema = kept.schema or other.schema
    if kept.columns_read is None or other.columns_read is None:
        kept.columns_read = None  # one of the reads read every column
    else:
        kept.columns_read = list(dict.fromkeys([*kept.columns_read, *other.columns_read]))
    if other.files:
        kept.files = sorted(set(kept.files or []) | set(other.files))

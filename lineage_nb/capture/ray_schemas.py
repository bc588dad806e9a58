"""Schemas a Ray Data execution does not report: what a write wrote, and what a fused read read.

Both are read from storage after the execution succeeded, in the emitter thread:
- a write's schema is that of the files it wrote (this dataset's files in the output directory,
  named by Ray after the dataset's uuid), through the datasink's own filesystem;
- a Datasource V1 read fused with the operators after it (`read_images(...).map(...)`) never
  shows its own output, so the datasource reads the first block of its first file again, exactly
  as Ray read it (same datasource, same options), unless that file is large. Only Ray's own file
  datasources are read again: a custom datasource could do anything when read.
"""
from __future__ import annotations

import posixpath
from typing import Any

MAX_SAMPLED_FILE_BYTES = 64 * 1024 * 1024
READ_BLOCK_BYTES = 1 << 20
SCHEMA_READERS = ("parquet", "csv", "json")


def fields(schema: Any) -> list[tuple[str, str]] | None:
    """(name, type) pairs from a pyarrow schema or Ray's pandas block schema."""
    names, types = getattr(schema, "names", None), getattr(schema, "types", None)
    if not names or types is None:
        return None
    return [(str(n), str(t)) for n, t in zip(names, types)]


def written_files(filesystem: Any, directory: str, dataset_uuid: str | None) -> list[Any]:
    """FileInfos of the data files a write wrote: those Ray named after the dataset, else all."""
    from pyarrow.fs import FileSelector, FileType

    selector = FileSelector(directory, recursive=True, allow_not_found=True)
    files = [
        info for info in _unwrapped(filesystem).get_file_info(selector)
        if info.type == FileType.File and not posixpath.basename(info.path).startswith((".", "_"))
    ]
    own = [info for info in files if dataset_uuid and posixpath.basename(info.path).startswith(dataset_uuid)]
    return sorted(own or files, key=lambda info: info.path)


def written_schema(filesystem: Any, file_format: str | None, files: list[Any]) -> list[tuple[str, str]] | None:
    """The schema of the first file a write wrote, for the formats that carry or imply one."""
    if file_format not in SCHEMA_READERS or not files:
        return None
    filesystem = _unwrapped(filesystem)
    path = files[0].path
    if file_format == "parquet":
        import pyarrow.parquet as pq

        return fields(pq.read_schema(path, filesystem=filesystem))
    with filesystem.open_input_stream(path) as stream:
        if file_format == "csv":
            import pyarrow.csv as pa_csv

            reader = pa_csv.open_csv(stream, read_options=pa_csv.ReadOptions(block_size=READ_BLOCK_BYTES))
        else:
            import pyarrow.json as pa_json

            reader = pa_json.open_json(stream, read_options=pa_json.ReadOptions(block_size=READ_BLOCK_BYTES))
        return fields(reader.schema)


def sampled_read_schema(read_op: Any) -> list[tuple[str, str]] | None:
    """A V1 read's output schema, from the first block its datasource yields for its first file."""
    from ray.data.datasource import FileBasedDatasource

    source = read_op.datasource
    if not isinstance(source, FileBasedDatasource) or type(source).__module__.split(".")[0] != "ray":
        return None
    sizes = list(source._file_sizes() or [])
    if any(size is None or size > MAX_SAMPLED_FILE_BYTES for size in sizes):
        return None  # the first file read may be any of them (`shuffle="files"`)
    tasks = source.get_read_tasks(1, per_task_row_limit=1)
    if not tasks:
        return None
    blocks = iter(tasks[0]())
    try:
        first = next(blocks, None)
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()
    if first is None:
        return None
    from ray.data.block import BlockAccessor

    return fields(BlockAccessor.for_block(first).schema())


def _unwrapped(filesystem: Any) -> Any:
    return filesystem.unwrap() if hasattr(filesystem, "unwrap") else filesystem

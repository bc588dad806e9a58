"""pandas capture: file reads and writes, through reversible, guarded patches like MLflow's.

| wrapped                                                          | records                          |
|------------------------------------------------------------------|----------------------------------|
| `pandas.read_csv/read_parquet/read_json/read_excel/read_feather` | the file read (holds its data)   |
| `DataFrame.to_csv/to_parquet/to_json/to_excel/to_feather`        | the file written (python_built)  |

A call on a buffer or file object without a path (`StringIO`, bytes) is no artifact and records
nothing. The user's thread takes only the path (made absolute, in case the working directory
changes) and the frame's column index and dtypes array (both cheap, neither copies data); naming
and the schema's text are made in the emitter thread. Paths are named by `naming.dataset_name`
(local paths, `s3://`, `gs://`, ... with credentials stripped), as Ray Data names them.
"""
from __future__ import annotations

import os
from typing import Any

from lineage_nb.capture.patching import Target
from lineage_nb.capture.recording import SKIP, Call, Capture, Library, PatchHook
from lineage_nb.core.facts import ActivityFact, ArtifactFact

WATCHED_MODULE = "pandas"
READERS = {"read_csv": "filepath_or_buffer", "read_parquet": "path", "read_json": "path_or_buf", "read_excel": "io", "read_feather": "path"}
WRITERS = {"to_csv": "path_or_buf", "to_parquet": "path", "to_json": "path_or_buf", "to_excel": "excel_writer", "to_feather": "path"}
FORMATS = {"csv": "csv", "parquet": "parquet", "json": "json", "excel": "excel", "feather": "arrow"}


def location(value: Any) -> str | None:
    """The path or URI a pandas I/O argument names, absolute when local; None for buffers and literal data."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    elif not isinstance(value, str):
        value = getattr(value, "name", None)  # an open file knows its path; buffers have no name
        if not isinstance(value, str) or value.startswith("<"):  # <stdin>, <fdopen>
            return None
    if not value or "\n" in value or value[0] in "{[":  # JSON or CSV text given as data
        return None
    return value if "://" in value or os.path.isabs(value) else os.path.abspath(value)


def schema_snapshot(data: Any) -> tuple[Any, list[tuple[Any, Any]]] | None:
    """(column labels, [(dtype, column positions)] per block) of a DataFrame or Series, without copying.
    An Index and a block's placement are immutable, so later changes to the frame do not reach them;
    reading them costs a few microseconds on a fresh frame, where `get_dtypes` costs 30."""
    blocks = getattr(getattr(data, "_mgr", None), "blocks", None)
    if hasattr(data, "columns") and blocks is not None:
        return data.columns, [(block.dtype, block.mgr_locs) for block in blocks]
    if hasattr(data, "dtype") and hasattr(data, "name"):  # a Series (read_json(typ="series"))
        return (data.name,), [(data.dtype, (0,))]
    return None  # read_excel(sheet_name=None) gives a dict of frames


def schema_fields(snapshot: tuple[Any, list[tuple[Any, Any]]] | None) -> list[tuple[str, str]] | None:
    if snapshot is None:
        return None
    labels, blocks = snapshot
    dtypes: list[Any] = [None] * len(labels)
    for dtype, positions in blocks:
        for position in getattr(positions, "as_array", positions):
            dtypes[position] = dtype
    return [(str(label), str(dtype)) for label, dtype in zip(labels, dtypes)] or None


def _observe(parameter: str, frame_argument: bool) -> Any:
    def observe(call: Call) -> Any:
        path = location(call.argument(parameter))
        if path is None:
            return SKIP
        seen = path, schema_snapshot(call.args[0] if frame_argument else call.result)
        call.args, call.kwargs, call.result = (), {}, None  # the queue must not keep the user's frames alive
        return seen

    return observe


def _describe(file_format: str, direction: str) -> Any:
    def describe(call: Call, fact: ActivityFact) -> None:
        path, snapshot = call.seen
        artifact = ArtifactFact(location=path, format=file_format, schema=schema_fields(snapshot))
        if direction == "read":
            fact.inputs = [artifact]
        else:
            fact.outputs = [artifact]

    return describe


def _format(attribute: str) -> str:
    return FORMATS[attribute.split("_", 1)[1]]


CAPTURES: dict[Target, Capture] = {
    **{Target("pandas", None, name, (parameter,)): Capture(f"pandas.{name}", _describe(_format(name), "read"), _observe(parameter, False), holds=True)
       for name, parameter in READERS.items()},
    **{Target("pandas", "DataFrame", name, ("self", parameter)): Capture(f"pandas.{name}", _describe(_format(name), "write"), _observe(parameter, True), python_built=True)
       for name, parameter in WRITERS.items()},
}
_hook = PatchHook(Library("pandas", lambda _call: {"engine": "pandas", "engine_version": _version()}), CAPTURES)
install, uninstall, is_installed = _hook.install, _hook.uninstall, _hook.is_installed


def _version() -> str | None:
    import pandas

    return pandas.__version__

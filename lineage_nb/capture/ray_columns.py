"""Column lineage through a Ray Data plan: which input columns each column out of an operator comes from.

What flows along the plan is `Columns`: the columns an operator outputs, each with its origin
(the input columns it was computed from, or why those cannot be known), plus, below a source whose
schema the plan does not know, the datasets whose same-named columns pass through untouched.

Traced: reads, projections (`select_columns`, `drop_columns`, `rename_columns`, `with_column` and
`with_columns` expressions), `add_column`, filters, sorts, limits, repartitions, shuffles,
aggregations, joins and unions. A column a Python function built (a map, a UDF expression, an
in-memory source) has unknown inputs: it is marked so, never guessed. Anything else stops tracing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from lineage_nb.capture import ray_python
from lineage_nb.core.facts import ArtifactFact, ColumnInput, ColumnOrigin

IDENTITY, TRANSFORMATION, AGGREGATION = "IDENTITY", "TRANSFORMATION", "AGGREGATION"
_SUBTYPE_RANK = {IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2}
SOURCES = frozenset({"Read", "ReadFiles"})
PASS_THROUGH = frozenset({
    "Filter", "Limit", "Sort", "RandomShuffle", "Repartition", "RandomizeBlocks", "StreamingRepartition",
    "StreamingSplit", "Write",
})
SEMI_JOINS = {"left_semi": 0, "left_anti": 0, "right_semi": 1, "right_anti": 1}


@dataclass
class Columns:
    """The columns out of an operator. A column not in `known` passes through by name from each of
    `by_name`, or, when that is empty, has unknown inputs for `unknown_because`."""

    known: dict[str, ColumnOrigin] = field(default_factory=dict)
    by_name: list[ArtifactFact] = field(default_factory=list)
    unknown_because: str | None = None

    def origin(self, name: str) -> ColumnOrigin:
        if name in self.known:
            return self.known[name]
        if self.by_name:
            return ColumnOrigin([ColumnInput(source, name) for source in self.by_name])
        return ColumnOrigin(unknown_because=self.unknown_because or "not traced through this plan")

    def is_complete(self) -> bool:
        """True when `known` lists every column."""
        return not self.by_name and self.unknown_because is None


def unknown(reason: str) -> Columns:
    return Columns(unknown_because=reason)


def flow(sink: Any, sources: dict[int, list[ArtifactFact]], linked: Columns | None = None) -> dict[int, Columns]:
    """Columns out of `sink` and every operator before it, by id(operator).

    `sources` maps id(read operator) to the datasets it reads; `linked` are the columns of the
    materialized dataset an InputData operator holds, when capture knows them.
    """
    out: dict[int, Columns] = {}

    def columns_of(op: Any) -> Columns:
        if id(op) not in out:
            inputs = [columns_of(dep) for dep in op.input_dependencies]
            out[id(op)] = _through(op, inputs, sources, linked)
        return out[id(op)]

    columns_of(sink)
    return out


def written_lineage(columns: Columns, written: list[str]) -> dict[str, ColumnOrigin]:
    return {name: columns.origin(name) for name in written}


def _through(op: Any, inputs: list[Columns], sources: dict[int, list[ArtifactFact]], linked: Columns | None) -> Columns:
    kind = type(op).__name__
    if kind in SOURCES:
        return _source(op, sources.get(id(op), []))
    if kind in ray_python.IN_MEMORY_SOURCES:
        return unknown(f"built in Python ({op.name})")
    if kind == "InputData":
        return linked or unknown("materialized by an execution lineage_nb did not see")
    if kind in PASS_THROUGH and len(inputs) == 1:
        return inputs[0]
    handler = HANDLERS.get(kind)
    if handler is not None and inputs:
        return handler(op, inputs)
    return unknown(f"{op.name} is not traced column by column")


def _source(op: Any, reads: list[ArtifactFact]) -> Columns:
    """A read's columns, from each dataset it reads (several directories are read alike)."""
    if not reads:
        return unknown(f"read by {op.name}, which names no dataset")
    if ray_python.runs_user_code(op):
        return unknown(f"changed by a Python function while read ({op.name})")
    schema = reads[0].columns_read or reads[0].schema
    if not schema:
        return Columns(by_name=list(reads))
    return Columns({name: ColumnOrigin([ColumnInput(read, name) for read in reads]) for name, _ in schema})


def _map(op: Any, inputs: list[Columns]) -> Columns:
    """A map, map_batches or flat_map: Ray's own `add_column` and `drop_columns` helpers are
    traced; any other function's output is unknown."""
    (before,) = inputs
    helper = getattr(op.fn, "__qualname__", "")
    captured = ray_python.closure(op.fn)
    if helper == "Dataset.add_column.<locals>.add_column" and isinstance(captured.get("col"), str):
        name = getattr(captured.get("fn"), "__qualname__", "a Python function")
        return _with(before, {captured["col"]: ColumnOrigin(unknown_because=f"built by a Python function ({name})")})
    if helper == "Dataset.drop_columns.<locals>.drop_columns" and isinstance(captured.get("cols"), (list, tuple)):
        return Columns({n: o for n, o in before.known.items() if n not in captured["cols"]}, before.by_name, before.unknown_because)
    return unknown(f"built by a Python function ({op.name})")


def _project(op: Any, inputs: list[Columns]) -> Columns:
    from ray.data.expressions import StarExpr

    (before,) = inputs
    temporaries: dict[str, ColumnOrigin] = {}

    def lookup(name: str) -> ColumnOrigin:
        return temporaries[name] if name in temporaries else before.origin(name)

    for expr in op.get_common_sub_exprs():
        temporaries[expr.name] = _expression_origin(expr, lookup)
    selected: dict[str, ColumnOrigin] = {}
    keeps_all = False
    for expr in op.exprs:
        if isinstance(expr, StarExpr):
            keeps_all = True
            selected.update(before.known)
        else:
            selected[expr.name] = _expression_origin(expr, lookup)
    if keeps_all:
        return Columns(selected, before.by_name, before.unknown_because)
    return Columns(selected)


def _expression_origin(expr: Any, lookup: Callable[[str], ColumnOrigin]) -> ColumnOrigin:
    from ray.data._internal.planner.plan_expression.expression_visitors import get_column_references
    from ray.data.expressions import AliasExpr, ColumnExpr

    while isinstance(expr, AliasExpr) and isinstance(expr.expr, (AliasExpr, ColumnExpr)):
        expr = expr.expr
    if isinstance(expr, ColumnExpr):
        return lookup(expr.name)
    if ray_python.calls_python_udf(expr):
        return ColumnOrigin(unknown_because="built by a Python function (a UDF expression)")
    return _combined([lookup(name) for name in get_column_references(expr)], TRANSFORMATION)


def _aggregate(op: Any, inputs: list[Columns]) -> Columns:
    (before,) = inputs
    keys = op.key if isinstance(op.key, list) else [op.key] if op.key is not None else []
    known = {key: before.origin(key) for key in keys}
    for agg in op.aggs:
        if ray_python.is_user_function(type(agg)):
            known[agg.name] = ColumnOrigin(unknown_because=f"built by a Python aggregation ({type(agg).__name__})")
            continue
        target = agg.get_target_column() if hasattr(agg, "get_target_column") else None
        known[agg.name] = _combined([before.origin(target)] if target else [], AGGREGATION)
    return Columns(known)


def _join(op: Any, inputs: list[Columns]) -> Columns:
    left, right = inputs
    join_type = getattr(op.join_type, "value", op.join_type)
    if join_type in SEMI_JOINS:
        return inputs[SEMI_JOINS[join_type]]
    left_keys, right_keys = list(op.left_key_columns), list(op.right_key_columns)
    right_only = [name for name in right.known if name not in right_keys]
    clashing = set(left.known) & set(right_only)
    known: dict[str, ColumnOrigin] = {}
    for name, origin in left.known.items():
        if name in left_keys:  # Ray coalesces the right key into the left one
            origin = _combined([origin, right.origin(right_keys[left_keys.index(name)])], IDENTITY)
        elif name in clashing and op.left_columns_suffix:
            name += op.left_columns_suffix
        known[name] = origin
    for name in right_only:
        known[name + (op.right_columns_suffix or "_right") if name in clashing else name] = right.origin(name)
    return Columns(known, left.by_name + right.by_name, left.unknown_because or right.unknown_because)


def _union(op: Any, inputs: list[Columns]) -> Columns:
    names = list(dict.fromkeys(name for columns in inputs for name in columns.known))
    known = {name: _combined([columns.origin(name) for columns in inputs], IDENTITY) for name in names}
    by_name = [source for columns in inputs for source in columns.by_name]
    return Columns(known, by_name, next((c.unknown_because for c in inputs if c.unknown_because), None))


HANDLERS: dict[str, Callable[[Any, list[Columns]], Columns]] = {
    "MapBatches": _map,
    "MapRows": _map,
    "FlatMap": _map,
    "Project": _project,
    "Aggregate": _aggregate,
    "Join": _join,
    "Union": _union,
}


def _with(before: Columns, added: dict[str, ColumnOrigin]) -> Columns:
    return Columns({**before.known, **added}, before.by_name, before.unknown_because)


def _combined(origins: list[ColumnOrigin], subtype: str) -> ColumnOrigin:
    """One column computed from several: every input of theirs, at least `subtype` away. Unknown
    if any of them is: listing only the known inputs would say more than is known."""
    for origin in origins:
        if origin.unknown_because is not None:
            return origin
    inputs: dict[tuple[int, str], ColumnInput] = {}
    for origin in origins:
        for source in origin.inputs:
            strongest = max(source.subtype, subtype, key=_SUBTYPE_RANK.__getitem__)
            key = (id(source.artifact), source.field)
            if key in inputs:
                strongest = max(strongest, inputs[key].subtype, key=_SUBTYPE_RANK.__getitem__)
            inputs[key] = ColumnInput(source.artifact, source.field, strongest)
    return ColumnOrigin(list(inputs.values()))


"""Where a Ray Data plan runs the user's Python code or starts from data built in Python.

Facts for cell-level lineage (DESIGN.md "Held data"): data written through a Python function, or
from in-memory data, was built in the Python process, so whatever the process holds may have
shaped it. Ray's own helpers (`drop_columns`' fallback, `random_sample`) run code from Ray's
modules and are not the user's, unless they close over a user callable (`add_column(col, fn)`).
"""
from __future__ import annotations

import functools
from typing import Any, Iterable

IN_MEMORY_SOURCES = frozenset({"FromItems", "FromPandas", "FromNumpy", "FromArrow", "FromBlocks"})
FUNCTION_OPERATORS = frozenset({"MapBatches", "MapRows", "FlatMap", "Filter"})
EXPRESSION_OPERATORS = frozenset({"Project", "Filter"})
MAX_WRAPPER_DEPTH = 3  # Ray helper -> user callable; deeper closures are not followed


def built_in_python(operators: Iterable[Any]) -> bool:
    """True when a plan starts from in-memory data or calls a user's Python function."""
    return any(type(op).__name__ in IN_MEMORY_SOURCES or runs_user_code(op) for op in operators)


def runs_user_code(op: Any) -> bool:
    """A map, flat_map or filter with a user function, a projection or filter calling a Python UDF
    expression, or a read transforming blocks with a user function (`read_parquet(_block_udf=...)`)."""
    kind = type(op).__name__
    if kind in FUNCTION_OPERATORS and getattr(op, "fn", None) is not None:
        return is_user_function(op.fn)
    if kind in EXPRESSION_OPERATORS:
        return any(calls_python_udf(expr) for expr in expressions(op))
    if kind == "ReadFiles" and getattr(op, "block_udf", None) is not None:
        return is_user_function(op.block_udf)
    return False


def expressions(op: Any) -> list[Any]:
    """The expressions a Project or an expression Filter evaluates."""
    if type(op).__name__ == "Project":
        return list(op.get_all_exprs())
    predicate = getattr(op, "predicate_expr", None)
    return [predicate] if predicate is not None else []


def is_user_function(fn: Any, depth: int = 0) -> bool:
    """A callable defined outside Ray, or one of Ray's helpers closing over such a callable."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    owner = fn if isinstance(fn, type) or hasattr(fn, "__code__") else getattr(fn, "__self__", None) or type(fn)
    module = getattr(owner, "__module__", None) or ""
    if module.split(".")[0] != "ray":
        return True
    if depth >= MAX_WRAPPER_DEPTH:
        return False
    return any(callable(value) and is_user_function(value, depth + 1) for value in closure(fn).values())


def closure(fn: Any) -> dict[str, Any]:
    """The variables a function closes over, by name."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    captured = {}
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
        try:
            captured[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return captured


def calls_python_udf(expr: Any) -> bool:
    """An expression calling a Python UDF (`@udf`), rather than only Arrow compute functions."""
    from ray.data._internal.planner.plan_expression.expression_visitors import _ExprVisitorBase
    from ray.data.expressions import PyArrowComputeUDFExpr

    class PythonUDFFinder(_ExprVisitorBase):
        found = False

        def visit_column(self, expr: Any) -> None:
            pass

        def visit_udf(self, expr: Any) -> None:
            if not isinstance(expr, PyArrowComputeUDFExpr):
                self.found = True
            super().visit_udf(expr)

    finder = PythonUDFFinder()
    finder.visit(expr)
    return finder.found

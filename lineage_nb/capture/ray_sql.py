"""Naming the tables a Ray Data `read_sql` / `write_sql` reads or writes, from its query and connection factory.

The connection factory is never called (that would open a connection on the user's behalf): its
URL or connect arguments are read from what it closes over. Tables are named by OpenLineage's
naming spec through `naming.sql_dataset_name`, which strips credentials.
"""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from lineage_nb.capture.sql_names import sql_table_facts
from lineage_nb.core.facts import ArtifactFact

# Python DB-API modules -> SQLAlchemy-style URL scheme, for naming read_sql sources.
SCHEME_BY_DBAPI_MODULE = {
    "sqlite3": "sqlite", "psycopg": "postgresql", "psycopg2": "postgresql", "pg8000": "postgresql",
    "pymysql": "mysql", "MySQLdb": "mysql", "mysql": "mysql", "snowflake": "snowflake", "databricks": "databricks", "duckdb": "duckdb",
}


def sql_tables(sql: Any, connection_factory: Any) -> list[ArtifactFact]:
    """Tables named in a query (found by openlineage-sql), each named by its connection URL (credentials stripped by naming)."""
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

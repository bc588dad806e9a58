"""The tables a SQL statement names, found by openlineage-sql (OpenLineage's own SQL parser), each
named by its connection per the naming spec: `read_sql("SELECT ... FROM a JOIN b")` reads a and b,
a CTE is not a table, `write_sql("INSERT INTO t ...")` writes t."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lineage_nb.core.facts import ArtifactFact
from lineage_nb.core.naming import sql_dataset_name

DIALECT_BY_SCHEME = {
    "postgres": "postgres", "postgresql": "postgres", "sqlite": "sqlite", "duckdb": "duckdb", "mysql": "mysql",
    "snowflake": "snowflake", "databricks": "databricks", "mssql": "mssql", "bigquery": "bigquery", "trino": "trino",
}


def statement_tables(sql: str, url: str) -> list[str]:
    """Qualified names of the tables `sql` reads or writes, in the order the statement names them."""
    import openlineage_sql

    dialect = DIALECT_BY_SCHEME.get(urlsplit(url).scheme.split("+")[0].lower(), "generic")
    meta = openlineage_sql.parse([sql], dialect=dialect)
    names = list(dict.fromkeys(table.qualified_name for table in (*meta.in_tables, *meta.out_tables)))
    lowered = sql.lower()
    return sorted(names, key=lambda name: (lowered.find(name.rsplit(".", 1)[-1].lower()) % (len(lowered) + 1), name))


def sql_table_facts(sql: Any, url: str | None) -> list[ArtifactFact]:
    """An artifact for each table `sql` names on the connection `url`; the database itself when it names none."""
    if url is None or not isinstance(sql, str):
        return []
    named = [sql_dataset_name(url, table) for table in statement_tables(sql, url) or [None]]
    return [ArtifactFact(namespace=n.namespace, name=n.name, location=n.uri, format="table") for n in named]

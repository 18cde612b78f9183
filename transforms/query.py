"""Read-only ad-hoc SQL over the warehouse views."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

import duckdb

from schemas.tables import TABLES
from schemas.views import sql_literal, view_statements
from transforms import storage

ALLOWED_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class QueryRefused(ValueError):
    """The statement would change something; `wirehouse sql` only reads."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def check_read_only(sql: str) -> list[str]:
    """The statements of `sql`, if every one only reads; else QueryRefused naming the culprit."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"could not parse the query: {exc}") from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    for statement in statements:
        if statement.type not in ALLOWED_STATEMENTS:
            kind = statement.type.name
            raise QueryRefused(
                f"refused a {kind} statement: `wirehouse sql` is read-only and runs only SELECT "
                f"(and EXPLAIN); writes, COPY, ATTACH, INSTALL, LOAD and SET are not allowed. "
                f"Statement: {statement.query.strip()[:120]}"
            )
    return [statement.query for statement in statements]


def register_views(
    con: duckdb.DuckDBPyConnection, warehouse: storage.Warehouse, as_of: str | int | None = None
) -> storage.Snapshot:
    """Create the views over the snapshot pinned by the latest commit marker (or `as_of`).

    A local warehouse is read by DuckDB's read_parquet over the pinned files (as views.sql
    does); an S3 one through Arrow datasets of the pinned Delta versions, since DuckDB's own
    S3 and Delta extensions are not available.
    """
    loc = storage.location(warehouse)
    storage.check_reachable(loc)
    storage.refuse_legacy_layout(loc)
    snapshot = storage.read_snapshot(loc, as_of)
    if loc.remote:
        relations: dict[str, str | None] = {}
        for name in TABLES:
            dataset = storage.pinned_dataset(loc, name, snapshot)
            relations[name] = None
            if dataset is not None:
                relations[name] = f"_delta_{name}"
                con.register(relations[name], dataset)
        statements = view_statements(relations=relations)
    else:
        con.execute(f"SET file_search_path = {sql_literal(str(loc.path.resolve()))}")
        files = {name: tuple(storage.committed_files(loc, name, snapshot)) for name in TABLES}
        statements = view_statements(files)
    for statement in statements:
        con.execute(statement)
    return snapshot


def open_warehouse(
    warehouse: storage.Warehouse, as_of: str | int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse views, extensions off, configuration locked."""
    con = duckdb.connect(":memory:")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    try:
        register_views(con, warehouse, as_of)
    except BaseException:
        con.close()
        raise
    con.execute("SET lock_configuration = true")
    return con


def run_query(warehouse: storage.Warehouse, sql: str, as_of: str | int | None = None) -> QueryResult:
    statements = check_read_only(sql)
    con = open_warehouse(warehouse, as_of)
    try:
        result = None
        for statement in statements:
            result = con.execute(statement)
        assert result is not None
        columns = [d[0] for d in result.description] if result.description else []
        return QueryResult(columns=columns, rows=result.fetchall())
    finally:
        con.close()


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID | bytes):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def as_json(result: QueryResult) -> str:
    records = [dict(zip(result.columns, map(_jsonable, row), strict=True)) for row in result.rows]
    return json.dumps(records, ensure_ascii=False, indent=1)


def as_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else _jsonable(v) for v in row])
    return buffer.getvalue()

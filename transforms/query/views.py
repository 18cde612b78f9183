"""The warehouse views a query reads, over the snapshot pinned by a commit marker.

Only the views a query names are created (with what they read in turn: `referenced_names`), so
a table whose files an older marker no longer has does not stop a query that does not read it.
On a local warehouse DuckDB reads the pinned snapshot's files, and exactly those are admitted by
`read_only.harden_connection`; on S3 each table is an Arrow dataset of its pinned Delta version.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import duckdb

from schemas.tables import TABLES
from schemas.views import ANALYSIS_VIEWS, sql_literal, view_statements
from transforms import storage
from transforms.query import read_only
from transforms.query.read_only import NO_READS, NamedReads, syntax_tree


def committed_files(warehouse: Path, tables: Mapping[str, Iterable[str]]) -> list[str]:
    """Every file the views over `tables` read, as the views name it and as an absolute path.

    `tables` holds each table's files in the pinned snapshot, relative to the warehouse
    (`storage.committed_files`). DuckDB checks a relative name found through
    `file_search_path` in both forms (so the relative form also admits that name under the
    working folder).
    """
    root = warehouse.resolve()
    return [form for files in tables.values() for name in files for form in (name, str(root / name))]


@lru_cache(maxsize=1)
def view_dependencies() -> dict[str, frozenset[str]]:
    """The warehouse names (tables, views) each analysis view reads, directly or through
    another view."""
    known = set(TABLES) | set(ANALYSIS_VIEWS)
    direct = {name: {table for _schema, table in _base_tables(syntax_tree(sql))} & known
              for name, sql in ANALYSIS_VIEWS.items()}
    closed: dict[str, frozenset[str]] = {}

    def close(name: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        if name not in closed:
            found = set(direct.get(name, ()))
            for other in direct.get(name, ()):
                if other not in seen:
                    found |= close(other, seen | {name})
            closed[name] = frozenset(found)
        return closed[name]

    for name in ANALYSIS_VIEWS:
        close(name)
    return closed


# Catalogue introspection lists every view: a statement that uses it gets them all.
_CATALOGUE_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
_CATALOGUE_FUNCTIONS = ("duckdb_", "pragma_")


def _base_tables(node: object) -> Iterator[tuple[str, str]]:
    """(schema, table) of every table reference in a syntax tree; table functions of the
    catalogue as ("", "duckdb_…")."""
    if isinstance(node, list):
        for item in node:
            yield from _base_tables(item)
    elif isinstance(node, dict):
        if node.get("type") == "BASE_TABLE":
            yield str(node.get("schema_name") or "").lower(), str(node.get("table_name", "")).lower()
        elif node.get("type") == "TABLE_FUNCTION":
            name = str((node.get("function") or {}).get("function_name", "")).lower()
            if name.startswith(_CATALOGUE_FUNCTIONS):
                yield "", name
        for value in node.values():
            yield from _base_tables(value)


def referenced_names(statements: Iterable[str]) -> frozenset[str] | None:
    """The warehouse tables and views `statements` read (DuckDB's parser says which), with every
    table and view those views read in turn; None when that cannot be told or the catalogue is
    read (SHOW TABLES, information_schema, duckdb_views()): then every view is created."""
    known = set(TABLES) | set(ANALYSIS_VIEWS)
    named: set[str] = set()
    with duckdb.connect(":memory:") as con:
        for statement in statements:
            text = con.execute("SELECT json_serialize_sql(?)", [statement]).fetchone()[0]
            tree = json.loads(text)
            if tree.get("error"):
                return None  # EXPLAIN and the like: not serialisable
            found = list(_base_tables(tree))
            first = statement.lstrip().split(None, 1)[0].lower() if statement.strip() else ""
            if not found and first in ("show", "describe", "summarize"):
                return None
            if any(schema in _CATALOGUE_SCHEMAS or table.startswith(_CATALOGUE_FUNCTIONS)
                   for schema, table in found):
                return None
            named |= {table for schema, table in found if schema in ("", "main")} & known
    dependencies = view_dependencies()
    for name in list(named):
        named |= dependencies.get(name, frozenset())
    return frozenset(named)


def register_views(
    con: duckdb.DuckDBPyConnection, warehouse: storage.Warehouse, as_of: str | int | None = None,
    names: Collection[str] | None = None, snapshot: storage.Snapshot | None = None,
) -> tuple[storage.Snapshot, dict[str, tuple[str, ...]]]:
    """Create the views over the snapshot pinned by the latest commit marker (or `as_of`, or the
    given `snapshot`): every one, or only `names` (closed over what views read, as
    `referenced_names` gives it).

    A local warehouse is read by DuckDB's read_parquet over the pinned files (as views.sql
    does); those files are returned, relative to the warehouse, for `harden_connection` to
    admit. An S3 one is read through Arrow datasets of the pinned Delta versions (DuckDB's own
    S3 and Delta extensions are not available): pyarrow opens those files, not DuckDB, so
    there are no files for DuckDB to admit.
    """
    loc = storage.location(warehouse)
    if snapshot is None:
        storage.check_reachable(loc)
        storage.refuse_legacy_layout(loc)
        snapshot = storage.read_snapshot(loc, as_of)
    tables = [name for name in TABLES if names is None or name in names]
    files: dict[str, tuple[str, ...]] = {}
    if loc.remote:
        relations: dict[str, str | None] = {}
        for name in tables:
            dataset = storage.pinned_dataset(loc, name, snapshot)
            relations[name] = None
            if dataset is not None:
                relations[name] = f"_delta_{name}"
                con.register(relations[name], dataset)
        statements = view_statements(relations=relations, names=names)
    else:
        # The views' relative file names are found in the warehouse; a query's own relative
        # names (an allowed folder's files or glob) in the working folder, as the README says:
        # DuckDB tries the working folder for a plain name, but a glob only along this path.
        search = ",".join([str(loc.path.resolve()), os.getcwd()])
        con.execute(f"SET file_search_path = {sql_literal(search)}")
        files = {name: tuple(storage.committed_files(loc, name, snapshot)) for name in tables}
        statements = view_statements(files, names=names)
    for statement in statements:
        con.execute(statement)
    return snapshot, files


def open_warehouse(
    warehouse: storage.Warehouse, reads: NamedReads = NO_READS, as_of: str | int | None = None,
    names: Collection[str] | None = None, snapshot: storage.Snapshot | None = None,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse views (all, or `names`), hardened: it reads the
    views and `reads`."""
    con = duckdb.connect(":memory:")
    try:
        # One reading of the snapshot for both: a commit or compaction between two readings
        # would let the views name files the hardened connection was not told about.
        _snapshot, files = register_views(con, warehouse, as_of, names, snapshot)
        admitted = committed_files(storage.location(warehouse).path, files) if files else []
        admitted_reads = NamedReads(files=(*admitted, *reads.files), directories=reads.directories)
        if memory_limit:
            read_only.harden_connection(con, admitted_reads, memory_limit=memory_limit)
        else:
            read_only.harden_connection(con, admitted_reads)
    except BaseException:
        con.close()
        raise
    return con

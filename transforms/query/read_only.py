"""Read-only ad-hoc SQL over the warehouse views.

Two layers keep `wirehouse sql` from changing anything:

1. `check_read_only` asks DuckDB's own parser what each statement is. Only SELECT-type
   statements pass (SELECT, FROM-first, VALUES, WITH, SHOW, DESCRIBE, SUMMARIZE, set
   operations), and EXPLAIN / EXPLAIN ANALYZE only of one of those: EXPLAIN ANALYZE executes
   what it explains, so the wrapped statement is parsed and checked in turn. A SELECT can still
   act through the functions it calls, so its whole syntax tree (DuckDB's `json_serialize_sql`)
   is walked: table functions must be known readers, scalar functions with side effects and
   data-modifying CTEs are refused.
2. `harden_connection` makes the connection itself refuse what a missed statement could do:
   configuration is locked (no SET, no enable_logging()/enable_profiling() writing files),
   extensions are neither installed nor loaded, and file access is switched off except for the
   exact files the views and the statement name for reading. DuckDB 2.0 cannot allow reading a
   path while refusing writes to it (measured: `allowed_paths`/`allowed_directories` admit both),
   so this layer stops writes to every other path, new files in the warehouse included; it is
   the parser check that refuses a write to a file being read.

The views read the snapshot pinned by the latest commit marker (or `--as-of`): on a local
warehouse DuckDB reads that snapshot's files, and exactly those are admitted; on S3 each table is
an Arrow dataset of its pinned Delta version, which pyarrow reads, so DuckDB is admitted no
warehouse path at all.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from schemas.views import sql_literal

# Table functions that only read: files, generated rows, and catalogue introspection.
READING_TABLE_FUNCTIONS = frozenset({
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
    "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto",
    "read_ndjson_objects", "read_text", "read_blob", "sniff_csv", "glob",
    "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
    "histogram", "histogram_values", "icu_calendar_names", "pg_timezone_names",
    "duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_dependencies",
    "duckdb_functions", "duckdb_indexes", "duckdb_keywords", "duckdb_schemas",
    "duckdb_sequences", "duckdb_settings", "duckdb_tables", "duckdb_types", "duckdb_views",
    "pragma_table_info", "pragma_show", "pragma_version", "pragma_platform",
})
# Table functions whose arguments name files to read: the files admitted by `harden_connection`.
FILE_READING_TABLE_FUNCTIONS = frozenset(
    name for name in READING_TABLE_FUNCTIONS
    if name.startswith(("read_", "parquet_", "sniff_")) or name == "glob"
)
# Scalar functions that change state: logging, sequences, the random seed.
SIDE_EFFECT_FUNCTIONS = frozenset({"write_log", "setseed", "nextval", "setval", "currval"})
READING_QUERY_NODES = frozenset({
    "SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE",
})
GLOB_CHARACTERS = frozenset("*?[{")


class QueryRefused(ValueError):
    """The statement would change something; `wirehouse sql` only reads."""


class ReadNotFound(FileNotFoundError):
    """A file the query names, in an allowed folder, that does not exist."""


# Never readable, whatever is allowed: the process's own environment (storage credentials) and
# the host's devices and kernel state.
NEVER_READABLE = ("/proc", "/sys", "/dev")
ALLOW_HINT = "allow its folder with --allow-read DIR (or WIREHOUSE_ALLOW_READ)"


@dataclass(frozen=True)
class NamedReads:
    """Files (and, for globs, directories) a query names for reading, as DuckDB will open them."""

    files: tuple[str, ...] = ()
    directories: tuple[str, ...] = ()


NO_READS = NamedReads()


@dataclass(frozen=True)
class ReadOnlyQuery:
    statements: tuple[str, ...]
    named_paths: tuple[str, ...]


def _one_line(text: str, limit: int = 120) -> str:
    return " ".join(text.split())[:limit]


def _refusal(what: str, statement: str) -> QueryRefused:
    return QueryRefused(
        f"refused {what}: `wirehouse sql` is read-only and runs only SELECT (and EXPLAIN of a "
        f"SELECT); writes, COPY, EXPORT, ATTACH, INSTALL, LOAD, SET, PRAGMA, CALL, PREPARE and "
        f"state-changing functions are not allowed. Statement: {_one_line(statement)}"
    )


def _parsed(sql: str) -> list[duckdb.Statement]:
    try:
        return duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"could not parse the query: {_one_line(str(exc), 200)}") from exc


def _statement_type(statement: duckdb.Statement) -> duckdb.StatementType:
    try:
        return statement.type
    # The Python API has no StatementType for some kinds (UPDATE EXTENSIONS): not a read either.
    except ValueError as exc:
        raise _refusal("a statement of a kind DuckDB's Python API cannot name", statement.query) from exc


def _explained_candidates(statement: str) -> tuple[str, list[str]]:
    """How the EXPLAIN is named, and what it wraps: the text after `EXPLAIN`, `EXPLAIN ANALYZE`
    or `EXPLAIN (…)`.

    Where a token could open either the options or the statement (`EXPLAIN (SELECT 1)` against
    `EXPLAIN (ANALYZE) SELECT 1`), every reading is returned; each one that parses must pass.
    """
    every = duckdb.tokenize(statement)
    ends = [pos for pos, _kind in every[1:]] + [len(statement)]
    tokens = [
        (pos, kind, statement[pos:end].strip())
        for (pos, kind), end in zip(every, ends, strict=True)
        if kind != duckdb.token_type.comment
    ]
    if not tokens or tokens[0][2].upper() != "EXPLAIN":
        raise _refusal("an EXPLAIN whose form is not recognised", statement)
    after = 1
    candidates = [after]
    if after < len(tokens) and tokens[after][2].upper() in ("ANALYZE", "ANALYSE"):
        after += 1  # the ANALYZE option; were it the wrapped statement, reading 1 checks it
        candidates.append(after)
    if after < len(tokens) and tokens[after][2].startswith("("):
        depth = 0
        for index in range(after, len(tokens)):
            _pos, kind, text = tokens[index]
            if kind == duckdb.token_type.operator:
                depth += text.count("(") - text.count(")")
            if depth <= 0:
                candidates.append(index + 1)
                break
    prefix = {text.upper() for _pos, _kind, text in tokens[: max(candidates)]}
    name = "EXPLAIN ANALYZE" if prefix & {"ANALYZE", "ANALYSE"} else "EXPLAIN"
    return name, [statement[tokens[i][0]:] for i in candidates if i < len(tokens)]


def syntax_tree(statement: str) -> dict:
    with duckdb.connect(":memory:") as con:
        text = con.execute("SELECT json_serialize_sql(?)", [statement]).fetchone()[0]
    tree = json.loads(text)
    if tree.get("error"):
        raise _refusal(f"a statement that could not be checked ({tree.get('error_message')})",
                       statement)
    return tree


def _string_constants(node: object) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _string_constants(item)
    elif isinstance(node, dict):
        literal = node.get("literal")
        if node.get("class") == "CONSTANT" and isinstance(literal, dict):
            if literal.get("kind") == "STRING":
                yield literal["text"]
        else:
            for value in node.values():
                yield from _string_constants(value)


def _named_paths_and_checked(node: object, statement: str) -> Iterator[str]:
    """Walks a SELECT's syntax tree, refusing what is not a read; yields the paths it reads."""
    if isinstance(node, list):
        for item in node:
            yield from _named_paths_and_checked(item, statement)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if isinstance(kind, str) and kind.endswith("_NODE") and kind not in READING_QUERY_NODES:
        what = kind.removesuffix("_NODE").removesuffix("_QUERY").replace("_", " ")
        raise _refusal(f"an {what} inside a SELECT", statement)
    if kind == "TABLE_FUNCTION":
        name = str(node["function"].get("function_name", "")).lower()
        if name not in READING_TABLE_FUNCTIONS:
            raise _refusal(f"the table function {name}()", statement)
        arguments = node["function"].get("arguments") or [{}]
        if name in FILE_READING_TABLE_FUNCTIONS and isinstance(arguments[0], dict):
            # The file (or list of files) is the first argument; options come as `name = value`.
            first = arguments[0].get("expression")
            if isinstance(first, dict) and first.get("class") != "COMPARISON":
                yield from _string_constants(first)
    elif kind == "BASE_TABLE" and not node.get("schema") and not node.get("catalog"):
        table = str(node.get("table_name", ""))
        if "." in table or "/" in table:  # FROM 'file.csv': DuckDB's replacement scan reads it
            yield table
    if node.get("class") == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        if name in SIDE_EFFECT_FUNCTIONS:
            raise _refusal(f"the function {name}(), which changes state", statement)
    for value in node.values():
        yield from _named_paths_and_checked(value, statement)


def _checked_statement(statement: str, kind: duckdb.StatementType, inside: str = "") -> list[str]:
    """The paths a read-only statement names; QueryRefused if it is anything but a read."""
    if kind == duckdb.StatementType.SELECT:
        return list(_named_paths_and_checked(syntax_tree(statement), statement))
    if kind == duckdb.StatementType.EXPLAIN and not inside:
        where, candidates = _explained_candidates(statement)
        wrapped = []
        for candidate in candidates:
            try:
                wrapped.append(
                    [(found.query, _statement_type(found))
                     for found in duckdb.extract_statements(candidate)])
            except duckdb.Error:
                continue  # not this reading of the parenthesis
        if not wrapped or any(len(found) != 1 for found in wrapped):
            raise _refusal("an EXPLAIN whose statement could not be checked", statement)
        return [
            path for found in wrapped
            for path in _checked_statement(*found[0], inside=where)
        ]
    where = f" inside {inside}" if inside else ""
    raise _refusal(f"a {kind.name} statement{where}", statement)


def read_only_query(sql: str) -> ReadOnlyQuery:
    """The statements of `sql` and the paths they read, if every one only reads."""
    statements = _parsed(sql)
    if not statements:
        raise QueryRefused("no SQL statement given")
    paths: list[str] = []
    for statement in statements:
        paths += _checked_statement(statement.query, _statement_type(statement))
    return ReadOnlyQuery(
        statements=tuple(s.query for s in statements), named_paths=tuple(dict.fromkeys(paths))
    )


def check_read_only(sql: str) -> list[str]:
    """The statements of `sql`, if every one only reads; else QueryRefused naming the culprit."""
    return list(read_only_query(sql).statements)


def named_reads(paths: Iterable[str], base: Path) -> NamedReads:
    """The files and glob directories behind `paths`, as DuckDB resolves them (cwd, then `base`)."""
    files: list[str] = []
    directories: list[str] = []
    for path in paths:
        if "://" in path:
            continue  # remote: no extension can be loaded to read it anyway
        expanded = os.path.expanduser(path)
        candidates = [expanded] if os.path.isabs(expanded) else [
            os.path.abspath(expanded), str(base / expanded)]
        for candidate in candidates:
            glob_at = next((i for i, c in enumerate(candidate) if c in GLOB_CHARACTERS), None)
            if glob_at is None:
                files.append(candidate)
            else:
                directories.append(candidate[: candidate.rfind("/", 0, glob_at) + 1] or "/")
    return NamedReads(tuple(dict.fromkeys(files)), tuple(dict.fromkeys(directories)))


def _sql_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(sql_literal(item) for item in items) + "]"


def harden_connection(con: duckdb.DuckDBPyConnection, reads: NamedReads = NO_READS,
                      memory_limit: str | None = None) -> None:
    """Make `con` refuse writes, extensions and configuration changes; reads stay for `reads`.

    Call it after the views are created and before any user SQL runs. File access is switched
    off except for `reads` (DuckDB then also refuses to write anywhere else), extensions can be
    neither installed nor loaded, and the configuration is locked so none of this can be undone
    (SET, RESET, enable_logging() and enable_profiling() all fail).
    """
    if memory_limit:  # before the lock: a query cannot raise it
        con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET allow_community_extensions = false")
    con.execute(f"SET allowed_paths = {_sql_list(reads.files)}")
    con.execute(f"SET allowed_directories = {_sql_list(reads.directories)}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def confined_reads(
    paths: Iterable[str], allowed: Iterable[str], warehouse_root: Path | None = None
) -> NamedReads:
    """The files and glob folders behind `paths` (relative ones from the working folder), if
    each lies in an `allowed` folder; else QueryRefused naming the path.

    Nothing under /proc, /sys or /dev is ever read (links resolved first), nor a warehouse file
    directly: the views read the pinned commit, and a direct read would see other commits'
    files. A named file that does not exist is ReadNotFound ("not found"), not a refusal.
    """
    folders = [os.path.realpath(os.path.expanduser(folder)) for folder in allowed]
    root = os.path.realpath(warehouse_root) if warehouse_root is not None else None
    files: list[str] = []
    directories: list[str] = []
    for path in paths:
        if "://" in path:
            continue  # remote: no extension can be loaded to read it anyway
        candidate = os.path.abspath(os.path.expanduser(path))
        glob_at = next((i for i, c in enumerate(candidate) if c in GLOB_CHARACTERS), None)
        named = candidate if glob_at is None else candidate[: candidate.rfind("/", 0, glob_at) + 1] or "/"
        real = os.path.realpath(named)
        if any(_under(real, never) or (glob_at is not None and _under(never, real))
               for never in NEVER_READABLE):
            raise QueryRefused(f"refused reading {path}: nothing under /proc, /sys or /dev is ever read")
        if root is not None and (_under(real, root) or (glob_at is not None and _under(root, real))):
            raise QueryRefused(
                f"refused reading {path}: warehouse files are read through the views "
                "(dispatches, mentions, …), which read the pinned commit")
        if not any(_under(real, folder) for folder in folders):
            if any(_under(os.path.abspath(named), folder) for folder in folders):
                raise QueryRefused(f"refused reading {path}: a link to {real}, outside the allowed "
                                   f"folders; {ALLOW_HINT}")
            raise QueryRefused(f"refused reading {path}: `wirehouse sql` reads only the warehouse "
                               f"and allowed folders; {ALLOW_HINT}")
        if glob_at is None:
            if not os.path.exists(real):
                raise ReadNotFound(f"not found: {path}")
            files.append(candidate)
        else:
            _refuse_links_out(path, candidate, folders, root)
            directories.append(named)
    return NamedReads(tuple(dict.fromkeys(files)), tuple(dict.fromkeys(directories)))


def _refuse_links_out(path: str, pattern: str, folders: list[str], root: str | None) -> None:
    """Refuse a glob that matches a link (to a file, or a folder on the way) whose target is
    outside the allowed folders, under /proc, /sys or /dev, or in the warehouse, naming it.

    DuckDB resolves links against its allowed folders too, but says "file system operations are
    disabled by configuration" of the whole query; this says which link and where it leads.
    Python's glob is the judge (`*`, `?`, `[…]`, `**`; it follows linked folders, so it sees at
    least what DuckDB would open); a `{a,b}` pattern is left to DuckDB's own check."""
    for match in glob.iglob(pattern, recursive=True):
        real = os.path.realpath(match)
        inside = any(_under(real, folder) for folder in folders)
        forbidden = any(_under(real, never) for never in NEVER_READABLE) or (
            root is not None and _under(real, root))
        if forbidden or not inside:
            raise QueryRefused(f"refused reading {path}: it matches {match}, a link to {real}, "
                               f"outside the allowed folders; {ALLOW_HINT}")

"""Running a read-only query over the pinned views, and its result as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TextIO
from uuid import UUID

import duckdb
import pyarrow.fs as pafs

from schemas.tables import TABLES
from schemas.views import ANALYSIS_VIEWS
from transforms import storage
from transforms.query.read_only import NamedReads, ReadOnlyQuery, confined_reads, named_reads, read_only_query
from transforms.query.views import open_warehouse, referenced_names
from transforms.storage.location import filesystem
from transforms.storage.snapshot import MARKER_TABLE


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    # More rows than `max_rows` were there; only the first `max_rows` are in `rows`.
    truncated: bool = False


@dataclass(frozen=True)
class QueryLimits:
    """What one query may take: seconds (then it is interrupted), rows kept (None: all), and
    DuckDB's memory limit (e.g. '2GB'; None: DuckDB's default, 80% of RAM)."""

    timeout: float | None = None
    max_rows: int | None = None
    memory_limit: str | None = None


NO_LIMITS = QueryLimits()

# Rows fetched from DuckDB at a time when a result is streamed to a writer: DuckDB streams a
# result (it computes the next rows when they are fetched), so memory holds one chunk, not the
# result, whatever its size.
STREAM_CHUNK_ROWS = 2048


class RowWriter(Protocol):
    """Where a streamed result goes, chunk by chunk: `begin` once with the column names, `write`
    for each chunk as it is fetched, `end` once after the last."""

    def begin(self, columns: list[str]) -> None: ...

    def write(self, rows: list[tuple]) -> None: ...

    def end(self) -> None: ...


class NoSuchView(LookupError):
    """The query names a table that is not one of the views (one line, for the user)."""


# DuckDB's words for a missing table; the name is the first group.
_MISSING_TABLE = re.compile(r"Table with name (\S+) does not exist")


def no_such_view(exc: duckdb.Error) -> NoSuchView | None:
    """One line for DuckDB's "Table with name X does not exist!" (which goes on to suggest a
    catalogue table such as `pg_constraint`): what the views are, and for the storage's commit
    log `_commits`, which a user meets in the README and `wirehouse history`, where its rows are."""
    found = _MISSING_TABLE.search(str(exc)) if isinstance(exc, duckdb.CatalogException) else None
    if found is None:
        return None
    name = found.group(1)
    if name.lower() == MARKER_TABLE:
        return NoSuchView(
            f"{MARKER_TABLE} is not a view: it is the commit log, storage bookkeeping that no "
            "query reads; `wirehouse history` lists its commit markers (--json for every field), "
            f"and any Delta reader opens <warehouse>/{MARKER_TABLE}")
    views = ", ".join(sorted({*TABLES, *ANALYSIS_VIEWS}))
    return NoSuchView(f"no table or view named {name}; the views are: {views}")


class QueryStopped(RuntimeError):
    """The query was interrupted: its time ran out, or the user pressed Ctrl-C."""


def _stopping(con: duckdb.DuckDBPyConnection, limits: QueryLimits, why: list[str]):
    """A timer interrupting `con` after `limits.timeout`, and on the main thread a SIGINT
    handler interrupting it at once (DuckDB checks for an interrupt between vectors, so both act
    within a second); returns a function that undoes both."""
    timer = None
    if limits.timeout:
        def expire() -> None:
            why.append(f"the query ran past its time limit of {limits.timeout:g} s (--timeout)")
            con.interrupt()
        timer = threading.Timer(limits.timeout, expire)
        timer.daemon = True
        timer.start()
    previous = None
    if threading.current_thread() is threading.main_thread():
        def interrupt(_signum, _frame) -> None:
            why.append("the query was interrupted (Ctrl-C)")
            con.interrupt()
        previous = signal.signal(signal.SIGINT, interrupt)

    def undo() -> None:
        if timer is not None:
            timer.cancel()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return undo


def _readable(loc: storage.Location, snapshot: storage.Snapshot, tables: Iterable[str]) -> bool:
    """Whether every file of `tables` pinned by `snapshot` is still on storage."""
    try:
        paths = [path for name in tables for path in storage.committed_files(loc, name, snapshot)]
    except (storage.WarehouseError, OSError):
        return False  # the Delta log of that version is gone too
    if not paths:
        return True
    if not loc.remote:
        return all((loc.path / path).exists() for path in paths)
    fs, root = filesystem(loc)
    infos = fs.get_file_info([f"{root}/{path}" for path in paths])
    return all(info.type != pafs.FileType.NotFound for info in infos)


def vacuumed_error(
    loc: storage.Location, snapshot: storage.Snapshot, tables: Iterable[str]
) -> storage.WarehouseError | None:
    """One line if `snapshot` cannot be read because a vacuum deleted its files (of `tables`),
    naming the oldest marker whose files are all there; None if its files are all there.

    Markers are binary-searched between the unreadable one and the latest: a vacuum deletes
    every file replaced before its horizon, so what is readable is a run of the newest markers.
    """
    tables = [name for name in tables if name in TABLES]
    if _readable(loc, snapshot, tables):
        return None
    latest = storage.read_snapshot(loc)
    if not _readable(loc, latest, tables):
        return storage.WarehouseError(
            f"marker {snapshot.marker} is not readable: files it names are missing from storage, "
            f"and so are files of the latest marker {latest.marker}")
    low, high = snapshot.marker + 1, latest.marker
    while low < high:
        middle = (low + high) // 2
        if _readable(loc, storage.read_snapshot(loc, middle), tables):
            high = middle
        else:
            low = middle + 1
    oldest = storage.read_snapshot(loc, low)
    if oldest.marker <= snapshot.marker:  # low is a claim: its committed marker is unreadable
        oldest = storage.read_snapshot(loc, low + 1) if low < latest.marker else latest
    return storage.WarehouseError(
        f"marker {snapshot.marker} is no longer readable: its files were vacuumed; "
        f"the oldest readable marker is {oldest.marker}")


def run_query(warehouse: storage.Warehouse, sql: str, as_of: str | int | None = None,
              allow_read: Iterable[str] | None = None, limits: QueryLimits = NO_LIMITS,
              writer: RowWriter | None = None) -> QueryResult:
    """Run read-only `sql` over views of only the tables and views it names (a view brings what
    it reads): a table whose files an older marker no longer has does not stop a query that does
    not read it. If the files it does read were vacuumed, one line names the oldest readable
    marker instead of DuckDB's "No files found" or "Permission Error".

    With `allow_read` (what `wirehouse sql` passes: its --allow-read folders, maybe none), the
    files a query names must lie in those folders, never under /proc, /sys or /dev nor in the
    warehouse (`confined_reads`); without it (the library's own queries), as named.

    With a `writer`, rows are not collected: they go to the writer in chunks of
    `STREAM_CHUNK_ROWS` as DuckDB gives them, and the result holds the columns only (and whether
    `max_rows` cut it). A query that fails after its first rows were written is not run again.
    """
    query = read_only_query(sql)
    loc = storage.location(warehouse)
    names = referenced_names(query.statements)
    storage.check_reachable(loc)
    storage.refuse_legacy_layout(loc)
    snapshot = storage.read_snapshot(loc, as_of)
    # Relative names resolve against the working folder, then the warehouse (a local one).
    base = Path.cwd() if loc.remote else loc.path.resolve()
    if allow_read is None:
        reads = named_reads(query.named_paths, base)
    else:
        reads = confined_reads(query.named_paths, allow_read, None if loc.remote else loc.path)
    streamed = _Streamed(writer) if writer is not None else None
    try:
        return _run_pinned(warehouse, query, names, snapshot, reads, limits, streamed)
    except QueryStopped:
        raise
    except storage.WarehouseError as exc:
        # A pinned version whose Delta log is gone (cleaned up after a vacuum): the same one
        # line as for its files.
        vanished = vacuumed_error(loc, snapshot, TABLES if names is None else names)
        if vanished is not None:
            raise vanished from exc
        raise
    except duckdb.OutOfMemoryException as exc:
        limit = f" of {limits.memory_limit}" if limits.memory_limit else ""
        raise QueryStopped(f"the query ran out of memory (limit{limit}, --memory-limit): "
                           f"{' '.join(str(exc).split())[:200] or 'no detail from DuckDB'}") from exc
    except (duckdb.Error, OSError) as exc:
        unknown = no_such_view(exc) if isinstance(exc, duckdb.Error) else None
        if unknown is not None:
            raise unknown from exc
        if streamed is not None and streamed.started:
            raise  # rows are out: a second run would repeat them
        tables = TABLES if names is None else names
        if _readable(loc, snapshot, [name for name in tables if name in TABLES]):
            # Maintenance replaced the files the views named while the query ran, and the
            # snapshot reads the same rows from the files that replaced them: answer from those.
            try:
                return _run_pinned(warehouse, query, names, snapshot, reads, limits, streamed)
            except (duckdb.Error, OSError):
                pass
        vanished = vacuumed_error(loc, snapshot, tables)
        if vanished is not None:
            raise vanished from exc
        raise


class _Streamed:
    """A writer, and whether it has been given anything yet."""

    def __init__(self, writer: RowWriter) -> None:
        self.writer = writer
        self.started = False

    def stream(self, result: duckdb.DuckDBPyConnection, columns: list[str],
               max_rows: int | None) -> bool:
        """Every row of `result` (at most `max_rows`) to the writer, a chunk at a time; whether
        rows were left out."""
        self.started = True
        self.writer.begin(columns)
        left = max_rows
        while left is None or left > 0:
            chunk = result.fetchmany(STREAM_CHUNK_ROWS if left is None else min(left, STREAM_CHUNK_ROWS))
            if not chunk:
                break
            self.writer.write(chunk)
            if left is not None:
                left -= len(chunk)
        truncated = left == 0 and bool(result.fetchmany(1))
        self.writer.end()
        return truncated


def _run_pinned(warehouse: storage.Warehouse, query: ReadOnlyQuery, names: set[str] | None,
                snapshot: storage.Snapshot, reads: NamedReads,
                limits: QueryLimits = NO_LIMITS, streamed: _Streamed | None = None) -> QueryResult:
    """The statements over views of `snapshot`'s files, as they are resolved now."""
    con = open_warehouse(warehouse, reads, names=names, snapshot=snapshot,
                         memory_limit=limits.memory_limit)
    why: list[str] = []
    undo = _stopping(con, limits, why)
    try:
        result = None
        for statement in query.statements:
            result = con.execute(statement)
        assert result is not None
        columns = [d[0] for d in result.description] if result.description else []
        if streamed is not None:
            return QueryResult(columns, [], truncated=streamed.stream(result, columns, limits.max_rows))
        if limits.max_rows is None:
            return QueryResult(columns=columns, rows=result.fetchall())
        rows = result.fetchmany(limits.max_rows + 1)
        return QueryResult(columns, rows[: limits.max_rows], truncated=len(rows) > limits.max_rows)
    except duckdb.InterruptException as exc:
        raise QueryStopped(why[0] if why else "the query was interrupted") from exc
    except duckdb.Error as exc:
        if why:  # interrupted while DuckDB was in a place that reports it otherwise
            raise QueryStopped(why[0]) from exc
        raise
    finally:
        undo()
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


class JsonRows:
    """One JSON array of objects (one per row, keyed by column), written as rows come: the same
    text `json.dumps(records, indent=1)` gives, without holding the records."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.columns: list[str] = []
        self.first = True

    def begin(self, columns: list[str]) -> None:
        self.columns = columns

    def write(self, rows: list[tuple]) -> None:
        for row in rows:
            record = json.dumps(dict(zip(self.columns, map(_jsonable, row), strict=True)),
                                ensure_ascii=False, indent=1)
            # One level deeper inside the array; JSON strings hold no raw newline to shift.
            self.out.write(("[\n " if self.first else ",\n ") + record.replace("\n", "\n "))
            self.first = False

    def end(self) -> None:
        self.out.write("[]" if self.first else "\n]")


class CsvRows:
    """A header line, then one CSV line per row, written as rows come."""

    def __init__(self, out: TextIO) -> None:
        self.csv = csv.writer(out, lineterminator="\n")

    def begin(self, columns: list[str]) -> None:
        self.csv.writerow(columns)

    def write(self, rows: list[tuple]) -> None:
        self.csv.writerows(["" if v is None else _jsonable(v) for v in row] for row in rows)

    def end(self) -> None:
        pass


def _rendered(result: QueryResult, writer_type: type[JsonRows] | type[CsvRows]) -> str:
    buffer = io.StringIO()
    writer = writer_type(buffer)
    writer.begin(result.columns)
    writer.write(result.rows)
    writer.end()
    return buffer.getvalue()


def as_json(result: QueryResult) -> str:
    return _rendered(result, JsonRows)


def as_csv(result: QueryResult) -> str:
    return _rendered(result, CsvRows)

"""The warehouse on disk: Parquet files, the manifest that commits them, and the writer lock.

This is the one I/O adapter of the warehouse. The commit protocol:

1. every new file is written in full under `_staging/<run>/`, flushed and fsynced;
2. each is renamed into its table folder under a name no other commit uses;
3. a new `_manifest.json` listing every live file is written beside the old one and renamed
   over it: that rename is the commit point;
4. `views.sql` is regenerated from the manifest (also by rename).

Readers go through the views, which name only the files of the manifest, so a kill at any point
leaves the last committed snapshot readable and whole. Files renamed in but never committed, and
files a compaction replaced, are removed by `collect_garbage` at the start of the next writer.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.tables import TABLES, Table
from schemas.views import render_views_sql

MANIFEST_NAME = "_manifest.json"
VIEWS_NAME = "views.sql"
LOCK_NAME = ".lock"
STAGING_DIR = "_staging"
ROW_GROUP_SIZE = 128 * 1024


class WarehouseError(RuntimeError):
    """A failure of the warehouse itself (lock, disk, permissions), not of the input."""


@dataclass(frozen=True)
class Manifest:
    """The committed snapshot: live files per table, and files retired by compaction.

    Retired files stay on disk for a grace period so that a reader who loaded the previous
    views can finish its query; orphans (never committed) are removed at once.
    """

    version: int = 0
    tables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    retired: Mapping[str, str] = field(default_factory=dict)

    def files(self, table: str) -> tuple[str, ...]:
        return self.tables.get(table, ())

    def with_changes(
        self,
        added: Mapping[str, list[str]],
        removed: Mapping[str, list[str]] | None = None,
    ) -> Manifest:
        removed = removed or {}
        now = datetime.now(UTC).isoformat(timespec="seconds")
        tables: dict[str, tuple[str, ...]] = {}
        retired = dict(self.retired)
        for name in TABLES:
            gone = set(removed.get(name, ()))
            kept = [f for f in self.files(name) if f not in gone]
            tables[name] = tuple(kept + [f for f in added.get(name, ()) if f not in kept])
            retired.update({f: now for f in gone})
        return Manifest(version=self.version + 1, tables=tables, retired=retired)

    def without_retired(self, paths: set[str]) -> Manifest:
        retired = {f: t for f, t in self.retired.items() if f not in paths}
        return Manifest(version=self.version, tables=self.tables, retired=retired)


def read_manifest(warehouse: Path) -> Manifest:
    path = warehouse / MANIFEST_NAME
    if not path.exists():
        return Manifest()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Manifest(
        version=int(data["version"]),
        tables={name: tuple(files) for name, files in data["tables"].items()},
        retired=dict(data.get("retired", {})),
    )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_manifest(warehouse: Path, manifest: Manifest) -> None:
    tables = {name: list(files) for name, files in manifest.tables.items()}
    payload = {"version": manifest.version, "tables": tables, "retired": dict(manifest.retired)}
    _write_atomically(warehouse / MANIFEST_NAME, json.dumps(payload, indent=1, sort_keys=True))
    write_views_file(warehouse, manifest)


def write_views_file(warehouse: Path, manifest: Manifest) -> None:
    sql = render_views_sql(manifest.tables, search_path=warehouse.resolve())
    _write_atomically(warehouse / VIEWS_NAME, sql)


def staging_dir(warehouse: Path, run_id: str) -> Path:
    path = warehouse / STAGING_DIR / run_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def conform(table: Table, rows: pa.Table) -> pa.Table:
    """Cast to the table's schema, in its column order; missing nullable columns become nulls."""
    columns = []
    for fld in table.schema:
        if fld.name in rows.column_names:
            columns.append(rows.column(fld.name).cast(fld.type))
        else:
            columns.append(pa.nulls(rows.num_rows, type=fld.type))
    return pa.Table.from_arrays(columns, schema=table.schema)


def write_parquet_durably(rows: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pq.write_table(rows, handle, compression="zstd", row_group_size=ROW_GROUP_SIZE)
        handle.flush()
        os.fsync(handle.fileno())


def stage_table_files(
    table: Table, rows: pa.Table, staging: Path, commit_id: str
) -> dict[str, Path]:
    """Write rows as one staged file per partition; returns final relative path → staged path."""
    rows = conform(table, rows)
    if rows.num_rows == 0:
        return {}
    staged: dict[str, Path] = {}
    if table.partition_by is None:
        relative = f"{table.name}/part-{commit_id}.parquet"
        target = staging / relative
        write_parquet_durably(rows, target)
        staged[relative] = target
        return staged
    key = table.partition_by
    values = pc.unique(rows.column(key)).to_pylist()
    for value in sorted(values, key=lambda v: (v is None, v)):
        mask = pc.is_null(rows.column(key)) if value is None else pc.equal(rows.column(key), value)
        part = rows.filter(mask).drop_columns([key])
        label = "__HIVE_DEFAULT_PARTITION__" if value is None else str(value)
        relative = f"{table.name}/{key}={label}/part-{commit_id}.parquet"
        target = staging / relative
        write_parquet_durably(part, target)
        staged[relative] = target
    return staged


def publish(warehouse: Path, staged: Mapping[str, Path]) -> None:
    """Move staged files into their table folders (not yet visible: not in the manifest)."""
    touched: set[Path] = set()
    for relative, source in staged.items():
        target = warehouse / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        touched.add(target.parent)
    for directory in touched:
        _fsync_dir(directory)


def commit(
    warehouse: Path,
    staged: Mapping[str, Mapping[str, Path]],
    removed: Mapping[str, list[str]] | None = None,
) -> Manifest:
    """Publish staged files of several tables and make them visible in one atomic step."""
    current = read_manifest(warehouse)
    for files in staged.values():
        publish(warehouse, files)
    added = {name: sorted(files) for name, files in staged.items()}
    updated = current.with_changes(added, removed)
    write_manifest(warehouse, updated)
    return updated


def read_table(warehouse: Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """All committed rows of a table, partition column included, in the table's schema."""
    table = TABLES[name]
    wanted = columns or table.column_names
    pieces = []
    for relative in read_manifest(warehouse).files(name):
        pieces.append(_read_file(warehouse, table, relative, wanted))
    if not pieces:
        return table.schema.empty_table().select(wanted)
    return pa.concat_tables(pieces)


def _read_file(warehouse: Path, table: Table, relative: str, wanted: list[str]) -> pa.Table:
    stored = [c for c in wanted if c != table.partition_by]
    rows = pq.read_table(warehouse / relative, columns=stored)
    if table.partition_by and table.partition_by in wanted:
        label = Path(relative).parent.name.split("=", 1)[1]
        value = None if label == "__HIVE_DEFAULT_PARTITION__" else label
        typ = table.schema.field(table.partition_by).type
        column = pa.array([value] * rows.num_rows, type=pa.string()).cast(typ)
        rows = rows.append_column(table.partition_by, column)
    return rows.select(wanted)


def collect_garbage(warehouse: Path, retired_grace_seconds: float = 900.0) -> int:
    """Remove staging leftovers, orphans of killed commits, and files retired long enough.

    Writer-only: call it under the lock.
    """
    manifest = read_manifest(warehouse)
    if (warehouse / MANIFEST_NAME).exists():
        # A kill between the manifest's rename and the views' rename leaves views.sql behind.
        write_views_file(warehouse, manifest)
    live = {f for name in TABLES for f in manifest.files(name)}
    now = datetime.now(UTC)
    expired = {
        f for f, when in manifest.retired.items()
        if (now - datetime.fromisoformat(when)).total_seconds() >= retired_grace_seconds
    }
    removed = 0
    staging = warehouse / STAGING_DIR
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)
    for name in TABLES:
        folder = warehouse / name
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            relative = path.relative_to(warehouse).as_posix()
            if not path.is_file() or relative in live:
                continue
            if relative in manifest.retired and relative not in expired:
                continue
            path.unlink(missing_ok=True)
            removed += 1
        for directory in sorted(folder.rglob("*"), reverse=True):
            if directory.is_dir():
                with contextlib.suppress(OSError):
                    directory.rmdir()
    for leftover in warehouse.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    if expired:
        write_manifest(warehouse, manifest.without_retired(expired))
    return removed


@dataclass(frozen=True)
class CompactionReport:
    partitions_compacted: int
    files_before: int
    files_after: int


def _partition_of(relative: str) -> str:
    return str(Path(relative).parent)


def compact(
    warehouse: Path,
    commit_id: str,
    max_files: int = 4,
    target_rows: int = 2_000_000,
) -> CompactionReport:
    """Merge each partition's files into as few as fit `target_rows`, at most `max_files`.

    Rows are streamed row group by row group, so memory stays bounded by one row group. The
    new files replace the old ones in one manifest commit: readers see either snapshot, never
    a row twice or a row missing.
    """
    manifest = read_manifest(warehouse)
    staging = staging_dir(warehouse, commit_id) / "compact"
    staged: dict[str, dict[str, Path]] = {}
    removed: dict[str, list[str]] = {}
    partitions = before = after = 0
    for name in TABLES:
        groups: dict[str, list[str]] = {}
        for relative in manifest.files(name):
            groups.setdefault(_partition_of(relative), []).append(relative)
        for partition, files in sorted(groups.items()):
            if len(files) <= 1:
                continue
            rows = sum(pq.ParquetFile(warehouse / f).metadata.num_rows for f in files)
            outputs = max(1, min(max_files, -(-rows // target_rows)))
            written = _merge_files(warehouse, files, staging, partition, commit_id, outputs, rows)
            staged.setdefault(name, {}).update(written)
            removed.setdefault(name, []).extend(files)
            partitions += 1
            before += len(files)
            after += len(written)
    if staged:
        commit(warehouse, staged, removed)
    return CompactionReport(partitions, before, after)


class _RollingParquetWriter:
    """Writes rows into numbered files of about `rows_per_file` rows, in full row groups."""

    def __init__(self, staging: Path, partition: str, commit_id: str, schema: pa.Schema,
                 rows_per_file: int, max_files: int) -> None:
        self.staging, self.partition, self.commit_id = staging, partition, commit_id
        self.schema, self.rows_per_file, self.max_files = schema, rows_per_file, max_files
        self.written: dict[str, Path] = {}
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._rows_in_file = 0
        self._writer: pq.ParquetWriter | None = None
        self._handle = None

    def add(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= ROW_GROUP_SIZE:
            self._flush()

    def _flush(self) -> None:
        if not self._pending_rows:
            return
        if self._writer is None or (
            self._rows_in_file >= self.rows_per_file and len(self.written) < self.max_files
        ):
            self._close_file()
            self._open_file()
        rows = pa.Table.from_batches(self._pending).cast(self.schema)
        self._writer.write_table(rows, row_group_size=ROW_GROUP_SIZE)
        self._rows_in_file += rows.num_rows
        self._pending, self._pending_rows = [], 0

    def _open_file(self) -> None:
        relative = f"{self.partition}/part-{self.commit_id}-c{len(self.written):02d}.parquet"
        target = self.staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(target, "wb")  # noqa: SIM115 - closed in _close_file
        self._writer = pq.ParquetWriter(self._handle, self.schema, compression="zstd")
        self.written[relative] = target
        self._rows_in_file = 0

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._writer = None

    def close(self) -> dict[str, Path]:
        self._flush()
        self._close_file()
        return self.written


def _merge_files(
    warehouse: Path,
    files: list[str],
    staging: Path,
    partition: str,
    commit_id: str,
    outputs: int,
    rows: int,
) -> dict[str, Path]:
    schema = pq.read_schema(warehouse / files[0])
    writer = _RollingParquetWriter(
        staging, partition, commit_id, schema, rows_per_file=-(-rows // outputs), max_files=outputs
    )
    for relative in files:
        for batch in pq.ParquetFile(warehouse / relative).iter_batches(batch_size=ROW_GROUP_SIZE):
            writer.add(batch)
    return writer.close()


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started_at: str
    command: str


class WarehouseLock:
    """One writer at a time. `flock` is dropped by the kernel when its holder dies, so a lock
    left by a killed run is never stale: the next writer simply gets it."""

    def __init__(self, warehouse: Path, command: str, wait: bool = False, timeout: float = 0.0):
        self.path = warehouse / LOCK_NAME
        self.command = command
        self.wait = wait
        self.timeout = timeout
        self._fd: int | None = None

    def holder(self) -> LockHolder | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None
        return LockHolder(**data) if isinstance(data, dict) else None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if not self.wait or (self.timeout and time.monotonic() > deadline):
                    holder = self.holder()
                    os.close(fd)
                    raise WarehouseError(_busy_message(self.path.parent, holder)) from None
                time.sleep(0.2)
        holder = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            command=self.command,
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder.__dict__).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WarehouseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _busy_message(warehouse: Path, holder: LockHolder | None) -> str:
    who = (
        f"pid {holder.pid} on {holder.host}, `{holder.command}` since {holder.started_at}"
        if holder
        else "another process"
    )
    return (
        f"warehouse {warehouse} is in use by {who}. "
        "Only one run writes at a time: wait for it, or pass --wait."
    )


@contextlib.contextmanager
def writable_warehouse(warehouse: Path) -> Iterator[None]:
    """Turn disk-full and permission errors into one clear WarehouseError."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise WarehouseError(f"no space left to write the warehouse at {warehouse}") from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise WarehouseError(
                f"cannot write the warehouse at {warehouse}: {exc.strerror} ({exc.filename})"
            ) from exc
        raise

"""The warehouse on storage: one Delta Lake table per table, a commit marker, the writer lock.

This is the one I/O adapter of the warehouse. A warehouse is a local folder or an S3 prefix
(`s3://bucket/prefix`, credentials and endpoint from the standard `AWS_*` variables). Every
table of `schemas.tables.TABLES` is a Delta table at `<warehouse>/<table>/` (delta-rs), and one
more Delta table, `_commits`, holds the commit markers.

Delta commits one table at a time, and a batch spans several tables (a dispatch with its
mentions, quotes and taggings; a source file's ledger row with its dispatches). The commit
protocol that makes a batch appear in every table at once:

1. the batch's rows are written per table as Parquet under `_pending/<commit_id>/`, and then
   `_pending/<commit_id>/commit.json`, naming those tables, is written last (by rename locally,
   by a single PUT on S3): from here on the commit is decided and will be rolled forward;
2. each table gets one Delta append carrying the app transaction `(commit_id, 1)`; a table whose
   `transaction_version(commit_id)` is already set has it and is skipped, so re-applying is
   idempotent (a re-tag first deletes the rows it replaces, which is idempotent too);
3. a marker row is appended to `_commits` naming every table's Delta version, in a commit
   whose `_commits` version is the marker's number: that append is the commit point;
4. `views.sql` is regenerated for the new marker (local warehouses), and `_pending/<commit_id>`
   is removed.

Readers never read a table's latest version: they read the latest marker and pin each table to
the version it names (`DeltaTable(..., version=v)`), so the appends of a batch whose marker is
not written yet are invisible. A writer starts by rolling forward every decided commit it
finds in `_pending/` (`recover`), so a rerun after a kill completes exactly the tables the kill
left out, and everything pinned by the next marker is whole. `--as-of N` reads marker N.

On a local warehouse one writer holds an `flock` on `.lock`; a second is refused or waits.
Maintenance: `compact` is Delta's optimize (at most `max_files` files per partition) and a
vacuum that keeps replaced files for `VACUUM_RETENTION_HOURS`, so that readers that pinned an
older snapshot a moment ago can finish.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import random
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError

from schemas.tables import TABLES, Table
from schemas.views import render_views_sql

MARKER_TABLE = "_commits"
PENDING_DIR = "_pending"
STAGING_DIR = "_staging"
VIEWS_NAME = "views.sql"
LOCK_NAME = ".lock"
LEGACY_MANIFEST = "_manifest.json"
JOURNAL_NAME = "commit.json"
REPLACED_NAME = "_replaced.parquet"
ROW_GROUP_SIZE = 128 * 1024
# Files replaced by a compaction or a re-tag stay this long: a reader who pinned the previous
# snapshot just before can finish its query. Older snapshots are gone for --as-of after it.
VACUUM_RETENTION_HOURS = 1.0

Warehouse = str | Path

CLAIMED = "claimed"
COMMITTED = "committed"
MAX_CLAIM_ATTEMPTS = 200

MARKER_SCHEMA = pa.schema(
    [
        pa.field("marker", pa.int64(), nullable=False),
        pa.field("commit_id", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),
        pa.field("committed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("versions", pa.string(), nullable=False),
        pa.field("journal", pa.string(), nullable=False),
    ]
)


class WarehouseError(RuntimeError):
    """A failure of the warehouse itself (lock, disk, permissions, storage), not of the input."""


# --- where the warehouse lives ------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A warehouse's root: an absolute local folder, or `s3://bucket/prefix`."""

    uri: str

    @property
    def remote(self) -> bool:
        return self.uri.startswith("s3://")

    @property
    def path(self) -> Path:
        if self.remote:
            raise WarehouseError(f"{self.uri} is not a local folder")
        return Path(self.uri)

    def child(self, *parts: str) -> str:
        return "/".join([self.uri.rstrip("/"), *parts])

    @property
    def storage_options(self) -> dict[str, str] | None:
        return s3_storage_options() if self.remote else None

    def __str__(self) -> str:
        return self.uri


def location(warehouse: Warehouse | Location) -> Location:
    if isinstance(warehouse, Location):
        return warehouse
    text = str(warehouse)
    if text.startswith("s3:/") and not text.startswith("s3://"):
        text = "s3://" + text[len("s3:/"):]  # a Path collapses the double slash
    if text.startswith("s3://"):
        return Location(text.rstrip("/"))
    if "://" in text:
        raise WarehouseError(f"unsupported warehouse location {text}: use a folder or s3://bucket/prefix")
    return Location(str(Path(text).absolute()))


def is_remote(warehouse: Warehouse) -> bool:
    return location(warehouse).remote


def s3_storage_options() -> dict[str, str]:
    """delta-rs options from the standard AWS_* variables (read when a warehouse is opened)."""
    options = {"conditional_put": "etag"}
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                "AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP"):
        if os.environ.get(key):
            options[key] = os.environ[key]
    if "AWS_REGION" not in options and os.environ.get("AWS_DEFAULT_REGION"):
        options["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
    return options


def s3_filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 client configured from the same AWS_* variables as delta-rs."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    kwargs: dict[str, object] = {
        "region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        "connect_timeout": 5, "request_timeout": 20,
    }
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        kwargs["access_key"] = os.environ["AWS_ACCESS_KEY_ID"]
        kwargs["secret_key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if os.environ.get("AWS_SESSION_TOKEN"):
            kwargs["session_token"] = os.environ["AWS_SESSION_TOKEN"]
    if endpoint:
        scheme, _, rest = endpoint.partition("://")
        kwargs["endpoint_override"] = rest or scheme
        kwargs["scheme"] = scheme if rest else "https"
    return pafs.S3FileSystem(**kwargs)


def filesystem(loc: Location) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and the root path on it."""
    if loc.remote:
        return s3_filesystem(), loc.uri[len("s3://"):]
    return pafs.LocalFileSystem(), loc.uri


# --- small file I/O on either kind of storage --------------------------------------------------


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


def write_parquet_durably(rows: pa.Table, path: Path | str) -> None:
    """Write a Parquet file in full: fsynced locally, one PUT on S3 (all or nothing)."""
    loc_text = str(path)
    if loc_text.startswith("s3:/"):
        fs = s3_filesystem()
        key = location(loc_text).uri[len("s3://"):]
        with fs.open_output_stream(key) as out:
            pq.write_table(rows, out, compression="zstd", row_group_size=ROW_GROUP_SIZE)
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pq.write_table(rows, handle, compression="zstd", row_group_size=ROW_GROUP_SIZE)
        handle.flush()
        os.fsync(handle.fileno())


def _read_parquet(uri: str, columns: list[str] | None = None) -> pa.Table:
    if uri.startswith("s3:/"):
        return pq.read_table(location(uri).uri[len("s3://"):], columns=columns,
                             filesystem=s3_filesystem())
    return pq.read_table(uri, columns=columns)


def is_remote_path(path: Path | str) -> bool:
    """Whether a staged path lives on S3 (a Path keeps `s3:/bucket/...`, one slash)."""
    return str(path).startswith("s3:/")


def read_staged(path: Path | str, columns: list[str] | None = None) -> pa.Table | None:
    """A staged Parquet file, local or on S3; None if it is not there."""
    try:
        return _read_parquet(str(path), columns)
    except FileNotFoundError:
        return None


def remove_staged(folder: Path | str) -> None:
    """Remove a staged batch folder, local or on S3."""
    if is_remote_path(folder):
        with contextlib.suppress(FileNotFoundError, OSError):
            s3_filesystem().delete_dir(location(str(folder)).uri[len("s3://"):])
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _write_text(loc: Location, relative: str, text: str) -> None:
    if loc.remote:
        fs, root = filesystem(loc)
        with fs.open_output_stream(f"{root}/{relative}") as out:
            out.write(text.encode("utf-8"))
        return
    path = loc.path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, text)


def _list_dirs(loc: Location, relative: str) -> list[str]:
    fs, root = filesystem(loc)
    try:
        infos = fs.get_file_info(pafs.FileSelector(f"{root}/{relative}", allow_not_found=True))
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    return sorted(info.base_name for info in infos if info.type == pafs.FileType.Directory)


def _exists(loc: Location, relative: str) -> bool:
    fs, root = filesystem(loc)
    return fs.get_file_info(f"{root}/{relative}").type != pafs.FileType.NotFound


def _remove_tree(loc: Location, relative: str) -> None:
    fs, root = filesystem(loc)
    with contextlib.suppress(FileNotFoundError, OSError):
        fs.delete_dir(f"{root}/{relative}")


# --- errors -----------------------------------------------------------------------------------


def storage_error(loc: Location, exc: BaseException) -> WarehouseError:
    """One clear line for what storage said: no space, no permission, no bucket, no endpoint."""
    text = str(exc)
    lowered = text.lower()
    if "no space left" in lowered or "quota" in lowered:
        return WarehouseError(f"no space left to write the warehouse at {loc}")
    if "read-only file system" in lowered:
        return WarehouseError(f"cannot write the warehouse at {loc}: Read-only file system")
    if "permission denied" in lowered:
        return WarehouseError(f"cannot write the warehouse at {loc}: Permission denied")
    if loc.remote:
        if "nosuchbucket" in lowered or "bucket does not exist" in lowered or "no such bucket" in lowered:
            return WarehouseError(f"the bucket of {loc} does not exist")
        if any(s in lowered for s in ("invalidaccesskeyid", "signaturedoesnotmatch", "access denied",
                                      "accessdenied", "forbidden", "403")):
            return WarehouseError(f"access to {loc} was refused: check AWS_ACCESS_KEY_ID and "
                                  "AWS_SECRET_ACCESS_KEY")
        if any(s in lowered for s in ("connect", "dns", "timed out", "timeout", "unreachable",
                                      "error sending request", "curl")):
            endpoint = os.environ.get("AWS_ENDPOINT_URL", "the default AWS endpoint")
            return WarehouseError(f"cannot reach the storage of {loc} at {endpoint}")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return WarehouseError(f"storage error at {loc}: {first[:300]}")


@contextlib.contextmanager
def writable_warehouse(warehouse: Warehouse) -> Iterator[None]:
    """Turn disk-full, permission and storage errors into one clear WarehouseError."""
    loc = location(warehouse)
    try:
        yield
    except WarehouseError:
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise WarehouseError(f"no space left to write the warehouse at {loc}") from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise WarehouseError(
                f"cannot write the warehouse at {loc}: {exc.strerror} ({exc.filename})"
            ) from exc
        if loc.remote:
            raise storage_error(loc, exc) from exc
        raise
    except DeltaError as exc:
        raise storage_error(loc, exc) from exc


def check_reachable(warehouse: Warehouse) -> None:
    """For an S3 warehouse: its bucket exists and the credentials are accepted (one clear
    WarehouseError otherwise), before anything is written."""
    loc = location(warehouse)
    if not loc.remote:
        return
    fs, root = filesystem(loc)
    bucket = root.split("/", 1)[0]
    try:
        info = fs.get_file_info(bucket)
        fs.get_file_info(pafs.FileSelector(root, allow_not_found=True))
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    if info.type == pafs.FileType.NotFound:
        raise WarehouseError(f"the bucket of {loc} does not exist")


# --- old layout -----------------------------------------------------------------------------


def refuse_legacy_layout(warehouse: Warehouse) -> None:
    """A warehouse in the pre-Delta `_manifest.json` layout is refused until upgraded."""
    loc = location(warehouse)
    if _exists(loc, LEGACY_MANIFEST):
        raise WarehouseError(
            f"warehouse {loc} is in the old _manifest.json layout; convert it once with "
            f"`wirehouse upgrade --warehouse {loc}`"
        )


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A committed marker: the Delta version of every table that readers pin. Marker 0 is the
    empty warehouse."""

    marker: int = 0
    commit_id: str = ""
    committed_at: datetime | None = None
    versions: Mapping[str, int] = field(default_factory=dict)


def open_delta(warehouse: Warehouse, name: str, version: int | None = None) -> DeltaTable | None:
    """A table's Delta log at `version` (latest if None); None if the table was never written."""
    loc = location(warehouse)
    try:
        return DeltaTable(loc.child(name), version=version, storage_options=loc.storage_options)
    except TableNotFoundError:
        return None
    except DeltaError as exc:
        if "not a delta table" in str(exc).lower() or "no files in log" in str(exc).lower():
            return None
        raise storage_error(loc, exc) from exc
    except OSError as exc:
        raise storage_error(loc, exc) from exc


def _marker_rows(table: DeltaTable, expression: pc.Expression) -> list[dict]:
    return table.to_pyarrow_dataset().to_table(filter=expression).to_pylist()


def _snapshot(row: dict) -> Snapshot:
    return Snapshot(int(row["marker"]), row["commit_id"], row["committed_at"],
                    {k: int(v) for k, v in json.loads(row["versions"]).items()})


def _committed_at_or_before(markers: DeltaTable, number: int) -> Snapshot:
    # A claim is always followed by its committed row before the next claim, so the newest
    # committed marker at or before N is N or N - 1.
    rows = _marker_rows(markers, (pc.field("marker") >= number - 1) & (pc.field("marker") <= number)
                        & (pc.field("state") == COMMITTED))
    return _snapshot(max(rows, key=lambda r: r["marker"])) if rows else Snapshot()


def read_snapshot(warehouse: Warehouse, as_of: str | int | None = None) -> Snapshot:
    """The latest committed marker, or the one in force at `as_of`: a marker number, or an ISO
    timestamp (the last marker committed at or before it)."""
    markers = open_delta(warehouse, MARKER_TABLE)
    if markers is None:
        if as_of not in (None, 0, "0"):
            raise WarehouseError(f"warehouse {location(warehouse)} has no commits to travel back to")
        return Snapshot()
    latest = markers.version() + 1  # marker N is the _commits table's Delta version N - 1
    if as_of is None:
        return _committed_at_or_before(markers, latest)
    if isinstance(as_of, int) or str(as_of).strip().isdigit():
        wanted = int(as_of)
        if wanted > latest:
            raise WarehouseError(f"no marker {wanted}: the latest marker of the warehouse is {latest}")
        return _committed_at_or_before(markers, wanted) if wanted else Snapshot()
    try:
        moment = datetime.fromisoformat(str(as_of).strip())
    except ValueError as exc:
        raise WarehouseError(f"--as-of takes a marker number or an ISO timestamp, not {as_of!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    limit = pa.scalar(moment, MARKER_SCHEMA.field("committed_at").type)
    rows = _marker_rows(markers, (pc.field("committed_at") <= limit) & (pc.field("state") == COMMITTED))
    return _snapshot(max(rows, key=lambda r: r["marker"])) if rows else Snapshot()


def pinned_table(warehouse: Warehouse, name: str, snapshot: Snapshot) -> DeltaTable | None:
    version = snapshot.versions.get(name)
    return None if version is None else open_delta(warehouse, name, version)


def committed_files(warehouse: Warehouse, name: str, snapshot: Snapshot | None = None) -> list[str]:
    """The files of a table in a snapshot (the latest marker if None), relative to the warehouse."""
    snapshot = snapshot or read_snapshot(warehouse)
    table = pinned_table(warehouse, name, snapshot)
    if table is None:
        return []
    paths = pa.table(table.get_add_actions(flatten=False)).column("path").to_pylist()
    return sorted(f"{name}/{p}" for p in paths)


def conform(table: Table, rows: pa.Table) -> pa.Table:
    """Cast to the table's schema, in its column order; missing nullable columns become nulls."""
    columns = []
    for fld in table.schema:
        if fld.name in rows.column_names:
            columns.append(rows.column(fld.name).cast(fld.type))
        else:
            columns.append(pa.nulls(rows.num_rows, type=fld.type))
    return pa.Table.from_arrays(columns, schema=table.schema)


def read_table(
    warehouse: Warehouse, name: str, columns: list[str] | None = None,
    snapshot: Snapshot | None = None,
) -> pa.Table:
    """All committed rows of a table (pinned by the latest marker), in the table's schema."""
    table = TABLES[name]
    wanted = columns or table.column_names
    snapshot = snapshot or read_snapshot(warehouse)
    delta = pinned_table(warehouse, name, snapshot)
    if delta is None:
        return table.schema.empty_table().select(wanted)
    dataset = delta.to_pyarrow_dataset()
    present = [c for c in wanted if c in dataset.schema.names]
    rows = dataset.to_table(columns=present)
    # Files written before a column was added: the column reads as NULL.
    full = []
    for column in wanted:
        typ = table.schema.field(column).type
        full.append(rows.column(column).cast(typ) if column in present else pa.nulls(rows.num_rows, typ))
    return pa.Table.from_arrays(full, names=wanted)


def pinned_dataset(warehouse: Warehouse, name: str, snapshot: Snapshot) -> pads.Dataset | None:
    delta = pinned_table(warehouse, name, snapshot)
    return None if delta is None else delta.to_pyarrow_dataset()


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Journal:
    """A claimed commit: which tables get which staged rows, and which rows a re-tag replaces."""

    commit_id: str
    tables: tuple[str, ...]
    replace: tuple[str, ...] = ()
    replace_column: str = "version_id"
    overwrite: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"commit_id": self.commit_id, "tables": list(self.tables),
                           "replace": list(self.replace), "replace_column": self.replace_column,
                           "overwrite": list(self.overwrite)})

    @classmethod
    def from_json(cls, text: str) -> Journal:
        data = json.loads(text)
        return cls(data["commit_id"], tuple(data["tables"]), tuple(data.get("replace", ())),
                   data.get("replace_column", "version_id"), tuple(data.get("overwrite", ())))


class _MarkerTaken(Exception):
    """Another writer appended to `_commits` first: re-read and try again."""


Dedupe = Callable[[Snapshot, Mapping[str, pa.Table]], Mapping[str, pa.Table]]


def _pending(commit_id: str, name: str = "") -> str:
    return f"{PENDING_DIR}/{commit_id}" + (f"/{name}" if name else "")


def _pending_path(loc: Location, commit_id: str, name: str) -> Path | str:
    uri = loc.child(_pending(commit_id, name))
    return uri if loc.remote else Path(uri)


def commit_rows(
    warehouse: Warehouse,
    rows_by_table: Mapping[str, pa.Table],
    commit_id: str,
    replace: Mapping[str, pa.Array] | None = None,
    dedupe: Dedupe | None = None,
    overwrite: tuple[str, ...] = (),
) -> Snapshot:
    """Commit rows of several tables so that readers see all of them or none (see the module
    docstring). `replace` names tables whose rows with a `version_id` in the given array are
    replaced in the same commit (a re-tag). `overwrite` names tables whose rows, when the
    commit has any entry for them (even an empty one), replace the whole table (a derived
    table such as `entity_aliases`). `dedupe` drops rows the latest snapshot already holds,
    and may compute derived tables; it runs against the very snapshot the claim is made on,
    so that two concurrent writers never commit the same rows twice."""
    loc = location(warehouse)
    replace = replace or {}
    with writable_warehouse(loc):
        for attempt in range(MAX_CLAIM_ATTEMPTS):
            markers, snapshot = finish_open_commit(loc)
            rows = dict(dedupe(snapshot, rows_by_table)) if dedupe else dict(rows_by_table)
            tables = tuple(
                name for name in TABLES
                if (name in rows and rows[name].num_rows) or name in replace
                or (name in overwrite and name in rows)
            )
            if not set(tables) - set(overwrite):
                return snapshot  # nothing new: a derived table alone makes no commit
            for name in tables:
                staged = conform(TABLES[name], rows.get(name, TABLES[name].schema.empty_table()))
                write_parquet_durably(staged, _pending_path(loc, commit_id, f"{name}.parquet"))
            if replace:
                keys = pa.chunked_array([pa.array(v, pa.string()) for v in replace.values()]).unique()
                write_parquet_durably(pa.table({"key": keys}),
                                      _pending_path(loc, commit_id, REPLACED_NAME))
            journal = Journal(commit_id, tables, tuple(n for n in tables if n in replace),
                              overwrite=tuple(n for n in tables if n in overwrite))
            try:
                _append_marker(loc, markers, commit_id, CLAIMED, journal=journal)
            except _MarkerTaken:
                time.sleep(random.uniform(0.05, 0.3) * min(attempt + 1, 5))
                continue
            _apply_tables(loc, journal)
            finish_open_commit(loc)
            _remove_tree(loc, _pending(commit_id))
            return read_snapshot(loc)
    raise WarehouseError(f"could not commit to {loc}: {MAX_CLAIM_ATTEMPTS} attempts lost to "
                         "concurrent writers")


def _head(loc: Location) -> tuple[DeltaTable | None, dict | None]:
    markers = open_delta(loc, MARKER_TABLE)
    if markers is None:
        return None, None
    rows = _marker_rows(markers, pc.field("marker") == markers.version() + 1)
    return markers, (rows[0] if rows else None)


def finish_open_commit(warehouse: Warehouse) -> tuple[DeltaTable | None, Snapshot]:
    """If the newest marker is a claim, roll its commit forward and mark it committed (any
    writer may: every step is idempotent). Returns `_commits` as loaded, and the latest
    committed snapshot."""
    loc = location(warehouse)
    while True:
        markers, row = _head(loc)
        if row is None:
            return markers, Snapshot()
        if row["state"] == COMMITTED:
            return markers, _snapshot(row)
        journal = Journal.from_json(row["journal"])
        _apply_tables(loc, journal)
        with contextlib.suppress(_MarkerTaken):  # taken: someone else finished it; re-read
            _append_marker(loc, markers, journal.commit_id, COMMITTED)


def _append_marker(
    loc: Location, markers: DeltaTable | None, commit_id: str, state: str,
    journal: Journal | None = None,
) -> None:
    """Append a marker row as the very next `_commits` version after `markers` (compare and
    swap: a concurrent append makes it fail with _MarkerTaken rather than land elsewhere)."""
    versions: dict[str, int] = {}
    if state == COMMITTED:
        for name in TABLES:
            delta = open_delta(loc, name)
            if delta is not None:
                versions[name] = delta.version()
    number = 1 if markers is None else markers.version() + 2
    row = {"marker": number, "commit_id": commit_id, "state": state,
           "committed_at": datetime.now(UTC), "versions": json.dumps(versions, sort_keys=True),
           "journal": journal.to_json() if journal else ""}
    properties = CommitProperties(
        app_transactions=[Transaction(commit_id, 1 if state == CLAIMED else 2)],
        max_commit_retries=0,
    )
    data = pa.Table.from_pylist([row], schema=MARKER_SCHEMA)
    if markers is None:
        _create_marker_table(loc)
        raise _MarkerTaken()  # created empty: re-read, then claim its next version
    try:
        write_deltalake(markers, data, mode="append", commit_properties=properties)
    except CommitFailedError as exc:
        raise _MarkerTaken() from exc
    if state == COMMITTED and not loc.remote:
        write_views_file(loc.path, Snapshot(number, commit_id, row["committed_at"], versions))


def _create_table(loc: Location, table: Table) -> DeltaTable:
    """Create a table empty (racing creators: one wins, the others find it), so that every
    data commit is a compare-and-swap on a loaded version."""
    try:
        DeltaTable.create(loc.child(table.name), table.schema, mode="ignore",
                          partition_by=[table.partition_by] if table.partition_by else None,
                          storage_options=loc.storage_options)
    except DeltaError:
        if open_delta(loc, table.name) is None:
            raise
    created = open_delta(loc, table.name)
    if created is None:
        raise WarehouseError(f"could not create table {table.name} at {loc}")
    return created


def _create_marker_table(loc: Location) -> None:
    """Create `_commits` empty. Creation is not a compare-and-swap on every store, so it
    carries no marker: two writers racing here both go on to claim version 1 by CAS."""
    try:
        DeltaTable.create(loc.child(MARKER_TABLE), MARKER_SCHEMA, mode="ignore",
                          storage_options=loc.storage_options)
    except DeltaError:
        if open_delta(loc, MARKER_TABLE) is None:
            raise


def _commit_properties(commit_id: str) -> CommitProperties:
    return CommitProperties(
        app_transactions=[Transaction(commit_id, 1)],
        custom_metadata={"wirehouse.commit": commit_id},
    )


def _quoted(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _has_commit(loc: Location, name: str, commit_id: str) -> bool:
    current = open_delta(loc, name)
    return current is not None and current.transaction_version(commit_id) is not None


def _apply_tables(loc: Location, journal: Journal) -> None:
    """Give every table of a claimed commit its one Delta commit, tagged with the app
    transaction `commit_id`; tables that have it already are skipped. Idempotent, and safe when
    two writers do it at once: each writes against the very version it checked, so Delta's
    conflict check refuses the second commit of the same transaction."""
    for name in journal.tables:
        table = TABLES[name]
        current = open_delta(loc, name) or _create_table(loc, table)
        if current.transaction_version(journal.commit_id) is not None:
            continue
        try:
            rows = conform(table, _read_parquet(loc.child(_pending(journal.commit_id, f"{name}.parquet"))))
            replaced = (
                _read_parquet(loc.child(_pending(journal.commit_id, REPLACED_NAME))).column("key").to_pylist()
                if name in journal.replace else []
            )
        except (FileNotFoundError, OSError):
            if _has_commit(loc, name, journal.commit_id):
                continue  # another writer finished this commit and removed its pending rows
            raise
        options: dict[str, object] = {"mode": "append", "schema_mode": "merge"}
        if name in journal.overwrite:
            # The whole table in one Delta commit; its earlier files go at the next vacuum.
            options = {"mode": "overwrite", "schema_mode": "merge"}
        elif name in journal.replace:
            # Delete the replaced versions' rows and add the new ones in one Delta commit.
            predicate = f"{journal.replace_column} IN ({_quoted(replaced)})" if replaced else "FALSE"
            # merge: a table that predates a column takes it here as in an append.
            options = {"mode": "overwrite", "predicate": predicate, "schema_mode": "merge"}
        try:
            write_deltalake(
                current, rows,
                partition_by=[table.partition_by] if table.partition_by else None,
                commit_properties=_commit_properties(journal.commit_id),
                **options,
            )
        except (CommitFailedError, DeltaError):
            if not _has_commit(loc, name, journal.commit_id):
                raise


def write_marker(warehouse: Warehouse, commit_id: str) -> Snapshot:
    """A committed marker pinning every table's latest version, with no table commit of its
    own: after maintenance (compaction) that changed files but not rows. Writer-only."""
    loc = location(warehouse)
    while True:
        markers, _snapshot_before = finish_open_commit(loc)
        try:
            _append_marker(loc, markers, commit_id, COMMITTED)
        except _MarkerTaken:
            continue
        return read_snapshot(loc)


def write_views_file(warehouse: Path, snapshot: Snapshot | None = None) -> None:
    """views.sql for a plain DuckDB: each table's pinned files, relative to the warehouse."""
    warehouse = Path(warehouse)
    snapshot = snapshot or read_snapshot(warehouse)
    files = {name: tuple(committed_files(warehouse, name, snapshot)) for name in TABLES}
    sql = render_views_sql(files, search_path=warehouse.resolve(), marker=snapshot.marker)
    _write_atomically(warehouse / VIEWS_NAME, sql)


def pending_commits(warehouse: Warehouse) -> list[str]:
    """Commit ids with rows under `_pending/` (claimed or not), by name."""
    return _list_dirs(location(warehouse), PENDING_DIR)


def recover(warehouse: Warehouse) -> int:
    """Finish a claimed commit a killed writer left; drop pending rows never claimed (local
    warehouses only: on S3 another writer may be about to claim them). Returns commits finished.
    """
    loc = location(warehouse)
    before = read_snapshot(loc)
    _markers, after = finish_open_commit(loc)
    finished = int(after.marker != before.marker)
    if not loc.remote:
        for commit_id in pending_commits(loc):
            _remove_tree(loc, _pending(commit_id))
    else:
        committed = set(_committed_ids(loc))
        for commit_id in pending_commits(loc):
            if commit_id in committed:
                _remove_tree(loc, _pending(commit_id))
    return finished


def _committed_ids(loc: Location) -> list[str]:
    markers = open_delta(loc, MARKER_TABLE)
    if markers is None:
        return []
    rows = markers.to_pyarrow_dataset().to_table(columns=["commit_id"],
                                                 filter=pc.field("state") == COMMITTED)
    return rows.column("commit_id").to_pylist()


def staging_dir(warehouse: Warehouse, run_id: str) -> Path:
    """A run's scratch folder for batches: in the warehouse folder, or a local temporary folder
    for a remote warehouse."""
    loc = location(warehouse)
    base = Path(tempfile.gettempdir()) / "wirehouse-staging" if loc.remote else loc.path / STAGING_DIR
    path = base / run_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_staging(warehouse: Warehouse, run_id: str) -> Path:
    """Scratch space every worker of a cluster reaches without a shared disk: the run's folder
    under the warehouse's own `_staging/`, on S3 for an S3 warehouse (as `s3:/bucket/...`:
    read and write it with `read_staged`, `write_parquet_durably`, `remove_staged`)."""
    loc = location(warehouse)
    if loc.remote:
        return Path(loc.child(STAGING_DIR, run_id))
    return staging_dir(loc, run_id)


def collect_garbage(warehouse: Warehouse) -> int:
    """Finish decided commits, remove staging leftovers and regenerate views.sql.

    Writer-only. Files of Delta appends that a kill interrupted are not referenced by any
    version; `vacuum` removes them once older than the retention. Returns commits finished.
    """
    loc = location(warehouse)
    finished = recover(loc)
    if not loc.remote:
        shutil.rmtree(loc.path / STAGING_DIR, ignore_errors=True)
        for leftover in loc.path.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        if open_delta(loc, MARKER_TABLE) is not None:
            write_views_file(loc.path)
    return finished


# --- compatibility with the file-staging API -----------------------------------------------------


def stage_table_files(
    table: Table, rows: pa.Table, staging: Path, commit_id: str
) -> dict[str, Path]:
    """Write a table's rows as one staged file; returns {relative name: staged path}."""
    rows = conform(table, rows)
    if rows.num_rows == 0:
        return {}
    relative = f"{table.name}/part-{commit_id}.parquet"
    write_parquet_durably(rows, staging / relative)
    return {relative: staging / relative}


def commit(warehouse: Warehouse, staged: Mapping[str, Mapping[str, Path]],
           commit_id: str | None = None) -> Snapshot:
    """Commit staged files of several tables (from `stage_table_files`) in one step."""
    rows = {
        name: pa.concat_tables([conform(TABLES[name], pq.read_table(p)) for p in files.values()])
        for name, files in staged.items() if files
    }
    return commit_rows(warehouse, rows, commit_id or f"commit-{uuid.uuid4().hex}")


# --- maintenance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompactionReport:
    partitions_compacted: int
    files_before: int
    files_after: int


def _files_per_partition(delta: DeltaTable) -> dict[str, list[int]]:
    actions = pa.table(delta.get_add_actions(flatten=False))
    groups: dict[str, list[int]] = {}
    for path, size in zip(actions.column("path").to_pylist(), actions.column("size_bytes").to_pylist(),
                          strict=True):
        groups.setdefault(path.rsplit("/", 1)[0] if "/" in path else "", []).append(int(size))
    return groups


def compact(
    warehouse: Warehouse,
    commit_id: str,
    max_files: int = 4,
    target_rows: int = 2_000_000,
    retention_hours: float = VACUUM_RETENTION_HOURS,
) -> CompactionReport:
    """Delta optimize: each partition's files merged into at most `max_files` (files of about
    `target_rows` rows when there is that much), then a marker and a vacuum of what was
    replaced more than `retention_hours` ago. Writer-only."""
    loc = location(warehouse)
    partitions = before = after = 0
    changed = False
    with writable_warehouse(loc):
        for name in TABLES:
            delta = open_delta(loc, name)
            if delta is None:
                continue
            groups = _files_per_partition(delta)
            crowded = {p: sizes for p, sizes in groups.items() if len(sizes) > 1}
            if not crowded:
                continue
            rows = max(delta.count(), 1)
            bytes_per_row = max(1, sum(sum(s) for s in groups.values()) // rows)
            target = max(bytes_per_row * target_rows,
                         max(-(-sum(s) // max_files) for s in crowded.values()) + 1)
            for _attempt in range(6):
                delta.optimize.compact(target_size=int(target),
                                       commit_properties=CommitProperties(
                                           custom_metadata={"wirehouse.commit": commit_id}))
                delta = open_delta(loc, name)
                now = _files_per_partition(delta)
                if all(len(now.get(p, ())) <= max_files for p in crowded):
                    break
                # Too many files still: merged files compress better than their inputs, so
                # size the next bins from the files as they are now, two files' worth at least.
                target = 2 * max(-(-sum(now[p]) // max_files) for p in crowded
                                 if len(now.get(p, ())) > max_files)
            changed = True
            partitions += len(crowded)
            before += sum(len(s) for s in crowded.values())
            after += sum(len(now.get(p, ())) for p in crowded)
        if changed:
            write_marker(loc, commit_id)
        vacuum(loc, retention_hours)
    return CompactionReport(partitions, before, after)


def vacuum(warehouse: Warehouse, retention_hours: float = VACUUM_RETENTION_HOURS) -> int:
    """Delete files no version newer than `retention_hours` needs, and files of interrupted
    appends older than that. Returns the number of files deleted."""
    loc = location(warehouse)
    removed = 0
    for name in [*TABLES, MARKER_TABLE]:
        delta = open_delta(loc, name)
        if delta is None:
            continue
        # full: also files no version ever named (appends a kill interrupted), not only the
        # files removed by compaction or re-tag.
        removed += len(delta.vacuum(retention_hours=int(retention_hours) if retention_hours >= 1 else 0,
                                    dry_run=False, enforce_retention_duration=False, full=True))
    return removed


# --- the local writer lock ----------------------------------------------------------------------


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started_at: str
    command: str


class WarehouseLock:
    """One writer at a time on a local warehouse. `flock` is dropped by the kernel when its
    holder dies, so a lock left by a killed run is never stale: the next writer gets it."""

    def __init__(self, warehouse: Warehouse, command: str, wait: bool = False, timeout: float = 0.0):
        self.path = location(warehouse).path / LOCK_NAME
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


# --- upgrading the pre-Delta layout ------------------------------------------------------------


UPGRADE_COMMIT = "upgrade-from-manifest"


def _legacy_rows(root: Path, table: Table, relative: str) -> pa.Table:
    rows = pq.read_table(root / relative)
    if table.partition_by and table.partition_by not in rows.column_names:
        label = Path(relative).parent.name.split("=", 1)[1]
        value = None if label == "__HIVE_DEFAULT_PARTITION__" else label
        typ = table.schema.field(table.partition_by).type
        rows = rows.append_column(table.partition_by,
                                  pa.array([value] * rows.num_rows, type=pa.string()).cast(typ))
    return conform(table, rows)


def upgrade_legacy_layout(warehouse: Warehouse) -> dict[str, int]:
    """Convert a `_manifest.json` warehouse in place: its live rows become one Delta commit,
    then the old files and the manifest (last) are removed. Rerunnable after a kill: the
    commit is idempotent and the manifest stays until the end. Writer-only (hold the lock)."""
    loc = location(warehouse)
    root = loc.path
    manifest_path = root / LEGACY_MANIFEST
    if not manifest_path.exists():
        return {}
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    listed: dict[str, list[str]] = {name: list(files) for name, files in manifest["tables"].items()}
    with writable_warehouse(loc):
        recover(loc)
        rows: dict[str, pa.Table] = {}
        if UPGRADE_COMMIT not in _committed_ids(loc):
            rows = {
                name: pa.concat_tables([_legacy_rows(root, TABLES[name], f) for f in files])
                for name, files in listed.items() if name in TABLES and files
            }
            commit_rows(loc, rows, UPGRADE_COMMIT)
        old = [f for files in listed.values() for f in files] + list(manifest.get("retired", {}))
        for relative in old:
            (root / relative).unlink(missing_ok=True)
        shutil.rmtree(root / STAGING_DIR, ignore_errors=True)
        manifest_path.unlink()
        _fsync_dir(root)
    return {name: table.num_rows for name, table in rows.items()}

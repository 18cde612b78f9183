"""What readers see: the newest committed marker and each table pinned to the Delta version it
names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from schemas.tables import TABLES, Table
from schemas.views import render_views_sql
from transforms.storage.location import (
    LOG_DIR,
    Warehouse,
    WarehouseError,
    filesystem,
    location,
    storage_error,
    write_atomically,
)
from transforms.storage.staging import read_parquet

MARKER_TABLE = "_commits"
VIEWS_NAME = "views.sql"
CLAIMED = "claimed"
COMMITTED = "committed"
ABORTED = "aborted"

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
    except (TableNotFoundError, DeltaError) as exc:
        text = str(exc).lower()
        if not isinstance(exc, TableNotFoundError) and "not a delta table" not in text \
                and "no files in log" not in text:
            raise storage_error(loc, exc) from exc
        if version is not None and open_delta(loc, name) is not None:
            # delta-rs says the same of a version whose log entries were cleaned up (Delta's
            # log retention, `maintenance.trim_unreadable_log`): that table is not empty.
            raise WarehouseError(f"version {version} of table {name} is no longer in its Delta "
                                 f"log (cleaned up after a vacuum or after the log's retention)") from exc
        return None
    except OSError as exc:
        raise storage_error(loc, exc) from exc


@dataclass(frozen=True)
class Claim:
    """A marker row that is not a committed snapshot: an open claim (the newest marker, its
    commit not yet applied everywhere) or an aborted one (its staged rows were gone)."""

    commit_id: str
    marker: int
    state: str


@dataclass(frozen=True)
class _MarkerFile:
    path: str
    low: int | None  # the file's min.marker / max.marker statistics (None: not recorded)
    high: int | None


def _marker_files(markers: DeltaTable) -> list[_MarkerFile]:
    actions = pa.table(markers.get_add_actions(flatten=True))
    paths = actions.column("path").to_pylist()
    lows = (actions.column("min.marker").to_pylist() if "min.marker" in actions.column_names
            else [None] * len(paths))
    highs = (actions.column("max.marker").to_pylist() if "max.marker" in actions.column_names
             else [None] * len(paths))
    return [_MarkerFile(p, lo, hi) for p, lo, hi in zip(paths, lows, highs, strict=True)]


def _read_marker_file(markers: DeltaTable, path: str) -> pa.Table:
    uri = path if "://" in path or path.startswith("/") else (
        markers.table_uri.rstrip("/") + "/" + unquote(path))
    if uri.startswith("file://"):
        uri = unquote(uri[len("file://"):])
    return read_parquet(uri)


def scan_markers(
    markers: DeltaTable, at_most: int | None = None
) -> tuple[dict | None, dict | None]:
    """The newest marker row and the newest committed one, both numbered at most `at_most` (no
    limit if None), found by the markers' own numbers: Delta versions of `_commits` that carry
    no marker (a vacuum's, an optimize's, a lost claim's) do not matter. Reads only the files
    whose `max.marker` statistics can hold them (newest first), so the cost does not grow with
    the number of markers; files without statistics are read too."""
    files = sorted(_marker_files(markers),
                   key=lambda f: f.high if f.high is not None else float("inf"), reverse=True)
    newest: dict | None = None
    committed: dict | None = None
    for item in files:
        if committed is not None and item.high is not None and item.high < committed["marker"]:
            break  # nothing newer in this file or any after it
        if at_most is not None and item.low is not None and item.low > at_most:
            continue
        rows = _read_marker_file(markers, item.path)
        if at_most is not None:
            rows = rows.filter(pc.field("marker") <= at_most)
        for row in newest_rows(rows):
            if newest is None or row["marker"] > newest["marker"]:
                newest = row
            if row["state"] == COMMITTED and (committed is None or row["marker"] > committed["marker"]):
                committed = row
    return newest, committed


def newest_rows(rows: pa.Table) -> list[dict]:
    """Of marker rows, the newest and the newest committed (at most two, by number). A
    compaction merges every marker into one file, so a head lookup reads thousands of rows:
    making each a Python dict was most of its cost (11 ms of 14 after 1,000 commits)."""
    if not rows.num_rows:
        return []
    numbers = rows.column("marker")
    picks = [pc.index(numbers, pc.max(numbers)).as_py()]
    committed = pc.if_else(pc.equal(rows.column("state"), COMMITTED), numbers,
                           pa.scalar(None, numbers.type))
    newest_committed = pc.max(committed)
    if newest_committed.is_valid:
        picks.append(pc.index(committed, newest_committed).as_py())
    return sorted(rows.take(sorted(set(picks))).to_pylist(), key=lambda row: row["marker"])


def all_marker_rows(markers: DeltaTable, expression: pc.Expression | None = None,
                    columns: list[str] | None = None) -> pa.Table:
    """Every marker row (a full read: for history and audits, never on the commit path)."""
    return markers.to_pyarrow_dataset().to_table(filter=expression, columns=columns)


def snapshot_from_row(row: dict | None) -> Snapshot:
    if row is None:
        return Snapshot()
    return Snapshot(int(row["marker"]), row["commit_id"], row["committed_at"],
                    {k: int(v) for k, v in json.loads(row["versions"]).items()})


def _latest_markers(warehouse: Warehouse) -> DeltaTable | None:
    """`_commits` at its latest version, loaded a second time if the first load failed: its log
    is cleaned up seconds after each commit (`commits.MARKER_LOG_RETENTION`), so a load that
    listed the log of a table idle for longer just as a commit's cleanup ran can miss an entry
    it listed; loaded again, it lists the log anew."""
    try:
        return open_delta(warehouse, MARKER_TABLE)
    except WarehouseError:
        return open_delta(warehouse, MARKER_TABLE)


def read_snapshot(warehouse: Warehouse, as_of: str | int | None = None) -> Snapshot:
    """The latest committed marker, or the one in force at `as_of`: a marker number, or an ISO
    timestamp (the last marker committed at or before it)."""
    try:
        return _snapshot_of(_latest_markers(warehouse), warehouse, as_of)
    except OSError:
        # A marker file the load named was vacuumed before it was read (a compaction replaced
        # it since, and `_commits` keeps tombstones for seconds: commits.MARKER_TABLE_PROPERTIES):
        # a fresh load names the files that replaced it.
        return _snapshot_of(_latest_markers(warehouse), warehouse, as_of)


def _snapshot_of(markers: DeltaTable | None, warehouse: Warehouse, as_of: str | int | None) -> Snapshot:
    if markers is None:
        if as_of not in (None, 0, "0"):
            raise WarehouseError(f"warehouse {location(warehouse)} has no commits to travel back to")
        return Snapshot()
    if as_of is None:
        return snapshot_from_row(scan_markers(markers)[1])
    if isinstance(as_of, int) or str(as_of).strip().isdigit():
        wanted = int(as_of)
        if not wanted:
            return Snapshot()
        newest, committed = scan_markers(markers, at_most=wanted)
        if newest is None or newest["marker"] < wanted:
            latest = scan_markers(markers)[0]
            latest_number = latest["marker"] if latest else 0
            if wanted > latest_number:
                raise WarehouseError(
                    f"no marker {wanted}: the latest marker of the warehouse is {latest_number}")
        return snapshot_from_row(committed)
    try:
        moment = datetime.fromisoformat(str(as_of).strip())
    except ValueError as exc:
        raise WarehouseError(f"--as-of takes a marker number or an ISO timestamp, not {as_of!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    limit = pa.scalar(moment, MARKER_SCHEMA.field("committed_at").type)
    rows = all_marker_rows(markers, (pc.field("committed_at") <= limit)
                           & (pc.field("state") == COMMITTED)).to_pylist()
    if not rows:
        first = all_marker_rows(markers, pc.field("state") == COMMITTED).to_pylist()
        if first:
            earliest = min(row["committed_at"] for row in first)
            raise WarehouseError(
                f"no commit at or before {moment.isoformat()}: the first commit of the warehouse "
                f"was at {earliest.isoformat()}")
        return Snapshot()
    return snapshot_from_row(max(rows, key=lambda r: r["marker"]))


def log_actions(fs: pafs.FileSystem, path: str) -> list[dict]:
    """The actions of one Delta commit file (`<version>.json`, one JSON object a line)."""
    with fs.open_input_stream(path) as stream:
        text = stream.read().decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def log_entry(warehouse: Warehouse, name: str, version: int) -> list[dict] | None:
    """The actions of one Delta commit of a table, read from its `_delta_log` (None if gone)."""
    fs, root = filesystem(location(warehouse))
    try:
        return log_actions(fs, f"{root}/{name}/{LOG_DIR}/{version:020d}.json")
    except (FileNotFoundError, OSError):
        return None


def preserves_data(actions: list[dict]) -> bool:
    """A commit that rewrites files but no rows: only `commitInfo`, and `add`/`remove` actions
    with `dataChange: false` (an OPTIMIZE; a VACUUM START/END has no file action at all)."""
    for action in actions:
        for kind, body in action.items():
            if kind == "commitInfo":
                continue
            if kind in ("add", "remove") and body.get("dataChange") is False:
                continue
            return False
    return True


def readable_version(warehouse: Warehouse, name: str, version: int, latest: int) -> int:
    """The newest version v' of a table, `version` <= v' <= `latest`, reached from `version`
    through data-preserving commits only (`preserves_data`: OPTIMIZE, VACUUM START/END): it
    holds the very rows of `version`, in the files a routine optimize + vacuum keeps. Reads
    the commits after `version` from the Delta log, oldest first, up to the first data change."""
    readable = version
    for number in range(version + 1, latest + 1):
        actions = log_entry(warehouse, name, number)
        if actions is None or not preserves_data(actions):
            break
        readable = number
    return readable


def pinned_table(warehouse: Warehouse, name: str, snapshot: Snapshot) -> DeltaTable | None:
    """A table as the snapshot pins it. When maintenance (ours or an operator's) committed after
    the pinned version, the table is read at the newest version holding the same rows, so a
    vacuum of the pinned version's files changes nothing readers see."""
    version = snapshot.versions.get(name)
    if version is None:
        return None
    latest = open_delta(warehouse, name)
    if latest is None:
        return None
    if latest.version() == version:
        return latest
    readable = readable_version(warehouse, name, version, latest.version())
    return latest if readable == latest.version() else open_delta(warehouse, name, readable)


def committed_files(warehouse: Warehouse, name: str, snapshot: Snapshot | None = None) -> list[str]:
    """The files of a table in a snapshot (the latest marker if None), relative to the warehouse."""
    snapshot = snapshot or read_snapshot(warehouse)
    return _files_of(name, pinned_table(warehouse, name, snapshot))


def _files_of(name: str, table: DeltaTable | None) -> list[str]:
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


def write_views_file(warehouse: Path, snapshot: Snapshot | None = None,
                     opened: Mapping[str, DeltaTable] | None = None) -> None:
    """views.sql for a plain DuckDB: each table's pinned files, relative to the warehouse.
    `opened`: tables already loaded at exactly the versions the snapshot pins (a writer's)."""
    warehouse = Path(warehouse)
    snapshot = snapshot or read_snapshot(warehouse)
    opened = opened or {}
    files = {
        name: tuple(_files_of(name, opened[name]) if name in opened
                    and opened[name].version() == snapshot.versions.get(name)
                    else committed_files(warehouse, name, snapshot))
        for name in TABLES
    }
    sql = render_views_sql(files, search_path=warehouse.resolve(), marker=snapshot.marker)
    write_atomically(warehouse / VIEWS_NAME, sql)

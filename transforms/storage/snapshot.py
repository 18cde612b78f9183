"""What readers see: the newest committed marker and each table pinned to the Delta version it
names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from schemas.tables import TABLES, Table
from schemas.views import render_views_sql
from transforms.storage.location import (
    Warehouse,
    WarehouseError,
    location,
    storage_error,
    write_atomically,
)

MARKER_TABLE = "_commits"
VIEWS_NAME = "views.sql"
CLAIMED = "claimed"
COMMITTED = "committed"

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
    except TableNotFoundError:
        return None
    except DeltaError as exc:
        if "not a delta table" in str(exc).lower() or "no files in log" in str(exc).lower():
            return None
        raise storage_error(loc, exc) from exc
    except OSError as exc:
        raise storage_error(loc, exc) from exc


def marker_rows(table: DeltaTable, expression: pc.Expression) -> list[dict]:
    return table.to_pyarrow_dataset().to_table(filter=expression).to_pylist()


def snapshot_from_row(row: dict) -> Snapshot:
    return Snapshot(int(row["marker"]), row["commit_id"], row["committed_at"],
                    {k: int(v) for k, v in json.loads(row["versions"]).items()})


def _committed_at_or_before(markers: DeltaTable, number: int) -> Snapshot:
    # A claim is always followed by its committed row before the next claim, so the newest
    # committed marker at or before N is N or N - 1.
    rows = marker_rows(markers, (pc.field("marker") >= number - 1) & (pc.field("marker") <= number)
                        & (pc.field("state") == COMMITTED))
    return snapshot_from_row(max(rows, key=lambda r: r["marker"])) if rows else Snapshot()


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
    rows = marker_rows(markers, (pc.field("committed_at") <= limit) & (pc.field("state") == COMMITTED))
    return snapshot_from_row(max(rows, key=lambda r: r["marker"])) if rows else Snapshot()


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


def write_views_file(warehouse: Path, snapshot: Snapshot | None = None) -> None:
    """views.sql for a plain DuckDB: each table's pinned files, relative to the warehouse."""
    warehouse = Path(warehouse)
    snapshot = snapshot or read_snapshot(warehouse)
    files = {name: tuple(committed_files(warehouse, name, snapshot)) for name in TABLES}
    sql = render_views_sql(files, search_path=warehouse.resolve(), marker=snapshot.marker)
    write_atomically(warehouse / VIEWS_NAME, sql)

"""The pre-Delta `_manifest.json` layout: refused until upgraded once, in place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import TABLES, Table
from transforms.storage.commits import commit_rows
from transforms.storage.location import (
    Warehouse,
    WarehouseError,
    exists,
    fsync_dir,
    location,
    writable_warehouse,
)
from transforms.storage.recovery import committed_ids, recover
from transforms.storage.snapshot import conform
from transforms.storage.staging import STAGING_DIR

LEGACY_MANIFEST = "_manifest.json"


def refuse_legacy_layout(warehouse: Warehouse) -> None:
    """A warehouse in the pre-Delta `_manifest.json` layout is refused until upgraded."""
    loc = location(warehouse)
    if exists(loc, LEGACY_MANIFEST):
        raise WarehouseError(
            f"warehouse {loc} is in the old _manifest.json layout; convert it once with "
            f"`wirehouse upgrade --warehouse {loc}`"
        )


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
        if UPGRADE_COMMIT not in committed_ids(loc):
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
        fsync_dir(root)
    return {name: table.num_rows for name, table in rows.items()}

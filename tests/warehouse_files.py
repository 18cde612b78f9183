"""How many live data files each partition of a table has: the one place tests ask storage
which files a reader of the current snapshot reads (the Delta version pinned by the latest
commit marker). Files replaced by a compaction stay on disk until a vacuum, so counting what
is on disk would be wrong."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import TABLES, Table
from transforms import storage


def live_files_per_partition(warehouse: Path, table: str) -> dict[str, int]:
    """Partition folder (e.g. `dispatches/published_date=2026-01-15`) -> live files in it."""
    return dict(Counter(str(Path(f).parent) for f in storage.committed_files(warehouse, table)))


def stage_table_files(table: Table, rows: pa.Table, staging: Path, commit_id: str) -> dict[str, Path]:
    """Write a table's rows as one staged file; returns {relative name: staged path}."""
    rows = storage.conform(table, rows)
    if rows.num_rows == 0:
        return {}
    relative = f"{table.name}/part-{commit_id}.parquet"
    storage.write_parquet_durably(rows, staging / relative)
    return {relative: staging / relative}


def commit_staged(warehouse: storage.Warehouse, staged: Mapping[str, Mapping[str, Path]],
                  commit_id: str | None = None) -> storage.Snapshot:
    """Commit staged files of several tables (from `stage_table_files`) in one step."""
    rows = {
        name: pa.concat_tables([storage.conform(TABLES[name], pq.read_table(p)) for p in files.values()])
        for name, files in staged.items() if files
    }
    return storage.commit_rows(warehouse, rows, commit_id or f"commit-{uuid.uuid4().hex}")

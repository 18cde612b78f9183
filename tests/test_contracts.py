"""Contracts catch what they promise to catch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from schemas.tables import RUNS
from tests.warehouse_files import commit_staged, stage_table_files
from transforms.contracts import check_contracts


def _runs(rows: list[dict]) -> pa.Table:
    base = {
        "flow": "nightly", "started_at": datetime(2026, 1, 1, tzinfo=UTC), "files_seen": 0,
        "files_ingested": 0, "dispatches_written": 0, "mentions_written": 0, "quarantined": 0,
    }
    return pa.Table.from_pylist([base | r for r in rows], schema=RUNS.schema)


def test_duplicate_key_and_unknown_status_are_reported(tmp_path: Path) -> None:
    rows = _runs([
        {"run_id": "a", "status": "completed"},
        {"run_id": "a", "status": "completed"},
        {"run_id": "b", "status": "exploded"},
    ])
    staged = stage_table_files(RUNS, rows, tmp_path / "_staging", "c1")
    commit_staged(tmp_path, {"runs": staged})
    found = {(v.table, v.check, v.columns, v.failing_rows) for v in check_contracts(tmp_path)}
    assert found == {("runs", "unique", "run_id", 1), ("runs", "accepted_values", "status", 1)}


def test_a_clean_table_passes(tmp_path: Path) -> None:
    staged = stage_table_files(
        RUNS, _runs([{"run_id": "a", "status": "completed"}]), tmp_path / "_staging", "c1")
    commit_staged(tmp_path, {"runs": staged})
    assert check_contracts(tmp_path) == []

"""Batches of a run under its staging folder: the file list of each, and its staged Parquet rows.

Stages pass only paths between them: a batch is a folder holding `files.json` (what to read) and
one `<table>.parquet` per table its stages wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from schemas.tables import TABLES
from transforms import storage
from transforms.landing import SourceFile


def write_file_list(files: list[SourceFile], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([item.__dict__ for item in files]), encoding="utf-8")
    return path


def read_file_list(path: Path) -> list[SourceFile]:
    return [SourceFile(**item) for item in json.loads(path.read_text("utf-8"))]


def plan_batches(
    files: list[SourceFile], staging: Path, max_files: int = 256, max_bytes: int = 64 << 20
) -> list[Path]:
    """Group files into batches and write each batch's file list; returns the batch folders."""
    batches: list[list[SourceFile]] = []
    current: list[SourceFile] = []
    size = 0
    for item in files:
        if current and (len(current) >= max_files or size + item.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item.size
    if current:
        batches.append(current)
    folders = []
    for number, batch in enumerate(batches, start=1):
        folder = staging / f"batch-{number:05d}"
        write_file_list(batch, folder / "files.json")
        folders.append(folder)
    return folders


def batch_files(batch: Path) -> list[SourceFile]:
    return read_file_list(batch / "files.json")


def _table_from_rows(table_name: str, rows: list[dict]) -> pa.Table:
    schema = TABLES[table_name].schema
    if not rows:
        return schema.empty_table()
    return pa.Table.from_pylist(rows, schema=schema)


def stage_rows(table_name: str, rows: list[dict], path: Path) -> None:
    """Write rows of one table as a durable staged Parquet file."""
    storage.write_parquet_durably(_table_from_rows(table_name, rows), path)


def staged_table(batch: Path, name: str) -> pa.Table:
    rows = storage.read_staged(batch / f"{name}.parquet")
    return TABLES[name].schema.empty_table() if rows is None else rows

"""Rows on their way in: the Parquet files a batch or a claimed commit stages before any table
sees them, locally or on S3."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.storage.location import Location, Warehouse, location, s3_filesystem

PENDING_DIR = "_pending"
STAGING_DIR = "_staging"
REPLACED_NAME = "_replaced.parquet"
ROW_GROUP_SIZE = 128 * 1024


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


def read_parquet(uri: str, columns: list[str] | None = None) -> pa.Table:
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
        return read_parquet(str(path), columns)
    except FileNotFoundError:
        return None


def remove_staged(folder: Path | str) -> None:
    """Remove a staged batch folder, local or on S3."""
    if is_remote_path(folder):
        with contextlib.suppress(FileNotFoundError, OSError):
            s3_filesystem().delete_dir(location(str(folder)).uri[len("s3://"):])
    else:
        shutil.rmtree(folder, ignore_errors=True)


def staged_exists(loc: Location, relative: str) -> bool:
    """Whether a file under the warehouse (e.g. a pending table file) exists, locally or on S3."""
    if loc.remote:
        import pyarrow.fs as pafs

        info = s3_filesystem().get_file_info(location(loc.child(relative)).uri[len("s3://"):])
        return info.type != pafs.FileType.NotFound
    return (loc.path / relative).exists()


def pending(commit_id: str, name: str = "") -> str:
    return f"{PENDING_DIR}/{commit_id}" + (f"/{name}" if name else "")


def pending_path(loc: Location, commit_id: str, name: str) -> Path | str:
    uri = loc.child(pending(commit_id, name))
    return uri if loc.remote else Path(uri)


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

"""Before the first write to an S3 warehouse: does the store refuse a second conditional write?

Every commit in wirehouse (a claim in `_commits`, each table's Delta commit) relies on the store
refusing to create an object that already exists: delta-rs writes the next log entry with
`If-None-Match: *`, and AWS S3 (and moto) answer a second such write with 412. A store that
ignores the header (older MinIO, Ceph) lets two writers both "win" the same version, and one
overwrites the other's commit. So, once per warehouse, a probe Delta table under `_probe/` has
its version 1 committed twice through two handles loaded at version 0: the second must fail.
The verdict is remembered in `_probe/conditional-writes.json`; a store that did not refuse is
refused every time (nothing is remembered), so a fixed store passes on the next try.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from transforms.storage.location import (
    Location,
    Warehouse,
    WarehouseError,
    filesystem,
    location,
    storage_error,
)

PROBE_DIR = "_probe"
VERDICT_NAME = "conditional-writes.json"
_PROBE_SCHEMA = pa.schema([pa.field("probe", pa.string())])


def _commit(table: DeltaTable, text: str) -> None:
    """Append one row as the next version after the one `table` was loaded at, no retries."""
    write_deltalake(table, pa.table({"probe": [text]}, schema=_PROBE_SCHEMA), mode="append",
                    commit_properties=CommitProperties(max_commit_retries=0))


def second_write_refused(loc: Location) -> bool:
    """Commit version 1 of a fresh probe table twice; True if the store refused the second."""
    uri = loc.child(PROBE_DIR, f"table-{uuid.uuid4().hex}")
    options = loc.storage_options
    fs, _root = filesystem(loc)
    try:
        DeltaTable.create(uri, _PROBE_SCHEMA, storage_options=options)
        first = DeltaTable(uri, version=0, storage_options=options)
        second = DeltaTable(uri, version=0, storage_options=options)
        _commit(first, "first")
        try:
            _commit(second, "second")
        except CommitFailedError:
            return True
        return False
    finally:
        with contextlib.suppress(OSError):
            fs.delete_dir(uri[len("s3://"):] if loc.remote else uri)


def check_conditional_writes(warehouse: Warehouse) -> None:
    """For an S3 warehouse, once: WarehouseError (one line) unless the store refuses a second
    `If-None-Match: *` write. A local warehouse needs no check (commits use atomic renames)."""
    loc = location(warehouse)
    if not loc.remote:
        return
    fs, root = filesystem(loc)
    verdict = f"{root}/{PROBE_DIR}/{VERDICT_NAME}"
    try:
        if fs.get_file_info(verdict).type == pafs.FileType.File:
            return
        refused = second_write_refused(loc)
        if refused:
            with fs.open_output_stream(verdict) as out:
                out.write(json.dumps({
                    "conditional_writes": "refused a second If-None-Match: * write",
                    "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }).encode())
    except WarehouseError:
        raise
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    if not refused:
        raise WarehouseError(
            f"refusing to write to {loc}: its store accepted a second conditional write "
            "(If-None-Match: *) to the same object, so two writers could overwrite each other's "
            "commits; use a store that honours conditional writes (AWS S3, a recent MinIO)")


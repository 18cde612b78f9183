"""The exactly-once rule, in one place: what the warehouse already holds is never written again.

A dispatch version is written once (`KNOWN_VERSIONS`), a file once (its content hash in the
`ingested_files` ledger), a refusal once (the same bytes at the same place refused for the same
reason), except the refusals a run retries (`RETRIED_REFUSALS`). Parsing drops what the warehouse
held when the run started, so tagging never sees it; a commit drops, against the very snapshot
it is claimed on, what another writer committed since (`without_committed_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from transforms import storage
from transforms.landing import WALK_REFUSALS, Arrival


class KnownVersions:
    """version_ids already committed, per warehouse, kept with the `dispatches` files they were
    read from.

    A backfill's flow asks at every commit, and each commit adds files to `dispatches` (one a
    day partition): reading the whole table again each time cost 0.09 CPU s at the second commit
    of the 21,578-dispatch archive and 0.54 s at its seventh (`benchmarks/flow_commits.py`).
    Delta files never change once written, so when the pinned table still has every file read
    before, only its new files are read. When any is gone (a compaction, an overwrite) the
    table is read whole again, so the answer is always the table's version_ids."""

    def __init__(self) -> None:
        self._ids: dict[str, tuple[frozenset[str], set[str]]] = {}

    def of(self, warehouse: storage.Warehouse, snapshot: storage.Snapshot | None = None) -> set[str]:
        loc = storage.location(warehouse)
        snapshot = snapshot or storage.read_snapshot(warehouse)
        files = frozenset(storage.committed_files(warehouse, "dispatches", snapshot))
        cached = self._ids.get(loc.uri)
        if cached is not None and cached[0] == files:
            return cached[1]
        ids = None
        if cached is not None and cached[0] <= files:
            ids = _version_ids_in(loc, files - cached[0])
            if ids is not None:
                ids |= cached[1]  # a new set: callers may hold the old one
        if ids is None:
            table = storage.read_table(warehouse, "dispatches", ["version_id"], snapshot)
            ids = set(table.column("version_id").to_pylist())
        self._ids[loc.uri] = (files, ids)
        return ids


def _version_ids_in(loc: storage.Location, files: Iterable[str]) -> set[str] | None:
    """The version_ids in these files of the warehouse (paths as `committed_files` gives them,
    quoted as in the Delta log); None when one is gone (vacuumed since it was listed)."""
    ids: set[str] = set()
    for name in files:
        rows = storage.read_staged(loc.child(unquote(name)), ["version_id"])
        if rows is None:
            return None
        ids.update(rows.column("version_id").to_pylist())
    return ids


KNOWN_VERSIONS = KnownVersions()


def ingested_hashes(warehouse: storage.Warehouse, snapshot: storage.Snapshot | None = None) -> set[str]:
    """Content hashes of every file in the ledger (of `snapshot`, the latest if None)."""
    ledger = storage.read_table(warehouse, "ingested_files", ["file_sha256"], snapshot)
    return set(ledger.column("file_sha256").to_pylist())


def ingested_file_dispatches(warehouse: storage.Warehouse) -> dict[str, int]:
    """Content hash → dispatches read from it, for every file in the ledger."""
    ledger = storage.read_table(warehouse, "ingested_files", ["file_sha256", "dispatches"])
    return dict(zip(ledger.column("file_sha256").to_pylist(), ledger.column("dispatches").to_pylist(),
                    strict=True))


def refused_links(warehouse: storage.Warehouse) -> set[str]:
    """Links already quarantined as `outside_landing`, and what the walk could not take (an
    unreadable folder, a FIFO, a link loop): refused once, not every night."""
    rows = storage.read_table(warehouse, "quarantine", ["source_uri", "reason"])
    return {
        uri for uri, reason in zip(rows.column("source_uri").to_pylist(),
                                   rows.column("reason").to_pylist(), strict=True)
        if reason == Arrival.OUTSIDE_LANDING.value or reason in WALK_REFUSALS
    }


QuarantineKey = tuple[str, str, str]
QUARANTINE_KEY_COLUMNS = ["source_uri", "reason", "raw_sha256"]


def quarantine_key(row: dict) -> QuarantineKey:
    """Identity of a refusal: the same bytes at the same place refused for the same reason."""
    return (row["source_uri"], row["reason"], row["raw_sha256"] or "")


def committed_quarantine_keys(
    warehouse: storage.Warehouse, snapshot: storage.Snapshot | None = None
) -> set[QuarantineKey]:
    rows = storage.read_table(warehouse, "quarantine", QUARANTINE_KEY_COLUMNS, snapshot)
    return {quarantine_key(row) for row in rows.to_pylist()}


def _not_in(column: pa.ChunkedArray, values: set) -> pa.ChunkedArray:
    return pc.invert(pc.is_in(column, pa.array(sorted(values), type=column.type)))


def _kept(table: pa.Table, mask: pa.ChunkedArray | pa.Array) -> pa.Table:
    """The rows of `table` where `mask` is true: the table itself when that is every row.

    A backfill's commits usually keep every row, and a filtered copy would double what a
    commit holds while it is written (its tables are held until the commit is applied)."""
    if pc.all(mask, skip_nulls=False).as_py() is True:
        return table
    return table.filter(mask)


# A file the run could not open has no ledger row, so every run tries it again, and each
# attempt is a refusal of its own (not a duplicate of the last run's).
RETRIED_REFUSALS = frozenset({"unreadable_file"})


def without_committed_rows(
    warehouse: storage.Warehouse, snapshot: storage.Snapshot, rows: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    """The rows of a batch that `snapshot` does not hold yet (see commit_batches)."""
    rows = dict(rows)
    known = KNOWN_VERSIONS.of(warehouse, snapshot)
    rows["dispatches"] = _kept(rows["dispatches"], _not_in(rows["dispatches"]["version_id"], known))
    keep = rows["dispatches"]["version_id"]
    for name in ("mentions", "quotes", "taggings"):
        rows[name] = _kept(rows[name], pc.is_in(rows[name]["version_id"], keep))
    if rows["ingested_files"].num_rows:
        seen = ingested_hashes(warehouse, snapshot)
        rows["ingested_files"] = _kept(rows["ingested_files"],
                                       _not_in(rows["ingested_files"]["file_sha256"], seen))
    if rows["quarantine"].num_rows:
        keys = committed_quarantine_keys(warehouse, snapshot)
        if keys:
            mask = [
                r["reason"] in RETRIED_REFUSALS or quarantine_key(r) not in keys
                for r in rows["quarantine"].select(QUARANTINE_KEY_COLUMNS).to_pylist()
            ]
            rows["quarantine"] = _kept(rows["quarantine"], pa.array(mask, pa.bool_()))
    return rows

"""What a data table's log length costs an append: `python benchmarks/log_listing.py`.

Builds two local tables with the data tables' properties (`commits.TABLE_PROPERTIES`) and the
same data, one append of 20 rows: one at version 1, the other followed by `--versions` - 1
empty appends (a Delta commit each, no file), so the second differs only by its `_delta_log/`
folder (one JSON per version and a checkpoint every 10). Then alternates appends of the same
rows to both, through loaded tables as `commits._apply_table` makes them (`write_deltalake` on a
`DeltaTable`, `DATA_COMMIT_HOOKS`), and prints the median CPU time of each, and of an
`update_incremental()` with nothing new (one listing of the log folder and nothing else).

delta-rs (1.6) lists a local table's whole `_delta_log/` folder twice per append: before the
commit (`get_latest_version`, to find commits made since the table was loaded: conflict
detection) and after it (the snapshot brought to the new version); a checkpointing append lists
it a third time. On a local disk object_store walks the whole folder and converts every entry's
path before it drops those older than the version it asked from, so each listing costs about a
microsecond per entry, more for a longer path. Neither listing can be skipped through the Python
API (`create_write_transaction` lists twice too and leaves the table object behind).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import pyarrow as pa  # noqa: E402
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake  # noqa: E402

from transforms.storage.commits import DATA_COMMIT_HOOKS, TABLE_PROPERTIES  # noqa: E402


def rows(count: int = 20) -> pa.Table:
    return pa.table({"id": [f"k{i}" for i in range(count)], "n": pa.array(range(count), pa.int64()),
                     "day": ["2026-12-01"] * count})


def append(table: DeltaTable, data: pa.Table, number: int) -> None:
    write_deltalake(table, data, mode="append", schema_mode="merge", partition_by=["day"],
                    commit_properties=CommitProperties(app_transactions=[Transaction("bench", number)]),
                    post_commithook_properties=DATA_COMMIT_HOOKS)


def build(path: Path, versions: int) -> DeltaTable:
    DeltaTable.create(str(path), rows().schema, partition_by=["day"], configuration=TABLE_PROPERTIES)
    table = DeltaTable(str(path))
    append(table, rows(), 1)
    for number in range(2, versions + 1):
        append(table, rows(0), number)
    return table


def cpu_median(action, times: int) -> float:
    spent = []
    for _ in range(times):
        started = time.process_time()
        action()
        spent.append(time.process_time() - started)
    return statistics.median(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--appends", type=int, default=41, help="timed appends to each table")
    parser.add_argument("--dir", type=Path, help="build the tables here (default: a temporary folder)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="log-listing-", dir=args.dir))
    try:
        started = time.perf_counter()
        tables = {"1 version": build(base / "short", 1),
                  f"{args.versions} versions": build(base / "long", args.versions)}
        built = time.perf_counter() - started
        entries = {name: len(os.listdir(Path(table.table_uri.removeprefix("file://")) / "_delta_log"))
                   for name, table in tables.items()}
        spent: dict[str, list[float]] = {name: [] for name in tables}
        data = rows()
        for number in range(args.appends + 1):  # the first round is untimed
            order = list(tables.items()) if number % 2 else list(tables.items())[::-1]
            for name, table in order:
                begun = time.process_time()
                append(table, data, 10_000 + number)
                if number:
                    spent[name].append(time.process_time() - begun)
        listing = {name: cpu_median(table.update_incremental, 101) for name, table in tables.items()}
        short, long = tables
        print(f"tables built in {built:.0f} s under {base}; load average "
              f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        print("| table | log entries | append CPU (median) | update_incremental CPU (one listing) |")
        print("|---|---|---|---|")
        for name in tables:
            print(f"| {name} | {entries[name]} | {statistics.median(spent[name]) * 1000:.2f} ms "
                  f"| {listing[name] * 1000:.2f} ms |")
        ratio = statistics.median(spent[long]) / statistics.median(spent[short])
        print(f"append: {ratio:.2f}x ({args.appends} alternated appends to each, after one untimed)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

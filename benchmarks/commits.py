"""Commit-log benchmark, one command: `make bench-commits` (= `.venv/bin/python benchmarks/commits.py`).

Builds a warehouse of N commits of small batches (3 dispatches with their mentions and taggings
and one ledger row each, through `transforms.storage.commit_rows` directly: no parsing, no
tagging, no Prefect), with `storage.compact` every `--compact-every` commits as a routine
maintenance job would run it, and measures after 1, 100 and 1,000 commits:

* commit time: the median wall time of the next `--probe` commits (they count towards N);
* `wirehouse sql` latency: the median of `--probe` in-process `transforms.query.run_query` of
  `SELECT count(*) FROM dispatches` (and, with `--cli`, one `wirehouse sql` process start to exit);
* the head lookup alone: the median of `--probe` `storage.read_snapshot` calls.

Each figure is printed as a ratio against the same figure after 1 commit, measured in the same
run; each is a median (of wall time, and of the process's CPU time next to it: less disturbed
by other work on a shared machine), taken after one untimed call (so the first point does not carry the
process's one-time start-up). Compaction time is reported apart (it is not a commit). The load
average of the machine is printed before and after (timings on a shared machine vary with it).
Commits run in one process, as a backfill's do: a writer keeps its tables loaded between
commits, so a new process's first commit pays one fresh load of each table on top.

The ratios against the first point compare figures taken minutes apart, and a shared machine's
speed drifts more than that in minutes (the same work measured 25% apart in CPU time here).
So at each point the commit, the query and the head lookup are also measured side by side with
a copy of the warehouse as it was after its first commit: they alternate between the two,
`--side-probes` of each, in the same process at the same moment, and the ratio of their medians says
what the N commits cost, whatever the machine does meanwhile.
Compactions are taken to come more than an hour (`storage.VACUUM_RETENTION_HOURS`) apart, as a
nightly or hourly job's do: when one runs, the files the one before it replaced have aged past
its vacuum's retention and go, and so do the log entries only the versions that named them
needed (`maintenance.trim_unreadable_log`). The benchmark cannot wait an hour: right before
each compaction it vacuums with no retention, which deletes exactly those files (the
compaction's own vacuum keeps what it replaces, for an hour). `--within-the-hour` leaves that
out: every compaction within the hour of the one before (a backfill's burst), nothing vacuumed,
every version readable and its log kept.
An hour on, the tombstones of what those compactions replaced leave the data tables' checkpoints
too (`delta.deletedFileRetentionDuration`, an hour: commits.TABLE_PROPERTIES), which the
benchmark cannot wait for either: its last side-by-side row ("an hour on") is taken on a copy of
the warehouse, compacted, whose data tables were given a retention of one second, 2 seconds and
`AGING_COMMITS` commits before (a checkpoint written after the tombstones expired), against
the 1-commit copy given `AGING_COMMITS` commits too. A query reads every data file written
since the last compaction, and its cost follows their number, not the number of commits: each
side-by-side row prints the files of `dispatches` on each side when it starts.
Target: <= 1.2x from 1 to 1,000.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import pyarrow as pa  # noqa: E402

from schemas.tables import TABLES  # noqa: E402
from transforms import storage  # noqa: E402
from transforms.query import run_query  # noqa: E402

DAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 16, tzinfo=UTC)


def batch(number: int) -> dict[str, pa.Table]:
    """Three dispatches of one file, each with a mention and a tagging, and the ledger row."""
    ids = [f"c{number:05d}-{i}" for i in range(3)]
    common = {"run_id": f"bench-{number:05d}", "published_date": DAY}
    dispatches = [{"dispatch_id": v, "version_id": v, "body": "Talks in Tokyo.", "word_count": 3,
                   "published_at": NOW, "source_uri": f"f{number:05d}.txt",
                   "source_format": "wire-text", "raw_sha256": f"h{number}", "pub_status": "usable",
                   "ingested_at": NOW, "parser_version": "p", **common} for v in ids]
    mentions = [{"dispatch_id": v, "version_id": v, "mention_id": f"m-{v}", "text": "Tokyo",
                 "label": "GPE", "start_char": 9, "end_char": 14, "sentence_index": 0,
                 "canonical": "Tokyo", "model": "m", "pipeline_hash": "p", "field": "body",
                 **common} for v in ids]
    taggings = [{"dispatch_id": v, "version_id": v, "model": "m", "pipeline_hash": "p",
                 "mentions": 1, "quotes": 0, "tagged_at": NOW, "status": "tagged", **common}
                for v in ids]
    ledger = [{"file_sha256": f"sha-{number:05d}", "source_uri": f"f{number:05d}.txt",
               "dispatches": 3, "rejected": 0, "run_id": common["run_id"], "ingested_at": NOW}]
    rows = {"dispatches": dispatches, "mentions": mentions, "taggings": taggings,
            "ingested_files": ledger}
    return {name: storage.conform(TABLES[name], pa.Table.from_pylist(r, schema=TABLES[name].schema))
            for name, r in rows.items()}


def median_time(action, times: int) -> float:
    return median_times(action, times)[0]


def median_times(action, times: int) -> tuple[float, float]:
    """Median wall time and median CPU time (this process's, delta-rs threads included)."""
    wall, cpu = [], []
    for _ in range(times):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


@dataclass
class SideBySide:
    """Medians of commits, queries and head lookups alternated between the warehouse and a
    1-commit copy."""

    commit: float
    commit_reference: float
    query: float
    query_reference: float
    lookup: float
    lookup_reference: float
    files: int  # the data files of `dispatches` when the measure started
    files_reference: int


def side_by_side(warehouse: Path, reference: Path, probes: int, commit, first_batch: int) -> SideBySide:
    """Alternate a commit and a query on `warehouse` (through `commit`) with the same on
    `reference` (a fresh copy of the warehouse after one commit), which goes first alternating;
    the reference's warm-up commit and query are untimed, as the warehouse's were."""
    number = first_batch

    def commit_reference() -> None:
        nonlocal number
        number += 1
        storage.commit_rows(reference, batch(number), f"bench-reference-{number:06d}")

    commit_reference()
    run_query(reference, "SELECT count(*) FROM dispatches")
    files = [len(storage.open_delta(storage.location(where), "dispatches").file_uris())
             for where in (warehouse, reference)]
    cpu: dict[str, list[float]] = {"commit": [], "commit_reference": [], "query": [],
                                   "query_reference": [], "lookup": [], "lookup_reference": []}
    pairs = [("commit", commit, warehouse), ("commit_reference", commit_reference, reference)]
    for round_ in range(probes):
        for name, action, where in pairs if round_ % 2 else pairs[::-1]:
            started = time.process_time()
            action()
            cpu[name].append(time.process_time() - started)
            query_name = name.replace("commit", "query")
            started = time.process_time()
            run_query(where, "SELECT count(*) FROM dispatches")
            cpu[query_name].append(time.process_time() - started)
            started = time.process_time()
            storage.read_snapshot(where)
            cpu[name.replace("commit", "lookup")].append(time.process_time() - started)
    return SideBySide(**{name: statistics.median(values) for name, values in cpu.items()},
                      files=files[0], files_reference=files[1])


AGING_COMMITS = 12  # more than a checkpoint interval (commits.TABLE_PROPERTIES: 10)


def aged_copy(warehouse: Path, copy: Path, first_batch: int) -> None:
    """`copy`: the warehouse as it would be an hour on, its data tables' checkpoints without the
    tombstones of the files its compactions replaced (see the module's docstring), compacted
    first (as the hour-apart compactions are) so that it holds as many files written since its
    last compaction as the reference given `AGING_COMMITS` too (`aged_reference`)."""
    from deltalake import DeltaTable

    shutil.copytree(warehouse, copy)
    storage.vacuum(copy, 0)
    storage.compact(copy, "bench-aging-compact")
    for name in TABLES:
        if (copy / name / "_delta_log").is_dir():
            DeltaTable(str(copy / name)).alter.set_table_properties(
                {"delta.deletedFileRetentionDuration": "interval 1 seconds"})
    time.sleep(2)
    for number in range(first_batch, first_batch + AGING_COMMITS):
        storage.commit_rows(copy, batch(number), f"bench-aging-{number:06d}")


def aged_reference(template: Path, reference: Path, first_batch: int) -> None:
    """The 1-commit warehouse with `AGING_COMMITS` more, untimed. A query reads every file
    written since the last compaction (measured: `SELECT count(*) FROM dispatches` took 66 ms of
    CPU over 1 file and 86 ms over 37, at any number of commits), so the two sides of the
    "an hour on" row start with the same number of them."""
    shutil.rmtree(reference, ignore_errors=True)
    shutil.copytree(template, reference)
    for number in range(first_batch, first_batch + AGING_COMMITS):
        storage.commit_rows(reference, batch(number), f"bench-aging-reference-{number:06d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--points", default="1,100,1000")
    parser.add_argument("--probe", type=int, default=5)
    parser.add_argument("--compact-every", type=int, default=100, help="0: never")
    parser.add_argument("--within-the-hour", action="store_true",
                        help="compactions less than an hour apart: nothing they replace is vacuumed")
    parser.add_argument("--cli", action="store_true", help="also time one `wirehouse sql` process")
    parser.add_argument("--keep", type=Path, help="build the warehouse here and keep it")
    parser.add_argument("--side-probes", type=int, default=31,
                        help="commits and queries of each warehouse in the side-by-side measure")
    args = parser.parse_args()
    points = sorted(int(p) for p in args.points.split(",") if int(p) <= args.commits)
    warehouse = args.keep or Path(tempfile.mkdtemp(prefix="wirehouse-bench-commits-"))
    if args.keep:
        shutil.rmtree(warehouse, ignore_errors=True)
    warehouse.mkdir(parents=True, exist_ok=True)
    done = 0
    compaction: list[float] = []

    def commit() -> None:
        nonlocal done
        done += 1
        storage.commit_rows(warehouse, batch(done), f"bench-{done:05d}")
        if args.compact_every and done % args.compact_every == 0:
            started = time.perf_counter()
            if not args.within_the_hour:
                storage.vacuum(warehouse, 0)  # what the last compaction replaced, an hour on
            storage.compact(warehouse, f"bench-compact-{done:05d}")
            compaction.append(time.perf_counter() - started)

    results: list[tuple[int, float, float, float, float | None, float, float]] = []
    side: list[tuple[int | str, SideBySide]] = []
    load_before = os.getloadavg()
    started_all = time.perf_counter()
    template = Path(tempfile.mkdtemp(prefix="wirehouse-bench-commits-first-")) / "warehouse"
    reference = template.parent / "reference"
    for point in points:
        while done < point:
            commit()
            if done == 1:
                shutil.copytree(warehouse, template)
        at = done
        storage.read_snapshot(warehouse)  # untimed warm-up of each measured action
        run_query(warehouse, "SELECT count(*) FROM dispatches")
        lookup = median_time(lambda: storage.read_snapshot(warehouse), args.probe)
        query, query_cpu = median_times(lambda: run_query(warehouse, "SELECT count(*) FROM dispatches"),
                                        args.probe)
        cli = None
        if args.cli:
            started = time.perf_counter()
            subprocess.run([str(ROOT / ".venv/bin/wirehouse"), "sql", "--warehouse", str(warehouse),
                            "SELECT count(*) FROM dispatches"], check=True, capture_output=True)
            cli = time.perf_counter() - started
        commit_time, commit_cpu = median_times(commit, args.probe)
        results.append((at, commit_time, query, lookup, cli, commit_cpu, query_cpu))
        shutil.rmtree(reference, ignore_errors=True)
        shutil.copytree(template, reference)
        side.append((at, side_by_side(warehouse, reference, args.side_probes, commit,
                                      first_batch=90_000 + at * 100)))
        print(f"  ... {at} commits measured ({time.perf_counter() - started_all:.0f} s so far)",
              file=sys.stderr, flush=True)
    if not args.within_the_hour and results:
        aged = template.parent / "aged"
        aged_copy(warehouse, aged, first_batch=80_000)
        aged_reference(template, reference, first_batch=82_000)
        aged_number = 85_000

        def commit_aged() -> None:
            nonlocal aged_number
            aged_number += 1
            storage.commit_rows(aged, batch(aged_number), f"bench-aged-{aged_number:06d}")

        side.append((f"{done}, an hour on", side_by_side(aged, reference, args.side_probes, commit_aged,
                                                          first_batch=95_000)))
    base = results[0]
    print(f"commits benchmark: {done} commits of 3 dispatches (+ mentions, taggings, ledger row); "
          f"compact every {args.compact_every or 'never'}"
          f"{' (within the hour)' if args.within_the_hour else ' (an hour apart)'}; medians of {args.probe}")
    header = ("| after N commits | commit | ratio | sql (run_query) | ratio | head lookup | ratio "
              "| commit CPU | ratio | sql CPU | ratio |")
    if args.cli:
        header += " wirehouse sql (process) | ratio |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for at, commit_time, query, lookup, cli, commit_cpu, query_cpu in results:
        line = (f"| {at} | {commit_time * 1000:.0f} ms | {commit_time / base[1]:.2f}x "
                f"| {query * 1000:.0f} ms | {query / base[2]:.2f}x "
                f"| {lookup * 1000:.1f} ms | {lookup / base[3]:.2f}x "
                f"| {commit_cpu * 1000:.0f} ms | {commit_cpu / base[5]:.2f}x "
                f"| {query_cpu * 1000:.0f} ms | {query_cpu / base[6]:.2f}x |")
        if args.cli and cli is not None and base[4]:
            line += f" {cli:.2f} s | {cli / base[4]:.2f}x |"
        print(line)
    print(f"side by side with the warehouse after its first commit (a fresh copy at each point), "
          f"CPU time, medians of {args.side_probes} alternated:")
    print("| after N commits | commit | after 1 | ratio | sql (run_query) | after 1 | ratio "
          "| head lookup | after 1 | ratio | dispatches files at the start |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for at, pair in side:
        print(f"| {at} | {pair.commit * 1000:.0f} ms | {pair.commit_reference * 1000:.0f} ms "
              f"| {pair.commit / pair.commit_reference:.2f}x | {pair.query * 1000:.0f} ms "
              f"| {pair.query_reference * 1000:.0f} ms | {pair.query / pair.query_reference:.2f}x "
              f"| {pair.lookup * 1000:.1f} ms | {pair.lookup_reference * 1000:.1f} ms "
              f"| {pair.lookup / pair.lookup_reference:.2f}x | {pair.files} / {pair.files_reference} |")
    if compaction:
        print(f"compaction: {len(compaction)} runs, median {statistics.median(compaction):.2f} s, "
              f"max {max(compaction):.2f} s")
    load_after = os.getloadavg()
    print(f"total {time.perf_counter() - started_all:.0f} s; warehouse {warehouse}; load average "
          f"(1/5/15 min) {'/'.join(f'{x:.1f}' for x in load_before)} before, "
          f"{'/'.join(f'{x:.1f}' for x in load_after)} after, on {os.cpu_count()} cores")
    shutil.rmtree(template.parent, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(warehouse, ignore_errors=True)


if __name__ == "__main__":
    main()

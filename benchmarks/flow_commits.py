"""The backfill flow process's own CPU: parsing, and each commit's parts, without Prefect or Dask.

    python benchmarks/flow_commits.py [--docs 21578] [--per-commit 13] [--dump OUT_DIR]

Parses the synthetic archive of `benchmarks/backfill.py` (same seed, same folder) into staged
batches of 256 dispatches as the backfill does (`BatchStream`), timing the parse with
`time.process_time`; tags the batches once, on two processes, with the configured pipeline
(`tag_staged_batch`, what the backfill's workers run), and keeps them under
`benchmarks/.work/flow-commits/`; the next runs reuse them. Then it commits them into a fresh
warehouse, `--per-commit` batches at a time, with `commit_batches` exactly as the flow's commit
task calls it, and prints the CPU seconds of each commit's parts (`without_committed_rows`,
`sketch_index`, `story_rows_after`, `entity_aliases_after`, `places_after`, and the storage
layer's writing), per commit and summed. The parts are timed by wrapping the names
`transforms.stages.commit` looks up, so the code measured is left as it is; a name that code
no longer has is left out of the table.

The backfill commits what its workers have finished every 30 seconds: on the 21,578-dispatch
archive that is about 13 batches of 256 a commit (~7 commits), the default here.

`--dump` writes every table of the finished warehouse (at its last committed snapshot), sorted
by all its columns, as Arrow IPC files, so that the warehouses built by two versions of the code
from the same tagged batches can be compared row by row (run ids and times included: the
batches are the same files).
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import resource
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from transforms.arrow_memory import choose_returnable_arrow_memory  # noqa: E402

# As the CLI does, before anything loads Arrow: the flow's memory pool.
choose_returnable_arrow_memory()

import pyarrow as pa  # noqa: E402
from backfill import synthetic_corpus  # noqa: E402  (the same archive, made once)

WORK = HERE / ".work" / "flow-commits"

# The parts of a commit, as `transforms.stages.commit` names them (inclusive times: a part
# may call another, e.g. entity_aliases_after calls entity_alias_rows).
PARTS = (
    "staged_table", "without_committed_rows", "sketch_index", "story_rows_after",
    "entity_aliases_after", "aliases_from_table", "facts_from_mentions", "entity_alias_rows",
    "aliases_to_rows", "entity_alias_table", "places_after",
)


def staged_batches(corpus: Path, folder: Path) -> tuple[list[Path], float]:
    """The corpus parsed and staged as the backfill does; returns the batch folders and the
    parse's CPU seconds (parsing, language detection, staging)."""
    from seeds import default_seeds_dir
    from transforms.reference import load_reference
    from transforms.stages.backfill import BatchStream

    empty = folder / "empty-warehouse"
    empty.mkdir(parents=True, exist_ok=True)
    stream = BatchStream(paths=[corpus], warehouse=empty, staging=folder / "batches",
                         reference=load_reference(default_seeds_dir()), run_id="bench-flow-commits")
    started = time.process_time()
    batches = [batch.folder for batch in stream.batches()]
    return batches, time.process_time() - started


def _tag(batch: str) -> int:
    from flows.backfill_worker import tag_staged_batch
    from seeds import default_seeds_dir
    from transforms.languages import DEFAULT_PIPELINE, pipelines_spec

    pipeline = pipelines_spec({"en": DEFAULT_PIPELINE})
    return tag_staged_batch(batch, pipeline, str(default_seeds_dir()), "bench-flow-commits").mentions


def tagged_batches(docs: int) -> list[Path]:
    """The archive's batches, tagged (made once and kept: tagging takes minutes)."""
    folder = WORK / f"synthetic-{docs}"
    stamp = folder / ".complete"
    if not stamp.exists():
        shutil.rmtree(folder, ignore_errors=True)
        batches, parse_cpu = staged_batches(synthetic_corpus(docs), folder)
        print(f"parsed {len(batches)} batches in {parse_cpu:.1f} CPU s", flush=True)
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            mentions = sum(pool.map(_tag, [str(b) for b in batches], chunksize=1))
        print(f"tagged: {mentions} mentions in {time.perf_counter() - started:.0f} s", flush=True)
        stamp.write_text("\n".join(str(b) for b in batches) + "\n", encoding="utf-8")
    return [Path(line) for line in stamp.read_text(encoding="utf-8").split()]


class Clock:
    """CPU seconds of the wrapped functions, per commit (inclusive, not counting re-entry)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._depth: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            self._depth[name] += 1
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth[name] -= 1
                if not self._depth[name]:
                    self.seconds[name] += time.process_time() - started
        return timed


def replay(batches: list[Path], per_commit: int, warehouse: Path) -> list[dict[str, float]]:
    """Commit the tagged batches in order, `per_commit` at a time; each commit's seconds."""
    import transforms.stages.commit as commit_module
    from seeds import default_seeds_dir
    from transforms import storage
    from transforms.stages.backfill import return_freed_memory_to_os

    clock = Clock()
    for name in PARTS:
        if hasattr(commit_module, name):
            setattr(commit_module, name, clock.wrap(name, getattr(commit_module, name)))
    storage.commit_rows = clock.wrap("commit_rows", storage.commit_rows)
    # Inside commit_rows, the dedupe callback is the only part of this module's: the rest is
    # the storage layer's (staging, claim, applying each table, the committed marker).
    shutil.rmtree(warehouse, ignore_errors=True)
    warehouse.mkdir(parents=True)
    per: list[dict[str, float]] = []
    seeds = default_seeds_dir()
    for number, start in enumerate(range(0, len(batches), per_commit), start=1):
        clock.seconds.clear()
        group = batches[start:start + per_commit]
        started = time.process_time()
        counts = commit_module.commit_batches(group, warehouse, f"bench-{number:05d}", seeds_dir=seeds)
        total = time.process_time() - started
        return_freed_memory_to_os()
        figures = dict(clock.seconds)
        figures["total"] = total
        figures["dispatches"] = counts.dispatches
        figures["mentions"] = counts.mentions
        per.append(figures)
    return per


DEDUPE_PARTS = ("without_committed_rows", "sketch_index", "story_rows_after",
                "entity_aliases_after", "places_after")


def report(per: list[dict[str, float]]) -> None:
    names = [n for n in PARTS if any(n in f for f in per)]
    header = ["commit", "disp.", "total", *names, "storage"]
    print(" | ".join(header))
    summed: dict[str, float] = defaultdict(float)
    for number, figures in enumerate(per, start=1):
        dedupe = sum(figures.get(n, 0.0) for n in DEDUPE_PARTS)
        storage_part = figures.get("commit_rows", 0.0) - dedupe
        row = [str(number), str(int(figures["dispatches"])), f"{figures['total']:.2f}",
               *(f"{figures.get(n, 0.0):.2f}" for n in names), f"{storage_part:.2f}"]
        print(" | ".join(row))
        for name in (*names, "total"):
            summed[name] += figures.get(name, 0.0)
        summed["storage"] += storage_part
        summed["dispatches"] += figures["dispatches"]
    print(" | ".join(["sum", str(int(summed["dispatches"])), f"{summed['total']:.2f}",
                      *(f"{summed[n]:.2f}" for n in names), f"{summed['storage']:.2f}"]))


def dump(warehouse: Path, out: Path) -> None:
    """Every table of the warehouse's last committed snapshot, sorted by all its columns."""
    from schemas.tables import TABLES
    from transforms import storage

    out.mkdir(parents=True, exist_ok=True)
    snapshot = storage.read_snapshot(warehouse)
    for name in TABLES:
        if not storage.committed_files(warehouse, name, snapshot):
            continue
        table = storage.read_table(warehouse, name, snapshot=snapshot)
        table = table.sort_by([(c, "ascending") for c in table.column_names
                               if not pa.types.is_nested(table.schema.field(c).type)])
        with pa.OSFile(str(out / f"{name}.arrow"), "wb") as sink, \
                pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table.combine_chunks())
        print(f"{name}: {table.num_rows} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=21_578)
    parser.add_argument("--per-commit", type=int, default=13, help="batches of 256 per commit")
    parser.add_argument("--parse", action="store_true",
                        help="also time the parse stage again (into a scratch folder)")
    parser.add_argument("--dump", type=Path, help="a folder for the finished warehouse's tables")
    options = parser.parse_args()
    batches = tagged_batches(options.docs)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if options.parse:
        scratch = WORK / "parse-scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        count, cpu = staged_batches(synthetic_corpus(options.docs), scratch)
        print(f"parse and stage: {len(count)} batches, {cpu:.2f} CPU s")
        shutil.rmtree(scratch, ignore_errors=True)
    warehouse = WORK / f"warehouse-{os.getpid()}"
    per = replay(batches, options.per_commit, warehouse)
    report(per)
    # The process's peak, parsing and tagging aside (run with tagged batches kept): what the
    # commits hold at most, beside what this script's imports take.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if options.dump:
        dump(warehouse, options.dump)
    shutil.rmtree(warehouse, ignore_errors=True)


if __name__ == "__main__":
    main()

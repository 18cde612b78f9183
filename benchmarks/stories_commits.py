"""The stories step of a backfill's commits: CPU per 1,000 dispatches, a profile, and its output.

    python benchmarks/stories_commits.py [ARCHIVE_DIR] [--docs N] [--commit 1800]
        [--rows ROWS.arrow] [--profile] [--dump OUT_DIR]

Reads the synthetic Reuters-like archive (`benchmarks/synthetic_archive.py`; generated into
ARCHIVE_DIR when it holds no .sgm files), or any folder of files the readers take, into
dispatch rows as the parse stage does (a version seen before dropped), then commits them in
input order, `--commit` dispatches at a time, as the backfill's commits do: each calls
`story_rows_after` against the sketch index of the commits before it, and its sketch rows join
that index. Prints the CPU seconds of `story_rows_after` alone (parsing is outside the clock).
`--profile` prints a cProfile of those calls; `--dump` writes each commit's dispatch rows (with
their story ids) and sketch rows as Arrow IPC files, so the output of two versions of the code
can be compared byte for byte (give both the same `--rows`: rows carry their parse time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.tables import TABLES  # noqa: E402
from seeds import default_seeds_dir  # noqa: E402
from transforms import languages  # noqa: E402
from transforms.readers import read_path  # noqa: E402
from transforms.records import ParsedDispatch  # noqa: E402
from transforms.reference import load_reference  # noqa: E402
from transforms.stages.parse import item_rows  # noqa: E402
from transforms.stories.sketch_index import story_rows_after  # noqa: E402


def dispatch_rows(archive: Path, docs: int) -> pa.Table:
    """The archive's first `docs` dispatch versions as `dispatches` rows, in input order."""
    if not any(archive.glob("*.sgm")):
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from synthetic_archive import generate

        generate(archive, 21_578, 22, 1987)
    reference = load_reference(default_seeds_dir())
    now = datetime.now(UTC)
    rows: list[dict] = []
    seen: set[str] = set()
    # Every file under the folder in path order (an SGML archive's .sgm files, or the mixed
    # corpus's tar.gz, zip and loose files: `benchmarks/corpus.py`), its marker left out.
    for path in sorted(p for p in archive.rglob("*") if p.is_file() and not p.name.startswith(".")):
        for item in read_path(path, reference=reference):
            if isinstance(item, ParsedDispatch):
                item = languages.with_language(item)
            row, _ = item_rows(item, "benchmark", now)
            if row is not None and row["version_id"] not in seen:
                seen.add(row["version_id"])
                rows.append(row)
            if len(rows) == docs:
                return pa.Table.from_pylist(rows, schema=TABLES["dispatches"].schema)
    return pa.Table.from_pylist(rows, schema=TABLES["dispatches"].schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path, nargs="?", default=Path("/tmp/wirehouse-synthetic-archive"))
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--commit", type=int, default=1800, help="dispatches per commit")
    parser.add_argument("--rows", type=Path,
                        help="an Arrow file of the parsed rows: read if it exists, else written "
                             "(the rows carry their parse time, so compared runs must share it)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dump", type=Path, help="a folder for each commit's output")
    options = parser.parse_args()
    if options.rows and options.rows.exists():
        dispatches = pa.ipc.open_file(str(options.rows)).read_all().slice(0, options.docs)
    else:
        dispatches = dispatch_rows(options.archive, options.docs)
        if options.rows:
            _write(options.rows, dispatches)
    if options.dump:
        options.dump.mkdir(parents=True, exist_ok=True)
    index = TABLES["story_sketches"].schema.empty_table()
    profile = cProfile.Profile() if options.profile else None
    cpu = 0.0
    for number, start in enumerate(range(0, dispatches.num_rows, options.commit)):
        batch = dispatches.slice(start, options.commit)
        started = time.process_time()
        if profile:
            profile.enable()
        storied, sketches = story_rows_after(batch, index)
        if profile:
            profile.disable()
        cpu += time.process_time() - started
        index = pa.concat_tables([index, sketches])
        if options.dump:
            _write(options.dump / f"{number:03d}-dispatches.arrow", storied)
            _write(options.dump / f"{number:03d}-sketches.arrow", sketches)
    count = dispatches.num_rows
    commits = -(-count // options.commit)
    print(f"{count} dispatches, {commits} commits of up to {options.commit}: story_rows_after "
          f"{cpu:.3f} CPU s, {1000 * cpu / count:.3f} CPU s per 1,000 dispatches")
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


def _write(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


if __name__ == "__main__":
    main()

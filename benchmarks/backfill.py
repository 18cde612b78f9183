"""Backfill benchmark, one command: `.venv/bin/python benchmarks/backfill.py [--docs 20000]`.

Measures in one run, each figure against a baseline measured in the same run:

(a) the bare model: NER-only spaCy (`load_baseline_tagger`), `nlp.pipe(n_process=2,
    batch_size=64)` over exactly the bodies the backfill will tag (extracted, untimed, with the
    project's own readers), run before (b) and again after it, (b) taken against their mean,
    since this machine's speed drifts (`--no-bracket`: before only);
(b) `wirehouse backfill` end to end as a subprocess (process start to exit) into a fresh
    warehouse, with the peak RSS of its whole process tree and the files per partition after;
(c) a no-op nightly run (`wirehouse run` over a folder already ingested) against an empty
    Prefect flow run, both as subprocesses;
(d) a top-entities-per-day query over a synthetic compacted warehouse of >= 1M mentions;
(e) the entity pipeline's own cost: `tag_bodies` with the configured pipeline against the bare
    model's `nlp.pipe`, one process, over the same bodies, chunk by chunk interleaved, in CPU
    time and wall clock;
(f) what S3 costs over local: the same backfill as (b) into `s3://` on a moto server on
    127.0.0.1 (in this process), against (b); and the (d) query on S3 against local
    (`--skip-s3` leaves it out).

The corpus is built once and cached under benchmarks/.corpus/: by default the synthetic SGML
archive of `benchmarks/synthetic_archive.py` (Reuters-21578-like, 22 files, with exact re-sends,
repeated sentences and figures blocks; its measured repeat rates are printed), or with
`--corpus mixed` the multi-agency corpus of benchmarks/corpus.py.

(b) also prints where the backfill's time went, per stage, in seconds and as a share of (a):
the flow process's own stages (parse and stage, submitting tasks, waiting for workers, write
and commit, compaction; the rest of its wall time is orchestration: Prefect's API, the Dask
cluster, model loading, shutdown) and the workers' (model, rows, staged reads and writes),
summed over workers. The model's time is split into NER, gazetteer and cleanup, and quotes
with shares measured in this process on a sample of the bodies.

Quick run: `--docs 2000 --only-backfill`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from corpus import GENERATOR_VERSION, build_corpus  # noqa: E402
from synthetic_archive import generate as generate_synthetic  # noqa: E402
from synthetic_archive import measure as measure_repeats  # noqa: E402

from transforms import storage  # noqa: E402

WORK = HERE / ".work"
BIN = Path(sys.executable).parent
TARGET_BACKFILL_RATIO = 1.25
TARGET_TREE_RSS_GIB = 1.5
SYNTHETIC_SEED = 1987
SYNTHETIC_FILES = 22
TARGET_NOOP_RATIO = 1.3
TARGET_QUERY_SECONDS = 1.0
TARGET_ENTITY_COST_RATIO = 1.10
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

TOP_ENTITIES_PER_DAY = """
SELECT published_date, label, canonical, mentions FROM (
    SELECT published_date, label, canonical, count(*) AS mentions,
           row_number() OVER (PARTITION BY published_date ORDER BY count(*) DESC, canonical) AS rank
    FROM mentions_latest
    GROUP BY published_date, label, canonical
)
WHERE rank <= 10
ORDER BY published_date, rank
"""

EMPTY_FLOW = """
from prefect import flow

@flow
def empty():
    return None

if __name__ == "__main__":
    empty()
"""


# --- measuring processes ----------------------------------------------------------------------


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def tree_rss_by_process(root: int) -> dict[int, int]:
    """Resident memory of a process and of each of its descendants, from /proc."""
    children = _children_of()
    found, stack = {}, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                found[pid] = int(handle.read().split()[1]) * PAGE_SIZE
        except OSError:
            continue
    return found


def describe_peaks(root: int) -> str:
    """`flow 612 MB, Prefect API 217 MB, ...`: each process's own peak (not at one moment)."""
    def role(pid: int, command: str) -> str:
        if pid == root:
            return "flow"
        if "uvicorn" in command and "prefect" in command:
            return "Prefect API"
        if "resource_tracker" in command:
            return "resource tracker"
        return "worker"
    parts = [f"{role(pid, command)} {rss / 2**20:.0f} MB, {LAST_CPU.get(pid, 0.0):.1f} CPU s"
             for pid, (rss, command) in sorted(LAST_PEAKS.items())]
    return "; ".join(parts)


def cpu_seconds_of(pid: int) -> float | None:
    """User and system CPU seconds a live process has used so far (its own, from /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command's ")": state is field 0, utime and stime are fields 11 and 12.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """User and system CPU seconds of this process's children that have exited (and of theirs,
    once reaped): taken before and after a run, the CPU its whole process tree used."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Peak RSS per process of the last sampled run: {pid: (peak bytes, command line)}; its root.
LAST_PEAKS: dict[int, tuple[int, str]] = {}
# CPU seconds per process of the last sampled run, as last seen alive (so up to one sample short).
LAST_CPU: dict[int, float] = {}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LAST_ROOT = [0]


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def timed_subprocess(command: list[str], env: dict[str, str], sample_rss: bool = False,
                     log: Path | None = None) -> tuple[float, int]:
    """Wall seconds from start to exit, and the peak RSS of the process tree when sampled (the
    peak of each process is kept in LAST_PEAKS)."""
    peak = 0
    done = threading.Event()
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    LAST_PEAKS.clear()
    LAST_CPU.clear()
    LAST_ROOT[0] = process.pid

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            per_process = tree_rss_by_process(process.pid)
            peak = max(peak, sum(per_process.values()))
            for pid, rss in per_process.items():
                if rss > LAST_PEAKS.get(pid, (0, ""))[0]:
                    LAST_PEAKS[pid] = (rss, _command_line(pid))
                cpu = cpu_seconds_of(pid)
                if cpu is not None:
                    LAST_CPU[pid] = cpu
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_rss:
        sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - started
    done.set()
    if sample_rss:
        sampler.join()
    if log:
        output.close()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}" + (f"; see {log}" if log else ""))
    return elapsed, peak


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.update(
        PREFECT_HOME=str(WORK / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    return env


# --- (a) the bare model -----------------------------------------------------------------------


def corpus_bodies(corpus: Path) -> list[str]:
    """The bodies the backfill will tag: every dated dispatch, one per version, via read_path."""
    from seeds import default_seeds_dir
    from transforms.identity import version_id
    from transforms.landing import landing_files
    from transforms.readers import read_path
    from transforms.records import ParsedDispatch
    from transforms.reference import load_reference

    reference = load_reference(default_seeds_dir())
    seen: set[str] = set()
    bodies = []
    for path in landing_files(corpus):
        for item in read_path(path.resolve(), reference=reference):
            if isinstance(item, ParsedDispatch) and item.published_at is not None:
                version = version_id(item)
                if version not in seen:
                    seen.add(version)
                    bodies.append(item.body)
    return bodies


def bare_model_seconds(bodies: list[str]) -> tuple[float, float]:
    """Wall seconds of the bare model over `bodies`, and the CPU seconds it used (this process
    and its two model processes)."""
    from transforms.entities import load_baseline_tagger

    nlp = load_baseline_tagger()
    cpu_before = time.process_time() + children_cpu_seconds()
    started = time.perf_counter()
    entities = 0
    for doc in nlp.pipe(bodies, batch_size=64, n_process=2):
        entities += len(doc.ents)
    return time.perf_counter() - started, time.process_time() + children_cpu_seconds() - cpu_before


@dataclass(frozen=True)
class TaggingCost:
    """Seconds for the bare model and the configured pipeline over the same bodies, wall clock
    and this process's CPU time, summed over interleaved chunks (see `tagging_cost`)."""

    bare_wall: float
    configured_wall: float
    bare_cpu: float
    configured_cpu: float
    chunk_ratios: tuple[float, ...]  # configured / bare CPU seconds of each chunk and round


def tagging_cost(bodies: list[str], repeats: int = 3, chunk: int = 50) -> TaggingCost:
    """The bare model's `nlp.pipe` and `tag_bodies` with the configured pipeline (gazetteer,
    cleanup, canonical names, quotes, memory zone), one process, on the same bodies.

    On a shared machine the load changes from one minute to the next, so the two are not timed
    one after the other over the whole set: every chunk of `chunk` bodies is tagged by both back
    to back (which goes first alternates), `repeats` rounds. Both are timed in wall clock and in
    this process's CPU time (`time.process_time`), which the other processes on the machine
    disturb far less."""
    from transforms.entities import load_baseline_tagger, load_tagger, tag_bodies

    bare, configured = load_baseline_tagger(), load_tagger()

    def bare_pass(texts: list[str]) -> None:
        for _ in bare.pipe(texts, batch_size=64):
            pass

    def configured_pass(texts: list[str]) -> None:
        for _ in tag_bodies(configured, texts, batch_size=64):
            pass

    def timed(run, texts: list[str]) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        run(texts)
        return time.perf_counter() - wall, time.process_time() - cpu

    bare_pass(bodies[:chunk])  # warm both up: first calls pay for lazy initialisation
    configured_pass(bodies[:chunk])
    totals = {"bare": [0.0, 0.0], "configured": [0.0, 0.0]}
    ratios = []
    chunks = [bodies[i : i + chunk] for i in range(0, len(bodies), chunk)]
    for round_ in range(repeats):
        for index, texts in enumerate(chunks):
            order = [("bare", bare_pass), ("configured", configured_pass)]
            if (round_ + index) % 2:
                order.reverse()
            cpu_of = {}
            for name, run in order:
                wall, cpu = timed(run, texts)
                totals[name][0] += wall
                totals[name][1] += cpu
                cpu_of[name] = cpu
            if cpu_of["bare"] > 0:
                ratios.append(cpu_of["configured"] / cpu_of["bare"])
    return TaggingCost(
        totals["bare"][0] / repeats, totals["configured"][0] / repeats,
        totals["bare"][1] / repeats, totals["configured"][1] / repeats, tuple(ratios),
    )


# --- (b) the backfill -------------------------------------------------------------------------


def files_per_partition(warehouse: str | Path) -> dict[str, tuple[int, float]]:
    """Per partitioned table: the most files in one partition (of the committed snapshot), and
    the mean."""
    result = {}
    for table in ("dispatches", "mentions", "quotes"):
        counts = Counter(f.rsplit("/", 1)[0] for f in storage.committed_files(warehouse, table))
        if counts:
            result[table] = (max(counts.values()), statistics.mean(counts.values()))
    return result


def synthetic_corpus(docs: int) -> Path:
    """The synthetic SGML archive of `docs` records, generated once (deterministic)."""
    folder = HERE / ".corpus" / f"synthetic-{docs}-seed{SYNTHETIC_SEED}"
    stamp = folder / ".complete"
    if not stamp.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate_synthetic(folder, docs, SYNTHETIC_FILES, SYNTHETIC_SEED)
        stamp.write_text("done\n", encoding="utf-8")
    return folder


FLOW_STAGES = ("parse and stage", "start workers", "submit", "waiting for workers",
               "write and commit", "stop workers", "compaction")


def parse_stages(line: str) -> dict[str, float]:
    """`time by stage: parse and stage 1.2 s, workers: model 3.4 s` as {name: seconds}."""
    stages_seconds = {}
    for part in line.removeprefix("time by stage: ").split(", "):
        name, seconds, _unit = part.rsplit(" ", 2)
        stages_seconds[name] = float(seconds)
    return stages_seconds


def model_split(sample: list[str]) -> dict[str, float]:
    """Shares of the configured tagging's time, measured on `sample` in this process: the
    bare NER, what the gazetteer and cleanup add, and quote finding."""
    from transforms.entities import load_baseline_tagger, load_tagger
    from transforms.entities.quotes import find_quotes
    from transforms.entities.tagging import mentions_of

    bare, configured = load_baseline_tagger(), load_tagger()
    for _ in bare.pipe(sample[:20]):
        pass
    for _ in configured.pipe(sample[:20]):
        pass
    # CPU time of this one process: other load on the machine swamps a wall-time split.
    started = time.process_time()
    for _ in bare.pipe(sample, batch_size=64):
        pass
    ner = time.process_time() - started
    started = time.process_time()
    found = [mentions_of(doc) for doc in configured.pipe(sample, batch_size=64)]
    pipeline = time.process_time() - started
    started = time.process_time()
    for body, mentions in zip(sample, found, strict=True):
        find_quotes(body, mentions)
    quotes = time.process_time() - started
    total = pipeline + quotes
    return {"NER": min(ner, pipeline) / total, "gazetteer and cleanup": max(pipeline - ner, 0) / total,
            "quotes": quotes / total}


def print_breakdown(seconds: dict[str, float], wall: float, bare: float, workers: int,
                    split: dict[str, float]) -> None:
    print(f"    where the time went (seconds; share of (a) = {bare:.1f} s):")
    flow_total = sum(seconds.get(name, 0.0) for name in FLOW_STAGES)
    rows = [(f"flow: {name}", seconds.get(name, 0.0)) for name in FLOW_STAGES]
    rows.append(("flow: the rest (imports, Prefect's API and flow engine, runs row, exit)",
                 wall - flow_total))
    for name, value in rows:
        print(f"      {name:<72} {value:8.1f} s  {value / bare:6.3f}x")
    print(f"    workers, summed over {workers} (divide by {workers} for wall time):")
    for name, value in sorted(seconds.items()):
        if not name.startswith("workers: "):
            continue
        print(f"      {name:<72} {value:8.1f} s  {value / workers / bare:6.3f}x")
        if name == "workers: model":
            for part, share in split.items():
                print(f"        of which {part} (share measured on 300 bodies here): "
                      f"{value * share:8.1f} s")


# --- (c) no-op nightly vs an empty flow ------------------------------------------------------


def noop_ratio(env: dict[str, str], repeats: int = 3) -> tuple[float, float]:
    landing = WORK / "noop-landing"
    warehouse = WORK / "noop-warehouse"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(warehouse, ignore_errors=True)
    subprocess.run([str(BIN / "wirehouse"), "seed-landing", str(landing)], env=env, check=True,
                   capture_output=True)
    nightly = [str(BIN / "wirehouse"), "run", "--source", str(landing), "--warehouse", str(warehouse)]
    timed_subprocess(nightly, env)  # ingests; the runs below find nothing new
    empty_flow = WORK / "empty_flow.py"
    empty_flow.write_text(EMPTY_FLOW, encoding="utf-8")
    noop = [timed_subprocess(nightly, env)[0] for _ in range(repeats)]
    empty = [timed_subprocess([sys.executable, str(empty_flow)], env)[0] for _ in range(repeats)]
    return statistics.median(noop), statistics.median(empty)


# --- (d) query over >= 1M mentions -------------------------------------------------------------


def build_mentions_warehouse(warehouse: str | Path, mentions: int, days: int = 365) -> None:
    """A compacted warehouse of synthetic dispatches and mentions, written with storage."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(7)
    per_dispatch = 25
    dispatches = mentions // per_dispatch
    day0 = date(2024, 1, 1)
    names = np.array([f"Entity {i:05d}" for i in range(20_000)])
    labels = np.array(["PERSON", "ORG", "GPE", "NORP", "GOV_BODY"])
    chunks = 8
    for chunk in range(chunks):
        ids = np.arange(chunk * dispatches // chunks, (chunk + 1) * dispatches // chunks)
        days_of = (ids * days // dispatches).astype("int64")
        version = np.char.add("v", ids.astype(str))
        published = [datetime(2024, 1, 1, 12, tzinfo=UTC) + timedelta(days=int(d)) for d in days_of]
        dates = [day0 + timedelta(days=int(d)) for d in days_of]
        dispatch_rows = pa.table({
            "dispatch_id": np.char.add("d", ids.astype(str)),
            "version_id": version,
            "agency": np.full(len(ids), "Reuters"),
            "published_at": pa.array(published, pa.timestamp("us", tz="UTC")),
            "body": np.full(len(ids), "synthetic"),
            "word_count": np.full(len(ids), 300, dtype="int32"),
            "source_uri": np.char.add("synthetic/", ids.astype(str)),
            "source_format": np.full(len(ids), "wire-text"),
            "raw_sha256": version,
            "pub_status": np.full(len(ids), "usable"),
            "ingested_at": pa.array(published, pa.timestamp("us", tz="UTC")),
            "run_id": np.full(len(ids), "bench"),
            "parser_version": np.full(len(ids), "bench"),
            "published_date": pa.array(dates, pa.date32()),
        })
        owner = np.repeat(np.arange(len(ids)), per_dispatch)
        picks = np.minimum(rng.zipf(1.3, len(owner)) - 1, len(names) - 1)
        starts = np.tile(np.arange(per_dispatch, dtype="int32") * 10, len(ids))
        mention_rows = pa.table({
            "dispatch_id": np.char.add("d", ids[owner].astype(str)),
            "version_id": version[owner],
            "mention_id": np.char.add(version[owner], np.char.add("-", starts.astype(str))),
            "text": names[picks],
            "label": labels[picks % len(labels)],
            "start_char": starts,
            "end_char": starts + 5,
            "sentence_index": np.zeros(len(owner), dtype="int32"),
            "canonical": names[picks],
            "model": np.full(len(owner), "bench"),
            "pipeline_hash": np.full(len(owner), "bench"),
            "run_id": np.full(len(owner), "bench"),
            "published_date": pa.array([dates[i] for i in owner], pa.date32()),
        })
        storage.commit_rows(warehouse, {"dispatches": dispatch_rows, "mentions": mention_rows},
                            f"bench-{chunk:02d}")
    storage.compact(warehouse, "bench-compact", retention_hours=0)


def query_seconds(warehouse: str | Path, repeats: int = 5) -> tuple[float, float, int]:
    """First and median time of the query through `run_query`, and its row count."""
    from transforms.query import run_query

    times, rows = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        rows = len(run_query(warehouse, TOP_ENTITIES_PER_DAY).rows)
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times), rows


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=21_578, help="dispatches in the corpus")
    parser.add_argument("--corpus", choices=["synthetic", "mixed"], default="synthetic",
                        help="the synthetic SGML archive, or the multi-agency corpus")
    parser.add_argument("--only-backfill", action="store_true",
                        help="run only (a) and (b), e.g. `--docs 2000 --only-backfill`")
    parser.add_argument("--mentions", type=int, default=1_000_000, help="mentions for the query")
    parser.add_argument("--workers", type=int, default=2, help="backfill worker processes")
    parser.add_argument("--skip-s3", action="store_true", help="leave out (f), the S3 cost")
    parser.add_argument("--cost-docs", type=int, default=1000,
                        help="bodies for the entity pipeline's cost against the bare model")
    parser.add_argument("--only-cost", action="store_true",
                        help="run only (e), e.g. `--docs 1000 --only-cost` to compare two commits")
    parser.add_argument("--no-bracket", action="store_true",
                        help="run (a) once, before (b), instead of before and after it")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    env = bench_env()

    if args.corpus == "synthetic":
        corpus = synthetic_corpus(args.docs)
    else:
        corpus = build_corpus(HERE / ".corpus" / f"docs-{args.docs}-v{GENERATOR_VERSION}", args.docs)
    size = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    bodies = corpus_bodies(corpus)
    tokens_hint = sum(len(b.split()) for b in bodies)
    print(f"corpus: {corpus} ({size / 1e6:.1f} MB), {len(bodies)} dispatches, {tokens_hint} words")
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.corpus == "synthetic":
        print(measure_repeats(bodies).report())
    if args.only_cost:
        entity_cost(bodies, args.cost_docs)
        return

    a_seconds, a_cpu = bare_model_seconds(bodies)
    print(f"(a) bare model, NER only, n_process=2: {a_seconds:.1f} s, "
          f"{len(bodies) / a_seconds:.0f} docs/s, {a_cpu:.1f} CPU s")

    warehouse = WORK / "backfill-warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    command = [str(BIN / "wirehouse"), "backfill", str(corpus), "--warehouse", str(warehouse),
               "--workers", str(args.workers)]
    cpu_before = children_cpu_seconds()
    b_seconds, peak = timed_subprocess(command, env, sample_rss=True, log=WORK / "backfill.log")
    b_cpu = children_cpu_seconds() - cpu_before
    print(f"(b) wirehouse backfill, process start to exit: {b_seconds:.1f} s, "
          f"{len(bodies) / b_seconds:.0f} docs/s, {b_cpu:.1f} CPU s")
    log_lines = (WORK / "backfill.log").read_text(encoding="utf-8").strip().splitlines()
    summary = [line for line in log_lines if "mentions written" in line]
    print(summary[-1] if summary else log_lines[-1])
    if not args.no_bracket:
        # This machine's speed drifts (the same (a) took 129 s and 165 s within the hour): (a)
        # again after (b), and (b) against the mean of the two, which brackets (b) in time.
        a_after, a_cpu_after = bare_model_seconds(bodies)
        print(f"(a) again, after (b): {a_after:.1f} s, {a_cpu_after:.1f} CPU s; against each: "
              f"b/a {b_seconds / a_seconds:.3f} and {b_seconds / a_after:.3f}, CPU seconds "
              f"{b_cpu / a_cpu:.3f} and {b_cpu / a_cpu_after:.3f}")
        a_seconds, a_cpu = (a_seconds + a_after) / 2, (a_cpu + a_cpu_after) / 2
    ratio = b_seconds / a_seconds
    against = "the mean of the two (a) runs" if not args.no_bracket else "(a)"
    print(f"    ratio b/a = {ratio:.3f} against {against} (target <= {TARGET_BACKFILL_RATIO})")
    # CPU seconds are far less disturbed by other load on the machine than wall time.
    print(f"    CPU seconds b/a = {b_cpu / a_cpu:.3f} (whole process trees)")
    print(f"    peak RSS of the backfill's process tree (sampled every 0.2 s, summed over its "
          f"processes): {peak / 2**30:.2f} GiB (target < {TARGET_TREE_RSS_GIB} GiB)")
    print(f"    each process's own peak RSS and CPU seconds: {describe_peaks(LAST_ROOT[0])}")
    for table, (most, mean) in files_per_partition(warehouse).items():
        print(f"    {table}: at most {most} files per partition (mean {mean:.2f}; target <= 4)")
    stage_line = [line for line in log_lines if line.startswith("time by stage: ")]
    if stage_line:
        print_breakdown(parse_stages(stage_line[-1]), b_seconds, a_seconds, args.workers,
                        model_split(bodies[:300]))
    print(*[f"    {line}" for line in log_lines if line.startswith("flow process CPU by stage: ")],
          sep="\n")
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.only_backfill:
        return

    noop, empty = noop_ratio(env)
    print(f"(c) no-op nightly run {noop:.1f} s vs empty Prefect flow {empty:.1f} s (medians of 3): "
          f"ratio {noop / empty:.2f} (target <= {TARGET_NOOP_RATIO})")

    query_warehouse = WORK / "query-warehouse"
    shutil.rmtree(query_warehouse, ignore_errors=True)
    build_mentions_warehouse(query_warehouse, args.mentions)
    first, median, rows = query_seconds(query_warehouse)
    print(f"(d) top entities per day over {args.mentions:,} mentions: first {first:.2f} s, "
          f"median {median:.2f} s, {rows} rows (target < {TARGET_QUERY_SECONDS:.0f} s)")

    entity_cost(bodies, args.cost_docs)

    if not args.skip_s3:
        s3_cost(corpus, env, args.workers, b_seconds, args.mentions, median)


def entity_cost(bodies: list[str], docs: int) -> None:
    sample = bodies[:docs]
    load_before = os.getloadavg()[0]
    cost = tagging_cost(sample)
    load_after = os.getloadavg()[0]
    print(f"(e) entity pipeline cost over {len(sample)} bodies, one process, chunks of 50 "
          f"interleaved, mean of 3 rounds (load average {load_before:.1f} -> {load_after:.1f}):")
    print(f"    CPU time: bare model {cost.bare_cpu:.1f} s, configured tag_bodies "
          f"{cost.configured_cpu:.1f} s: ratio {cost.configured_cpu / cost.bare_cpu:.3f} "
          f"(median over chunks {statistics.median(cost.chunk_ratios):.3f}; "
          f"target <= {TARGET_ENTITY_COST_RATIO})")
    print(f"    wall clock: bare model {cost.bare_wall:.1f} s, configured tag_bodies "
          f"{cost.configured_wall:.1f} s: ratio {cost.configured_wall / cost.bare_wall:.3f}")


# --- (f) S3 over local ------------------------------------------------------------------------


def s3_cost(corpus: Path, env: dict[str, str], workers: int, local_backfill: float,
            mentions: int, local_query: float) -> None:
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    aws = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true",
           "AWS_EC2_METADATA_DISABLED": "true"}
    os.environ.update(aws)
    try:
        boto3.client("s3", endpoint_url=aws["AWS_ENDPOINT_URL"], region_name="us-east-1").create_bucket(
            Bucket="bench")
        command = [str(BIN / "wirehouse"), "backfill", str(corpus), "--warehouse", "s3://bench/wh",
                   "--workers", str(workers)]
        seconds, _peak = timed_subprocess(command, env | aws, log=WORK / "backfill-s3.log")
        print(f"(f) the same backfill into s3:// (moto, 127.0.0.1): {seconds:.1f} s against "
              f"{local_backfill:.1f} s local: ratio {seconds / local_backfill:.3f}")
        build_mentions_warehouse("s3://bench/query", mentions)
        first, median, _rows = query_seconds("s3://bench/query")
        print(f"    the (d) query on s3://: first {first:.2f} s, median {median:.2f} s against "
              f"{local_query:.2f} s local: ratio {median / local_query:.2f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""Report benchmark, one command: `.venv/bin/python benchmarks/report.py [--dispatches 20000]`.

Builds (untimed, without the model) a synthetic warehouse of invented dispatches from a dozen
agencies over a year, with PERSON/ORG/GPE/... mentions drawn from a Zipf law so that a few names
dominate and co-occur, plus runs and quarantine rows, and commits it with the project's own
commit. Then measures, in the same run:

(a) baseline: `wirehouse sql "SELECT count(*) FROM dispatches_latest"`, process start to exit;
(b) `wirehouse report`, process start to exit, and the size of the HTML it writes;
(c) in one process: gathering the data (the queries) and rendering the page, separately;
(d) Debian's Chromium (Playwright): file:// load until the page's data-ready marker, and that
    it made no outside request and logged no error.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

WORK = HERE / ".work"
BIN = Path(sys.executable).parent
TARGET_BYTES = 1_000_000
TARGET_READY_SECONDS = 1.0
AGENCIES = ["Reuters", "Associated Press", "Agence France-Presse", "Kyodo News", "Jiji Press", "Xinhua",
            "Yonhap", "dpa", "Bloomberg", "ANSA", "Australian Associated Press", "EFE"]
LABELS = ["PERSON", "ORG", "GPE", "GOV_BODY", "NORP", "MILITARY"]


def synthetic_tables(dispatches: int, days: int, mentions_per_dispatch: int, seed: int = 11) -> dict:
    """Rows for every table the report reads, typed by the project's schemas."""
    import numpy as np
    import pyarrow as pa

    from schemas.tables import TABLES

    rng = np.random.default_rng(seed)
    ids = np.arange(dispatches)
    day_of = np.sort(rng.integers(0, days, dispatches))
    agency_of = np.minimum(rng.zipf(1.6, dispatches) - 1, len(AGENCIES) - 1)
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    published = [start + timedelta(days=int(d), minutes=int(i % 600))
                 for i, d in zip(ids, day_of, strict=True)]
    dates = [date(2025, 1, 1) + timedelta(days=int(d)) for d in day_of]
    version = np.char.add("v", ids.astype(str))

    def table(name: str, columns: dict[str, object], rows: int) -> pa.Table:
        schema = TABLES[name].schema
        arrays = [pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(rows, f.type)
                  for f in schema]
        return pa.Table.from_arrays(arrays, schema=schema)

    dispatch_rows = table("dispatches", {
        "dispatch_id": np.char.add("d", ids.astype(str)).tolist(),
        "version_id": version.tolist(),
        "agency": [AGENCIES[a] for a in agency_of],
        "published_at": published,
        "headline": [f"Synthetic headline {i} <b>&</b>" for i in ids],
        "body": ["synthetic"] * dispatches,
        "word_count": [300] * dispatches,
        "source_uri": np.char.add("synthetic/", ids.astype(str)).tolist(),
        "source_format": ["wire-text"] * dispatches,
        "raw_sha256": version.tolist(),
        "pub_status": ["usable"] * dispatches,
        "ingested_at": published,
        "run_id": ["bench"] * dispatches,
        "parser_version": ["bench"] * dispatches,
        "published_date": dates,
    }, dispatches)

    names = [f"{label.title()} Name {i:04d}" for label in LABELS for i in range(2000)]
    total = dispatches * mentions_per_dispatch
    owner = np.repeat(ids, mentions_per_dispatch)
    pick = np.minimum(rng.zipf(1.4, total) - 1, 1999)
    label_of = rng.integers(0, len(LABELS), total)
    chosen = [names[int(lbl) * 2000 + int(p)] for lbl, p in zip(label_of, pick, strict=True)]
    starts = np.tile(np.arange(mentions_per_dispatch, dtype="int32") * 20, dispatches)
    mention_rows = table("mentions", {
        "dispatch_id": np.char.add("d", owner.astype(str)).tolist(),
        "version_id": version[owner].tolist(),
        "mention_id": np.char.add(version[owner], np.char.add("-", starts.astype(str))).tolist(),
        "text": chosen,
        "label": [LABELS[int(lbl)] for lbl in label_of],
        "start_char": starts,
        "end_char": starts + 10,
        "sentence_index": np.zeros(total, dtype="int32"),
        "canonical": chosen,
        "model": ["bench"] * total,
        "pipeline_hash": ["bench"] * total,
        "run_id": ["bench"] * total,
        "published_date": [dates[i] for i in owner],
    }, total)

    runs = 12
    run_rows = table("runs", {
        "run_id": [f"nightly-bench-{i:02d}" for i in range(runs)],
        "flow": ["nightly"] * runs,
        "started_at": [start + timedelta(days=30 * i) for i in range(runs)],
        "finished_at": [start + timedelta(days=30 * i, seconds=40 + i) for i in range(runs)],
        "files_seen": [1000 + i for i in range(runs)], "files_ingested": [1000] * runs,
        "dispatches_written": [dispatches // runs] * runs,
        "mentions_written": [total // runs] * runs, "quarantined": [i % 3 for i in range(runs)],
        "status": ["completed"] * runs,
    }, runs)
    reasons = ["binary_file", "empty_file", "malformed_json", "no_dateline", "unsafe_xml"]
    refused = 60
    quarantine_rows = table("quarantine", {
        "source_uri": [f"landing/bad-{i:03d}.txt" for i in range(refused)],
        "reason": [reasons[i % len(reasons)] for i in range(refused)],
        "detail": [f"refused <{reasons[i % len(reasons)]}> #{i}" for i in range(refused)],
        "run_id": [f"nightly-bench-{i % runs:02d}" for i in range(refused)],
        "detected_at": [start] * refused,
    }, refused)
    return {"dispatches": dispatch_rows, "mentions": mention_rows, "runs": run_rows,
            "quarantine": quarantine_rows}


def build_report_warehouse(warehouse: Path, dispatches: int, days: int, mentions_per_dispatch: int) -> int:
    from transforms import stages

    tables = synthetic_tables(dispatches, days, mentions_per_dispatch)
    stages.commit_batches([], warehouse, "bench-report", extra=tables)
    return tables["mentions"].num_rows


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dispatches", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--mentions-per-dispatch", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    warehouse = WORK / "report-warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    warehouse.mkdir(parents=True)
    mentions = build_report_warehouse(warehouse, args.dispatches, args.days, args.mentions_per_dispatch)
    print(f"synthetic warehouse: {args.dispatches:,} dispatches, {mentions:,} mentions, "
          f"{len(AGENCIES)} agencies, {args.days} days")

    wirehouse = str(BIN / "wirehouse")
    report = WORK / "report.html"
    sql = [timed([wirehouse, "sql", "--warehouse", str(warehouse), "SELECT count(*) FROM dispatches_latest"])
           for _ in range(args.repeats)]
    cli = [timed([wirehouse, "report", "--warehouse", str(warehouse), "--out", str(report)])
           for _ in range(args.repeats)]
    size = report.stat().st_size
    print(f"(a) wirehouse sql, count(*): {statistics.median(sql):.2f} s (median of {args.repeats})")
    print(f"(b) wirehouse report: {statistics.median(cli):.2f} s (median of {args.repeats}), "
          f"ratio to (a) {statistics.median(cli) / statistics.median(sql):.2f}; "
          f"{size / 1000:.0f} KB (target < {TARGET_BYTES / 1e6:.0f} MB)")

    from transforms.report import gather_report_data, render_report

    started = time.perf_counter()
    data = gather_report_data(warehouse)
    gathered = time.perf_counter() - started
    page = render_report(data)
    rendered = time.perf_counter() - started - gathered
    same = page.encode("utf-8") == report.read_bytes()
    print(f"(c) in process: queries {gathered:.2f} s, rendering {rendered:.2f} s; "
          f"byte-identical to the CLI's file: {same}")

    from tests.browser import open_report, watched_page

    ready = []
    with watched_page() as (browser_page, watch):
        for _ in range(args.repeats):
            ready.append(open_report(browser_page, report))
            marks = browser_page.locator("rect.bar, g.node, line.edge, svg.spark").count()
    clean = not (watch.blocked_requests or watch.console_errors or watch.page_errors)
    print(f"(d) Chromium, file:// load to data-ready: {statistics.median(ready):.2f} s "
          f"(median of {args.repeats}; first {ready[0]:.2f} s; target < {TARGET_READY_SECONDS:.0f} s), "
          f"{marks:,} chart marks, no outside request or error: {clean}")


if __name__ == "__main__":
    main()

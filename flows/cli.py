"""The `wirehouse` command line: a thin layer over the flows and transforms.

Every command has help text with at least one example (tests/test_cli.py enforces it).
Prefect is imported only inside the commands that run flows, after its defaults are set.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.prefect_server import start_temporary_prefect_server
from flows.settings import Settings, apply_prefect_defaults
from transforms.languages import DEFAULT_PIPELINE


class _Commands(typer.Typer):
    """A Typer app whose every command ends the same way on a warehouse error: the error's one
    line on stderr and exit code 1 (`_failing_on_warehouse_errors`), not a traceback."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(*args, **kwargs)

        def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
            register(_failing_on_warehouse_errors(function))
            return function

        return decorator


def _failing_on_warehouse_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def command(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            # Commands import storage lazily (a light command never does): a WarehouseError can
            # only have been raised if its module is loaded, so look for it there.
            location = sys.modules.get("transforms.storage.location")
            if location is not None and isinstance(exc, location.WarehouseError):
                _fail(str(exc))
            raise

    return command


app = _Commands(
    name="wirehouse",
    help="Turn raw news-wire dispatches into a DuckDB-queryable Parquet warehouse.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

# Options that several commands take, declared once.
WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", "-w",
        help="Warehouse folder or s3://bucket/prefix [default: $WIREHOUSE_DIR or ./warehouse]",
    ),
]
SourceOption = Annotated[Path, typer.Option("--source", "-s", help="Landing folder to ingest")]
PipelineOption = Annotated[
    str | None,
    typer.Option(
        help="Installed spaCy pipeline to tag English with "
        f"[default: $WIREHOUSE_PIPELINE or {DEFAULT_PIPELINE}]",
    ),
]
WaitOption = Annotated[bool, typer.Option(help="Wait for another run to finish instead of refusing")]
DateFromOption = Annotated[
    datetime | None,
    typer.Option("--from", formats=["%Y-%m-%d"], help="First publication date (inclusive), YYYY-MM-DD"),
]
DateToOption = Annotated[
    datetime | None,
    typer.Option("--to", formats=["%Y-%m-%d"], help="Last publication date (inclusive), YYYY-MM-DD"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of text")]

FollowLinksOption = Annotated[
    bool,
    typer.Option(
        "--follow-links",
        help="Read symlinked files whose target is outside the folder (else: quarantined "
        "as outside_landing)",
    ),
]


def _archive_folder(archive_to: Path | None, source: Path) -> str | None:
    """The archive folder, refused when it lies inside the landing folder (the next run would
    walk it)."""
    if archive_to is None:
        return None
    target, landing = archive_to.resolve(), source.resolve()
    if source.is_dir() and target.is_relative_to(landing):
        _fail(f"--archive-to {archive_to} must be outside the landing folder {source}", 2)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"cannot create --archive-to {archive_to}: {exc.strerror}")
    if not os.access(target, os.W_OK | os.X_OK):
        _fail(f"--archive-to {archive_to} is not writable")
    return str(target)


class _StoppedBySignal(BaseException):
    """SIGTERM arrived (a BaseException, so no `except Exception` on the way up swallows it)."""


# 128 + SIGTERM, what a shell reports for a process that SIGTERM ended.
SIGTERM_EXIT_CODE = 143


def _stop_on_sigterm() -> None:
    """Make SIGTERM end the command through Python's normal shutdown.

    Prefect turns a SIGTERM during a flow into a crash of the flow run (the flows commit nothing
    more, see `flows.common.stop_status`) and then sends the signal again to the handler it found
    installed. With the default handler the process died there, skipping the shutdown that stops
    Prefect's temporary API server, which stayed behind, orphaned; with this one the command
    ends with one line and exit code 143 (`_stopped`), and the server is stopped."""
    def stop(_signum: int, _frame: object) -> None:
        raise _StoppedBySignal()

    signal.signal(signal.SIGTERM, stop)


def _stopped(command: str) -> None:
    _fail(f"{command} stopped by SIGTERM: batches committed before it stay, nothing else was "
          "committed; the next run reads the rest", SIGTERM_EXIT_CODE)


def _settings(warehouse: Path | None = None, **overrides: object) -> Settings:
    return Settings.from_env().with_overrides(warehouse=warehouse, **overrides)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _warehouse_uri(settings: Settings) -> str:
    """The warehouse as flows take it: an absolute folder, or s3://bucket/prefix. An address
    that names no usable warehouse is a usage error (exit 2), unlike errors met while working."""
    from transforms.storage import WarehouseError, location

    try:
        return location(settings.warehouse).uri
    except WarehouseError as exc:
        _fail(str(exc), 2)
        raise


def _existing_warehouse_uri(settings: Settings) -> str:
    """`_warehouse_uri` of a warehouse that must already exist: a path with no commit log (a
    typo, an empty folder, `/etc`) is refused with one line and exit 1, never read as empty."""
    from transforms.storage import require_warehouse

    uri = _warehouse_uri(settings)
    require_warehouse(uri)
    return uri


def _refuse_if_busy(warehouse: Path, command: str, wait: bool) -> None:
    """Say at once, before Prefect starts, what the flow's `exclusive_writer` would refuse."""
    from transforms.storage import refuse_if_busy

    refuse_if_busy(warehouse, command, wait)


def _date_window(date_from: datetime | None, date_to: datetime | None) -> tuple[date | None, date | None]:
    if date_from and date_to and date_from > date_to:
        _fail("--from must not be after --to", 2)
    return (date_from.date() if date_from else None, date_to.date() if date_to else None)


@app.command()
def run(
    source: SourceOption,
    warehouse: WarehouseOption = None,
    pipeline: PipelineOption = None,
    wait: WaitOption = False,
    settle: Annotated[
        float | None,
        typer.Option(
            min=0, metavar="SECONDS",
            help="Leave files modified in the last SECONDS for the next run; 0 reads them "
            "[default: $WIREHOUSE_SETTLE_SECONDS or 60]",
        ),
    ] = None,
    follow_links: FollowLinksOption = False,
    archive_to: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Move each ingested file here (same relative path) once its commit is done; "
            "files that gave no dispatch stay",
        ),
    ] = None,
) -> None:
    """Run the nightly flow: ingest every new file under SOURCE, parse, tag, commit.

    Files already ingested (same content hash) are skipped, so running twice writes nothing
    the second time. Bad files go to the quarantine table; the run still exits 0. Files still
    arriving (partial-upload names such as *.part, or modified in the last --settle seconds)
    are left for the next run; symlinks out of SOURCE are quarantined unless --follow-links.
    About every 100 commits the run ends with a compaction, as `wirehouse compact` does, so a
    nightly schedule alone keeps commits and queries as fast as on the first night.

    Examples:

        wirehouse run --source landing/ --warehouse warehouse/

        wirehouse run --source landing/ --settle 300 --archive-to done/
    """
    settings = _settings(warehouse, pipeline=pipeline, settle_seconds=settle)
    if not source.exists():
        _fail(f"source {source} does not exist")
    archive_folder = _archive_folder(archive_to, source)
    _refuse_if_busy(settings.warehouse, f"wirehouse run {source}", wait)
    _stop_on_sigterm()
    apply_prefect_defaults()
    try:
        from flows.nightly import nightly

        summary = nightly(
            source=str(source),
            warehouse=_warehouse_uri(settings),
            pipeline=settings.pipelines,
            seeds_dir=str(settings.seeds),
            batch_files=settings.batch_files,
            wait=wait,
            settle_seconds=settings.settle_seconds,
            follow_links=follow_links,
            archive_to=archive_folder,
        )
    except _StoppedBySignal:
        _stopped("wirehouse run")
        raise
    typer.echo(summary.describe())


# The table format holds every row in memory to lay it out: this many unless --max-rows says.
TABLE_MAX_ROWS = 10_000


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the warehouse views")],
    warehouse: WarehouseOption = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, csv or json (one array of objects)")
    ] = "table",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Read an older commit: a marker number or an ISO timestamp"),
    ] = None,
    allow_read: Annotated[
        list[Path] | None,
        typer.Option("--allow-read", metavar="DIR",
                     help="A folder whose files the query may read (repeatable) "
                     "[default: $WIREHOUSE_ALLOW_READ, os.pathsep-separated, else none]"),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=0, metavar="SECONDS", help="Stop the query after SECONDS; 0: no limit")
    ] = 300,
    max_rows: Annotated[
        int | None,
        typer.Option(min=1, help="Most rows to show; the table format shows 10000 unless told, "
                     "csv and json stream every row unless told"),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(metavar="SIZE", help="DuckDB memory limit, e.g. 2GB [default: DuckDB's, 80% of RAM]"),
    ] = None,
) -> None:
    """Run read-only SQL against the warehouse views (dispatches, mentions, entities, …).

    Only SELECT-type statements run (SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE),
    and EXPLAIN / EXPLAIN ANALYZE of one of those. Everything else is refused with one line and
    exit code 2: COPY, EXPORT, ATTACH, INSTALL, LOAD, SET, PRAGMA, CALL, PREPARE, writes, and
    table functions that are not plain readers (query(), enable_logging(), checkpoint(), …).
    Your own files can be read (read_csv, read_parquet, read_json, FROM 'file.csv') from the
    folders you allow with --allow-read DIR; nothing else, never /proc, /sys or /dev, and
    warehouse files only through the views (which read the pinned commit).
    Reads the latest commit; --as-of reads an older one (time travel). A query stops after
    --timeout seconds (300 unless told) or at Ctrl-C, within a second; the table format shows
    at most --max-rows rows (10000 unless told); csv and json stream every row as DuckDB
    computes it, in bounded memory.

    Examples:

        wirehouse sql "SELECT label, text, mentions FROM entities ORDER BY mentions DESC LIMIT 10"

        wirehouse sql "SELECT * FROM runs" --format json

        wirehouse sql --allow-read . "SELECT headline, desk FROM dispatches JOIN 'desks.csv' USING (agency)"

        wirehouse sql "SELECT count(*) FROM dispatches" --as-of 3 --warehouse s3://news/wh

        wirehouse sql "SELECT * FROM dispatches" --format csv --timeout 3600 --memory-limit 2GB
    """
    from transforms.query import (
        CsvRows,
        JsonRows,
        NoSuchView,
        QueryLimits,
        QueryRefused,
        QueryStopped,
        ReadNotFound,
        read_only_query,
        run_query,
    )
    from transforms.storage import WarehouseError

    settings = _settings(warehouse)
    allowed = [*settings.allow_read, *(str(folder) for folder in allow_read or ())]
    if output_format not in ("table", "csv", "json"):
        _fail("--format must be table, csv or json", 2)
    try:
        limits = QueryLimits(
            timeout=timeout or None, memory_limit=memory_limit,
            max_rows=max_rows or (TABLE_MAX_ROWS if output_format == "table" else None))
        read_only_query(query)  # a refused statement is refused whatever the warehouse holds
        # csv and json go out chunk by chunk as DuckDB computes them (any size, in bounded memory).
        writer = {"csv": CsvRows, "json": JsonRows}.get(output_format)
        result = run_query(_existing_warehouse_uri(settings), query, as_of=as_of, allow_read=allowed,
                           limits=limits, writer=writer(sys.stdout) if writer else None)
        if writer:
            sys.stdout.write("\n" if output_format == "json" else "")
            sys.stdout.flush()
    except BrokenPipeError:
        _reader_left()
    except QueryRefused as exc:
        _fail(str(exc), 2)
    except (ReadNotFound, QueryStopped, NoSuchView) as exc:
        _fail(str(exc))
    except WarehouseError:
        raise  # the one path every command's warehouse errors take, not "query failed"
    except Exception as exc:  # noqa: BLE001 - DuckDB errors are the user's to read
        _fail(f"query failed: {' '.join(str(exc).split()) or type(exc).__name__}")
    if output_format == "table":
        _print_table(result)
    if result.truncated and output_format == "table":
        typer.echo(f"Only the first {limits.max_rows} rows are shown: raise --max-rows, "
                   "or use --format csv or json for every row.", err=True)
    elif result.truncated:
        typer.echo(f"Only the first {limits.max_rows} rows were written (--max-rows); leave it "
                   "out for every row.", err=True)


def _reader_left() -> None:
    """The reader of our output closed it (`wirehouse sql … | head`): stop quietly, as other
    Unix tools do, with stdout pointed at /dev/null so that Python's last flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(0)


@app.command()
def check(warehouse: WarehouseOption = None) -> None:
    """Check every table's data contract (unique keys, not-null columns, accepted values).

    Exits 1 and lists the failing checks when any contract is broken.

    Example:

        wirehouse check --warehouse warehouse/
    """
    from transforms.contracts import check_contracts

    violations = check_contracts(_existing_warehouse_uri(_settings(warehouse)))
    for v in violations:
        typer.echo(f"FAIL {v.table}.{v.columns}: {v.check} ({v.failing_rows} rows)")
    if violations:
        raise typer.Exit(1)
    typer.echo("All contracts hold.")


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(width=200).print(table)
    typer.echo(f"({len(result.rows)} rows)")


@app.command()
def serve(
    source: SourceOption,
    warehouse: WarehouseOption = None,
    cron: Annotated[
        str | None, typer.Option(help="Cron schedule [default: $WIREHOUSE_CRON or '0 2 * * *']")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="Time zone of the schedule [default: UTC]")] = None,
    name: Annotated[str, typer.Option(help="Deployment name")] = "wirehouse-nightly",
) -> None:
    """Register the nightly deployment on a Prefect server and serve it on a cron schedule.

    Needs a running server: start `prefect server start` and set PREFECT_API_URL
    (e.g. http://127.0.0.1:4200/api). Runs until interrupted.

    Example:

        PREFECT_API_URL=http://127.0.0.1:4200/api wirehouse serve --source landing/ --cron "0 2 * * *"
    """

    settings = _settings(warehouse, cron=cron, timezone=timezone)
    if not os.environ.get("PREFECT_API_URL"):
        _fail(
            "`wirehouse serve` needs a real Prefect server: run `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    apply_prefect_defaults()
    from prefect.schedules import Cron

    from flows.nightly import nightly

    nightly.serve(
        name=name,
        schedule=Cron(settings.cron, timezone=settings.timezone),
        parameters={
            "source": str(source.resolve()),
            "warehouse": _warehouse_uri(settings),
            "pipeline": settings.pipelines,
            "seeds_dir": str(settings.seeds),
            "batch_files": settings.batch_files,
            "settle_seconds": settings.settle_seconds,
        },
        limit=1,
    )


@app.command()
def compact(
    warehouse: WarehouseOption = None,
    max_files: Annotated[int, typer.Option(help="Most files to leave in a partition")] = 4,
    wait: WaitOption = False,
) -> None:
    """Merge the warehouse's small files: at most MAX_FILES per partition, full row groups.

    Safe while analysts query: readers see the old files or the new ones, never both.

    Example:

        wirehouse compact --warehouse warehouse/
    """
    settings = _settings(warehouse)
    _existing_warehouse_uri(settings)
    _refuse_if_busy(settings.warehouse, "wirehouse compact", wait)
    apply_prefect_defaults()
    from flows.maintenance import compact as compact_flow

    report = compact_flow(warehouse=_warehouse_uri(settings), max_files=max_files, wait=wait)
    typer.echo(
        f"Compacted {report.partitions_compacted} partitions: "
        f"{report.files_before} files became {report.files_after}."
    )


@app.command()
def retag(
    warehouse: WarehouseOption = None,
    where: Annotated[
        str | None, typer.Option(help="SQL filter on dispatches (alias d), e.g. d.agency = 'Kyodo'")
    ] = None,
    force: Annotated[bool, typer.Option("--all", help="Re-tag even where provenance matches")] = False,
    pipeline: PipelineOption = None,
    wait: WaitOption = False,
) -> None:
    """Re-run only entity tagging over stored dispatches whose provenance differs.

    A dispatch is re-tagged when its mentions came from another model, or from other gazetteer
    patterns or aliases (the pipeline hash), or when the tagging time limit cut it short
    (taggings.status 'timed_out'). Its mentions, quotes and provenance are replaced in one
    atomic commit; nothing is re-parsed.

    Examples:

        wirehouse retag

        wirehouse retag --where "d.published_date >= DATE '2026-01-01'" --all
    """
    settings = _settings(warehouse, pipeline=pipeline)
    _existing_warehouse_uri(settings)
    _refuse_if_busy(settings.warehouse, "wirehouse retag", wait)
    apply_prefect_defaults()
    from flows.retag import retag as retag_flow
    from transforms.query import QueryRefused

    try:
        written = retag_flow(
            warehouse=_warehouse_uri(settings), pipeline=settings.pipelines,
            seeds_dir=str(settings.seeds), where=where, force=force, wait=wait,
        )
    except QueryRefused as exc:
        _fail(str(exc))
    if not written:
        typer.echo("Nothing to re-tag: every dispatch was tagged by the current pipeline.")
    else:
        typer.echo(
            f"Re-tagged {written['taggings']} dispatches: {written['mentions']} mentions, "
            f"{written['quotes']} quotes."
        )


@app.command()
def report(
    warehouse: WarehouseOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="HTML file to write")] = None,
    date_from: DateFromOption = None,
    date_to: DateToOption = None,
) -> None:
    """Write a self-contained HTML report of the warehouse: open it from disk, offline.

    Dispatches per day per agency, top entities per label with their mentions per day, who is
    mentioned with whom, the latest runs and the quarantine reasons. The same warehouse gives
    the same bytes. OUT defaults to report.html in the warehouse folder (an S3 warehouse
    needs --out).

    Examples:

        wirehouse report --warehouse warehouse/ --out report.html

        wirehouse report --from 2026-01-01 --to 2026-01-31 --out january.html
    """
    from transforms.report import gather_report_data, render_report, write_report
    from transforms.storage import location

    settings = _settings(warehouse)
    first_day, last_day = _date_window(date_from, date_to)
    loc = location(_warehouse_uri(settings))
    if loc.remote and out is None:
        _fail(f"warehouse {loc} is on S3: give the report a local file with --out", 2)
    _existing_warehouse_uri(settings)
    target = out or loc.path / "report.html"
    data = gather_report_data(loc.uri, first_day, last_day)
    write_report(target, render_report(data))
    typer.echo(f"Wrote the report to {target} ({data.dispatches} dispatches)")


@app.command()
def upgrade(warehouse: WarehouseOption = None) -> None:
    """Convert a warehouse of the old `_manifest.json` layout to Delta tables, in place.

    Every other command refuses such a warehouse until it is upgraded. Safe to rerun if it
    was interrupted.

    Example:

        wirehouse upgrade --warehouse warehouse/
    """
    from transforms.storage import WarehouseLock, location, upgrade_legacy_layout

    loc = location(_warehouse_uri(_settings(warehouse)))
    if loc.remote or not (loc.path / "_manifest.json").exists():
        typer.echo(f"Nothing to upgrade: {loc} is not in the _manifest.json layout.")
        return
    with WarehouseLock(loc, "wirehouse upgrade"):
        converted = upgrade_legacy_layout(loc)
    rows = ", ".join(f"{n} {name}" for name, n in converted.items()) or "no rows"
    typer.echo(f"Upgraded {loc} to Delta tables: {rows}.")


@app.command()
def doctor(
    warehouse: WarehouseOption = None,
    fix: Annotated[
        bool, typer.Option("--fix", help="Remove the leftovers listed (open claims are never touched)")
    ] = False,
    grace_hours: Annotated[
        float,
        typer.Option(min=0, metavar="HOURS",
                     help="On S3, leave leftovers younger than this: a writer may be about to use them"),
    ] = 6.0,
    wait: WaitOption = False,
) -> None:
    """List what killed or concurrent writers left behind; --fix removes it safely.

    Leftovers: staged rows under _pending/ that no open claim names, _staging/ folders of
    flows that did not finish, and orphaned data files (Parquet files under a table that no
    Delta version names). Also reports open claims (the next writer finishes them) and
    aborted ones. The rows of an open claim are never removed. A local warehouse is examined
    under the writer lock; on S3 (no lock) leftovers younger than --grace-hours are listed
    but kept. Never delete _pending/ by hand: use this.

    Examples:

        wirehouse doctor --warehouse warehouse/

        wirehouse doctor --fix --warehouse s3://news/wh --grace-hours 24
    """
    from transforms.storage import location, refuse_legacy_layout, writer_lock
    from transforms.storage.doctor import diagnose, remove

    loc = location(_warehouse_uri(_settings(warehouse)))
    if not loc.remote and not loc.path.is_dir():
        _fail(f"warehouse {loc} does not exist")
    refuse_legacy_layout(loc)
    with writer_lock(loc, "wirehouse doctor" + (" --fix" if fix else ""), wait):
        found = diagnose(loc, grace_hours=grace_hours)
        removed = remove(loc, found.leftovers) if fix else []
    for leftover in found.leftovers:
        typer.echo(leftover.describe())
    for line in found.claim_lines():
        typer.echo(line)
    removable = [f for f in found.leftovers if f.removable]
    if not found.leftovers and not found.claims:
        typer.echo(f"Nothing to clean up in {loc}.")
    elif fix:
        typer.echo(f"Removed {len(removed)} leftovers ({sum(f.size for f in removed)} bytes).")
    elif removable:
        typer.echo(f"{len(removable)} leftovers ({sum(f.size for f in removable)} bytes): "
                   "`wirehouse doctor --fix` removes them.")


@app.command()
def history(
    warehouse: WarehouseOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Show the newest LIMIT commits")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the warehouse's commits, newest first: marker, time, commit (run), what each table gained.

    Each commit shows, per table whose Delta version it moved, the rows gained and the
    versions (a compaction moves versions and gains no rows). Marker numbers are what
    `wirehouse sql --as-of` takes. Claims never committed are listed with their state.

    Examples:

        wirehouse history --warehouse warehouse/ --limit 5

        wirehouse history --json | jq '.[0].tables'
    """
    from transforms.storage import location, refuse_legacy_layout
    from transforms.storage.history import commit_history, describe_history

    loc = location(_warehouse_uri(_settings(warehouse)))
    if not loc.remote and not loc.path.is_dir():
        _fail(f"warehouse {loc} does not exist")
    refuse_legacy_layout(loc)
    entries = commit_history(loc, limit=limit)
    if as_json:
        typer.echo(json.dumps([e.to_json() for e in entries], indent=1))
    elif not entries:
        typer.echo(f"No commits yet in {loc}.")
    else:
        for line in describe_history(entries):
            typer.echo(line)


@app.command("seed-landing")
def seed_landing(
    target: Annotated[Path, typer.Argument(help="Folder to fill with the sample dispatches")],
) -> None:
    """Copy the bundled sample dispatches into TARGET with the file times they were written for.

    Plain wire text has no year in its dateline, so each sample's file time matters.

    Example:

        wirehouse seed-landing demo/landing && wirehouse run --source demo/landing
    """
    from seeds import seed_path
    from transforms.samples import copy_sample_dispatches

    copied = copy_sample_dispatches(seed_path("dispatches", _settings().seeds), target)
    typer.echo(f"Copied {copied} sample dispatches into {target}")


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Argument(help="JSONL: {text, entities: [{start, end, label}]}")],
    pipeline: PipelineOption = None,
) -> None:
    """Score the configured entity pipeline against the bare model on a gold set.

    Prints precision, recall and F1 per label for both.

    Example:

        wirehouse evaluate tests/gold/entities.jsonl
    """
    from transforms.entities import load_baseline_tagger, load_tagger
    from transforms.entities.evaluation import evaluate_file, render_report

    settings = _settings(pipeline=pipeline)
    if not gold.exists():
        _fail(f"gold file {gold} does not exist")
    report = evaluate_file(
        gold,
        configured=load_tagger(settings.pipeline, seeds_dir=settings.seeds),
        baseline=load_baseline_tagger(settings.pipeline),
    )
    typer.echo(render_report(report))


@app.command()
def backfill(
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH", help="Files or folders of archive to ingest")
    ],
    warehouse: WarehouseOption = None,
    date_from: DateFromOption = None,
    date_to: DateToOption = None,
    workers: Annotated[
        int | None, typer.Option(help="Local tagging processes [default: $WIREHOUSE_WORKERS or CPUs]")
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(help="Tag on an existing Dask cluster (tcp://HOST:PORT); workers reach the warehouse"),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Dispatches per tagging batch")] = 256,
    commit_seconds: Annotated[
        float, typer.Option(help="Commit finished batches at least this often (seconds)")
    ] = 30.0,
    pipeline: PipelineOption = None,
    wait: WaitOption = False,
    settle: Annotated[
        float,
        typer.Option(
            min=0, metavar="SECONDS",
            help="Leave files modified in the last SECONDS (archives are usually at rest: 0)",
        ),
    ] = 0.0,
    follow_links: FollowLinksOption = False,
) -> None:
    """Backfill archives: every file under PATHS (subfolders, archives member by member).

    Tags on WORKERS local processes, or on a Dask cluster with --dask-address (its workers
    need only the warehouse's storage, e.g. s3://bucket/prefix: batches are staged there).
    Killed and rerun, it carries on
    from what was committed, with no duplicates. --from/--to keep publication dates in that
    inclusive window; files are then not marked as ingested, so another window can read
    them again. Ends with compaction and a `runs` row. Partial-upload names (*.part, ...)
    are skipped, as are files modified in the last --settle seconds when it is set; symlinks
    out of each PATH are quarantined unless --follow-links.

    Example:

        wirehouse backfill /archive/1998 /archive/1999.tar.gz --from 1998-01-01 --to 1999-12-31
    """
    # First, before anything loads Arrow: its pool, chosen once per process, is the one
    # that gives a commit's memory back (transforms.arrow_memory).
    from transforms.arrow_memory import choose_returnable_arrow_memory

    choose_returnable_arrow_memory()
    settings = _settings(warehouse, pipeline=pipeline, workers=workers)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _fail(f"not found: {', '.join(missing)}")
    first_day, last_day = _date_window(date_from, date_to)
    _refuse_if_busy(settings.warehouse, "wirehouse backfill", wait)
    _stop_on_sigterm()
    apply_prefect_defaults()
    prefect_ready = start_temporary_prefect_server()
    try:
        from flows.backfill import run_backfill

        summary = run_backfill(
            [str(p.resolve()) for p in paths],
            _warehouse_uri(settings),
            workers=settings.workers,
            prefect_ready=prefect_ready,
            dask_address=dask_address,
            pipeline=settings.pipelines,
            seeds_dir=str(settings.seeds),
            published_from=first_day.isoformat() if first_day else None,
            published_to=last_day.isoformat() if last_day else None,
            batch_dispatches=batch_size,
            commit_seconds=commit_seconds,
            wait=wait,
            show_progress=sys.stdout.isatty(),
            settle_seconds=settle,
            follow_links=follow_links,
        )
    except _StoppedBySignal:
        _stopped("wirehouse backfill")
        raise
    typer.echo(summary.describe())
    typer.echo(summary.describe_stages())


@app.command()
def inspect(
    files: Annotated[list[Path], typer.Argument(help="Files (or archives) to look at")],
    as_json: JsonOption = False,
) -> None:
    """Show how each item in FILES parses: its fields and warnings, or why it is refused.

    Writes nothing: this is what to run when a feed looks wrong. Uses the seeds folder of
    $WIREHOUSE_SEEDS_DIR (agencies, places, source time zones) like a run does.

    Examples:

        wirehouse inspect landing/2026-01-05/kyodo-0012.txt

        wirehouse inspect archive/reut2-000.sgm --json | head
    """
    from transforms.reference import load_reference
    from transforms.stages.inspection import item_reports, report_json, report_text

    settings = _settings()
    reference = load_reference(settings.seeds)
    totals = {"dispatch": 0, "quarantined": 0}
    for path in files:
        if not path.exists():
            _fail(f"not found: {path}")
        for report in item_reports(path, reference):
            totals["quarantined" if report.quarantined else "dispatch"] += 1
            typer.echo(report_json(report) if as_json else report_text(report))
    if not as_json:
        typer.echo(f"{totals['dispatch']} dispatches, {totals['quarantined']} quarantined")


@app.command()
def requeue(
    warehouse: WarehouseOption = None,
    reason: Annotated[
        list[str] | None,
        typer.Option(metavar="REASON",
                     help="Only refusals with this reason (repeatable), e.g. unknown_format"),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only refusals made on or after this day (UTC), YYYY-MM-DD"),
    ] = None,
    outdated: Annotated[
        bool,
        typer.Option("--outdated",
                     help="Only refusals by another parser version than this one's (or unrecorded)"),
    ] = False,
    archive_to: Annotated[
        Path | None,
        typer.Option(metavar="DIR",
                     help="The --archive-to folder of the runs: refused files moved there are put "
                     "back where they were found"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be requeued")] = False,
    wait: WaitOption = False,
) -> None:
    """Make quarantined files readable again: the next run reads them as new files.

    Each file with a matching quarantine row leaves the ingested_files ledger, and its
    quarantine rows leave the quarantine, in one commit. The next `wirehouse run` (or backfill
    over the same paths) reads it again: what now parses gives its dispatches once (nothing
    already in the warehouse is written twice), what is still refused is quarantined again
    with the parser version that refused it. The file must still be in the landing folder or
    under --archive-to (put back where it was found); a file found in neither place is left in
    quarantine. One line per file, then a summary. Runs never requeue by themselves: after an
    upgrade that adds a reader, requeue what it may now read.

    Examples:

        wirehouse requeue --reason unknown_format --outdated --dry-run

        wirehouse requeue --reason unknown_format --since 2026-01-01 --archive-to done/

        wirehouse requeue --warehouse s3://news/wh --reason no_body --reason no_date
    """
    from transforms.stages import plan_requeue, requeue_files
    from transforms.storage import exclusive_writer, location

    settings = _settings(warehouse)
    uri = _existing_warehouse_uri(settings)
    if archive_to is not None and not archive_to.is_dir():
        _fail(f"--archive-to {archive_to} is not a folder", 2)
    archive = archive_to.resolve() if archive_to else None
    first_day = since.date() if since else None
    if dry_run:
        plan = plan_requeue(uri, reason or (), first_day, outdated, archive)
    else:
        _refuse_if_busy(settings.warehouse, "wirehouse requeue", wait)
        commit_id = f"requeue-{datetime.now().strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        with exclusive_writer(location(uri), "wirehouse requeue", wait):
            plan = requeue_files(uri, plan_requeue(uri, reason or (), first_day, outdated, archive),
                                 commit_id)
    for item in plan.items:
        typer.echo(item.describe(dry_run))
    typer.echo(plan.summary(dry_run))


@app.command()
def stories(warehouse: WarehouseOption = None, wait: WaitOption = False) -> None:
    """Give a story to every stored version without one (a warehouse from before stories).

    Versions are assigned oldest first against the sketch index, 20,000 per atomic commit: the
    command can be stopped at any point and run again, and nothing else is rewritten. Versions
    the warehouse already gave a story keep it.

    Example:

        wirehouse stories --warehouse warehouse/
    """
    from transforms.stages.stories import assign_missing_stories
    from transforms.storage import exclusive_writer

    uri = _existing_warehouse_uri(_settings(warehouse))
    with exclusive_writer(uri, "wirehouse stories", wait):
        assigned = assign_missing_stories(uri)
    if assigned:
        typer.echo(f"Gave {assigned} versions their story.")
    else:
        typer.echo("Nothing to do: every stored version has its story.")


def main() -> None:
    app(prog_name="wirehouse")


if __name__ == "__main__":
    sys.exit(main())

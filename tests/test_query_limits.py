"""`wirehouse sql` cannot be hung: a time limit (interrupting DuckDB), Ctrl-C acting within
seconds, a row cap for the table format, and a memory limit with a message that says so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.test_query_read_only import warehouse  # noqa: F401 - fixture
from transforms.query import STREAM_CHUNK_ROWS, QueryLimits, QueryStopped, run_query

ENDLESS = "SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c"
RECURSIVE = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"


@pytest.mark.parametrize("sql", [ENDLESS, RECURSIVE])
def test_a_query_past_its_time_is_stopped_with_one_line(warehouse: Path, sql: str) -> None:  # noqa: F811
    started = time.monotonic()
    with pytest.raises(QueryStopped) as stopped:
        run_query(warehouse, sql, limits=QueryLimits(timeout=1, memory_limit="1GB"))
    assert time.monotonic() - started < 15
    assert str(stopped.value) == "the query ran past its time limit of 1 s (--timeout)"


def test_rows_beyond_the_cap_are_left_out_and_said(warehouse: Path) -> None:  # noqa: F811
    capped = run_query(warehouse, "SELECT * FROM range(10000000)", limits=QueryLimits(max_rows=5))
    assert (capped.rows, capped.truncated) == ([(0,), (1,), (2,), (3,), (4,)], True)
    whole = run_query(warehouse, "SELECT * FROM range(5)", limits=QueryLimits(max_rows=5))
    assert (len(whole.rows), whole.truncated) == (5, False)


def test_out_of_memory_says_so(warehouse: Path) -> None:  # noqa: F811
    with pytest.raises(QueryStopped) as stopped:
        run_query(warehouse, "SELECT list(range) FROM range(100000000)",
                  limits=QueryLimits(memory_limit="50MB", timeout=60))
    assert str(stopped.value).startswith("the query ran out of memory (limit of 50MB, --memory-limit): ")


def _wirehouse(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "wirehouse"), *args]


def test_cli_timeout_and_max_rows(warehouse: Path) -> None:  # noqa: F811
    slow = subprocess.run(_wirehouse("sql", "--warehouse", str(warehouse), "--timeout", "2", ENDLESS),
                          capture_output=True, text=True, timeout=120)
    assert slow.returncode == 1
    assert slow.stderr.splitlines()[0] == "Error: the query ran past its time limit of 2 s (--timeout)"
    many = subprocess.run(_wirehouse("sql", "--warehouse", str(warehouse), "--max-rows", "3",
                                     "SELECT * FROM range(10000000)"),
                          capture_output=True, text=True, timeout=120)
    assert many.returncode == 0
    assert "(3 rows)" in many.stdout
    assert many.stderr.splitlines()[0] == (
        "Only the first 3 rows are shown: raise --max-rows, or use --format csv or json for every row.")


def test_ctrl_c_stops_a_query_within_seconds(warehouse: Path) -> None:  # noqa: F811
    child = subprocess.Popen(_wirehouse("sql", "--warehouse", str(warehouse), "--timeout", "0", ENDLESS),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ})
    try:
        time.sleep(8)  # the CLI starts, opens the warehouse, and the query is running
        assert child.poll() is None
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
    assert took < 5, took
    assert child.returncode == 1
    assert err.splitlines()[0] == "Error: the query was interrupted (Ctrl-C)"


class _Chunks:
    """A RowWriter that keeps the size of each chunk it is given, and can stop the query."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.columns: list[str] = []
        self.sizes: list[int] = []
        self.rows: list[tuple] = []
        self.ended = False
        self.stop_after = stop_after

    def begin(self, columns: list[str]) -> None:
        self.columns = columns

    def write(self, rows: list[tuple]) -> None:
        self.sizes.append(len(rows))
        self.rows += rows
        if self.stop_after is not None and len(self.sizes) >= self.stop_after:
            raise _Enough()

    def end(self) -> None:
        self.ended = True


class _Enough(Exception):
    pass


def test_a_streamed_result_goes_out_in_chunks_as_it_is_fetched(warehouse: Path) -> None:  # noqa: F811
    rows = 2 * STREAM_CHUNK_ROWS + 7
    chunks = _Chunks()
    result = run_query(warehouse, f"SELECT range AS n FROM range({rows})", writer=chunks)
    assert (chunks.columns, chunks.ended) == (["n"], True)
    assert chunks.sizes == [STREAM_CHUNK_ROWS, STREAM_CHUNK_ROWS, 7]
    assert chunks.rows == [(n,) for n in range(rows)]
    assert (result.columns, result.rows, result.truncated) == (["n"], [], False)
    # A result far too large to hold (10^12 rows): its first chunk still arrives at once, so
    # nothing waits for the whole result.
    first = _Chunks(stop_after=1)
    with pytest.raises(_Enough):
        run_query(warehouse, "SELECT * FROM range(1000000000000)", writer=first,
                  limits=QueryLimits(timeout=60, memory_limit="500MB"))
    assert first.sizes == [STREAM_CHUNK_ROWS]
    capped = _Chunks()
    result = run_query(warehouse, f"SELECT * FROM range({rows})", writer=capped,
                       limits=QueryLimits(max_rows=STREAM_CHUNK_ROWS + 1))
    assert (capped.sizes, result.truncated) == ([STREAM_CHUNK_ROWS, 1], True)


def test_cli_csv_and_json_stream_every_row(warehouse: Path) -> None:  # noqa: F811
    rows = 2 * STREAM_CHUNK_ROWS + 7
    runner = CliRunner()
    sql = f"SELECT range AS n, 'r' || range AS label FROM range({rows})"
    as_csv = runner.invoke(app, ["sql", "--warehouse", str(warehouse), "--format", "csv", sql])
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.stdout == "n,label\n" + "".join(f"{n},r{n}\n" for n in range(rows))
    as_json = runner.invoke(app, ["sql", "--warehouse", str(warehouse), "--format", "json", sql])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [{"n": n, "label": f"r{n}"} for n in range(rows)]
    assert as_json.stdout.endswith("\n]\n")
    empty = runner.invoke(app, ["sql", "--warehouse", str(warehouse), "--format", "json",
                                "SELECT 1 AS n WHERE false"])
    assert empty.stdout == "[]\n"


def test_cli_csv_gives_its_first_rows_at_once_and_stops_quietly_when_the_reader_leaves(
        warehouse: Path) -> None:  # noqa: F811
    """`wirehouse sql --format csv … | head`: a result too large ever to finish still prints its
    first rows, and when the reader closes the pipe the command ends at once, exit 0, no
    traceback (held whole before printing, it ran until the time limit and printed nothing)."""
    child = subprocess.Popen(
        _wirehouse("sql", "--warehouse", str(warehouse), "--format", "csv", "--timeout", "30",
                   "--memory-limit", "500MB", "SELECT * FROM range(1000000000000)"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        head = [child.stdout.readline() for _ in range(3)]
        child.stdout.close()
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert head == ["range\n", "0\n", "1\n"]
    assert (child.returncode, err) == (0, "")


def test_cli_csv_with_max_rows_says_rows_were_left_out(warehouse: Path) -> None:  # noqa: F811
    capped = CliRunner().invoke(app, ["sql", "--warehouse", str(warehouse), "--format", "csv",
                                      "--max-rows", "2", "SELECT * FROM range(5)"])
    assert capped.exit_code == 0
    assert capped.stdout == "range\n0\n1\n"
    assert capped.stderr.splitlines()[0] == (
        "Only the first 2 rows were written (--max-rows); leave it out for every row.")

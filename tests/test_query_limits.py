"""`wirehouse sql` cannot be hung: a time limit (interrupting DuckDB), Ctrl-C acting within
seconds, a row cap for the table format, and a memory limit with a message that says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_query_read_only import warehouse  # noqa: F401 - fixture
from transforms.query import QueryLimits, QueryStopped, run_query

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

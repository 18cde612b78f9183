"""`wirehouse sql` only reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms.query import QueryRefused, QueryResult, as_csv, as_json, check_read_only, run_query


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO runs VALUES (1)",
        "COPY (SELECT 1) TO '/tmp/out.csv'",
        "ATTACH 'other.duckdb'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET threads = 1",
        "SELECT 1; DROP VIEW dispatches",
        "DELETE FROM dispatches",
    ],
)
def test_writes_and_side_effects_are_refused(sql: str) -> None:
    with pytest.raises(QueryRefused, match="read-only"):
        check_read_only(sql)


def test_select_runs_against_an_empty_warehouse(tmp_path: Path) -> None:
    result = run_query(tmp_path, "SELECT count(*) AS n FROM dispatches")
    assert result.columns == ["n"] and result.rows == [(0,)]


def test_json_is_one_array_of_objects() -> None:
    when = datetime(2026, 1, 15, 3, 4, tzinfo=UTC)
    text = as_json(QueryResult(["a", "b", "c"], [(1, when, ["x"]), (None, None, [])]))
    assert json.loads(text) == [
        {"a": 1, "b": "2026-01-15T03:04:00+00:00", "c": ["x"]},
        {"a": None, "b": None, "c": []},
    ]


def test_csv_has_a_header_and_empty_nulls() -> None:
    assert as_csv(QueryResult(["a", "b"], [(1, None), (2, "x,y")])) == 'a,b\n1,\n2,"x,y"\n'

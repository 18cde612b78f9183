"""Messages that once misled: each case by its exact first line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.test_query_read_only import warehouse  # noqa: F401 - fixture
from transforms import storage


def test_as_of_before_the_first_commit_is_an_error_not_an_empty_answer(warehouse: Path) -> None:  # noqa: F811
    with pytest.raises(storage.WarehouseError) as early:
        storage.read_snapshot(warehouse, "1990-01-01T00:00:00+00:00")
    assert str(early.value).startswith(
        "no commit at or before 1990-01-01T00:00:00+00:00: the first commit of the warehouse was at ")
    result = CliRunner().invoke(app, ["sql", "--warehouse", str(warehouse), "--as-of", "1990-01-01",
                                      "SELECT count(*) FROM dispatches"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        "Error: no commit at or before 1990-01-01T00:00:00+00:00: the first commit of the warehouse was at ")


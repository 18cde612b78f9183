"""Golden test: the bundled sample dispatches through a real nightly run to exact DuckDB rows.

The expected rows in tests/golden/ were checked by hand against the sample texts. This test
only reads them. When a deliberate change alters them, regenerate them with `make golden`
(`python -m tests.golden.regenerate`) and review the diff.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.golden.regenerate import GOLDEN, QUERIES, golden_csv, seeded_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def golden_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_warehouse(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_rows_match_the_golden_file(golden_warehouse: Path, name: str) -> None:
    got = golden_csv(golden_warehouse, name)
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(got))) == list(csv.reader(io.StringIO(expected)))


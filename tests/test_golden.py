"""Golden test: the bundled sample dispatches through a real nightly run to exact DuckDB rows.

The expected rows in tests/golden/ were checked by hand against the sample texts. When a
deliberate change alters them, regenerate with UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from transforms.query import as_csv, run_query
from transforms.reference import default_seeds_dir
from transforms.samples import copy_sample_dispatches

pytestmark = pytest.mark.slow

GOLDEN = PROJECT_ROOT / "tests" / "golden"

QUERIES = {
    "dispatches.csv": """
        SELECT regexp_extract(source_uri, '[^/]+$') AS file, agency, dateline_place,
               dateline_country, published_date, headline, byline, editor_note, signal,
               story_version, word_count, pub_status, source_format
        FROM dispatches ORDER BY file""",
    "entities.csv": """
        SELECT label, text, mentions, dispatches FROM entities ORDER BY label, text""",
    "quotes.csv": """
        SELECT regexp_extract(d.source_uri, '[^/]+$') AS file, q.speaker, q.text
        FROM quotes AS q JOIN dispatches AS d USING (version_id) ORDER BY file, q.start_char""",
    "dispatches_latest.csv": """
        SELECT regexp_extract(source_uri, '[^/]+$') AS file FROM dispatches_latest ORDER BY file""",
}


@pytest.fixture(scope="module")
def seeded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("golden")
    copy_sample_dispatches(default_seeds_dir() / "dispatches", root / "landing")
    nightly(source=str(root / "landing"), warehouse=str(root / "warehouse"))
    return root / "warehouse"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_rows_match_the_golden_file(seeded_warehouse: Path, name: str) -> None:
    got = as_csv(run_query(seeded_warehouse, QUERIES[name]))
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(got, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(got))) == list(csv.reader(io.StringIO(expected)))

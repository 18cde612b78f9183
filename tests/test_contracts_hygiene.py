"""The dispatch row checks (content hygiene, issue 24) hold for what every reader produces from
our fixtures, and each one catches the row it is about."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from schemas.tables import DISPATCH_ROW_CHECKS, TABLES
from seeds import default_seeds_dir
from transforms.contracts import row_check_queries
from transforms.readers import read_path
from transforms.records import ParsedDispatch
from transforms.reference import load_reference

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COLUMNS = ("headline", "byline", "body", "dateline_place", "source_format", "parse_warnings")


def failing_checks(dispatches: list[ParsedDispatch]) -> dict[str, int]:
    rows = [{c: asdict(d)[c] for c in COLUMNS} for d in dispatches]
    for row in rows:
        row["parse_warnings"] = list(row["parse_warnings"])
    table = pa.Table.from_pylist(rows, schema=pa.schema([
        *(pa.field(c, pa.string()) for c in COLUMNS[:-1]),
        pa.field("parse_warnings", pa.list_(pa.string()))]))
    con = duckdb.connect()
    con.register("candidate_rows", table)
    failing = {}
    for _check, name, sql in row_check_queries(TABLES["dispatches"], "candidate_rows"):
        count = con.execute(sql).fetchone()[0]
        if count:
            failing[name] = count
    return failing


@pytest.fixture(scope="module")
def every_dispatch() -> list[ParsedDispatch]:
    reference = load_reference(default_seeds_dir())
    found = []
    for folder in ("agency_feeds", "formats"):
        for path in sorted((FIXTURES / folder).iterdir()):
            if path.name != "expected.json":
                found += [i for i in read_path(path, reference=reference)
                          if isinstance(i, ParsedDispatch)]
    return found


def test_every_reader_passes_the_row_checks(every_dispatch):
    formats = {d.source_format for d in every_dispatch}
    assert {"nitf", "newsml-g2", "newsml-1", "ninjs", "iptc-7901", "anpa-1312",
            "ritzau-rbnews"} <= formats
    assert failing_checks(every_dispatch) == {}


GOOD = ParsedDispatch(source_uri="x", source_format="nitf", raw_sha256="0", body="Text.",
                      headline="A headline", byline="Jane Doe", dateline_place="Paris")


@pytest.mark.parametrize(("check", "bad"), [
    ("headline_not_code_word", {"headline": "REFILE"}),
    ("headline_not_code_word", {"headline": "(Achtung)"}),
    ("headline_not_code_word", {"headline": "BC-US-ECON-JOBS"}),
    ("no_headline_warned", {"headline": None}),
    ("dateline_place_not_timestamp", {"dateline_place": "2018-01-03 20:13:08 Gmt+00:00"}),
    ("body_without_markup", {"body": "<p>Text.</p>"}),
    ("body_without_dateline", {"body": "PARIS (AFP) - Text."}),
    ("body_without_dateline", {"source_format": "iptc-7901", "body": "Berlin (dpa) - Text."}),
    ("body_without_notes_to_editors",
     {"body": "Text.\n\nDie folgenden Informationen sind nicht zur Veröffentlichung bestimmt"}),
    ("byline_without_by", {"byline": "By KIRSTEN HOLM"}),
])
def test_each_check_catches_its_bad_row(check, bad):
    assert failing_checks([GOOD]) == {}
    assert failing_checks([GOOD, replace(GOOD, **bad)]) == {check: 1}


def test_every_check_is_exercised():
    assert {name for name, _ in DISPATCH_ROW_CHECKS} == {
        "headline_not_code_word", "no_headline_warned", "dateline_place_not_timestamp",
        "body_without_markup", "body_without_dateline", "body_without_notes_to_editors",
        "byline_without_by"}

"""`retag --where` is one boolean expression on dispatches, as DuckDB's parser reads it, and
`wirehouse check` catches a mention whose text is not its field's slice (what an injected
--where once wrote without any contract noticing)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from schemas.tables import DISPATCHES, MENTIONS
from tests.warehouse_files import commit_staged, stage_table_files
from transforms.contracts import check_contracts
from transforms.entities.pipeline import TaggerInfo
from transforms.query import QueryRefused
from transforms.stages.retag import check_where, selection_sql

MORE = "it carries more than an expression (a UNION, ORDER BY, LIMIT, GROUP BY or the like)"
HELP = "--where takes one boolean expression on dispatches (alias d), e.g. d.agency = 'Kyodo'"


@pytest.mark.parametrize("where", [
    "d.agency = 'Kyodo'",
    "d.published_date >= DATE '2026-01-01' AND d.language = 'en'",
    "d.agency = 'Kyodo' -- a trailing comment",
    "(d.agency = 'AFP') OR d.headline ILIKE '%summit%'",
])
def test_a_boolean_expression_passes(where: str) -> None:
    check_where(where)


@pytest.mark.parametrize(("where", "why"), [
    ("false) UNION ALL SELECT 'x', 'y', 'Osama bin Laden met Vladimir Putin', NULL, 'en', "
     "DATE '2026-01-01' --",
     "DuckDB cannot parse it: Parser Error: syntax error at or near \")\""),
    ("true; DROP VIEW dispatches", "it holds more than one statement"),
    ("true ORDER BY 1", MORE),
    ("true LIMIT 1", MORE),
    ("true GROUP BY d.agency", MORE),
    ("true UNION SELECT * FROM dispatches AS d", MORE),
    ("d.version_id IN (SELECT version_id FROM mentions)", "subqueries are not allowed in it"),
    ("EXISTS (SELECT * FROM read_text('/etc/passwd'))", "subqueries are not allowed in it"),
    ("  ", "it is empty"),
])
def test_anything_else_is_refused_with_its_reason(where: str, why: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        check_where(where)
    assert str(refused.value).startswith(f"{HELP}; {why}")


def test_the_selection_refuses_before_any_sql_is_built() -> None:
    info = TaggerInfo("m", "h")
    with pytest.raises(QueryRefused):
        selection_sql(info, "false) UNION ALL SELECT 1 --", force=True)
    built = selection_sql(info, "d.agency = 'AFP' -- x", force=True)
    assert "AND (d.agency = 'AFP' -- x\n)" in built


def _warehouse(tmp_path: Path, mentions: list[dict]) -> Path:
    moment = datetime(2026, 1, 20, tzinfo=UTC)
    dispatch = {
        "dispatch_id": "d1", "version_id": "v1", "agency": "Reuters", "published_at": moment,
        "headline": "Putin meets Macron", "body": "TOKYO - Officials from Japan met France.",
        "language": "en", "word_count": 6, "source_uri": "/x", "source_format": "text",
        "raw_sha256": "0" * 64, "pub_status": "usable", "ingested_at": moment, "run_id": "r",
        "parser_version": "1",
        "published_date": date(2026, 1, 20),
    }
    base = {"dispatch_id": "d1", "version_id": "v1", "label": "GPE", "sentence_index": 0,
            "canonical": "x", "model": "m", "pipeline_hash": "h", "run_id": "r",
            "published_date": date(2026, 1, 20)}
    staging = tmp_path / "_staging"
    commit_staged(tmp_path, {
        "dispatches": stage_table_files(DISPATCHES, pa.Table.from_pylist([dispatch]), staging, "c1"),
        "mentions": stage_table_files(MENTIONS, pa.Table.from_pylist([base | m for m in mentions]),
                                      staging, "c1"),
    })
    return tmp_path


def test_mentions_whose_text_is_their_fields_slice_pass(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path, [
        {"mention_id": "a", "text": "Japan", "start_char": 23, "end_char": 28, "field": "body"},
        {"mention_id": "b", "text": "Putin", "start_char": 0, "end_char": 5, "field": "headline"},
        {"mention_id": "c", "text": "TOKYO", "start_char": 0, "end_char": 5, "field": None},
    ])
    assert check_contracts(warehouse) == []


def test_a_mention_pointing_elsewhere_breaks_the_offsets_contract(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path, [
        {"mention_id": "a", "text": "Japan", "start_char": 23, "end_char": 28, "field": "body"},
        {"mention_id": "b", "text": "Osama bin Laden", "start_char": 0, "end_char": 15, "field": "body"},
        {"mention_id": "c", "text": "Japan", "start_char": 23, "end_char": 28, "field": "headline"},
    ])
    found = [(v.table, v.check, v.columns, v.failing_rows) for v in check_contracts(warehouse)]
    assert found == [("mentions", "offsets", "text = field[start_char:end_char]", 2)]

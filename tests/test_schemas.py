"""schemas/ is the single source of the tables: views and README follow from it."""

from __future__ import annotations

from schemas.docs import tables_markdown
from schemas.tables import TABLES
from schemas.views import duckdb_type
from tests.conftest import PROJECT_ROOT


def test_readme_table_reference_is_generated_from_the_schemas() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert tables_markdown() in readme, "README tables are stale: run `python -m schemas.docs`"


def test_every_column_type_has_a_duckdb_type() -> None:
    for table in TABLES.values():
        for column in table.schema:
            assert duckdb_type(column.type)


def test_contract_columns_exist() -> None:
    for table in TABLES.values():
        named = {c for group in table.contract.unique for c in group}
        named |= set(table.contract.not_null) | set(table.contract.accepted_values)
        assert named <= set(table.column_names), table.name

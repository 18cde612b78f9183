"""Data contracts beside each table (unique, not null, accepted values), checked in DuckDB."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.tables import TABLES, Table
from schemas.views import sql_literal
from transforms.query import open_warehouse


@dataclass(frozen=True)
class Violation:
    table: str
    check: str
    columns: str
    failing_rows: int


def contract_queries(table: Table) -> list[tuple[str, str, str]]:
    """(check, columns, SQL counting failing rows) for every contract of a table."""
    name = table.name
    queries = []
    for group in table.contract.unique:
        cols = ", ".join(group)
        queries.append(
            ("unique", cols,
             f"SELECT coalesce(sum(n - 1), 0) FROM "
             f"(SELECT count(*) AS n FROM {name} GROUP BY {cols} HAVING count(*) > 1)")
        )
    for col in table.contract.not_null:
        queries.append(("not_null", col, f"SELECT count(*) FROM {name} WHERE {col} IS NULL"))
    for col, accepted in table.contract.accepted_values.items():
        listed = ", ".join(sql_literal(v) for v in accepted)
        queries.append(
            ("accepted_values", col,
             f"SELECT count(*) FROM {name} WHERE {col} IS NOT NULL AND {col} NOT IN ({listed})")
        )
    queries.extend(row_check_queries(table))
    return queries


def row_check_queries(table: Table, relation: str | None = None) -> list[tuple[str, str, str]]:
    """(check, name, SQL counting failing rows) for a table's row checks, run on `relation`
    (the table itself by default; a test may point it at rows of its own)."""
    return [
        ("row_check", name, f"SELECT count(*) FROM {relation or table.name} WHERE {condition}")
        for name, condition in table.contract.row_checks
    ]


# Every mention's text is its field's slice [start_char:end_char] (offsets in characters, as
# DuckDB's substring counts them): a mention pointing elsewhere is wrong whatever wrote it.
MENTION_OFFSETS_SQL = (
    "SELECT count(*) FROM mentions AS m JOIN dispatches AS d USING (version_id) "
    "WHERE m.start_char IS NULL OR m.end_char IS NULL OR m.start_char < 0 "
    "OR m.end_char < m.start_char "
    "OR substring(CASE WHEN m.field = 'headline' THEN d.headline ELSE d.body END, "
    "m.start_char + 1, m.end_char - m.start_char) IS DISTINCT FROM m.text"
)
CROSS_TABLE_CONTRACTS = (("mentions", "offsets", "text = field[start_char:end_char]", MENTION_OFFSETS_SQL),)


def check_contracts(warehouse: Path) -> list[Violation]:
    con = open_warehouse(warehouse)
    try:
        violations = []
        for table in TABLES.values():
            for check, columns, sql in contract_queries(table):
                failing = con.execute(sql).fetchone()[0]
                if failing:
                    violations.append(Violation(table.name, check, columns, int(failing)))
        for name, check, columns, sql in CROSS_TABLE_CONTRACTS:
            failing = con.execute(sql).fetchone()[0]
            if failing:
                violations.append(Violation(name, check, columns, int(failing)))
        return violations
    finally:
        con.close()

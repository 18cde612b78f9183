"""DuckDB views over the committed snapshot of the Delta tables, generated from `schemas.tables`.

Base views read exactly the files of each table's Delta version pinned by the commit marker
(never a glob, never the table's latest version), so a reader sees one committed snapshot:
files being written, or replaced by compaction, are invisible.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pyarrow as pa

from schemas.tables import TABLES, Table

_DUCKDB_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMP WITH TIME ZONE",
    pa.list_(pa.string()): "VARCHAR[]",
    pa.binary(): "BLOB",
}

# Analysis views: the newest usable version of each story, and what hangs off it.
ANALYSIS_VIEWS: dict[str, str] = {
    "dispatches_latest": """
SELECT * EXCLUDE (version_rank) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY dispatch_id
        ORDER BY story_version DESC NULLS LAST, published_at DESC, ingested_at DESC, version_id
    ) AS version_rank
    FROM dispatches
)
WHERE version_rank = 1
  AND pub_status = 'usable'
  AND coalesce(signal, '') <> 'kill'
  AND (embargo_until IS NULL OR embargo_until <= now())""",
    "mentions_latest": """
SELECT m.* FROM mentions AS m
SEMI JOIN dispatches_latest AS d ON m.version_id = d.version_id""",
    "quotes_latest": """
SELECT q.* FROM quotes AS q
SEMI JOIN dispatches_latest AS d ON q.version_id = d.version_id""",
    # Names resolved across the warehouse through entity_aliases: a surname by its day, any
    # other name by its form (see transforms.entities.entity_aliases).
    "entities": """
SELECT
    substr(md5(label || '|' || canonical), 1, 16) AS entity_id,
    label,
    canonical AS text,
    list_sort(list_distinct(list(text))) AS aliases,
    count(*) AS mentions,
    count(DISTINCT dispatch_id) AS dispatches,
    min(published_at) AS first_seen,
    max(published_at) AS last_seen
FROM (
    SELECT
        m.text,
        m.dispatch_id,
        d.published_at,
        coalesce(s.canonical_label, f.canonical_label, m.label) AS label,
        coalesce(s.canonical, f.canonical, m.canonical) AS canonical
    FROM mentions_latest AS m
    JOIN dispatches_latest AS d USING (version_id)
    LEFT JOIN entity_aliases AS s
        ON s.rule = 'surname' AND s.label = m.label AND s.name = m.canonical
        AND s.seen_on = m.published_date AND s.canonical IS NOT NULL
    LEFT JOIN entity_aliases AS f
        ON f.rule = 'form' AND f.label = m.label AND f.name = m.canonical
)
GROUP BY label, canonical""",
    # One row per story (README: Stories): every usable version of it, whichever agency sent it.
    "stories": """
WITH story_versions AS (
    SELECT * FROM dispatches
    WHERE story_id IS NOT NULL
      AND pub_status = 'usable'
      AND (embargo_until IS NULL OR embargo_until <= now())
),
entity_counts AS (
    SELECT v.story_id, m.canonical, count(DISTINCT v.dispatch_id) AS carried_by
    FROM mentions AS m JOIN story_versions AS v ON m.version_id = v.version_id
    WHERE m.canonical IS NOT NULL
    GROUP BY v.story_id, m.canonical
),
story_entities AS (
    SELECT story_id, list(canonical ORDER BY carried_by DESC, canonical)[1:5] AS top_entities
    FROM entity_counts GROUP BY story_id
)
SELECT
    v.story_id,
    min(v.published_at) AS first_seen,
    max(v.published_at) AS last_seen,
    list_sort(list_distinct(list(v.agency) FILTER (WHERE v.agency IS NOT NULL))) AS agencies,
    count(DISTINCT v.dispatch_id) AS dispatches,
    count(*) AS versions,
    first(v.headline ORDER BY v.published_at, v.version_id) AS first_headline,
    coalesce(any_value(e.top_entities), []) AS top_entities
FROM story_versions AS v
LEFT JOIN story_entities AS e ON e.story_id = v.story_id
GROUP BY v.story_id""",
    # Where the news is: each place by day, from the latest versions' mentions that resolved.
    "places_mentioned": """
SELECT
    p.place_id,
    p.name,
    p.country_code,
    m.published_date AS day,
    count(*) AS mentions,
    count(DISTINCT m.dispatch_id) AS dispatches
FROM mentions_latest AS m
JOIN places AS p USING (place_id)
GROUP BY p.place_id, p.name, p.country_code, m.published_date""",
}


# Macros every connection gets with the views (`wirehouse sql` cannot create one itself).
# haversine_km: great-circle distance on a sphere of the Earth's mean radius (6371.0088 km),
# since DuckDB's spatial extension cannot be installed everywhere wirehouse runs.
MACROS: dict[str, str] = {
    "haversine_km": """(lat1, lon1, lat2, lon2) AS
    2 * 6371.0088 * asin(sqrt(
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2)
    ))""",
}


def duckdb_type(typ: pa.DataType) -> str:
    return _DUCKDB_TYPES[typ]


def sql_literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def empty_select(table: Table) -> str:
    columns = ", ".join(
        f"CAST(NULL AS {duckdb_type(f.type)}) AS {f.name}" for f in table.schema
    )
    return f"SELECT {columns} LIMIT 0"


def base_select(table: Table, files: tuple[str, ...] | list[str]) -> str:
    if not files:
        return empty_select(table)
    listed = ", ".join(sql_literal(f) for f in files)
    options = "union_by_name = true"
    if table.partition_by:
        typ = duckdb_type(table.schema.field(table.partition_by).type)
        options += f", hive_partitioning = true, hive_types = {{'{table.partition_by}': {typ}}}"
    else:
        options += ", hive_partitioning = false"
    columns = ", ".join(table.column_names)
    # The typed empty row set first, BY NAME: files written before a column was added read as
    # NULL in it, and every column keeps its declared type.
    return (
        f"SELECT {columns} FROM ({empty_select(table)}) "
        f"UNION ALL BY NAME SELECT * FROM read_parquet([{listed}], {options})"
    )


def relation_select(table: Table, relation: str | None) -> str:
    """A base view over a relation registered in the connection (an Arrow dataset of a pinned
    Delta version); columns it lacks (older files) read as NULL."""
    if relation is None:
        return empty_select(table)
    columns = ", ".join(table.column_names)
    return (
        f"SELECT {columns} FROM ({empty_select(table)}) "
        f"UNION ALL BY NAME SELECT * FROM {relation}"
    )


def view_statements(
    files_by_table: Mapping[str, tuple[str, ...]] | None = None,
    relations: Mapping[str, str | None] | None = None,
    names: Collection[str] | None = None,
) -> list[str]:
    """Base views over explicit files (`files_by_table`) or registered relations, then the
    analysis views; only those in `names` when it is given (close it over `view_dependencies`
    first: a view needs the views and tables it reads)."""
    tables = {name: table for name, table in TABLES.items() if names is None or name in names}
    if relations is not None:
        bases = {name: relation_select(table, relations.get(name)) for name, table in tables.items()}
    else:
        files_by_table = files_by_table or {}
        bases = {name: base_select(table, files_by_table.get(name, ())) for name, table in tables.items()}
    statements = [f"CREATE OR REPLACE MACRO {name}{sql.strip()};" for name, sql in MACROS.items()]
    statements += [f"CREATE OR REPLACE VIEW {name} AS {sql};" for name, sql in bases.items()]
    statements += [
        f"CREATE OR REPLACE VIEW {name} AS {sql.strip()};" for name, sql in ANALYSIS_VIEWS.items()
        if names is None or name in names
    ]
    return statements


def render_views_sql(
    files_by_table: Mapping[str, tuple[str, ...]], search_path: Path | None = None,
    marker: int | None = None,
) -> str:
    pinned = f" (commit marker {marker})" if marker is not None else ""
    header = [
        f"-- wirehouse views: generated at every commit{pinned} from the Delta tables' pinned"
        " versions; do not edit.",
        "-- In DuckDB (CLI or Python): .read warehouse/views.sql  (or execute this file's text).",
        "-- File paths below are relative to the warehouse folder, found via file_search_path.",
    ]
    if search_path is not None:
        header.append(f"SET file_search_path = {sql_literal(str(search_path))};")
    return "\n".join(header + view_statements(files_by_table)) + "\n"

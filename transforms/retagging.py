"""Re-tagging stored dispatches whose tagging provenance differs from the current pipeline.

Parsing is not repeated: bodies come from the `dispatches` table. The new mentions, quotes and
taggings replace the old ones of the same versions in one warehouse commit, so readers see
either the old enrichment or the new, never a mix or a gap (see transforms.storage).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import TABLES
from schemas.views import sql_literal
from transforms import storage
from transforms.entities import TaggerInfo
from transforms.query import QueryRefused, check_read_only, open_warehouse

ENRICHMENT_TABLES = ("mentions", "quotes", "taggings")


def selection_sql(info: TaggerInfo, where: str | None, force: bool) -> str:
    """SQL selecting the versions to re-tag; `where` is an analyst's filter on `dispatches`."""
    model, pipeline_hash = sql_literal(info.model), sql_literal(info.pipeline_hash)
    differs = (
        "TRUE"
        if force
        else f"(t.version_id IS NULL OR t.model <> {model} OR t.pipeline_hash <> {pipeline_hash})"
    )
    sql = (
        "SELECT d.dispatch_id, d.version_id, d.body, d.published_date "
        "FROM dispatches AS d LEFT JOIN taggings AS t USING (version_id) "
        f"WHERE {differs}"
    )
    if where:
        sql += f" AND ({where})"
    return sql + " ORDER BY d.published_date, d.version_id"


def plan_retag_batches(
    warehouse: Path, info: TaggerInfo, where: str | None, force: bool, staging: Path,
    batch_size: int = 500,
) -> list[Path]:
    """Write the bodies to re-tag as staged batches; returns the batch folders."""
    sql = selection_sql(info, where, force)
    try:
        check_read_only(sql)
    except QueryRefused as exc:
        raise QueryRefused(f"--where must be a filter expression on dispatches: {exc}") from exc
    con = open_warehouse(warehouse)
    try:
        reader = con.sql(sql).to_arrow_reader(batch_size)
        folders = []
        for number, batch in enumerate(reader, start=1):
            if batch.num_rows == 0:
                continue
            folder = staging / f"retag-{number:05d}"
            folder.mkdir(parents=True, exist_ok=True)
            rows = pa.Table.from_batches([batch])
            rows = rows.set_column(
                rows.schema.get_field_index("published_date"), "published_date",
                rows.column("published_date").cast(pa.date32()),
            )
            pq.write_table(rows, folder / "dispatches.parquet")
            (folder / "selection.json").write_text(json.dumps({"rows": rows.num_rows}))
            folders.append(folder)
        return folders
    finally:
        con.close()


def replace_enrichment(warehouse: Path | str, batches: list[Path], commit_id: str) -> dict[str, int]:
    """Swap the enrichment rows of the re-tagged versions for the new ones, atomically."""
    versions = pa.concat_tables(
        [pq.read_table(b / "dispatches.parquet", columns=["version_id"]) for b in batches]
    ).column("version_id")
    fresh: dict[str, pa.Table] = {}
    for name in ENRICHMENT_TABLES:
        fresh[name] = pa.concat_tables(
            [pq.read_table(b / f"{name}.parquet") for b in batches if (b / f"{name}.parquet").exists()]
            or [TABLES[name].schema.empty_table()]
        )
    storage.commit_rows(warehouse, fresh, commit_id,
                        replace={name: versions for name in ENRICHMENT_TABLES})
    return {name: rows.num_rows for name, rows in fresh.items()}

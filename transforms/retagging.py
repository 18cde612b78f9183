"""Re-tagging stored dispatches whose tagging provenance differs from the current pipeline.

Parsing is not repeated: bodies come from the `dispatches` table. The new mentions, quotes and
taggings replace the old ones of the same versions in one manifest commit, so readers see
either the old enrichment or the new, never a mix or a gap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.tables import TABLES
from transforms import stages, storage
from transforms.entities import TaggerInfo
from transforms.language_tagging import DEFAULT_LANGUAGE, expected_provenance_sql
from transforms.query import QueryRefused, check_read_only, open_warehouse

ENRICHMENT_TABLES = ("mentions", "quotes", "taggings")


def selection_sql(
    info: TaggerInfo | Mapping[str, TaggerInfo], where: str | None, force: bool
) -> str:
    """SQL selecting the versions to re-tag; `where` is an analyst's filter on `dispatches`.

    `info` is the provenance per language (a single TaggerInfo is English's): a version differs
    when its tagging is missing or was made by another model or pipeline hash than its
    language's; a language with no pipeline expects the `no_model_for_language` provenance.
    """
    infos = {DEFAULT_LANGUAGE: info} if isinstance(info, TaggerInfo) else dict(info)
    model, pipeline_hash = expected_provenance_sql(infos, "d.language")
    differs = (
        "TRUE"
        if force
        else f"(t.version_id IS NULL OR t.model <> {model} OR t.pipeline_hash <> {pipeline_hash})"
    )
    sql = (
        "SELECT d.dispatch_id, d.version_id, d.body, d.headline, d.language, d.published_date "
        "FROM dispatches AS d LEFT JOIN taggings AS t USING (version_id) "
        f"WHERE {differs}"
    )
    if where:
        sql += f" AND ({where})"
    return sql + " ORDER BY d.published_date, d.version_id"


def plan_retag_batches(
    warehouse: Path,
    info: TaggerInfo | Mapping[str, TaggerInfo],
    where: str | None,
    force: bool,
    staging: Path,
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


def replace_enrichment(
    warehouse: Path, batches: list[Path], commit_id: str, seeds_dir: Path | None = None
) -> dict[str, int]:
    """Swap the enrichment rows of the re-tagged versions for the new ones, atomically; the
    `entity_aliases` table is rebuilt from the mentions kept and the new ones."""
    versions = pa.concat_tables(
        [pq.read_table(b / "dispatches.parquet", columns=["version_id"]) for b in batches]
    ).column("version_id")
    manifest = storage.read_manifest(warehouse)
    staging = storage.staging_dir(warehouse, commit_id) / "retag"
    staged: dict[str, dict[str, Path]] = {}
    removed: dict[str, list[str]] = {}
    written: dict[str, int] = {}
    mention_parts: list[pa.Table] = []
    for name in ENRICHMENT_TABLES:
        table = TABLES[name]
        fresh = pa.concat_tables(
            [pq.read_table(b / f"{name}.parquet") for b in batches if (b / f"{name}.parquet").exists()]
            or [table.schema.empty_table()]
        )
        written[name] = fresh.num_rows
        files = storage.stage_table_files(table, fresh, staging, commit_id)
        if name == "mentions":
            mention_parts.append(_mention_facts(fresh, ""))
        for relative in manifest.files(name):
            old = pq.read_table(warehouse / relative)
            stale = pc.is_in(old.column("version_id"), versions)
            if name == "mentions":
                mention_parts.append(_mention_facts(old.filter(pc.invert(stale)), relative))
            if not pc.any(stale).as_py():
                continue
            removed.setdefault(name, []).append(relative)
            kept = old.filter(pc.invert(stale))
            if kept.num_rows:
                target = f"{Path(relative).parent}/part-{commit_id}-k{len(removed[name]):04d}.parquet"
                storage.write_parquet_durably(kept, staging / target)
                files[target] = staging / target
        staged[name] = files
    aliases, replaced = stages.entity_aliases_after(
        warehouse, pa.concat_tables(mention_parts), seeds_dir, rebuild=True
    )
    staged["entity_aliases"] = storage.stage_table_files(
        TABLES["entity_aliases"], aliases, staging, commit_id
    )
    removed["entity_aliases"] = replaced
    storage.commit(warehouse, staged, removed)
    return written


_FACT_SCHEMA = pa.schema(
    [("label", pa.string()), ("canonical", pa.string()), ("text", pa.string()),
     ("published_date", pa.date32())]
)


def _mention_facts(rows: pa.Table, relative: str) -> pa.Table:
    """The columns resolution needs; a stored file has its partition value only in its path."""
    if "published_date" not in rows.column_names:
        day = date.fromisoformat(relative.split("published_date=")[1].split("/")[0])
        rows = rows.append_column("published_date", pa.array([day] * rows.num_rows, pa.date32()))
    return rows.select(_FACT_SCHEMA.names).cast(_FACT_SCHEMA)

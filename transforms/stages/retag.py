"""Re-tagging stored dispatches whose tagging provenance differs from the current pipeline.

Parsing is not repeated: bodies come from the `dispatches` table. Which versions differ is one
SQL query (`selection_sql`), built here from the provenance each language's pipeline gives. The
new mentions, quotes and taggings replace the old ones of the same versions in one warehouse
commit, so readers see either the old enrichment or the new, never a mix or a gap (see
transforms.storage).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.tables import TABLES
from schemas.views import sql_literal
from transforms import storage
from transforms.entities.pipeline import TaggerInfo
from transforms.entities.taggers import NO_MODEL
from transforms.languages import DEFAULT_LANGUAGE, UNDETERMINED
from transforms.query import QueryRefused, check_read_only, open_warehouse
from transforms.stages.commit import entity_aliases_after, places_after

ENRICHMENT_TABLES = ("mentions", "quotes", "taggings")


def language_key_sql(column: str) -> str:
    """SQL for `tagging_language` of a language column."""
    primary = f"lower(split_part(replace(coalesce({column}, ''), '_', '-'), '-', 1))"
    return f"(CASE WHEN {primary} IN ('', '{UNDETERMINED}') THEN '{DEFAULT_LANGUAGE}' ELSE {primary} END)"


def expected_provenance_sql(infos: Mapping[str, TaggerInfo], language_column: str) -> tuple[str, str]:
    """SQL expressions for the model and pipeline hash a version in that language should carry."""
    def case(attribute: str) -> str:
        key = language_key_sql(language_column)
        whens = " ".join(
            f"WHEN {sql_literal(lang)} THEN {sql_literal(getattr(info, attribute))}"
            for lang, info in sorted(infos.items())
        )
        return f"(CASE {key} {whens} ELSE {sql_literal(getattr(NO_MODEL, attribute))} END)"

    return case("model"), case("pipeline_hash")


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
        "SELECT d.dispatch_id, d.version_id, d.body, d.headline, d.language, d.published_date, "
        # what geocoding weighs: the dateline and the agency
        "d.agency, d.dateline_place, d.dateline_country "
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
    warehouse: storage.Warehouse, batches: list[Path], commit_id: str, seeds_dir: Path | None = None
) -> dict[str, int]:
    """Swap the enrichment rows of the re-tagged versions for the new ones, atomically; the
    `entity_aliases` table is rebuilt from the mentions kept and the new ones, in the same
    commit (against the snapshot the commit is claimed on)."""
    versions = pa.concat_tables(
        [pq.read_table(b / "dispatches.parquet", columns=["version_id"]) for b in batches]
    ).column("version_id")
    fresh: dict[str, pa.Table] = {}
    for name in ENRICHMENT_TABLES:
        fresh[name] = pa.concat_tables(
            [pq.read_table(b / f"{name}.parquet") for b in batches if (b / f"{name}.parquet").exists()]
            or [TABLES[name].schema.empty_table()]
        )

    new_places = pa.concat_tables(
        [pq.read_table(b / "places.parquet") for b in batches if (b / "places.parquet").exists()]
        or [TABLES["places"].schema.empty_table()]
    )

    def with_aliases(snapshot: storage.Snapshot, rows: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
        stored = storage.read_table(warehouse, "mentions", ["version_id", *_FACT_SCHEMA.names], snapshot)
        kept = stored.filter(pc.invert(pc.is_in(stored.column("version_id"), versions)))
        mentions = pa.concat_tables([_mention_facts(rows["mentions"]), _mention_facts(kept)])
        places = {"places": places_after(warehouse, new_places, snapshot)} if new_places.num_rows else {}
        return {**rows, **places, "entity_aliases": entity_aliases_after(
            warehouse, mentions, seeds_dir, rebuild=True, snapshot=snapshot)}

    storage.commit_rows(warehouse, fresh, commit_id,
                        replace={name: versions for name in ENRICHMENT_TABLES},
                        dedupe=with_aliases, overwrite=("entity_aliases", "places"))
    return {name: rows.num_rows for name, rows in fresh.items()}


_FACT_SCHEMA = pa.schema(
    [("label", pa.string()), ("canonical", pa.string()), ("text", pa.string()),
     ("published_date", pa.date32())]
)


def _mention_facts(rows: pa.Table) -> pa.Table:
    """The columns resolution needs."""
    return rows.select(_FACT_SCHEMA.names).cast(_FACT_SCHEMA)

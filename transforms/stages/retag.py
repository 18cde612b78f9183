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

import duckdb
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
from transforms.stages.tag import TIMED_OUT

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


WHERE_TEMPLATE = "SELECT * FROM dispatches AS d WHERE {}"
WHERE_HELP = "--where takes one boolean expression on dispatches (alias d), e.g. d.agency = 'Kyodo'"
# Parts of a SELECT node that a filter expression alone leaves empty.
_EMPTY_UNLESS_INJECTED = ("group_expressions", "group_sets", "modifiers", "aggregate_handling")


def _contains_subquery(node: object) -> bool:
    if isinstance(node, dict):
        if node.get("class") == "SUBQUERY" or node.get("type") == "SUBQUERY":
            return True
        return any(_contains_subquery(value) for value in node.values())
    if isinstance(node, list):
        return any(_contains_subquery(value) for value in node)
    return False


def check_where(where: str) -> None:
    """Refuse a `--where` that is anything but one boolean expression on `dispatches`.

    DuckDB's own parser reads it as the WHERE of `SELECT * FROM dispatches AS d WHERE …`: the
    result must be exactly one plain SELECT of `dispatches` (no UNION, ORDER BY, LIMIT, GROUP
    BY, HAVING or QUALIFY carried in after the expression, no second statement), and the
    expression may not hold a subquery (which could read another table or a file).
    """
    if not where.strip():
        raise QueryRefused(f"{WHERE_HELP}; it is empty")
    sql = WHERE_TEMPLATE.format(where)
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        reason = " ".join(str(exc).split())[:200]
        raise QueryRefused(f"{WHERE_HELP}; DuckDB cannot parse it: {reason}") from exc
    if len(statements) != 1:
        raise QueryRefused(f"{WHERE_HELP}; it holds more than one statement")
    with duckdb.connect(":memory:") as con:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        raise QueryRefused(f"{WHERE_HELP}; DuckDB cannot read it as an expression")
    node = tree["statements"][0]["node"]
    source = node.get("from_table", {})
    plain = (
        node.get("type") == "SELECT_NODE"
        and not node.get("cte_map", {}).get("map")
        and source.get("type") == "BASE_TABLE" and source.get("table_name") == "dispatches"
        and source.get("alias") == "d"
        and all(not node.get(key) or node.get(key) == "STANDARD_HANDLING"
                for key in _EMPTY_UNLESS_INJECTED)
        and node.get("having") is None and node.get("qualify") is None
        and node.get("sample") is None and node.get("where_clause") is not None
    )
    if not plain:
        raise QueryRefused(f"{WHERE_HELP}; it carries more than an expression (a UNION, ORDER BY, "
                           "LIMIT, GROUP BY or the like)")
    if _contains_subquery(node["where_clause"]):
        raise QueryRefused(f"{WHERE_HELP}; subqueries are not allowed in it")


def selection_sql(
    info: TaggerInfo | Mapping[str, TaggerInfo], where: str | None, force: bool
) -> str:
    """SQL selecting the versions to re-tag; `where` is an analyst's filter on `dispatches`.

    `info` is the provenance per language (a single TaggerInfo is English's): a version differs
    when its tagging is missing or was made by another model or pipeline hash than its
    language's; a language with no pipeline expects the `no_model_for_language` provenance.
    A tagging with status `timed_out` is selected too (tagging time depends on the machine).
    """
    infos = {DEFAULT_LANGUAGE: info} if isinstance(info, TaggerInfo) else dict(info)
    model, pipeline_hash = expected_provenance_sql(infos, "d.language")
    # A tagging the time limit cut short is tried again, as if it differed.
    differs = (
        "TRUE"
        if force
        else f"(t.version_id IS NULL OR t.model <> {model} OR t.pipeline_hash <> {pipeline_hash} "
        f"OR t.status = {sql_literal(TIMED_OUT)})"
    )
    sql = (
        "SELECT d.dispatch_id, d.version_id, d.body, d.headline, d.language, d.published_date, "
        # what geocoding weighs: the dateline and the agency
        "d.agency, d.dateline_place, d.dateline_country, d.dateline_region "
        "FROM dispatches AS d LEFT JOIN taggings AS t USING (version_id) "
        f"WHERE {differs}"
    )
    if where:
        check_where(where)
        sql += f" AND ({where}\n)"  # a trailing -- comment cannot swallow the bracket
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
    sql = selection_sql(info, where, force)  # refuses a --where that is not one expression
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
    datelines = _retagged_datelines(batches)
    # Geocoding is part of tagging: a retag that gives a dateline another place (a new
    # gazetteer, alias or rule) must move `dispatches.dateline_place_id` with the mentions, or
    # the dateline and the mentions would answer from two versions of the gazetteer.
    # (Only when every re-tagged version has its new dateline place: the replaced keys are
    # shared, so a dispatch row not written back would be lost.)
    complete = bool(datelines) and set(datelines) >= set(versions.to_pylist())
    moved = complete and bool(_moved_datelines(warehouse, datelines, storage.read_snapshot(warehouse)))
    replaced = ENRICHMENT_TABLES + (("dispatches",) if moved else ())

    def with_aliases(snapshot: storage.Snapshot, rows: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
        stored = storage.read_table(warehouse, "mentions", ["version_id", *_FACT_SCHEMA.names], snapshot)
        kept = stored.filter(pc.invert(pc.is_in(stored.column("version_id"), versions)))
        mentions = pa.concat_tables([_mention_facts(rows["mentions"]), _mention_facts(kept)])
        places = {"places": places_after(warehouse, new_places, snapshot)} if new_places.num_rows else {}
        # The commit replaces every re-tagged version's dispatch row (its keys are shared by the
        # replaced tables): each is written back as stored at this snapshot, with its new place.
        dispatches = {"dispatches": _with_datelines(warehouse, datelines, snapshot)} if moved else {}
        return {**rows, **places, **dispatches, "entity_aliases": entity_aliases_after(
            warehouse, mentions, seeds_dir, rebuild=True, snapshot=snapshot)}

    storage.commit_rows(warehouse, fresh, commit_id,
                        replace={name: versions for name in replaced},
                        dedupe=with_aliases, overwrite=("entity_aliases", "places"))
    return {name: rows.num_rows for name, rows in fresh.items()}


def _retagged_datelines(batches: list[Path]) -> dict[str, str | None]:
    """version_id -> the dateline place the re-tag found (the tag stage writes it into the
    batch's selection)."""
    found: dict[str, str | None] = {}
    for batch in batches:
        staged = pq.read_table(batch / "dispatches.parquet")
        if "dateline_place_id" not in staged.column_names:
            continue
        found.update(zip(staged.column("version_id").to_pylist(),
                         staged.column("dateline_place_id").to_pylist(), strict=True))
    return found


def _stored_dispatches(warehouse: storage.Warehouse, versions: list[str], snapshot: storage.Snapshot,
                       columns: list[str] | None = None) -> pa.Table:
    table = TABLES["dispatches"]
    wanted = columns or table.column_names
    dataset = storage.pinned_dataset(warehouse, "dispatches", snapshot)
    if dataset is None:
        return table.schema.empty_table().select(wanted)
    present = [c for c in wanted if c in dataset.schema.names]
    rows = dataset.to_table(columns=present, filter=pc.field("version_id").isin(versions))
    # Files written before a column was added: the column reads as NULL.
    return pa.Table.from_arrays(
        [rows.column(c).cast(table.schema.field(c).type) if c in present
         else pa.nulls(rows.num_rows, table.schema.field(c).type) for c in wanted],
        names=wanted)


def _moved_datelines(warehouse: storage.Warehouse, datelines: Mapping[str, str | None],
                     snapshot: storage.Snapshot) -> set[str]:
    """The re-tagged versions whose stored dateline place differs from the one found now."""
    stored = _stored_dispatches(warehouse, sorted(datelines), snapshot, ["version_id", "dateline_place_id"])
    return {version for version, place in zip(stored.column("version_id").to_pylist(),
                                              stored.column("dateline_place_id").to_pylist(), strict=True)
            if datelines.get(version) != place}


def _with_datelines(warehouse: storage.Warehouse, datelines: Mapping[str, str | None],
                    snapshot: storage.Snapshot) -> pa.Table:
    stored = _stored_dispatches(warehouse, sorted(datelines), snapshot)
    ids = pa.array([datelines.get(v) for v in stored.column("version_id").to_pylist()], pa.string())
    return stored.set_column(stored.schema.get_field_index("dateline_place_id"), "dateline_place_id", ids)


_FACT_SCHEMA = pa.schema(
    [("label", pa.string()), ("canonical", pa.string()), ("text", pa.string()),
     ("published_date", pa.date32())]
)


def _mention_facts(rows: pa.Table) -> pa.Table:
    """The columns resolution needs."""
    return rows.select(_FACT_SCHEMA.names).cast(_FACT_SCHEMA)

"""The single definition of every warehouse table: its columns, partitioning and contracts.

Writers cast to these schemas; the DuckDB views and the README's table reference are generated
from them, so a column is added here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Contract:
    """Data contract checked by `transforms.contracts` after every commit (dbt-style)."""

    unique: tuple[tuple[str, ...], ...] = ()
    not_null: tuple[str, ...] = ()
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (name, DuckDB condition true for a failing row): what a row's content must not be.
    row_checks: tuple[tuple[str, str], ...] = ()


# Content hygiene of a dispatch row (issue 24), each a condition that is true for a bad row.
DISPATCH_ROW_CHECKS: tuple[tuple[str, str], ...] = (
    ("headline_not_code_word",
     r"regexp_matches(headline, '^\(?\s*(REFILE|RPT|REPEAT|UPDATE\s*\d*|CORRECTED|Achtung|Eilt?|"
     r"Vorrang|FLASH|URGENT|BULLETIN)\s*\)?[.!]?$', 'i')"
     r" OR regexp_matches(headline, '^[A-Z0-9&.]+([-/][A-Z0-9&.]+)+$')"),
    ("no_headline_warned",
     "headline IS NULL AND NOT list_contains(coalesce(parse_warnings, []), 'no_headline')"),
    ("dateline_place_not_timestamp",
     r"regexp_matches(dateline_place, '^[0-9\s:./,+TZ-]*$')"
     r" OR regexp_matches(dateline_place, '^[0-9]{4}-[0-9]{2}-[0-9]{2}')"),
    ("body_without_markup", r"regexp_matches(body, '</?(p|br|div)\b[^>]*>', 'i')"),
    ("body_without_dateline",
     "source_format IN ('iptc-7901', 'anpa-1312', 'nitf', 'newsml-g2', 'newsml-1', 'ninjs')"
     r" AND regexp_matches(body, '^\s*[A-ZÀ-Ý][^()\n]{0,60}\((AP|AFP|Reuters|dpa|APA|ANP|ANSA"
     r"|BELGA|Belga|Kyodo|NTB|TT|PA|EFE)\)\s*(--|[-–—_=:])')"),
    ("body_without_notes_to_editors",
     "body ILIKE '%nicht zur Veröffentlichung bestimmt%' OR body ILIKE '%dpa-Notizblock%'"
     " OR body ILIKE '%not for publication%'"),
    ("byline_without_by", "regexp_matches(byline, '^by\\s', 'i')"),
)


@dataclass(frozen=True)
class Table:
    name: str
    schema: pa.Schema
    description: str
    partition_by: str | None = None
    contract: Contract = field(default_factory=Contract)

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)


def _field(name: str, typ: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable, metadata={"doc": doc})


DISPATCHES = Table(
    name="dispatches",
    description="One row per distinct version of a dispatch, as parsed from its source.",
    partition_by="published_date",
    schema=pa.schema(
        [
            _field("dispatch_id", pa.string(), "Story identity, stable across versions", False),
            _field("version_id", pa.string(), "Hash of the normalised content of this version", False),
            _field("agency", pa.string(), "Canonical agency name from seeds/agencies.csv"),
            _field("dateline_place", pa.string(), "Place named in the dateline"),
            _field("dateline_country", pa.string(), "ISO 3166-1 alpha-2 code of the dateline place"),
            _field("published_at", UTC_TS,
                   "The item's own time (UTC); else the dateline's day at the file's time", False),
            _field("headline", pa.string(), "Headline with slugs kept as sent"),
            _field("byline", pa.string(), "Byline without the leading 'By'"),
            _field("editor_note", pa.string(), "Editor's note such as 'Recasts, adds quotes'"),
            _field("body", pa.string(), "Body text, NFC, without dateline, END or copyright", False),
            _field("copyright", pa.string(), "Copyright notice as sent"),
            _field("language", pa.string(), "BCP 47 language tag"),
            _field("word_count", pa.int32(), "Whitespace-separated words in the body", False),
            _field("source_uri", pa.string(), "File, or archive!member, the dispatch came from", False),
            _field("source_format", pa.string(), "Reader that parsed it", False),
            _field("raw_sha256", pa.string(), "SHA-256 of the raw bytes of the item", False),
            _field("story_version", pa.int32(), "Version number the source gave, if any"),
            _field("pub_status", pa.string(), "usable, withheld or canceled", False),
            _field("embargo_until", UTC_TS, "Not to be used before this time"),
            _field("signal", pa.string(), "update, correction or kill, when the source says so"),
            _field("ingested_at", UTC_TS, "When this row was written", False),
            _field("run_id", pa.string(), "Run that wrote this row", False),
            _field("parser_version", pa.string(), "Parser release that produced the row", False),
            _field("published_date", pa.date32(), "Partition key: date of published_at", False),
            _field("dateline_date", pa.date32(), "Local day the dateline names, if it names one"),
            _field("parse_warnings", pa.list_(pa.string()),
                   "What was missing or guessed: no_dateline, no_headline, headline_only, "
                   "date_from_file_time, language_detected"),
            _field("story_id", pa.string(),
                   "Story (near-duplicate cluster of versions, agencies and rewrites; README: Stories)"),
            _field("dateline_place_id", pa.string(),
                   "The dateline's place in `places` (NULL: no dateline, or not resolved)"),
            _field("dateline_region", pa.string(),
                   "State, province or country written after the dateline's place ('Maine', "
                   "'Ore.', 'B.C.'), which geocoding weighs"),
        ]
    ),
    contract=Contract(
        unique=(("version_id",),),
        not_null=("dispatch_id", "version_id", "published_at", "body", "source_uri"),
        accepted_values={
            "pub_status": ("usable", "withheld", "canceled"),
            "signal": ("update", "correction", "kill"),
        },
        row_checks=DISPATCH_ROW_CHECKS,
    ),
)

MENTIONS = Table(
    name="mentions",
    description="One row per entity mention; body (or headline, by `field`)[start_char:end_char] = text.",
    partition_by="published_date",
    schema=pa.schema(
        [
            _field("dispatch_id", pa.string(), "Dispatch the mention is in", False),
            _field("version_id", pa.string(), "Version of the dispatch", False),
            _field("mention_id", pa.string(), "version_id and character offsets, hashed", False),
            _field("text", pa.string(), "Mention text exactly as in its field", False),
            _field("label", pa.string(), "Entity label (see README: labels)", False),
            _field("start_char", pa.int32(), "Offset of the first character in its field", False),
            _field("end_char", pa.int32(), "Offset after the last character in its field", False),
            _field("sentence_index", pa.int32(), "Zero-based sentence number in its field", False),
            _field("canonical", pa.string(), "Canonical name within the dispatch", False),
            _field("model", pa.string(), "spaCy pipeline name and version", False),
            _field("pipeline_hash", pa.string(), "Hash of gazetteer patterns and aliases", False),
            _field("run_id", pa.string(), "Run that wrote this row", False),
            _field("published_date", pa.date32(), "Partition key, as in dispatches", False),
            _field("field", pa.string(),
                   "body or headline: the text the offsets point into (NULL in older rows: body)"),
            _field("place_id", pa.string(),
                   "GPE/LOC/NORP: the place in `places` it names (NULL: see place_reason)"),
            _field("place_reason", pa.string(),
                   "Why a GPE/LOC/NORP mention has no place_id (not_in_gazetteer, part_of_name, "
                   "ambiguous_demonym, physical_feature, ...); NULL when it has one"),
        ]
    ),
    contract=Contract(
        unique=(("mention_id",),),
        accepted_values={"field": ("body", "headline")},
        not_null=("dispatch_id", "version_id", "mention_id", "text", "label"),
    ),
)

QUOTES = Table(
    name="quotes",
    description="One row per quotation in a body, with its speaker where attributable.",
    partition_by="published_date",
    schema=pa.schema(
        [
            _field("dispatch_id", pa.string(), "Dispatch the quote is in", False),
            _field("version_id", pa.string(), "Version of the dispatch", False),
            _field("quote_id", pa.string(), "version_id and offsets, hashed", False),
            _field("text", pa.string(), "Quoted words, without the quotation marks", False),
            _field("speaker", pa.string(), "Canonical name of the speaker, if attributable"),
            _field("start_char", pa.int32(), "Offset of the first quoted character in body", False),
            _field("end_char", pa.int32(), "Offset after the last quoted character", False),
            _field("model", pa.string(), "spaCy pipeline name and version", False),
            _field("pipeline_hash", pa.string(), "Hash of gazetteer patterns and aliases", False),
            _field("run_id", pa.string(), "Run that wrote this row", False),
            _field("published_date", pa.date32(), "Partition key, as in dispatches", False),
        ]
    ),
    contract=Contract(unique=(("quote_id",),), not_null=("quote_id", "text")),
)

TAGGINGS = Table(
    name="taggings",
    description="Provenance: which pipeline tagged each dispatch version, and what it found.",
    partition_by="published_date",
    schema=pa.schema(
        [
            _field("dispatch_id", pa.string(), "Dispatch that was tagged", False),
            _field("version_id", pa.string(), "Version that was tagged", False),
            _field("model", pa.string(), "spaCy pipeline name and version", False),
            _field("pipeline_hash", pa.string(), "Hash of components, gazetteer patterns and aliases", False),
            _field("mentions", pa.int32(), "Mentions found", False),
            _field("quotes", pa.int32(), "Quotes found", False),
            _field("run_id", pa.string(), "Run that tagged it", False),
            _field("tagged_at", UTC_TS, "When it was tagged", False),
            _field("published_date", pa.date32(), "Partition key, as in dispatches", False),
            _field("status", pa.string(),
                   "tagged, no_model_for_language (retag tags it once a model is configured), "
                   "truncated (a body over the tagging limit: tagged in its first part only), or "
                   "timed_out (the per-dispatch time limit ran out: tagged in its first part only; "
                   "retag tries again)"),
        ]
    ),
    contract=Contract(
        unique=(("version_id",),),
        not_null=("version_id", "model", "pipeline_hash"),
        accepted_values={"status": ("tagged", "no_model_for_language", "truncated", "timed_out")},
    ),
)

QUARANTINE = Table(
    name="quarantine",
    description="Input that could not be ingested, with the reason.",
    schema=pa.schema(
        [
            _field("source_uri", pa.string(), "File, or archive!member, that was refused", False),
            _field("reason", pa.string(), "Short machine-readable reason", False),
            _field("detail", pa.string(), "Human-readable explanation", False),
            _field("raw_sha256", pa.string(), "SHA-256 of the refused bytes, when read"),
            _field("run_id", pa.string(), "Run that refused it", False),
            _field("detected_at", UTC_TS, "When it was refused", False),
            _field(
                "parser_version", pa.string(),
                "Parser that refused it: package, registry fingerprint and reader, e.g. "
                "`wirehouse 0.1.0; formats 1f3a9c0e; xml/1` (NULL: refused before this was recorded)",
            ),
        ]
    ),
    contract=Contract(not_null=("source_uri", "reason", "run_id")),
)

RUNS = Table(
    name="runs",
    description="One row per run of a flow, with its counts.",
    schema=pa.schema(
        [
            _field("run_id", pa.string(), "Run identifier", False),
            _field("flow", pa.string(), "nightly, backfill, retag or compact", False),
            _field("started_at", UTC_TS, "Start time", False),
            _field("finished_at", UTC_TS, "End time"),
            _field("files_seen", pa.int64(), "Files found under the source", False),
            _field("files_ingested", pa.int64(), "Files not seen before that were read", False),
            _field("dispatches_written", pa.int64(), "New dispatch rows", False),
            _field("mentions_written", pa.int64(), "New mention rows", False),
            _field("quarantined", pa.int64(), "New quarantine rows", False),
            _field("status", pa.string(), "completed or failed", False),
            _field(
                "files_deferred", pa.int64(),
                "Files left for a later run: still being written (or NULL: run before this count)",
            ),
        ]
    ),
    contract=Contract(
        unique=(("run_id",),),
        not_null=("run_id", "flow", "status"),
        accepted_values={"status": ("completed", "failed")},
    ),
)

INGESTED_FILES = Table(
    name="ingested_files",
    description="Ledger of every source file already read, by content hash.",
    schema=pa.schema(
        [
            _field("file_sha256", pa.string(), "SHA-256 of the whole file", False),
            _field("source_uri", pa.string(), "Where the file was found", False),
            _field("dispatches", pa.int64(), "Dispatches read from it", False),
            _field("rejected", pa.int64(), "Items from it sent to quarantine", False),
            _field("run_id", pa.string(), "Run that read it", False),
            _field("ingested_at", UTC_TS, "When it was read", False),
        ]
    ),
    contract=Contract(unique=(("file_sha256",),), not_null=("file_sha256", "run_id")),
)

ENTITY_ALIASES = Table(
    name="entity_aliases",
    description=(
        "Cross-warehouse entity resolution, kept at every commit from the new mentions "
        "(README: entity resolution)."
    ),
    schema=pa.schema(
        [
            _field("rule", pa.string(), "form, abbreviation, full_name or surname", False),
            _field("label", pa.string(), "Label of the mentions this row is about", False),
            _field("name", pa.string(), "Name as in mentions.canonical (abbreviation: as written)", False),
            _field("seen_on", pa.date32(), "Day (full_name, surname rows); null for the others"),
            _field("canonical", pa.string(), "Warehouse-wide name it resolves to; null if none"),
            _field("canonical_label", pa.string(), "Label of the entity it resolves to"),
            _field("mentions", pa.int64(), "Mentions counted as evidence", False),
        ]
    ),
    contract=Contract(
        unique=(("rule", "label", "name", "seen_on", "canonical"),),
        not_null=("rule", "label", "name", "mentions"),
        accepted_values={"rule": ("abbreviation", "form", "full_name", "surname")},
    ),
)

STORY_SKETCHES = Table(
    name="story_sketches",
    description=(
        "The sketch index stories are assigned against: one row per dispatch version, written "
        "in the same commit as the version (README: Stories)."
    ),
    partition_by="published_date",
    schema=pa.schema(
        [
            _field("version_id", pa.string(), "Dispatch version", False),
            _field("story_id", pa.string(), "Story the version was assigned to", False),
            _field("published_at", UTC_TS, "The version's published_at", False),
            _field("body_key", pa.string(), "transforms.identity.body_key of the body; null for a flash"),
            _field("signature", pa.binary(), "MinHash of the body's word 5-shingles; empty for a flash",
                   False),
            _field("lede", pa.string(), "Normalised headline and first words, for flashes to match"),
            _field("published_date", pa.date32(), "Partition key: date of published_at", False),
            _field("agency", pa.string(), "The version's agency, for other agencies' takes to match"),
            _field("key_terms", pa.list_(pa.string()),
                   "Names and figures of the body, for other agencies' takes to match"),
        ]
    ),
    contract=Contract(unique=(("version_id",),), not_null=("version_id", "story_id")),
)

PLACES = Table(
    name="places",
    description="One row per place a dateline or mention resolved to (README: geocoding).",
    schema=pa.schema(
        [
            _field("place_id", pa.string(),
                   "geonames:<geonameid>, or iso3166-2:<code> for a region without one", False),
            _field("geonameid", pa.int64(), "GeoNames id (NULL for a non-US first-level region)"),
            _field("name", pa.string(), "GeoNames name (ISO 3166-2 name for a region without id)", False),
            _field("country_code", pa.string(), "ISO 3166-1 alpha-2 code", False),
            _field("admin1", pa.string(),
                   "First-level region: GeoNames admin1 code of a city, US state code, "
                   "or the region's ISO 3166-2 code"),
            _field("latitude", pa.float64(), "WGS84 latitude (cities only)"),
            _field("longitude", pa.float64(), "WGS84 longitude (cities only)"),
            _field("feature", pa.string(), "country, region or city", False),
        ]
    ),
    contract=Contract(
        unique=(("place_id",),),
        not_null=("place_id", "name", "country_code", "feature"),
        accepted_values={"feature": ("country", "region", "city")},
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        DISPATCHES, MENTIONS, QUOTES, TAGGINGS, QUARANTINE, RUNS, INGESTED_FILES, ENTITY_ALIASES,
        STORY_SKETCHES,
        PLACES,
    )
}

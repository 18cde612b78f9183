"""The tag stage: a batch's staged dispatches tagged, each by the pipeline for its language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from spacy.language import Language

from transforms import storage
from transforms.entities.body_cache import BodyCache
from transforms.entities.headline_mentions import confirmed_headline_mentions
from transforms.entities.labels import ours
from transforms.entities.taggers import NO_MODEL_STATUS, TAGGED, Taggers, as_taggers, tagging_language
from transforms.entities.tagging import headlines_needing_model, tag_bodies, tag_within
from transforms.geocoding.place_index import load_gazetteer
from transforms.geocoding.step import geocode_dispatch, place_row
from transforms.records import BatchCounts
from transforms.rows import mention_rows, quote_rows, tagging_row
from transforms.stages.batches import stage_rows
from transforms.stages.timings import TIMINGS_FILE, StageClock

# The most characters of one body handed to the model. A dispatch longer than this (a 50 MB
# one-line file is legal input) is kept whole in `dispatches`, tagged in its first
# MAX_TAG_CHARS characters only, cut at a space, and its tagging says `truncated`, so a retag
# with a larger limit can return to it; tagging time grows with the text, so this bounds the
# time one item can hold its batch too.
MAX_TAG_CHARS = 200_000
TRUNCATED = "truncated"

# The most seconds the model spends on one dispatch. Size alone does not bound time (a loaded
# machine, a slow component, text the model finds hard), so a body longer than TIMED_PIECE_CHARS
# is tagged a piece at a time, the clock read between pieces; past TAG_SECONDS it is kept whole,
# tagged in the pieces done, and its tagging says `timed_out`: `wirehouse retag` (no options)
# returns to it, since a second try, on a quieter machine, may finish. Shorter bodies are one
# piece: spaCy cannot stop inside a document, so a piece bounds how long a check can wait.
# Measured on a loaded 2-core machine (load average 12): the configured en_core_web_sm pipeline
# took 5.9 s for one 50,000-character piece and 16.4 s for the 200,000 characters of
# MAX_TAG_CHARS in such pieces, so the limit is reached only far beyond that.
TAG_SECONDS = 60.0
TIMED_PIECE_CHARS = 50_000
TIMED_OUT = "timed_out"


def text_for_model(body: str, max_chars: int = MAX_TAG_CHARS) -> tuple[str, bool]:
    """The prefix of `body` the model sees (offsets into it are offsets into `body`), and
    whether it was cut."""
    if len(body) <= max_chars:
        return body, False
    cut = body.rfind(" ", max_chars // 2, max_chars)
    return body[: cut if cut > 0 else max_chars], True


def tag_batch(
    batch: Path,
    nlp: Language | Taggers,
    run_id: str,
    n_process: int = 1,
    max_chars: int = MAX_TAG_CHARS,
    *,
    cache: BodyCache | None = None,
    clock: StageClock | None = None,
    max_seconds: float = TAG_SECONDS,
    piece_chars: int = TIMED_PIECE_CHARS,
) -> BatchCounts:
    """Tag the staged dispatches of a batch, each by the pipeline for its language only, body
    and headline; writes staged mention, quote and tagging rows. A dispatch in a language with
    no pipeline gets no mentions and a `no_model_for_language` tagging.

    Geocoding follows tagging, dispatch by dispatch: mention rows get `place_id` and
    `place_reason`, the staged dispatches their `dateline_place_id`, and the places used are
    staged for the `places` table. With a `cache`, each identical text is tagged once and its
    results copied (exact, see `entities.body_cache`). With a `clock`, the seconds per stage are
    added to it and written beside the batch's rows (`timings.json`) for the flow to add up.

    Each body is bounded: by size (`max_chars`, status `truncated`) and, past `piece_chars`, by
    time (`max_seconds`, status `timed_out`), so no dispatch holds its batch for longer."""
    taggers = as_taggers(nlp)
    report_to_flow = clock is not None
    clock = clock if clock is not None else StageClock()
    with clock.stage("read staged"):
        parsed = _rows_to_tag(batch / "dispatches.parquet")
    with clock.stage("geocoding: gazetteer load"):
        gazetteer = load_gazetteer(taggers.seeds_dir_for_geocoding())
    places: dict[str, dict] = {}
    dateline_ids: dict[str, str | None] = {}
    tagged_at = datetime.now(UTC)
    mentions: list[dict] = []
    quotes: list[dict] = []
    taggings: list[dict] = []
    by_language: dict[str, list[dict]] = {}
    for row in parsed:
        by_language.setdefault(tagging_language(row.get("language")), []).append(row)
    for language, rows in sorted(by_language.items()):
        model = taggers.nlp_for(language)
        info = taggers.info_for(language)
        if model is None:
            taggings += [tagging_row(row, info, 0, 0, run_id, tagged_at, NO_MODEL_STATUS) for row in rows]
            for row in rows:  # no mentions, but the dateline still has a place
                dateline_ids[row["version_id"]], used = geocode_dispatch(gazetteer, row, [])
                places.update((place.place_id, place_row(place)) for place in used)
            continue
        prefixes = [text_for_model(row["body"] or "", max_chars) for row in rows]
        titled = [row for row in rows if row.get("headline")]
        with clock.stage("model"):
            # Short bodies together (batched, cached); a long one alone, against the clock.
            short = [text for text, _cut in prefixes if len(text) <= piece_chars]
            tagged_short = iter(_tagged(model, info.pipeline_hash, short, cache, n_process=n_process))
            in_body = []
            for text, cut in prefixes:
                if len(text) <= piece_chars:
                    in_body.append((*next(tagged_short), TRUNCATED if cut else TAGGED))
                    continue
                spans, quoted, reached = tag_within(model, text, max_seconds, piece_chars)
                status = TIMED_OUT if reached < len(text) else TRUNCATED if cut else TAGGED
                in_body.append((spans, quoted, status))
            in_body = [(ours(spans), quoted, status) for spans, quoted, status in in_body]
            body_of = {row["version_id"]: spans for row, (spans, _, _) in zip(rows, in_body, strict=True)}
            # Only the headlines where a mention could be kept go through the model (exact).
            needed = headlines_needing_model(
                model, [row["headline"] for row in titled], [body_of[row["version_id"]] for row in titled]
            )
            titled = [row for row, need in zip(titled, needed, strict=True) if need]
            headlines = _tagged(model, info.pipeline_hash, [row["headline"] for row in titled], cache)
        in_headline = {row["version_id"]: spans for row, (spans, _) in zip(titled, headlines, strict=True)}
        with clock.stage("rows"):
            for row, (spans, quoted, status) in zip(rows, in_body, strict=True):
                headline_spans = confirmed_headline_mentions(
                    ours(in_headline.get(row["version_id"], [])), spans
                )
                found = mention_rows(row, spans, info.model, info.pipeline_hash, run_id)
                found += mention_rows(
                    row, headline_spans, info.model, info.pipeline_hash, run_id, field="headline"
                )
                dateline_ids[row["version_id"]], used = geocode_dispatch(gazetteer, row, found)
                places.update((place.place_id, place_row(place)) for place in used)
                mentions += found
                quotes += quote_rows(row, quoted, info.model, info.pipeline_hash, run_id)
                taggings.append(tagging_row(
                    row, info, len(spans) + len(headline_spans), len(quoted), run_id, tagged_at, status,
                ))
    # The staged dispatches and places first: a tag stage that died before its mentions and
    # taggings were staged runs again from the start.
    with clock.stage("write staged"):
        _stage_dateline_places(batch / "dispatches.parquet", dateline_ids)
        stage_rows("places", [places[key] for key in sorted(places)], batch / "places.parquet")
        stage_rows("mentions", mentions, batch / "mentions.parquet")
        stage_rows("quotes", quotes, batch / "quotes.parquet")
        stage_rows("taggings", taggings, batch / "taggings.parquet")
    if report_to_flow and not storage.is_remote_path(batch):
        clock.write(batch / TIMINGS_FILE)
    return BatchCounts(mentions=len(mentions), quotes=len(quotes))


def _stage_dateline_places(path: Path, dateline_ids: dict[str, str | None]) -> None:
    """Rewrite the staged dispatches with their `dateline_place_id` (a retag batch's selection
    gets it too; the retag commit only reads its version ids)."""
    staged = storage.read_staged(path)
    if staged is None:
        return
    ids = pa.array([dateline_ids.get(v) for v in staged.column("version_id").to_pylist()], pa.string())
    if "dateline_place_id" in staged.column_names:
        staged = staged.drop_columns(["dateline_place_id"])
    storage.write_parquet_durably(staged.append_column("dateline_place_id", ids), path)


def _tagged(model: Language, pipeline_hash: str, texts: list[str], cache: BodyCache | None,
            **options) -> list:
    if cache is None:
        return list(tag_bodies(model, texts, **options))
    return cache.tag(model, pipeline_hash, texts, **options)


def _rows_to_tag(path: Path) -> list[dict]:
    """What tagging needs of each staged dispatch; batches staged before headlines and
    languages were tagged lack those columns, and read as None."""
    wanted = [
        "dispatch_id", "version_id", "body", "headline", "language", "published_date",
        "agency", "dateline_place", "dateline_country", "dateline_region",
    ]
    staged = storage.read_staged(path)
    if staged is None:
        raise FileNotFoundError(path)
    rows = staged.select([c for c in wanted if c in staged.column_names]).to_pylist()
    return [{name: row.get(name) for name in wanted} for row in rows]

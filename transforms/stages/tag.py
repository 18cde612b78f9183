"""The tag stage: a batch's staged dispatches tagged, each by the pipeline for its language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from spacy.language import Language

from transforms import storage
from transforms.entities.body_cache import BodyCache
from transforms.entities.headline_mentions import confirmed_headline_mentions
from transforms.entities.labels import ours
from transforms.entities.taggers import NO_MODEL_STATUS, TAGGED, Taggers, as_taggers, tagging_language
from transforms.entities.tagging import tag_bodies
from transforms.records import BatchCounts
from transforms.rows import mention_rows, quote_rows, tagging_row
from transforms.stages.batches import stage_rows
from transforms.stages.timings import TIMINGS_FILE, StageClock


def tag_batch(
    batch: Path,
    nlp: Language | Taggers,
    run_id: str,
    n_process: int = 1,
    *,
    cache: BodyCache | None = None,
    clock: StageClock | None = None,
) -> BatchCounts:
    """Tag the staged dispatches of a batch, each by the pipeline for its language only, body
    and headline; writes staged mention, quote and tagging rows. A dispatch in a language with
    no pipeline gets no mentions and a `no_model_for_language` tagging.

    With a `cache`, each identical text is tagged once and its results copied (exact, see
    `entities.body_cache`). With a `clock`, the seconds per stage are added to it and written
    beside the batch's rows (`timings.json`) for the flow to add up.
    """
    taggers = as_taggers(nlp)
    report_to_flow = clock is not None
    clock = clock if clock is not None else StageClock()
    with clock.stage("read staged"):
        parsed = _rows_to_tag(batch / "dispatches.parquet")
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
            continue
        titled = [row for row in rows if row.get("headline")]
        with clock.stage("model"):
            in_body = _tagged(model, info.pipeline_hash, [row["body"] for row in rows], cache,
                              n_process=n_process)
            headlines = _tagged(model, info.pipeline_hash, [row["headline"] for row in titled], cache)
        in_headline = {row["version_id"]: spans for row, (spans, _) in zip(titled, headlines, strict=True)}
        with clock.stage("rows"):
            mentions, quotes, taggings = _rows_of(
                rows, in_body, in_headline, info, run_id, tagged_at, mentions, quotes, taggings
            )
    with clock.stage("write staged"):
        stage_rows("mentions", mentions, batch / "mentions.parquet")
        stage_rows("quotes", quotes, batch / "quotes.parquet")
        stage_rows("taggings", taggings, batch / "taggings.parquet")
    if report_to_flow and not storage.is_remote_path(batch):
        clock.write(batch / TIMINGS_FILE)
    return BatchCounts(mentions=len(mentions), quotes=len(quotes))


def _tagged(model: Language, pipeline_hash: str, texts: list[str], cache: BodyCache | None,
            **options) -> list:
    if cache is None:
        return list(tag_bodies(model, texts, **options))
    return cache.tag(model, pipeline_hash, texts, **options)


def _rows_of(rows, in_body, in_headline, info, run_id, tagged_at, mentions, quotes, taggings):
    """The mention, quote and tagging rows of tagged dispatches, appended to the lists given."""
    for row, (spans, quoted) in zip(rows, in_body, strict=True):
        spans = ours(spans)
        headline_spans = confirmed_headline_mentions(
            ours(in_headline.get(row["version_id"], [])), spans
        )
        mentions += mention_rows(row, spans, info.model, info.pipeline_hash, run_id)
        mentions += mention_rows(
            row, headline_spans, info.model, info.pipeline_hash, run_id, field="headline"
        )
        quotes += quote_rows(row, quoted, info.model, info.pipeline_hash, run_id)
        taggings.append(tagging_row(
            row, info, len(spans) + len(headline_spans), len(quoted), run_id, tagged_at, TAGGED
        ))
    return mentions, quotes, taggings



def _rows_to_tag(path: Path) -> list[dict]:
    """What tagging needs of each staged dispatch; batches staged before headlines and
    languages were tagged lack those columns, and read as None."""
    wanted = ["dispatch_id", "version_id", "body", "headline", "language", "published_date"]
    staged = storage.read_staged(path)
    if staged is None:
        raise FileNotFoundError(path)
    rows = staged.select([c for c in wanted if c in staged.column_names]).to_pylist()
    return [{name: row.get(name) for name in wanted} for row in rows]

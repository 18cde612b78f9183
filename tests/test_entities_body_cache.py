"""Tagging each identical body once changes no mention (issue 25)."""

from __future__ import annotations

import gc
import shutil
import tracemalloc
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.language import Language

from transforms import stages
from transforms.entities.body_cache import BodyCache, pack, unpack
from transforms.entities.body_cache import _key as cache_key
from transforms.entities.pipeline import add_components
from transforms.entities.taggers import Taggers
from transforms.entities.tagging import tag_bodies
from transforms.identity import body_key
from transforms.records import MentionSpan, QuoteSpan

BODIES = [
    "TOKYO (Kyodo) -- Officials of Reuters met Kyodo News in Tokyo, Reuters said.",
    "Reuters and Kyodo News agreed on prices.",
    "TOKYO (Kyodo) -- Officials of Reuters met Kyodo News in Tokyo, Reuters said.",
    # Same body key (whitespace aside), different offsets: must be tagged on its own.
    "TOKYO  (Kyodo)  --  Officials of Reuters met Kyodo News in Tokyo,\nReuters said.",
    "Reuters and Kyodo News agreed on prices.",
    "",
]


def rules() -> Language:
    return add_components(spacy.blank("en"))


def test_cached_results_equal_tagging_every_body() -> None:
    nlp = rules()
    expected = list(tag_bodies(nlp, BODIES))
    assert any(mentions for mentions, _ in expected), "the fixture must have mentions to compare"
    cache = BodyCache()
    assert cache.tag(nlp, "hash-1", BODIES) == expected
    assert (cache.counts.tagged, cache.counts.copied) == (4, 2)
    # A later batch copies every body it has seen, and still gets the same results.
    assert cache.tag(nlp, "hash-1", list(reversed(BODIES))) == list(reversed(expected))
    assert (cache.counts.tagged, cache.counts.copied) == (4, 8)


def test_whitespace_variants_keep_their_own_offsets() -> None:
    assert body_key(BODIES[0]) == body_key(BODIES[3])
    nlp = rules()
    cache = BodyCache()
    cache.tag(nlp, "hash-1", [BODIES[0]])
    [(mentions, _)] = cache.tag(nlp, "hash-1", [BODIES[3]])
    assert mentions == next(tag_bodies(nlp, [BODIES[3]]))[0]
    for mention in mentions:
        assert BODIES[3][mention.start_char:mention.end_char] == mention.text


def test_another_pipeline_is_not_served_from_the_cache() -> None:
    cache = BodyCache()
    cache.tag(rules(), "with-rules", BODIES[:1])
    plain = spacy.blank("en")
    [(mentions, _)] = cache.tag(plain, "plain", BODIES[:1])
    assert mentions == [] and cache.counts.tagged == 2


def test_the_cache_stays_within_its_size() -> None:
    cache = BodyCache(max_bodies=2)
    cache.tag(rules(), "h", [f"Reuters story {n}." for n in range(5)])
    assert len(cache) == 2


def _batch_with_repeats(folder: Path) -> Path:
    folder.mkdir(parents=True)
    rows = [
        {"dispatch_id": f"d{n}", "version_id": f"v{n}", "body": body, "headline": f"Reuters {n % 2}",
         "language": "en", "published_date": date(2026, 1, 5)}
        for n, body in enumerate(BODIES)
    ]
    pq.write_table(pa.Table.from_pylist(rows), folder / "dispatches.parquet")
    return folder


def _staged(folder: Path, table: str) -> list[dict]:
    return pq.read_table(folder / f"{table}.parquet").drop_columns(["run_id"]).to_pylist()


def test_a_batch_gets_identical_rows_with_and_without_the_cache(tmp_path: Path) -> None:
    plain = _batch_with_repeats(tmp_path / "plain")
    cached = tmp_path / "cached"
    shutil.copytree(plain, cached)
    taggers = Taggers({"en": rules()})
    stages.tag_batch(plain, taggers, "run-1")
    cache = BodyCache()
    stages.tag_batch(cached, taggers, "run-1", cache=cache)
    assert cache.counts.copied > 0
    for table in ("mentions", "quotes"):
        assert _staged(cached, table) == _staged(plain, table)
    assert len(_staged(plain, "mentions")) > 0


@pytest.mark.slow
def test_the_real_model_gives_identical_mentions_on_the_synthetic_archive(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from synthetic_archive import generate, read_bodies

    from transforms.entities import load_tagger

    generate(tmp_path / "archive", 400, 2, 1987)
    bodies = read_bodies(tmp_path / "archive")
    nlp = load_tagger()
    expected = list(tag_bodies(nlp, bodies))
    cache = BodyCache()
    half = len(bodies) // 2
    got = cache.tag(nlp, "h", bodies[:half]) + cache.tag(nlp, "h", bodies[half:])
    assert cache.counts.copied > 0, "the archive must repeat some bodies"
    assert got == expected


_texts = st.text(max_size=40)
_mentions = st.builds(MentionSpan, text=_texts, label=st.sampled_from(["PERSON", "ORG", "GPE"]),
                      start_char=st.integers(0, 10**6), end_char=st.integers(0, 10**6),
                      sentence_index=st.integers(0, 500), canonical=_texts)
_quotes = st.builds(QuoteSpan, text=_texts, start_char=st.integers(0, 10**6),
                    end_char=st.integers(0, 10**6), speaker=st.none() | _texts)


@settings(max_examples=200, deadline=None)
@given(st.lists(_mentions, max_size=30), st.lists(_quotes, max_size=5))
def test_a_packed_entry_unpacks_to_equal_records(mentions, quotes) -> None:
    assert unpack(pack((mentions, quotes))) == (mentions, quotes)


def test_a_full_cache_stays_small() -> None:
    """Entries are kept packed: a body of 13 mentions and a quote, as in our synthetic archive,
    costs under 1.5 KB (kept as records it cost ~6.5 KB, a full cache ~130 MB)."""
    cache = BodyCache(max_bodies=2_000)
    gc.collect()
    tracemalloc.start()
    try:
        for number in range(2_000):
            body = f"Body {number}: " + " ".join(f"Name{k} Person{number}" for k in range(13))
            mentions = [MentionSpan(f"Name{k} Person{number}", "PERSON", 10 + 20 * k, 28 + 20 * k, k // 5,
                                    f"Name{k} Person{number}") for k in range(13)]
            quotes = [QuoteSpan(f"We agreed, said Person{number}", 5, 33, f"Name0 Person{number}")]
            cache._remember(cache_key("hash-1", body), (mentions, quotes))
            del mentions, quotes
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(cache) == 2_000
    assert held / 2_000 < 1_500

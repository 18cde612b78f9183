"""The stories step's shortcuts (issue 25: a backfill's commits made cheaper) against the long
way each replaces: the same story for every version and the same sketch rows, or a nightly run
and a backfill, or two releases, would cluster differently."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.tables import TABLES
from transforms.stories.clustering import (
    _DATELINE,
    _DIGIT,
    _NOT_KEY_TERMS,
    _SENTENCE_BREAK,
    _TERM,
    TAKE_MIN_JACCARD,
    TAKE_MIN_SHARED,
    TAKE_WINDOW,
    Sketch,
    StoryInput,
    _TermIndex,
    key_terms,
)
from transforms.stories.sketch_index import sketch_rows, sketches_from_table

_START = datetime(2026, 3, 1, tzinfo=UTC)
# Few terms, few agencies and times within a day and a half: takes match often, and as often
# fall just outside the window or the thresholds.
_TERMS = ["lima", "peru", "2026", "copper", "strike", "mine", "las", "bambas"]
_AGENCIES = ["Reuters", "Kyodo News", "dpa", None]


def take_by_the_rule(item: StoryInput, terms: tuple[str, ...], added: list[Sketch]) -> str | None:
    """The take rule read straight from the module's docstring, over every version added: the
    bodied version of another agency within TAKE_WINDOW sharing the most key terms (Jaccard at
    least TAKE_MIN_JACCARD, TAKE_MIN_SHARED in common; ties: earliest, then smallest id)."""
    if not item.agency or len(terms) < TAKE_MIN_SHARED:
        return None
    best: tuple[float, datetime, str] | None = None
    chosen = None
    for other in added:
        if not other.signature or not other.agency or other.agency == item.agency:
            continue
        if abs(other.published_at - item.published_at) > TAKE_WINDOW:
            continue
        shared = len(set(terms) & set(other.key_terms))
        score = shared / (len(terms) + len(other.key_terms) - shared)
        if shared < TAKE_MIN_SHARED or score < TAKE_MIN_JACCARD:
            continue
        rank = (-score, other.published_at, other.version_id)
        if best is None or rank < best:
            best, chosen = rank, other.story_id
    return chosen


_moments = st.integers(min_value=0, max_value=36 * 60).map(lambda m: _START + timedelta(minutes=m))
_key_terms = st.sets(st.sampled_from(_TERMS)).map(lambda terms: tuple(sorted(terms)))
_steps = st.lists(
    st.tuples(st.sampled_from(["add", "look up"]), st.sampled_from(_AGENCIES), _moments, _key_terms,
              st.booleans()),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_steps)
def test_term_index_finds_the_take_the_rule_finds(steps):
    # The index posts versions only at the first lookup that could match one (never, in a
    # one-agency run) and answers None at once while every version is of the asker's agency:
    # it must answer as the rule applied to every version added so far, whatever the order.
    index, added, by_version = _TermIndex(), [], {}
    for number, (step, agency, moment, terms, bodied) in enumerate(steps):
        version = f"v{number:02d}"
        if step == "add":
            sketch = Sketch(version, f"story-{version}", moment, f"body-{version}" if bodied else None,
                            b"minhash" if bodied else b"", "", agency, terms)
            index.add(sketch)
            added.append(sketch)
            by_version[version] = sketch
        else:
            item = StoryInput(version, moment, None, "a body", agency)
            assert index.closest_story(item, terms, by_version) == take_by_the_rule(item, terms, added)


def sketch_rows_the_long_way(sketches: list[Sketch]) -> pa.Table:
    """The rows as they were built before: a dict per sketch, then Table.from_pylist."""
    rows = [
        {"version_id": s.version_id, "story_id": s.story_id, "published_at": s.published_at,
         "body_key": s.body_key, "signature": s.signature, "lede": s.lede,
         "published_date": s.published_at.date(), "agency": s.agency, "key_terms": list(s.key_terms)}
        for s in sketches
    ]
    return pa.Table.from_pylist(rows, schema=TABLES["story_sketches"].schema)


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


_texts = st.text(max_size=12)
_sketch_lists = st.lists(
    st.builds(
        Sketch,
        version_id=st.text(min_size=1, max_size=12),
        story_id=st.text(min_size=1, max_size=12),
        published_at=st.datetimes(timezones=st.just(UTC)),
        body_key=st.none() | _texts,
        signature=st.binary(max_size=16),
        lede=_texts,
        agency=st.none() | _texts,
        key_terms=st.lists(_texts, max_size=4).map(tuple),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(_sketch_lists)
def test_sketch_rows_are_the_rows_of_a_dict_per_sketch_and_read_back_whole(sketches):
    # Built column by column now: the same bytes as the dict-per-row table, and read back
    # (also column by column) into the very same sketches.
    table = sketch_rows(sketches)
    assert _ipc_bytes(table) == _ipc_bytes(sketch_rows_the_long_way(sketches))
    assert sketches_from_table(table) == sketches


def key_terms_the_long_way(body: str) -> tuple[str, ...]:
    """key_terms as first written: every token of every sentence tested in turn, stripped of
    end punctuation, its position in the sentence counted."""
    text = unicodedata.normalize("NFKC", body).strip()
    opening = _DATELINE.match(text)
    if opening:
        text = text[opening.end():]
    found: set[str] = set()
    for sentence in _SENTENCE_BREAK.split(text):
        for position, token in enumerate(_TERM.findall(sentence)):
            token = token.strip(".,:'\u2019-")
            if not token:
                continue
            if _DIGIT.search(token):
                found.add(token.replace(",", "").casefold())
            elif position > 0 and token[0].isupper() and token.casefold() not in _NOT_KEY_TERMS:
                found.add(token.casefold())
    return tuple(sorted(found))


# Wire-like words (capitalised, common, figures with separators, non-ASCII digits and cases)
# joined by what breaks or does not break a sentence.
_WORDS = ["Lima", "lima", "The", "the", "May", "may", "Reuters", "U.S.", "1,250.5", "3.4%", "٣٤",
          "2026", "ÉTÉ", "straße", "İstanbul", "don't", "O'Neil", "’s", "-", "--", "—", "Müller",
          "ﬁnance", "x", "A", "(Reuters)", "LIMA,", "_", "12:30", "-5", "'98"]
_GAPS = [" ", " ", " ", ". ", "? ", "! ", "\" ", "\u201d ", "\n", "\n\n", ", ", " - ", ".", "  "]
_bodies = st.one_of(
    st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_GAPS)), max_size=60).map(
        lambda pairs: "".join(word + gap for word, gap in pairs)),
    st.text(max_size=300),
)


@settings(max_examples=400, deadline=None)
@given(_bodies)
def test_key_terms_are_the_long_way_s(body):
    assert key_terms(body) == key_terms_the_long_way(body)


def test_key_terms_are_the_long_way_s_on_the_labelled_bodies():
    labelled = (Path(__file__).parent / "corpus" / "stories" / "dispatches.jsonl").read_text(
        encoding="utf-8").splitlines()
    bodies = [json.loads(line)["body"] or "" for line in labelled if line.strip()]
    assert len(bodies) > 100 and any(key_terms(body) for body in bodies)
    for body in bodies:
        assert key_terms(body) == key_terms_the_long_way(body), body[:80]

"""The stories step's shortcuts (issue 25: a backfill's commits made cheaper) against the long
way each replaces: the same story for every version and the same sketch rows, or a nightly run
and a backfill, or two releases, would cluster differently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.tables import TABLES
from transforms.stories.clustering import (
    TAKE_MIN_JACCARD,
    TAKE_MIN_SHARED,
    TAKE_WINDOW,
    Sketch,
    StoryInput,
    _TermIndex,
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

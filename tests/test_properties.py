"""Property: whatever text becomes a body, every mention and quote slices it exactly.

The tagger is `spacy.blank("en")` with a sentencizer and, when the project provides them
(`transforms.entities.add_components`), its own tokenizer rule, gazetteer and cleanup
components, so no trained model is needed. A second pipeline has a tiny `max_length`, so that
bodies go through the long-body path (tagged in pieces, offsets shifted back).
"""

from __future__ import annotations

import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms import entities
from transforms.entities import tag_bodies


def _pipeline(max_length: int | None = None):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    add_components = getattr(entities, "add_components", None)
    if add_components is not None:
        add_components(nlp)
    if max_length is not None:
        nlp.max_length = max_length
    return nlp


NLP = _pipeline()
SMALL = _pipeline(max_length=120)

# Words the gazetteer and the quote finder react to, wire furniture, odd whitespace and
# punctuation, mixed with arbitrary text (any code point, surrogates aside).
_PIECES = st.sampled_from([
    "Kyodo", "Jiji Press", "Reuters", "Ministry of Defense", "Self-Defense Forces", "NATO",
    "Emmanuel Macron", "U.S.", "U.S.-Japan", "(Jiji Press)–Japanese", "Tomahawk", "said",
    "told reporters", " ", "  ", "\n", "\n\n", "\t", ". ", ", ", "\"", "“", "”", "‘", "’", "'",
    "«", "»", "—", "–", "-", "(", ")", "[Copyright Kyodo News]", "END", "\u00a0", "\u200b",
    "é", "e\u0301", "東京", "🙂", "\r\n",
])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=60).map("".join)


def _check(body: str, mentions, quotes) -> None:
    previous = -1
    for mention in mentions:
        assert 0 <= mention.start_char < mention.end_char <= len(body), mention
        assert body[mention.start_char : mention.end_char] == mention.text, mention
        assert mention.sentence_index >= 0
        assert mention.label
    for index in sorted(range(len(mentions)), key=lambda i: mentions[i].start_char):
        assert mentions[index].sentence_index >= previous
        previous = mentions[index].sentence_index
    for quote in quotes:
        assert 0 <= quote.start_char <= quote.end_char <= len(body), quote
        assert body[quote.start_char : quote.end_char] == quote.text, quote


_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.lists(_TEXT, min_size=1, max_size=4))
def test_mentions_and_quotes_slice_the_body(bodies: list[str]) -> None:
    for body, (mentions, quotes) in zip(bodies, tag_bodies(NLP, bodies), strict=True):
        _check(body, mentions, quotes)


@_SETTINGS
@given(st.lists(_TEXT, min_size=1, max_size=4))
def test_bodies_longer_than_max_length_are_split_not_refused(bodies: list[str]) -> None:
    for body, (mentions, quotes) in zip(bodies, tag_bodies(SMALL, bodies), strict=True):
        _check(body, mentions, quotes)


@_SETTINGS
@given(_TEXT, st.integers(min_value=1, max_value=50))
def test_split_for_model_pieces_are_contiguous_and_bounded(text: str, limit: int) -> None:
    split = getattr(entities, "split_for_model", None)
    if split is None:
        return
    pieces = split(text, limit)
    assert "".join(piece for _, piece in pieces) == text
    offset = 0
    for start, piece in pieces:
        assert start == offset and len(piece) <= limit
        offset += len(piece)

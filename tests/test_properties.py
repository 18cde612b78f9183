"""Property: whatever text becomes a body, every mention and quote slices it exactly.

The tagger is `spacy.blank("en")` with a sentencizer and the project's own tokenizer rule,
gazetteer and cleanup components (`transforms.entities.pipeline.add_components`), so no trained model is
needed. A second pipeline has a tiny `max_length`, and the bodies given to it are generated
longer than that, so that every one goes through the long-body path (tagged in pieces, offsets
shifted back).
"""

from __future__ import annotations

import re

import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.entities.pipeline import add_components
from transforms.entities.tagging import split_for_model, tag_bodies


def _pipeline(max_length: int | None = None):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
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
# Past SMALL's max_length at least twice over: three or more pieces each.
_LONG_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=8)), min_size=120, max_size=240).map(
    "".join).filter(lambda text: len(text) > 3 * SMALL.max_length)


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


# Long bodies cost more each: fewer examples, still every one through the long-body path.
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(_LONG_TEXT, min_size=1, max_size=3))
def test_bodies_longer_than_max_length_are_split_not_refused(bodies: list[str]) -> None:
    assert all(len(body) > SMALL.max_length for body in bodies)
    for body, (mentions, quotes) in zip(bodies, tag_bodies(SMALL, bodies), strict=True):
        _check(body, mentions, quotes)


def test_mentions_of_later_pieces_land_at_their_place_in_the_whole_body() -> None:
    sentence = "Officials of the Ministry of Defense told Kyodo about Tomahawk orders. "
    body = sentence * 12
    assert len(body) > 5 * SMALL.max_length
    [(mentions, _quotes)] = list(tag_bodies(SMALL, [body]))
    expected = sorted(
        (match.start(), name)
        for name in ("Ministry of Defense", "Kyodo", "Tomahawk")
        for match in re.finditer(re.escape(name), body)
    )
    assert sorted((m.start_char, m.text) for m in mentions) == expected
    assert max(m.start_char for m in mentions) > 4 * SMALL.max_length
    assert [m.sentence_index for m in mentions] == sorted(m.sentence_index for m in mentions)
    assert mentions[-1].sentence_index == 11


@_SETTINGS
@given(_TEXT, st.integers(min_value=1, max_value=50))
def test_split_for_model_pieces_are_contiguous_and_bounded(text: str, limit: int) -> None:
    pieces = split_for_model(text, limit)
    assert "".join(piece for _, piece in pieces) == text
    offset = 0
    for start, piece in pieces:
        assert start == offset and len(piece) <= limit
        offset += len(piece)


@given(st.text(max_size=200), st.lists(st.sampled_from([" ", "\n", "\t", "  ", "\r\n"]), max_size=5))
def test_body_key_ignores_whitespace_only(body: str, spaces: list[str]) -> None:
    from transforms.identity import body_key

    respaced = "".join(spaces) + "\n".join(body.split(" ")) + "".join(spaces)
    assert body_key(respaced) == body_key(body)
    assert body_key(body + " x") != body_key(body)

"""The invariants the entity pipeline's cost cuts rely on (issue 22, cost): each shortcut must give
exactly what the long way gives. Blank English pipeline, no trained model."""

from __future__ import annotations

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.language import Language
from spacy.matcher import Matcher

from seeds import default_seeds_dir
from transforms.entities import cleanup as cleanup_module
from transforms.entities.cleanup import CLEANUP
from transforms.entities.gazetteer import GAZETTEER, load_patterns, required_words
from transforms.entities.not_names import is_not_a_name
from transforms.entities.pipeline import add_components
from transforms.entities.token_ids import TokenIds


@pytest.fixture(scope="module")
def nlp() -> Language:
    return add_components(spacy.blank("en"))


# --- the gazetteer runs its token matcher only on texts holding a required word ---------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ([{"ORTH": "AP"}], {"AP"}),
        ([{"IS_TITLE": True}, {"ORTH": "District"}, {"ORTH": "Court"}], {"District"}),
        ([{"SHAPE": "dxx"}, {"ORTH": {"IN": ["Fleet", "Army"]}}], {"Fleet", "Army"}),
        ([{"TEXT": "Leopard"}, {"TEXT": {"REGEX": r"^\d[A-Z]$"}}], {"Leopard"}),
        ([{"ORTH": "the", "OP": "?"}, {"ORTH": "Ministry", "OP": "+"}], {"Ministry"}),
        # Tokens that may be absent or match other words cannot be required.
        ([{"ORTH": "the", "OP": "?"}, {"IS_TITLE": True}], None),
        ([{"ORTH": "Fleet", "OP": "*"}, {"LOWER": "army"}], None),
        ([{"ORTH": "Fleet", "OP": "!"}, {"IS_TITLE": True}], None),
        ([{"ORTH": {"NOT_IN": ["Fleet"]}}], None),
        ([{"TEXT": {"REGEX": "^Missile-\\d$"}}], None),
    ],
)
def test_required_words_of_a_token_pattern(pattern: list[dict], expected: set[str] | None) -> None:
    assert required_words(pattern) == (None if expected is None else frozenset(expected))


TEXTS = [
    "The 7th Fleet and the 82nd Airborne Division moved, AP reported.",
    "Ministry of the Interior officials met the Tokyo District Court.",
    "Leopard 2A6 tanks, Standard Missile-3 Block IIA and Type 10 tanks.",
    "Nothing here names a fleet, a ministry or a court.",
    "",
]


def test_token_matches_are_those_of_a_full_matcher_run(nlp: Language) -> None:
    gazetteer = nlp.get_pipe(GAZETTEER)
    full = Matcher(nlp.vocab)
    for entry in load_patterns(default_seeds_dir() / "gazetteer"):
        if not isinstance(entry["pattern"], str):
            full.add(entry["label"], [entry["pattern"]])
    found = 0
    for text in TEXTS:
        doc = nlp.make_doc(text)
        expected = [(s.start, s.end, s.label_) for s in full(doc, as_spans=True)]
        assert [(s.start, s.end, s.label_) for s in gazetteer._token_matches(doc)] == expected
        found += len(expected)
    assert found >= 6  # the texts do hold matches, so the comparison means something


def test_a_pattern_without_a_required_word_runs_on_every_text() -> None:
    nlp = spacy.blank("en")
    gazetteer = nlp.add_pipe(GAZETTEER)
    gazetteer.add_patterns([
        {"label": "AGENCY", "pattern": [{"ORTH": "AP"}]},
        {"label": "ORG", "pattern": [{"LOWER": "acme"}, {"LOWER": "corp"}]},
    ])
    assert [(e.text, e.label_) for e in nlp("Acme Corp said so.").ents] == [("Acme Corp", "ORG")]


# --- the cleanup reads token ids once and remembers is_not_a_name per span's words ----------

WORDS = [
    ("Avg", "shrs"), ("Net",), ("Co", "Inc"), ("Texaco", "Inc"), ("Bank", "of", "Japan"),
    ("treasury",), ("P",), ("U.S.", "Dlrs"), ("Aug/Sept",), ("Group", "of", "Seven"), ("the",),
    ("Shohei", "Ohtani"), ("BA",), ("U.S.",), ("Net", "Holdings", "Inc"),
]


def test_remembered_not_a_name_answers_are_the_rules_answers(
    nlp: Language, monkeypatch: pytest.MonkeyPatch
) -> None:
    cleanup = nlp.get_pipe(CLEANUP)
    cleanup._not_a_name.clear()
    expected = [is_not_a_name(words, cleanup.not_names) for words in WORDS]
    assert any(expected) and not all(expected)
    for _round in range(2):  # first answers computed, then remembered
        assert [cleanup._is_not_a_name(words) for words in WORDS] == expected
    # The memory is bounded: cleared when full, and the answers stay right across clears.
    monkeypatch.setattr(cleanup_module, "_WORDS_CACHE_SIZE", 5)
    cleanup._not_a_name.clear()
    for _round in range(2):
        assert [cleanup._is_not_a_name(words) for words in WORDS] == expected
        assert len(cleanup._not_a_name) <= 5


BLANK = spacy.blank("en")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab1 .\n\t-(", max_size=60))
def test_token_ids_text_and_line_breaks_are_the_docs(text: str) -> None:
    doc = BLANK(text)
    tokens = TokenIds(doc)
    assert tokens.text() == doc.text == text
    assert tokens.line_breaks() == text.count("\n")
    assert tokens.orths == [t.orth for t in doc]
    assert tokens.lower_set == {t.lower for t in doc}


# --- a process's first bodies are tokenized once outside the memory zone ----------------------


def test_the_first_bodies_words_outlive_the_memory_zone_and_later_ones_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tokenizer's cache keeps only what it held before a zone; the words of a process's
    first `PERMANENT_CACHE_BODIES` bodies are made permanent, later ones stay in their zone."""
    from transforms.entities import tagging

    monkeypatch.setattr(tagging, "PERMANENT_CACHE_BODIES", 2)
    nlp = add_components(spacy.blank("en"))
    bodies = ["Zorblax met Quimby.", "Frandolin spoke.", "Wexmoor replied."]
    assert len(list(tagging.tag_bodies(nlp, bodies, zone_size=256))) == 3
    assert {"Zorblax", "Quimby", "Frandolin"} <= {*nlp.vocab.strings}
    assert "Wexmoor" not in nlp.vocab.strings  # the zone still frees what came after
    list(tagging.tag_bodies(nlp, ["Oxtrindle waved."], zone_size=256))
    assert "Oxtrindle" not in nlp.vocab.strings  # the budget is per pipeline, spent once


def test_mentions_are_the_same_with_the_words_cached_permanently_or_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.stand_in import stand_in_pipeline
    from transforms.entities import tagging

    spans = [("PERSON", "Kenji Tanaka"), ("GPE", "Osaka"), ("ORG", "Nippon Steel")]
    bodies = [
        "OSAKA, March 3 (Kyodo) - Kenji Tanaka of Nippon Steel said on Monday it would buy U.S.-based "
        "rivals.\n\nTanaka, 54, told reporters in Osaka: \"We will grow.\"",
        "Nippon Steel shares rose 3.2 pct to 1,204 yen (Tokyo close).",
        "Kenji Tanaka's plan - the third since 2019 - was approved in Osaka.",
    ] * 3
    results = {}
    for budget in (0, 4):
        monkeypatch.setattr(tagging, "PERMANENT_CACHE_BODIES", budget)
        nlp = stand_in_pipeline(spans)
        results[budget] = list(tagging.tag_bodies(nlp, bodies, zone_size=2))
    assert any(mentions for mentions, _ in results[0])
    assert results[4] == results[0]

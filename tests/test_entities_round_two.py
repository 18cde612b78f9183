"""Issue 22, round two, on text of our own: the longest name wins over a gazetteer match, clubs
named by a city are organisations in sport, and operation or region names are not persons.

Where the trained model matters, a stand-in (an entity ruler named "ner") tags spans the way the
small model does, so the wirehouse components see what they really receive."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from transforms.entities.pipeline import add_components
from transforms.entities.tagging import tag_bodies
from transforms.records import MentionSpan


def tag(nlp: Language, body: str) -> list[MentionSpan]:
    [(mentions, _quotes)] = list(tag_bodies(nlp, [body]))
    return mentions


def found(nlp: Language, body: str) -> set[tuple[str, str]]:
    return {(m.text, m.label) for m in tag(nlp, body)}


@pytest.fixture(scope="module")
def gazetteer_only() -> Language:
    return add_components(spacy.blank("en"))


# --- the longest name wins over a gazetteer match ---------------------------------------------


def test_a_committee_of_a_listed_body_is_one_name_with_its_country(gazetteer_only: Language) -> None:
    body = "Senator Ann Kessel, who chairs the U.S. Senate Banking Committee, spoke on Monday."
    assert found(gazetteer_only, body) == {("U.S. Senate Banking Committee", "GOV_BODY")}


def test_words_joined_by_and_belong_to_the_name(gazetteer_only: Language) -> None:
    body = "The Senate Ways and Means Subcommittee met for an hour."
    assert found(gazetteer_only, body) == {("Senate Ways and Means Subcommittee", "GOV_BODY")}


def test_a_listed_commission_takes_the_place_before_it(gazetteer_only: Language) -> None:
    body = "The Korea Fair Trade Commission fined the two shipyards."
    assert found(gazetteer_only, body) == {("Korea Fair Trade Commission", "GOV_BODY")}


@pytest.mark.parametrize(
    "body",
    [
        "Senate Majority Leader Ann Kessel said the bill would pass.",  # a title, no head word
        "The Senate's Banking Committee chairman spoke.",  # a possessive ends the name
        "The Senate-backed Review Committee met.",  # a glued affix ends the name
        "The Senate voted. Committee members left.",  # a sentence ends the name
    ],
)
def test_without_a_head_word_in_the_same_run_the_match_stays_as_listed(
    gazetteer_only: Language, body: str
) -> None:
    assert ("Senate", "GOV_BODY") in found(gazetteer_only, body)


def test_a_place_before_a_body_without_a_head_word_stays_its_own(gazetteer_only: Language) -> None:
    # The LABELS.md convention: "U.S. | Defense Department".
    texts = {text for text, _ in found(gazetteer_only, "The U.S. Defense Department said so.")}
    assert "U.S. Defense Department" not in texts

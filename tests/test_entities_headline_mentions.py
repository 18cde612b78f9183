"""Headline mentions are kept only when the body confirms them (or the gazetteer found them)."""

from __future__ import annotations

from transforms.entities.headline_mentions import confirmed_headline_mentions
from transforms.records import MentionSpan


def m(text: str, label: str, canonical: str | None = None, start: int = 0) -> MentionSpan:
    return MentionSpan(text, label, start, start + len(text), 0, canonical or text)


BODY = [m("Kenta Ishiyama", "PERSON"), m("Grosseto", "GPE"), m("ECB", "GOV_BODY",
                                                                "European Central Bank")]


def test_title_case_guesses_are_dropped_and_confirmed_names_take_the_bodys_identity() -> None:
    headline = [m("Ishiyama Says", "PERSON"), m("Boost Missile Output", "ORG"),
                m("Ishiyama", "ORG", start=3), m("Grosseto", "ORG"),
                m("European Central Bank's", "ORG")]
    kept = confirmed_headline_mentions(headline, BODY)
    assert [(k.text, k.label, k.canonical) for k in kept] == [
        ("Ishiyama", "PERSON", "Kenta Ishiyama"),
        ("Grosseto", "GPE", "Grosseto"),
        ("European Central Bank's", "GOV_BODY", "European Central Bank"),
    ]
    assert kept[0].start_char == 3, "offsets stay the headline's"


def test_a_flash_keeps_only_gazetteer_mentions() -> None:
    headline = [m("Reuters", "AGENCY"), m("Tokyo", "GPE")]
    assert [k.text for k in confirmed_headline_mentions(headline, [])] == ["Reuters"]

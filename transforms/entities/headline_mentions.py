"""Which entities found in a headline are kept: those the body confirms.

Headlines are written in Title Case, and the small models take capitalised words for names
("Boost Missile Output" as ORG, "Ishiyama Says" as PERSON). A headline mention is therefore kept
only when the body names the same entity (same text or canonical name, or the surname of a person
it names), taking the body's label and canonical name, or when our gazetteer found it (agencies,
government bodies, forces, weapons: patterns, not guesses). A headline with no body (a flash)
keeps only the gazetteer's mentions.
"""

from __future__ import annotations

import dataclasses

from transforms.entities.labels import DOMAIN_LABELS
from transforms.records import MentionSpan

_POSSESSIVES = ("'s", "’s", "'", "’")


def _key(text: str) -> str:
    text = " ".join(text.split()).casefold()
    for ending in _POSSESSIVES:
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


def _body_names(body: list[MentionSpan]) -> dict[str, tuple[str, str]]:
    """key -> (label, canonical) for every way the body names an entity."""
    names: dict[str, tuple[str, str]] = {}
    for mention in body:
        found = (mention.label, mention.canonical)
        names.setdefault(_key(mention.text), found)
        names.setdefault(_key(mention.canonical), found)
    for mention in body:
        words = mention.canonical.split()
        if mention.label == "PERSON" and len(words) > 1:
            names.setdefault(_key(words[-1]), (mention.label, mention.canonical))
    return names


def confirmed_headline_mentions(
    headline: list[MentionSpan], body: list[MentionSpan]
) -> list[MentionSpan]:
    names = _body_names(body)
    kept = []
    for mention in headline:
        confirmed = names.get(_key(mention.text))
        if confirmed is not None:
            label, canonical = confirmed
            kept.append(dataclasses.replace(mention, label=label, canonical=canonical))
        elif mention.label in DOMAIN_LABELS:
            kept.append(mention)
    return kept

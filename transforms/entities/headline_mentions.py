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

from transforms.entities.canonical import alias_key
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


# --- which headlines the model need not see ------------------------------------------------------
#
# A headline mention is kept only if (a) its text, as `_key` writes it, is a name of the body
# (`_body_names`), or (b) its label is a domain label. A mention's text is a slice of the
# headline, and `_key` only collapses whitespace, casefolds character by character and cuts an
# ending, so (a) needs one of the body's keys inside the headline's own `_key` form. A domain label
# comes only from the gazetteer (a span it found) or from a curated alias with that label, looked
# up by `alias_key` of a slice of the mention's text (the cleanup's labels for clubs, operations
# and places are not domain labels, and the trained NER does not know ours). So a headline with
# none of these three gets no mention whatever the model says: it is not run on it. The test
# compares against the model run on every headline.


def body_name_keys(body: list[MentionSpan]) -> frozenset[str]:
    """The keys a headline mention must equal to be confirmed by this body."""
    return frozenset(_body_names(body))


def may_keep_a_mention(
    headline: str, body_keys: frozenset[str], domain_alias_keys: frozenset[str]
) -> bool:
    """False only when no mention of `headline` can be kept (rules (a) and the alias part of (b)
    above; the gazetteer's part is in `transforms.entities.tagging.headlines_needing_model`)."""
    folded = " ".join(headline.split()).casefold()
    if any(key in folded for key in body_keys):
        return True
    if domain_alias_keys:
        aliased = alias_key(headline)
        return any(key in aliased for key in domain_alias_keys)
    return False

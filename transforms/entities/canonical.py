"""Canonical names and one label per entity within a single dispatch.

Pure functions, no spaCy: the tagger hands over the mentions of one dispatch in document order
and gets back, for each, the canonical name and the label after the document-level vote.

Decisions an analyst can rely on:

* Span text is never changed here; a mention keeps its exact text and offsets. The tagger's
  cleanup step already trims a trailing possessive (``’s``, ``'s``, a bare ``’``) and a leading
  article ``the`` *from the span itself*, so ``Takaichi’s remarks`` yields the mention
  ``Takaichi`` whose offsets slice the body to exactly that. `surface_form` repeats the trimming
  for canonical names so that a mention produced elsewhere (the bare model) gets the same result.
* Canonical names use the ASCII apostrophe (``People's Liberation Army``) so that typographic
  and straight spellings count as one entity.
* Aliases (``seeds/aliases.csv``: alias,canonical,label) are applied when a dispatch is tagged,
  and the alias table is part of the tagger's pipeline hash: editing it marks every stored
  mention for re-tagging. An alias also fixes the label (it is curated knowledge).
* A shorter name resolves to a longer PERSON name in the same dispatch when its words are the
  start or the end of that name (``Koizumi`` -> ``Shinjiro Koizumi``, ``Xi`` -> ``Xi Jinping``),
  preferring the nearest earlier full name and falling back to a single later one.
  Organisations resolve the same way by leading words (``Toyota`` -> ``Toyota Motor Corp.``),
  except an acronym ("EC" is not "EC Commission").
* An all-capitals name ("LONDON" in a dateline, "TEXACO" in a table header) takes the ordinary
  spelling of the same name elsewhere in the dispatch, else that of a place in
  ``seeds/places.csv``; otherwise it stays as written (acronyms such as "EC" or "AT&T").
* US state and common place abbreviations (``seeds/place_abbreviations.csv``: "Calif." ->
  "California") are aliases with the label GPE; a row of ``aliases.csv`` for the same key wins.
* The label vote runs over groups of mentions that share a canonical name or a surface form,
  so one string never carries two labels in one dispatch. Gazetteer and alias labels win;
  otherwise the majority wins, and a tie goes to the mention written in full.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# A short name of one of these labels may resolve to a PERSON: the small model often tags a
# lone surname as ORG or NORP. Places are left out ("Washington" is not George Washington).
_PERSON_SHORT_LABELS = frozenset(
    {"PERSON", "ORG", "NORP", "PRODUCT", "WORK_OF_ART", "FAC", "EVENT"}
)
# A place resolves to a person only by surname: "Osaka" after "Naomi Osaka" is the player.
_PLACE_LABELS = frozenset({"GPE", "LOC"})
_ORG_LABELS = frozenset({"ORG", "GOV_BODY", "MILITARY", "AGENCY"})

_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:'s|')$")
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Dr|Prof)\.?\s+")
_WEAPON_PLURAL = re.compile(r"(?<=\d)s$")
_PREFECTURE = re.compile(r"\s+[Pp]refecture$")
# "The" belongs to these names; everything else loses a leading article.
_NAMES_WITH_THE = frozenset(
    {"hague", "gambia", "bahamas", "new york times", "washington post", "economist", "times",
     "guardian", "wall street journal", "japan times", "straits times"}
)


@dataclass(frozen=True)
class Alias:
    canonical: str
    label: str


@dataclass(frozen=True)
class MentionInput:
    """What resolution needs to know about a mention; `authoritative` = from the gazetteer."""

    text: str
    label: str
    authoritative: bool = False


@dataclass(frozen=True)
class Resolution:
    canonical: str
    label: str


def normalise_spacing(text: str) -> str:
    """One space between words and ASCII apostrophes, so spellings compare equal."""
    if "\u2019" in text or "\u2018" in text:
        text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def strip_article(text: str) -> str:
    rest = _LEADING_THE.sub("", text, count=1)
    return text if rest.lower() in _NAMES_WITH_THE else rest


def surface_form(text: str, label: str) -> str:
    """The name written in a mention without article, possessive, honorific or plural digit-s."""
    surface = normalise_spacing(text)
    # Cheap tests before each regex: this runs for every mention of every dispatch.
    if surface[:4].lower() == "the ":
        surface = strip_article(surface)
    if surface.endswith("'") or surface.endswith("'s"):
        surface = _POSSESSIVE.sub("", surface).strip()
    if label == "PERSON":
        surface = _HONORIFIC.sub("", surface)
    elif label == "WEAPON":
        surface = _WEAPON_PLURAL.sub("", surface)
    elif label == "GPE":
        surface = _PREFECTURE.sub("", surface)
    return surface or normalise_spacing(text)


def alias_key(text: str) -> str:
    return normalise_spacing(text).casefold()


def alias_table(rows: Iterable[Sequence[str]]) -> dict[str, Alias]:
    """Alias lookup keyed by `alias_key`; later rows win, which is how a seeds edit overrides."""
    return {alias_key(alias): Alias(canonical, label) for alias, canonical, label in rows}


def read_alias_rows(path: Path) -> list[list[str]]:
    """Rows of seeds/aliases.csv (header alias,canonical,label), stripped, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return [
            [row["alias"].strip(), row["canonical"].strip(), row["label"].strip()]
            for row in reader
            if row.get("alias") and row.get("canonical") and row.get("label")
        ]


def read_place_abbreviation_rows(path: Path) -> list[list[str]]:
    """seeds/place_abbreviations.csv (header abbreviation,place) as alias rows labelled GPE."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            [row["abbreviation"].strip(), row["place"].strip(), "GPE"]
            for row in csv.DictReader(handle)
            if row.get("abbreviation") and row.get("place")
        ]


def read_place_names(path: Path) -> list[str]:
    """The place names of seeds/places.csv, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["place"].strip() for row in csv.DictReader(handle) if row.get("place")]


def is_all_capitals(text: str) -> bool:
    """ "LONDON", "TEXACO INC", and acronyms too ("EC"): callers fold only to a spelling seen."""
    return text.isupper() and sum(ch.isalpha() for ch in text) > 1


def case_folded(surfaces: Sequence[str], places: Mapping[str, str]) -> list[str]:
    """All-capitals surfaces in their ordinary spelling from the same dispatch, else from
    `places` (casefolded name -> spelling); others unchanged."""
    if not any(is_all_capitals(s) for s in surfaces):
        return list(surfaces)
    ordinary = {s.casefold(): s for s in surfaces if not is_all_capitals(s)}
    return [
        ordinary.get(s.casefold()) or places.get(s.casefold()) or s if is_all_capitals(s) else s
        for s in surfaces
    ]


def resolve_mentions(
    mentions: Sequence[MentionInput],
    aliases: Mapping[str, Alias],
    places: Mapping[str, str] | None = None,
) -> list[Resolution]:
    """Canonical name and voted label for each mention, in the order given."""
    surfaces = case_folded([surface_form(m.text, m.label) for m in mentions], places or {})
    keys = [s.casefold() for s in surfaces]  # = alias_key(s): surfaces are normalised
    own = [
        _own_resolution(m.label, surface, key, aliases)
        for m, surface, key in zip(mentions, surfaces, keys, strict=True)
    ]
    words = [s.split() for s in surfaces]
    persons = [i for i, m in enumerate(mentions) if m.label == "PERSON" and len(words[i]) > 1]
    orgs = [i for i, m in enumerate(mentions) if m.label in _ORG_LABELS and len(words[i]) > 1]
    resolved: list[tuple[str, str, bool]] = []
    for i, mention in enumerate(mentions):
        canonical, label, fixed = own[i]
        if not fixed and not mention.authoritative:
            person = _person_for(i, label, words, persons)
            if person is not None:
                canonical, label = own[person][0], "PERSON"
            elif label in _ORG_LABELS and not surfaces[i].isupper():
                # An acronym is not the first word of a longer name ("EC" in "EC Commission").
                same_label = [j for j in orgs if mentions[j].label == label]
                org = _longer_name(i, words, same_label, part="prefix")
                if org is not None:
                    canonical = own[org][0]
        resolved.append((canonical, label, fixed or mention.authoritative))
    return _vote(resolved, keys, surfaces)


def _own_resolution(
    label: str, surface: str, key: str, aliases: Mapping[str, Alias]
) -> tuple[str, str, bool]:
    alias = aliases.get(key)
    if alias is not None:
        return alias.canonical, alias.label, True
    return surface, label, False


def _person_for(
    index: int, label: str, words: Sequence[list[str]], persons: Sequence[int]
) -> int | None:
    if label in _PERSON_SHORT_LABELS:
        return _longer_name(index, words, persons, part="either")
    if label in _PLACE_LABELS:
        return _longer_name(index, words, persons, part="suffix")
    return None


def _is_part_of(short: list[str], full: list[str], part: str) -> bool:
    """`short` is the first words (part="prefix"), the last ("suffix") or either of `full`."""
    if not 0 < len(short) < len(full):
        return False
    is_prefix = part != "suffix" and full[: len(short)] == short
    return is_prefix or (part != "prefix" and full[-len(short) :] == short)


def _longer_name(
    index: int, words: Sequence[list[str]], candidates: Sequence[int], *, part: str
) -> int | None:
    """The nearest earlier full name containing this short one, else a single later one."""
    short = words[index]
    fitting = [j for j in candidates if _is_part_of(short, words[j], part)]
    earlier = [j for j in fitting if j < index]
    if earlier:
        return earlier[-1]
    later = {" ".join(words[j]): j for j in fitting if j > index}
    return next(iter(later.values())) if len(later) == 1 else None


def _vote(
    resolved: Sequence[tuple[str, str, bool]], keys: Sequence[str], surfaces: Sequence[str]
) -> list[Resolution]:
    roots = _roots(resolved, keys)
    groups: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        groups.setdefault(root, []).append(i)
    labels = {root: _winning_label(members, resolved, surfaces) for root, members in groups.items()}
    return [Resolution(canonical, labels[roots[i]]) for i, (canonical, _, _) in enumerate(resolved)]


def _winning_label(
    members: Sequence[int], resolved: Sequence[tuple[str, str, bool]], surfaces: Sequence[str]
) -> str:
    labels = {resolved[i][1] for i in members}
    if len(labels) == 1:
        return labels.pop()
    fixed = [resolved[i][1] for i in members if resolved[i][2]]
    if fixed:
        return Counter(fixed).most_common(1)[0][0]
    # A name the model once read as a person in full ("Marcello Cuttitta") stays a person,
    # however often its bare surname was taken for an organisation: a vote of short mentions
    # must not flip a person.
    if "PERSON" in labels and any(
        resolved[i][1] == "PERSON" and len(surfaces[i].split()) > 1 for i in members
    ):
        return "PERSON"
    counts = Counter(resolved[i][1] for i in members)
    best = max(counts.values())
    tied = {label for label, count in counts.items() if count == best}
    if len(tied) == 1:
        return tied.pop()
    written_in_full = [i for i in members if surfaces[i] == resolved[i][0]]
    for i in written_in_full + list(members):
        if resolved[i][1] in tied:
            return resolved[i][1]
    return resolved[members[0]][1]


def _roots(resolved: Sequence[tuple[str, str, bool]], keys: Sequence[str]) -> list[int]:
    """Union of mentions sharing a canonical name or a surface key; root = first member."""
    parent = list(range(len(resolved)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by: dict[tuple[str, str], int] = {}
    for i, (canonical, _, _) in enumerate(resolved):
        for key in (("canonical", canonical), ("surface", keys[i])):
            j = first_by.setdefault(key, i)
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(resolved))]

"""Teams named by a place: an organisation in sport, the place elsewhere.

"Barcelona 2 Real Madrid 1", "Colorado beat Detroit 4-2", "Barcelona striker Ronaldo": the
small model reads such clubs as the city (GPE), a person or not at all. In a sport text (one
that holds a `sport_word` of `seeds/name_cues.csv`: league, goals, innings, hockey, ...; a
result verb alone is not enough, "Houston beat Colorado on office rents") a name is a *team*:

* on a result: two names each followed by one score ("Chelsea 2 Arsenal 1", also several on a
  line: "Orlando 111 Boston 98, Houston 96 Utah 101"), or two names around a dash before the
  score ("Lazio - Parma 2-1"). A name the model missed there is added;
* a place written right before or after a result verb ("Colorado beat Detroit", "lost to
  the Houston Astros") or before a team role ("Barcelona striker", "Detroit coach").

A team is an ORG, except a nation's team, which keeps the country (GPE: "Italy beat Scotland",
as our gold set and OntoNotes annotate national sides). Nations are the countries of ISO 3166
(`pycountry`) and the `nation` rows of `seeds/name_cues.csv` ("England", "Scotland", "Russia").
In prose a PERSON before "beat" stays a person (players beat players), and so do two full
names of persons on one result ("Ann Kessel 2 Maria Lund 0" is a match of two players). The team's label is
then the label of that name throughout the dispatch (one label per name), so "Milan" after
"Udinese 1 Milan 2" is the club.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.attrs import LOWER
from spacy.tokens import Doc, Span

_NAME = r"[A-Z][\w'.&]*(?:-[A-Z][\w'.&]*)*(?: [A-Z][\w'.&]*(?:-[A-Z][\w'.&]*)*){0,3}"
_SCORE = r"\d{1,3}"
# Two names each followed by one score; a score is a whole word (not "1:42.35", "3-1", "82.5").
_SCORE_PAIR = re.compile(
    rf"(?<![\w'.&-])({_NAME}) {_SCORE},? ({_NAME}) {_SCORE}(?![\w.:/-])"
)
_DASH_PAIR = re.compile(rf"(?<![\w'.&-])({_NAME}) [-\u2013] ({_NAME}) {_SCORE}-{_SCORE}(?![\w.:/])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@dataclass(frozen=True)
class SportCues:
    result_verbs: frozenset[str]
    sport_words: frozenset[str]
    team_roles: frozenset[str]
    nations: frozenset[str]

    def is_nation(self, name: str) -> bool:
        return name.casefold() in self.nations


def sport_cues(
    result_verbs: Iterable[str],
    sport_words: Iterable[str],
    team_roles: Iterable[str],
    nations: Iterable[str],
) -> SportCues:
    def folded(words: Iterable[str]) -> frozenset[str]:
        return frozenset(w.casefold() for w in words)

    return SportCues(
        folded(result_verbs), folded(sport_words), folded(team_roles), folded(nations)
    )


def result_team_ranges(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Character ranges of the two names of every result in `text` (see the module docstring),
    one pair a result."""
    pairs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for pattern in (_SCORE_PAIR, _DASH_PAIR):
        for match in pattern.finditer(text):
            pairs.append(((match.start(1), match.end(1)), (match.start(2), match.end(2))))
    return sorted(pairs)


# --- on a tagged doc: what the cleanup component calls --------------------------------------


def is_sport_text(
    doc: Doc, sport_word_ids: frozenset[int], lower_ids: set[int] | None = None
) -> bool:
    """A text with a sport word (`seeds/name_cues.csv`); a C-level pass over token ids, as most
    dispatches are not about sport. `lower_ids`: the doc's LOWER ids, when the caller has them."""
    if not sport_word_ids:
        return False
    if lower_ids is None:
        lower_ids = set(doc.to_array(LOWER).tolist())
    return not sport_word_ids.isdisjoint(lower_ids)


def with_teams(
    doc: Doc, ents: list[Span], cues: SportCues, text: str | None = None
) -> tuple[list[Span], set[tuple[int, int]]]:
    """In a sport text (the caller checks), teams named by a place become ORG (a nation's team
    stays GPE); names on a result the model missed are added.
    Returns the entities and the token ranges of the teams, whose label then holds for the name
    in the dispatch. `text` is `doc.text` when the caller has it already."""
    teams: dict[tuple[int, int], str] = {}
    replaced: set[int] = set()  # indexes of entities a result's name takes the place of
    for pair in result_team_ranges(doc.text if text is None else text):
        names = [_result_name(doc, ents, start, end) for start, end in pair]
        if all(n is not None and n[0].label_ == "PERSON" and len(n[0]) > 1 for n in names):
            continue  # two players' full names: a match of persons
        for name in names:
            if name is None:
                continue
            span, inside = name
            replaced.update(inside)
            teams[(span.start, span.end)] = "GPE" if cues.is_nation(span.text) else "ORG"
    for ent in ents:
        if ent.label_ != "GPE" or cues.is_nation(ent.text) or (ent.start, ent.end) in teams:
            continue
        if _next_to_result_or_role(doc, ent, cues):
            teams[(ent.start, ent.end)] = "ORG"
    if not teams:
        return ents, set()
    relabelled = {(e.start, e.end): e for i, e in enumerate(ents) if i not in replaced}
    for (start, end), label in teams.items():
        relabelled[(start, end)] = Span(doc, start, end, label=label)
    kept = sorted(relabelled.values(), key=lambda span: span.start)
    return kept, set(teams)


_BETWEEN_VERB_AND_TEAM = frozenset({"the", "to", "with", "over"})


def _result_name(
    doc: Doc, ents: list[Span], start: int, end: int
) -> tuple[Span, list[int]] | None:
    """The span of a result's name at characters `start:end`, and the entities inside it it
    replaces ("Real" of the model's "Barcelona 2 Real" for "Real Madrid"); None when an entity
    runs out of it (the model read the text otherwise)."""
    inside = []
    for i, ent in enumerate(ents):
        if ent.end_char <= start or ent.start_char >= end:
            continue
        if ent.start_char < start or ent.end_char > end:
            return None
        inside.append(i)
    if len(inside) == 1 and (ents[inside[0]].start_char, ents[inside[0]].end_char) == (start, end):
        return ents[inside[0]], inside
    span = doc.char_span(start, end, alignment_mode="strict")
    if span is None:
        return None
    label = ents[inside[0]].label_ if inside else "ORG"
    return Span(doc, span.start, span.end, label=label), inside


def _next_to_result_or_role(doc: Doc, ent: Span, cues: SportCues) -> bool:
    """A place right before a result verb or a team role ("Colorado beat", "Barcelona
    striker"), or right after a result verb ("beat Detroit", "lost to the Houston Astros")."""
    after = doc[ent.end].lower_ if ent.end < len(doc) else ""
    if after in cues.result_verbs or after in cues.team_roles:
        return True
    i = ent.start - 1
    while i >= 0 and doc[i].lower_ in _BETWEEN_VERB_AND_TEAM:
        i -= 1
    return i >= 0 and doc[i].lower_ in cues.result_verbs

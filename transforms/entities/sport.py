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

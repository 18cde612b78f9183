"""`seeds/name_cues.csv` (``term,kind``): words that tell what a name is from its context.

* ``institution_head`` (Committee, Commission, Council, ...): a gazetteer match followed by
  capitalised words ending in one is the start of a longer institution name ("Senate" in "U.S.
  Senate Banking Committee"; `transforms.entities.gazetteer`);
* ``result_verb`` (beat, defeated, drew, ...), ``sport_word`` (league, goals, innings, ...) and
  ``team_role`` (striker, coach, ...): the sport context in which a team named by a city is an
  organisation, not the city ("Barcelona 2 Real Madrid 1", "Chelsea beat Arsenal",
  "Barcelona striker Ronaldo"; `transforms.entities.sport`); ``nation`` adds to the countries
  of ISO 3166 the names a national side plays under ("England", "Scotland", "Russia"): a
  nation's team is the country (GPE);
* ``operation_word`` (Operation, Exercise): the name after one is a military operation, an
  EVENT, never a person ("Operation Desert Shield" -> EVENT `Desert Shield`; the word itself is
  left out like a title, so the bare name later is the same entity); ``operation_name`` lists
  operations that are often written without it ("Desert Storm").

Terms are compared without case, except operation words (capitalised, as in a name).
"""

from __future__ import annotations

from pathlib import Path

from transforms.entities.not_names import read_term_kind_rows

NAME_CUE_KINDS = (
    "institution_head", "result_verb", "sport_word", "team_role", "nation", "operation_word",
    "operation_name",
)


def read_name_cue_rows(path: Path) -> list[list[str]]:
    """Rows of seeds/name_cues.csv."""
    return read_term_kind_rows(path, NAME_CUE_KINDS)


def terms_of(rows: list[list[str]], kind: str) -> list[str]:
    return [term for term, row_kind in rows if row_kind == kind]

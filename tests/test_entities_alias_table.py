"""`entity_alias_table` (Arrow in and out, as a commit uses it) against the long way,
`entity_alias_rows` (a Python object per row): the same rows in the same order."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.tables import TABLES
from transforms.entities.entity_aliases import (
    MentionFact,
    aliases_to_rows,
    entity_alias_rows,
    entity_alias_table,
)

SCHEMA = TABLES["entity_aliases"].schema
SUFFIXES = frozenset({"inc", "co", "corp", "ag"})
DAY = date(1987, 3, 11)

# Case and suffix variants (one entity), acronyms defined for several names and labels, and
# letters beyond ASCII, whose order Arrow (UTF-8 bytes) and Python (code points) must agree on.
NAMES = {
    "PERSON": ["Ronald Reagan", "Reagan", "REAGAN", "Nancy Reagan", "Éva Kovács", "Kovács",
               "KOVÁCS", "Zoë Baker", "Baker", "baker"],
    "ORG": ["Texaco Inc", "TEXACO", "Texaco", "European Community", "EC", "Straße AG", "STRASSE",
            "Ärzte ohne Grenzen", "ÄOG"],
    "GPE": ["London", "LONDON", "EC", "Zürich", "ZÜRICH"],
    "GOV_BODY": ["European Commission", "Economic Council"],
}
TEXTS = ["EC", "ÄOG", "ECO", None]

facts_strategy = st.lists(
    st.builds(
        lambda label_name, text, offset: MentionFact(
            label_name[0], label_name[1], text or label_name[1], DAY + timedelta(days=offset)),
        st.sampled_from([(label, name) for label, names in NAMES.items() for name in names]),
        st.sampled_from(TEXTS),
        st.integers(min_value=0, max_value=90),
    ),
    max_size=30,
)


def long_way(rows, facts, window_days: int) -> pa.Table:
    rows = entity_alias_rows(rows, facts, company_suffixes=SUFFIXES, window_days=window_days)
    return pa.Table.from_pylist(aliases_to_rows(rows), schema=SCHEMA)


@settings(max_examples=200, deadline=None)
@given(stored=facts_strategy, new=facts_strategy, stored_at_all=st.booleans(),
       window_days=st.sampled_from([0, 3, 30]), shuffle=st.randoms(use_true_random=False))
def test_the_alias_table_is_the_rows_of_the_long_way(stored, new, stored_at_all, window_days,
                                                     shuffle) -> None:
    """Same rows in the same order, from a stored table in any row order (or none)."""
    existing_rows = entity_alias_rows([], stored, company_suffixes=SUFFIXES, window_days=window_days)
    existing = None
    if stored_at_all:
        dicts = aliases_to_rows(existing_rows)
        shuffle.shuffle(dicts)
        existing = pa.Table.from_pylist(dicts, schema=SCHEMA)
    else:
        existing_rows = []
    table = entity_alias_table(existing, new, SCHEMA, company_suffixes=SUFFIXES,
                               window_days=window_days)
    assert table.equals(long_way(existing_rows, new, window_days))


def test_a_stored_row_with_an_unknown_rule_is_refused() -> None:
    stored = pa.Table.from_pylist(
        [{"rule": "guess", "label": "ORG", "name": "X", "seen_on": None, "canonical": "X",
          "canonical_label": "ORG", "mentions": 1}], schema=SCHEMA)
    with pytest.raises(ValueError, match="unknown rule"):
        entity_alias_table(stored, [], SCHEMA)

"""One entity per real-world name across the warehouse: the `entity_aliases` table.

Tagging resolves names within one dispatch (`transforms.entities.canonical`); this module resolves the
canonical names of different dispatches against each other. It is a pure function of the
mentions committed so far, kept incrementally: at every commit the new mentions are folded into
the existing `entity_aliases` rows (`entity_alias_rows`), so a nightly run reads that small
table, never the mentions already in the warehouse. The result does not depend on how the
mentions were split into commits (tested: one commit == many commits, in any order).

Rows are evidence (counts) and the decisions drawn from all of it:

* ``form`` - one row per (label, name) as it appears in ``mentions.canonical``, with its
  mention count and the warehouse-wide name it resolves to (``canonical``,
  ``canonical_label``). Names with the same *name key* are one entity, written in their most
  frequent spelling that is not all capitals: the key ignores case, and for organisations a
  trailing company suffix from ``seeds/not_names.csv`` ("Texaco Inc" = "TEXACO" = "Texaco").
  An abbreviation defined in a text resolves to the name it was defined for (most often
  defined wins), with that name's label: "EC" -> "European Community". Across labels only into
  an organisation label (`same_kind`): a place never becomes a person's alias.
* ``abbreviation`` - evidence: an acronym-shaped mention whose dispatch resolved it to a
  longer name ("EC" -> "European Community"), with a count.
* ``full_name`` - evidence: a PERSON name of two or more words seen on a day.
* ``surname`` - a one-word PERSON name seen on a day, and the full name it resolves to when
  exactly one full name with that surname was seen within `window_days` either side of that
  day ("Reagan" -> "Ronald Reagan"); ``canonical`` is null when there is no such full name or
  more than one.

The `entities` view joins mentions to ``surname`` rows by (label, name, day) and to ``form``
rows by (label, name). Retagging replaces mentions, so it rebuilds the table from the mentions
it keeps (`entity_alias_rows([], facts)`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from transforms.entities.not_names import abbreviates, term_key

SURNAME_WINDOW_DAYS = 30
_ORG_LABELS = frozenset({"ORG", "GOV_BODY", "MILITARY", "AGENCY"})
_ACRONYM = re.compile(r"^[A-Z][A-Z&.]{1,7}$")
_NAME_END = re.compile(r"[\s,.]+$")


@dataclass(frozen=True)
class MentionFact:
    """What resolution needs from mention rows: `count` mentions alike in these four."""

    label: str
    canonical: str
    text: str
    published_date: date
    count: int = 1


@dataclass(frozen=True, order=True)
class EntityAlias:
    rule: str
    label: str
    name: str
    seen_on: date | None
    canonical: str | None
    canonical_label: str | None
    mentions: int


@dataclass
class _Evidence:
    forms: Counter[tuple[str, str]]
    abbreviations: Counter[tuple[str, str, str]]
    full_names: Counter[tuple[str, date]]
    surnames: Counter[tuple[str, date]]


def entity_alias_rows(
    existing: Iterable[EntityAlias],
    new: Iterable[MentionFact],
    *,
    company_suffixes: frozenset[str] = frozenset(),
    window_days: int = SURNAME_WINDOW_DAYS,
) -> list[EntityAlias]:
    """The complete `entity_aliases` rows after adding `new` mentions to `existing` rows."""
    evidence = _evidence_of(existing)
    for fact in new:
        _add_fact(evidence, fact)
    return sorted(
        (EntityAlias(*row) for row in _decided(evidence, company_suffixes, window_days)),
        key=_sort_key,
    )


def entity_alias_table(
    existing: pa.Table | None,
    new: Iterable[MentionFact],
    schema: pa.Schema,
    *,
    company_suffixes: frozenset[str] = frozenset(),
    window_days: int = SURNAME_WINDOW_DAYS,
) -> pa.Table:
    """`entity_alias_rows` from and to Arrow: the whole table after adding `new` mentions to
    the stored `existing` table, in `schema`, sorted as `entity_alias_rows` sorts.

    The same decisions (`_decided`), without a Python object per stored row: a backfill's
    commit rewrites the whole table each time, and building an `EntityAlias` per row on the way
    in and a dict per row on the way out took more CPU than the decisions themselves (0.49 CPU s
    at the seventh commit of the 21,578-dispatch archive, 47,521 rows)."""
    evidence = _evidence_of_table(existing)
    for fact in new:
        _add_fact(evidence, fact)
    columns: list[list] = [[] for _ in schema]
    appends = [column.append for column in columns]
    for row in _decided(evidence, company_suffixes, window_days):
        for append, value in zip(appends, row, strict=True):
            append(value)
    table = pa.Table.from_arrays(
        [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)],
        schema=schema,
    )
    # `_sort_key`'s order: UTF-8 bytes sort as Python sorts code points, and nulls go first as
    # date.min and "" do there. (No two rows share rule, label, name and day but abbreviations,
    # whose canonical is never null, so where nulls go cannot change the order today.)
    order = pc.sort_indices(table, sort_keys=[
        (name, "ascending", "at_start") for name in ("rule", "label", "name", "seen_on", "canonical")
    ])
    return table.take(order)


Decided = tuple[str, str, str, date | None, str | None, str | None, int]


def _decided(
    evidence: _Evidence, company_suffixes: frozenset[str], window_days: int
) -> Iterator[Decided]:
    """Every row's values (`EntityAlias`'s fields, in order) drawn from all of the evidence."""
    preferred = _preferred_forms(evidence.forms, company_suffixes)
    defined = _defined_names(evidence.abbreviations)

    def resolved(label: str, name: str) -> tuple[str, str]:
        if name in defined:
            full, full_label = defined[name]
            if same_kind(label, full_label):
                return preferred.get((full_label, full), full), full_label
        return preferred.get((label, name), name), label

    for (label, name), count in evidence.forms.items():
        yield ("form", label, name, None, *resolved(label, name), count)
    for (label, name, full), count in evidence.abbreviations.items():
        yield ("abbreviation", label, name, None, full, label, count)
    by_surname: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for (name, day), count in evidence.full_names.items():
        full = resolved("PERSON", name)[0]
        by_surname[_surname_key(name)].append((day, full))
        yield ("full_name", "PERSON", name, day, full, "PERSON", count)
    window = timedelta(days=window_days)
    for (name, day), count in evidence.surnames.items():
        candidates = {
            full for seen, full in by_surname.get(name.casefold(), ()) if abs(seen - day) <= window
        }
        full = candidates.pop() if len(candidates) == 1 else None
        yield ("surname", "PERSON", name, day, full, "PERSON" if full else None, count)


def same_kind(label: str, other: str) -> bool:
    """Whether a name tagged `label` may resolve to a defined name tagged `other`. The same
    label always; across labels only into an organisation label, the documented rule for
    acronyms: an abbreviation defined in brackets names an organisation, and the model often
    takes the bare acronym for a place ("EC" as GPE -> "European Community", ORG). Never into a
    person, place or people: an acronym defined after a person's name stays what it is
    elsewhere ("INA" the country code is not the athlete's alias)."""
    return label == other or other in _ORG_LABELS


def _sort_key(row: EntityAlias) -> tuple:
    return (row.rule, row.label, row.name, row.seen_on or date.min, row.canonical or "")


def _evidence_of(rows: Iterable[EntityAlias]) -> _Evidence:
    evidence = _Evidence(Counter(), Counter(), Counter(), Counter())
    for row in rows:
        if row.rule == "form":
            evidence.forms[(row.label, row.name)] += row.mentions
        elif row.rule == "abbreviation":
            evidence.abbreviations[(row.label, row.name, row.canonical or row.name)] += row.mentions
        elif row.rule == "full_name" and row.seen_on is not None:
            evidence.full_names[(row.name, row.seen_on)] += row.mentions
        elif row.rule == "surname" and row.seen_on is not None:
            evidence.surnames[(row.name, row.seen_on)] += row.mentions
        else:
            raise ValueError(f"entity_aliases row with an unknown rule or no day: {row}")
    return evidence


def _evidence_of_table(table: pa.Table | None) -> _Evidence:
    """`_evidence_of` the rows of a stored `entity_aliases` table, read column by column."""
    evidence = _Evidence(Counter(), Counter(), Counter(), Counter())
    if table is None or not table.num_rows:
        return evidence
    columns = [table.column(name).to_pylist()
               for name in ("rule", "label", "name", "seen_on", "canonical", "mentions")]
    forms, abbreviations = evidence.forms, evidence.abbreviations
    full_names, surnames = evidence.full_names, evidence.surnames
    for rule, label, name, seen_on, canonical, mentions in zip(*columns, strict=True):
        if rule == "form":
            forms[(label, name)] += mentions
        elif rule == "abbreviation":
            abbreviations[(label, name, canonical or name)] += mentions
        elif rule == "full_name" and seen_on is not None:
            full_names[(name, seen_on)] += mentions
        elif rule == "surname" and seen_on is not None:
            surnames[(name, seen_on)] += mentions
        else:
            raise ValueError(f"entity_aliases row with an unknown rule or no day: {rule} {label} "
                             f"{name} {seen_on}")
    return evidence


def _add_fact(evidence: _Evidence, fact: MentionFact) -> None:
    evidence.forms[(fact.label, fact.canonical)] += fact.count
    if _is_defined_abbreviation(fact.text, fact.canonical):
        evidence.abbreviations[(fact.label, fact.text, fact.canonical)] += fact.count
    if fact.label != "PERSON":
        return
    words = fact.canonical.split()
    if len(words) > 1:
        evidence.full_names[(fact.canonical, fact.published_date)] += fact.count
    elif len(words) == 1 and words[0][:1].isupper():
        evidence.surnames[(fact.canonical, fact.published_date)] += fact.count


def _is_defined_abbreviation(text: str, canonical: str) -> bool:
    """An acronym-shaped mention its dispatch resolved to a longer name of several words."""
    return (
        text != canonical
        and bool(_ACRONYM.match(text))
        and len(canonical.split()) > 1
        and abbreviates(text, canonical)
    )


def name_key(label: str, name: str, company_suffixes: frozenset[str]) -> str:
    """Names with equal keys are one entity: case never matters, nor, for an organisation, a
    trailing company suffix ("Texaco Inc", "TEXACO", "Texaco")."""
    words = _NAME_END.sub("", name).split()
    if label in _ORG_LABELS:
        while len(words) > 1 and term_key(words[-1].rstrip(",")) in company_suffixes:
            words = words[:-1]
    return " ".join(words).casefold()


def _preferred_forms(
    forms: Mapping[tuple[str, str], int], company_suffixes: frozenset[str]
) -> dict[tuple[str, str], str]:
    """(label, name) -> the name its entity is written as: the most mentioned form that is not
    all capitals; ties go to the longer form, then the alphabetically first."""
    groups: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for (label, name), count in forms.items():
        groups[(label, name_key(label, name, company_suffixes))].append((name, count))
    preferred: dict[tuple[str, str], str] = {}
    for (label, _), members in groups.items():
        if len(members) == 1:
            continue
        best = min(members, key=lambda m: (_all_capitals(m[0]), -m[1], -len(m[0]), m[0]))[0]
        for name, _ in members:
            preferred[(label, name)] = best
    return preferred


def _all_capitals(name: str) -> bool:
    return name.isupper()


def _defined_names(abbreviations: Mapping[tuple[str, str, str], int]) -> dict[str, tuple[str, str]]:
    """acronym -> (full name, label) it was most often defined as; ties alphabetical."""
    counts: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for (label, short, full), count in abbreviations.items():
        counts[short][(full, label)] += count
    return {
        short: min(c.items(), key=lambda item: (-item[1], item[0]))[0]
        for short, c in counts.items()
    }


def _surname_key(full_name: str) -> str:
    return full_name.split()[-1].casefold()


# --- Arrow adapters (the storage layer reads and writes tables) ---------------------------


FACT_COLUMNS = ("label", "canonical", "text", "published_date")


def facts_from_mentions(mentions: pa.Table) -> list[MentionFact]:
    """MentionFacts from mention rows (columns `FACT_COLUMNS`), alike rows counted in Arrow:
    a backfill commit holds hundreds of thousands of mentions but far fewer distinct facts."""
    counted = mentions.select(list(FACT_COLUMNS)).group_by(list(FACT_COLUMNS)).aggregate(
        [([], "count_all")]
    )
    columns = [counted.column(c).to_pylist() for c in (*FACT_COLUMNS, "count_all")]
    return [MentionFact(*values) for values in zip(*columns, strict=True)]


def aliases_from_table(rows: pa.Table) -> list[EntityAlias]:
    names = [f.name for f in EntityAlias.__dataclass_fields__.values()]
    return [EntityAlias(**row) for row in rows.select(names).to_pylist()]


def aliases_to_rows(aliases: Iterable[EntityAlias]) -> list[dict]:
    return [
        {
            "rule": a.rule, "label": a.label, "name": a.name, "seen_on": a.seen_on,
            "canonical": a.canonical, "canonical_label": a.canonical_label,
            "mentions": a.mentions,
        }
        for a in aliases
    ]

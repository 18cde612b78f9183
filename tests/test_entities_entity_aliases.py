"""Cross-warehouse resolution (`entity_aliases`): decisions, and incremental == from scratch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.tables import TABLES
from tests.warehouse_files import commit_staged, stage_table_files
from transforms import rows, stages, storage
from transforms.entities.entity_aliases import (
    EntityAlias,
    MentionFact,
    aliases_from_table,
    entity_alias_rows,
    facts_from_mentions,
)

# As in seeds/not_names.csv (company_suffix), for the tests that read the seeds.
SUFFIXES = frozenset({"inc", "co", "corp"})
DAY = date(1987, 3, 11)


def fact(label: str, canonical: str, day: date = DAY, text: str | None = None) -> MentionFact:
    return MentionFact(label, canonical, text or canonical, day)


def resolve(facts: list[MentionFact], **kwargs) -> dict[tuple[str, str, date | None], tuple]:
    """(rule-independent) name lookup as the entities view does it: surname rows by day first."""
    rows = entity_alias_rows([], facts, company_suffixes=SUFFIXES, **kwargs)
    table: dict[tuple[str, str, date | None], tuple] = {}
    for row in rows:
        if row.rule == "surname" and row.canonical:
            table[(row.label, row.name, row.seen_on)] = (row.canonical, row.canonical_label)
        elif row.rule == "form":
            table[(row.label, row.name, None)] = (row.canonical, row.canonical_label)
    return table


def looked_up(table: dict, label: str, name: str, day: date = DAY) -> tuple[str, str]:
    return table.get((label, name, day)) or table.get((label, name, None)) or (name, label)


def test_case_variants_and_company_suffixes_are_one_name() -> None:
    facts = [fact("GPE", "LONDON"), fact("GPE", "London"), fact("GPE", "London"),
             fact("ORG", "TEXACO"), fact("ORG", "Texaco Inc"), fact("ORG", "Texaco Inc"),
             fact("ORG", "Texaco"), fact("ORG", "EC"), fact("PERSON", "Texaco")]
    table = resolve(facts)
    assert looked_up(table, "GPE", "LONDON") == ("London", "GPE")
    assert {looked_up(table, "ORG", n) for n in ("TEXACO", "Texaco", "Texaco Inc")} == {
        ("Texaco Inc", "ORG")
    }
    assert looked_up(table, "PERSON", "Texaco") == ("Texaco", "PERSON"), "labels stay apart"
    assert looked_up(table, "ORG", "EC") == ("EC", "ORG"), "an acronym alone stays as written"


def test_an_abbreviation_defined_once_applies_everywhere() -> None:
    facts = [fact("ORG", "European Community", text="European Community"),
             fact("ORG", "European Community", text="EC"),
             fact("ORG", "EC", day=DAY + timedelta(days=200)),
             fact("GPE", "EC"),
             fact("ORG", "Pennzoil Co", text="PZL"),  # initials that do not fit: no definition
             fact("ORG", "PZL")]
    table = resolve(facts)
    assert looked_up(table, "ORG", "EC", DAY + timedelta(days=200)) == ("European Community", "ORG")
    assert looked_up(table, "GPE", "EC") == ("European Community", "ORG")
    assert looked_up(table, "ORG", "PZL") == ("PZL", "ORG")


def test_surname_resolves_to_the_only_full_name_in_the_window() -> None:
    facts = [fact("PERSON", "Ronald Reagan"),
             fact("PERSON", "Reagan", DAY + timedelta(days=1)),
             fact("PERSON", "Reagan", DAY + timedelta(days=45)),
             fact("PERSON", "James Baker"), fact("PERSON", "Howard Baker", DAY + timedelta(days=3)),
             fact("PERSON", "Baker", DAY + timedelta(days=2))]
    table = resolve(facts)  # the default window users get
    assert looked_up(table, "PERSON", "Reagan", DAY + timedelta(days=1)) == (
        "Ronald Reagan", "PERSON"
    )
    assert looked_up(table, "PERSON", "Reagan", DAY + timedelta(days=45)) == ("Reagan", "PERSON")
    assert looked_up(table, "PERSON", "Baker", DAY + timedelta(days=2)) == ("Baker", "PERSON")


def test_the_default_surname_window_is_30_days_either_side() -> None:
    facts = [fact("PERSON", "Ronald Reagan"),
             fact("PERSON", "Reagan", DAY + timedelta(days=30)),
             fact("PERSON", "Reagan", DAY - timedelta(days=30)),
             fact("PERSON", "Reagan", DAY + timedelta(days=31)),
             fact("PERSON", "Reagan", DAY - timedelta(days=31))]
    table = resolve(facts)
    for offset, expected in ((30, "Ronald Reagan"), (-30, "Ronald Reagan"), (31, "Reagan"),
                             (-31, "Reagan")):
        assert looked_up(table, "PERSON", "Reagan", DAY + timedelta(days=offset)) == (
            expected, "PERSON"), offset


def test_the_spelling_is_the_most_mentioned_that_is_not_all_capitals() -> None:
    facts = [fact("GPE", "LONDON"), fact("GPE", "LONDON"), fact("GPE", "LONDON"),
             fact("GPE", "London"),
             fact("ORG", "Exxon Corp"), fact("ORG", "EXXON"), fact("ORG", "Exxon"),
             fact("ORG", "Exxon")]
    table = resolve(facts)
    assert looked_up(table, "GPE", "LONDON") == ("London", "GPE"), "old wire capitals lose"
    assert {looked_up(table, "ORG", n) for n in ("Exxon Corp", "EXXON", "Exxon")} == {
        ("Exxon", "ORG")}, "then the most mentioned"


def test_an_acronym_means_what_it_was_most_often_defined_as() -> None:
    facts = [fact("ORG", "European Community", text="EC"),
             fact("ORG", "European Community", text="EC"),
             fact("ORG", "European Commission", text="EC"),
             fact("ORG", "EC", DAY + timedelta(days=9))]
    table = resolve(facts)
    assert looked_up(table, "ORG", "EC") == ("European Community", "ORG")


def test_company_suffixes_are_stripped_from_organisations_only() -> None:
    facts = [fact("ORG", "Deere Co"), fact("ORG", "Deere"), fact("ORG", "Deere"),
             fact("PERSON", "John Deere Co"), fact("PERSON", "John Deere"),
             fact("PERSON", "John Deere")]
    table = resolve(facts)
    assert looked_up(table, "ORG", "Deere Co") == ("Deere", "ORG")
    assert looked_up(table, "PERSON", "John Deere Co") == ("John Deere Co", "PERSON")


def test_unknown_rule_in_stored_rows_is_an_error() -> None:
    bad = EntityAlias("guess", "ORG", "X", None, "X", "ORG", 1)
    with pytest.raises(ValueError, match="unknown rule"):
        entity_alias_rows([bad], [])


NAMES = {
    "PERSON": ["Ronald Reagan", "Reagan", "REAGAN", "Nancy Reagan", "James Baker", "Baker"],
    "ORG": ["Texaco Inc", "TEXACO", "Texaco", "European Community", "EC", "AT&T"],
    "GPE": ["London", "LONDON", "EC"],
}
facts_strategy = st.lists(
    st.builds(
        lambda label_name, text_is_ec, offset: MentionFact(
            label_name[0], label_name[1],
            "EC" if text_is_ec and label_name[1] == "European Community" else label_name[1],
            DAY + timedelta(days=offset),
        ),
        st.sampled_from([(label, name) for label, names in NAMES.items() for name in names]),
        st.booleans(),
        st.integers(min_value=0, max_value=120),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(facts=facts_strategy, cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=4),
       shuffle=st.randoms(use_true_random=False))
def test_incremental_commits_give_the_same_table_as_one(facts, cuts, shuffle) -> None:
    """Reproducible: however the mentions are split into commits, and in whatever order the
    commits come, the table is the same as from all mentions at once."""
    at_once = entity_alias_rows([], facts, company_suffixes=SUFFIXES)
    shuffled = list(facts)
    shuffle.shuffle(shuffled)
    bounds = sorted({0, len(shuffled), *[min(c, len(shuffled)) for c in cuts]})
    rows: list[EntityAlias] = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        rows = entity_alias_rows(rows, shuffled[lo:hi], company_suffixes=SUFFIXES)
    assert rows == at_once


def mention_table(rows: list[tuple[str, str, str, date]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"dispatch_id": f"d{i}", "version_id": f"v{i}", "mention_id": f"m{i}", "text": text,
             "label": label, "start_char": 0, "end_char": len(text), "sentence_index": 0,
             "canonical": canonical, "model": "m", "pipeline_hash": "h", "run_id": "r",
             "published_date": day}
            for i, (label, canonical, text, day) in enumerate(rows)
        ],
        schema=TABLES["mentions"].schema,
    )


def test_a_warehouse_from_before_the_table_is_read_once_then_kept(tmp_path: Path) -> None:
    """Mentions committed before `entity_aliases` existed count, from the first commit on."""
    warehouse = tmp_path / "warehouse"
    old = mention_table([("PERSON", "Ronald Reagan", "Ronald Reagan", DAY)])
    staged = stage_table_files(TABLES["mentions"], old, tmp_path / "staging", "c1")
    commit_staged(warehouse, {"mentions": staged})
    new = mention_table([("PERSON", "Reagan", "Reagan", DAY + timedelta(days=2))])
    assert storage.committed_files(warehouse, "entity_aliases") == []
    table = stages.entity_aliases_after(warehouse, new)
    rows = aliases_from_table(table)
    assert [(r.name, r.canonical) for r in rows if r.rule == "surname"] == [
        ("Reagan", "Ronald Reagan")
    ]
    assert rows == entity_alias_rows(
        [], facts_from_mentions(pa.concat_tables([old, new])), company_suffixes=SUFFIXES
    )


def _batch(folder: Path, version: str, mentions: pa.Table) -> Path:
    """A staged batch of one dispatch `version` and its mentions, as tag_batch leaves it."""
    from tests.test_storage_commits import _dispatch_rows

    day = mentions.column("published_date")[0].as_py()
    dispatch = _dispatch_rows([day]).set_column(1, "version_id", pa.array([version]))
    storage.write_parquet_durably(dispatch, folder / "dispatches.parquet")
    ids = pa.array([version] * mentions.num_rows)
    mentions = mentions.set_column(1, "version_id", ids).set_column(
        2, "mention_id", pa.array([f"{version}-{i}" for i in range(mentions.num_rows)]))
    storage.write_parquet_durably(mentions, folder / "mentions.parquet")
    return folder


def test_each_commit_replaces_entity_aliases_whole_and_equals_a_rebuild(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    full = mention_table([("PERSON", "Ronald Reagan", "Ronald Reagan", DAY)])
    alone = mention_table([("PERSON", "Reagan", "Reagan", DAY + timedelta(days=2))])
    stages.commit_batches([_batch(tmp_path / "b1", "v-full", full)], warehouse, "c1")
    stages.commit_batches([_batch(tmp_path / "b2", "v-alone", alone)], warehouse, "c2")
    # Rerunning a commit already made changes nothing (the versions are known).
    stages.commit_batches([_batch(tmp_path / "b3", "v-alone", alone)], warehouse, "c3")
    # A commit without mentions (a run's record) leaves the table as it is.
    run = rows.run_row("r1", "nightly", datetime.now(UTC), 0, stages.BatchCounts(), "completed")
    stages.commit_batches([], warehouse, "c4", extra={"runs": run})
    assert storage.read_table(warehouse, "runs").num_rows == 1
    stored = storage.read_table(warehouse, "entity_aliases")
    assert storage.read_table(warehouse, "mentions").num_rows == 2
    rebuilt = stages.entity_aliases_after(warehouse, storage.read_table(warehouse, "mentions"),
                                          rebuild=True)
    assert stored.num_rows and sorted(aliases_from_table(stored)) == sorted(aliases_from_table(rebuilt))
    assert [(r.name, r.canonical) for r in aliases_from_table(stored) if r.rule == "surname"] == [
        ("Reagan", "Ronald Reagan")]
    assert len(storage.committed_files(warehouse, "entity_aliases")) == 1
    delta = storage.open_delta(warehouse, "entity_aliases")
    assert [h["operationParameters"].get("mode") for h in delta.history()][:2] == [
        "Overwrite", "Overwrite"]


ORG_FAMILY = {"ORG", "GOV_BODY", "MILITARY", "AGENCY"}


def _crosses_types(row: EntityAlias) -> bool:
    """A row that turns a name into another type, outside the one documented rule (an acronym
    defined for an organisation takes the organisation's label)."""
    if row.canonical_label is None or row.canonical_label == row.label:
        return False
    return row.canonical_label not in ORG_FAMILY


def test_no_alias_crosses_entity_types() -> None:
    # "INA" defined in brackets after a name the model took for a PERSON, and tagged a place
    # elsewhere: the place keeps its type. An acronym defined for an organisation still resolves.
    facts = [
        fact("PERSON", "Indah Nusantara Atletik", text="Indah Nusantara Atletik"),
        fact("PERSON", "Indah Nusantara Atletik", text="INA"),
        fact("GPE", "INA"),
        fact("GPE", "INA", day=DAY + timedelta(days=3)),
        fact("GOV_BODY", "Ministry of International Trade and Industry", text="MITI"),
        fact("ORG", "MITI"),
    ]
    rows = entity_alias_rows([], facts, company_suffixes=SUFFIXES)
    assert not [row for row in rows if _crosses_types(row)]
    table = resolve(facts)
    assert looked_up(table, "GPE", "INA") == ("INA", "GPE")
    assert looked_up(table, "ORG", "MITI") == (
        "Ministry of International Trade and Industry", "GOV_BODY"
    )

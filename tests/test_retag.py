"""`retag` re-tags only what another pipeline tagged, and swaps mentions atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transforms import storage
from transforms.contracts import check_contracts
from transforms.entity_resolution import aliases_from_table, entity_alias_rows, facts_from_mentions
from transforms.entity_rules import company_suffixes, read_not_name_rows
from transforms.query import QueryRefused, run_query
from transforms.reference import default_seeds_dir
from transforms.samples import copy_sample_dispatches

pytestmark = pytest.mark.slow


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


@pytest.fixture
def tagged_warehouse(tmp_path: Path) -> Path:
    from flows.nightly import nightly

    landing = tmp_path / "landing"
    copy_sample_dispatches(default_seeds_dir() / "dispatches", landing)
    warehouse = tmp_path / "warehouse"
    nightly(source=str(landing), warehouse=str(warehouse))
    return warehouse


def test_retag_after_an_alias_change_replaces_mentions_once(tagged_warehouse: Path, tmp_path: Path) -> None:
    from flows.retag import retag

    warehouse = tagged_warehouse
    dispatches = _rows(warehouse, "SELECT count(*) FROM dispatches")[0][0]
    assert retag(warehouse=str(warehouse)) == {}, "same pipeline: nothing to re-tag"

    seeds = tmp_path / "seeds"
    shutil.copytree(default_seeds_dir(), seeds)
    with open(seeds / "aliases.csv", "a", encoding="utf-8") as handle:
        handle.write("Aiko Morimoto,Foreign Minister Aiko Morimoto,PERSON\n")
    before_hash = _rows(warehouse, "SELECT DISTINCT pipeline_hash FROM taggings")
    written = retag(warehouse=str(warehouse), seeds_dir=str(seeds))
    assert written["taggings"] == dispatches
    after_hash = _rows(warehouse, "SELECT DISTINCT pipeline_hash FROM taggings")
    assert len(after_hash) == 1 and after_hash != before_hash
    assert _rows(warehouse, "SELECT DISTINCT pipeline_hash FROM mentions") == after_hash
    assert _rows(warehouse, "SELECT count(*) FROM taggings") == [(dispatches,)]
    assert check_contracts(warehouse) == []
    canon = _rows(warehouse, "SELECT DISTINCT canonical FROM mentions WHERE text LIKE '%Morimoto%'")
    assert canon == [("Foreign Minister Aiko Morimoto",)]
    # entity_aliases is rebuilt from the mentions that replaced the old ones, not added to.
    suffixes = company_suffixes(read_not_name_rows(seeds / "not_names.csv"))
    facts = facts_from_mentions(storage.read_table(warehouse, "mentions"))
    assert aliases_from_table(storage.read_table(warehouse, "entity_aliases")) == (
        entity_alias_rows([], facts, company_suffixes=suffixes)
    )
    assert retag(warehouse=str(warehouse), seeds_dir=str(seeds)) == {}
    runs = _rows(warehouse, "SELECT flow, count(*) FROM runs GROUP BY flow ORDER BY flow")
    assert runs == [("nightly", 1), ("retag", 3)]


def test_retag_where_limits_the_selection(tagged_warehouse: Path) -> None:
    from flows.retag import retag

    kyodo = _rows(tagged_warehouse, "SELECT count(*) FROM dispatches WHERE agency = 'Kyodo News'")[0][0]
    assert kyodo > 0
    written = retag(warehouse=str(tagged_warehouse), where="d.agency = 'Kyodo News'", force=True)
    assert written["taggings"] == kyodo
    assert check_contracts(tagged_warehouse) == []


def test_retag_refuses_a_where_that_is_not_a_filter(tagged_warehouse: Path) -> None:
    from flows.retag import retag

    with pytest.raises(QueryRefused):
        retag(warehouse=str(tagged_warehouse), where="TRUE; DROP VIEW dispatches", force=True)

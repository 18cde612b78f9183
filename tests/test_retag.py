"""`retag` re-tags only what another pipeline tagged, and swaps mentions atomically."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from schemas.tables import TABLES
from seeds import default_seeds_dir
from tests.warehouse_files import live_files_per_partition
from transforms import storage
from transforms.contracts import check_contracts
from transforms.entities.entity_aliases import aliases_from_table, entity_alias_rows, facts_from_mentions
from transforms.entities.not_names import company_suffixes, read_not_name_rows
from transforms.query import QueryRefused, run_query
from transforms.samples import copy_sample_dispatches

pytestmark = pytest.mark.slow


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


@pytest.fixture(scope="module")
def nightly_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real nightly run over the samples (model and Prefect), made once for the module."""
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("nightly")
    landing = root / "landing"
    copy_sample_dispatches(default_seeds_dir() / "dispatches", landing)
    warehouse = root / "warehouse"
    nightly(source=str(landing), warehouse=str(warehouse))
    return warehouse


@pytest.fixture
def tagged_warehouse(nightly_warehouse: Path, tmp_path: Path) -> Path:
    """A copy of it of the test's own (a Delta table's paths are relative: a copy is whole)."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(nightly_warehouse, warehouse)
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


# --- untouched rows, a mixed partition, a kill ---------------------------------------------------

ENRICHMENT = ("mentions", "quotes", "taggings")
# Columns that say which run wrote a row and when: a forced retag changes only these.
_RUN_COLUMNS = {"run_id", "tagged_at"}


def _enrichment(warehouse: Path, table: str, versions_sql: str) -> list[tuple]:
    """Whole rows (run id and time included) of `table` for the versions `versions_sql` selects."""
    return sorted(_rows(warehouse, f"""
        SELECT * FROM {table} WHERE version_id IN ({versions_sql}) ORDER BY ALL"""), key=repr)


def _content(warehouse: Path, table: str,
             versions_sql: str = "SELECT version_id FROM dispatches") -> list[tuple]:
    columns = [c for c in TABLES[table].column_names if c not in _RUN_COLUMNS]
    return sorted(_rows(warehouse, f"""
        SELECT {', '.join(columns)} FROM {table} WHERE version_id IN ({versions_sql})"""), key=repr)


def _run_ids(warehouse: Path, table: str, versions_sql: str) -> set[str]:
    return {r for (r,) in _rows(warehouse, f"""
        SELECT DISTINCT run_id FROM {table} WHERE version_id IN ({versions_sql})""")}


def write_same_day_landing(folder: Path, count: int, agencies=("Reuters", "AFP"), day: int = 14) -> None:
    """`count` invented dispatches, all dated 2026-01-`day`, agencies taking turns."""
    folder.mkdir(parents=True, exist_ok=True)
    places = ["ROTTERDAM", "GENEVA", "NAIROBI", "LIMA", "SEOUL", "OSLO"]
    people = ["Mara Lindqvist", "Tomas Okonkwo", "Ines Varga", "Kenji Arata", "Pavel Dorn"]
    for number in range(count):
        agency, place, person = (agencies[number % len(agencies)], places[number % len(places)],
                                 people[number % len(people)])
        (folder / f"item-{number:03d}.txt").write_text(
            f"Harbour talks, item {number}\n\n{place}, Jan {day}, 2026 ({agency}) - {person} of the "
            f"Ministry of Defense told Kyodo on Tuesday that the port of {place.title()} would buy "
            f"{number + 3} cranes from Siemens. \u201cWe need them by spring,\u201d {person} said.\n",
            encoding="utf-8")


def test_retag_where_keeps_every_untouched_row_as_it_was(tagged_warehouse: Path) -> None:
    from flows.retag import retag

    others = "SELECT version_id FROM dispatches WHERE agency <> 'Kyodo News'"
    kyodo = "SELECT version_id FROM dispatches WHERE agency = 'Kyodo News'"
    untouched = {t: _enrichment(tagged_warehouse, t, others) for t in ENRICHMENT}
    assert untouched["mentions"] and untouched["taggings"] and untouched["quotes"]
    selected = {t: _content(tagged_warehouse, t, kyodo) for t in ENRICHMENT}
    old_runs = _run_ids(tagged_warehouse, "taggings", kyodo)
    retag(warehouse=str(tagged_warehouse), where="d.agency = 'Kyodo News'", force=True)
    for table in ENRICHMENT:
        assert _enrichment(tagged_warehouse, table, others) == untouched[table], table
        # Same pipeline: the re-tagged versions get the same rows, from the new run.
        assert _content(tagged_warehouse, table, kyodo) == selected[table], table
    new_runs = _run_ids(tagged_warehouse, "taggings", kyodo)
    assert len(new_runs) == 1 and not new_runs & old_runs
    assert _run_ids(tagged_warehouse, "mentions", kyodo) == new_runs


def test_retag_of_part_of_a_file_keeps_the_rest_of_that_file(tmp_path: Path) -> None:
    from flows.nightly import nightly
    from flows.retag import retag

    write_same_day_landing(tmp_path / "landing", 6)
    warehouse = tmp_path / "warehouse"
    nightly(source=str(tmp_path / "landing"), warehouse=str(warehouse), settle_seconds=0)
    partition = "published_date=2026-01-14"
    for table in ENRICHMENT:  # both agencies' rows share one file of one partition
        assert live_files_per_partition(warehouse, table) == {f"{table}/{partition}": 1}, table
    afp = "SELECT version_id FROM dispatches WHERE agency = 'Agence France-Presse'"
    reuters = "SELECT version_id FROM dispatches WHERE agency = 'Reuters'"
    assert len(_rows(warehouse, afp)) == len(_rows(warehouse, reuters)) == 3
    untouched = {t: _enrichment(warehouse, t, afp) for t in ENRICHMENT}
    selected = {t: _content(warehouse, t, reuters) for t in ENRICHMENT}
    assert all(untouched.values()) and all(selected.values())

    written = retag(warehouse=str(warehouse), where="d.agency = 'Reuters'", force=True)
    assert written["taggings"] == 3
    for table in ENRICHMENT:
        assert _enrichment(warehouse, table, afp) == untouched[table], table
        assert _content(warehouse, table, reuters) == selected[table], table
        assert _rows(warehouse, f"SELECT count(*), count(DISTINCT version_id) FROM {table}") == [
            (len(untouched[table]) + len(selected[table]),
             len({row[1] for row in untouched[table]}) + len({row[1] for row in selected[table]}))], table
    assert _run_ids(warehouse, "mentions", reuters).isdisjoint(_run_ids(warehouse, "mentions", afp))
    assert check_contracts(warehouse) == []


def _consistent_enrichment(warehouse: Path) -> str:
    """Every version has one tagging, and its mentions and quotes come from that same tagging
    (same run, same pipeline): old or new, never a mix. Returns the pipeline hashes seen."""
    assert check_contracts(warehouse) == []
    assert _rows(warehouse, """
        SELECT count(*) FROM dispatches d LEFT JOIN taggings t USING (version_id)
        WHERE t.version_id IS NULL""") == [(0,)]
    for table in ("mentions", "quotes"):
        assert _rows(warehouse, f"""
            SELECT count(*) FROM {table} x JOIN taggings t USING (version_id)
            WHERE x.run_id <> t.run_id OR x.pipeline_hash <> t.pipeline_hash""") == [(0,)], table
        assert _rows(warehouse, f"""
            SELECT count(*) FROM (SELECT version_id, count(*) AS n FROM {table} GROUP BY 1) x
            JOIN taggings t USING (version_id) WHERE x.n <> t.{table}""") == [(0,)], table
    return ",".join(sorted(h for (h,) in _rows(warehouse, "SELECT DISTINCT pipeline_hash FROM taggings")))


def test_a_killed_retag_leaves_old_or_new_enrichment_and_finishes_next_time(tmp_path: Path) -> None:
    from flows.nightly import nightly
    from tests.hostile.landing import child_env, kill_group, run_wirehouse, start_wirehouse

    write_same_day_landing(tmp_path / "landing", 40, agencies=("Reuters", "AFP", "Kyodo"))
    base = tmp_path / "base"
    nightly(source=str(tmp_path / "landing"), warehouse=str(base), settle_seconds=0)
    old_hash = _consistent_enrichment(base)
    seeds = tmp_path / "seeds"
    shutil.copytree(default_seeds_dir(), seeds)
    with open(seeds / "aliases.csv", "a", encoding="utf-8") as handle:
        handle.write("Siemens,Siemens AG,ORG\n")
    env = child_env(tmp_path, WIREHOUSE_SEEDS_DIR=str(seeds))

    clean = tmp_path / "clean"
    shutil.copytree(base, clean)
    started = time.monotonic()
    result = run_wirehouse(["retag", "--warehouse", str(clean)], env, cwd=tmp_path)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "Re-tagged 40 dispatches" in result.stdout
    new_hash = _consistent_enrichment(clean)
    assert new_hash != old_hash and "," not in new_hash

    killed = tmp_path / "killed"
    shutil.copytree(base, killed)
    landed = []
    for fraction in (0.6, 0.9):
        process = start_wirehouse(["retag", "--warehouse", str(killed)], env,
                                  log=tmp_path / "killed-retag.log", cwd=tmp_path)
        time.sleep(fraction * seconds)
        kill_group(process)
        hashes = _consistent_enrichment(killed)
        assert hashes in (old_hash, new_hash), "all old or all new, never a mix"
        landed.append("before the commit" if hashes == old_hash else "after the commit")
    print(f"clean retag {seconds:.1f} s; kills landed: {landed}")
    result = run_wirehouse(["retag", "--warehouse", str(killed)], env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert _consistent_enrichment(killed) == new_hash
    for table in ENRICHMENT:
        assert _content(killed, table) == _content(clean, table), table
    assert _content(killed, "dispatches") == _content(base, "dispatches")


@pytest.mark.parametrize("language", [None, "", "und", "UND", "und-Latn", "en", "en-US", "nb_NO", "FR", "sv"])
def test_the_sql_language_key_is_the_tagging_language_python_uses(language: str | None) -> None:
    """Retag picks stale rows in SQL and tags them in Python: if the two disagreed on a
    language ("und" meaning English), every such row would look stale at every retag."""
    import duckdb

    from transforms.entities.taggers import tagging_language
    from transforms.stages.retag import language_key_sql

    con = duckdb.connect()
    [(key,)] = con.execute(f"SELECT {language_key_sql('language')} FROM (SELECT ?::VARCHAR AS language)",
                           [language]).fetchall()
    assert key == tagging_language(language)

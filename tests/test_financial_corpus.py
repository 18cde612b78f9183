"""Our 1987-style financial-wire corpus through real nightly runs and the real model: the top of
`entities` holds only names, and the variants of one name are one entity.

Two nightly runs: the corpus without its last dispatch, then that dispatch alone, so the
`entity_aliases` table is brought up to date incrementally once; it must equal the table rebuilt
from all mentions at once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seeds import default_seeds_dir
from tests.conftest import PROJECT_ROOT
from transforms import storage
from transforms.entities.entity_aliases import aliases_from_table, entity_alias_rows, facts_from_mentions
from transforms.entities.not_names import (
    company_suffixes,
    is_not_a_name,
    not_names,
    read_not_name_rows,
)
from transforms.query import run_query

pytestmark = pytest.mark.slow

CORPUS = PROJECT_ROOT / "tests" / "corpus" / "financial"
LATE = "1987-03-31-tokyo-reagan.txt"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("financial")
    first, second = root / "landing-1", root / "landing-2"
    shutil.copytree(CORPUS, first, ignore=shutil.ignore_patterns(LATE))
    second.mkdir()
    shutil.copy(CORPUS / LATE, second / LATE)
    # settle_seconds=0: the late file was copied a moment ago, and the claim is about what a
    # second run makes of it, not about the settle time (which would defer it).
    nightly(source=str(first), warehouse=str(root / "warehouse"), settle_seconds=0)
    nightly(source=str(second), warehouse=str(root / "warehouse"), settle_seconds=0)
    return root / "warehouse"


def entities(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


def test_top_entities_are_names(warehouse: Path) -> None:
    lists = not_names(read_not_name_rows(default_seeds_dir() / "not_names.csv"))
    top = entities(
        warehouse, "SELECT text, label FROM entities ORDER BY mentions DESC, text LIMIT 20"
    )
    assert len(top) == 20
    # Before the junk rules and the resolution, "cts" (ORG) was first and "Revs", "Avg" PERSONs.
    assert top[:4] == [
        ("London", "GPE"), ("Texaco Inc", "ORG"), ("European Community", "ORG"),
        ("Ronald Reagan", "PERSON"),
    ]
    junk = [(text, label) for text, label in top if is_not_a_name(text.split(), lists)]
    assert junk == []
    everything = {text for text, _ in entities(warehouse, "SELECT text, label FROM entities")}
    for word in ("cts", "Avg", "Revs", "dlrs", "U.S. Dlrs", "the", "Co", "BB", "Citicorp"):
        assert word not in everything, f"{word} comes only from tables and figures"
    assert "Poor's Corp" not in everything


def test_variants_of_a_name_are_one_entity(warehouse: Path) -> None:
    rows = entities(warehouse, "SELECT text, label, aliases FROM entities")
    by_text = {text: (label, set(aliases)) for text, label, aliases in rows}
    expected = {
        "London": ("GPE", {"LONDON", "London"}),
        "California": ("GPE", {"Calif.", "California"}),
        "New York": ("GPE", {"N.Y.", "New York"}),
        "European Community": ("ORG", {"EC", "European Community"}),
        "Texaco Inc": ("ORG", {"Texaco", "Texaco Inc"}),
        "Ronald Reagan": ("PERSON", {"Reagan", "Ronald Reagan"}),
        "James Baker": ("PERSON", {"Baker", "James Baker"}),
        "Standard & Poor's Corp": ("ORG", {"Standard & Poor's Corp"}),
    }
    for text, (label, aliases) in expected.items():
        assert by_text[text][0] == label
        assert aliases <= by_text[text][1], text
    for split in ("LONDON", "Calif.", "N.Y.", "EC", "Texaco", "Reagan", "Baker"):
        assert split not in by_text, f"{split} is still an entity of its own"
    # Reagan alone in a dispatch a day after, and 20 days after, the full name: 6 mentions in
    # the bodies, and 2 in headlines ("REAGAN ...", issue 9's headline mentions).
    reagan = entities(
        warehouse, "SELECT mentions, dispatches FROM entities WHERE text = 'Ronald Reagan'"
    )
    assert reagan == [(8, 3)]
    in_bodies = entities(warehouse, """
        SELECT count(*), count(DISTINCT m.version_id) FROM mentions_latest AS m
        JOIN entity_aliases AS a ON a.rule = 'surname' AND a.name = m.canonical
            AND a.seen_on = m.published_date AND a.canonical = 'Ronald Reagan'
        WHERE m.field = 'body'""")
    assert in_bodies == [(4, 2)]  # both dispatches with Reagan alone resolve by surname


def test_entity_aliases_kept_incrementally_equal_a_rebuild(warehouse: Path) -> None:
    # Each commit replaced the whole table: one version's files, one file (no partitions).
    assert len(storage.committed_files(warehouse, "entity_aliases")) == 1
    stored = aliases_from_table(storage.read_table(warehouse, "entity_aliases"))
    suffixes = company_suffixes(read_not_name_rows(default_seeds_dir() / "not_names.csv"))
    mentions = storage.read_table(warehouse, "mentions")
    rebuilt = entity_alias_rows([], facts_from_mentions(mentions), company_suffixes=suffixes)
    assert stored == rebuilt
    late = [a for a in stored if a.rule == "surname" and a.name == "Reagan"]
    assert {(str(a.seen_on), a.canonical) for a in late} == {
        ("1987-03-12", "Ronald Reagan"), ("1987-03-31", "Ronald Reagan"),
    }

"""Geocoding through the warehouse: places, dateline and mention place ids, the view, the macro."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from tests.direct_ingest import ingest
from transforms.entities.pipeline import add_components
from transforms.query import run_query

TEXAS = """PARIS, Texas (AP) — Firefighters in Paris spent Tuesday battling a grass fire near a rail
yard. Crews from Dallas sent two trucks, and Texas officials said French visitors were safe.
"""
FRANCE = """PARIS (AFP) — The French government unveiled a plan on Wednesday to cut rail fares into Paris
and around Lyon. The Black Sea talks were put off.
"""


@pytest.fixture(scope="module")
def geocoded(tmp_path_factory) -> Path:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "GPE", "pattern": name} for name in ("Paris", "Dallas", "Texas", "Lyon")
    ] + [{"label": "NORP", "pattern": "French"}, {"label": "LOC", "pattern": "Black Sea"}])
    nlp = add_components(nlp)
    root = tmp_path_factory.mktemp("geo")
    landing = root / "landing"
    landing.mkdir()
    (landing / "texas.txt").write_text(TEXAS, encoding="utf-8")
    (landing / "france.txt").write_text(FRANCE, encoding="utf-8")
    ingest(landing, root / "warehouse", nlp=nlp)
    return root / "warehouse"


def rows(warehouse: Path, sql: str) -> list[tuple]:
    return [tuple(row) for row in run_query(warehouse, sql).rows]


def test_datelines_get_their_place(geocoded: Path) -> None:
    found = rows(geocoded, """
        SELECT d.agency, p.name, p.country_code, p.admin1, p.feature
        FROM dispatches AS d JOIN places AS p ON p.place_id = d.dateline_place_id ORDER BY d.agency""")
    assert found == [
        ("Agence France-Presse", "Paris", "FR", "11", "city"),
        ("Associated Press", "Paris", "US", "TX", "city"),
    ]


def test_mentions_get_a_place_or_a_reason(geocoded: Path) -> None:
    found = rows(geocoded, """
        SELECT d.agency, m.text, p.country_code, p.feature, m.place_reason
        FROM mentions AS m JOIN dispatches AS d USING (version_id)
        LEFT JOIN places AS p USING (place_id)
        WHERE m.label IN ('GPE', 'LOC', 'NORP') ORDER BY d.agency, m.start_char""")
    assert found == [
        ("Agence France-Presse", "French", "FR", "country", None),
        ("Agence France-Presse", "Paris", "FR", "city", None),
        ("Agence France-Presse", "Lyon", "FR", "city", None),
        ("Agence France-Presse", "Black Sea", None, None, "physical_feature"),
        ("Associated Press", "Paris", "US", "city", None),
        ("Associated Press", "Dallas", "US", "city", None),
        ("Associated Press", "Texas", "US", "region", None),
        ("Associated Press", "French", "FR", "country", None),
    ]


def test_places_hold_one_row_per_place_used(geocoded: Path) -> None:
    ids = [r[0] for r in rows(geocoded, "SELECT place_id FROM places ORDER BY place_id")]
    assert len(ids) == len(set(ids)) == 6  # Paris FR, Paris TX, Dallas, Texas, Lyon, France


def test_places_mentioned_and_the_haversine_macro(geocoded: Path) -> None:
    by_place = rows(geocoded, """
        SELECT name, country_code, sum(mentions), sum(dispatches) FROM places_mentioned
        GROUP BY ALL ORDER BY name, country_code""")
    assert ("Paris", "FR", 1, 1) in by_place and ("France", "FR", 2, 2) in by_place
    near_paris = rows(geocoded, """
        SELECT DISTINCT p.name FROM mentions_latest AS m JOIN places AS p USING (place_id)
        WHERE haversine_km(48.8566, 2.3522, p.latitude, p.longitude) <= 300 ORDER BY 1""")
    assert near_paris == [("Paris",)]
    lyon_km = rows(geocoded, "SELECT round(haversine_km(48.8566, 2.3522, 45.7640, 4.8357))")[0][0]
    assert lyon_km == 391  # Paris to Lyon, great-circle (391.5 km)


MAINE = """PORTLAND, Maine (AP) — Lobster boats stayed in port on Friday as a storm came up the coast
from Boston.
"""


def test_retag_moves_a_dateline_with_the_gazetteer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Geocoded by an older step that did not read the dateline's state (Portland, Oregon, the
    biggest), re-tagged by today's: the dateline moves to Portland, Maine in the same commit as
    the mentions, and the rest of the dispatch row is unchanged."""
    from transforms import stages
    from transforms.entities.pipeline import tagger_info
    from transforms.stages import tag as tag_stage
    from transforms.stages.retag import plan_retag_batches, replace_enrichment

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "GPE", "pattern": "Boston"}])
    nlp = add_components(nlp)
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "maine.txt").write_text(MAINE, encoding="utf-8")
    (landing / "texas.txt").write_text(TEXAS, encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    current = tag_stage.geocode_dispatch

    def older(gazetteer, dispatch, mention_rows):
        return current(gazetteer, {**dispatch, "dateline_region": None}, mention_rows)

    monkeypatch.setattr(tag_stage, "geocode_dispatch", older)
    ingest(landing, warehouse, nlp=nlp)
    monkeypatch.setattr(tag_stage, "geocode_dispatch", current)
    before = rows(warehouse, """SELECT version_id, dateline_region, dateline_place_id, story_id, body
                                FROM dispatches ORDER BY version_id""")
    assert [r[2] for r in before if r[1] == "Maine"] == ["geonames:5746545"]  # Portland, Oregon

    staging = tmp_path / "staging"
    batches = plan_retag_batches(warehouse, tagger_info(nlp), None, True, staging)
    for batch in batches:
        stages.tag_batch(batch, nlp, "retag-test")
    replace_enrichment(warehouse, batches, "retag-test")

    after = rows(warehouse, """SELECT version_id, dateline_region, dateline_place_id, story_id, body
                               FROM dispatches ORDER BY version_id""")
    assert len(after) == len(before) == 2
    maine = rows(warehouse, """SELECT p.name, p.admin1, p.feature FROM dispatches AS d
        JOIN places AS p ON p.place_id = d.dateline_place_id WHERE d.dateline_region = 'Maine'""")
    assert maine == [("Portland", "ME", "city")]
    # Everything else in the rows is as it was; the Texas dateline kept its place.
    assert [(r[0], r[1], r[3], r[4]) for r in after] == [(r[0], r[1], r[3], r[4]) for r in before]
    assert [r[2] for r in after if r[1] == "Texas"] == [r[2] for r in before if r[1] == "Texas"]
    boston = "SELECT count(*) FROM mentions WHERE text = 'Boston' AND place_id IS NOT NULL"
    assert rows(warehouse, boston) == [(1,)]


def test_a_dateline_state_reaches_the_geocoder_at_ingest(tmp_path: Path) -> None:
    """The readers keep the region apart from the place ('Portland' + 'Maine'); the tag stage
    gives the geocoder both, so Portland is Maine's, not the bigger Portland of Oregon."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "maine.txt").write_text(MAINE, encoding="utf-8")
    ingest(landing, tmp_path / "warehouse")
    assert rows(tmp_path / "warehouse", """
        SELECT d.dateline_place, d.dateline_region, p.geonameid, p.admin1 FROM dispatches AS d
        JOIN places AS p ON p.place_id = d.dateline_place_id""") == [("Portland", "Maine", 4975802, "ME")]

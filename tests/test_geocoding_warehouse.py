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

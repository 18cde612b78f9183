"""Geocoding: the resolver's rules one by one, and its precision/recall on our labelled set."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.geocoding.evaluation import evaluate, read_jsonl
from transforms.geocoding.gazetteer import fold
from transforms.geocoding.place_index import load_gazetteer
from transforms.geocoding.resolve import MentionSpan, resolve_dispatch

PLACES = Path(__file__).parent / "gold" / "places"


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def resolve(gazetteer, dateline, agency, body, *spans):
    """Resolve a dispatch whose mentions are given as (text, label), found in the body."""
    mentions, cursor = [], 0
    for text, label in spans:
        start = body.index(text, cursor)
        mentions.append(MentionSpan(text, label, start, start + len(text)))
        cursor = start + len(text)
    return resolve_dispatch(gazetteer, dateline=dateline, agency=agency, body=body, mentions=mentions)


def test_labelled_set_is_consistent():
    dispatches = {d["id"]: d for d in read_jsonl(PLACES / "dispatches.jsonl")}
    labels = read_jsonl(PLACES / "labels.jsonl")
    assert len(labels) >= 300 and len({label["id"] for label in labels}) == len(labels)
    for label in labels:
        dispatch = dispatches[label["dispatch_id"]]
        if label["kind"] == "dateline":
            assert label["text"] == dispatch["dateline"]
        else:
            assert dispatch["body"][label["start"]:label["end"]] == label["text"]
        assert (label["expected"] is None) == (label["reason_if_null"] is not None)


def test_resolution_precision_and_recall_hold_the_committed_baseline(gazetteer):
    baseline = json.loads((PLACES / "baseline.json").read_text())
    result = evaluate(gazetteer, read_jsonl(PLACES / "dispatches.jsonl"), read_jsonl(PLACES / "labels.jsonl"))
    overall = result.overall
    summary = f"P {overall.precision:.3f} R {overall.recall:.3f} acc {overall.accuracy:.3f}"
    misses = "\n".join(result.misses)
    assert overall.precision >= baseline["precision"] - 1e-9, f"{summary}\n{misses}"
    assert overall.recall >= baseline["recall"] - 1e-9, f"{summary}\n{misses}"
    assert overall.accuracy >= baseline["accuracy"] - 1e-9, f"{summary}\n{misses}"


def test_qualified_datelines_choose_the_place_in_the_named_state_or_country(gazetteer):
    texas = resolve(gazetteer, "PARIS, Texas", "Associated Press", "Crews in Paris worked.", ("Paris", "GPE"))
    assert (texas.dateline.place.geonameid, texas.dateline.rule) == (4717560, "qualifier")
    assert texas.mentions[0].place.geonameid == 4717560  # the same name as the dateline
    oregon = resolve(gazetteer, "PORTLAND, Ore.", "Associated Press", "Rain fell.")
    assert (oregon.dateline.place.country_code, oregon.dateline.place.admin1) == ("US", "OR")
    tbilisi = resolve(gazetteer, "TBILISI, Georgia", "Reuters", "Talks began.")
    assert tbilisi.dateline.place.country_code == "GE"
    bc = resolve(gazetteer, "VICTORIA, B.C.", "The Canadian Press", "Ferries ran.")
    assert bc.dateline.place.country_code == "CA"


@pytest.mark.parametrize(("dateline", "geonameid", "admin1"), [
    ("PORTLAND, Maine", 4975802, "ME"),
    ("PORTLAND, Me.", 4975802, "ME"),  # the older abbreviation, in archives before AP's
    ("PORTLAND, Ore.", 5746545, "OR"),
    ("PORTLAND, Oreg.", 5746545, "OR"),
    ("COLUMBIA, S.C.", 4575352, "SC"),
    ("COLUMBIA, Mo.", 4381982, "MO"),
    ("SPRINGFIELD, Ill.", 4250542, "IL"),
    ("Springfield, Illinois", 4250542, "IL"),
    ("SPRINGFIELD, Mass.", 4951788, "MA"),
    ("KANSAS CITY, Kan.", 4273837, "KS"),
    ("CHARLESTON, W.Va.", 4801859, "WV"),
])
def test_a_state_qualifier_picks_the_city_in_that_state(gazetteer, dateline, geonameid, admin1):
    found = resolve(gazetteer, dateline, "Associated Press", "Officials met.").dateline
    assert (found.place.geonameid, found.place.admin1, found.rule) == (geonameid, admin1, "qualifier")


def test_unqualified_dateline_is_the_city_the_agency_means(gazetteer):
    afp = resolve(gazetteer, "PARIS", "Agence France-Presse", "Ministers met.")
    assert afp.dateline.place.country_code == "FR"
    ap = resolve(gazetteer, "PARIS", "Associated Press", "Ministers met.")
    assert ap.dateline.place.country_code == "FR"  # AP writes PARIS, Texas for the other one
    efe = resolve(gazetteer, "GUADALAJARA", "EFE", "Warehouses rose.")
    assert (efe.dateline.place.country_code, efe.dateline.rule) == ("ES", "agency_country")
    accent = resolve(gazetteer, "SAN JOSÉ", "EFE", "Tourism grew.")
    assert accent.dateline.place.country_code == "CR"


def test_georgia_is_the_state_under_a_us_dateline_and_the_country_among_its_neighbours(gazetteer):
    state = resolve(gazetteer, "ATLANTA", "Associated Press", "Voters in Georgia queued.", ("Georgia", "GPE"))
    assert (state.mentions[0].place.feature, state.mentions[0].place.admin1) == ("region", "GA")
    country = resolve(
        gazetteer, "BRUSSELS", "Reuters", "Moldova, Ukraine and Georgia met in Tbilisi.",
        ("Moldova", "GPE"), ("Ukraine", "GPE"), ("Georgia", "GPE"), ("Tbilisi", "GPE"),
    )
    assert (country.mentions[2].place.feature, country.mentions[2].place.country_code) == ("country", "GE")


def test_victoria_follows_the_dateline_country(gazetteer):
    australia = resolve(
        gazetteer, "MELBOURNE", "Australian Associated Press", "Victoria voted.", ("Victoria", "GPE")
    )
    assert australia.mentions[0].place.place_id == "iso3166-2:AU-VIC"
    assert australia.mentions[0].place.geonameid is None


def test_demonyms_map_to_countries_only_where_unambiguous(gazetteer):
    result = resolve(
        gazetteer, "GOMA", "Reuters", "Japanese, Congolese and Kurdish aid workers.",
        ("Japanese", "NORP"), ("Congolese", "NORP"), ("Kurdish", "NORP"),
    )
    japanese, congolese, kurdish = result.mentions
    assert (japanese.place.country_code, japanese.place.feature) == ("JP", "country")
    assert (congolese.place, congolese.reason) == (None, "ambiguous_demonym")
    assert (kurdish.place, kurdish.reason) == (None, "ethnic_or_language_group")


def test_names_inside_longer_names_and_non_places_stay_null_with_a_reason(gazetteer):
    result = resolve(
        gazetteer, "WASHINGTON", "Associated Press",
        "The Washington Post said Rep. Jim Jordan spoke. The Black Sea and Hallstatt were quiet.",
        ("Washington", "GPE"), ("Jordan", "GPE"), ("Black Sea", "LOC"), ("Hallstatt", "GPE"),
    )
    post, jordan, sea, village = result.mentions
    assert (post.place, post.reason) == (None, "part_of_name")
    assert (jordan.place, jordan.reason) == (None, "part_of_name")
    assert (sea.place, sea.reason) == (None, "physical_feature")
    assert (village.place, village.reason) == (None, "not_in_gazetteer")


def test_aliases_and_alternate_names(gazetteer):
    result = resolve(
        gazetteer, "CHICAGO", "Reuters", "Trade between the U.S., Britain and Sao Paulo grew.",
        ("U.S.", "GPE"), ("Britain", "GPE"), ("Sao Paulo", "GPE"),
    )
    assert [m.place.country_code for m in result.mentions] == ["US", "GB", "BR"]
    assert [m.place.feature for m in result.mentions] == ["country", "country", "city"]


def test_the_gazetteer_is_built_once_per_process(gazetteer):
    assert load_gazetteer() is gazetteer


def _fold_by_every_character(text: str) -> str:
    """The fold as first written, one character at a time: the index's keys must not move."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = stripped.replace("\u2019", "'").replace(".", "").replace("-", " ")
    return " ".join(cleaned.casefold().split())


_NAMES = st.text(alphabet=st.sampled_from(
    list("abcXYZ .-'\u2019\t") + ["é", "Ü", "ß", "ø", "İ", "ﬁ", "ñ", "Å", "\u0301", "東", "Ł", "ǅ"]),
    max_size=24)


@settings(max_examples=400, deadline=None)
@given(_NAMES)
def test_fold_with_its_ascii_shortcut_is_the_character_walk(name: str) -> None:
    assert fold(name) == _fold_by_every_character(name)


@pytest.mark.parametrize("name", ["São Paulo", "SAO PAULO", "St. John's", "Winston-Salem",
                                  "Côte d\u2019Ivoire", "Straße", "Ōsaka", "  Kuala  Lumpur "])
def test_fold_of_real_place_names_is_the_character_walk(name: str) -> None:
    assert fold(name) == _fold_by_every_character(name)

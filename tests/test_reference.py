"""Agency aliases and dateline places from seeds/agencies.csv and seeds/places.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from seeds import default_seeds_dir
from transforms.reference import Reference, load_reference


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(default_seeds_dir())


@pytest.mark.parametrize(
    ("credit", "canonical"),
    [
        ("AP", "Associated Press"),
        ("Associated Press", "Associated Press"),
        ("The Associated Press", "Associated Press"),
        ("the associated press", "Associated Press"),
        ("A.P.", "Associated Press"),
        ("Jiji", "Jiji Press"),
        ("Jiji Press", "Jiji Press"),
        ("JIJI PRESS", "Jiji Press"),
        ("Reuters", "Reuters"),
        ("Reuter", "Reuters"),
        ("Kyodo", "Kyodo News"),
        ("Xinhua", "Xinhua"),
        ("AFP", "Agence France-Presse"),
        ("Agence France-Presse", "Agence France-Presse"),
        ("agence france presse", "Agence France-Presse"),
        ("Yonhap", "Yonhap"),
        ("dpa", "dpa"),
        ("DPA", "dpa"),
        ("Bloomberg", "Bloomberg"),
        ("NTB", "NTB"),
        ("TT", "TT"),
        ("Business Wire", "Business Wire"),
        ("AAP", "Australian Associated Press"),
        ("PA", "PA Media"),
        ("ANSA", "ANSA"),
        ("EFE", "EFE"),
        ("UPI", "United Press International"),
        ("Bernama", "Bernama"),
        ("PTI", "Press Trust of India"),
        ("ANI", "Asian News International"),
        ("IANS", "Indo-Asian News Service"),
        ("NHK", "NHK"),
        ("  Kyodo News  ", "Kyodo News"),
    ],
)
def test_canonical_agency(reference: Reference, credit: str, canonical: str) -> None:
    assert reference.canonical_agency(credit) == canonical


@pytest.mark.parametrize("credit", ["", "Recasts, adds quotes", "left", "AP Photo/Jane Doe"])
def test_unknown_credit_is_none(reference: Reference, credit: str) -> None:
    assert reference.canonical_agency(credit) is None


@pytest.mark.parametrize(
    ("place", "region", "country"),
    [
        ("Washington", None, "US"),
        ("WASHINGTON", None, "US"),
        ("BUFFALO", "N.Y.", "US"),
        ("Albany", "NY", "US"),
        ("Grosseto", None, "IT"),
        ("GROSSETO", "Italy", "IT"),
        ("Tokyo", None, "JP"),
        ("Seoul", None, "KR"),
        ("Pyongyang", None, "KP"),
        ("ST. PETERSBURG", "Russia", "RU"),
        ("Rio de Janeiro", None, "BR"),
        ("Sao Paulo", None, "BR"),
        ("São Paulo", None, "BR"),
        ("Duesseldorf", None, "DE"),
        ("New Delhi", None, "IN"),
        ("Somewhere Town", "Calif.", "US"),  # the region is enough
        ("Kingston", "Ontario", "CA"),
        ("Kingston", None, "JM"),
        ("Portland", "Maine", "US"),
        ("Atlanta", "Georgia", "US"),  # the state, not the country
        ("Tbilisi", None, "GE"),
    ],
)
def test_country_of(reference: Reference, place: str, region: str | None, country: str) -> None:
    assert reference.country_of(place, region) == country


def test_unknown_place_is_none(reference: Reference) -> None:
    assert reference.country_of("Atlantis") is None
    assert reference.country_of("") is None


def test_load_reference_is_cached_and_reads_given_folder(tmp_path: Path) -> None:
    (tmp_path / "agencies.csv").write_text("alias,canonical\nWH,Wirehouse News\n", "utf-8")
    (tmp_path / "places.csv").write_text("place,region,country\nSpringfield,,US\n", "utf-8")
    custom = load_reference(tmp_path)
    assert custom is load_reference(tmp_path)
    assert custom.canonical_agency("W.H.") == "Wirehouse News"
    assert custom.canonical_agency("Wirehouse News") == "Wirehouse News"
    assert custom.country_of("SPRINGFIELD") == "US"
    assert custom.country_of("Tokyo") is None


def test_seed_files_are_plain_and_well_formed() -> None:
    seeds = default_seeds_dir()
    with (seeds / "agencies.csv").open(encoding="utf-8", newline="") as handle:
        agencies = list(csv.DictReader(handle))
    with (seeds / "places.csv").open(encoding="utf-8", newline="") as handle:
        places = list(csv.DictReader(handle))
    assert agencies and all(row["alias"] and row["canonical"] for row in agencies)
    canonicals = {row["canonical"] for row in agencies}
    aliases = {row["alias"] for row in agencies}
    assert canonicals <= aliases, "every canonical name is listed as its own alias"
    assert len(places) >= 300
    assert all(len(row["country"]) == 2 and row["country"].isupper() for row in places)
    assert all(row["place"] or row["region"] for row in places)

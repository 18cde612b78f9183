"""A dispatch gives the same warehouse rows loose, inside a zip, or inside a tar.gz."""

from __future__ import annotations

import gzip
import os
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seeds import default_seeds_dir
from transforms.query import run_query
from transforms.samples import copy_sample_dispatches, sample_file_times

pytestmark = pytest.mark.slow

DISPATCH_COLUMNS = """dispatch_id, version_id, agency, dateline_place, dateline_country, published_at,
    headline, byline, editor_note, body, copyright, language, word_count, raw_sha256, story_version,
    pub_status, signal, published_date"""
MENTION_COLUMNS = "version_id, mention_id, text, label, start_char, end_char, sentence_index, canonical"


def _bundle_zip(loose: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(loose.iterdir()):
            info = zipfile.ZipInfo.from_file(path, arcname=f"wire/{path.name}")
            bundle.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)


def _bundle_tar(loose: Path, target: Path) -> None:
    with tarfile.open(target, "w:gz") as bundle:
        for path in sorted(loose.iterdir()):
            bundle.add(path, arcname=f"wire/{path.name}")


def _warehouse_rows(warehouse: Path) -> dict[str, list[tuple]]:
    return {
        "dispatches": run_query(
            warehouse, f"SELECT {DISPATCH_COLUMNS} FROM dispatches ORDER BY version_id").rows,
        "mentions": run_query(
            warehouse, f"SELECT {MENTION_COLUMNS} FROM mentions ORDER BY mention_id").rows,
        "source_formats": run_query(
            warehouse, "SELECT DISTINCT source_format FROM dispatches").rows,
    }


def test_loose_zip_and_tar_gz_give_the_same_rows(tmp_path: Path) -> None:
    from flows.nightly import nightly

    samples = default_seeds_dir() / "dispatches"
    loose = tmp_path / "loose"
    copy_sample_dispatches(samples, loose)
    assert len(sample_file_times(samples)) == len(list(loose.iterdir()))
    zipped, tarred = tmp_path / "zipped", tmp_path / "tarred"
    zipped.mkdir()
    tarred.mkdir()
    _bundle_zip(loose, zipped / "bundle.zip")
    _bundle_tar(loose, tarred / "bundle.tar.gz")

    results = {}
    for name, source in (("loose", loose), ("zip", zipped), ("tar", tarred)):
        # The bundles were just written: read them now rather than after the settle time.
        nightly(source=str(source), warehouse=str(tmp_path / f"wh-{name}"), settle_seconds=0)
        results[name] = _warehouse_rows(tmp_path / f"wh-{name}")
    assert len(results["loose"]["dispatches"]) == len(sample_file_times(samples))
    assert results["loose"] == results["zip"] == results["tar"]
    uris = run_query(tmp_path / "wh-zip", "SELECT min(source_uri) FROM dispatches").rows[0][0]
    assert uris.endswith(".zip!wire/01_kyodo_morimoto_caldwell.txt")


FORMAT_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
# One file of every format, old and new, as (file in the landing directory, fixture) with
# what the warehouse must hold for it: (source_format, headline, agency, published_at).
EVERY_FORMAT = {
    # A dateline on the file's own day takes the file's time (18:00).
    "wire_ap.txt": ("wire-text", "Relief convoy reaches flooded towns", "Associated Press",
                    "2026-03-05 18:00:00"),
    "ninjs_v3.json": ("ninjs", "Tokyo commuter lines resume after power fault", "Kyodo News",
                      "2024-03-04 00:05:00"),
    "newsml_item_nitf.xml": ("newsml-g2", "Berlin baut zehn neue Radwege", "dpa",
                             "2024-05-02 08:20:00"),
    "nitf_ap_3x.xml": ("nitf", "Lake-effect snow buries Buffalo suburbs, closes Thruway stretch",
                       "Associated Press", "2026-01-05 12:15:00"),
    "anpa_ap_writethru.txt": ("anpa-1312", "Hawks rally past Heat in overtime",
                              "Associated Press", "1996-02-20 10:12:00"),
    "iptc7901_dpa.txt": ("iptc-7901", "IG Metall droht mit Warnstreiks in der Metallindustrie",
                         "dpa", "1996-01-06 15:30:00"),
    "newsml1_afp.xml": ("newsml-1", "British MPs back housing bill after late-night debate",
                        "Agence France-Presse", "2026-01-05 10:15:00"),
    "apmedia_item.json": ("ap-media-json", "Wildfire forces evacuations north of Los Angeles",
                          "Associated Press", "2026-01-05 18:42:11"),
    "g2_reuters_leading_ednote.xml": (
        "newsml-g2", "Euro zone factory activity shrinks again in December", "Reuters",
        "2026-01-05 14:02:00"),
    "bundle.zip!nitf_efe_2x.xml": ("nitf", "España registra el enero más cálido desde que hay datos",
                                   "EFE", "2026-01-05 11:42:00"),
    "agate.txt.gz!agate.txt": ("anpa-1312", "American League Standings", "Associated Press",
                               "1996-09-14 05:04:00"),
    "story.html": ("wire-text", "Harbour bridge reopens after repairs", "Australian Associated Press",
                   "2026-03-05 18:00:00"),
}
MULTI_ITEM_FILES = {"records.jsonl": ("jsonl", 3), "reuters.sgm": ("sgml-reuters", 3)}
HTML_STORY = (
    "<!DOCTYPE html><html><head><title>x</title></head><body><h1>Harbour bridge reopens after "
    "repairs</h1><p>SYDNEY, March 5 (AAP) - The harbour bridge reopened to traffic on Thursday."
    "</p></body></html>"
)


def _landing_with_every_format(landing: Path) -> None:
    landing.mkdir()
    for name in [*EVERY_FORMAT, *MULTI_ITEM_FILES]:
        if "!" not in name and name != "story.html":
            (landing / name).write_bytes((FORMAT_FIXTURES / name).read_bytes())
    (landing / "story.html").write_text(HTML_STORY, encoding="utf-8")
    with zipfile.ZipFile(landing / "bundle.zip", "w") as bundle:
        bundle.writestr("nitf_efe_2x.xml", (FORMAT_FIXTURES / "nitf_efe_2x.xml").read_bytes())
    (landing / "agate.txt.gz").write_bytes(
        gzip.compress((FORMAT_FIXTURES / "anpa_ap_agate.txt").read_bytes(), mtime=0))
    # Formats whose date comes from the file resolve it against the file's time.
    stamp = datetime(2026, 3, 5, 18, 0, tzinfo=UTC).timestamp()
    for path in landing.iterdir():
        os.utime(path, (stamp, stamp))


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_one_file_of_every_format_in_one_warehouse(tmp_path: Path) -> None:
    from flows.nightly import nightly

    landing = tmp_path / "landing"
    _landing_with_every_format(landing)
    nightly(source=str(landing), warehouse=str(tmp_path / "wh"))
    rows = run_query(
        tmp_path / "wh",
        "SELECT source_uri, source_format, headline, agency, published_at FROM dispatches",
    ).rows
    by_file = {
        uri.removeprefix(str(landing) + "/"): (*rest, _utc_text(published_at))
        for uri, *rest, published_at in rows
    }
    for name, expected in EVERY_FORMAT.items():
        assert by_file.get(name) == expected, (name, by_file.get(name))
    for name, (source_format, count) in MULTI_ITEM_FILES.items():
        items = [row for uri, row in by_file.items() if uri.startswith(name + "#")]
        assert len(items) == count and {row[0] for row in items} == {source_format}, name
    quarantined = run_query(tmp_path / "wh", "SELECT source_uri, reason FROM quarantine").rows
    assert quarantined == []

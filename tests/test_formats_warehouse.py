"""A dispatch gives the same warehouse rows loose, inside a zip, or inside a tar.gz."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from transforms.query import run_query
from transforms.reference import default_seeds_dir
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

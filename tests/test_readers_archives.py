"""Archives: the same dispatches loose or archived, limits, unsafe members and corruption."""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import shutil
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seeds import default_seeds_dir
from transforms.readers import ReaderLimits, read_path
from transforms.records import ParsedDispatch, Rejection
from transforms.reference import Reference, load_reference

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES.iterdir() if path.is_file())
# Zip keeps local time in 2-second steps: an even UTC second survives a round trip.
MTIME = datetime(2024, 3, 6, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(default_seeds_dir())


def read_all(path: Path, reference: Reference, **kwargs: object) -> list:
    return list(read_path(path, reference=reference, **kwargs))


def reasons(items: list) -> list[str]:
    return [item.reason if isinstance(item, Rejection) else "ok" for item in items]


def without_uri(items: list) -> list:
    return [dataclasses.replace(item, source_uri="") for item in items]


def zip_bytes(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=MTIME.timetuple()[:6])
            info.compress_type = method
            archive.writestr(info, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], *, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if compress else "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(MTIME.timestamp())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fixture_members() -> dict[str, bytes]:
    return {name: (FIXTURES / name).read_bytes() for name in FIXTURE_NAMES}


@pytest.fixture
def loose_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "loose"
    folder.mkdir()
    for name in FIXTURE_NAMES:
        shutil.copy(FIXTURES / name, folder / name)
        os.utime(folder / name, (MTIME.timestamp(), MTIME.timestamp()))
    return folder


def test_same_dispatches_loose_in_zip_and_in_tar_gz(tmp_path, loose_dir, reference):
    loose = [item for name in FIXTURE_NAMES for item in read_all(loose_dir / name, reference)]
    assert all(isinstance(item, ParsedDispatch) for item in loose)
    assert {item.source_format for item in loose} == {
        "ninjs", "newsml-g2", "jsonl", "sgml-reuters", "wire-text", "nitf", "anpa-1312",
        "iptc-7901", "newsml-1", "ap-media-json",
    }
    zipped = tmp_path / "batch.zip"
    zipped.write_bytes(zip_bytes(fixture_members()))
    tarred = tmp_path / "batch.tar.gz"
    tarred.write_bytes(tar_bytes(fixture_members()))
    for archive in (zipped, tarred):
        items = read_all(archive, reference)
        # raw_sha256 is the member's own bytes, so only the URI differs.
        assert without_uri(items) == without_uri(loose)
        suffixes = [item.source_uri.removeprefix(f"{archive}!") for item in items]
        assert suffixes == [item.source_uri.removeprefix(f"{loose_dir}/") for item in loose]


def test_wire_text_in_archive_resolves_against_member_mtime(tmp_path, reference):
    data = (FIXTURES / "wire_ap.txt").read_bytes()
    zipped = tmp_path / "wire.zip"
    zipped.write_bytes(zip_bytes({"wire_ap.txt": data}))
    os.utime(zipped, (0, 0))  # the archive's own mtime must not be used
    (dispatch,) = read_all(zipped, reference)
    assert dispatch.published_at == datetime(2024, 3, 5, tzinfo=UTC)
    assert dispatch.source_uri == f"{zipped}!wire_ap.txt"


def test_nested_archives_get_chained_uris(tmp_path, reference):
    inner = tar_bytes({"x/ninjs_v1.json": (FIXTURES / "ninjs_v1.json").read_bytes()})
    outer = tmp_path / "a.zip"
    outer.write_bytes(zip_bytes({"inner.tar.gz": inner}))
    (dispatch,) = read_all(outer, reference)
    assert dispatch.source_uri == f"{outer}!inner.tar.gz!x/ninjs_v1.json"
    assert dispatch.source_format == "ninjs"


def test_nesting_deeper_than_the_limit_is_refused(tmp_path, reference):
    payload = zip_bytes({"wire_ap.txt": (FIXTURES / "wire_ap.txt").read_bytes()})
    for level in range(3):
        payload = zip_bytes({f"level{level}.zip": payload})
    path = tmp_path / "deep.zip"
    path.write_bytes(payload)
    (item,) = read_all(path, reference)
    assert item.reason == "archive_nesting_too_deep"
    assert item.source_uri == f"{path}!level2.zip!level1.zip!level0.zip"
    opened = read_all(path, reference, limits=ReaderLimits(max_nesting_depth=4))
    assert reasons(opened) == ["ok"]


def test_plain_gz_holds_one_streamed_member(tmp_path, reference):
    path = tmp_path / "records.jsonl.gz"
    path.write_bytes(gzip.compress((FIXTURES / "records.jsonl").read_bytes(), mtime=0))
    items = read_all(path, reference)
    assert [item.source_uri for item in items] == [
        f"{path}!records.jsonl#L{n}" for n in (1, 2, 3)
    ]


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt",
                                  "C:\\evil.txt"])
def test_zip_slip_and_absolute_names_are_refused(tmp_path, name, reference):
    path = tmp_path / "slip.zip"
    good = (FIXTURES / "ninjs_v1.json").read_bytes()
    path.write_bytes(zip_bytes({name: b"x", "good.json": good}))
    items = read_all(path, reference)
    assert reasons(items) == ["archive_member_unsafe", "ok"]
    assert items[0].source_uri == f"{path}!{name}"


def test_tar_links_devices_and_unsafe_names_are_refused(tmp_path, reference):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, kind in (("link", tarfile.SYMTYPE), ("hard", tarfile.LNKTYPE),
                           ("dev", tarfile.CHRTYPE), ("fifo", tarfile.FIFOTYPE)):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd"
            archive.addfile(info)
        for name in ("../up.txt", "/abs.txt", "ok.json"):
            data = (FIXTURES / "ninjs_v1.json").read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path = tmp_path / "unsafe.tar"
    path.write_bytes(buffer.getvalue())
    assert reasons(read_all(path, reference)) == ["archive_member_unsafe"] * 6 + ["ok"]


def test_zip_symlink_member_is_refused(tmp_path, reference):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link.txt")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    path = tmp_path / "link.zip"
    path.write_bytes(buffer.getvalue())
    assert reasons(read_all(path, reference)) == ["archive_member_unsafe"]


def test_zip_bomb_is_refused_before_inflating(tmp_path, reference):
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_bytes({"zeros.txt": bytes(50 * 1024 * 1024),
                                "good.json": (FIXTURES / "ninjs_v3.json").read_bytes()}))
    assert path.stat().st_size < 1024 * 1024
    items = read_all(path, reference)
    assert reasons(items) == ["archive_too_large", "ok"]
    assert "compression ratio" in items[0].detail


def test_a_small_highly_compressible_zip_is_read_not_judged_by_its_ratio(tmp_path, reference):
    # Repeated wire copy compresses far beyond 200:1; under 1 MiB inflated that is harmless.
    story = ("Talks resume\nTOKYO, Jan 5 (Reuters) - Officials met on Tuesday.\n"
             + "The talks went on late into the night. " * 20_000).encode()
    path = tmp_path / "repetitive.zip"
    path.write_bytes(zip_bytes({"story.txt": story}))
    assert len(story) < 1024 * 1024 and len(story) > 200 * path.stat().st_size
    assert reasons(read_all(path, reference)) == ["ok"]


def test_the_ratio_is_judged_from_one_mebibyte_inflated():
    limits = ReaderLimits()
    assert not limits.ratio_exceeded(1024 * 1024, 1)
    assert limits.ratio_exceeded(1024 * 1024 + 1, 1)


def test_gzip_bomb_is_refused_while_streaming(tmp_path, reference):
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(gzip.compress(bytes(50 * 1024 * 1024)))
    (item,) = read_all(path, reference)
    assert item.reason == "archive_too_large"


def test_member_over_the_item_limit_is_refused(tmp_path, reference):
    path = tmp_path / "big.tar"
    path.write_bytes(tar_bytes({"big.txt": b"word " * 2000,
                                "ok.json": (FIXTURES / "ninjs_v2.json").read_bytes()},
                               compress=False))
    items = read_all(path, reference, limits=ReaderLimits(max_item_bytes=4096))
    assert reasons(items) == ["too_large", "ok"]


def test_member_count_limit(tmp_path, reference):
    members = {f"m{n}.json": (FIXTURES / "ninjs_v1.json").read_bytes() for n in range(5)}
    path = tmp_path / "many.zip"
    path.write_bytes(zip_bytes(members))
    (item,) = read_all(path, reference, limits=ReaderLimits(max_members=3))
    assert (item.reason, item.source_uri) == ("archive_too_large", str(path))


def test_corrupt_zip_member_does_not_stop_its_siblings(tmp_path, reference):
    members = fixture_members()
    data = bytearray(zip_bytes({"bad.json": members["ninjs_v1.json"], **members},
                               method=zipfile.ZIP_STORED))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("bad.json")
    data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[data_start + 20] ^= 0xFF  # the CRC no longer matches
    path = tmp_path / "partly-corrupt.zip"
    path.write_bytes(bytes(data))
    items = read_all(path, reference)
    assert reasons(items)[0] == "corrupt_archive"
    assert items[0].source_uri == f"{path}!bad.json"
    assert reasons(items)[1:] == ["ok"] * (len(items) - 1)
    assert len(items) > len(FIXTURE_NAMES)


def test_truncated_tar_gz_keeps_what_was_read(tmp_path, reference):
    # Random hex does not compress, so the cut falls inside the last member.
    filler = os.urandom(100_000).hex().encode()
    data = tar_bytes({**fixture_members(), "filler.txt": filler})
    path = tmp_path / "truncated.tar.gz"
    path.write_bytes(data[: len(data) - 50_000])
    items = read_all(path, reference)
    assert items[-1].reason == "corrupt_archive"
    assert items[-1].source_uri == str(path)
    assert "ok" in reasons(items)


def test_garbage_after_zip_magic_is_a_corrupt_archive(tmp_path, reference):
    path = tmp_path / "fake.zip"
    path.write_bytes(b"PK\x03\x04" + b"garbage" * 20)
    (item,) = read_all(path, reference)
    assert item.reason == "corrupt_archive"

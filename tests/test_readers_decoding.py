"""Bytes to text: BOMs, UTF-16 with and without BOM, cp1252, latin-1, invalid UTF-8, binary."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from seeds import default_seeds_dir
from transforms.readers import read_path
from transforms.readers.decoding import decode_bytes
from transforms.records import ParsedDispatch, ParseError, Rejection
from transforms.reference import Reference, load_reference

WIRE = (
    "Café owners protest new rules\n"
    "ROME, March 5 (AP) -- Owners of cafés in Rome protested on Tuesday against rules "
    "that would limit outdoor seating, saying “the city’s charm” was at stake.\n"
)
LATIN1_WIRE = WIRE.replace("“", '"').replace("”", '"').replace("’", "'")


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(default_seeds_dir())


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (WIRE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + WIRE.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + WIRE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + WIRE.encode("utf-16-be"), "utf-16-be"),
        (WIRE.encode("utf-16-le"), "utf-16-le"),
        (WIRE.encode("utf-16-be"), "utf-16-be"),
        (WIRE.encode("cp1252"), "cp1252"),
    ],
)
def test_decodes_to_the_same_text(data, encoding):
    decoded = decode_bytes(data)
    assert decoded.text == WIRE
    assert decoded.encoding == encoding


def test_latin1_fallback_for_bytes_cp1252_leaves_undefined():
    data = LATIN1_WIRE.encode("latin-1") + b"\x81"  # 0x81 is undefined in cp1252
    decoded = decode_bytes(data)
    assert decoded.encoding == "latin-1"
    assert decoded.text.startswith("Café owners")


def test_invalid_utf8_is_read_as_cp1252():
    decoded = decode_bytes(b"Caf\xe9 \x93quoted\x94 text")
    assert (decoded.text, decoded.encoding) == ("Café “quoted” text", "cp1252")


def test_text_is_nfc_and_loses_its_bom():
    decoded = decode_bytes(codecs.BOM_UTF8 + "Cafe\u0301".encode())
    assert decoded.text == "Café"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary_file"),
        (bytes(range(1, 32)) * 10, "binary_file"),
        (bytes(range(0x80, 0x100)) * 4, "undecodable_text"),
        (codecs.BOM_UTF8 + b"ok \xff\xfe broken", "undecodable_text"),
    ],
)
def test_refuses_binary_and_undecodable_data(data, reason):
    with pytest.raises(ParseError) as caught:
        decode_bytes(data)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "data",
    [
        WIRE.encode("utf-8"),
        codecs.BOM_UTF8 + WIRE.encode("utf-8"),
        codecs.BOM_UTF16_LE + WIRE.encode("utf-16-le"),
        WIRE.encode("utf-16-le"),
        WIRE.encode("utf-16-be"),
        WIRE.encode("cp1252"),
    ],
)
def test_wire_text_in_any_encoding_gives_the_same_dispatch(tmp_path, data, reference):
    path = tmp_path / "wire.txt"
    path.write_bytes(data)
    (dispatch,) = read_path(path, reference=reference)
    assert isinstance(dispatch, ParsedDispatch)
    assert dispatch.headline == "Café owners protest new rules"
    assert (dispatch.dateline_place, dispatch.agency) == ("Rome", "Associated Press")
    assert "“the city’s charm”" in dispatch.body


def test_binary_file_is_rejected_with_its_hash(tmp_path, reference):
    path = tmp_path / "image.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4)
    (item,) = read_path(path, reference=reference)
    assert isinstance(item, Rejection)
    assert item.reason == "binary_file"
    assert item.raw_sha256 is not None


def test_missing_path_is_a_rejection(tmp_path, reference):
    (item,) = read_path(Path(tmp_path / "nope.txt"), reference=reference)
    assert item.reason == "not_a_file"


def test_utf8_cyrillic_and_greek_text_is_not_taken_for_binary(tmp_path) -> None:
    # Read as latin-1, their UTF-8 continuation bytes 0x80-0x9F look like control characters.
    from transforms.readers.decoding import looks_binary

    for text in ("МОСКВА, 5 января (ТАСС) - Президент заявил, что переговоры продолжатся.",
                 "ΑΘΗΝΑ, 5 Ιαν (ΑΠΕ) - Ο πρωθυπουργός είπε ότι οι συνομιλίες συνεχίζονται."):
        data = text.encode("utf-8")
        assert not looks_binary(data)
        assert not looks_binary(data[:-1]), "a prefix cut inside a character is still UTF-8"
    assert looks_binary(bytes(range(256)) * 4)

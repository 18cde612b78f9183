"""Bytes to NFC text, telling which encoding was used and refusing binary data.

Wire feeds arrive as UTF-8 (with or without a BOM), UTF-16 from Windows tools (sometimes with no
BOM), cp1252 from old editorial systems and latin-1 from archives such as Reuters-21578. Binary
data must be refused rather than decoded into garbage that would then be "parsed".
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from transforms.records import ParseError

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE_BYTES = 8192
# Control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) other than the
# whitespace ones (tab, newline, CR, form feed, vertical tab).
_DISALLOWED_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]+")
# Share of control characters above which text is taken for binary data.
_MAX_CONTROL_SHARE = 0.05
# Share of bytes >= 0x80 above which a latin-1 reading is not believed.
_MAX_LATIN1_HIGH_SHARE = 0.3


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def decode_bytes(data: bytes) -> DecodedText:
    """Decode `data` to NFC text without a BOM. Raises ParseError for binary or undecodable data."""
    if not data:
        raise ParseError("empty_file", "no bytes")
    encoding = _bom_encoding(data) or _bomless_utf16_encoding(data)
    if encoding is not None:
        text = _strict_decode(data, encoding)
        if text is None:
            raise ParseError("undecodable_text", f"invalid {encoding} data")
        return _finish(text, encoding)
    if b"\x00" in data:
        raise ParseError("binary_file", "NUL bytes in data that is not UTF-16")
    for candidate in ("utf-8", "cp1252"):
        text = _strict_decode(data, candidate)
        if text is not None:
            return _finish(text, candidate)
    if _high_byte_share(data) > _MAX_LATIN1_HIGH_SHARE:
        raise ParseError("undecodable_text", "neither UTF-8 nor cp1252 and too many high bytes")
    return _finish(data.decode("latin-1"), "latin-1")


def sniff_encoding(head: bytes) -> str:
    """The encoding a prefix announces by BOM or NUL pattern, else UTF-8 (for sniffing only)."""
    return _bom_encoding(head) or _bomless_utf16_encoding(head) or "utf-8"


def looks_binary(data: bytes) -> bool:
    """Cheap test on a prefix: NULs that are not UTF-16 text, or many control bytes."""
    sample = data[:_SAMPLE_BYTES]
    if _bom_encoding(sample) or _bomless_utf16_encoding(sample):
        return False
    if b"\x00" in sample:
        return True
    return _control_share(_sample_text(sample)) > _MAX_CONTROL_SHARE


def _sample_text(sample: bytes) -> str:
    """The prefix as UTF-8 when it is UTF-8 (cut mid-character at its end or not), else latin-1.

    Read as latin-1, UTF-8 continuation bytes 0x80-0x9F look like C1 control characters: most
    Cyrillic or Greek text would pass for binary data.
    """
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return sample.decode("latin-1")


def _finish(text: str, encoding: str) -> DecodedText:
    text = text.removeprefix("\ufeff")
    if _control_share(text[:_SAMPLE_BYTES]) > _MAX_CONTROL_SHARE:
        raise ParseError("binary_file", f"control characters in {encoding} text")
    return DecodedText(unicodedata.normalize("NFC", text), encoding)


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _bomless_utf16_encoding(data: bytes) -> str | None:
    """UTF-16 without BOM: mostly-ASCII text has a NUL in every other byte, on one side only."""
    sample = data[: _SAMPLE_BYTES - _SAMPLE_BYTES % 2]
    pairs = len(sample) // 2
    if pairs < 2 or len(data) % 2:
        return None
    nul_even = sample[0::2].count(0)
    nul_odd = sample[1::2].count(0)
    if nul_odd > 0.3 * pairs and nul_even < 0.02 * pairs:
        return "utf-16-le"
    if nul_even > 0.3 * pairs and nul_odd < 0.02 * pairs:
        return "utf-16-be"
    return None


def _strict_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    # A regex count: a per-character category lookup here was most of the parse time.
    return sum(map(len, _DISALLOWED_CONTROLS.findall(text))) / len(text)


def _high_byte_share(data: bytes) -> float:
    sample = data[:_SAMPLE_BYTES]
    return sum(1 for byte in sample if byte >= 0x80) / len(sample)

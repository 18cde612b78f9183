"""Wire text made plain: one kind of line break, entities decoded, control characters gone."""

from __future__ import annotations

import re
import unicodedata

# Transmission control characters (SOH, STX, ETX, ...) and DEL; C1 controls only ever appear
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Some feeds (Reuters' SGML era) write control characters as entities: "Reuter &#3;".
_NUMERIC_ENTITY = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
_NAMED_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&nbsp;": " "}
_NAMED_ENTITY = re.compile("|".join(re.escape(name) for name in _NAMED_ENTITIES))
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_BLANKS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _decode_numeric_entity(match: re.Match[str]) -> str:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return ""
    return chr(code)


def clean_wire_text(text: str) -> str:
    """NFC text with unified line breaks, entities decoded and control characters removed."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _NUMERIC_ENTITY.sub(_decode_numeric_entity, text)
    text = _NAMED_ENTITY.sub(lambda match: _NAMED_ENTITIES[match.group(0)], text)
    text = _CONTROL_CHARS.sub("", text)
    return unicodedata.normalize("NFC", text)


def squeeze(text: str) -> str:
    return _BLANKS.sub(" ", text).strip()

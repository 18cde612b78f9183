"""XML parsing for formats that arrive with a DOCTYPE (NITF, NewsML 1.x).

NITF 2.x and NewsML 1.x documents name an external DTD (`<!DOCTYPE nitf SYSTEM "nitf.dtd">`)
and use HTML entities (`&nbsp;`, `&eacute;`) the DTD would define. External DTDs are never
fetched; an internal subset or ENTITY declaration is refused (entity expansion is how "billion
laughs" documents exhaust memory); HTML entities are replaced by character references before
parsing; namespaces are dropped so that NITF 3.x (namespaced) and 2.x read alike.
"""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

from transforms.readers.decoding import decode_bytes
from transforms.records import ParseError

_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_safe_xml(data: bytes) -> ET.Element:
    """The document's root element with namespaces removed; ParseError for unsafe or bad XML."""
    data = _with_character_references(data)
    try:
        _refuse_declarations(data)
        root = ET.fromstring(data)
    except (ParseError, ET.ParseError, expat.ExpatError) as first:
        # Declared (or assumed) UTF-8 but really cp1252/latin-1: decode and parse as text.
        if isinstance(first, ParseError) and first.reason == "unsafe_xml":
            raise
        text = _DECLARATION.sub("", decode_bytes(data).text)
        encoded = text.encode("utf-8")
        try:
            _refuse_declarations(encoded)
            root = ET.fromstring(encoded)
        except (ET.ParseError, expat.ExpatError) as exc:
            raise ParseError("malformed_xml", str(first)) from exc
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rpartition("}")[2]
    return root


def _with_character_references(data: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        name = match[1]
        if name in _XML_ENTITIES:
            return match[0]
        code = html.entities.name2codepoint.get(name.decode("ascii"))
        return b"&#%d;" % code if code else match[0]
    return _ENTITY.sub(replace, data)


def _refuse_declarations(data: bytes) -> None:
    parser = expat.ParserCreate()

    def doctype(_name: str, _system: str | None, _public: str | None, internal: bool) -> None:
        if internal:
            raise ParseError("unsafe_xml", "DTD internal subsets are not accepted")

    def entity(*_args: object) -> None:
        raise ParseError("unsafe_xml", "ENTITY declarations are not accepted")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ParseError("malformed_xml", str(exc)) from exc


def local_root_name(text: str) -> str | None:
    """The root element's local name from the start of a document, skipping the prolog."""
    match = re.match(
        r"\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*"
        r"<(?:[\w.-]+:)?([\w.-]+)",
        text,
        re.DOTALL,
    )
    return match[1] if match else None

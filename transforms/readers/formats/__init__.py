"""One module per input format, each with `sniff(head) -> score` and `read(source, context)`.

The order of `FORMATS` breaks ties: specific formats first, catch-alls last.
"""

from __future__ import annotations

from transforms.readers.formats import (
    anpa_1312,
    ap_media_json,
    binary,
    empty,
    gzip_stream,
    html,
    iptc_7901,
    json_document,
    json_lines,
    newsml_1,
    newsml_g2,
    nitf,
    ritzau_rbnews,
    sgml_reuters,
    tar_archive,
    unknown_xml,
    wire_text,
    zip_archive,
)
from transforms.readers.registry import InputFormat

# IPTC 7901 before ANPA-1312: a 7901 header with a one-letter service code ("e0620 4 i 211 …",
# as dpa sends) also fits ANPA's selector, while an ANPA line never fits 7901's header (its
# priority is a letter, 7901's a digit), so the tie between the two is always 7901's.
FORMATS: tuple[InputFormat, ...] = tuple(
    module.FORMAT
    for module in (
        empty, zip_archive, gzip_stream, tar_archive, iptc_7901, anpa_1312, binary,
        ap_media_json, json_lines, json_document, sgml_reuters, newsml_g2, newsml_1, nitf,
        ritzau_rbnews, html, unknown_xml, wire_text,
    )
)

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

FORMATS: tuple[InputFormat, ...] = tuple(
    module.FORMAT
    for module in (
        empty, zip_archive, gzip_stream, tar_archive, anpa_1312, iptc_7901, binary,
        ap_media_json, json_lines, json_document, sgml_reuters, newsml_g2, newsml_1, nitf,
        ritzau_rbnews, html, unknown_xml, wire_text,
    )
)

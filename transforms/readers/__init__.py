"""Readers: every input file becomes dispatches and rejections, one item at a time.

`read` is the entry point (`read_path`), which sniffs each file's format with `registry` among
`formats` (one module per format: archives, transmissions, XML and JSON kinds, wire text);
`wiretext` reads plain wire text and holds the one dateline grammar every reader uses.
How files arrive (the landing folder) is `transforms.landing`; readers only parse bytes.
"""

from transforms.readers.limits import DEFAULT_LIMITS, ReaderLimits
from transforms.readers.read import current_parser_version, read_path, refused_by_this_parser, sniff_format

__all__ = ["DEFAULT_LIMITS", "ReaderLimits", "current_parser_version", "read_path", "refused_by_this_parser",
           "sniff_format"]

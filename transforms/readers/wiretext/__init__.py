"""Plain wire text: one dispatch per text, found by its dateline.

`parse` reads a text; `cleaning`, `datelines` (the one dateline grammar and month table, used by
every reader), `dates` (which calendar day a dateline means), `header`, `notes` and `trailers`
are its parts.
"""

from transforms.readers.wiretext.parse import parse_wire_text

__all__ = ["parse_wire_text"]

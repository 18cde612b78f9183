"""The ordered registry of input formats and the choice between them.

Every format module offers `sniff(head) -> score` (0 = not this format, 1 = certainly it) and
`read(source, context)`. The format with the highest score reads the source; on a tie the one
listed first wins, so specific formats are listed before the catch-alls (wire text).

The scale in use: 1.0 magic numbers (archives) and no bytes at all; 0.98 transmission formats
whose control characters are framing (ANPA-1312, IPTC 7901); 0.96 binary data; 0.95 an XML
root element that names its format (NITF, NewsML 1.x, RBNews); 0.9 NewsML-G2's namespace and Reuters
SGML; 0.8 AP Media API JSON; 0.6 JSON Lines; 0.5 any JSON; 0.7 HTML; 0.3 other XML; 0.01
any text (wire text). Only the order of the scores matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from transforms.readers.source import Context, Item, Source


@dataclass(frozen=True)
class InputFormat:
    name: str
    sniff: Callable[[bytes], float]
    read: Callable[[Source, Context], Iterator[Item]]


def best_format(head: bytes, formats: tuple[InputFormat, ...]) -> InputFormat:
    """The format scoring highest on `head`; the first listed wins a tie."""
    best, best_score = formats[-1], 0.0
    for candidate in formats:
        score = candidate.sniff(head)
        if score > best_score:
            best, best_score = candidate, score
    return best

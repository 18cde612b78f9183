"""The ordered registry of input formats and the choice between them.

Every format module offers `sniff(head) -> score` (0 = not this format, 1 = certainly it) and
`read(source, context)`. The format with the highest score reads the source; on a tie the one
listed first wins, so specific formats are listed before the catch-alls (wire text).
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

"""What a format reader is handed: a source to open and the context of the run.

Kept apart from the registry so that format modules can import it without importing each other.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING

from transforms.readers.decoding import sniff_encoding
from transforms.records import ParsedDispatch, Rejection

if TYPE_CHECKING:
    from transforms.readers.limits import ReaderLimits
    from transforms.reference import Reference

Item = ParsedDispatch | Rejection
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Source:
    """Something to read: a file, an archive member or the inflated content of a .gz."""

    uri: str
    mtime: datetime | None
    open: Callable[[], IO[bytes]]
    # How many archives this source sits inside (0 for a file on disk).
    depth: int


@dataclass(frozen=True)
class Context:
    reference: Reference
    limits: ReaderLimits
    # Reads a source found inside another (an archive member) with full format detection.
    read_nested: Callable[[Source, Context], Iterator[Item]]


def bytes_opener(data: bytes) -> Callable[[], IO[bytes]]:
    return lambda: io.BytesIO(data)


@functools.lru_cache(maxsize=4)
def head_text(head: bytes) -> str:
    """The sniffed head as text for sniffers: BOM and leading blanks gone, bad bytes replaced."""
    return head.decode(sniff_encoding(head), errors="replace").lstrip("\ufeff \t\r\n")


def read_whole(
    source: Source, context: Context, parse: Callable[[bytes], Iterator[Item]]
) -> Iterator[Item]:
    """Items of a format that needs the whole (size-limited) input in memory; a ParseError
    becomes a rejection carrying the hash of the raw bytes."""
    import transforms.readers.archives as archives
    from transforms.readers.common import sha256_hex
    from transforms.records import ParseError

    with source.open() as stream:
        data = archives.read_limited(stream, context.limits.max_item_bytes)
    try:
        yield from parse(data)
    except ParseError as exc:
        yield Rejection(source.uri, exc.reason, exc.detail, sha256_hex(data))

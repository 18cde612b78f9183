"""One streaming entry point for every input format: `read_path`.

The format is sniffed from the bytes (the extension may lie) by the ordered registry in
`transforms.readers.formats`: each format module scores how well the first bytes match it and
the best score reads the source. Archives (zip, gzip, tar) hand each member back to the
registry, so a member is sniffed like a file.

`read_path` never raises for bad input: whatever cannot be read becomes a `Rejection` with a
short reason, and the items around it are still read.
"""

from __future__ import annotations

import dataclasses
import gzip
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from transforms.readers.formats import FORMATS
from transforms.readers.limits import DEFAULT_LIMITS, ReaderLimits
from transforms.readers.registry import InputFormat, best_format, parser_version, same_registry
from transforms.readers.source import SNIFF_BYTES, Context, Item, Source
from transforms.records import ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

def read_path(
    path: Path,
    *,
    reference: Reference,
    source_uri: str | None = None,
    limits: ReaderLimits = DEFAULT_LIMITS,
) -> Iterator[ParsedDispatch | Rejection]:
    """Dispatches and rejections of one input file, yielded one at a time; never raises."""
    uri = source_uri or str(path)
    try:
        if not path.is_file():
            yield Rejection(uri, "not_a_file", "not a regular file")
            return
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError, OverflowError) as exc:
        yield Rejection(uri, "unreadable_file", f"{type(exc).__name__}: {exc}")
        return
    source = Source(uri, mtime, lambda: path.open("rb"), depth=0)
    yield from _read_source(source, Context(reference, limits, _read_source))


def sniff_format(head: bytes) -> str:
    """The name of the format the first bytes of an input announce.

    One of: empty, zip, gzip, tar, binary, json, jsonl, ap-media-json, sgml-reuters, newsml-g2,
    newsml-1, nitf, anpa-1312, iptc-7901, html, xml (XML no reader knows) or wire-text.
    """
    return best_format(head, FORMATS).name


def current_parser_version(refused_by: InputFormat | None = None) -> str:
    """The parser version a refusal made now records (see transforms.readers.registry)."""
    return parser_version(FORMATS, refused_by)


def refused_by_this_parser(recorded: str | None) -> bool:
    """Whether a quarantine row's `parser_version` is this registry's: a refusal by any other
    (older) parser, or from before versions were recorded, might now read."""
    return same_registry(recorded, FORMATS)


def _read_source(source: Source, context: Context) -> Iterator[Item]:
    """Every item of a source; a failure becomes a rejection of what remains of it. Each
    rejection records the parser version of the format that refused it (an archive member's,
    its own format's)."""
    chosen: InputFormat | None = None
    try:
        with source.open() as stream:
            head = stream.read(SNIFF_BYTES)
        chosen = best_format(head, FORMATS)
        for item in chosen.read(source, context):
            if isinstance(item, Rejection) and item.parser_version is None:
                item = dataclasses.replace(item, parser_version=current_parser_version(chosen))
            yield item
        return
    except ParseError as exc:
        refusal = Rejection(source.uri, exc.reason, exc.detail)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        refusal = Rejection(source.uri, "corrupt_archive", f"{type(exc).__name__}: {exc}")
    except OSError as exc:  # no permission to open it, an I/O error while reading it
        refusal = Rejection(source.uri, "unreadable_file", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - reading bad input must never raise
        refusal = Rejection(source.uri, "reader_error", f"{type(exc).__name__}: {exc}")
    yield dataclasses.replace(refusal, parser_version=current_parser_version(chosen))

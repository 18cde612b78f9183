"""One streaming entry point for every input format: `read_path`.

The format is sniffed from the bytes (the extension may lie): zip, gzip and tar archives are
opened member by member and each member dispatched again, JSON is ninjs (one object or an
array), JSON Lines is one object per line, XML in the NewsML-G2 namespace is NewsML-G2,
`<REUTERS` collections are Reuters-21578 SGML, and anything else textual is wire text.

`read_path` never raises for bad input: whatever cannot be read becomes a `Rejection` with a
short reason, and the items around it are still read.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from transforms.readers import archives
from transforms.readers.common import sha256_hex
from transforms.readers.decoding import decode_bytes, looks_binary, sniff_encoding
from transforms.readers.html_text import html_to_text
from transforms.readers.jsonl import dispatch_from_object, read_jsonl
from transforms.readers.limits import DEFAULT_LIMITS, ReaderLimits
from transforms.readers.newsml import G2_NAMESPACE, read_newsml
from transforms.readers.ninjs import is_ninjs
from transforms.readers.sgml import looks_like_sgml_collection, read_sgml
from transforms.records import ParsedDispatch, ParseError, Rejection
from transforms.wiretext import parse_wire_text

if TYPE_CHECKING:
    from transforms.reference import Reference

__all__ = ["DEFAULT_LIMITS", "ReaderLimits", "read_path", "sniff_format"]

Item = ParsedDispatch | Rejection
SNIFF_BYTES = 64 * 1024
_HTML_START = re.compile(r"<(?:!doctype\s+html|html)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Source:
    """Something to read: a file, an archive member or the inflated content of a .gz."""

    uri: str
    mtime: datetime | None
    open: Callable[[], IO[bytes]]
    # How many archives this source sits inside (0 for a file on disk).
    depth: int


@dataclass(frozen=True)
class _Context:
    reference: Reference
    limits: ReaderLimits


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
    source = _Source(uri, mtime, lambda: path.open("rb"), depth=0)
    yield from _read_source(source, _Context(reference, limits))


def sniff_format(head: bytes) -> str:
    """The format the first bytes of an input announce.

    One of: empty, zip, gzip, tar, binary, json, jsonl, sgml-reuters, newsml-g2, html, xml
    (XML this reader does not know) or wire-text.
    """
    if not head:
        return "empty"
    if archives.is_zip(head):
        return "zip"
    if archives.is_gzip(head):
        return "gzip"
    if archives.is_tar(head):
        return "tar"
    if looks_binary(head):
        return "binary"
    text = head.decode(sniff_encoding(head), errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return "jsonl" if _looks_like_json_lines(head) else "json"
    if looks_like_sgml_collection(text[:4096]):
        return "sgml-reuters"
    if text.startswith("<"):
        if G2_NAMESPACE in text:
            return "newsml-g2"
        return "html" if _HTML_START.match(text) else "xml"
    return "wire-text"


def _looks_like_json_lines(head: bytes) -> bool:
    """The first line is a whole JSON object and another object line follows it."""
    lines = [line for line in head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n")]
    if len(lines) < 2:
        return False
    try:
        first = json.loads(lines[0])
    except (ValueError, RecursionError):
        return False
    following = next((line.strip() for line in lines[1:] if line.strip()), b"")
    return isinstance(first, dict) and following.startswith(b"{")


def _read_source(source: _Source, context: _Context) -> Iterator[Item]:
    """Every item of a source; a failure becomes a rejection of what remains of it."""
    try:
        yield from _dispatch(source, context)
    except ParseError as exc:
        yield Rejection(source.uri, exc.reason, exc.detail)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Rejection(source.uri, "corrupt_archive", f"{type(exc).__name__}: {exc}")
    except OSError as exc:  # no permission to open it, an I/O error while reading it
        yield Rejection(source.uri, "unreadable_file", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - reading bad input must never raise
        yield Rejection(source.uri, "reader_error", f"{type(exc).__name__}: {exc}")


def _dispatch(source: _Source, context: _Context) -> Iterator[Item]:
    with source.open() as stream:
        head = stream.read(SNIFF_BYTES)
    kind = sniff_format(head)
    if kind in ("zip", "gzip", "tar"):
        yield from _read_archive(kind, head, source, context)
    elif kind == "jsonl":
        with source.open() as stream:
            yield from read_jsonl(stream, source_uri=source.uri, reference=context.reference,
                                  limits=context.limits, reference_time=source.mtime)
    elif kind == "sgml-reuters":
        with source.open() as stream:
            yield from read_sgml(stream, source_uri=source.uri, reference=context.reference,
                                 limits=context.limits)
    else:
        with source.open() as stream:
            data = archives.read_limited(stream, context.limits.max_item_bytes)
        yield from _read_whole(kind, data, source, context)


def _read_whole(kind: str, data: bytes, source: _Source, context: _Context) -> Iterator[Item]:
    """Formats whose items need the whole (size-limited) input in memory."""
    raw_sha256 = sha256_hex(data)
    try:
        if kind == "empty":
            raise ParseError("empty_file", "no bytes")
        if kind == "binary":
            raise ParseError("binary_file", "binary data, not text")
        if kind == "json":
            yield from _read_json(data, source, context)
        elif kind == "newsml-g2":
            yield from read_newsml(data, source_uri=source.uri, reference=context.reference)
        elif kind == "xml":
            raise ParseError("unknown_format", _unknown_xml_detail(data))
        else:
            yield _wire_text(data, kind, source, context, raw_sha256)
    except ParseError as exc:
        yield Rejection(source.uri, exc.reason, exc.detail, raw_sha256)


def _unknown_xml_detail(data: bytes) -> str:
    if b"<NewsML" in data[:SNIFF_BYTES]:
        return "NewsML 1.x is not supported (only NewsML-G2)"
    return "XML without the NewsML-G2 namespace"


def _read_json(data: bytes, source: _Source, context: _Context) -> Iterator[Item]:
    text = decode_bytes(data).text
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # Several objects one after another: JSON Lines whose first line is too long to
            # have been recognised from the sniffed head.
            yield from read_jsonl(io.BytesIO(data), source_uri=source.uri,
                                  reference=context.reference, limits=context.limits,
                                  reference_time=source.mtime)
            return
        raise ParseError("malformed_json", str(exc)[:200]) from exc
    except RecursionError as exc:
        raise ParseError("malformed_json", "nested too deeply") from exc
    if isinstance(document, dict):
        yield _json_object(document, source.uri, sha256_hex(data), source, context)
    elif isinstance(document, list):
        for index, element in enumerate(document, start=1):
            element_uri = f"{source.uri}#{index}"
            element_sha = sha256_hex(json.dumps(element, sort_keys=True).encode("utf-8"))
            if isinstance(element, dict):
                yield _json_object(element, element_uri, element_sha, source, context)
            else:
                yield Rejection(element_uri, "malformed_json", "array element is not an object",
                                element_sha)
    else:
        raise ParseError("unknown_format", f"JSON {type(document).__name__}, not an object")


def _json_object(
    obj: dict, uri: str, raw_sha256: str, source: _Source, context: _Context
) -> Item:
    try:
        return dispatch_from_object(
            obj, source_uri=uri, raw_sha256=raw_sha256, reference=context.reference,
            reference_time=source.mtime, source_format="ninjs" if is_ninjs(obj) else "jsonl",
        )
    except ParseError as exc:
        return Rejection(uri, exc.reason, exc.detail, raw_sha256)


def _wire_text(
    data: bytes, kind: str, source: _Source, context: _Context, raw_sha256: str
) -> ParsedDispatch:
    text = decode_bytes(data).text
    if kind == "html":
        text = html_to_text(text)
    return parse_wire_text(
        text,
        # The wire text's own date wins inside the parser; this is the fallback it resolves
        # a bare "Feb 26" against: the member's mtime, else the file's.
        reference_time=source.mtime or datetime.now(UTC),
        reference=context.reference,
        source_uri=source.uri,
        raw_sha256=raw_sha256,
    )


def _read_archive(kind: str, head: bytes, source: _Source, context: _Context) -> Iterator[Item]:
    if source.depth >= context.limits.max_nesting_depth:
        yield Rejection(source.uri, "archive_nesting_too_deep",
                        f"archive nested deeper than {context.limits.max_nesting_depth}")
        return
    if kind == "gzip":
        yield from _read_gzip(head, source, context)
        return
    with source.open() as stream:
        if kind == "zip":
            seekable = stream if stream.seekable() else io.BytesIO(
                archives.read_limited(stream, context.limits.max_item_bytes))
            members = archives.zip_members(seekable, source.uri, context.limits)
        else:
            members = archives.tar_members(stream, source.uri, context.limits)
        yield from _read_members(members, source, context)


def _read_gzip(head: bytes, source: _Source, context: _Context) -> Iterator[Item]:
    """A .tgz/.tar.gz is one archive level (its members get `x.tar.gz!member`); any other .gz
    holds one member, streamed through the inflation guard rather than held in memory."""
    limits = context.limits

    def inflated() -> IO[bytes]:
        return archives.gunzip(source.open(), limits)

    with inflated() as stream:
        inner_head = _tolerant_head(stream)
    if archives.is_tar(inner_head):
        with inflated() as stream:
            yield from _read_members(archives.tar_members(stream, source.uri, limits), source,
                                     context)
        return
    member = _Source(
        uri=f"{source.uri}!{_gunzipped_name(source.uri)}",
        mtime=archives.gzip_mtime(head) or source.mtime,
        open=inflated,
        depth=source.depth + 1,
    )
    yield from _read_source(member, context)


def _tolerant_head(stream: IO[bytes]) -> bytes:
    """Up to SNIFF_BYTES of a possibly truncated stream: a damaged tail must not hide the
    members before it."""
    head = bytearray()
    try:
        while len(head) < SNIFF_BYTES and (chunk := stream.read(4096)):
            head += chunk
    except archives.CORRUPTION_ERRORS:
        if not head:
            raise
    return bytes(head)


def _gunzipped_name(uri: str) -> str:
    name = PurePosixPath(uri.rpartition("!")[2].replace("\\", "/")).name
    for suffix in (".gz", ".gzip"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name + ".gunzipped"


def _read_members(
    members: Iterator[archives.ArchiveMember | Rejection], source: _Source, context: _Context
) -> Iterator[Item]:
    for member in members:
        if isinstance(member, Rejection):
            yield member
            continue
        child = _Source(
            uri=f"{source.uri}!{member.name}",
            mtime=member.mtime or source.mtime,
            open=_bytes_opener(member.data),
            depth=source.depth + 1,
        )
        yield from _read_source(child, context)


def _bytes_opener(data: bytes) -> Callable[[], IO[bytes]]:
    return lambda: io.BytesIO(data)


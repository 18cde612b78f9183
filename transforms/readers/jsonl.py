"""JSON Lines: one ninjs object or flat record per line, streamed line by line.

A bad line becomes a Rejection for that line only (`file#L<n>`); the file is never held whole
in memory, and a line longer than the per-item limit is skipped without being buffered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from transforms.readers.common import (
    first_agency,
    parse_iso_datetime,
    pub_status_from,
    sha256_hex,
    signal_from,
    structural_warnings,
    version_number,
)
from transforms.readers.limits import ReaderLimits
from transforms.readers.ninjs import dispatch_from_ninjs, is_ninjs, normalise_plain_text
from transforms.readers.wiretext.datelines import (
    DatelineHint,
    country_for,
    dateline_at_start,
    parse_dateline_field,
)
from transforms.readers.wiretext.dates import published_at_for, resolve_month_day
from transforms.records import SIGNALS, ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

_SKIP_CHUNK = 1 << 16


def read_jsonl(
    stream: IO[bytes],
    *,
    source_uri: str,
    reference: Reference,
    limits: ReaderLimits,
    reference_time: datetime | None,
) -> Iterator[ParsedDispatch | Rejection]:
    for number, line in _numbered_lines(stream, limits.max_item_bytes):
        line_uri = f"{source_uri}#L{number}"
        if line is None:
            yield Rejection(line_uri, "too_large", f"line longer than {limits.max_item_bytes} B")
            continue
        if not line.strip():
            continue
        raw_sha256 = sha256_hex(line)
        try:
            obj = parse_json_object(line, first_line=number == 1)
            yield dispatch_from_object(
                obj, source_uri=line_uri, raw_sha256=raw_sha256, reference=reference,
                reference_time=reference_time, source_format="jsonl",
            )
        except ParseError as exc:
            yield Rejection(line_uri, exc.reason, exc.detail, raw_sha256)


def parse_json_object(line: bytes, *, first_line: bool = False) -> Mapping[str, Any]:
    try:
        text = line.decode("utf-8-sig" if first_line else "utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("undecodable_text", f"line is not UTF-8: {exc.reason}") from exc
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ParseError("malformed_json", str(exc)[:200]) from exc
    if not isinstance(obj, dict):
        raise ParseError("malformed_json", f"expected an object, got {type(obj).__name__}")
    return obj


def dispatch_from_object(
    obj: Mapping[str, Any],
    *,
    source_uri: str,
    raw_sha256: str,
    reference: Reference,
    reference_time: datetime | None,
    source_format: str,
) -> ParsedDispatch:
    """A ninjs object or a flat record (headline/body/agency/dateline/published_at)."""
    if is_ninjs(obj):
        return dispatch_from_ninjs(
            obj, source_uri=source_uri, raw_sha256=raw_sha256, reference=reference,
            source_format=source_format,
        )
    return dispatch_from_flat_record(
        obj, source_uri=source_uri, raw_sha256=raw_sha256, reference=reference,
        reference_time=reference_time, source_format=source_format,
    )


def dispatch_from_flat_record(
    obj: Mapping[str, Any],
    *,
    source_uri: str,
    raw_sha256: str,
    reference: Reference,
    reference_time: datetime | None,
    source_format: str = "jsonl",
) -> ParsedDispatch:
    fields = {str(key).casefold(): value for key, value in obj.items()}
    body = normalise_plain_text(_first_text(fields, "body", "body_text", "text") or "")
    if not body:
        raise ParseError("no_text_body", "record has no body")
    written = _first_text(fields, "dateline")
    hint = parse_dateline_field(written, reference) if written else None
    hint = hint or dateline_at_start(body, reference)
    explicit_agency = _first_text(fields, "agency", "credit", "source")
    agency = first_agency(reference, (explicit_agency, hint.credit if hint else None))
    signal = _first_text(fields, "signal")
    headline = _collapsed(_first_text(fields, "headline", "title"))
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=source_format,
        raw_sha256=raw_sha256,
        body=body,
        headline=headline,
        byline=_collapsed(_first_text(fields, "byline", "by", "author")),
        # An agency named outright is kept even when the reference does not know it yet.
        agency=agency or _collapsed(explicit_agency),
        dateline_place=hint.place if hint else None,
        dateline_region=hint.region if hint else None,
        dateline_country=country_for(reference, hint),
        published_at=_published_at(fields, hint, reference_time),
        copyright=_collapsed(_first_text(fields, "copyright", "copyrightnotice")),
        language=_collapsed(_first_text(fields, "language", "lang")),
        story_key=_collapsed(_first_text(fields, "story_key", "id", "guid", "uri")),
        story_version=version_number(fields.get("version", fields.get("story_version"))),
        pub_status=pub_status_from(_first_text(fields, "pub_status", "pubstatus", "status")),
        embargo_until=parse_iso_datetime(_first_text(fields, "embargo_until", "embargoed")),
        signal=signal if signal in SIGNALS else signal_from(signal, _first_text(fields, "ednote")),
        parse_warnings=structural_warnings(hint, headline, body),
    )


def _published_at(
    fields: Mapping[str, Any], hint: DatelineHint | None, reference_time: datetime | None
) -> datetime | None:
    written = _first_text(fields, "published_at", "published", "versioncreated", "date")
    moment = parse_iso_datetime(written)
    if moment or hint is None or hint.month is None or hint.day is None or not reference_time:
        return moment
    try:
        day = resolve_month_day(hint.month, hint.day, reference_time)
    except ValueError:
        return None
    return published_at_for(day, reference_time)


def _first_text(fields: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _collapsed(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _numbered_lines(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) pairs; None for a line over the limit, which is skipped unread."""
    number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            _skip_rest_of_line(stream)
            yield number, None
            continue
        yield number, line


def _skip_rest_of_line(stream: IO[bytes]) -> None:
    while True:
        chunk = stream.readline(_SKIP_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return

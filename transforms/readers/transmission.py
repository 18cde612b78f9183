"""What ANPA-1312 and IPTC 7901 share: messages framed by control characters.

A capture holds one or more messages, each `SOH header STX text ETX [EOT]`; feeds that were
saved through a terminal may have lost the SOH. Bytes are decoded as UTF-8, else cp1252, else
latin-1 (these feeds predate Unicode), and control characters inside the text are column
separators of tables (sports agate, market listings), so they become tabs, never garbage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from transforms.readers.common import sha256_hex
from transforms.records import ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

SOH, STX, ETX, EOT, SYN = "\x01", "\x02", "\x03", "\x04", "\x16"
_SEPARATORS = re.compile(r"[\x00\x05-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STRAY_FRAMING = re.compile(r"[\x01-\x04]")
_BLANK_RUN = re.compile(r"[ \u00a0]+")


@dataclass(frozen=True)
class Message:
    """One framed message: the header before STX, the text up to ETX, what follows ETX."""

    header: str
    text: str
    after: str


def decode_transmission(data: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("latin-1")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def split_messages(text: str) -> list[Message]:
    """Messages by their SOH (or the whole text as one when there is none)."""
    chunks = [chunk for chunk in text.split(SOH) if chunk.strip(SYN + " \n\t" + EOT)]
    messages = []
    for chunk in chunks or [text]:
        chunk = chunk.lstrip(SYN)
        header, has_stx, rest = chunk.partition(STX)
        if not has_stx:
            # No STX: the first line is the header.
            header, _, rest = chunk.partition("\n")
        body, _, after = rest.partition(ETX)
        messages.append(Message(header.strip("\n"), body, after.replace(EOT, "")))
    return messages


def table_safe(line: str) -> str:
    """A text line with control-character column separators as tabs and framing removed."""
    line = _STRAY_FRAMING.sub("", line)
    return _SEPARATORS.sub("\t", line).rstrip()


def is_table_row(line: str) -> bool:
    """Agate and tables: several tab-separated columns, or columns aligned by runs of spaces."""
    stripped = line.strip()
    if "\t" in stripped:
        return True
    # Old wire copy puts two spaces after a sentence: aligned columns need more gaps and figures.
    gaps = len(re.findall(r"\S {2,}(?=\S)", stripped))
    return gaps >= 3 and any(ch.isdigit() for ch in stripped)


def readable_row(line: str) -> str:
    """A table row with its cells separated by two spaces (tabs do not survive display)."""
    cells = [_BLANK_RUN.sub(" ", cell).strip() for cell in re.split(r"\t+| {2,}", line.strip())]
    return "  ".join(cell for cell in cells if cell)


def paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs from transmitted lines: an indented line (tab, spaces or `^`) or a blank one
    starts a paragraph; table rows stay one per line inside their own block."""
    blocks: list[list[str]] = []
    current: list[str] = []
    in_table = False
    for raw in lines:
        line = table_safe(raw)
        marker = line.startswith(("^", "\t", "   "))
        clean = line.lstrip("^").rstrip("<=").strip()
        if not clean:
            if current:
                blocks.append(current)
            current, in_table = [], False
            continue
        row = is_table_row(line.lstrip("^\t "))
        if row:
            if current and not in_table:
                blocks.append(current)
                current = []
            current.append(readable_row(line.lstrip("^").rstrip("<=")))
            in_table = True
            continue
        if (marker or in_table) and current:
            blocks.append(current)
            current = []
        in_table = False
        current.append(_BLANK_RUN.sub(" ", clean))
    if current:
        blocks.append(current)
    return ["\n".join(block) if _is_table(block) else " ".join(block) for block in blocks]


_SHORT_LINE = 40


def _is_table(block: list[str]) -> bool:
    """Aligned columns, or a list of short lines (results, scores): prose wraps far wider."""
    if any("  " in line for line in block):
        return True
    return len(block) >= 2 and all(len(line) <= _SHORT_LINE for line in block)


def read_messages(
    data: bytes,
    *,
    format_name: str,
    dispatch_from: Callable[..., ParsedDispatch],
    source_uri: str,
    reference: Reference,
    reference_time: datetime,
) -> Iterator[ParsedDispatch | Rejection]:
    """Every message of a capture as a dispatch, or a rejection of that message alone.

    A capture of one message keeps the file's uri and hash; in a capture of several, each
    message is `uri#n` with the hash of its own text, so one bad message never costs the rest.
    """
    messages = [m for m in split_messages(decode_transmission(data)) if m.text.strip()]
    if not messages:
        raise ParseError("no_body", f"{format_name} transmission without message text")
    for index, message in enumerate(messages, start=1):
        uri = source_uri if len(messages) == 1 else f"{source_uri}#{index}"
        raw = sha256_hex(data) if len(messages) == 1 else sha256_hex(
            (message.header + message.text).encode("utf-8"))
        try:
            yield dispatch_from(message, source_uri=uri, raw_sha256=raw,
                                reference=reference, reference_time=reference_time)
        except ParseError as exc:
            yield Rejection(uri, exc.reason, exc.detail, raw)

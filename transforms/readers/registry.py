"""The ordered registry of input formats and the choice between them.

Every format module offers `sniff(head) -> score` (0 = not this format, 1 = certainly it) and
`read(source, context)`. The format with the highest score reads the source; on a tie the one
listed first wins, so specific formats are listed before the catch-alls (wire text).

The scale in use: 1.0 magic numbers (archives) and no bytes at all; 0.98 transmission formats
whose control characters are framing (ANPA-1312, IPTC 7901); 0.96 binary data; 0.95 an XML
root element that names its format (NITF, NewsML 1.x, RBNews); 0.9 NewsML-G2's namespace and Reuters
SGML; 0.8 AP Media API JSON; 0.6 JSON Lines; 0.5 any JSON; 0.7 HTML; 0.3 other XML; 0.01
any text (wire text). Only the order of the scores matters.

**Parser version.** Each format carries a `version`, raised when its reader reads the same
bytes differently (a file it refused may now give dispatches). What a refusal records in
`quarantine.parser_version` is `parser_version`: the package version, a fingerprint of the
whole registry (every format's name and version, in order: adding, removing or reordering a
format changes it, and so does raising any version) and, when a reader refused it, that
format's name and version, e.g. `wirehouse 0.1.0; formats 1f3a9c0e; xml/1`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from transforms.readers.source import Context, Item, Source


@dataclass(frozen=True)
class InputFormat:
    name: str
    sniff: Callable[[bytes], float]
    read: Callable[[Source, Context], Iterator[Item]]
    # Raise it when the reader reads the same bytes differently (see "Parser version" above).
    version: int = 1


def best_format(head: bytes, formats: tuple[InputFormat, ...]) -> InputFormat:
    """The format scoring highest on `head`; the first listed wins a tie."""
    best, best_score = formats[-1], 0.0
    for candidate in formats:
        score = candidate.sniff(head)
        if score > best_score:
            best, best_score = candidate, score
    return best


@cache
def package_version() -> str:
    try:
        return version("wirehouse")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def registry_fingerprint(formats: tuple[InputFormat, ...]) -> str:
    """Eight hex digits naming the registry: every format's name and version, in order."""
    listing = "\n".join(f"{f.name}/{f.version}" for f in formats)
    return hashlib.sha256(listing.encode()).hexdigest()[:8]


def registry_version(formats: tuple[InputFormat, ...]) -> str:
    """The parser version of the registry as a whole: what a refusal made outside any one
    reader (the landing walk, a dispatch with no date) records."""
    return f"wirehouse {package_version()}; formats {registry_fingerprint(formats)}"


def parser_version(formats: tuple[InputFormat, ...], refused_by: InputFormat | None = None) -> str:
    """What `quarantine.parser_version` holds for a refusal by `refused_by` (a format of
    `formats`), or by the registry as a whole when None."""
    whole = registry_version(formats)
    return whole if refused_by is None else f"{whole}; {refused_by.name}/{refused_by.version}"


def same_registry(recorded: str | None, formats: tuple[InputFormat, ...]) -> bool:
    """Whether a recorded parser version comes from this very registry (package and every
    format); a NULL (a row from before versions were recorded) never does."""
    current = registry_version(formats)
    return recorded is not None and (recorded == current or recorded.startswith(current + "; "))

"""Archive members handed back to the registry as sources of their own."""

from __future__ import annotations

from collections.abc import Iterator

import transforms.readers.archives as archives
from transforms.readers.source import Context, Item, Source, bytes_opener
from transforms.records import Rejection


def too_deep(source: Source, context: Context) -> Rejection | None:
    if source.depth >= context.limits.max_nesting_depth:
        return Rejection(source.uri, "archive_nesting_too_deep",
                         f"archive nested deeper than {context.limits.max_nesting_depth}")
    return None


def read_members(
    members: Iterator[archives.ArchiveMember | Rejection], source: Source, context: Context
) -> Iterator[Item]:
    for member in members:
        if isinstance(member, Rejection):
            yield member
            continue
        child = Source(
            uri=f"{source.uri}!{member.name}",
            mtime=member.mtime or source.mtime,
            open=bytes_opener(member.data),
            depth=source.depth + 1,
        )
        yield from context.read_nested(child, context)

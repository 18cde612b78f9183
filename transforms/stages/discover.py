"""The discover stage: the files under the landing folders that no run has ingested yet."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from transforms import landing, storage
from transforms.landing import (
    Arrival,
    FileState,
    SourceFile,
    WalkProblem,
    arrival_of,
    landing_entries,
    printable_path,
    problem_source,
)
from transforms.stages.dedupe import ingested_hashes, refused_links


@dataclass(frozen=True)
class Discovery:
    """What a run found under its landing folders."""

    files_seen: int
    fresh: list[SourceFile]  # to read (refused links included, to be quarantined)
    deferred: int = 0  # still arriving: left for a later run
    ingested_before: list[SourceFile] = field(default_factory=list)  # hash already in the ledger


def discover(
    sources: Iterable[Path],
    warehouse: storage.Warehouse,
    settle_seconds: float = 0.0,
    follow_links: bool = False,
    now: float | None = None,
) -> Discovery:
    """Files under the sources not ingested before (by content hash), with what was left.

    Files still arriving (partial-upload names, modified within `settle_seconds`, or changed
    while being hashed) are deferred; symlinks out of a landing folder are refused unless
    `follow_links`.
    """
    clock = time.time() if now is None else now
    seen = deferred = 0
    known = ingested_hashes(warehouse)
    refused = refused_links(warehouse)
    fresh: list[SourceFile] = []
    before: list[SourceFile] = []
    for source in sources:
        for path in landing_entries(source):
            seen += 1
            if isinstance(path, WalkProblem):
                refused_unread = problem_source(path)
                if printable_path(refused_unread.found_at) not in refused:
                    fresh.append(refused_unread)
                continue
            found_at = os.path.abspath(path)
            arrival = arrival_of(path, source, clock, settle_seconds, follow_links)
            if arrival.deferred:
                deferred += 1
                continue
            if arrival is Arrival.OUTSIDE_LANDING:
                if printable_path(found_at) not in refused:
                    fresh.append(SourceFile(found_at, "", 0, found_at, arrival.value))
                continue
            state = FileState.of(path)
            source_file = replace(landing.read_source_file(path), found_at=found_at)
            if state != FileState.of(path):
                deferred += 1
                continue
            if source_file.sha256 and source_file.sha256 in known:
                before.append(source_file)
                continue
            known.add(source_file.sha256)
            fresh.append(source_file)
    return Discovery(seen, fresh, deferred, before)

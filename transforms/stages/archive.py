"""The archive stage: after a commit, ingested files leave the landing folder for the archive."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transforms import landing
from transforms.landing import SourceFile
from transforms.stages.dedupe import ingested_file_dispatches


@dataclass(frozen=True)
class ArchiveResult:
    moved: int = 0
    failed: tuple[str, ...] = ()  # "path: error", left in the landing folder for the next run


def archive_ingested(
    files: list[SourceFile], warehouse: Path, landing_root: Path, archive_root: Path
) -> ArchiveResult:
    """Move to the archive the files whose hash the committed ledger holds with at least one
    dispatch read; call it only after the commit that wrote their ledger rows returned. Files
    that gave no dispatch (all refused) stay in the landing folder for a person to look at.
    A file that cannot be moved (permissions, disk full) stays too: its rows are committed, so
    that is no reason to fail the run, and the next run tries again."""
    ledger = ingested_file_dispatches(warehouse)
    moved = 0
    failed: list[str] = []
    for item in files:
        if not item.sha256 or not item.found_at or ledger.get(item.sha256, 0) <= 0:
            continue
        try:
            placed = landing.archive_file(Path(item.found_at), item.sha256, landing_root, archive_root)
        except OSError as exc:
            failed.append(f"{item.found_at}: {exc}")
            continue
        moved += placed is not None
    return ArchiveResult(moved, tuple(failed))

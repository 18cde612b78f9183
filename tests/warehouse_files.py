"""How many live data files each partition of a table has: the one place tests ask storage
which files a reader of the current snapshot reads (the Delta version pinned by the latest
commit marker). Files replaced by a compaction stay on disk until a vacuum, so counting what
is on disk would be wrong."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from transforms import storage


def live_files_per_partition(warehouse: Path, table: str) -> dict[str, int]:
    """Partition folder (e.g. `dispatches/published_date=2026-01-15`) -> live files in it."""
    return dict(Counter(str(Path(f).parent) for f in storage.committed_files(warehouse, table)))

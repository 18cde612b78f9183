"""Limits that keep a hostile or broken input from exhausting memory or time.

Nothing a reader opens is ever written to disk, so the limits are about bytes inflated into
memory: per item, per archive, the compression ratio seen while inflating, how deep archives may
nest and how many members one archive may have.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class ReaderLimits:
    max_item_bytes: int = 64 * MiB
    max_archive_total_bytes: int = 2 * GiB
    max_compression_ratio: float = 200.0
    # Below this many inflated bytes the ratio is not judged: a few kilobytes of repeated
    # text compress far beyond 200:1 and are harmless.
    ratio_check_floor_bytes: int = 1 * MiB
    max_nesting_depth: int = 3
    max_members: int = 1_000_000

    def ratio_exceeded(self, inflated: int, compressed: int) -> bool:
        """True when `inflated` bytes out of `compressed` input look like a decompression bomb."""
        if inflated <= self.ratio_check_floor_bytes:
            return False
        return inflated > self.max_compression_ratio * max(compressed, 1)


DEFAULT_LIMITS = ReaderLimits()

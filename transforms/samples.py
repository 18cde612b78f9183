"""The bundled sample dispatches, laid out in a landing folder as a feed would deliver them."""

from __future__ import annotations

import csv
import os
import shutil
from datetime import datetime
from pathlib import Path

MANIFEST = "MANIFEST.csv"


def sample_file_times(samples: Path) -> dict[str, datetime]:
    """File name → the reference time the sample was written for (from MANIFEST.csv)."""
    with open(samples / MANIFEST, newline="", encoding="utf-8") as handle:
        return {
            row["file"]: datetime.fromisoformat(row["reference_time"])
            for row in csv.DictReader(handle)
        }


def copy_sample_dispatches(samples: Path, target: Path) -> int:
    """Copy every sample named in the manifest into target, with its file time set."""
    target.mkdir(parents=True, exist_ok=True)
    times = sample_file_times(samples)
    for name, when in times.items():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(samples / name, destination)
        stamp = when.timestamp()
        os.utime(destination, (stamp, stamp))
    return len(times)

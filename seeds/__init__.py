"""The reference data wirehouse ships with: agencies, places and their abbreviations, aliases,
the words that are not names, the gazetteer patterns and the sample dispatches.

The files are package data: a wheel carries them, and they are found through
`importlib.resources` wherever wirehouse is installed. Every seed is read through `seed_path`;
`$WIREHOUSE_SEEDS_DIR` (a `seeds_dir` argument) names another folder of the same layout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["default_seeds_dir", "seed_path"]


def default_seeds_dir() -> Path:
    """The folder of the seed files installed with wirehouse."""
    return Path(str(files(__name__)))


def seed_path(name: str, seeds_dir: Path | str | None = None) -> Path:
    """The seed file (or folder) `name`, in `seeds_dir` or else in the installed seeds."""
    return Path(seeds_dir or default_seeds_dir()) / name

"""The batch stages of a run, one module per Prefect task: `discover`, `parse`, `tag`, `commit`
and `archive`; `batches` is what they pass between them (paths to staged Parquet) and `dedupe`
the exactly-once rule they share. `backfill` streams an archive into the same batches, `retag`
re-tags stored dispatches, `inspection` shows how a file parses, `requeue` sends quarantined
files back to be read again, `stories` gives stories to versions stored before stories
existed. No Prefect here: the flows wrap
these functions in tasks, and tests call them directly.

The commit side's names (`commit`, `requeue`, `stories`) and `tag_batch` are imported on first
use, not with the package: a backfill's tagging worker imports `transforms.stages.tag` alone, and
must not pay for what committing needs (entity aliases, DuckDB), and a backfill's flow process,
which parses and commits, must not pay for spaCy and the gazetteer it never uses.
"""

from importlib import import_module

from transforms.records import BatchCounts
from transforms.stages.archive import ArchiveResult, archive_ingested
from transforms.stages.batches import plan_batches, read_file_list, write_file_list
from transforms.stages.discover import Discovery, discover
from transforms.stages.parse import parse_batch

# The stages of the commit side, imported on first use: public name -> (module, its name there).
# A public name is never a module's name: once a submodule is imported, Python binds the package
# attribute of that name to the module, and the function would be shadowed.
_LAZY = {
    "RequeueItem": ("transforms.stages.requeue", "RequeueItem"),
    "RequeuePlan": ("transforms.stages.requeue", "RequeuePlan"),
    "assign_missing_stories": ("transforms.stages.stories", "assign_missing_stories"),
    "commit_batches": ("transforms.stages.commit", "commit_batches"),
    "entity_aliases_after": ("transforms.stages.commit", "entity_aliases_after"),
    "plan_requeue": ("transforms.stages.requeue", "plan_requeue"),
    "requeue_files": ("transforms.stages.requeue", "requeue"),
    # spaCy and the geocoding gazetteer: a process that only commits never loads them.
    "tag_batch": ("transforms.stages.tag", "tag_batch"),
}

__all__ = [
    "ArchiveResult",
    "BatchCounts",
    "Discovery",
    "RequeueItem",
    "RequeuePlan",
    "archive_ingested",
    "assign_missing_stories",
    "commit_batches",
    "discover",
    "entity_aliases_after",
    "parse_batch",
    "plan_batches",
    "plan_requeue",
    "read_file_list",
    "requeue_files",
    "tag_batch",
    "write_file_list",
]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

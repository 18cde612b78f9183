"""The batch stages of a run, one module per Prefect task: `discover`, `parse`, `tag`, `commit`
and `archive`; `batches` is what they pass between them (paths to staged Parquet) and `dedupe`
the exactly-once rule they share. `backfill` streams an archive into the same batches, `retag`
re-tags stored dispatches, `inspection` shows how a file parses, `requeue` sends quarantined
files back to be read again, `stories` gives stories to versions stored before stories
existed. No Prefect here: the flows wrap
these functions in tasks, and tests call them directly.

The names below are imported on first use, not with the package: a backfill's tagging worker
imports `transforms.stages.tag` alone, and must not pay for what committing needs (stories'
MinHash with scipy, entity aliases), about 100 MB and a second or two per worker process.
"""

from importlib import import_module

# Each public name and the module that defines it.
_HOMES = {
    "ArchiveResult": "transforms.stages.archive",
    "BatchCounts": "transforms.records",
    "Discovery": "transforms.stages.discover",
    "archive_ingested": "transforms.stages.archive",
    "commit_batches": "transforms.stages.commit",
    "discover": "transforms.stages.discover",
    "entity_aliases_after": "transforms.stages.commit",
    "RequeueItem": "transforms.stages.requeue",
    "RequeuePlan": "transforms.stages.requeue",
    "assign_missing_stories": "transforms.stages.stories",
    "parse_batch": "transforms.stages.parse",
    "plan_requeue": "transforms.stages.requeue",
    "plan_batches": "transforms.stages.batches",
    "read_file_list": "transforms.stages.batches",
    "requeue": "transforms.stages.requeue",
    "tag_batch": "transforms.stages.tag",
    "write_file_list": "transforms.stages.batches",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))

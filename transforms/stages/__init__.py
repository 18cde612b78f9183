"""The batch stages of a run, one module per Prefect task: `discover`, `parse`, `tag`, `commit`
and `archive`; `batches` is what they pass between them (paths to staged Parquet) and `dedupe`
the exactly-once rule they share. `backfill` streams an archive into the same batches, `retag`
re-tags stored dispatches, `inspection` shows how a file parses, `requeue` sends quarantined
files back to be read again, `stories` gives stories to versions stored before stories
existed. No Prefect here: the flows wrap
these functions in tasks, and tests call them directly.
"""

from transforms.records import BatchCounts
from transforms.stages.archive import ArchiveResult, archive_ingested
from transforms.stages.batches import plan_batches, read_file_list, write_file_list
from transforms.stages.commit import commit_batches, entity_aliases_after
from transforms.stages.discover import Discovery, discover
from transforms.stages.parse import parse_batch
from transforms.stages.requeue import RequeueItem, RequeuePlan, plan_requeue, requeue
from transforms.stages.stories import assign_missing_stories
from transforms.stages.tag import tag_batch

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
    "requeue",
    "tag_batch",
    "write_file_list",
]

"""The nightly run's steps called directly, without Prefect, for tests whose claim is about
what reaches the warehouse rather than about orchestration: discover, parse, tag with a rule
tagger (`spacy.blank("en")` with the wirehouse components, no trained model), commit.

It calls the same `transforms.stages` functions the nightly flow's tasks call, in the same
order, so a row written here is the row a `wirehouse run` writes (apart from which tagger).
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from seeds import default_seeds_dir
from transforms import stages, storage
from transforms.entities.pipeline import add_components
from transforms.reference import load_reference


@lru_cache(maxsize=1)
def rule_tagger() -> Language:
    return add_components(spacy.blank("en"))


def ingest(source: Path, warehouse: Path, run_id: str | None = None, batch_files: int = 256,
           nlp: Language | None = None) -> stages.BatchCounts:
    """Ingest every new file under `source` into `warehouse`; returns the committed counts.
    Each call is a run of its own (its own run id, so its own file names)."""
    run_id = run_id or f"direct-{uuid.uuid4().hex[:12]}"
    warehouse.mkdir(parents=True, exist_ok=True)
    reference = load_reference(default_seeds_dir())
    tagger = nlp or rule_tagger()
    fresh = stages.discover([source], warehouse).fresh
    staging = storage.staging_dir(warehouse, run_id)
    totals = stages.BatchCounts()
    for number, batch in enumerate(stages.plan_batches(fresh, staging, max_files=batch_files), 1):
        stages.parse_batch(batch, warehouse, reference, run_id)
        stages.tag_batch(batch, tagger, run_id)
        totals = totals + stages.commit_batches([batch], warehouse, f"{run_id}-{number:05d}")
    storage.collect_garbage(warehouse)
    return totals

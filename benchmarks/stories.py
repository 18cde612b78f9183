"""Story clustering: cost per 10,000 dispatches, and precision/recall on the labelled pairs.

    .venv/bin/python benchmarks/stories.py [--dispatches 10000]

The 10,000 dispatches are the labelled corpus's bodies (tests/corpus/stories) copied forward
three days per round, with every seventh word of each copy made unique, so most copies are new
stories while the originals' versions still cluster. Timings: bulk (one backfill call) and
nightly (ten runs of a tenth each against the growing index), as ratios against reading the
bodies into shingles alone, measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

from transforms.stories import (
    LabelledPair,
    StoryInput,
    assign_stories,
    body_shingles,
    pair_scores,
    scores_by_kind,
)

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "stories"


def load() -> tuple[list[StoryInput], list[LabelledPair]]:
    rows = [json.loads(line) for line in (CORPUS / "dispatches.jsonl").read_text().splitlines()]
    inputs = [StoryInput(r["id"], datetime.fromisoformat(r["published_at"].replace("Z", "+00:00")),
                         r["headline"], r["body"], r["agency"]) for r in rows]
    with (CORPUS / "pairs.csv").open() as handle:
        pairs = [LabelledPair(r["a"], r["b"], r["same_story"] == "1", r["kind"])
                 for r in csv.DictReader(handle)]
    return inputs, pairs


def synthetic(inputs: list[StoryInput], count: int) -> list[StoryInput]:
    out: list[StoryInput] = []
    round_ = 0
    while len(out) < count:
        for item in inputs:
            words = item.body.split()
            words = [f"x{round_}w{i}" if i % 7 == 6 else w for i, w in enumerate(words)]
            out.append(StoryInput(f"{item.version_id}-r{round_}",
                                  item.published_at + timedelta(days=3 * round_),
                                  item.headline, " ".join(words), item.agency))
            if len(out) == count:
                break
        round_ += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispatches", type=int, default=10_000)
    args = parser.parse_args()
    inputs, pairs = load()

    stories = {s.version_id: s.story_id for s in assign_stories(inputs, [])}
    overall = pair_scores(stories, pairs)
    same_agency = pair_scores(stories, [p for p in pairs if p.kind != "other_agency"])
    print(f"labelled pairs: {len(pairs)}  precision {overall.precision:.3f}  recall {overall.recall:.3f}"
          f"  (without other_agency: recall {same_agency.recall:.3f})")
    for kind, s in scores_by_kind(stories, pairs).items():
        print(f"  {kind:22s} tp {s.true_positives:3d} fn {s.false_negatives:3d}"
              f" fp {s.false_positives:3d} tn {s.true_negatives:3d}")
    print(f"stories: {len(set(stories.values()))} (true: 39)")

    load_ = synthetic(inputs, args.dispatches)
    started = time.perf_counter()
    for item in load_:
        body_shingles(item.body)
    baseline = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    assign_stories(load_, [])
    bulk, bulk_cpu = time.perf_counter() - started, time.process_time() - cpu
    ordered = sorted(load_, key=lambda d: (d.published_at, d.version_id))
    index: list = []
    step = max(1, len(ordered) // 10)
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(ordered), step):
        index += assign_stories(ordered[start:start + step], index)
    nightly, nightly_cpu = time.perf_counter() - started, time.process_time() - cpu
    per = 10_000 / len(load_)
    print(f"{len(load_)} dispatches: shingling alone {baseline:.2f}s;"
          f" bulk {bulk:.2f}s ({bulk / baseline:.1f}x), {bulk * per:.2f}s per 10,000;"
          f" ten nightly runs {nightly:.2f}s ({nightly / baseline:.1f}x), {nightly * per:.2f}s per 10,000")
    print(f"CPU time: bulk {bulk_cpu:.2f}s, ten nightly runs {nightly_cpu:.2f}s"
          " (wall time on a shared machine counts other engineers' work too)")


if __name__ == "__main__":
    main()

"""Geocoding cost benchmark, one command: `.venv/bin/python benchmarks/geocoding.py [--docs 1000]`.

Measures, in one run over the same dispatches of the synthetic corpus (benchmarks/corpus.py,
parsed by the project's readers): tagging with the configured pipeline (`tag_bodies`, one
process, best of 3), and geocoding the mentions it found (`geocode_dispatch`, best of 3), plus
the gazetteer's one-off load per process. The cost per 10,000 dispatches counts the load
once; the target is geocoding <= 5% of tagging.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from corpus import GENERATOR_VERSION, build_corpus  # noqa: E402

TARGET_RATIO = 0.05
PER = 10_000


def parsed_dispatches(corpus: Path, limit: int) -> list[dict]:
    from seeds import default_seeds_dir
    from transforms.identity import dispatch_id, version_id
    from transforms.landing import landing_files
    from transforms.readers import read_path
    from transforms.records import ParsedDispatch
    from transforms.reference import load_reference

    reference = load_reference(default_seeds_dir())
    rows, seen = [], set()
    for path in landing_files(corpus):
        for item in read_path(path.resolve(), reference=reference):
            if isinstance(item, ParsedDispatch) and item.published_at is not None:
                version = version_id(item)
                if version in seen:
                    continue
                seen.add(version)
                rows.append({
                    "dispatch_id": dispatch_id(item), "version_id": version, "body": item.body,
                    "headline": item.headline, "agency": item.agency,
                    "dateline_place": item.dateline_place, "dateline_country": item.dateline_country,
                    "published_date": item.published_at.date(),
                })
                if len(rows) >= limit:
                    return rows
    return rows


def best_of(run, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    args = parser.parse_args()
    corpus = HERE / ".corpus" / f"docs-{max(args.docs, 1000)}-v{GENERATOR_VERSION}"
    build_corpus(corpus, docs=max(args.docs, 1000))
    dispatches = parsed_dispatches(corpus, args.docs)

    from transforms.entities import load_tagger, tag_bodies
    from transforms.entities.labels import ours
    from transforms.geocoding.gazetteer import build_gazetteer
    from transforms.geocoding.step import geocode_dispatch
    from transforms.rows import mention_rows

    nlp = load_tagger()
    bodies = [d["body"] for d in dispatches]
    tagged: list = []

    def tag_pass() -> None:
        tagged.clear()
        tagged.extend(spans for spans, _ in tag_bodies(nlp, bodies, batch_size=64))

    tag_pass()  # warm up
    tag_seconds = best_of(tag_pass)
    rows = [mention_rows(d, ours(spans), "m", "h", "r") for d, spans in zip(dispatches, tagged, strict=True)]

    started = time.perf_counter()
    gazetteer = build_gazetteer()
    load_seconds = time.perf_counter() - started

    def geocode_pass() -> None:
        for dispatch, found in zip(dispatches, rows, strict=True):
            geocode_dispatch(gazetteer, dispatch, found)

    geocode_seconds = best_of(geocode_pass)
    n = len(dispatches)
    mentions = sum(len(r) for r in rows)
    tag_per = tag_seconds / n * PER
    geo_per = geocode_seconds / n * PER + load_seconds
    ratio = geo_per / tag_per
    print(f"dispatches {n}, mentions {mentions} (one process; a shared, loaded machine)")
    print(f"tagging:   {tag_seconds:.2f} s  -> {tag_per:.1f} s per {PER:,} dispatches")
    print(f"geocoding: {geocode_seconds:.3f} s + gazetteer load {load_seconds:.2f} s once"
          f" -> {geo_per:.1f} s per {PER:,} dispatches")
    print(f"geocoding / tagging = {ratio:.3f} (target <= {TARGET_RATIO}) "
          f"{'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}")


if __name__ == "__main__":
    main()

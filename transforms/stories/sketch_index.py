"""The sketch index as a warehouse table (`story_sketches`), and the story of new dispatch rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import TABLES
from transforms.identity import body_key
from transforms.stories.clustering import Sketch, StoryInput, assign_stories, story_window

INDEX_COLUMNS = ["version_id", "story_id", "published_at", "body_key", "signature", "lede", "agency",
                 "key_terms"]


def sketches_from_table(table: pa.Table) -> list[Sketch]:
    # Column by column: a dict per row (Table.to_pylist) cost more than the Sketch itself.
    columns = [table.column(name).to_pylist() for name in INDEX_COLUMNS]
    return [
        Sketch(version_id, story_id, published_at, key, signature or b"", lede or "", agency,
               tuple(terms or ()))
        for version_id, story_id, published_at, key, signature, lede, agency, terms in zip(
            *columns, strict=True)
    ]


def sketch_rows(sketches: list[Sketch]) -> pa.Table:
    # The columns Table.from_pylist would gather from a dict per row, gathered directly and
    # given to the same Table.from_arrays: the same table, without a dict per sketch.
    columns = {
        "version_id": [s.version_id for s in sketches],
        "story_id": [s.story_id for s in sketches],
        "published_at": [s.published_at for s in sketches],
        "body_key": [s.body_key for s in sketches],
        "signature": [s.signature for s in sketches],
        "lede": [s.lede for s in sketches],
        "published_date": [s.published_at.date() for s in sketches],
        "agency": [s.agency for s in sketches],
        "key_terms": [list(s.key_terms) for s in sketches],
    }
    schema = TABLES["story_sketches"].schema
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


def story_rows_after(dispatches: pa.Table, index: pa.Table) -> tuple[pa.Table, pa.Table]:
    """New `dispatches` rows with their `story_id` set, and their `story_sketches` rows, given
    the committed sketch `index`. A version the index already holds keeps its story.

    Only the index rows the clusterer can use become Python objects (`index_rows_for`), not
    the whole index: it grows with the archive, and a backfill assigns against it at every
    commit."""
    rows = dispatches.select(["version_id", "published_at", "headline", "body", "agency"]).to_pylist()
    index = index_rows_for(index, rows)
    known = {s.version_id: s for s in sketches_from_table(index)}
    inputs = [
        StoryInput(r["version_id"], r["published_at"], r["headline"], r["body"] or "", r["agency"])
        for r in rows
        if r["version_id"] not in known
    ]
    del rows
    fresh = assign_stories(inputs, list(known.values()))
    story = {s.version_id: s.story_id for s in fresh} | {v: s.story_id for v, s in known.items()}
    ids = pa.array([story.get(v) for v in dispatches["version_id"].to_pylist()], pa.string())
    if "story_id" in dispatches.column_names:
        dispatches = dispatches.drop_columns(["story_id"])
    return dispatches.append_column("story_id", ids), sketch_rows(fresh)


def index_rows_for(index: pa.Table, rows: list[dict]) -> pa.Table:
    """The rows of the sketch `index` that `assign_stories` can use for these dispatch `rows`:
    the versions among them, the bodies identical to theirs (a body joins its twin's story
    however old), and everything published within their `story_window` (what they may match).
    The other rows cannot change any assignment, so leaving them out is exact."""
    if not index.num_rows or not rows:
        return index.slice(0, 0)
    versions = pa.array([r["version_id"] for r in rows], pa.string())
    bodies = pa.array(sorted({body_key(r["body"]) for r in rows if (r["body"] or "").strip()}),
                      pa.string())
    published = index.column("published_at")
    earliest, latest = (pa.scalar(moment, published.type)
                        for moment in story_window([r["published_at"] for r in rows]))
    wanted = pc.or_kleene(
        pc.or_kleene(pc.is_in(index.column("version_id"), value_set=versions),
                     pc.is_in(index.column("body_key"), value_set=bodies)),
        pc.and_kleene(pc.greater_equal(published, earliest), pc.less_equal(published, latest)),
    )
    return index.filter(pc.fill_null(wanted, False))

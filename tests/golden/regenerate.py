"""Rewrite the golden files from a fresh nightly run over the bundled sample dispatches.

    make golden        # = .venv/bin/python -m tests.golden.regenerate

Run it only after a deliberate change to what the pipeline produces, then review the diff of
tests/golden/ by hand before committing it: `tests/test_golden.py` compares against these files
and never writes them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent

QUERIES = {
    "dispatches.csv": """
        SELECT regexp_extract(source_uri, '[^/]+$') AS file, agency, dateline_place,
               dateline_country, published_date, headline, byline, editor_note, signal,
               story_version, word_count, pub_status, source_format
        FROM dispatches ORDER BY file""",
    "entities.csv": """
        SELECT label, text, mentions, dispatches FROM entities ORDER BY label, text""",
    "quotes.csv": """
        SELECT regexp_extract(d.source_uri, '[^/]+$') AS file, q.speaker, q.text
        FROM quotes AS q JOIN dispatches AS d USING (version_id) ORDER BY file, q.start_char""",
    "dispatches_latest.csv": """
        SELECT regexp_extract(source_uri, '[^/]+$') AS file FROM dispatches_latest ORDER BY file""",
}


def seeded_warehouse(root: Path) -> Path:
    """A warehouse at `root`/warehouse holding the sample dispatches, by a real nightly run."""
    from flows.nightly import nightly
    from seeds import default_seeds_dir
    from transforms.samples import copy_sample_dispatches

    copy_sample_dispatches(default_seeds_dir() / "dispatches", root / "landing")
    nightly(source=str(root / "landing"), warehouse=str(root / "warehouse"))
    return root / "warehouse"


def golden_csv(warehouse: Path, name: str) -> str:
    from transforms.query import as_csv, run_query

    return as_csv(run_query(warehouse, QUERIES[name]))


def main() -> None:
    from flows.settings import apply_prefect_defaults

    apply_prefect_defaults()
    with tempfile.TemporaryDirectory(prefix="wirehouse-golden-") as tmp:
        warehouse = seeded_warehouse(Path(tmp))
        for name in sorted(QUERIES):
            path = GOLDEN / name
            got = golden_csv(warehouse, name)
            changed = not path.exists() or path.read_text(encoding="utf-8") != got
            path.write_text(got, encoding="utf-8")
            print(f"{'rewrote' if changed else 'unchanged'} {path.relative_to(GOLDEN.parents[1])}")


if __name__ == "__main__":
    main()

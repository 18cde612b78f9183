"""Tagging is bounded: a body over the limit is kept whole but only its first part goes to the
model, with offsets still true and a `truncated` tagging status."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.direct_ingest import rule_tagger
from transforms.stages.tag import tag_batch, text_for_model


def test_the_model_sees_a_prefix_cut_at_a_space() -> None:
    assert text_for_model("short body", 100) == ("short body", False)
    assert text_for_model("alpha beta gamma delta", 12) == ("alpha beta", True)
    assert text_for_model("x" * 30, 10) == ("x" * 10, True)


def _dispatch(version: str, body: str) -> dict:
    return {"dispatch_id": version, "version_id": version, "body": body, "headline": None,
            "language": "en", "published_date": date(2026, 1, 20)}


def test_a_long_body_is_tagged_in_its_first_part_and_says_so(tmp_path: Path) -> None:
    long_body = "TOKYO, Jan 20 (Reuters) - Officials met. " + "Filler words here. " * 2000
    long_body += "Reuters said so at the end."
    rows = [_dispatch("short", "TOKYO, Jan 20 (Reuters) - Officials met."), _dispatch("long", long_body)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "dispatches.parquet")
    tag_batch(tmp_path, rule_tagger(), "run", max_chars=1000)
    taggings = pq.read_table(tmp_path / "taggings.parquet").to_pylist()
    status = {row["version_id"]: row["status"] for row in taggings}
    assert status == {"short": "tagged", "long": "truncated"}
    mentions = pq.read_table(tmp_path / "mentions.parquet").to_pylist()
    long_mentions = [m for m in mentions if m["version_id"] == "long"]
    # The dateline's mentions are found; the agency named after the limit is not.
    assert [m["text"] for m in long_mentions] == ["TOKYO", "Reuters"]
    assert all(m["end_char"] <= 1000 for m in long_mentions)
    assert all(long_body[m["start_char"]:m["end_char"]] == m["text"] for m in long_mentions)

"""Tagging is bounded: a body over the limit is kept whole but only its first part goes to the
model, with offsets still true and a `truncated` tagging status."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from tests.direct_ingest import rule_tagger
from transforms.entities.pipeline import TaggerInfo
from transforms.stages.retag import selection_sql
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


SLOW_SECONDS = 0.05


@Language.component("wirehouse_test_slow")
def _slow(doc: Doc) -> Doc:
    """A deliberately slow component: every document costs SLOW_SECONDS more."""
    time.sleep(SLOW_SECONDS)
    return doc


def test_a_body_past_the_time_limit_is_tagged_in_its_first_pieces_and_says_so(tmp_path: Path) -> None:
    """A long body is tagged a piece at a time against the clock: past the limit it stops, keeps
    what it found (offsets true), and says `timed_out`; the short dispatch beside it is tagged
    whole. With a slow component of 0.05 s per piece and a limit of 0.12 s, at most 3 of the
    body's 20 pieces are tagged however loaded the machine (a piece is never cut inside)."""
    nlp = spacy.blank("en")
    for name in rule_tagger().pipe_names:
        nlp.add_pipe(name, source=rule_tagger())
    nlp.add_pipe("wirehouse_test_slow")
    paragraph = "TOKYO, Jan 20 (Reuters) - Officials met in Tokyo. " + "Filler words here. " * 40
    long_body = "\n\n".join([paragraph] * 20)  # about 20 pieces of 1,000 characters
    rows = [_dispatch("short", "TOKYO, Jan 20 (Reuters) - Officials met."), _dispatch("long", long_body)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "dispatches.parquet")
    tag_batch(tmp_path, nlp, "run", max_seconds=2.5 * SLOW_SECONDS, piece_chars=1000)
    status = {row["version_id"]: row["status"]
              for row in pq.read_table(tmp_path / "taggings.parquet").to_pylist()}
    assert status == {"short": "tagged", "long": "timed_out"}
    mentions = pq.read_table(tmp_path / "mentions.parquet").to_pylist()
    found = [m for m in mentions if m["version_id"] == "long" and m["field"] == "body"]
    assert all(long_body[m["start_char"]:m["end_char"]] == m["text"] for m in found)
    pieces_tagged = sum(m["text"] == "TOKYO" for m in found)
    assert 1 <= pieces_tagged <= 3, pieces_tagged
    assert max(m["end_char"] for m in found) < 3 * len(paragraph) + 4
    assert [m["text"] for m in mentions if m["version_id"] == "short"] == ["TOKYO", "Reuters"]
    # Without the limit, every piece is tagged.
    tag_batch(tmp_path, nlp, "run", piece_chars=1000)
    status = {row["version_id"]: row["status"]
              for row in pq.read_table(tmp_path / "taggings.parquet").to_pylist()}
    assert status == {"short": "tagged", "long": "tagged"}
    mentions = pq.read_table(tmp_path / "mentions.parquet").to_pylist()
    assert sum(m["text"] == "TOKYO" and m["version_id"] == "long" and m["field"] == "body"
               for m in mentions) == 20


def test_retag_returns_to_a_timed_out_tagging() -> None:
    info = TaggerInfo(model="m", pipeline_hash="h")
    sql = selection_sql(info, None, force=False)
    with duckdb.connect() as con:
        con.execute("CREATE TABLE dispatches AS SELECT * FROM (VALUES ('a', 'en'), ('b', 'en'), ('c', 'en')) "
                    "v(version_id, language)")
        con.execute("CREATE TABLE taggings AS SELECT * FROM (VALUES ('a', 'm', 'h', 'tagged'), "
                    "('b', 'm', 'h', 'timed_out'), ('c', 'm', 'h', 'truncated')) "
                    "v(version_id, model, pipeline_hash, status)")
        where = sql.split(" WHERE ", 1)[1].split(" ORDER BY ")[0]
        picked = con.execute("SELECT d.version_id FROM dispatches AS d LEFT JOIN taggings AS t "
                             f"USING (version_id) WHERE {where}").fetchall()
    assert picked == [("b",)]

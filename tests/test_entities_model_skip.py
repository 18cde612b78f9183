"""A body whose every word is on a results table's lines skips the model, and its mentions stay
the same (issue 25): `EntityCleanup.drops_every_model_entity` and its use in `tag_bodies`."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from transforms.entities import tagging
from transforms.entities.cleanup import CLEANUP
from transforms.entities.pipeline import add_components

PROJECT = Path(__file__).resolve().parent.parent

# Results tables as wires send them alone, written for these tests.
TABLES = [
    "Shr 1.17 dlrs vs 4.05 dlrs\n\nNet 108.2 mln vs 3.98 bln\n\nSales 43.8 mln vs 454 mln",
    "Shr loss 4.21 dlrs vs 2.76 dlrs\nNet loss 9.3 mln vs 2.65 bln\nRevs 126.9 mln vs 225.4 mln\n",
    "\n\nShr 22 cts vs 19 cts\nNet 4,512,000 vs 3,870,000\nAvg shrs 20.5 mln vs 20.3 mln\n\n",
]
# Each has a line the table rule does not cover: the model must see them.
NOT_TABLES = [
    "Qtr ended Jan 31\n\nShr 1.17 dlrs vs 4.05 dlrs\n\nNet 108.2 mln vs 3.98 bln",
    "Shr 1.17 dlrs vs 4.05 dlrs\n\nNet 108.2 mln vs 3.98 bln\n\nToyota Motor Corp said profit rose.",
    "TOKYO, March 3 (Reuters) - Toyota Motor Corp said on Tuesday its profit rose.\n\nIt said more.",
    "Shr 1.17 dlrs vs 4.05 dlrs",  # one line: the cleanup reads no table in it
    "",
]


def rules():
    return add_components(spacy.blank("en"))


def test_only_texts_whose_every_word_is_on_a_results_tables_lines_qualify() -> None:
    cleanup = rules().get_pipe(CLEANUP)
    assert [cleanup.drops_every_model_entity(text) for text in TABLES] == [True] * len(TABLES)
    assert [cleanup.drops_every_model_entity(text) for text in NOT_TABLES] == [False] * len(NOT_TABLES)


def test_a_pipeline_without_ner_or_without_our_cleanup_skips_nothing() -> None:
    assert tagging._model_skipper(rules()) is None  # no NER: nothing to skip
    assert tagging._model_skipper(spacy.blank("en")) is None


@pytest.mark.slow
def test_skipped_bodies_get_the_mentions_the_model_would_have_given(monkeypatch, tmp_path: Path) -> None:
    """The real model, with and without the skip, over the tables above, texts around them and
    every results-table body of a 400-dispatch synthetic archive; the skip must be taken."""
    from transforms.entities import load_tagger

    nlp = load_tagger()
    cleanup = nlp.get_pipe(CLEANUP)
    archive = _synthetic_bodies(tmp_path / "archive", 400)
    tables = [body for body in archive if cleanup.drops_every_model_entity(body)]
    assert len(tables) >= 5, "the archive should hold whole results tables"
    bodies = TABLES + NOT_TABLES + tables + archive[:60]
    # Without the cleanup, the model does find entities on such tables: the skip is not idle.
    with nlp.select_pipes(disable=[CLEANUP]):
        assert any(doc.ents for doc in nlp.pipe(TABLES + tables))

    piped: list[tuple[list[str], tuple]] = []
    real_pipe = nlp.pipe

    def spy(texts, *args, **kwargs):
        texts = list(texts)
        piped.append((texts, tuple(kwargs.get("disable") or ())))
        return real_pipe(texts, *args, **kwargs)

    monkeypatch.setattr(nlp, "pipe", spy)
    skipped = list(tagging.tag_bodies(nlp, bodies))
    without_model = {text for texts, disabled in piped if "ner" in disabled for text in texts}
    monkeypatch.setattr(tagging, "_model_skipper", lambda nlp: None)
    assert skipped == list(tagging.tag_bodies(nlp, bodies))
    assert without_model == set(TABLES + tables)


def _synthetic_bodies(folder: Path, count: int) -> list[str]:
    import sys

    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from synthetic_archive import generate

    from tests.test_entities_headline_screen import _dispatches

    generate(folder, count, 2, 1987)
    return [body for body, _headline in _dispatches(folder)]

"""The model is run only on headlines where a mention could be kept, and no kept mention changes
(issue 25): `headlines_needing_model` against tagging every headline."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import spacy
from spacy.language import Language

from transforms import stages
from transforms.entities.headline_mentions import (
    body_name_keys,
    confirmed_headline_mentions,
    may_keep_a_mention,
)
from transforms.entities.labels import ours
from transforms.entities.pipeline import add_components
from transforms.entities.taggers import Taggers
from transforms.entities.tagging import headlines_needing_model, tag_bodies
from transforms.records import MentionSpan

PROJECT = Path(__file__).resolve().parent.parent


def m(text: str, label: str, canonical: str | None = None) -> MentionSpan:
    return MentionSpan(text, label, 0, len(text), 0, canonical or text)


BODY = [m("Kenta Ishiyama", "PERSON"), m("ECB", "GOV_BODY", "European Central Bank")]


def rules() -> Language:
    return add_components(spacy.blank("en"))


def test_a_headline_naming_the_body_needs_the_model_in_any_case_or_spacing() -> None:
    keys = body_name_keys(BODY)
    for headline in ("Ishiyama Says No", "EUROPEAN  CENTRAL\nBANK Acts", "ecb's move", "Kenta Ishiyama"):
        assert may_keep_a_mention(headline, keys, frozenset()), headline
    assert not may_keep_a_mention("Rates Rise In Tokyo", keys, frozenset())
    # An alias with a domain label is looked up by `alias_key`: curly apostrophes count as ASCII.
    assert may_keep_a_mention("Grey’s Board Meets", frozenset(), frozenset({"grey's board"}))
    assert not may_keep_a_mention("Board Meets", frozenset(), frozenset({"grey's board"}))


def test_the_gazetteer_and_domain_aliases_keep_a_headline_without_body() -> None:
    nlp = rules()
    headlines = ["Space Force Grows", "Rates Rise In Tokyo", "EC Commission Meets",
                 "Ishiyama Says No"]
    needed = headlines_needing_model(nlp, headlines, [[], [], [], BODY])
    # "Space Force" is a gazetteer pattern and no alias; "EC Commission" is a GOV_BODY alias the
    # gazetteer does not find.
    assert needed == [True, False, True, True]


def test_a_pipeline_without_our_components_tags_every_headline() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    assert headlines_needing_model(nlp, ["Rates Rise", "Nothing Here"], [[], []]) == [True, True]


def _batch(folder: Path, rows: list[tuple[str, str]]) -> Path:
    folder.mkdir(parents=True)
    table = [
        {"dispatch_id": f"d{n}", "version_id": f"v{n}", "body": body, "headline": headline,
         "language": "en", "published_date": date(2026, 1, 5)}
        for n, (body, headline) in enumerate(rows)
    ]
    pq.write_table(pa.Table.from_pylist(table), folder / "dispatches.parquet")
    return folder


def _staged(folder: Path, table: str) -> list[dict]:
    return pq.read_table(folder / f"{table}.parquet").drop_columns(["run_id"]).to_pylist()


def test_a_batch_gets_identical_rows_with_and_without_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        ("Officials of Reuters met Kyodo News in Tokyo.", "Reuters And Kyodo Meet"),
        ("Prices rose in Osaka.", "Pentagon Weighs Cuts"),
        ("Prices rose in Osaka.", "Space Force Grows"),
        ("Prices rose in Osaka.", "Markets Calm"),
        ("The EC Commission met on Monday.", "EC Commission Meets"),
    ]
    screened = _batch(tmp_path / "screened", rows)
    everything = tmp_path / "everything"
    shutil.copytree(screened, everything)
    taggers = Taggers({"en": rules()})
    stages.tag_batch(screened, taggers, "run-1")
    monkeypatch.setattr("transforms.stages.tag.headlines_needing_model",
                        lambda nlp, headlines, bodies: [True] * len(headlines))
    stages.tag_batch(everything, taggers, "run-1")
    assert _staged(screened, "mentions") == _staged(everything, "mentions")
    assert {r["field"] for r in _staged(screened, "mentions")} == {"body", "headline"}


def _dispatches(folder: Path) -> list[tuple[str, str]]:
    from seeds import default_seeds_dir
    from transforms.landing import landing_files
    from transforms.readers import read_path
    from transforms.records import ParsedDispatch
    from transforms.reference import load_reference

    reference = load_reference(default_seeds_dir())
    return [
        (item.body, item.headline)
        for path in landing_files(folder)
        for item in read_path(path.resolve(), reference=reference)
        if isinstance(item, ParsedDispatch) and item.headline
    ]


@pytest.mark.slow
def test_the_real_model_keeps_the_same_headline_mentions(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from synthetic_archive import generate

    from transforms.entities import load_tagger

    generate(tmp_path / "archive", 400, 2, 1987)
    pairs = _dispatches(tmp_path / "archive") + _dispatches(PROJECT / "tests" / "corpus")
    # Headlines only the gazetteer or a domain alias can keep, beside bodies that do not name them.
    pairs += [("Prices rose.", "Self-Defence Forces Train In Hokkaido"),
              ("Talks went on.", "EC Commission Proposes Cuts")]
    nlp = load_tagger()
    bodies = [ours(mentions) for mentions, _ in tag_bodies(nlp, [body for body, _ in pairs])]
    headlines = [headline for _, headline in pairs]
    everything = [
        confirmed_headline_mentions(ours(found), body)
        for (found, _), body in zip(tag_bodies(nlp, headlines), bodies, strict=True)
    ]
    needed = headlines_needing_model(nlp, headlines, bodies)
    found = iter(tag_bodies(nlp, [h for h, need in zip(headlines, needed, strict=True) if need]))
    screened = [
        confirmed_headline_mentions(ours(next(found)[0]), body) if need else []
        for need, body in zip(needed, bodies, strict=True)
    ]
    assert screened == everything
    assert 0.3 * len(pairs) < needed.count(False) < len(pairs), "the archive must be screened"
    assert sum(1 for kept in everything if kept) > 20, "and keep headline mentions"
    assert everything[-2] and everything[-1], "domain names kept without the body"

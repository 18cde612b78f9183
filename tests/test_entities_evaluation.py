"""Evaluation: exact span+label scoring of the configured tagger against the bare model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from transforms.entities.evaluation import Score, evaluate_file, read_gold, render_report, score
from transforms.entities.pipeline import add_components, load_baseline_tagger, load_tagger

GOLD = Path(__file__).parent / "gold" / "entities.jsonl"


def write_gold(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_score_arithmetic() -> None:
    gold = {(0, 0, 5, "PERSON"), (0, 10, 15, "GOV_BODY"), (1, 0, 3, "GPE")}
    predicted = {(0, 0, 5, "PERSON"), (0, 10, 15, "ORG"), (1, 0, 4, "GPE")}
    scores = {s.label: s for s in score(gold, predicted, ["GOV_BODY", "GPE", "ORG", "PERSON"])}
    assert scores["PERSON"] == Score("PERSON", 1, 0, 0)
    assert scores["GOV_BODY"] == Score("GOV_BODY", 0, 0, 1)  # the model's ORG is not a GOV_BODY
    assert scores["ORG"] == Score("ORG", 0, 1, 0)
    assert (scores["GPE"].precision, scores["GPE"].recall, scores["GPE"].f1) == (0.0, 0.0, 0.0)
    assert Score("X", 3, 1, 2).precision == 0.75
    assert Score("X", 3, 1, 2).recall == 0.6
    assert Score("X", 3, 1, 2).f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_rule_pipeline_beats_a_blank_one_on_domain_labels(tmp_path: Path) -> None:
    text = "The Pentagon sent HIMARS, Reuters reported."
    gold = write_gold(
        tmp_path / "gold.jsonl",
        [{"id": "a", "text": text, "entities": [
            {"start": 4, "end": 12, "label": "GOV_BODY"},
            {"start": 18, "end": 24, "label": "WEAPON"},
            {"start": 26, "end": 33, "label": "AGENCY"},
        ]}],
    )
    report = evaluate_file(gold, add_components(spacy.blank("en")), spacy.blank("en"))
    assert report.documents == 1 and report.gold_entities == 3
    assert report.configured.overall == Score("OVERALL", 3, 0, 0)
    assert report.baseline.overall == Score("OVERALL", 0, 0, 3)
    rendered = render_report(report)
    for label in ("GOV_BODY", "WEAPON", "AGENCY", "OVERALL"):
        assert label in rendered


def test_gold_outside_the_label_space_is_rejected(tmp_path: Path) -> None:
    bad = write_gold(
        tmp_path / "bad.jsonl",
        [{"id": "a", "text": "Tuesday", "entities": [{"start": 0, "end": 7, "label": "DATE"}]}],
    )
    with pytest.raises(ValueError, match="label space"):
        read_gold(bad)


@pytest.mark.slow
def test_configured_tagger_beats_the_bare_model_on_the_gold_set() -> None:
    report = evaluate_file(GOLD, load_tagger(), load_baseline_tagger())
    assert report.documents >= 40
    assert report.configured.overall.f1 >= report.baseline.overall.f1 + 0.2
    assert report.configured.overall.f1 >= 0.8
    # Per-label floors for every label are the quality gate's (tests/gold/baseline.json); the
    # 72 texts of issue 22 hold hard GOV_BODY and MILITARY cases (bracketed acronyms), so only
    # the two labels that are pure gazetteer work keep an absolute floor here.
    per_label = {s.label: s for s in report.configured.per_label}
    for label in ("AGENCY", "WEAPON"):
        assert per_label[label].f1 >= 0.85, label
    print(render_report(report))

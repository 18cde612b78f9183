"""The quality gate: the pipeline's F1 on our gold set never slips below the committed baseline.

`tests/gold/baseline.json` is written only by `make eval-baseline` after a deliberate change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transforms.entities.evaluation import (
    EvaluationReport,
    PipelineScores,
    Score,
    baseline_record,
    evaluate_file,
    regressions,
    render_report,
)
from transforms.entities.pipeline import load_baseline_tagger, load_tagger

GOLD_DIR = Path(__file__).parent / "gold"


def _report(per_label: list[Score]) -> EvaluationReport:
    overall = Score(
        "OVERALL",
        sum(s.true_positives for s in per_label),
        sum(s.false_positives for s in per_label),
        sum(s.false_negatives for s in per_label),
    )
    scores = PipelineScores("configured", "m", tuple(per_label), overall)
    labels = tuple(s.label for s in per_label)
    return EvaluationReport("gold.jsonl", 1, 10, labels, scores, scores)


def test_the_gate_passes_at_the_baseline_and_fails_on_a_label_drop() -> None:
    baseline = baseline_record(_report([Score("GPE", 900, 100, 100), Score("ORG", 50, 50, 50)]))
    assert regressions(_report([Score("GPE", 900, 100, 100), Score("ORG", 50, 50, 50)]), baseline) == []
    # ORG 0.50 -> 0.45: more than three points, while overall moves less than one.
    dropped = regressions(_report([Score("GPE", 900, 100, 100), Score("ORG", 45, 55, 55)]), baseline)
    assert [line.split()[0] for line in dropped] == ["ORG"]
    # ORG 0.50 -> 0.48: within three points.
    assert regressions(_report([Score("GPE", 900, 100, 100), Score("ORG", 48, 52, 52)]), baseline) == []


def test_the_gate_fails_when_overall_drops_more_than_one_point() -> None:
    baseline = baseline_record(_report([Score("GPE", 100, 0, 0)]))
    found = regressions(_report([Score("GPE", 97, 3, 3)]), baseline)
    assert found and found[0].startswith("overall F1")
    assert regressions(_report([Score("GPE", 99, 1, 1)]), baseline) == []


def test_a_label_missing_from_the_output_counts_as_zero() -> None:
    baseline = baseline_record(_report([Score("GPE", 10, 0, 0), Score("LAW", 1, 0, 0)]))
    found = regressions(_report([Score("GPE", 10, 0, 0)]), baseline)
    assert any(line.startswith("LAW F1 0.0000") for line in found)


@pytest.mark.slow
def test_pipeline_f1_on_the_gold_set_holds_the_committed_baseline() -> None:
    baseline = json.loads((GOLD_DIR / "baseline.json").read_text(encoding="utf-8"))
    report = evaluate_file(GOLD_DIR / "entities.jsonl", load_tagger(), load_baseline_tagger())
    assert report.documents == baseline["documents"], "gold set changed: run make eval-baseline"
    assert report.gold_entities == baseline["gold_entities"]
    found = regressions(report, baseline)
    assert not found, "\n".join(found) + "\n" + render_report(report)

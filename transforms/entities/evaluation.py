"""Precision, recall and F1 of the configured tagger against the bare model on a gold set.

Gold: JSONL, one record a line, `{"id": …, "text": …, "entities": [{"start", "end", "label"}]}`
(extra keys are ignored). A prediction counts only on an exact match of start, end and label.

Label space: the labels the configured tagger emits (`EMITTED_LABELS`: the OntoNotes name labels
plus AGENCY, GOV_BODY, MILITARY, WEAPON). Both pipelines are scored in it as they are:

* the bare model cannot emit the domain labels, so its ORG "Pentagon" against gold GOV_BODY is a
  false positive for ORG and a false negative for GOV_BODY. That is the honest comparison: an
  analyst counting military units gets nothing useful from an ORG;
* predictions outside the label space (DATE, CARDINAL, … which the configured tagger drops on
  purpose) are ignored for both pipelines rather than counted as errors;
* the bare model's spans are not trimmed: "the Pentagon" against gold "Pentagon" is a miss.

Micro-overall sums true positives, false positives and false negatives over all labels.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language

from transforms.entities.labels import EMITTED_LABELS
from transforms.entities.pipeline import tagger_info
from transforms.entities.tagging import tag_bodies

Entity = tuple[int, int, int, str]  # document index, start, end, label


@dataclass(frozen=True)
class Score:
    label: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class PipelineScores:
    name: str
    model: str
    per_label: tuple[Score, ...]
    overall: Score


@dataclass(frozen=True)
class EvaluationReport:
    gold_path: str
    documents: int
    gold_entities: int
    labels: tuple[str, ...]
    configured: PipelineScores
    baseline: PipelineScores


@dataclass(frozen=True)
class GoldDocument:
    doc_id: str
    text: str
    entities: tuple[tuple[int, int, str], ...]


def read_gold(path: Path) -> list[GoldDocument]:
    """Gold documents; raises ValueError on a label outside the label space or a bad offset."""
    documents = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        text = record["text"]
        entities = tuple(
            (int(e["start"]), int(e["end"]), str(e["label"])) for e in record["entities"]
        )
        for start, end, label in entities:
            if label not in EMITTED_LABELS:
                raise ValueError(f"{path}:{number}: label {label!r} is not in the label space")
            if not 0 <= start < end <= len(text):
                raise ValueError(f"{path}:{number}: offsets {start}:{end} outside the text")
        documents.append(GoldDocument(str(record.get("id", number)), text, entities))
    return documents


def predicted_entities(nlp: Language, texts: Sequence[str]) -> set[Entity]:
    """Entities the pipeline emits, restricted to the label space."""
    return {
        (index, m.start_char, m.end_char, m.label)
        for index, (mentions, _) in enumerate(tag_bodies(nlp, texts))
        for m in mentions
        if m.label in EMITTED_LABELS
    }


def score(gold: set[Entity], predicted: set[Entity], labels: Iterable[str]) -> list[Score]:
    true_positives = Counter(e[3] for e in gold & predicted)
    false_positives = Counter(e[3] for e in predicted - gold)
    false_negatives = Counter(e[3] for e in gold - predicted)
    return [
        Score(label, true_positives[label], false_positives[label], false_negatives[label])
        for label in labels
    ]


def _pipeline_scores(
    name: str, nlp: Language, documents: Sequence[GoldDocument], gold: set[Entity]
) -> PipelineScores:
    predicted = predicted_entities(nlp, [d.text for d in documents])
    per_label = score(gold, predicted, EMITTED_LABELS)
    overall = Score(
        "OVERALL",
        sum(s.true_positives for s in per_label),
        sum(s.false_positives for s in per_label),
        sum(s.false_negatives for s in per_label),
    )
    return PipelineScores(name, tagger_info(nlp).model, tuple(per_label), overall)


def evaluate_file(gold_path: Path, configured: Language, baseline: Language) -> EvaluationReport:
    """Scores of the configured tagger and the bare model on the gold file."""
    documents = read_gold(gold_path)
    gold = {(i, s, e, label) for i, d in enumerate(documents) for s, e, label in d.entities}
    return EvaluationReport(
        gold_path=str(gold_path),
        documents=len(documents),
        gold_entities=len(gold),
        labels=EMITTED_LABELS,
        configured=_pipeline_scores("configured", configured, documents, gold),
        baseline=_pipeline_scores("baseline", baseline, documents, gold),
    )


def render_report(report: EvaluationReport) -> str:
    """A plain-text table: per label P/R/F1 and support for both pipelines, then overall."""
    header = (
        f"gold: {report.gold_path} ({report.documents} documents, "
        f"{report.gold_entities} entities; exact span+label match)\n"
        f"configured: {report.configured.model} + wirehouse components; "
        f"baseline: {report.baseline.model} NER only\n"
    )
    columns = f"{'label':<12}{'gold':>6}  {'configured P / R / F1':>24}  {'baseline P / R / F1':>24}"
    rows = [columns, "-" * len(columns)]
    pairs = zip(report.configured.per_label, report.baseline.per_label, strict=True)
    for ours, theirs in [*pairs, (report.configured.overall, report.baseline.overall)]:
        support = ours.true_positives + ours.false_negatives
        if support == 0 and not ours.false_positives and not theirs.false_positives:
            continue
        if ours.label == "OVERALL":
            rows.append("-" * len(columns))
        rows.append(f"{ours.label:<12}{support:>6}  {_prf(ours):>24}  {_prf(theirs):>24}")
    return header + "\n".join(rows) + "\n"


def _prf(s: Score) -> str:
    return f"{s.precision:.2f} / {s.recall:.2f} / {s.f1:.2f}"


# The quality gate: how far a score may fall below the committed baseline before a test fails.
OVERALL_F1_TOLERANCE = 0.01
LABEL_F1_TOLERANCE = 0.03


def baseline_record(report: EvaluationReport) -> dict[str, object]:
    """What `tests/gold/baseline.json` stores: the configured pipeline's overall and per-label
    P/R/F1 (rounded to 4 places) with support, and the bare model's overall for reference."""

    def figures(s: Score) -> dict[str, float | int]:
        return {
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "f1": round(s.f1, 4),
            "support": s.true_positives + s.false_negatives,
        }

    return {
        "gold": Path(report.gold_path).name,
        "documents": report.documents,
        "gold_entities": report.gold_entities,
        "model": report.configured.model,
        "overall": figures(report.configured.overall),
        "per_label": {
            s.label: figures(s)
            for s in report.configured.per_label
            if s.true_positives + s.false_negatives
        },
        "bare_model_overall": figures(report.baseline.overall),
    }


def regressions(
    report: EvaluationReport,
    baseline: dict[str, object],
    *,
    overall_tolerance: float = OVERALL_F1_TOLERANCE,
    label_tolerance: float = LABEL_F1_TOLERANCE,
) -> list[str]:
    """Where the configured pipeline's F1 fell below the baseline by more than the tolerance:
    overall, or any label the baseline scores. Empty when the gate passes."""
    found: list[str] = []
    overall = report.configured.overall.f1
    expected = float(baseline["overall"]["f1"])  # type: ignore[index]
    if overall < expected - overall_tolerance:
        found.append(f"overall F1 {overall:.4f} < baseline {expected:.4f} - {overall_tolerance}")
    per_label = {s.label: s for s in report.configured.per_label}
    for label, figures in baseline["per_label"].items():  # type: ignore[union-attr]
        now = per_label[label].f1 if label in per_label else 0.0
        if now < float(figures["f1"]) - label_tolerance:
            found.append(
                f"{label} F1 {now:.4f} < baseline {float(figures['f1']):.4f} - {label_tolerance}"
            )
    return found

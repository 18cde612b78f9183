"""Rewrite tests/gold/baseline.json, the quality gate's reference, from the current pipeline.

Run only after a deliberate change (`make eval-baseline`), and review the diff like a golden file:
the gate (`tests/test_entities_quality_gate.py`) fails when overall F1 falls more than one point,
or any label's F1 more than three, below what this file says."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from transforms.entities.evaluation import baseline_record, evaluate_file, render_report
from transforms.entities.pipeline import load_baseline_tagger, load_tagger

GOLD_DIR = Path(__file__).parent
GOLD = GOLD_DIR / "entities.jsonl"
BASELINE = GOLD_DIR / "baseline.json"


def main() -> int:
    report = evaluate_file(GOLD, load_tagger(), load_baseline_tagger())
    record = baseline_record(report)
    old = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else None
    BASELINE.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(render_report(report))
    if old is not None:
        before, after = old["overall"]["f1"], record["overall"]["f1"]
        print(f"baseline overall F1: {before:.4f} -> {after:.4f}")
        if after < before:
            print("warning: the new baseline is LOWER than the old one; do not commit it unless "
                  "the drop is understood and deliberate", file=sys.stderr)
    print(f"wrote {BASELINE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

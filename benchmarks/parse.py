"""Parse CPU per dispatch, by part, and the language detector against py3langid's own (issue 25).

    python benchmarks/parse.py [ARCHIVE_DIR] [--files N]

Reads the synthetic Reuters-like archive (`benchmarks/synthetic_archive.py`; generated into
ARCHIVE_DIR when it holds no .sgm files) as the backfill's parse stage does, and prints the CPU
milliseconds per dispatch of each part: hashing the file, the reader, language detection and
the row (identity keys and columns). Then it classifies every dispatch's detection sample twice,
with py3langid's own `classify` (the baseline, in the same run) and with the scorer
`transforms.languages` uses, and prints both costs, their ratio and how many answers differ
(language or confidence; there should be none). CPU seconds, not wall time: the machine may be
shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seeds import default_seeds_dir  # noqa: E402
from transforms import languages  # noqa: E402
from transforms.landing import read_source_file  # noqa: E402
from transforms.readers import read_path  # noqa: E402
from transforms.records import ParsedDispatch  # noqa: E402
from transforms.reference import load_reference  # noqa: E402
from transforms.stages.parse import item_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path, nargs="?", default=Path("/tmp/wirehouse-synthetic-archive"))
    parser.add_argument("--files", type=int, default=22, help="read only the first N files")
    options = parser.parse_args()
    if not any(options.archive.glob("*.sgm")):
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from synthetic_archive import generate

        generate(options.archive, 21_578, 22, 1987)
    files = sorted(options.archive.glob("*.sgm"))[: options.files]
    reference = load_reference(default_seeds_dir())
    identifier, scorer = languages._identifier(), languages._scorer()
    clock = time.process_time
    now = datetime.now(UTC)

    started = clock()
    for path in files:
        read_source_file(path)
    hashed = clock()
    items = [item for path in files for item in read_path(path, reference=reference)]
    read = clock()
    with_language = [languages.with_language(i) if isinstance(i, ParsedDispatch) else i for i in items]
    detected = clock()
    for item in with_language:
        item_rows(item, "benchmark", now)
    rows = clock()
    count = len(items)

    def per_dispatch(seconds: float) -> str:
        return f"{1000 * seconds / count:.3f}"

    print(f"{count} dispatches from {len(files)} files; parse CPU ms per dispatch: file hash "
          f"{per_dispatch(hashed - started)}, reader {per_dispatch(read - hashed)}, language "
          f"{per_dispatch(detected - read)}, row {per_dispatch(rows - detected)}, total "
          f"{per_dispatch(rows - started)}")

    samples = []
    for item in items:
        if isinstance(item, ParsedDispatch):
            text = "\n".join(part for part in (item.headline, item.body) if part)
            samples.append(text[: languages._DETECTION_CHARS])
    if scorer is None:
        print("the installed py3langid's model is scored by py3langid itself: nothing to compare")
        return
    started = clock()
    baseline = [identifier.classify(sample) for sample in samples]
    theirs = clock()
    ours = [scorer.classify(sample) for sample in samples]
    done = clock()
    differ = sum(a != b for a, b in zip(baseline, ours, strict=True))
    print(f"classify, {len(samples)} samples: py3langid "
          f"{1e6 * (theirs - started) / len(samples):.1f} us CPU, "
          f"ours {1e6 * (done - theirs) / len(samples):.1f} us CPU, ratio "
          f"{(theirs - started) / (done - theirs):.2f}; answers that differ: {differ}")


if __name__ == "__main__":
    main()

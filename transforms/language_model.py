"""py3langid's language model, scored with numpy: the detector behind `transforms.languages`.

py3langid classifies a text by counting its byte n-grams with a finite automaton walked one
byte at a time in a Python loop, then scoring the counts against a (features x languages) table
of naive Bayes log-probabilities. On a wire dispatch the loop, and turning the table's float16
rows into float32 for the product, were most of what parsing cost (issue 25). `NgramScorer`
uses the same tables from the same loaded model and the same float32 operations in the same
order, so its (language, confidence) is py3langid's bit for bit; only the counting and the row
conversion are done differently:

* **The count, by windows.** The automaton is an Aho-Corasick one: after each byte its state is
  the longest string it knows that ends there, and no string it knows is longer than `window`
  bytes (6 for the model py3langid 0.4 ships). So the state at a position depends on the last
  `window` bytes only, and every position can be walked at once: `window` steps of one array
  lookup each, the k-th step giving every position the state of its last k bytes. Features
  are then counted in the order they first occur, the order py3langid's `Counter` sums them
  in (the float32 dot product's result depends on that order).
* **The rows, cast once.** The product casts the table's float16 rows to float32 (exactly) at
  every text; here each feature's row is cast the first time it is met and kept.

Whether an automaton has that windowed property is checked, not assumed (`automaton_window`):
once for the model we ship with, whose fingerprint is recorded in `_VERIFIED_AUTOMATA`, and
again at load for any other model (about a second). A model that fails the check, or a
py3langid whose tables are laid out otherwise, is scored by py3langid itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import sys
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from transforms.disk_cache import cache_folders, ensure_built, partial_path

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

log = logging.getLogger(__name__)

# sha256 of an automaton's tables (see `_fingerprint`) -> its window, for the automata
# `automaton_window` has already verified: py3langid 0.4.0's model.
_VERIFIED_AUTOMATA = {"02be155813f29d991f3ec0177b36ef64a8084ee8fd156bc338c448ea70d4cc20": 6}
_BYTE_VALUES = np.arange(256)


class NgramScorer:
    """(language, confidence) of a text as `LanguageIdentifier(norm_probs=True).classify`
    gives it, from that identifier's own tables."""

    def __init__(self, tables: ModelTables) -> None:
        self.window = tables.window
        self._next_state = tables.next_state
        self._row_start = tables.row_start
        self._feature = tables.feature
        self._weights = tables.weights
        # float32 copies of the rows of the features met so far, in the order they were met, and
        # where each feature's row is (-1: not yet): converted once, not at every dispatch.
        self._single_rows = np.empty((0, self._weights.shape[1]), dtype=np.float32)
        self._rows_used = 0
        self._row_of = np.full(len(self._weights), -1, dtype=np.intp)
        self._rows_lock = threading.Lock()
        self._prior = tables.prior
        self._labels = list(tables.labels)
        # Scripts of one language (Serbian in Latin and Cyrillic) are columns of their own; the
        # later column's probability is added to the first one's.
        first: dict[str, int] = {}
        self._merged_columns = []
        for column, label in enumerate(self._labels):
            if label in first:
                self._merged_columns.append((first[label], column))
            else:
                first[label] = column

    @classmethod
    def of(cls, identifier: LanguageIdentifier) -> NgramScorer | None:
        """The scorer for a py3langid identifier, or None when its model cannot be scored this
        way exactly (tables laid out otherwise, an automaton without the windowed property)."""
        tables = ModelTables.of(identifier)
        return None if tables is None else cls(tables)

    def feature_counts(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(feature, count) arrays of the n-grams in `data`, in order of first occurrence."""
        text = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
        if not len(text):
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        start_row = self._row_start[0]
        # After step k, state[i] is where the walk from the start goes on bytes i-k+1 .. i (on
        # fewer at the start of the text, where the walk itself starts).
        state = self._next_state[start_row + text]
        for _ in range(self.window - 1):
            row = self._row_start[state]
            row[1:] = row[:-1]
            row[0] = start_row
            row += text
            state = self._next_state[row]
        found = self._feature[state]
        # Counter keeps keys in order of first insertion.
        counts = Counter(found[found >= 0].tolist())
        return (
            np.fromiter(counts.keys(), dtype=np.intp, count=len(counts)),
            np.fromiter(counts.values(), dtype=np.intp, count=len(counts)),
        )

    def classify(self, text: str) -> tuple[str, float]:
        data = _model_bytes(text)
        features, counts = self.feature_counts(data)
        if len(features):
            rows = self._float32_rows(features)
            scores = np.log1p(counts.astype(np.float32)) @ rows + self._prior
        else:
            # Nothing recognised: every language equally likely.
            scores = np.zeros(len(self._labels), dtype=np.float32)
        # A softmax at temperature sqrt(bytes), in place and in float32 as py3langid does it.
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for kept, folded in self._merged_columns:
            scores[kept] += scores[folded]
            scores[folded] = 0.0
        best = int(scores.argmax())
        return self._labels[best], float(scores[best])

    def _float32_rows(self, features: np.ndarray) -> np.ndarray:
        """The weights of these (distinct) features as float32 rows, as numpy's matmul would
        cast them. A text needs a few hundred rows of the model's 100,053, and a corpus in one
        language keeps meeting the same few thousand, so each row is cast once and kept: 568
        bytes a feature met, 57 MB only if every feature of every language is."""
        places = self._row_of[features]
        if (places < 0).any():
            with self._rows_lock:
                new = features[self._row_of[features] < 0]
                end = self._rows_used + len(new)
                if end > len(self._single_rows):
                    # Grown by copying, published before any new row's place is: a thread
                    # reading concurrently finds every place it reads in the array it reads.
                    grown = np.empty((max(end, 2 * len(self._single_rows), 1024), self._weights.shape[1]),
                                     dtype=np.float32)
                    grown[: self._rows_used] = self._single_rows[: self._rows_used]
                    self._single_rows = grown
                self._single_rows[self._rows_used : end] = self._weights[new]
                self._row_of[new] = np.arange(self._rows_used, end)
                self._rows_used = end
            places = self._row_of[features]
        return self._single_rows[places]


@dataclass(frozen=True)
class ModelTables:
    """The arrays a `NgramScorer` reads, taken from a py3langid identifier or from files."""

    next_state: np.ndarray
    row_start: np.ndarray
    feature: np.ndarray
    weights: np.ndarray
    prior: np.ndarray
    labels: tuple[str, ...]
    window: int

    @classmethod
    def of(cls, identifier: LanguageIdentifier) -> ModelTables | None:
        """The identifier's tables, or None when they cannot be scored this way exactly."""
        try:
            next_state = _as_array(identifier.tk_nextmove)
            row_start = _as_array(identifier.tk_row).astype(np.intp) << 8
            features = np.asarray(identifier.tk_output, dtype=np.int64)
            if not identifier._norm_probs or features.ndim != 1 or len(features) != len(row_start):
                return None
            if np.asarray(identifier.nb_ptc).shape != (int(features.max()) + 1, len(identifier.nb_classes)):
                return None
        except (AttributeError, TypeError, ValueError):
            return None
        window = _VERIFIED_AUTOMATA.get(_fingerprint(next_state, row_start, features))
        if window is None:
            window = automaton_window(next_state, row_start)
        if window is None:
            return None
        return cls(next_state, row_start, np.asarray(identifier.tk_output, dtype=np.intp),
                   np.asarray(identifier.nb_ptc), identifier.nb_pc, tuple(identifier.nb_classes), window)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        (folder / "meta.json").write_text(json.dumps({"labels": list(self.labels), "window": self.window}))

    @classmethod
    def load(cls, folder: Path) -> ModelTables:
        """The tables saved in `folder`; the two large ones mapped, not read: a process holds
        only the pages of the automaton and weights its texts reach (English text: ~38 MB of
        the 64 MB)."""
        meta = json.loads((folder / "meta.json").read_text())
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r" if name in _MAPPED else None,
                                allow_pickle=False) for name in _ARRAYS}
        return cls(**arrays, labels=tuple(meta["labels"]), window=int(meta["window"]))


_ARRAYS = ("next_state", "row_start", "feature", "weights", "prior")
_MAPPED = ("next_state", "weights")
# Bump when what ModelTables.save writes changes.
TABLES_FORMAT = 1
UNSCORABLE = "unscorable"


def tables_folder(cache_folder: Path) -> Path:
    """Where the installed py3langid model's tables are kept: named by their format, the
    package's version and its model file's digest."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    digest = hashlib.sha256(f"format={TABLES_FORMAT};py3langid={version('py3langid')};".encode())
    digest.update((MODEL_DIR / MODEL_FILE).read_bytes())
    return cache_folder / f"langid-{digest.hexdigest()[:16]}"


def load_scorer() -> NgramScorer | None:
    """The scorer over the model's tables on disk (saved first, by a child process, once per
    machine), or None when the installed model cannot be scored exactly (py3langid scores
    it). Without a cache folder it can write, the tables are taken in memory, as before."""
    for cache_folder in cache_folders():
        try:
            folder = ensure_built(tables_folder(cache_folder), "transforms.language_model")
            if (folder / UNSCORABLE).exists():
                return None
            return NgramScorer(ModelTables.load(folder))
        except (OSError, RuntimeError, ValueError) as error:
            log.warning("language model tables in %s unusable (%s): trying the next place",
                        cache_folder, error)
    return NgramScorer.of(load_identifier())


def load_identifier() -> LanguageIdentifier:
    """py3langid's own identifier over its shipped model (~75 MB once loaded)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def save_tables(folder: Path) -> None:
    """The installed model's tables into `folder`, whole or not at all; a model that cannot be
    scored exactly leaves a folder saying so."""
    partial = partial_path(folder)
    shutil.rmtree(partial, ignore_errors=True)
    tables = ModelTables.of(load_identifier())
    if tables is None:
        partial.mkdir(parents=True)
        (partial / UNSCORABLE).write_text("py3langid scores this model itself\n")
    else:
        tables.save(partial)
    os.replace(partial, folder)


def _model_bytes(text: str) -> bytes:
    # What the model was trained on: all-capitals text lowered, NFC, UTF-8 (lone surrogates
    # kept as their bytes rather than refused).
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


def _as_array(table) -> np.ndarray:
    """A stdlib array (py3langid keeps its automaton in those) as numpy, without a copy."""
    return np.frombuffer(table, dtype=np.dtype(table.typecode))


def _fingerprint(next_state: np.ndarray, row_start: np.ndarray, features: np.ndarray) -> str:
    digest = hashlib.sha256()
    for table in (next_state, row_start >> 8, features):
        digest.update(str(table.dtype).encode())
        digest.update(np.ascontiguousarray(table).tobytes())
    return digest.hexdigest()


def automaton_window(next_state: np.ndarray, row_start: np.ndarray) -> int | None:
    """The longest string an automaton knows, if it is the Aho-Corasick automaton of the strings
    its states stand for; None if it is not (or a state cannot be reached).

    Each state stands for the string that first reaches it breadth first. The automaton is
    Aho-Corasick exactly when every transition that does not extend that string goes where
    the same byte goes from the state's failure state (its longest proper suffix that is a
    state; from the start state: back to the start), and then the state after any text is the
    longest state-string ending it, so it depends on that many last bytes only.
    """
    states = len(row_start)
    depth = np.full(states, -1, dtype=np.int64)
    failure = np.zeros(states, dtype=np.intp)
    depth[0] = 0
    level = np.zeros(1, dtype=np.intp)
    length = 0
    while len(level):
        targets = next_state[row_start[level][:, None] + _BYTE_VALUES].astype(np.intp)
        flat = targets.ravel()
        unseen = np.flatnonzero(depth[flat] < 0)
        children, first = np.unique(flat[unseen], return_index=True)
        extends = np.zeros(flat.shape, dtype=bool)
        extends[unseen[first]] = True
        parents = level[unseen[first] // 256]
        bytes_in = unseen[first] % 256
        if length == 0:
            expected = np.zeros_like(targets)
        else:
            expected = next_state[row_start[failure[level]][:, None] + _BYTE_VALUES].astype(np.intp)
            failure[children] = next_state[row_start[failure[parents]] + bytes_in]
        if not np.all(extends.reshape(targets.shape) | (targets == expected)):
            return None
        depth[children] = length + 1
        level = children
        length += 1 if len(children) else 0
    if np.any(depth < 0):
        return None
    return int(depth.max())


if __name__ == "__main__":
    save_tables(Path(sys.argv[1]))

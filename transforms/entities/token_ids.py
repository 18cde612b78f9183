"""A doc's token ids and text, read once for every cleanup rule that asks of them."""

from __future__ import annotations

from spacy.attrs import IS_SPACE, LOWER, ORTH
from spacy.tokens import Doc


class TokenIds:
    """The token ids of a doc, read once (one C-level `to_array`) for every rule that asks
    which words a text holds, and its text, joined at most once."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.arrays = doc.to_array([ORTH, LOWER, IS_SPACE])
        self.orths: list[int] = self.arrays[:, 0].tolist()
        self.orth_set = set(self.orths)
        self.lower_set = set(self.arrays[:, 1].tolist())
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            self._text = self.doc.text  # a Python join over every token
        return self._text

    def line_breaks(self) -> int:
        """Line breaks in the text, from the whitespace tokens alone (a line break is never
        part of a word token or of a token's trailing space)."""
        spaces = self.arrays[:, 2].astype(bool)
        if not spaces.any():
            return 0
        strings = self.doc.vocab.strings
        return sum(strings[orth].count("\n") for orth in self.arrays[spaces, 0].tolist())

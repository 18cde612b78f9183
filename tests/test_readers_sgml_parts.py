"""The SGML reader's cheaper parts give what the regexes they replace gave: the element between
tags, and the body without its "Reuter" signature."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.readers import sgml

_pieces = st.sampled_from(
    ["Reuter", "REUTER", "reuter", "Reuters", "xReuter", "-Reuter", " ", "  ", "\n", "\t", "\n\n",
     "&#3;", "word", "BODY", "<BODY>", "</BODY>", "<BODY TYPE=\"x\">", "<BODYX>", "</TITLE>", "<TITLE>",
     ">", "<", "é", "\u00a0", "\u2003"]
)
_texts = st.one_of(st.lists(_pieces, max_size=25).map("".join), st.text(max_size=60))


def _old_element(text: str, name: str) -> str | None:
    match = re.search(rf"<{name}\b[^>]*>(.*?)</{name}>", text, re.DOTALL)
    return match[1] if match else None


@settings(max_examples=400, deadline=None)
@given(_texts, st.sampled_from(["BODY", "TITLE", "DATELINE"]))
def test_element_is_what_the_lazy_regex_found(text: str, name: str) -> None:
    assert sgml._element(text, name) == _old_element(text, name)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_the_signature_goes_as_the_regex_took_it(text: str) -> None:
    assert sgml._without_signature(text) == sgml._SIGNATURE.sub("", text)


def test_examples() -> None:
    assert sgml._without_signature("Profits rose.\n Reuter\n") == "Profits rose."
    assert sgml._without_signature("Talks with Reuter") == "Talks with"
    assert sgml._without_signature("HansReuter") == "HansReuter"
    assert sgml._without_signature("Reuter") == ""
    assert sgml._element('<BODY TYPE="x">a</BODY> <BODY>b</BODY>', "BODY") == "a"
    assert sgml._element("<BODYX>a</BODY>", "BODY") is None

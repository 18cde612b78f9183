"""Text on the report's page: escaped, shortened, counted in words."""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def esc(value: object) -> str:
    """Text safe inside HTML/SVG content and quoted attributes; control characters dropped."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: int) -> str:
    return f"{value:,}"


def plural(count: int, noun: str) -> str:
    """'1 dispatch', '2 dispatches', '1,204 mentions': the count with its noun agreeing."""
    if count == 1:
        return f"1 {noun}"
    many = noun + "es" if noun.endswith(("s", "sh", "ch", "x", "z")) else noun + "s"
    return f"{number(count)} {many}"

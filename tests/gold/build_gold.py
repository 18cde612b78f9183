"""Builds tests/gold/entities.jsonl from the hand-written markup in entities.marked.txt.

Markup: a document starts at a line `### <id>`; `[[surface|LABEL]]` marks an entity; lines
starting with `#` before the first document are comments. Offsets are computed here, never typed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

GOLD_DIR = Path(__file__).resolve().parent
MARKED = GOLD_DIR / "entities.marked.txt"
JSONL = GOLD_DIR / "entities.jsonl"

_ENTITY = re.compile(r"\[\[([^\[\]|]+)\|([A-Z_]+)\]\]")


def parse_marked(marked: str) -> tuple[str, list[dict[str, object]]]:
    """Plain text and entities (start, end, label, text) of one marked-up document."""
    parts: list[str] = []
    entities: list[dict[str, object]] = []
    length = 0
    cursor = 0
    for match in _ENTITY.finditer(marked):
        before = marked[cursor : match.start()]
        parts.append(before)
        length += len(before)
        surface, label = match.group(1), match.group(2)
        entities.append({"start": length, "end": length + len(surface), "label": label,
                         "text": surface})
        parts.append(surface)
        length += len(surface)
        cursor = match.end()
    parts.append(marked[cursor:])
    return "".join(parts), entities


def documents(source: str) -> list[tuple[str, str]]:
    """(id, marked text) for each `### id` block, text stripped of surrounding blank lines."""
    docs: list[tuple[str, str]] = []
    current: str | None = None
    lines: list[str] = []
    for line in source.splitlines():
        if line.startswith("### "):
            if current is not None:
                docs.append((current, "\n".join(lines).strip()))
            current, lines = line[4:].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        docs.append((current, "\n".join(lines).strip()))
    return docs


def gold_records(source: str) -> list[dict[str, object]]:
    records = []
    for doc_id, marked in documents(source):
        text, entities = parse_marked(marked)
        records.append({"id": doc_id, "text": text, "entities": entities})
    return records


def render_jsonl(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main() -> int:
    JSONL.write_text(render_jsonl(gold_records(MARKED.read_text(encoding="utf-8"))),
                     encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

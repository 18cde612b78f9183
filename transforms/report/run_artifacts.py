"""What a run publishes as Prefect artifacts, as plain data: the flows hand it to Prefect."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from transforms.report.model import QuarantineReason

RUN_SUMMARY_KEY = "wirehouse-run-summary"
QUARANTINE_KEY = "wirehouse-quarantine"
# Prefect accepts only these characters in an artifact key.
ARTIFACT_KEY = re.compile(r"[a-z0-9-]+")
EXAMPLE_DETAIL_CHARS = 200

# Inline markup, links, raw HTML and table cell breaks; line-start markers cannot occur here,
# since every value sits after text on its line.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>|~])")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RunCounts:
    run_id: str
    flow: str
    status: str
    files_seen: int
    files_ingested: int
    dispatches: int
    mentions: int
    quotes: int
    quarantined: int
    duration_seconds: float


def checked_key(key: str) -> str:
    if not ARTIFACT_KEY.fullmatch(key):
        raise ValueError(f"artifact key {key!r}: only lowercase letters, digits and dashes")
    return key


def run_summary_table(counts: RunCounts) -> list[dict[str, object]]:
    """One row: the run's counts, as the `wirehouse-run-summary` table artifact."""
    return [{
        "run_id": counts.run_id,
        "flow": counts.flow,
        "status": counts.status,
        "files_seen": counts.files_seen,
        "files_ingested": counts.files_ingested,
        "dispatches_written": counts.dispatches,
        "mentions_written": counts.mentions,
        "quotes_written": counts.quotes,
        "quarantined": counts.quarantined,
        "duration_seconds": round(counts.duration_seconds, 3),
    }]


def markdown_text(value: str, limit: int | None = None) -> str:
    """Untrusted text as literal Markdown on one line: no markup, links, HTML or table breaks."""
    flat = _WHITESPACE.sub(" ", value).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def quarantine_markdown(run_id: str, reasons: Sequence[QuarantineReason]) -> str:
    """The `wirehouse-quarantine` artifact: each reason with its count and one example."""
    total = sum(r.files for r in reasons)
    lines = [
        f"## Quarantined by run {markdown_text(run_id)}",
        "",
        f"{total} item{'s' if total != 1 else ''} refused; good input was still ingested.",
        "",
        "| reason | items | example | detail |",
        "|---|---:|---|---|",
    ]
    lines += [
        f"| {markdown_text(r.reason)} | {r.files} | {markdown_text(r.example_uri)} | "
        f"{markdown_text(r.example_detail, EXAMPLE_DETAIL_CHARS)} |"
        for r in reasons
    ]
    return "\n".join(lines) + "\n"

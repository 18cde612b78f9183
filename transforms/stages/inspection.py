"""How each item of a file parses, for a person looking at a feed that seems wrong.

Nothing is written: the file goes through the same readers and language detection as a run,
and each item is described as the dispatch it would become or the reason it would be refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from transforms.languages import with_language
from transforms.readers import read_path
from transforms.records import ParsedDispatch, Rejection
from transforms.reference import Reference

BODY_PREVIEW = 160
_FIELDS = (
    "source_format", "agency", "dateline_place", "dateline_country", "dateline_date",
    "published_at", "headline", "byline", "editor_note", "language", "signal", "story_version",
    "pub_status",
)


@dataclass(frozen=True)
class ItemReport:
    """One item: the fields it would be stored with, or why it would be refused."""

    source_uri: str
    fields: dict[str, object]
    warnings: tuple[str, ...] = ()
    reason: str | None = None
    detail: str | None = None

    @property
    def quarantined(self) -> bool:
        return self.reason is not None


def item_reports(path: Path, reference: Reference) -> Iterator[ItemReport]:
    for item in read_path(path, reference=reference):
        if isinstance(item, Rejection):
            yield ItemReport(item.source_uri, {}, reason=item.reason, detail=item.detail)
        else:
            yield _dispatch_report(with_language(item))


def _dispatch_report(dispatch: ParsedDispatch) -> ItemReport:
    if dispatch.published_at is None:
        return ItemReport(dispatch.source_uri, {}, reason="no_date",
                          detail="no publication date found")
    fields: dict[str, object] = {name: getattr(dispatch, name) for name in _FIELDS}
    body = " ".join(dispatch.body.split())
    fields["words"] = len(dispatch.body.split())
    fields["body"] = body if len(body) <= BODY_PREVIEW else body[:BODY_PREVIEW] + "…"
    return ItemReport(dispatch.source_uri, fields, dispatch.parse_warnings)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def report_text(report: ItemReport) -> str:
    if report.quarantined:
        return f"{report.source_uri}\n  QUARANTINED {report.reason}: {report.detail}\n"
    lines = [report.source_uri]
    for name, value in report.fields.items():
        if value is not None:
            lines.append(f"  {name:<17} {_plain(value)}")
    lines.append(f"  {'warnings':<17} {', '.join(report.warnings) or '-'}")
    return "\n".join(lines) + "\n"


def report_json(report: ItemReport) -> str:
    document = {
        "source_uri": report.source_uri,
        "status": "quarantined" if report.quarantined else "dispatch",
        **({"reason": report.reason, "detail": report.detail} if report.quarantined else {}),
        **{name: _plain(value) for name, value in report.fields.items()},
        **({} if report.quarantined else {"parse_warnings": list(report.warnings)}),
    }
    return json.dumps(document, ensure_ascii=False)

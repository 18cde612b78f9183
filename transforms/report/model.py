"""The report's records: what the queries read from the warehouse and the page is drawn from.

Plain frozen records, no warehouse and no drawing, so that the queries (`report.queries`), the
page (`report.render`) and the run's artifacts (`report.run_artifacts`) share them without
importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class AgencyDay:
    day: date
    agency: str
    dispatches: int


@dataclass(frozen=True)
class EntityTrend:
    label: str
    name: str
    mentions: int
    dispatches: int
    mentions_by_day: tuple[tuple[date, int], ...]


@dataclass(frozen=True, order=True)
class NetworkNode:
    label: str
    name: str
    dispatches: int
    mentions: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.label, self.name)


@dataclass(frozen=True, order=True)
class NetworkEdge:
    source: tuple[str, str]
    target: tuple[str, str]
    shared_dispatches: int


@dataclass(frozen=True)
class RunLine:
    run_id: str
    flow: str
    started_at: datetime
    finished_at: datetime | None
    files_seen: int
    files_ingested: int
    dispatches: int
    mentions: int
    quarantined: int
    status: str

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class QuarantineReason:
    reason: str
    files: int
    example_uri: str
    example_detail: str


@dataclass(frozen=True)
class TopStory:
    story_id: str
    first_headline: str
    first_seen: datetime
    agencies: tuple[str, ...]
    dispatches: int
    versions: int


@dataclass(frozen=True, order=True)
class DatelinePlace:
    """A place dispatches are datelined from; a country or region has no coordinates of its own."""

    place_id: str
    name: str
    country_code: str
    feature: str
    latitude: float | None
    longitude: float | None
    dispatches: int


@dataclass(frozen=True, order=True)
class CountryMentions:
    """Mentions of places in one country (the country itself, its regions and its cities)."""

    country_code: str
    mentions: int
    dispatches: int


@dataclass(frozen=True)
class ReportData:
    warehouse_name: str
    date_from: date | None
    date_to: date | None
    dispatches: int
    mentions: int
    as_of: datetime | None
    agency_days: tuple[AgencyDay, ...]
    entities: tuple[EntityTrend, ...]
    nodes: tuple[NetworkNode, ...]
    edges: tuple[NetworkEdge, ...]
    runs: tuple[RunLine, ...]
    quarantine: tuple[QuarantineReason, ...]
    stories: tuple[TopStory, ...] = ()
    dateline_places: tuple[DatelinePlace, ...] = ()
    countries: tuple[CountryMentions, ...] = ()
    # Dispatches whose text gives no date (dated from the file's time): off the timeline.
    undated: int = 0

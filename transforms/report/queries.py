"""What the report shows, read from the warehouse through the read-only query layer.

All of the report's queries share one connection from `open_warehouse`: opening binds every
view to every committed file, which costs far more than most of these queries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache

import duckdb

from schemas.views import sql_literal
from seeds import seed_path
from transforms.entities.not_names import NotNames, is_not_a_name, not_names, read_not_name_rows
from transforms.query import open_warehouse, run_query
from transforms.report.model import (
    AgencyDay,
    CountryMentions,
    DatelinePlace,
    EntityTrend,
    NetworkEdge,
    NetworkNode,
    QuarantineReason,
    ReportData,
    RunLine,
    TopStory,
)
from transforms.storage import Warehouse, location

TOP_PER_LABEL = 5
NETWORK_LABELS = ("PERSON", "ORG", "GOV_BODY", "MILITARY")
NETWORK_NODES = 40
NETWORK_PER_LABEL_FLOOR = 4
JUNK_MARGIN = 20
NETWORK_EDGES = 160
PER_NODE_EDGES = 2
LATEST_RUNS = 10
TOP_STORIES = 10
FIRST_SEEN_DAY = "CAST(timezone('UTC', first_seen) AS DATE)"
UNKNOWN_AGENCY = "unknown agency"
# A text that gives no date is dated from its file's time (README: parse warnings): a day that
# says when a file was copied, not when the news was, so the charts over time leave it out.
UNDATED = "list_contains(coalesce(parse_warnings, []), 'date_from_file_time')"
_WORDS = re.compile(r"\w+|[^\w\s]")


def window_filter(date_from: date | None, date_to: date | None, column: str = "published_date") -> str:
    """A SQL condition on `column` for the inclusive window (dates are typed, so no quoting risk)."""
    conditions = ["TRUE"]
    if date_from is not None:
        conditions.append(f"{column} >= DATE '{date_from.isoformat()}'")
    if date_to is not None:
        conditions.append(f"{column} <= DATE '{date_to.isoformat()}'")
    return " AND ".join(conditions)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def in_utc(moment: datetime | None) -> datetime | None:
    """DuckDB hands back times in the session's zone; the report speaks UTC."""
    return moment.astimezone(UTC) if moment is not None else None


def agency_days(con: duckdb.DuckDBPyConnection, where: str) -> tuple[AgencyDay, ...]:
    """Dispatches per day and agency; undated texts are left out (their day is a file's time)."""
    rows = _rows(con, f"""
        SELECT published_date, coalesce(agency, '{UNKNOWN_AGENCY}') AS agency, count(*)
        FROM dispatches_latest WHERE {where} AND NOT {UNDATED}
        GROUP BY ALL ORDER BY 1, 2""")
    return tuple(AgencyDay(day=day, agency=agency, dispatches=n) for day, agency, n in rows)


def undated_dispatches(con: duckdb.DuckDBPyConnection, where: str) -> int:
    (count,), = _rows(con, f"SELECT count(*) FROM dispatches_latest WHERE {where} AND {UNDATED}")
    return count


@lru_cache(maxsize=1)
def _not_name_lists() -> NotNames:
    return not_names(read_not_name_rows(seed_path("not_names.csv")))


def is_junk_name(name: str) -> bool:
    """A name the tagger's cleanup would drop today (README: What is not a name): older rows,
    tagged before a rule existed, still hold some, and the report does not show them."""
    words = _WORDS.findall(name)
    return not words or is_not_a_name(words, _not_name_lists())


def _resolved_mentions(con: duckdb.DuckDBPyConnection, where: str) -> str:
    """A `resolved` CTE: the window's mentions under the warehouse-wide names of the `entities`
    view (same alias joins), so a name counts in the report as it does in `entities`. The joins
    run once per window and connection, into a temporary table the report's queries share."""
    table = "report_mentions_" + hashlib.sha256(where.encode()).hexdigest()[:12]
    con.execute(f"""
        CREATE TEMP TABLE IF NOT EXISTS {table} AS
            SELECT m.dispatch_id, m.published_date,
                   coalesce(s.canonical_label, f.canonical_label, m.label) AS label,
                   coalesce(s.canonical, f.canonical, m.canonical, m.text) AS name
            FROM mentions_latest AS m
            LEFT JOIN entity_aliases AS s
                ON s.rule = 'surname' AND s.label = m.label AND s.name = m.canonical
                AND s.seen_on = m.published_date AND s.canonical IS NOT NULL
            LEFT JOIN entity_aliases AS f
                ON f.rule = 'form' AND f.label = m.label AND f.name = m.canonical
            WHERE {where}""")
    return f"resolved AS (SELECT * FROM {table})"


def ranked_names(con: duckdb.DuckDBPyConnection, where: str, per_label: int,
                 labels: Sequence[str] | None = None) -> list[tuple[str, str, int, int]]:
    """(label, name, mentions, dispatches) of the most-mentioned names of each label, junk left
    out, best first within a label: by mentions, then dispatches, then name."""
    only = "TRUE" if labels is None else "label IN (" + ", ".join(map(sql_literal, labels)) + ")"
    # A margin over `per_label`, so that names dropped as junk leave enough behind.
    fetched = int(per_label) * 2 + JUNK_MARGIN
    rows = _rows(con, f"""
        WITH {_resolved_mentions(con, where)},
        ranked AS (
            SELECT label, name, count(*) AS mentions, count(DISTINCT dispatch_id) AS dispatches,
                   row_number() OVER (PARTITION BY label
                       ORDER BY count(*) DESC, count(DISTINCT dispatch_id) DESC, name) AS rank
            FROM resolved WHERE {only} GROUP BY label, name
        )
        SELECT label, name, mentions, dispatches FROM ranked WHERE rank <= {fetched}
        ORDER BY label, rank""")
    kept: list[tuple[str, str, int, int]] = []
    per: dict[str, int] = {}
    for label, name, mentions, dispatches in rows:
        if per.get(label, 0) < per_label and not is_junk_name(name):
            kept.append((label, name, mentions, dispatches))
            per[label] = per.get(label, 0) + 1
    return kept


def _names_table(keys: Iterable[tuple[str, str]]) -> str:
    values = ", ".join(f"({sql_literal(label)}, {sql_literal(name)})" for label, name in keys)
    return f"(VALUES {values}) AS chosen(label, name)"


def entity_trends(con: duckdb.DuckDBPyConnection, where: str, top: int = TOP_PER_LABEL
                  ) -> tuple[EntityTrend, ...]:
    """The top names of each label, with their mentions per day (undated texts left out)."""
    names = ranked_names(con, where, top)
    if not names:
        return ()
    rows = _rows(con, f"""
        WITH {_resolved_mentions(con, where)},
        chosen AS (SELECT * FROM {_names_table((label, name) for label, name, *_ in names)})
        SELECT label, name, published_date, count(*) FROM resolved SEMI JOIN chosen USING (label, name)
        WHERE dispatch_id NOT IN (SELECT dispatch_id FROM dispatches_latest WHERE {UNDATED})
        GROUP BY ALL ORDER BY 1, 2, 3""")
    by_day: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for label, name, day, n in rows:
        by_day.setdefault((label, name), []).append((day, n))
    return tuple(
        EntityTrend(label=label, name=name, mentions=mentions, dispatches=dispatches,
                    mentions_by_day=tuple(by_day.get((label, name), ())))
        for label, name, mentions, dispatches in names
    )


def choose_network_nodes(ranked: Sequence[tuple[str, str, int, int]], nodes: int = NETWORK_NODES,
                         floor: int = NETWORK_PER_LABEL_FLOOR) -> list[NetworkNode]:
    """The network's names: each label's `floor` most-mentioned first (a busy label cannot
    crowd out the others), then the most-mentioned of any label up to `nodes`."""
    def order(row: tuple[str, str, int, int]) -> tuple:
        label, name, mentions, dispatches = row
        return (-mentions, -dispatches, label, name)

    chosen: list[tuple[str, str, int, int]] = []
    per: dict[str, int] = {}
    for row in sorted(ranked, key=order):
        if per.get(row[0], 0) < floor:
            chosen.append(row)
            per[row[0]] = per.get(row[0], 0) + 1
    rest = [row for row in sorted(ranked, key=order) if row not in chosen]
    chosen = sorted(chosen, key=order)[:nodes]
    chosen += rest[: nodes - len(chosen)]
    return sorted(NetworkNode(label=label, name=name, dispatches=dispatches, mentions=mentions)
                  for label, name, mentions, dispatches in chosen)


def network(con: duckdb.DuckDBPyConnection, where: str, nodes: int = NETWORK_NODES, edges: int = NETWORK_EDGES
            ) -> tuple[tuple[NetworkNode, ...], tuple[NetworkEdge, ...]]:
    """The most-mentioned people and organisations, and the dispatches each pair shares."""
    chosen = choose_network_nodes(ranked_names(con, where, nodes, NETWORK_LABELS), nodes)
    if not chosen:
        return (), ()
    edge_rows = _rows(con, f"""
        WITH {_resolved_mentions(con, where)},
        chosen AS (SELECT * FROM {_names_table(n.key for n in chosen)}),
        kept AS (SELECT DISTINCT dispatch_id, label, name FROM resolved SEMI JOIN chosen USING (label, name)),
        pairs AS (
            SELECT a.label AS a_label, a.name AS a_name, b.label AS b_label, b.name AS b_name,
                   count(*) AS shared
            FROM kept AS a JOIN kept AS b
              ON a.dispatch_id = b.dispatch_id AND (a.label, a.name) < (b.label, b.name)
            GROUP BY ALL
        ),
        ranked AS (
            SELECT *,
                row_number() OVER (PARTITION BY a_label, a_name
                                   ORDER BY shared DESC, b_label, b_name) AS rank_a,
                row_number() OVER (PARTITION BY b_label, b_name
                                   ORDER BY shared DESC, a_label, a_name) AS rank_b
            FROM pairs
        )
        -- Each name's strongest ties first, then the strongest overall, so that the cut to
        -- the edge budget leaves no node connected in the data alone on the page.
        SELECT a_label, a_name, b_label, b_name, shared FROM ranked
        ORDER BY least(rank_a, rank_b) > {int(PER_NODE_EDGES)}, shared DESC, 1, 2, 3, 4
        LIMIT {int(edges)}""")
    return (
        tuple(chosen),
        tuple(NetworkEdge(source=(a_label, a_name), target=(b_label, b_name), shared_dispatches=n)
              for a_label, a_name, b_label, b_name, n in edge_rows),
    )


def dateline_places(con: duckdb.DuckDBPyConnection, where: str) -> tuple[DatelinePlace, ...]:
    """Each place dispatches are datelined from, with its dispatches, for the map's dots."""
    rows = _rows(con, f"""
        SELECT p.place_id, p.name, p.country_code, p.feature, p.latitude, p.longitude, count(*)
        FROM dispatches_latest AS d JOIN places AS p ON p.place_id = d.dateline_place_id
        WHERE {where}
        GROUP BY ALL ORDER BY 7 DESC, 1""")
    return tuple(DatelinePlace(*row) for row in rows)


def country_mentions(con: duckdb.DuckDBPyConnection, where: str) -> tuple[CountryMentions, ...]:
    """Mentions of each country's places (the country, its regions, its cities), for the shading."""
    rows = _rows(con, f"""
        SELECT p.country_code, count(*), count(DISTINCT m.dispatch_id)
        FROM mentions_latest AS m JOIN places AS p USING (place_id)
        WHERE {where}
        GROUP BY 1 ORDER BY 1""")
    return tuple(CountryMentions(*row) for row in rows)


def top_stories(con: duckdb.DuckDBPyConnection, where: str, limit: int = TOP_STORIES
                ) -> tuple[TopStory, ...]:
    """The stories first seen in the window that the most agencies carried, then the most
    versions; ties by first appearance and id, so a rerun lists them in the same order."""
    rows = _rows(con, f"""
        SELECT story_id, coalesce(first_headline, ''), first_seen, agencies, dispatches, versions
        FROM stories
        WHERE {where}
        ORDER BY len(agencies) DESC, versions DESC, first_seen, story_id
        LIMIT {int(limit)}""")
    return tuple(
        TopStory(story_id, headline, in_utc(first_seen), tuple(agencies), dispatches, versions)
        for story_id, headline, first_seen, agencies, dispatches, versions in rows
    )


def latest_runs(con: duckdb.DuckDBPyConnection, limit: int = LATEST_RUNS) -> tuple[RunLine, ...]:
    rows = _rows(con, f"""
        SELECT run_id, flow, started_at, finished_at, files_seen, files_ingested,
               dispatches_written, mentions_written, quarantined, status
        FROM runs ORDER BY started_at DESC, run_id LIMIT {int(limit)}""")
    return tuple(
        RunLine(run_id, flow, in_utc(started), in_utc(finished), *counts)
        for run_id, flow, started, finished, *counts in rows
    )


def quarantine_sql(run_id: str | None = None) -> str:
    """Each reason with its count and, as its example, the refusal with the first source_uri."""
    where = f"run_id = {sql_literal(run_id)}" if run_id is not None else "TRUE"
    return f"""
        SELECT reason, count(*) AS files, min(source_uri),
               arg_min(coalesce(detail, ''), source_uri)
        FROM quarantine WHERE {where} GROUP BY reason ORDER BY files DESC, reason"""


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> tuple[QuarantineReason, ...]:
    return tuple(QuarantineReason(*row) for row in _rows(con, quarantine_sql()))


def run_quarantine_reasons(warehouse: Warehouse, run_id: str) -> tuple[QuarantineReason, ...]:
    """What one run refused, for its artifact."""
    return tuple(QuarantineReason(*row) for row in run_query(warehouse, quarantine_sql(run_id)).rows)


def warehouse_name(warehouse: Warehouse) -> str:
    """The warehouse folder's name, or the last part of an S3 prefix."""
    loc = location(warehouse)
    return loc.uri.rstrip("/").rsplit("/", 1)[-1] if loc.remote else loc.path.resolve().name


def gather_report_data(warehouse: Warehouse, date_from: date | None = None, date_to: date | None = None
                       ) -> ReportData:
    where = window_filter(date_from, date_to)
    con = open_warehouse(warehouse)
    try:
        (dispatches,), = _rows(con, f"SELECT count(*) FROM dispatches_latest WHERE {where}")
        (mentions,), = _rows(con, f"SELECT count(*) FROM mentions_latest WHERE {where}")
        (as_of,), = _rows(con, "SELECT max(finished_at) FROM runs")
        mentions_where = window_filter(date_from, date_to, "m.published_date")
        nodes, edges = network(con, mentions_where)
        return ReportData(
            warehouse_name=warehouse_name(warehouse),
            date_from=date_from,
            date_to=date_to,
            dispatches=dispatches,
            mentions=mentions,
            as_of=in_utc(as_of),
            agency_days=agency_days(con, where),
            entities=entity_trends(con, mentions_where),
            nodes=nodes,
            edges=edges,
            runs=latest_runs(con),
            quarantine=quarantine_reasons(con),
            stories=top_stories(con, window_filter(date_from, date_to, FIRST_SEEN_DAY)),
            dateline_places=dateline_places(con, where),
            countries=country_mentions(con, mentions_where),
            undated=undated_dispatches(con, where),
        )
    finally:
        con.close()

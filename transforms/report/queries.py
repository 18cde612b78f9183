"""What the report shows, read from the warehouse through the read-only query layer.

All of the report's queries share one connection from `open_warehouse`: opening binds every
view to every committed file, which costs far more than most of these queries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from schemas.views import sql_literal
from transforms.query import open_warehouse, run_query
from transforms.report.model import (
    AgencyDay,
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
NETWORK_EDGES = 160
PER_NODE_EDGES = 2
LATEST_RUNS = 10
TOP_STORIES = 10
FIRST_SEEN_DAY = "CAST(timezone('UTC', first_seen) AS DATE)"
UNKNOWN_AGENCY = "unknown agency"


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
    rows = _rows(con, f"""
        SELECT published_date, coalesce(agency, '{UNKNOWN_AGENCY}') AS agency, count(*)
        FROM dispatches_latest WHERE {where}
        GROUP BY ALL ORDER BY 1, 2""")
    return tuple(AgencyDay(day=day, agency=agency, dispatches=n) for day, agency, n in rows)


def entity_trends(con: duckdb.DuckDBPyConnection, where: str, top: int = TOP_PER_LABEL
                  ) -> tuple[EntityTrend, ...]:
    rows = _rows(con, f"""
        WITH m AS (
            SELECT label, coalesce(canonical, text) AS name, dispatch_id, published_date
            FROM mentions_latest WHERE {where}
        ),
        ranked AS (
            SELECT label, name, count(*) AS mentions, count(DISTINCT dispatch_id) AS dispatches,
                   row_number() OVER (PARTITION BY label
                       ORDER BY count(*) DESC, count(DISTINCT dispatch_id) DESC, name) AS rank
            FROM m GROUP BY label, name
        ),
        top AS (SELECT * FROM ranked WHERE rank <= {int(top)}),
        daily AS (
            SELECT label, name, published_date, count(*) AS n
            FROM m SEMI JOIN top USING (label, name) GROUP BY ALL
        )
        SELECT t.label, t.name, t.mentions, t.dispatches,
               list(struct_pack(day := d.published_date, n := d.n) ORDER BY d.published_date)
        FROM top AS t JOIN daily AS d USING (label, name)
        GROUP BY ALL ORDER BY t.label, t.mentions DESC, t.name""")
    return tuple(
        EntityTrend(label=label, name=name, mentions=mentions, dispatches=dispatches,
                    mentions_by_day=tuple((p["day"], p["n"]) for p in per_day))
        for label, name, mentions, dispatches, per_day in rows
    )


def _network_base(where: str, nodes: int) -> str:
    labels = ", ".join(f"'{label}'" for label in NETWORK_LABELS)
    return f"""
        WITH m AS (
            SELECT DISTINCT dispatch_id, label, coalesce(canonical, text) AS name
            FROM mentions_latest WHERE label IN ({labels}) AND {where}
        ),
        nodes AS (
            SELECT label, name, count(*) AS dispatches FROM m GROUP BY ALL
            ORDER BY dispatches DESC, label, name LIMIT {int(nodes)}
        )"""


def network(con: duckdb.DuckDBPyConnection, where: str, nodes: int = NETWORK_NODES, edges: int = NETWORK_EDGES
            ) -> tuple[tuple[NetworkNode, ...], tuple[NetworkEdge, ...]]:
    """The most-mentioned people and organisations, and the dispatches each pair shares."""
    base = _network_base(where, nodes)
    node_rows = _rows(con, base + " SELECT label, name, dispatches FROM nodes ORDER BY 1, 2")
    edge_rows = _rows(con, base + f"""
        , kept AS (SELECT m.* FROM m SEMI JOIN nodes USING (label, name)),
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
        tuple(NetworkNode(label=label, name=name, dispatches=n) for label, name, n in node_rows),
        tuple(NetworkEdge(source=(a_label, a_name), target=(b_label, b_name), shared_dispatches=n)
              for a_label, a_name, b_label, b_name, n in edge_rows),
    )


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
        nodes, edges = network(con, where)
        return ReportData(
            warehouse_name=warehouse_name(warehouse),
            date_from=date_from,
            date_to=date_to,
            dispatches=dispatches,
            mentions=mentions,
            as_of=in_utc(as_of),
            agency_days=agency_days(con, where),
            entities=entity_trends(con, where),
            nodes=nodes,
            edges=edges,
            runs=latest_runs(con),
            quarantine=quarantine_reasons(con),
            stories=top_stories(con, window_filter(date_from, date_to, FIRST_SEEN_DAY)),
        )
    finally:
        con.close()

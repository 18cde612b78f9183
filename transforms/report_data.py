"""What the report shows, read from the warehouse through the read-only query layer."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from schemas.views import sql_literal
from transforms.query import run_query
from transforms.report import (
    AgencyDay,
    EntityTrend,
    NetworkEdge,
    NetworkNode,
    QuarantineReason,
    ReportData,
    RunLine,
)

TOP_PER_LABEL = 5
NETWORK_LABELS = ("PERSON", "ORG", "GOV_BODY", "MILITARY")
NETWORK_NODES = 40
NETWORK_EDGES = 160
LATEST_RUNS = 10
UNKNOWN_AGENCY = "unknown agency"


def window_filter(date_from: date | None, date_to: date | None, column: str = "published_date") -> str:
    """A SQL condition on `column` for the inclusive window (dates are typed, so no quoting risk)."""
    conditions = ["TRUE"]
    if date_from is not None:
        conditions.append(f"{column} >= DATE '{date_from.isoformat()}'")
    if date_to is not None:
        conditions.append(f"{column} <= DATE '{date_to.isoformat()}'")
    return " AND ".join(conditions)


def in_utc(moment: datetime | None) -> datetime | None:
    """DuckDB hands back times in the session's zone; the report speaks UTC."""
    return moment.astimezone(UTC) if moment is not None else None


def agency_days(warehouse: Path, where: str) -> tuple[AgencyDay, ...]:
    rows = run_query(warehouse, f"""
        SELECT published_date, coalesce(agency, '{UNKNOWN_AGENCY}') AS agency, count(*)
        FROM dispatches_latest WHERE {where}
        GROUP BY ALL ORDER BY 1, 2""").rows
    return tuple(AgencyDay(day=day, agency=agency, dispatches=n) for day, agency, n in rows)


def entity_trends(warehouse: Path, where: str, top: int = TOP_PER_LABEL) -> tuple[EntityTrend, ...]:
    rows = run_query(warehouse, f"""
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
        GROUP BY ALL ORDER BY t.label, t.mentions DESC, t.name""").rows
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


def network(warehouse: Path, where: str, nodes: int = NETWORK_NODES, edges: int = NETWORK_EDGES
            ) -> tuple[tuple[NetworkNode, ...], tuple[NetworkEdge, ...]]:
    """The most-mentioned people and organisations, and the dispatches each pair shares."""
    base = _network_base(where, nodes)
    node_rows = run_query(warehouse, base + " SELECT label, name, dispatches FROM nodes ORDER BY 1, 2").rows
    edge_rows = run_query(warehouse, base + f"""
        , kept AS (SELECT m.* FROM m SEMI JOIN nodes USING (label, name))
        SELECT a.label, a.name, b.label, b.name, count(*) AS shared
        FROM kept AS a JOIN kept AS b
          ON a.dispatch_id = b.dispatch_id AND (a.label, a.name) < (b.label, b.name)
        GROUP BY ALL ORDER BY shared DESC, 1, 2, 3, 4 LIMIT {int(edges)}""").rows
    return (
        tuple(NetworkNode(label=label, name=name, dispatches=n) for label, name, n in node_rows),
        tuple(NetworkEdge(source=(a_label, a_name), target=(b_label, b_name), shared_dispatches=n)
              for a_label, a_name, b_label, b_name, n in edge_rows),
    )


def latest_runs(warehouse: Path, limit: int = LATEST_RUNS) -> tuple[RunLine, ...]:
    rows = run_query(warehouse, f"""
        SELECT run_id, flow, started_at, finished_at, files_seen, files_ingested,
               dispatches_written, mentions_written, quarantined, status
        FROM runs ORDER BY started_at DESC, run_id LIMIT {int(limit)}""").rows
    return tuple(
        RunLine(run_id, flow, in_utc(started), in_utc(finished), *counts)
        for run_id, flow, started, finished, *counts in rows
    )


def quarantine_reasons(warehouse: Path, run_id: str | None = None) -> tuple[QuarantineReason, ...]:
    """Each reason with its count and, as its example, the refusal with the first source_uri."""
    where = f"run_id = {sql_literal(run_id)}" if run_id is not None else "TRUE"
    rows = run_query(warehouse, f"""
        SELECT reason, count(*) AS files, min(source_uri),
               arg_min(coalesce(detail, ''), source_uri)
        FROM quarantine WHERE {where} GROUP BY reason ORDER BY files DESC, reason""").rows
    return tuple(QuarantineReason(*row) for row in rows)


def gather_report_data(warehouse: Path, date_from: date | None = None, date_to: date | None = None
                       ) -> ReportData:
    where = window_filter(date_from, date_to)
    (dispatches,), = run_query(warehouse, f"SELECT count(*) FROM dispatches_latest WHERE {where}").rows
    (mentions,), = run_query(warehouse, f"SELECT count(*) FROM mentions_latest WHERE {where}").rows
    (as_of,), = run_query(warehouse, "SELECT max(finished_at) FROM runs").rows
    nodes, edges = network(warehouse, where)
    return ReportData(
        warehouse_name=warehouse.resolve().name,
        date_from=date_from,
        date_to=date_to,
        dispatches=dispatches,
        mentions=mentions,
        as_of=in_utc(as_of),
        agency_days=agency_days(warehouse, where),
        entities=entity_trends(warehouse, where),
        nodes=nodes,
        edges=edges,
        runs=latest_runs(warehouse),
        quarantine=quarantine_reasons(warehouse),
    )


def write_report(target: Path, page: str) -> None:
    """Replace `target` in one rename, so a reader never opens half a report."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

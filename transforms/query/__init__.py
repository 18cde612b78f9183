"""Read-only ad-hoc SQL over the warehouse views: `wirehouse sql`, the report and the contracts.

`read_only` refuses every statement that could change something and hardens the connection;
`views` creates the views a query reads over a pinned snapshot; `run` runs a query and renders
its result.
"""

from transforms.query.read_only import (
    NamedReads,
    QueryRefused,
    ReadNotFound,
    ReadOnlyQuery,
    check_read_only,
    harden_connection,
    read_only_query,
)
from transforms.query.run import (
    STREAM_CHUNK_ROWS,
    CsvRows,
    JsonRows,
    NoSuchView,
    QueryLimits,
    QueryResult,
    QueryStopped,
    RowWriter,
    as_csv,
    as_json,
    run_query,
    vacuumed_error,
)
from transforms.query.views import open_warehouse, referenced_names, register_views

__all__ = [
    "STREAM_CHUNK_ROWS",
    "CsvRows",
    "JsonRows",
    "NamedReads",
    "NoSuchView",
    "QueryRefused",
    "QueryLimits",
    "QueryResult",
    "QueryStopped",
    "ReadNotFound",
    "ReadOnlyQuery",
    "RowWriter",
    "as_csv",
    "as_json",
    "check_read_only",
    "harden_connection",
    "open_warehouse",
    "read_only_query",
    "referenced_names",
    "register_views",
    "run_query",
    "vacuumed_error",
]

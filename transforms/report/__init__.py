"""The HTML report: its records (`model`), read from the warehouse (`queries`) and drawn as one
self-contained page (`render`); `run_artifacts` is what a run publishes to Prefect."""

from transforms.report.queries import gather_report_data, run_quarantine_reasons
from transforms.report.render import render_report, write_report

__all__ = ["gather_report_data", "render_report", "run_quarantine_reasons", "write_report"]

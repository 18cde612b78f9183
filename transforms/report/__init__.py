"""The HTML report: what it shows, read from the warehouse (`queries`), and the page drawn from
those records (`render`); `run_artifacts` is what a run publishes to Prefect."""

from transforms.report.queries import gather_report_data, run_quarantine_reasons, write_report
from transforms.report.render import render_report

__all__ = ["gather_report_data", "render_report", "run_quarantine_reasons", "write_report"]

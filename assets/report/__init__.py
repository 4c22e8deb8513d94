"""The library report: one HTML page of charts per user."""

import dagster as dg

from assets.report.library import library_report

REPORT_ASSETS = [library_report]

defs = dg.Definitions(assets=REPORT_ASSETS)

"""Hall reports for managers: the exact figures of a period (stats), their CSV and XLSX export, and the kept
figures of closed days (keeper, the one write here: report_days rows, outside the engine's write path).

Rule: reads storage and may reuse the engine's pure calculations; no Flask, nothing above it.
"""

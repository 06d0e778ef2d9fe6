"""Running the server: gunicorn inside `hallq serve`, the serving process's background rounds (alert ticker:
housekeeping, alerts, kept report days), request ids and structured logs, /metrics and /readyz, the start-up heap.

Rule: may use storage, the engine (through Runtime.execute), queries and reports; never web, realtime or the
composition root (the entry points hand it the app they built).
"""

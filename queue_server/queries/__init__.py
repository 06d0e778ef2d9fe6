"""The read side: what the API, the pages and the realtime hub show. Lists and snapshots of a hall, a ticket by its
track token, the staff console's window, the manager's monitor and the 好差评 records. Never writes.

Rule: reads storage through the read session and may reuse the engine's pure calculations (estimates, payloads);
imports no Flask and nothing above it. Personal data leaves here masked.
"""

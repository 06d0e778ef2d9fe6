"""The queue: a ticket from its number to its finish (issuing, numbering, opening hours, routing, calling,
handling, transfer, parking), the windows that call it, the clerks at them, the estimates and the print jobs.

Rule: imports storage's tables and raw SQL, the shared vocabulary and engine.audit; nothing of setup or oversight.
"""

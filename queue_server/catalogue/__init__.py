"""The catalogue every hall shares: service guides (办事指南) and public disclosures (政务公开): their search index
and import, a manager's edits (run through Runtime.execute like every write) and the guide-quality rules.

Rule: imports storage, the engine's audit and the shared vocabulary; no Flask, no web, no realtime. Its tables live
in storage like every table.
"""

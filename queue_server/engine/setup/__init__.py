"""A hall's set-up by its managers: services, windows and their profiles, hours and holidays, departments and
priority categories, staff accounts, devices, notices and the hall's own settings. Each change is validated,
audited and announced.

Rule: may use engine.queue (payloads, loading helpers) and engine.audit; never engine.oversight.
"""

"""Storage: every table (mapped class), the database engines, the one write transaction (Runtime.execute), hand-written
SQL, migrations, the WAL checkpointer and backups.

Rule: imports only the shared vocabulary (clock, events, errors, settings, ttlcache), SQLAlchemy and the stdlib; never
the engine or anything above it. Runtime.execute runs an engine op handed to it as a callable.
"""

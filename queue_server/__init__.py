"""hallq queue server. Importing the package loads nothing else.

Here: the entry points (app.py, the composition root and the only importer of kiosk and display; wsgi.py; cli/,
`hallq`) and the vocabulary every package shares (clock, events, errors, settings, ttlcache: stdlib only; the
print agent imports events). The subpackages, top layer first: realtime; web; operations and demo; queries,
reports, catalogue and access; engine; storage (docs/architecture.md draws the map).

Rule: a package imports only from the layers below it (pyproject.toml's import-linter contracts); no package holds
more than 15 modules.
"""

__version__ = "0.1.0"

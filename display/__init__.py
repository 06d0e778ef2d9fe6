"""Hall wall display, window screens, the citizen's phone page and Mandarin voice announcements.

Rule: display never imports kiosk; display.voice is pure (no Flask, no SQLAlchemy).
"""

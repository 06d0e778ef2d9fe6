"""Who may act: credentials (bearer tokens for devices and staff, stored as their SHA-256; staff passwords) and the
Principal a credential stands for, with its role, hall and window; and which hall a ticket belongs to, the hall
its actions are checked in (ticket_halls).

Rule: imports storage and the shared vocabulary, and werkzeug's password hashing only; no Flask. The adapters
(API, pages, hub, CLI) turn a header, a cookie or a connect payload into a Principal with it.
"""

"""The web adapters: the JSON API /api/v1 (api/, with its OpenAPI document and problem+json errors), the staff and
manager consoles and the report page, device pairing (/pair) and the refusal of tokens in addresses, the security
headers every answer carries (CSP), browser sessions (cookie, CSRF), the message catalogues, and the public base
URL the QR codes point at (public_url).

Rule: writes only through Runtime.execute(engine op), reads through queries, reports and the catalogue; turns
requests into Principals with access. Never imports realtime, kiosk or display (the composition root wires them).
"""

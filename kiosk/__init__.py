"""Self-service kiosk: touch pages, ticket layout, ESC/POS printing and the print agent.

Rule: kiosk never imports display; kiosk.layout and kiosk.printer are pure (no Flask, no SQLAlchemy); kiosk.agent
imports only queue_server.events from the server and talks to it over HTTP and Socket.IO.
"""

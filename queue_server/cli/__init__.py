"""`hallq`, the command line: one module per group of commands (site: init, demo, serve; devices: tokens, kiosk
printers, notices; data: backup, restore, retention; accounts: users), assembled in main.py. Every command honours
HALLQ_DATABASE_URL and reads or writes through storage and the engine like the web does.

Rule: an entry point like app.py and wsgi.py: it may import anything below it, and nothing imports it.
"""

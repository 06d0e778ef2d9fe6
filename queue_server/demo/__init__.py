"""The demo: the 楚雄州 hall (24 windows, 30 services, open around the clock) and the 禄丰市 county hall with real
hours and holidays, their staff and devices, the demo catalogue (30 办事指南 items, disclosures with the customer's
2018 annual report) and its downloadable PDFs. Loaded by `hallq demo` only.

Rule: writes its rows directly (a one-off load, not a hall action); imports storage, access and the catalogue. Only
the CLI, the benches and the tests import it.
"""

"""网上预约: a service's bookable slots (weekly plan, horizon, cut-off, the hall's calendar), citizens booking,
moving and cancelling them, and the check-in rules the queue applies to a booked ticket; 线上取号 (remote.py): a
live ticket from a phone, held until its citizen confirms arrival.

Rule: builds on engine.queue (its calendar, numbering and person rules) and engine.audit, over storage's tables;
nothing of setup or oversight (they build on it: housekeeping marks 爽约), never Flask.
"""

"""What watches over the hall: the alert evaluator and the periodic housekeeping round, 好差评 ratings and their
差评 follow-up cases, and the retention of personal data.

Rule: may use engine.queue and engine.audit; never engine.setup.
"""

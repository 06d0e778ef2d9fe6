"""Routes a citizen reaches from a phone without any credential: 网上预约 (booking a slot, its page, moving and
cancelling it) and 线上取号 (a remote ticket, its arrival, the hall's entrance code of the day). What identifies
the citizen is the booking's own secret manage token, or the ticket's track token.

Rule: like every route module of web/api: the engine through the runtime, the read side, the API's schemas.
"""

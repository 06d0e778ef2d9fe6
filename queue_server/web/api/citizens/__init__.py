"""Routes a citizen reaches from a phone without any credential: 网上预约 (booking a slot, its page, moving and
cancelling it). What identifies the citizen is the booking's own secret manage token.

Rule: like every route module of web/api: the engine through the runtime, the read side, the API's schemas.
"""

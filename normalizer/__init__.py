"""Normalizer: pure functions from InboundMessage to Complaint v1, and the schemas.

No Flask, no network, no clock or randomness of its own: callers pass ``now`` and the
random source, so every function here is repeatable in tests.
"""

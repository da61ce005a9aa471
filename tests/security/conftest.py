"""The security tests' gateway: one door per registered channel (each channel's test
sender, ``tests/harness.py``) with its credentials, the public base URL providers sign,
and the central system's callback secret."""
from __future__ import annotations

from tests.every_channel import environ  # noqa: F401

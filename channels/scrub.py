"""The one scrubber for provider error texts before they reach a log or a SendError reason.

Providers echo phone numbers, chat ids and user ids in their error messages; every run of
five or more digits becomes ``***`` (tracking numbers, status codes and short counts stay
readable only when shorter than that, which is why error codes are logged apart).
"""
from __future__ import annotations

import re

_DIGIT_RUNS = re.compile(r"\d{5,}")


def digit_runs(text: str) -> str:
    """``text`` with every run of five or more digits replaced by ``***``."""
    return _DIGIT_RUNS.sub("***", text)

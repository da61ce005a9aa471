"""The workers' one clock helper: the UTC time stamp put on ledger entries and dead letters."""
from __future__ import annotations

import time


def utc_stamp() -> str:
    """Now in UTC, to the second, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

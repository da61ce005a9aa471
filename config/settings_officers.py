"""The officers' settings: login lockout, session length and the audit stream's bound.

A group of ``config.settings.Settings`` kept in its own module (``Settings`` inherits these
fields; ``load_settings`` validates them with the other numbers, ``OFFICER_NUMBERS``):

    LAPOR_LOGIN_MAX_FAILURES     5       failed logins that lock an account
    LAPOR_LOGIN_LOCKOUT_MINUTES  15      how long it stays locked (failures are counted
                                         over the same window)
    LAPOR_OFFICER_SESSION_HOURS  8       a login lasts this long, then the officer logs in again
    LAPOR_AUDIT_MAX_ENTRIES      200000  the audit stream keeps about this many newest entries
    LAPOR_RATE_LIMIT_LOGIN       30/minute;300/hour  login attempts per client address (each
                                         costs an argon2id check; ``gateway.limits``), ``off``
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OfficerSettings:
    login_max_failures: int = 5
    login_lockout_minutes: float = 15.0
    officer_session_hours: float = 8.0
    audit_max_entries: int = 200000
    rate_limit_login: str = "30/minute;300/hour"


OFFICER_NUMBERS = {  # field name -> (type, minimum), validated like every number setting
    "login_max_failures": (int, 1),
    "login_lockout_minutes": (float, 0.1),
    "officer_session_hours": (float, 0.1),
    "audit_max_entries": (int, 1000),
}

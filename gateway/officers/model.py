"""An officer as the web side sees them: Flask-Login's user, built from the stored account.

``ROLES`` in order of power: a ``petugas`` enters complaints for their own agency; a
``supervisor`` also sees their agency's complaints, dead letters and audit log; an ``admin``
sees everything and manages officers. ``Officer.can(role)`` is "at least ``role``";
``Officer.sees(agency)`` is whether the officer may see what belongs to ``agency``.
``pseudonym`` is a keyed id (``normalizer.identity.officer_pseudonym``): complaints and log
lines carry it, never the username.
"""
from __future__ import annotations

import re

from flask_login import UserMixin

from normalizer.identity import officer_pseudonym

ROLES = ("petugas", "supervisor", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


def valid_username(username: str) -> bool:
    """Lower-case letters, digits, ``.``, ``_`` and ``-``; 2 to 63 characters."""
    return bool(USERNAME.match(username or ""))


class Officer(UserMixin):
    """A logged-in officer (``flask_login.current_user``)."""

    def __init__(self, account: dict[str, str], secret_key: str):
        self.username = account["username"]
        self.agency = account.get("agency", "")
        self.role = account.get("role", "petugas")
        self.generation = account.get("generation", "1")
        self.pseudonym = officer_pseudonym(secret_key, self.username)

    def get_id(self) -> str:
        """The session holds the username and the account's generation: a password reset
        or a disable raises the generation, which ends every older session."""
        return f"{self.username}|{self.generation}"

    def can(self, role: str) -> bool:
        """Whether this officer's role is ``role`` or above it."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    def sees(self, agency: str) -> bool:
        """Admins see every agency's records, the others their own agency's."""
        return self.role == "admin" or agency == self.agency

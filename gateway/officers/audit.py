"""``audit(action, **details)``: append an officer's action to the audit stream.

Who, what, when and from where: the actor is ``flask_login.current_user`` (or the ``actor``
and ``agency`` given, for a failed login, or ``actor=""`` when nobody is known), the address
is the request's (``request.remote_addr``, which ``LAPOR_PROXY_HOPS`` makes the client's
behind a proxy), the time is now (UTC, ISO). Outside a request (the CLI) the address is
``cli``. ``details`` are stored as JSON; never put a reporter's identity in them. Actions
written by the gateway: ``login``, ``login_failed``, ``login_locked``, ``logout``,
``dead_replay``, ``officer_add``, ``officer_disable``, ``officer_reset_password``,
``officer_totp_enable``, ``manual_entry`` and ``complaint_view`` (``gateway.officers.manual``,
``complaint``).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import current_app, has_request_context, request
from flask_login import current_user

from normalizer.identity import officer_pseudonym


def entry(action: str, actor=None, agency: str | None = None, address: str = "cli",
          secret_key: str = "", **details) -> dict[str, str]:
    """The stream fields of one action by ``actor`` (an ``Officer``, an account dict, a
    username or None)."""
    username = getattr(actor, "username", None) or (actor.get("username", "") if isinstance(actor, dict)
                                                     else actor or "")
    fields = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "action": action,
              "actor": username, "actor_id": officer_pseudonym(secret_key, username) if username else "",
              "agency": agency if agency is not None else _of(actor, "agency"),
              "role": _of(actor, "role"), "address": address,
              "details": json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)}
    return fields


def _of(actor, name: str) -> str:
    if isinstance(actor, dict):
        return actor.get(name, "")
    return getattr(actor, name, "") or ""


def audit(action: str, actor=None, agency: str | None = None, **details) -> str:
    """Append ``action`` by the current officer (or ``actor``) to the audit stream; its id."""
    parts = current_app.extensions["lapor"]
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    address = (request.remote_addr or "unknown") if has_request_context() else "cli"
    fields = entry(action, actor, agency, address, parts.settings.secret_key, **details)
    return parts.store.audit.append(fields, parts.settings.audit_max_entries)

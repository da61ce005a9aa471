"""``lapor-gateway officers ...`` and ``lapor-gateway audit``: accounts and the audit stream
from the command line.

    officers add USERNAME --agency NAME --role petugas|supervisor|admin
    officers list                       one JSON line per officer (never a hash or a secret)
    officers disable USERNAME           refuses its logins and ends its sessions
    officers reset-password USERNAME    a new password; ends its sessions, lifts a lock
    officers totp enable USERNAME       a second factor; prints the provisioning URI once
    officers totp disable USERNAME
    audit [--since ISO|DURATION]        the audit stream as JSON lines, oldest first
                                        (``2026-11-28``, ``2026-11-28T08:00+07:00``, ``24h``, ``7d``)

A password is read from the prompt (twice) on a terminal, else the first line of stdin; at
least 10 characters. Every change is written to the audit stream (actor ``cli:<OS user>``,
address ``cli``, the officer's agency, so its supervisors see it).
"""
from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from datetime import datetime, timedelta, timezone

import pyotp

from gateway.officers.audit import entry
from gateway.officers.auth import MIN_PASSWORD, hash_password
from gateway.officers.model import ROLES, valid_username

DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
ISSUER = "LAPOR! petugas"


def since(text: str) -> datetime:
    """``--since``: an ISO date or time (UTC when no zone) or a duration back from now."""
    match = DURATION.match(text.strip())
    if match:
        return datetime.now(timezone.utc) - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO date/time or a duration like 24h, got {text[:40]!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _username(text: str) -> str:
    if not valid_username(text):
        raise argparse.ArgumentTypeError("a username is 2-63 lower-case letters, digits, '.', '_' or '-'")
    return text


def read_password(stdin=None) -> str:
    """The new password: prompted twice on a terminal, else stdin's first line."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("lapor-gateway: the two passwords differ")
    else:
        password = stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise SystemExit(f"lapor-gateway: a password has at least {MIN_PASSWORD} characters")
    return password


def _audit(parts, action: str, account: dict, **details) -> None:
    fields = entry(action, None, account.get("agency", ""), "cli", parts.settings.secret_key,
                   officer=account.get("username", ""), **details)
    fields["actor"] = f"cli:{getpass.getuser()}"
    parts.store.audit.append(fields, parts.settings.audit_max_entries)


def _account(parts, username: str) -> dict:
    account = parts.store.officers.get(username)
    if not account:
        raise SystemExit(f"lapor-gateway: no officer {username!r}")
    return account


def cmd_add(parts, args) -> int:
    account = {"username": args.username, "agency": args.agency.strip(), "role": args.role,
               "password": hash_password(read_password()),
               "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if not account["agency"]:
        raise SystemExit("lapor-gateway: --agency must name the officer's agency")
    if not parts.store.officers.create(account):
        raise SystemExit(f"lapor-gateway: officer {args.username!r} exists already")
    _audit(parts, "officer_add", account, role=args.role)
    print(f"added {args.username} ({args.role}, {account['agency']})")
    return 0


def cmd_list(parts, args) -> int:
    for username in parts.store.officers.usernames():
        account = parts.store.officers.get(username)
        print(json.dumps({"username": username, "agency": account.get("agency", ""),
                          "role": account.get("role", ""), "disabled": account.get("disabled") == "1",
                          "totp": bool(account.get("totp_secret")),
                          "locked": parts.store.officers.locked_for(username) > 0,
                          "created_at": account.get("created_at", "")}, ensure_ascii=False))
    return 0


def cmd_disable(parts, args) -> int:
    account = _account(parts, args.username)
    parts.store.officers.update(args.username, {"disabled": "1"}, new_generation=True)
    _audit(parts, "officer_disable", account)
    print(f"disabled {args.username}")
    return 0


def cmd_reset_password(parts, args) -> int:
    account = _account(parts, args.username)
    parts.store.officers.update(args.username, {"password": hash_password(read_password()), "disabled": "0"},
                          new_generation=True)
    parts.store.officers.unlock(args.username)
    _audit(parts, "officer_reset_password", account)
    print(f"new password set for {args.username}; its sessions ended")
    return 0


def cmd_totp(parts, args) -> int:
    account = _account(parts, args.username)
    if args.state == "disable":
        parts.store.officers.update(args.username, {"totp_secret": "", "totp_last": "0"}, new_generation=True)
        _audit(parts, "officer_totp_disable", account)
        print(f"second factor off for {args.username}")
        return 0
    secret = pyotp.random_base32()
    parts.store.officers.update(args.username, {"totp_secret": secret, "totp_last": "0"}, new_generation=True)
    _audit(parts, "officer_totp_enable", account)
    print("Add this to the officer's authenticator app now; it is not shown again:")
    print(pyotp.TOTP(secret).provisioning_uri(name=args.username, issuer_name=ISSUER))
    return 0


def cmd_audit(parts, args) -> int:
    start = int(args.since.timestamp() * 1000) if args.since else 0
    rows = parts.store.audit.read(since_ms=start, limit=args.limit)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    print(f"{len(rows)} audit entr{'y' if len(rows) == 1 else 'ies'}", file=sys.stderr)
    return 0


def register(sub, context) -> None:
    """Add ``officers`` and ``audit`` to the gateway's CLI (``context.parts()`` wires them)."""
    def run(command):
        return lambda args: command(context.parts(), args)

    officers = sub.add_parser("officers", help="officer accounts").add_subparsers(dest="action", required=True)
    add = officers.add_parser("add", help="add an officer (password from the prompt or stdin)")
    add.add_argument("username", type=_username)
    add.add_argument("--agency", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=run(cmd_add))
    officers.add_parser("list").set_defaults(func=run(cmd_list))
    for name, command in (("disable", cmd_disable), ("reset-password", cmd_reset_password)):
        one = officers.add_parser(name)
        one.add_argument("username", type=_username)
        one.set_defaults(func=run(command))
    totp = officers.add_parser("totp", help="second factor (TOTP) of an account")
    totp.add_argument("state", choices=["enable", "disable"])
    totp.add_argument("username", type=_username)
    totp.set_defaults(func=run(cmd_totp))
    audit = sub.add_parser("audit", help="the audit stream of officers' actions")
    audit.add_argument("--since", type=since, default=None, metavar="ISO|DURATION")
    audit.add_argument("--limit", type=int, default=100000)
    audit.set_defaults(func=run(cmd_audit))

"""``lapor-gateway keys ...``: agency API keys (``gateway.agency_keys``).

    lapor-gateway keys create --agency NAME [--door ID]   prints the new key once
    lapor-gateway keys list                                id, agency, door, created, last used
    lapor-gateway keys revoke ID                           the key is refused from then on

The key is printed once, on stdout, and never again: only its SHA-256 is stored. ``list``
never shows a key. Registered by ``gateway.cli`` the way a channel's ``cli.py`` is.
"""
from __future__ import annotations

import sys

from gateway import agency_keys


def register(subparsers, context) -> None:
    keys = subparsers.add_parser("keys", help="agency API keys (JSON API, Open311)")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key; it is printed once")
    create.add_argument("--agency", required=True, help="the agency the key belongs to")
    create.add_argument("--door", default=None,
                        help="the door its complaints record (default api-<agency>)")
    actions.add_parser("list", help="every key, never the key itself")
    revoke = actions.add_parser("revoke", help="refuse a key from now on")
    revoke.add_argument("id")
    keys.set_defaults(func=lambda args: run(args, context))


def run(args, context) -> int:
    store = context.parts().store
    if args.action == "create":
        return _create(store, args.agency, args.door)
    if args.action == "list":
        return _list(store)
    if agency_keys.revoke(store, args.id):
        print(f"revoked {args.id}")
        return 0
    print(f"lapor-gateway: no key {args.id[:40]!r}", file=sys.stderr)
    return 1


def _create(store, agency: str, door: str | None) -> int:
    try:
        key, token = agency_keys.create(store, agency, door)
    except ValueError as exc:
        print(f"lapor-gateway: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(f"key {key.id} for {key.agency!r} on door {key.door}: keep it now, it is not "
          "shown again (Authorization: Bearer <key>; Open311: api_key=<key>)", file=sys.stderr)
    return 0


def _list(store) -> int:
    rows = agency_keys.listing(store)
    columns = ("id", "agency", "door", "created_at", "last_used", "revoked_at")
    widths = [max([len(name)] + [len(row[name] or "-") for row in rows]) for name in columns]
    print("  ".join(name.ljust(width) for name, width in zip(columns, widths)).rstrip())
    for row in rows:
        print("  ".join((row[name] or "-").ljust(width)
                        for name, width in zip(columns, widths)).rstrip())
    print(f"{len(rows)} key(s)", file=sys.stderr)
    return 0

"""``lapor-gateway smtp`` and ``lapor-gateway imap poll``: the e-mail doors' ways in.

    lapor-gateway smtp [--port N] [--host H]         the SMTP server of every e-mail door
                                                     (port: LAPOR_SMTP_PORT, else 2525)
    lapor-gateway imap poll --door ID [--once]       the IMAP poller of one door's mailbox

``lapor-gateway run`` starts ``smtp`` beside the workers when ``LAPOR_SMTP_PORT`` is set
(on 127.0.0.1, like the web side; the Procfile's ``smtp`` line listens on every address),
and ``imap poll`` for every e-mail door with an ``imap_url``.
Both need the intake (the store and the broker): they run on the wired parts the CLI lends
(``CommandContext``), asked for with ``writes_attachments``: a mail's files are stored in
``LAPOR_ATTACHMENTS_DIR``, so a folder that cannot take one stops the start, as for ``web``.
Exit status 2 on a configuration error (a door that is not an e-mail door, a missing
credential, that folder), named in one line; no credential is ever printed.
"""
from __future__ import annotations

import argparse
import sys

from channels.email.poller import ImapPoller, run_poller
from channels.email.server import email_adapters, serve
from channels.registry import Background, CommandContext
from config.settings import SettingsError, load_settings

DEFAULT_PORT = 2525


def register(subparsers, context: CommandContext) -> None:
    smtp = subparsers.add_parser("smtp", help="the e-mail doors' SMTP server")
    smtp.add_argument("--port", type=int, default=None,
                      help=f"port (default LAPOR_SMTP_PORT, else {DEFAULT_PORT})")
    smtp.add_argument("--host", default="127.0.0.1")
    smtp.set_defaults(func=lambda args: cmd_smtp(args, context))
    imap = subparsers.add_parser("imap", help="e-mail doors: the IMAP mailbox poller")
    actions = imap.add_subparsers(dest="imap_command", required=True)
    poll = actions.add_parser("poll", help="read a door's mailbox into the intake")
    poll.add_argument("--door", required=True)
    poll.add_argument("--once", action="store_true", help="take the unseen mail once and exit")
    poll.set_defaults(func=lambda args: cmd_imap_poll(args, context))


def cmd_smtp(args: argparse.Namespace, context: CommandContext) -> int:
    parts = context.parts(writes_attachments=True)     # a mail's files go to the attachments folder
    if not email_adapters(parts):
        print("lapor-gateway smtp: no door uses the email channel; idle", file=sys.stderr)
    port = args.port or parts.settings.smtp_port or DEFAULT_PORT
    if not 0 < port < 65536:
        raise SettingsError(f"LAPOR_SMTP_PORT: expected a port number, got {port}")
    serve(parts, args.host, port, context.stop_event())
    return 0


def cmd_imap_poll(args: argparse.Namespace, context: CommandContext) -> int:
    taken = run_poller(context.parts(writes_attachments=True), args.door, context.stop_event(), once=args.once)
    if args.once:
        print(f"{taken} mail(s) taken")
    return 0


def background(catalogue) -> list[Background]:
    """``lapor-gateway run`` starts the SMTP server when LAPOR_SMTP_PORT is set, and the
    IMAP poller of every e-mail door with an ``imap_url``."""
    doors = [door for door in catalogue.doors.values() if door.channel == "email"]
    jobs = [Background(f"imap-{door.id}", ["imap", "poll", "--door", door.id], [door.id],
                       "IMAP poller started (e-mail)") for door in doors if door.options.get("imap_url")]
    if load_settings().smtp_port:
        jobs.insert(0, Background("smtp", ["smtp"], [door.id for door in doors],
                                  "SMTP server started (e-mail)"))
    return jobs


def check_config(parts) -> list[str]:
    """``check-config``: a door with an ``imap_url`` needs what the poller reads with; a door
    that requires DMARC needs the ``authserv_id`` whose verdict it trusts."""
    errors = []
    for door_id, adapter in email_adapters(parts).items():
        if adapter.door.options.get("imap_url"):
            try:
                ImapPoller(adapter, parts.intake)
            except SettingsError as exc:
                errors.append(str(exc))
        if adapter.door.options.get("require_dmarc_pass") and not adapter.door.options.get("authserv_id"):
            errors.append(f"door {door_id}: require_dmarc_pass needs options.authserv_id (the MTA "
                          "whose Authentication-Results are trusted): otherwise every mail is refused")
    return errors

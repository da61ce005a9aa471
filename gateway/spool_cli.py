"""``lapor-gateway spool ...``: a node's disk spool (``forwarder.spool``), by hand.

    lapor-gateway spool show [--data-dir PATH]     records waiting, and corrupt ones set aside
    lapor-gateway spool replay [--data-dir PATH]   replay them into the store and the queue now

A web process replays its own spool by itself (a drainer thread, and again at its next
start), so these are for the day a node dies for good with complaints in its spool: they
were answered with tracking numbers and live only on that disk. Mount the disk on any
machine that reaches the store and the broker, and run ``spool replay --data-dir
<its LAPOR_DATA_DIR>`` there with the gateway's settings. The replay goes through the same
``Acceptance.replay`` as the drainer: a complaint already recorded (the node replayed part
of it before it died, or the store ran the intake just before the spool took it) is
recognized by its id and never becomes a second complaint. It may run while the node's own
processes run too: a spool file is drained by one drainer at a time (renamed, locked).
Exit 0 when the spool is empty, 1 when records are still waiting (the store or broker
refused: run it again), 2 when the folder does not exist. docs/reliability.md, "A node's
spool when the node dies".
"""
from __future__ import annotations

import sys
from pathlib import Path

from forwarder.spool import Spool


def register(subparsers, context) -> None:
    spool = subparsers.add_parser("spool", help="a node's disk spool: show it, replay it")
    actions = spool.add_subparsers(dest="action", required=True)
    for name, text in (("show", "records waiting, corrupt records set aside"),
                       ("replay", "replay the records into the store and the queue now")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--data-dir", type=Path, default=None,
                            help="the LAPOR_DATA_DIR whose spool to use (default: this one's)")
    spool.set_defaults(func=lambda args: run(args, context))


def run(args, context) -> int:
    parts = context.parts()
    data_dir = args.data_dir or parts.settings.data_dir
    if not data_dir.is_dir():
        print(f"lapor-gateway: no such folder {str(data_dir)!r}", file=sys.stderr)
        return 2
    spool = Spool(data_dir / "spool")
    if args.action == "replay":
        replayed, corrupt = spool.drain(parts.intake.replay_spooled)
        print(f"replayed {replayed} record(s) from {spool.folder}; {corrupt} corrupt set aside")
    waiting = spool.depth()
    aside = sorted(path.name for path in spool.folder.glob("corrupt-*")) if spool.folder.is_dir() else []
    print(f"{waiting} record(s) waiting in {spool.folder}"
          + (f"; corrupt records set aside in {', '.join(aside)}" if aside else ""))
    if waiting and args.action == "replay":
        print("lapor-gateway: records still waiting: the store or broker refused one, or another "
              "process is replaying this spool; run spool replay again", file=sys.stderr)
        return 1
    return 0

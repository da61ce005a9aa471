"""The ``lapor-gateway`` console script.

    lapor-gateway run [--port N] [--host H]   web + forwarder + notifier + media, embedded default
    lapor-gateway web [--port N] [--host H]   the web side only (gunicorn)
    lapor-gateway forward                     the forwarder worker
    lapor-gateway notify                      the notifier worker
    lapor-gateway media                       the media worker (fetches provider attachments)
    lapor-gateway reconcile [--older-than S]  re-publish accepted-but-undelivered complaints once
    lapor-gateway dead list                   show dead letters (left in place)
    lapor-gateway dead replay [--id ID ...]   re-drive dead letters (all, or the given ids)
    lapor-gateway spool show|replay [--data-dir PATH]   a node's disk spool (a dead node's too)
    lapor-gateway check-config                validate settings, doors and the store; print the doors
    lapor-gateway officers add|list|disable|reset-password|totp ...   officer accounts
    lapor-gateway audit [--since ISO|DURATION]  the audit stream of officers' actions
    lapor-gateway telegram set-webhook [--door ID] [--drop-pending-updates] | webhook-info [--door ID]
    lapor-gateway twitter poll [--door ID | --all] [--once]   the Twitter/X mentions poller
    lapor-gateway twitter set-webhook|webhook-info [--door ID]    register / show the X door's webhook
    lapor-gateway keys create --agency NAME [--door ID] | list | revoke ID   agency API keys
    lapor-gateway routing evaluate [FILE ...]   region and agency accuracy on labelled complaints

A bad setting stops any command with one line naming it (exit 2). SIGTERM or Ctrl-C stops
workers gracefully: the batch in flight finishes, nothing half-delivered is acknowledged.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading

from redis import RedisError

from channels.registry import CommandContext, command_modules
from config.datadir import keep_files_private, prepare_data_dir
from config.settings import SettingsError, load_settings
from forwarder import attachments
from gateway.processes import (banner, child_env, durability, durability_when_reachable, gunicorn_command,
                               restart_exited, stop_children, wait_ready)
from gateway.progress import progress


def _settings(writes_attachments: bool = False):
    """Validated settings with real URLs; an embedded Redis started here stops at exit.
    ``writes_attachments``: the attachments folder must take files, or one line, exit 2."""
    import atexit

    from gateway import embedded

    settings, server = embedded.resolve(load_settings())
    prepare_data_dir(settings.data_dir)
    if writes_attachments:
        attachments.prepare(settings)
    if server is not None:
        atexit.register(server.stop)
    return settings, server


def _parts(settings):
    from gateway.wiring import build_parts, setup_logging

    setup_logging(settings.log_level, settings.log_format)
    return build_parts(settings)


STOP = threading.Event()


def _catch_stop_signals() -> None:
    """SIGTERM/SIGINT set STOP. Installed first thing in ``main``, before the heavy imports
    and the connections, so a stop that comes while a worker is starting is graceful too."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: STOP.set())


def _stop_event() -> threading.Event:
    return STOP


def cmd_run(args) -> int:
    settings, server = _settings(writes_attachments=True)
    env = child_env(settings)
    # the web side first: its workers import the app while this process checks the store
    children = {"web": subprocess.Popen(_web_command(args, settings), env=env)}
    parts = None
    try:
        parts = _parts(settings)
        if durability(parts):
            return 2
        commands = _run_commands(args, settings, parts)
        stop = _stop_event()
        wait_ready(args.host, args.port, stop)      # "ready" means the web side answers
        children.update({name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items() if name != "web"})
        while not stop.wait(1.0):
            restart_exited(children, commands, env)
    finally:
        stop_children(children)
        if parts is not None:
            parts.publisher.close()
        if server is not None:
            server.stop()
    return 0


def _web_command(args, settings) -> list[str]:
    return gunicorn_command(args.host, args.port, args.workers, json_logs=settings.log_format == "json")


def _run_commands(args, settings, parts) -> dict[str, list[str]]:
    """What ``run`` supervises, by name; prints the banner."""
    commands = {"web": _web_command(args, settings)} | {
        name: [sys.executable, "-m", "gateway.cli", name] for name in ("forward", "notify", "media")}
    extra = [job for module in command_modules() if hasattr(module, "background")
             for job in module.background(parts.catalogue)]   # e.g. the X mentions poller
    for job in extra:
        commands[job.name] = [sys.executable, "-m", "gateway.cli", *job.argv]
    banner(parts, args.host, args.port, extra)
    return commands


def cmd_web(args) -> int:
    settings, _server = _settings(writes_attachments=True)
    if durability(_parts(settings)):
        return 2
    os.execve(sys.executable, _web_command(args, settings), child_env(settings))
    return 0


def cmd_forward(args) -> int:
    from forwarder.worker import run_forwarder

    settings, _server = _settings()
    parts = _parts(settings)
    if durability_when_reachable(parts, _stop_event()):
        return 2
    run_forwarder(parts, _stop_event())
    return 0


def cmd_notify(args) -> int:
    from forwarder.notifier import run_notifier

    settings, _server = _settings()
    run_notifier(_parts(settings), _stop_event())
    return 0


def cmd_media(args) -> int:
    from forwarder.media import run_media

    settings, _server = _settings(writes_attachments=True)
    run_media(_parts(settings), _stop_event())
    return 0


_SERVERS: list = []        # the embedded Redis of a channel command, kept until the exit


def _command_parts(writes_attachments: bool = False):
    """The wired parts for a channel's command (``CommandContext.parts``); one that stores
    attachments asks with ``writes_attachments``: the folder is checked as for web and media."""
    settings, server = _settings(writes_attachments)
    _SERVERS.append(server)
    return _parts(settings)


def cmd_reconcile(args) -> int:
    from forwarder.worker import reconcile_now

    settings, _server = _settings()
    with progress("reconcile") as step:     # on stderr; the result below on stdout
        count = reconcile_now(_parts(settings), args.older_than, step)
    print(f"re-published {count} complaint(s)")
    return 0


def _seconds(text: str) -> float:
    """A number of seconds, 0 or more (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text[:40]!r}")
    if not 0 <= value < 10 ** 9:
        raise argparse.ArgumentTypeError(f"expected 0 or more seconds, got {text[:40]!r}")
    return value


def cmd_dead(args) -> int:
    from forwarder import dead

    settings, _server = _settings()
    parts = _parts(settings)
    if args.action == "list":
        rows = dead.list_dead(parts)
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        print(f"{len(rows)} dead letter(s)", file=sys.stderr)
    else:
        with progress("dead replay") as step:
            count = dead.replay(parts, set(args.id) if args.id else None, progress=step)
        print(f"replayed {count} dead letter(s)")
    return 0


def cmd_check_config(args) -> int:
    from gateway import doorcheck, folders

    settings, _server = _settings()
    parts = _parts(settings)
    failures = 0
    for name, check in (("store", parts.store.ping), ("broker", parts.publisher.ping)):
        try:
            check()
            print(f"ok: {name} reachable")
        except Exception as exc:  # noqa: BLE001 - report any failure in one line
            print(f"error: {name} unreachable ({type(exc).__name__})", file=sys.stderr)
            failures += 1
    if not failures:
        failures += durability(parts)
    failures += doorcheck.report(parts)
    print(f"central: {settings.central_url or 'local outbox ' + str(settings.data_dir / 'central-outbox.jsonl')}")
    failures += folders.report(settings)      # the data dir private, attachments writable, the build
    return 2 if failures else 0


# The gateway's own commands. For one of these, ``main`` builds only their parser: the other
# commands' modules (officers, keys, the channels' ``cli.py``: flask, tweepy, ...) are not
# imported, so ``run`` starts its web side about 0.4 s sooner (issue 12: ready in under 2 s).
CORE_COMMANDS = ("run", "web", "forward", "notify", "media", "check-config", "reconcile", "dead")


def build_parser(core_only: bool = False) -> argparse.ArgumentParser:
    """Every command's parser (``core_only``: only CORE_COMMANDS')."""
    parser = argparse.ArgumentParser(prog="lapor-gateway", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("run", cmd_run), ("web", cmd_web)):
        command = sub.add_parser(name)
        command.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--workers", type=int, default=2)
        command.set_defaults(func=func)
    for name, func in (("forward", cmd_forward), ("notify", cmd_notify), ("media", cmd_media),
                       ("check-config", cmd_check_config)):
        sub.add_parser(name).set_defaults(func=func)
    reconcile = sub.add_parser("reconcile", help="re-publish undelivered complaints once")
    reconcile.add_argument("--older-than", type=_seconds, default=None, metavar="SECONDS",
                           help="undelivered at least this long (default "
                                "LAPOR_RECONCILE_AFTER_SECONDS); e.g. 0 after a crash")
    reconcile.set_defaults(func=cmd_reconcile)
    dead = sub.add_parser("dead")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("--id", action="append", help="replay only this complaint id (repeatable)")
    dead.set_defaults(func=cmd_dead)
    if core_only:
        return parser
    from gateway import keys_cli, routing_command, spool_cli
    from gateway.officers import cli as officers_cli

    routing_command.register(sub)
    context = CommandContext(parts=_command_parts, stop_event=_stop_event)
    officers_cli.register(sub, context)        # officers ..., audit
    for module in (*command_modules(), keys_cli, spool_cli):   # channels/<name>/cli.py; keys; spool
        module.register(sub, context)
    return parser


def main(argv: list[str] | None = None) -> int:
    _catch_stop_signals()
    keep_files_private()      # before anything writes to the data dir (umask 077)
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(core_only=bool(argv) and argv[0] in CORE_COMMANDS).parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"lapor-gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    except (RedisError, OSError) as exc:
        print(f"lapor-gateway: cannot reach the store or broker: {type(exc).__name__}: "
              f"{str(exc)[:200]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

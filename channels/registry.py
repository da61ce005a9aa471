"""Which adapter serves each channel name.

The built-in channels are named in ``ALIASES``, in the source (as kombu names its
transports), so a fresh clone knows its channels without an install; adding a channel is
one line here. An agency's own adapter, shipped as a package, registers under the
entry-point group ``lapor_gateway.channels`` (README "Writing a channel adapter"); a
built-in name cannot be taken over by an installed package.
"""
from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from importlib.util import find_spec
from types import ModuleType
from typing import Callable

from channels.base import ChannelAdapter
from config.doors import Door
from config.settings import SettingsError

ENTRY_POINT_GROUP = "lapor_gateway.channels"
#: channel name -> "module:Class" of its adapter.
ALIASES = {
    "kannel": "channels.kannel.adapter:KannelAdapter",
    "web": "channels.web.adapter:WebFormAdapter",
    "telegram": "channels.telegram.adapter:TelegramAdapter",
    "whatsapp": "channels.whatsapp.adapter:WhatsAppAdapter",
    "twilio": "channels.twilio.adapter:TwilioAdapter",
    "twitter": "channels.twitter.adapter:TwitterAdapter",
    "manual": "channels.manual.adapter:ManualAdapter",
    "email": "channels.email.adapter:EmailAdapter",
    "webhook": "channels.webhook.adapter:WebhookAdapter",
}


def available_channels() -> dict[str, EntryPoint]:
    """Every channel name and where its adapter is (not yet imported): the built-ins, then
    the installed third-party entry points under names not already taken."""
    found = {name: EntryPoint(name, target, ENTRY_POINT_GROUP) for name, target in ALIASES.items()}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry)
    return found


@dataclass(frozen=True)
class CommandContext:
    """What the gateway's CLI lends a channel's commands (``channels/<name>/cli.py``): the
    wired parts (settings, store, intake, adapters) on demand, and the stop event that
    SIGTERM/SIGINT set. A channel's CLI never imports the gateway. A command whose doors
    store attachments (the e-mail doors' SMTP server and IMAP poller: the intake saves a
    mail's files) calls ``parts(writes_attachments=True)``: a ``LAPOR_ATTACHMENTS_DIR`` that
    cannot take a file stops it at start with one line, as it stops ``web`` and ``media``."""
    parts: Callable[..., object]
    stop_event: Callable[[], threading.Event]


@dataclass(frozen=True)
class Background:
    """A long-running command ``lapor-gateway run`` starts beside the workers for some doors
    (the X mentions poller): ``argv`` after ``lapor-gateway``; ``note`` is the banner's word
    for each door in ``doors``."""
    name: str
    argv: list[str]
    doors: list[str]
    note: str


class AdminError(Exception):
    """A channel command's configuration problem, reported in one line (exit status 2)."""


def channel_door(settings, channel: str, door_id: str | None, credential: str) -> Door:
    """The ``channel`` door named ``door_id``, or the only one, with ``credential`` set
    (for a channel's own commands: webhook registration and the like)."""
    from config.doors import load_catalogue

    doors = [door for door in load_catalogue(settings).doors.values() if door.channel == channel]
    if door_id:
        doors = [door for door in doors if door.id == door_id]
        if not doors:
            raise AdminError(f"no {channel} door with id {door_id!r}")
    if not doors:
        raise AdminError(f"no door uses the {channel} channel")
    if len(doors) > 1:
        raise AdminError(f"several {channel} doors: choose one with --door "
                         f"({', '.join(door.id for door in doors)})")
    door = doors[0]
    if not door.credentials.get(credential):
        raise AdminError(f"door {door.id}: {credential} is not set (see docs/channels/{channel}.md)")
    return door


def run_admin(channel: str, action, show) -> int:
    """Run a channel command's ``action(settings)`` and ``show`` its answer: exit 2 on a
    configuration error, 1 when the provider refused, 0 otherwise (one line each)."""
    from channels.base import SendError
    from config.settings import load_settings

    try:
        info = action(load_settings())
    except (AdminError, SettingsError) as exc:
        print(f"lapor-gateway {channel}: configuration error: {exc}", file=sys.stderr)
        return 2
    except SendError as exc:
        print(f"lapor-gateway {channel}: {exc.reason}", file=sys.stderr)
        return 1
    show(info)
    return 0


def _package_of(entry: EntryPoint) -> str:
    """The package holding a channel's adapter (``channels.kannel`` for the built-in)."""
    return entry.value.partition(":")[0].rpartition(".")[0]


class NoTestSender(LookupError):
    """A registered channel whose package has no ``testing`` module with a ``SENDER``."""


def sender_of(channel: str):
    """The test sender of a registered channel: ``SENDER`` of ``<the adapter's
    package>.testing`` (a ``channels.testing.Sender``; for entry-point adapters too)."""
    package = _package_of(available_channels()[channel])
    name = package + ".testing"
    if not package or find_spec(name) is None:
        raise NoTestSender(f"channel {channel!r} has no test sender: add {name or 'testing'} "
                           f"with SENDER = a channels.testing.Sender (docs/architecture.md)")
    sender = getattr(importlib.import_module(name), "SENDER", None)
    if sender is None:
        raise NoTestSender(f"channel {channel!r}: {name} defines no SENDER")
    return sender


def command_modules() -> list[ModuleType]:
    """The ``cli`` module of every channel package that has one (``channels/<name>/cli.py``,
    or ``<package>.cli`` beside a third-party adapter). Each has ``register(subparsers,
    context)``; it may have ``background(catalogue) -> [Background]`` and
    ``check_config(parts) -> [error]``."""
    modules = []
    for entry in available_channels().values():
        package = _package_of(entry)
        if package and find_spec(package + ".cli") is not None:
            modules.append(importlib.import_module(package + ".cli"))
    return modules


def build_adapters(doors: dict[str, Door], settings) -> dict[str, ChannelAdapter]:
    """One adapter instance per door, importing only the channels that doors use; a door
    naming an unknown channel is a configuration error."""
    registry = available_channels()
    classes: dict[str, type[ChannelAdapter]] = {}
    built = {}
    for door in doors.values():
        if door.channel not in registry:
            raise SettingsError(f"door {door.id!r}: no channel adapter named {door.channel!r} "
                                f"(installed: {', '.join(sorted(registry))})")
        if door.channel not in classes:
            classes[door.channel] = registry[door.channel].load()
        built[door.id] = classes[door.channel](door, settings)
    return built

"""Which adapter serves each channel name.

The built-in channels are named in ``ALIASES``, in the source (as kombu names its
transports), so a fresh clone knows its channels without an install; adding a channel is
one line here. An agency's own adapter, shipped as a package, registers under the
entry-point group ``lapor_gateway.channels`` (README "Writing a channel adapter"); a
built-in name cannot be taken over by an installed package.
"""
from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

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
}


def available_channels() -> dict[str, EntryPoint]:
    """Every channel name and where its adapter is (not yet imported): the built-ins, then
    the installed third-party entry points under names not already taken."""
    found = {name: EntryPoint(name, target, ENTRY_POINT_GROUP) for name, target in ALIASES.items()}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry)
    return found


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

"""Which test signer speaks for each channel: one line per channel name of the registry
(``channels.registry.available_channels()``). A signer (``tests/security/senders.py``,
``tests/security/json_senders.py``) builds what the provider sends to the channel's test
door (``tests/security/testdata/doors.json``), properly signed or forged, and names the
headers that carry the door's credential. The security and fuzz tables (every door verifies, the adapter fuzz, the
unicode corpus, replays...) are derived from this mapping and the registry, so a new
channel is covered by its package, its cases file, a door in the security doors file and
its line here; ``test_every_channel_has_a_signer`` fails until it has one.
"""
from __future__ import annotations

from channels.registry import available_channels
from tests.security.json_senders import TelegramSender, TwitterSender, WhatsAppSender
from tests.security.senders import KannelSender, Sender, TwilioSender, WebApiSender

#: channel name -> its signer
SIGNERS: dict[str, Sender] = {
    "kannel": KannelSender(),
    "twilio": TwilioSender(),
    "whatsapp": WhatsAppSender(),
    "telegram": TelegramSender(),
    "twitter": TwitterSender(),
    "web": WebApiSender(),
}


def registry_signers() -> dict[str, Sender]:
    """The signer of every channel the registry knows (a channel without one is left out
    here and reported by ``test_every_channel_has_a_signer``)."""
    return {channel: SIGNERS[channel] for channel in sorted(available_channels())
            if channel in SIGNERS}


#: door id -> signer, for the doors whose provider signs its calls (the web door's JSON
#: entrances are public: no signature to forge, see docs/security.md)
SENDERS: dict[str, Sender] = {signer.door_id: signer for signer in registry_signers().values()
                              if signer.forgeries}
#: the door each channel's signer calls, one per channel
DOORS: list[str] = [signer.door_id for signer in registry_signers().values()]

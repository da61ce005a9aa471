"""The domain values the channels, the normalizer and the forwarder exchange.

An adapter turns a provider's request into ``InboundMessage`` values (with their
``Attachment`` and ``Location``); the pipeline answers each with an ``Outcome``; replies go
out as ``OutboundMessage`` and come back as ``DeliveryReport``. Plain frozen dataclasses: no
I/O, no imports from the layers above (``channels``, ``forwarder``, ``gateway``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """A file the citizen sent: the provider's reference now, the bytes maybe later."""
    kind: str                      # image, document, audio, video, other
    content_type: str
    size: int | None = None
    provider_ref: str = ""         # URL or media id at the provider
    filename: str = ""
    sha256: str = ""
    stored_ref: str = ""           # where the gateway keeps the bytes, if it has them


@dataclass(frozen=True)
class Location:
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    region_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class InboundMessage:
    """One message from a citizen, as the provider described it, before normalizing.

    ``sender`` is the raw handle (a phone number, chat id, ...); ``sender_kind`` says which
    (``phone``, ``bsuid`` (a WhatsApp business-scoped user id), ``telegram``, ``twitter``,
    ``email``, ``none``). Structured submissions (web form, JSON API) fill
    ``classification``, ``anonymous``, ``confidential``, ``title`` directly; text channels
    leave them None and the normalizer reads the keywords."""
    door_id: str
    channel: str
    provider_message_id: str
    sender: str
    sender_kind: str
    text: str
    received_at: datetime
    sent_at: datetime | None = None
    recipient: str = ""
    sender_name: str = ""
    contact: str = ""
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    classification: str | None = None
    anonymous: bool | None = None
    confidential: bool | None = None
    title: str = ""
    language: str = "id"
    is_edit: bool = False          # an edit of an earlier message: meta["edit_of"] names it
    public: bool = False           # written in public (a tweet): replies say only the number
    new_thread: bool = False       # the citizen asked for a new complaint (/baru, LAPOR ...)
    body_fingerprint: str = ""     # keyed hash of the body when provider_message_id is chosen
                                   # by the client: the same id with another body is refused
    meta: dict = field(default_factory=dict)   # provider facts worth keeping (smsc, coding)
    thread_refs: tuple[str, ...] = ()   # provider ids this message answers (e-mail In-Reply-To,
                                        # References): it joins the complaint one of them made
    names_tracking: str = ""            # a tracking number it names (an e-mail subject): joins it
    owner: str = ""                # the agency whose system relayed it (an agency API key's),
                                   # when it is not the door's own agency
    topic: str = ""                # a routing topic the sender chose (an Open311 service)


@dataclass(frozen=True)
class Outcome:
    """What the pipeline did with one InboundMessage, for ``respond``."""
    message: InboundMessage
    tracking_number: str
    reply_text: str                # acknowledgement in the citizen's language
    duplicate: bool = False
    followup: bool = False
    kind: str = "ack"              # ack (a complaint or follow-up recorded) or answer (CEK...)
    complaint_id: str = ""
    language: str = "id"           # the reply's language: id, or en (the citizen's)
    linked: bool = False           # "me too": others reported the same problem (gateway.metoo)
    reply_queued: bool = False     # the acknowledgement was queued with the complaint


@dataclass(frozen=True)
class OutboundMessage:
    """A reply to send on a channel.

    ``to`` is the normalized handle the message came from (E.164 for phones, the chat id
    for Telegram, the user id for Twitter); the adapter turns it back into what its API
    wants. ``kind``: ``ack`` (acknowledgement), ``answer`` (to CEK, STOP, help...),
    ``status`` (a status change from the central system). ``reply_to`` is the provider
    message id being answered, where the channel threads replies (tweets). ``private``
    False means the citizen wrote in public (a tweet mentioning us): the adapter must then
    say nothing but ``tracking_number`` and where to follow it publicly, and send anything
    more privately (a DM)."""
    door_id: str
    to: str
    text: str
    complaint_id: str = ""
    kind: str = "answer"
    private: bool = True
    reply_to: str = ""
    tracking_number: str = ""
    reply_id: str = ""             # the gateway's id of this reply (delivery reports name it)
    language: str = "id"           # the citizen's (id, en): what the adapter writes itself is in it
    status: dict | None = None     # a status change's public fields (status, agency, note,
                                   # due_date...), for doors that call back (webhook)


#: What became of a reply, in order; a report never moves a reply back (``failed`` ranks
#: below ``delivered``: a late failure report does not undo a delivery).
REPLY_STATES = ("accepted", "sent", "failed", "delivered", "read")


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's word on a reply the gateway sent: ``ref`` is the provider's id of that
    message (Twilio's SID, the wamid), or the gateway's own ``reply_id`` when
    ``by_reply_id`` (Kannel carries it in the DLR URL); ``state`` one of REPLY_STATES;
    ``code`` the provider's error code; ``opted_out`` when the code means the citizen
    asked the provider to stop (the gateway then records STOP)."""
    ref: str
    state: str
    code: str = ""
    opted_out: bool = False
    by_reply_id: bool = False

"""Telegram end to end: updates built with python-telegram-bot's objects, posted with the
webhook's secret token over real HTTP to the gateway served on loopback -> Redis ->
forwarder -> central receiver; the acknowledgement out through the notifier and
``Bot.send_message`` to a local stand-in for api.telegram.org; a follow-up photo joins the
complaint (an event, then the media worker's ``getFile`` download); an edit updates it; a
signed status callback from the central system, the notice to the citizen, and
``/status <number>`` answering the new status; ``/baru`` starting a second complaint."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from telegram import Chat, Message, MessageEntity, PhotoSize, Update, User

from channels.telegram.payload import chat_ref
from config import messages
from gateway.replytexts import colour_label
from normalizer import tracking
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.telegram_support import BOT_TOKEN, HEADER, SECRET_TOKEN, environ_for
from tests.e2e.conftest import central_bodies
from tests.helpers import wait_for

SITI = User(id=5811230001, first_name="Siti", is_bot=False, last_name="Aminah", language_code="id")
CHAT = Chat(id=SITI.id, type=Chat.PRIVATE, first_name="Siti", last_name="Aminah")
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 16 + b"\xff\xd9"
SENT = datetime(2026, 11, 24, 10, 42, 39, tzinfo=timezone.utc)


@pytest.fixture
def bot_api():
    with FakeBotApi(BOT_TOKEN) as running:
        running.add_file("AgACAgUAAxkBAAIC-e2e-1280", PHOTO, "photos/file_12.jpg")
        yield running


@pytest.fixture
def environ(environ, bot_api):
    environ.update(environ_for(bot_api.url))
    return environ


def message(message_id: int, minutes: int, text: str = "", **fields) -> Message:
    """Siti's message ``minutes`` after the first one, as python-telegram-bot models it."""
    entities = ()
    if text.startswith("/"):
        entities = (MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text.split()[0])),)
    return Message(message_id=message_id, date=SENT + timedelta(minutes=minutes), chat=CHAT,
                   from_user=SITI, text=text or None, entities=entities, **fields)


def deliver(gateway: str, update_id: int, secret: str = SECRET_TOKEN, **update) -> requests.Response:
    """POST one update the way Telegram's webhook does (JSON, the secret token header)."""
    body = json.dumps(Update(update_id=update_id, **update).to_dict(), ensure_ascii=False)
    return requests.post(f"{gateway}/in/telegram", data=body.encode(), timeout=10,
                         headers={"Content-Type": "application/json", HEADER: secret})


def nth_reply(bot_api: FakeBotApi, index: int, what: str) -> dict:
    return wait_for(lambda: (lambda sent: sent[index] if len(sent) > index else None)(bot_api.sent()),
                    timeout=15, message=what)


def exactly(count: int, produce):
    return lambda: (lambda found: found if len(found) == count else None)(produce())


def test_telegram_complaint_photo_edit_status_and_new(gateway, central, bot_api, forwarder, notifier,
                                                      media_worker, status_callback, settings):
    # 1. the complaint: to central, the acknowledgement back in the chat, quoting the message
    text = "Jalan rusak parah di Desa Sukamaju, mohon segera diperbaiki"
    assert deliver(gateway, 815300001, message=message(201, 0, text)).status_code == 200
    [complaint] = wait_for(lambda: central_bodies(central, "/"), message="complaint at central")
    assert (complaint["door"], complaint["channel"], complaint["body"]) == ("telegram", "telegram", text)
    assert complaint["reporter"]["contact"] == "5811230001" and complaint["reporter"]["name"] == "Siti Aminah"
    ref = chat_ref(settings.secret_key, SITI.id)       # the chat, pseudonymous in message ids
    assert complaint["provider_message_ids"] == [f"{ref}:201"]
    assert complaint["sent_at"] == SENT.isoformat() and complaint["routing"]["topic"] == "infrastruktur"
    number = complaint["tracking_number"]
    ack = nth_reply(bot_api, 0, "acknowledgement in the chat")
    assert ack["chat_id"] == "5811230001" and ack["text"] == messages.text(
        "ack", tracking=tracking.display(number), compact=number, where_id="", where_en="",
        due=messages.format_date(complaint["service_level"]["due_date"]))
    assert json.loads(ack["reply_parameters"])["message_id"] == 201       # quotes Siti's message
    fates = wait_for(lambda: [e for e in central_bodies(central, "/events", reply_status=True)
                              if e["type"] == "reply_status"], message="the ack's reply_status event")
    assert [(e["complaint_id"], e["reply"]["kind"], e["reply"]["state"]) for e in fates] == \
        [(complaint["id"], "ack", "accepted")]              # the Bot API took it

    # 2. a photo two minutes later joins the complaint; the media worker downloads it
    sizes = (PhotoSize("AgACAgUAAxkBAAIC-e2e-90", "AQAD-90", 90, 67, 1432),
             PhotoSize("AgACAgUAAxkBAAIC-e2e-1280", "AQAD-1280", 1280, 960, len(PHOTO)))
    assert deliver(gateway, 815300002, message=message(202, 2, photo=sizes, caption="ini fotonya")).status_code == 200
    events = wait_for(exactly(2, lambda: central_bodies(central, "/events")), timeout=15,
                      message="follow-up and media events at central")
    by_type = {event["type"]: event for event in events}
    followup, media = by_type["followup"], by_type["media"]
    assert followup["complaint_id"] == media["complaint_id"] == complaint["id"]
    assert followup["body"] == "ini fotonya" and followup["provider_message_id"] == f"{ref}:202"
    assert followup["attachments"][0]["provider_ref"] == "AgACAgUAAxkBAAIC-e2e-1280"
    [stored] = media["attachments"]
    assert stored["sha256"] == hashlib.sha256(PHOTO).hexdigest() and stored["size"] == len(PHOTO)
    assert stored["content_type"] == "image/jpeg"
    assert (settings.data_dir / "attachments" / stored["sha256"][:2] / stored["sha256"]).read_bytes() == PHOTO
    assert bot_api.downloads == ["photos/file_12.jpg"]
    assert nth_reply(bot_api, 1, "follow-up acknowledgement")["text"] == messages.text(
        "ack_followup", tracking=tracking.display(number))

    # 3. Siti edits her first message: an edit event of the same complaint, no new one
    edited = message(201, 0, text + " (sudah 3 bulan)", edit_date=SENT + timedelta(minutes=5))
    assert deliver(gateway, 815300003, edited_message=edited).status_code == 200
    [edit] = wait_for(lambda: [e for e in central_bodies(central, "/events") if e["type"] == "edit"],
                      timeout=15, message="edit event at central")
    assert (edit["complaint_id"], edit["edit_of"]) == (complaint["id"], f"{ref}:201")
    assert edit["body"] == text + " (sudah 3 bulan)"
    assert nth_reply(bot_api, 2, "edit acknowledgement")["text"] == messages.text(
        "ack_edit", tracking=tracking.display(number))

    # 4. central says "proses": Siti is told in the chat, and /status answers the same
    answer = status_callback(number, "proses", "Dinas PU PERA", due_date="2027-02-19")
    assert answer.status_code == 200 and answer.json() == {"ok": True, "notified": True}
    notice = nth_reply(bot_api, 3, "status notice in the chat")
    assert notice["chat_id"] == "5811230001"
    for part in (tracking.display(number), messages.status_label("proses"), "Dinas PU PERA", "19-02-2027"):
        assert part in notice["text"]
    asked = message(203, 40, f"/status {tracking.display(number)}")
    assert deliver(gateway, 815300004, message=asked).status_code == 200
    status = nth_reply(bot_api, 4, "/status answer in the chat")
    assert status["text"] == messages.text(
        "status", tracking=tracking.display(number), status=messages.status_label("proses"),
        agency="Dinas PU PERA", due="19-02-2027",
        colour=colour_label({"classification": "pengaduan", "due_date": "2027-02-19"}, "id"))

    # 5. /baru within the follow-up window: a second complaint, on purpose
    assert deliver(gateway, 815300005, message=message(204, 41, "/baru Lampu jalan di gang 5 mati")).status_code == 200
    complaints = wait_for(exactly(2, lambda: central_bodies(central, "/")), timeout=15,
                          message="second complaint at central")
    second = complaints[1]
    assert second["body"] == "Lampu jalan di gang 5 mati" and second["id"] != complaint["id"]
    assert tracking.display(second["tracking_number"]) in nth_reply(bot_api, 5, "second ack")["text"]
    assert len(central_bodies(central, "/events")) == 3


def test_forged_and_redelivered_updates_over_http(gateway, central, bot_api, forwarder, notifier, parts):
    update = {"message": message(301, 0, "Sampah menumpuk di pasar Sukamaju")}
    forged = deliver(gateway, 815300010, secret="not-the-door-secret", **update)
    assert forged.status_code == 403 and forged.json() == {"error": "wrong secret token"}
    missing = requests.post(f"{gateway}/in/telegram", timeout=10, headers={"Content-Type": "application/json"},
                            data=json.dumps(Update(815300010, **update).to_dict()))
    assert missing.status_code == 401
    for _ in range(2):                                   # Telegram retries until it gets a 2xx
        assert deliver(gateway, 815300010, **update).status_code == 200
    wait_for(lambda: central.requests, message="the genuine update at central")
    replies = wait_for(exactly(2, bot_api.sent), timeout=15, message="ack and duplicate ack")
    [complaint] = central_bodies(central, "/")
    number = complaint["tracking_number"]
    assert sorted(reply["text"] for reply in replies) == sorted([
        messages.text("ack", tracking=tracking.display(number), compact=number, where_id="",
                      where_en="", due=messages.format_date(complaint["service_level"]["due_date"])),
        messages.text("ack_duplicate", tracking=tracking.display(number))])
    ledger = [parts.store.ledger(key.decode()[len("lapor:c:"):]) for key in parts.store.redis.keys("lapor:c:*")]
    assert len([entry for entry in ledger if entry.get("kind") != "event"]) == 1   # acks' fates: events

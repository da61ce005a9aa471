"""The Telegram door, inbound, beyond its recorded cases (testdata/telegram.json, every
message type, command, ignored update and refusal, run by tests/channels/test_cases.py):
secret tokens, duplicates, edits, oversized bodies, anonymity and the privacy of logs.
Fuzzing is in test_telegram_fuzz.py; replies and media in test_telegram_bot_api.py; the CLI
in test_telegram_admin.py."""
from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
from pathlib import Path

import pytest
from telegram import Update

from channels.base import Rejected, WebRequest
from channels.telegram.adapter import TelegramAdapter
from channels.telegram.payload import attachments_of, translate_command
from config import messages
from forwarder.topology import COMPLAINTS, MEDIA, REPLIES
from normalizer import tracking
from normalizer.identity import keyed_ref
from tests.channels.telegram_support import (BOT_TOKEN, CASES, FORGED_TOKEN, HEADER,
                                             PATH, REF_KEY, SECRET_TOKEN,
                                             adapter_for, environ_for, post_case, queued, raw_body,
                                             web_request)


@pytest.fixture
def environ(environ):
    environ.update(environ_for())
    return environ


def redis_of(parts):
    return parts.store.redis


def ledger_keys(parts) -> list[bytes]:
    return list(redis_of(parts).scan_iter("lapor:c:*"))


def attachment_dicts(message) -> list[dict]:
    return [{"kind": a.kind, "content_type": a.content_type, "size": a.size,
             "provider_ref": a.provider_ref, "filename": a.filename} for a in message.attachments]


# ----- the adapter alone -------------------------------------------------------------------------
def test_table_updates_are_what_python_telegram_bot_reads_and_writes():
    """Every recorded update survives python-telegram-bot's own round trip unchanged: the
    table holds Bot API shapes, not shapes this adapter happens to accept."""
    taken = [name for name, case in CASES.items() if case["expect"]["status"] == 200]
    for name in taken:
        body = CASES[name]["request"]["body"]
        written = Update.de_json(json.loads(json.dumps(body)), None).to_dict()
        assert _same_but_false_defaults(written, body), name
    assert len(taken) >= 30


def _same_but_false_defaults(written, recorded) -> bool:
    """``written`` equals ``recorded`` except for flags python-telegram-bot adds as False
    and empty arrays it leaves out."""
    if isinstance(recorded, dict):
        kept = {key: value for key, value in recorded.items() if value != [] or key in written}
        return (isinstance(written, dict) and set(kept) <= set(written)
                and all(written[key] is False for key in set(written) - set(kept))
                and all(_same_but_false_defaults(written[key], value) for key, value in kept.items()))
    if isinstance(recorded, list):
        return (isinstance(written, list) and len(written) == len(recorded)
                and all(map(_same_but_false_defaults, written, recorded)))
    return written == recorded and isinstance(written, type(recorded))   # enums are str


@pytest.mark.parametrize("missing", ["bot_token", "secret_token"])
def test_door_without_credentials_answers_503(missing):
    adapter = adapter_for(**{missing: ""})
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(web_request(CASES["text"]))
    assert (refused.value.status, refused.value.reason) == (503, "door not configured")


def test_secret_token_must_match_exactly():
    adapter = adapter_for()
    for given_token in (SECRET_TOKEN[:-1], SECRET_TOKEN + "x", SECRET_TOKEN.upper(), " " + SECRET_TOKEN,
                        "tidak-ascii-\u00e9"):
        request = web_request(CASES["text"])
        request.headers[HEADER.lower()] = given_token
        with pytest.raises(Rejected) as refused:
            adapter.authenticate(request)
        assert refused.value.status == 403


def test_largest_photo_whatever_the_order():
    body = CASES["photo_caption"]["request"]["body"]
    sizes = list(body["message"]["photo"])
    for seed in range(5):
        random.Random(seed).shuffle(sizes)
        update = Update.de_json({**body, "message": {**body["message"], "photo": sizes}}, None)
        [photo] = attachments_of(update.message)
        assert (photo.provider_ref, photo.size) == ("AgACAgUAAxkBAAIBZWdDq1-y1280", 128544)


@pytest.mark.parametrize("bad", [[], "48213", -1, True, {"n": 1}, 1.5])
def test_a_size_or_dimension_of_the_wrong_type_is_no_size(bad):
    """python-telegram-bot's de_json keeps the JSON's types: a size the schema refuses (a
    list, a text, a negative number) is carried as no size, and never breaks the choice of
    the largest photo (found by the adapter fuzz: ``file_size: []``)."""
    body = CASES["photo_caption"]["request"]["body"]
    photos = [{**size, "file_size": bad, "width": bad} for size in body["message"]["photo"]]
    update = Update.de_json({**body, "message": {**body["message"], "photo": photos}}, None)
    [photo] = attachments_of(update.message)
    assert photo.size is None
    document = {"file_id": "BQACAgUAAxkBAAIBaGdDq2", "file_unique_id": "u1", "file_size": bad,
                "mime_type": "application/pdf", "file_name": "surat.pdf"}
    update = Update.de_json({**body, "message": {**body["message"], "photo": None,
                                                 "document": document}}, None)
    [attached] = attachments_of(update.message)
    assert attached.size is None and attached.provider_ref == "BQACAgUAAxkBAAIBaGdDq2"


@pytest.mark.parametrize("text,want", [
    ("/start", ("BANTUAN", False)), ("/help", ("BANTUAN", False)), ("/bantuan", ("BANTUAN", False)),
    ("/HELP@LaporTestBot", ("BANTUAN", False)), ("/status 2741-0935-882", ("CEK 27410935882", False)),
    ("/cek 2741.0935.882", ("CEK 27410935882", False)), ("/status nomor saya?", ("CEK", False)),
    ("/baru", ("", True)), ("/baru  ASPIRASI tambah lampu ", ("ASPIRASI tambah lampu", True)),
    ("/berhenti", ("STOP", False)), ("/mulai", ("MULAI", False)),
    ("/lapor ANONIM guru minta uang", ("LAPOR ANONIM guru minta uang", False)),
    ("/aspirasi taman kota", ("ASPIRASI taman kota", False)), ("/xyz", ("BANTUAN", False)),
    ("Tolong /status 123", ("Tolong /status 123", False)), ("/ bukan perintah", ("/ bukan perintah", False)),
    ("/statusku", ("BANTUAN", False)), ("LAPOR jalan rusak", ("LAPOR jalan rusak", False)),
])
def test_commands_become_grammar_words(text, want):
    assert translate_command(text) == want


def test_oversized_update_is_413_before_parsing():
    body = b'{"update_id": 1, "message": {"text": "' + b"x" * (1024 * 1024) + b'"}}'
    with pytest.raises(Rejected) as refused:
        adapter_for().parse(web_request(CASES["text"], body))
    assert (refused.value.status, refused.value.reason) == (413, "update too large")


# ----- through the pipeline ----------------------------------------------------------------------
def test_anonymous_complaint_does_not_reveal_the_telegram_account(client, parts):
    """ANONIM: neither the name nor the chat (= user) id reaches the complaint, not even
    inside the provider message id or the meta."""
    post_case(client, CASES["text_keywords_anonim"])
    [complaint] = queued(redis_of(parts), COMPLAINTS)
    assert complaint["privacy"]["anonymous"] is True
    dumped = json.dumps(complaint)
    for identity in ("6022340002", "Budi", "budi_s"):
        assert identity not in dumped
    raw = CASES["text_keywords_anonim"]["expect"]["message"]["provider_message_id"]
    assert complaint["provider_message_ids"] == [keyed_ref(parts.settings.secret_key, raw)]
    assert all(str(value).startswith("k-") for value in complaint["meta"].values())


def test_same_update_twice_makes_one_complaint(client, parts):
    """Telegram redelivers an update it got no 2xx for: same chat and message id."""
    first = post_case(client, CASES["photo_caption"])
    again = post_case(client, CASES["photo_caption"])
    assert first.status_code == again.status_code == 200
    [complaint] = queued(redis_of(parts), COMPLAINTS)
    assert len(ledger_keys(parts)) == 1 and redis_of(parts).llen(COMPLAINTS) == 1
    ack, duplicate = queued(redis_of(parts), REPLIES)
    number = tracking.display(complaint["tracking_number"])
    assert number in ack["text"]
    assert duplicate["text"] == messages.text("ack_duplicate", tracking=number)
    assert len(queued(redis_of(parts), MEDIA)) == 1          # the photo is fetched once
    assert parts.store.stats()[("duplicate", "telegram")] == 1


def test_edit_updates_the_complaint_instead_of_making_another(client, parts):
    post_case(client, CASES["text"])
    post_case(client, CASES["edited_text"])
    post_case(client, CASES["edited_text"])                 # the edit redelivered
    complaint, event = queued(redis_of(parts), COMPLAINTS)
    assert event["type"] == "edit" and event["complaint_id"] == complaint["id"]
    assert event["edit_of"] == CASES["edited_text"]["expect"]["message"]["meta"]["edit_of"]
    assert event["body"] == CASES["edited_text"]["expect"]["message"]["text"]
    texts = [reply["text"] for reply in queued(redis_of(parts), REPLIES)]
    number = tracking.display(complaint["tracking_number"])
    assert texts[1] == messages.text("ack_edit", tracking=number)
    assert len(texts) == 3 and number in texts[2]


def test_door_without_credentials_through_the_app(client, parts):
    response = post_case(client, CASES["text"], path="/in/telegram-jatim")
    assert response.status_code == 503
    assert "door not configured" in response.get_data(as_text=True)
    assert queued(redis_of(parts), COMPLAINTS) == []


def test_oversized_bodies_through_the_app(client, parts):
    headers = {HEADER: SECRET_TOKEN, "Content-Type": "application/json"}
    over_adapter = b'{"update_id": 1, "message": {"text": "' + b"x" * (1024 * 1024) + b'"}}'
    assert client.post(PATH, data=over_adapter, headers=headers).status_code == 413
    over_gateway = b" " * (parts.settings.max_body_bytes + 1)
    assert client.post(PATH, data=over_gateway, headers=headers).status_code == 413
    assert queued(redis_of(parts), COMPLAINTS) == []


def test_logs_never_show_chat_id_or_name(client, parts, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("text", "photo_caption", "edited_text", "command_status", "forged_secret", "group_message"):
        post_case(client, CASES[name])
    logged = caplog.text
    assert "accepted door=telegram" in logged
    for secret in ("5811230001", "Siti", "Aminah", SECRET_TOKEN, FORGED_TOKEN, BOT_TOKEN):
        assert secret not in logged


def test_adapter_built_from_the_doors_file(parts, environ):
    assert environ["LAPOR_SECRET_KEY"] == REF_KEY          # the table's message ids are keyed so
    adapter = parts.adapters["telegram"]
    assert isinstance(adapter, TelegramAdapter) and not adapter.replies_inline
    assert (adapter.token, adapter.secret) == (BOT_TOKEN, SECRET_TOKEN)
    request = WebRequest("POST", "https://x" + PATH, PATH, {HEADER.lower(): SECRET_TOKEN}, b"",
                         raw_body(CASES["text"]), "application/json")
    adapter.verify(request)
    assert adapter.parse(request)[0].provider_message_id == CASES["text"]["expect"]["message"]["provider_message_id"]



def test_python_telegram_bot_is_loaded_by_the_first_update_not_by_the_adapter():
    """A web worker builds every door's adapter at start; python-telegram-bot and httpx
    (about 0.2 s) wait for the door's first update (``channels.telegram.bot``)."""
    probe = ("import sys; from tests.channels.telegram_support import CASES, adapter_for, web_request; "
             "adapter = adapter_for(); before = 'telegram' in sys.modules or 'httpx' in sys.modules; "
             "request = web_request(CASES['text']); adapter.verify(request); "
             "[message] = adapter.parse(request); print(before, 'telegram' in sys.modules, message.text)")
    root = Path(__file__).resolve().parents[2]
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            cwd=str(root))
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    before, after, text = loaded.stdout.strip().split(" ", 2)
    assert (before, after) == ("False", "True") and text == CASES["text"]["expect"]["message"]["text"]

"""The Telegram door, outbound: replies (``Bot.send_message``) and media downloads
(``Bot.get_file`` + ``File.download_as_bytearray``) against a local stand-in for the Bot
API (tests/channels/telegram_fake.py) that python-telegram-bot is pointed at through the
door option ``api_base_url``."""
from __future__ import annotations

import json
import logging
import threading

import pytest

from channels.base import SendError
from normalizer.values import Attachment, OutboundMessage
from channels.telegram.adapter import MAX_TEXT
from channels.telegram.payload import chat_ref
from tests.channels.telegram_fake import FakeBotApi
from tests.channels.telegram_support import BOT_TOKEN, REF_KEY, adapter_for, environ_for
from tests.helpers import free_port

CHAT = "5811230001"
REF = chat_ref(REF_KEY, CHAT)                  # how the chat appears in provider message ids
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40


@pytest.fixture
def bot_api():
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


@pytest.fixture
def environ(environ, bot_api):
    environ.update(environ_for(bot_api.url))
    return environ


@pytest.fixture
def adapter(bot_api):
    built = adapter_for(bot_api.url)
    yield built
    built.bots().close()


# ----- replies -----------------------------------------------------------------------------------
def test_send_text_threaded_under_the_citizens_message(adapter, bot_api, caplog):
    caplog.set_level(logging.DEBUG)
    text = "LAPOR! Laporan Anda diterima. No. lacak: 2741-0935-882."
    adapter.send(OutboundMessage("telegram", CHAT, text, kind="ack", reply_to=f"{REF}:103",
                                 tracking_number="27410935882"))
    [sent] = bot_api.sent()
    assert sent["chat_id"] == CHAT and sent["text"] == text
    assert json.loads(sent["reply_parameters"]) == {"message_id": 103, "allow_sending_without_reply": True}
    assert json.loads(sent["link_preview_options"]) == {"is_disabled": True}
    assert "parse_mode" not in sent                          # plain text: nothing is markup
    assert "sent door=telegram kind=ack to=*** message_id" in caplog.text
    assert CHAT not in caplog.text and BOT_TOKEN not in caplog.text


def test_token_is_redacted_even_when_http_logs_are_on(adapter, bot_api, caplog):
    """An operator who turns httpx's request log on still never sees the bot token (it is
    in every Bot API URL, file downloads included)."""
    chatty = [logging.getLogger(name) for name in ("httpx", "urllib3.connectionpool")]
    previous = [logger.level for logger in chatty]
    for logger in chatty:
        logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        bot_api.add_file("F9", JPEG, "photos/file_9.jpg")
        adapter.send(OutboundMessage("telegram", CHAT, "LAPOR! ok"))
        adapter.fetch_media(Attachment("image", "image/jpeg", None, "F9"))
    finally:
        for logger, level in zip(chatty, previous):
            logger.setLevel(level)
    requests_logged = [r.getMessage() for r in caplog.records
                       if r.name in ("httpx", "urllib3.connectionpool")]
    assert any("/bot***/sendMessage" in line for line in requests_logged)
    assert any("/file/bot***/photos/file_9.jpg" in line for line in requests_logged)
    assert BOT_TOKEN not in caplog.text and BOT_TOKEN.split(":")[1] not in caplog.text


@pytest.mark.parametrize("reply_to", ["", f"{CHAT}:103", chat_ref(REF_KEY, 999) + ":103", "garbage",
                                      f"{REF}:abc", f"{REF}:\u00b2"])
def test_send_without_a_message_of_this_chat_to_thread_under(adapter, bot_api, reply_to):
    adapter.send(OutboundMessage("telegram", CHAT, "LAPOR! status", kind="status", reply_to=reply_to))
    [sent] = bot_api.sent()
    assert "reply_parameters" not in sent and sent["chat_id"] == CHAT


def test_reply_to_an_edit_threads_under_the_original(adapter, bot_api):
    adapter.send(OutboundMessage("telegram", CHAT, "LAPOR! ok", reply_to=f"{REF}:101:edit:1795517100"))
    assert json.loads(bot_api.sent()[0]["reply_parameters"])["message_id"] == 101


def test_long_text_is_cut_to_the_bot_api_limit(adapter, bot_api):
    adapter.send(OutboundMessage("telegram", CHAT, "a" * (MAX_TEXT + 50)))
    text = bot_api.sent()[0]["text"]
    assert len(text) == MAX_TEXT and text.endswith("…")


@pytest.mark.parametrize("status,description,parameters,permanent,retry_after", [
    (500, "Internal Server Error", None, False, None),
    (502, "Bad Gateway", None, False, None),
    (429, "Too Many Requests: retry after 7", {"retry_after": 7}, False, 7.0),
    (403, "Forbidden: bot was blocked by the user", None, True, None),
    (400, "Bad Request: chat not found", None, True, None),
    (401, "Unauthorized", None, True, None),
    (413, "Request Entity Too Large", None, True, None),
])
def test_send_failures(adapter, bot_api, status, description, parameters, permanent, retry_after):
    bot_api.fail("sendMessage", status, description, parameters)
    with pytest.raises(SendError) as failed:
        adapter.send(OutboundMessage("telegram", CHAT, "x"))
    assert (failed.value.permanent, failed.value.retry_after) == (permanent, retry_after)
    assert failed.value.reason.startswith("telegram sendMessage failed")
    assert BOT_TOKEN not in failed.value.reason and CHAT not in failed.value.reason
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


@pytest.mark.parametrize("description,opted_out", [
    ("Forbidden: bot was blocked by the user", True),        # the citizen's STOP
    ("Forbidden: user is deactivated", False),               # unreachable, not a choice
    ("Forbidden: bot can't initiate conversation with a user", False),
])
def test_blocked_bot_is_an_opt_out(adapter, bot_api, description, opted_out):
    bot_api.fail("sendMessage", 403, description)
    with pytest.raises(SendError) as failed:
        adapter.send(OutboundMessage("telegram", CHAT, "x"))
    assert failed.value.permanent and failed.value.opted_out is opted_out
    assert failed.value.code == ("403" if opted_out else "")


def test_send_returns_the_message_id(adapter, bot_api):
    assert adapter.send(OutboundMessage("telegram", CHAT, "x")).isdigit()


def test_send_retried_after_a_failure_goes_through(adapter, bot_api):
    bot_api.fail("sendMessage", 500, "Internal Server Error")
    with pytest.raises(SendError):
        adapter.send(OutboundMessage("telegram", CHAT, "pertama"))
    adapter.send(OutboundMessage("telegram", CHAT, "kedua"))
    assert [call["text"] for call in bot_api.sent()] == ["pertama", "kedua"]


def test_send_unreachable_is_retryable_and_leaks_nothing():
    unreachable = adapter_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SendError) as failed:
        unreachable.send(OutboundMessage("telegram", CHAT, "x"))
    assert not failed.value.permanent
    assert BOT_TOKEN not in failed.value.reason and CHAT not in failed.value.reason
    unreachable.bots().close()


@pytest.mark.parametrize("to", ["", "+6281234567890", "@siti", "12ab"])
def test_send_to_something_not_a_chat_id_is_permanent(adapter, bot_api, to):
    with pytest.raises(SendError) as failed:
        adapter.send(OutboundMessage("telegram", to, "x"))
    assert failed.value.permanent and bot_api.calls == []


def test_send_without_bot_token_is_permanent():
    with pytest.raises(SendError) as failed:
        adapter_for(bot_token="").send(OutboundMessage("telegram", CHAT, "x"))
    assert failed.value.permanent and "bot_token" in failed.value.reason


def test_send_from_worker_threads(adapter, bot_api):
    """The notifier sends from several threads at once: each thread runs its own event loop
    and Bot, reused from one send to the next."""
    errors, per_thread = [], 6

    def work(worker: int):
        try:
            for index in range(per_thread):
                adapter.send(OutboundMessage("telegram", CHAT, f"w{worker}-{index}"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(call["text"] for call in bot_api.sent()) == sorted(
        f"w{w}-{i}" for w in range(4) for i in range(per_thread))
    assert len(adapter.bots()._opened) == 4


# ----- media -------------------------------------------------------------------------------------
def test_fetch_media_downloads_the_photo(adapter, bot_api):
    bot_api.add_file("AgACAgUAAxkBAAIBZWdDq1-y1280", JPEG, "photos/file_7.jpg")
    data, content_type = adapter.fetch_media(
        Attachment("image", "image/jpeg", len(JPEG), "AgACAgUAAxkBAAIBZWdDq1-y1280"))
    assert (data, content_type) == (JPEG, "image/jpeg")
    assert bot_api.method_calls("getFile") == [{"file_id": "AgACAgUAAxkBAAIBZWdDq1-y1280"}]
    assert bot_api.downloads == ["photos/file_7.jpg"]


def test_fetch_media_keeps_the_documents_type(adapter, bot_api):
    pdf = b"%PDF-1.7\n" + b"0" * 2000
    bot_api.add_file("BQACAgUAAxkBAAIBaGdDq2pdf", pdf, "documents/file_3.pdf")
    assert adapter.fetch_media(Attachment("document", "application/pdf", len(pdf),
                                          "BQACAgUAAxkBAAIBaGdDq2pdf", "bukti-pungli.pdf")) == (pdf, "application/pdf")


@pytest.mark.parametrize("method,status,description,permanent", [
    ("getFile", 400, "Bad Request: invalid file_id", True),
    ("getFile", 400, "Bad Request: file is too big", True),
    ("getFile", 500, "Internal Server Error", False),
    ("getFile", 429, "Too Many Requests: retry after 3", False),
])
def test_fetch_media_failures(adapter, bot_api, method, status, description, permanent):
    bot_api.add_file("F1", JPEG, "photos/file_1.jpg")
    bot_api.fail(method, status, description, {"retry_after": 3} if status == 429 else None)
    with pytest.raises(SendError) as failed:
        adapter.fetch_media(Attachment("image", "image/jpeg", None, "F1"))
    assert failed.value.permanent is permanent
    assert BOT_TOKEN not in failed.value.reason


def test_fetch_media_of_an_unknown_file_is_permanent(adapter, bot_api):
    with pytest.raises(SendError) as failed:
        adapter.fetch_media(Attachment("image", "image/jpeg", None, "AgAC-no-such-file"))
    assert failed.value.permanent and bot_api.downloads == []


def test_fetch_media_without_file_id_is_permanent(adapter, bot_api):
    with pytest.raises(SendError) as failed:
        adapter.fetch_media(Attachment("image", "image/jpeg"))
    assert failed.value.permanent and bot_api.calls == []


def test_fetch_media_when_the_file_server_has_no_such_path(adapter, bot_api):
    """getFile answers, but the download link gives 404 (expired): permanent."""
    bot_api.failures["getFile"] = [(200, {"ok": True, "result": {
        "file_id": "F3", "file_unique_id": "U3", "file_size": 10, "file_path": "photos/gone.jpg"}})]
    with pytest.raises(SendError) as failed:
        adapter.fetch_media(Attachment("image", "image/jpeg", None, "F3"))
    assert failed.value.permanent and BOT_TOKEN not in failed.value.reason
    assert bot_api.downloads == []


@pytest.mark.parametrize("file_id", ["../../getMe", "AgAC/../x", "a b", "F1?x=1", "F1#", "F" * 300])
def test_fetch_media_refuses_what_is_not_a_file_id(adapter, bot_api, file_id):
    with pytest.raises(SendError) as failed:
        adapter.fetch_media(Attachment("image", "image/jpeg", None, file_id))
    assert failed.value.permanent and bot_api.calls == []


@pytest.mark.parametrize("file_path", ["../../bot-other/getMe", "photos/../../x.jpg", "/etc/passwd",
                                       "photos/a b.jpg", ""])
def test_a_file_path_that_leaves_the_file_root_is_not_downloaded(adapter, bot_api, file_path):
    """The file URL carries the bot token: a getFile answer naming another path is refused."""
    bot_api.failures["getFile"] = [(200, {"ok": True, "result": {
        "file_id": "F4", "file_unique_id": "U4", "file_size": 10, "file_path": file_path}})]
    with pytest.raises(SendError) as failed:
        adapter.fetch_media(Attachment("image", "image/jpeg", None, "F4"))
    assert failed.value.permanent and bot_api.downloads == [] and BOT_TOKEN not in failed.value.reason

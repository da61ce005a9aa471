"""Replies in the citizen's language: an English keyword (SMS), the web form's or the API's
language, Telegram's ``language_code``; Indonesian otherwise. Status notices sent later
use the language recorded with the reporter's route."""
from __future__ import annotations

import json
import time
import pytest

from channels.gsm7 import fits_one_sms
from config import messages
from forwarder import central as contract
from forwarder.topology import REPLIES
from gateway.replytexts import colour_label
from normalizer import tracking
from tests.channels.telegram_support import CASES, environ_for, post_case
from tests.gateway.support import TRACKING
from tests.gateway.test_forms import fields, open_form
from tests.helpers import queued_bodies

SECRET = "central-language-secret"


@pytest.fixture
def environ(environ):
    telegram = {k: v for k, v in environ_for().items() if k != "LAPOR_DOORS_FILE"}
    environ.update(telegram, LAPOR_CENTRAL_URL="http://127.0.0.1:9/central",   # the default doors
                   LAPOR_CENTRAL_SECRET=SECRET,
                   LAPOR_DOOR_SMS_1708_SENDSMS_URL="http://127.0.0.1:9/cgi-bin/sendsms")
    return environ


def sms(client, text: str, sender: str) -> str:
    answer = client.get("/in/sms-1708", query_string={
        "secret": "kannel-door-secret", "from": sender, "to": "1708", "text": text,
        "charset": "UTF-8", "coding": "0", "id": f"m-{time.monotonic_ns()}"})
    assert answer.status_code == 200, answer.data
    return answer.get_data(as_text=True)


def complaint_of(parts, number: str) -> dict:
    return parts.store.complaint(parts.store.status(number)["id"])


def ack(parts, number: str, lang: str, short_code: str = "") -> str:
    complaint = complaint_of(parts, number)
    where = messages.text("ack_where", lang, short_code=short_code) if short_code else ""
    return messages.text("ack", lang, tracking=tracking.display(number), compact=number,
                         where=where, due=messages.format_date(complaint["service_level"]["due_date"]))


def notice_after_callback(client, parts, number: str) -> str:
    """Send the central system's status callback; return the status notice it queued."""
    raw = json.dumps({"tracking_number": number, "status": "proses", "agency": "Dinas PU PERA",
                      "due_date": "2027-02-19"}).encode()
    headers = contract.signed_headers(SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    answer = client.post("/api/v1/central/status", data=raw, headers=headers)
    assert answer.get_json() == {"ok": True, "notified": True}
    [notice] = [reply for reply in queued_bodies(parts.store.redis, REPLIES)
                if reply["kind"] == "status" and reply["tracking_number"] == number]
    assert notice["language"] == ("en" if notice["text"].startswith("LAPOR! Report") else "id")
    return notice["text"]


def status_notice(lang: str, number: str) -> str:
    return messages.text("status_notice", lang, tracking=tracking.display(number),
                         status=messages.status_label("proses", lang), agency="Dinas PU PERA",
                         due="19-02-2027", colour=colour_label(
                             {"classification": "pengaduan", "due_date": "2027-02-19"}, lang))


@pytest.mark.parametrize("keyword,lang", [("REPORT", "en"), ("report", "en"), ("LAPOR", "id"),
                                          ("", "id")])
def test_an_sms_is_answered_in_the_language_of_its_keyword(client, parts, keyword, lang):
    reply = sms(client, f"{keyword} pothole on the road near the market".strip(), "081277710001")
    number = tracking.compact(reply.split(": ")[1][:13])
    assert reply == ack(parts, number, lang, short_code="1708")
    assert fits_one_sms(reply)
    assert complaint_of(parts, number)["language"] == lang
    assert notice_after_callback(client, parts, number) == status_notice(lang, number)


@pytest.mark.parametrize("command,key,lang", [
    ("HELP", "help", "en"), ("BANTUAN", "help", "id"), ("START", "optin_done", "en"),
    ("MULAI", "optin_done", "id"), ("STOP", "optout_done", "id")])
def test_commands_are_answered_in_their_language(client, command, key, lang):
    assert sms(client, command, "081277710002") == messages.text(key, lang)


def test_check_is_answered_in_english_and_cek_in_indonesian(client, parts):
    number = tracking.compact(sms(client, "LAPOR jalan rusak di desa", "081277710003")
                              .split("No. lacak: ")[1][:13])
    due = messages.format_date(complaint_of(parts, number)["service_level"]["due_date"])
    for word, lang in (("CHECK", "en"), ("CEK", "id")):
        assert sms(client, f"{word} {tracking.display(number)}", "081277710004") == messages.text(
            "status", lang, tracking=tracking.display(number),
            status=messages.status_label("diterima", lang),
            agency=messages.text("not_assigned", lang), due=due,
            colour=messages.text("colour_green", lang))
    assert sms(client, "CHECK 2741-0935-883", "081277710004") == messages.text(
        "status_mistyped", "en", number="27410935883")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_api_reporter_is_notified_in_the_language_of_the_submission(client, parts, lang):
    answer = client.post("/api/v1/complaints", json={
        "classification": "pengaduan", "body": "Jembatan gantung di desa kami putus",
        "contact": "081277710005", "language": lang})
    number = answer.get_json()["tracking_number"]
    assert answer.get_json()["message"] == ack(parts, number, lang)
    assert notice_after_callback(client, parts, number) == status_notice(lang, number)


def test_the_web_form_in_english_records_english(client, parts):
    csrf, submission_id = open_form(client, "?lang=en")
    done = client.post("/lapor?lang=en", data=fields(csrf, submission_id, language="en",
                                                      contact="081277710006"))
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Your report was received" in html
    [number] = {tracking.compact(found) for found in TRACKING.findall(html)}
    assert complaint_of(parts, number)["language"] == "en"
    assert notice_after_callback(client, parts, number) == status_notice("en", number)


@pytest.mark.parametrize("language_code,lang", [("en", "en"), ("en-GB", "en"), ("id", "id"),
                                                ("ru", "id"), (None, "id")])
def test_telegram_replies_in_the_apps_language(client, parts, language_code, lang):
    case = json.loads(json.dumps(CASES["text"]))
    body = case["request"]["body"]
    body["update_id"] = int(time.monotonic_ns() % 10**9)
    body["message"]["message_id"] = body["update_id"] % 10**6
    if language_code is None:
        del body["message"]["from"]["language_code"]
    else:
        body["message"]["from"]["language_code"] = language_code
    assert post_case(client, case).status_code == 200
    [reply] = [r for r in queued_bodies(parts.store.redis, REPLIES) if r["kind"] == "ack"]
    number = reply["tracking_number"]
    assert reply["text"] == ack(parts, number, lang) and reply["language"] == lang
    assert notice_after_callback(client, parts, number) == status_notice(lang, number)


def test_a_route_without_a_language_reads_indonesian(client, parts):
    """Routes written before languages were recorded have no ``lang``: Indonesian."""
    number = tracking.compact(sms(client, "REPORT broken street light", "081277710007")
                              .split(": ")[1][:13])
    parts.store.redis.hdel("lapor:route:" + complaint_of(parts, number)["id"], "lang")
    assert notice_after_callback(client, parts, number) == status_notice("id", number)
    assert messages.language(None) == messages.language("") == messages.language("fr") == "id"
    assert messages.language("EN_us") == "en"


def test_an_unknown_status_or_reply_in_english_falls_back_sensibly():
    assert messages.status_label("diarsipkan", "en") == "diarsipkan"
    with pytest.raises(KeyError):
        messages.text("no-such-text", "en")

"""The Twilio doors (SMS and WhatsApp via Twilio) beyond their recorded cases
(testdata/twilio.json, signed with twilio's RequestValidator, run by
tests/channels/test_cases.py): signing URLs and keys, duplicates, follow-ups, status
queries, delivery reports, parser robustness. Sending and media downloads are
in test_twilio_outbound.py; MessageSid rules and production's public URL in
test_twilio_sids.py."""
from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from channels.base import Rejected, WebRequest
from normalizer.values import Outcome
from channels.twilio.adapter import TwilioAdapter
from config import messages
from config.doors import Door, load_catalogue
from config.settings import SettingsError
from forwarder.topology import COMPLAINTS, MEDIA
from normalizer import tracking
from tests.channels.twilio_support import (AUTH_TOKEN, CASES, PUBLIC, Signed, adapter_for,
                                           ledger_keys, redis_of, sign, twilio_environ, twiml_messages)
from tests.helpers import inbound

TRACKING = re.compile(r"No\. lacak: (\d{4}-\d{4}-\d{3})")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@pytest.fixture
def environ(environ):
    environ.update(twilio_environ("http://127.0.0.1:9"))   # nothing is sent in these tests
    return environ


def complaint_for(parts, reply: str) -> dict:
    number = tracking.compact(TRACKING.search(reply).group(1))
    cid = redis_of(parts).get("lapor:t:" + number).decode()
    return parts.store.complaint(cid)


# ----- the adapter alone ---------------------------------------------------------------------
def test_adapter_answers_a_delivery_without_messages_with_empty_twiml():
    assert TwilioAdapter(Door(id="twilio-sms", channel="twilio", agency="KemenPANRB",
                              credentials={"account_sid": "AC1", "auth_token": AUTH_TOKEN},
                              options={"mode": "sms"})).respond([]).body.decode() == EMPTY_TWIML


def test_without_public_base_url_the_request_url_is_signed(settings):
    local = replace(settings, public_base_url="", mode="embedded")   # production refuses this
    adapter = adapter_for(local, "twilio-sms")
    case = CASES["sms_text"]
    internal = "http://127.0.0.1:8000"
    adapter.verify(Signed(case, base=internal).web_request(base=internal))
    with pytest.raises(Rejected) as refused:   # signed for the public URL, served locally
        adapter.verify(Signed(case).web_request(base=internal))
    assert refused.value.status == 403


def test_signature_with_the_default_port_is_accepted(settings):
    """Twilio sometimes signs https://host:443/...; its own validator accepts both forms."""
    adapter = adapter_for(settings, "twilio-sms")
    signed = Signed(CASES["sms_text"], base=PUBLIC.replace(".id", ".id:443"))
    adapter.verify(signed.web_request())


def test_door_without_signing_key_refuses_shared_key_requests(settings):
    door = load_catalogue(settings).doors["twilio-keyed"]
    adapter = TwilioAdapter(replace(door, credentials={**door.credentials, "signing_key": ""}), settings)
    with pytest.raises(Rejected) as refused:
        adapter.verify(Signed(CASES["shared_key_sha256"]).web_request())
    assert refused.value.status == 503


def test_failed_reply_reports_are_logged_without_the_number(settings, caplog):
    caplog.set_level(logging.DEBUG, logger="lapor.channels.twilio")
    for name in ("status_callback_failed", "status_callback_delivered"):
        case = CASES[name]
        adapter = adapter_for(settings, case["door"])
        assert adapter.parse(Signed(case).web_request()) == []
    failed, delivered = [r.getMessage() for r in caplog.records]
    assert failed == ("twilio reply failed door=twilio-wa to=*** "
                      f"sid={dict(CASES['status_callback_failed']['request']['form'])['MessageSid']} code=63016")
    assert delivered.startswith("twilio reply delivered door=twilio-sms")
    assert "81234567890" not in caplog.text and "81234567895" not in caplog.text


def test_respond_is_twiml_with_every_reply():
    adapter = TwilioAdapter(Door("twilio-sms", "twilio", "KemenPANRB"))
    message = inbound("x", door="twilio-sms", channel="twilio")
    answer = adapter.respond([Outcome(message, "27410935882", "LAPOR! <diterima> & dicatat"),
                              Outcome(message, "", "")])
    assert (answer.status, answer.content_type) == (200, "text/xml; charset=utf-8")
    root = ElementTree.fromstring(answer.body)
    assert [m.text for m in root.findall("Message")] == ["LAPOR! <diterima> & dicatat"]


def test_unknown_mode_is_a_configuration_error():
    with pytest.raises(SettingsError, match="options.mode"):
        TwilioAdapter(Door("twilio-x", "twilio", "X", options={"mode": "mms"}))


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2048), kind=st.sampled_from(
    ["application/x-www-form-urlencoded", "", "application/json", "text/plain; charset=latin-1"]))
def test_parser_survives_any_bytes(body, kind):
    adapter = TwilioAdapter(Door("twilio-sms", "twilio", "KemenPANRB"))
    request = WebRequest("POST", "https://x/in/twilio-sms", "/in/twilio-sms", {}, b"", body, kind)
    try:
        adapter.parse(request)
    except Rejected as refused:
        assert refused.status in (400, 413)


@hypothesis_settings(max_examples=300, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(
    ["MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MediaContentType0", "Latitude",
     "Longitude", "Label", "Address", "WaId", "ProfileName", "NumSegments", "MessageStatus",
     "ButtonText", "MediaUrl1", "SmsStatus"]), st.text(max_size=40)))
def test_parser_survives_any_fields(fields):

    adapter = TwilioAdapter(Door("twilio-wa", "twilio", "KemenPANRB", options={"mode": "whatsapp"}))
    body = urlencode(fields).encode("utf-8", "surrogatepass")
    request = WebRequest("POST", "https://x/in/twilio-wa", "/in/twilio-wa", {}, b"", body,
                         "application/x-www-form-urlencoded")
    try:
        found = adapter.parse(request)
    except Rejected as refused:
        assert refused.status == 400
        return
    assert len(found) <= 1
    for message in found:
        assert message.provider_message_id.isalnum() and message.sender


# ----- through the pipeline ----------------------------------------------------------------------
def test_body_over_the_gateway_limit_is_413(client, parts):
    signed = Signed(CASES["sms_text"])
    signed.body = b"Body=" + b"x" * (parts.settings.max_body_bytes + 1)
    response = signed.send(client)
    assert response.status_code == 413 and ledger_keys(parts) == []


def test_same_message_sid_twice_is_one_complaint(client, parts):
    case = CASES["mms_two_images"]
    [first] = twiml_messages(Signed(case).send(client))
    [second] = twiml_messages(Signed(case).send(client))   # Twilio retrying the webhook
    number = TRACKING.search(first).group(1)
    assert second == messages.text("ack_duplicate", tracking=number)
    assert redis_of(parts).llen(COMPLAINTS) == 1 and len(ledger_keys(parts)) == 1
    assert redis_of(parts).llen(MEDIA) == 2                      # media jobs queued once
    assert parts.store.stats() == {("accepted", "twilio-sms"): 1, ("duplicate", "twilio-sms"): 1}


def test_photo_after_text_joins_the_open_complaint(client, parts):
    [ack] = twiml_messages(Signed(CASES["wa_text"]).send(client))
    photo = json.loads(json.dumps(CASES["wa_image_caption"]))
    photo["request"]["form"] = [(k, "whatsapp:+6281234567895" if k == "From" else
                                 "6281234567895" if k == "WaId" else v)
                                for k, v in photo["request"]["form"]]
    [joined] = twiml_messages(Signed(photo).send(client))
    number = TRACKING.search(ack).group(1)
    assert joined == messages.text("ack_followup", tracking=number)
    assert len([k for k in ledger_keys(parts)]) == 2               # the complaint and its event
    assert redis_of(parts).llen(COMPLAINTS) == 2 and redis_of(parts).llen(MEDIA) == 1
    assert complaint_for(parts, ack)["attachments"] == []


def test_cek_on_whatsapp_answers_the_status(client, parts):
    [ack] = twiml_messages(Signed(CASES["wa_text"]).send(client))
    number = TRACKING.search(ack).group(1)
    cek = json.loads(json.dumps(CASES["wa_text"]))
    cek["request"]["form"] = [(k, f"CEK {number}" if k == "Body" else
                               v.replace("7f6e5d4c", "7f6e5d4d") if k.endswith("Sid") else v)
                              for k, v in cek["request"]["form"]]
    [answer] = twiml_messages(Signed(cek).send(client))
    complaint = complaint_for(parts, ack)
    assert answer == messages.text(
        "status", tracking=number, status=messages.status_label("diterima"),
        agency=messages.text("not_assigned"),
        due=messages.format_date(complaint["service_level"]["due_date"]),
        colour=messages.text("colour_green"))         # a new complaint is on time
    assert redis_of(parts).llen(COMPLAINTS) == 1


def test_no_phone_number_or_name_in_the_logs(client, parts, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("wa_text", "wa_rahasia", "sms_text", "forged_signature", "missing_from"):
        Signed(CASES[name]).send(client)
    assert caplog.text.count("accepted door=twilio") == 3
    assert "refused door=twilio-sms status=403" in caplog.text
    for secret in ("81234567895", "81234567803", "81234567890", "Siti Aminah", "Pak Harjo",
                   AUTH_TOKEN):
        assert secret not in caplog.text


def test_signature_is_over_every_field_twilio_sent(client, parts):
    """A field Twilio adds later is signed too: verification must not depend on knowing it."""
    case = json.loads(json.dumps(CASES["sms_text"]))
    case["request"]["form"].append(["SomeFieldTwilioAddsLater", "nilai"])
    assert twiml_messages(Signed(case).send(client))[0].startswith("LAPOR! Laporan Anda diterima")
    url = PUBLIC + "/in/twilio-sms"
    assert sign(url, {"a": "1"}) != sign(url, {"a": "1", "b": ""})


# ----- the agency's guide says what the code and the tests use ------------------------------------
def test_guide_shows_the_doors_and_template_the_code_uses():
    from pathlib import Path

    from tests.channels.twilio_support import DOORS_FILE, as_documented

    guide = (Path(__file__).parents[2] / "docs" / "channels" / "twilio.md").read_text("utf-8")
    [doors_block] = re.findall(r"```json\n(\[.*?\])\n```", guide, re.S)
    tested = json.loads(DOORS_FILE.read_text("utf-8"))["doors"]
    assert json.loads(doors_block) == [as_documented(door) for door in tested
                                       if door["id"] in ("twilio-sms", "twilio-wa")]
    for variable in ("LAPOR_TWILIO_ACCOUNT_SID", "LAPOR_TWILIO_AUTH_TOKEN", "LAPOR_TWILIO_SMS_FROM",
                     "LAPOR_TWILIO_WHATSAPP_FROM", "LAPOR_TWILIO_API_BASE_URL", "LAPOR_PUBLIC_BASE_URL"):
        assert f"`{variable}`" in guide
    for field in ("status_template_sid", "max_media_bytes", "signing_key"):
        assert f"`options.{field}`" in guide or f"`credentials.{field}`" in guide
    assert messages.text("whatsapp_status_template", notice="{{1}}") in guide
    for door in ("twilio-sms", "twilio-wa"):
        assert f"<LAPOR_PUBLIC_BASE_URL>/in/{door}" in guide


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(signature=st.text(max_size=60), host=st.text(max_size=30), settings_header=st.text(max_size=60))
def test_verify_survives_any_headers_and_host(signature, host, settings_header):
    door = Door("twilio-sms", "twilio", "KemenPANRB",
                credentials={"account_sid": "AC" + "0" * 32, "auth_token": AUTH_TOKEN, "signing_key": "k"})
    headers = {"x-twilio-signature": signature, "x-twilio-webhooks-signature-settings": settings_header}
    request = WebRequest("POST", f"http://{host}/in/twilio-sms", "/in/twilio-sms", headers, b"",
                         b"MessageSid=SM1&Body=x", "application/x-www-form-urlencoded")
    with pytest.raises(Rejected) as refused:
        TwilioAdapter(door).verify(request)
    assert refused.value.status in (400, 403)

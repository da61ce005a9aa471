"""The Twilio doors' outbound side against a local HTTP server standing in for
api.twilio.com (the SDK's API domain pointed at it through ``options.api_base_url``):
``send`` through twilio's REST client, and ``fetch_media`` with HTTP Basic auth."""
from __future__ import annotations

import base64
import json
import logging
from dataclasses import replace
from urllib.parse import parse_qs

import pytest

from channels.base import SendError
from normalizer.values import Attachment, OutboundMessage
from channels.twilio.adapter import TwilioAdapter
from config.doors import load_catalogue
from tests.channels.twilio_support import (ACCOUNT_SID, AUTH_TOKEN, PUBLIC, SMS_NUMBER,
                                           WHATSAPP_NUMBER, twilio_environ)
from tests.helpers import Listener, Receiver, free_port

PHONE = "+6281234567890"
SMS_REPORTS = PUBLIC + "/in/twilio-sms"      # StatusCallback: delivery reports to the door
WA_REPORTS = PUBLIC + "/in/twilio-wa"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CREATED = {"sid": "SM" + "ab" * 16, "status": "queued", "account_sid": ACCOUNT_SID,
           "api_version": "2010-04-01", "num_segments": "1", "direction": "outbound-api"}
BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
STATUS_TEXT = "LAPOR! Laporan 2741-0935-882: selesai. Instansi: Dinas PU PERA. Batas: 14-12-2026."
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40 + b"\xff\xd9"


@pytest.fixture(scope="module")
def api_server():
    with Receiver() as fake:
        yield fake


@pytest.fixture
def provider(api_server):
    """The stand-in for api.twilio.com, reset for each test (one server: fast teardown)."""
    api_server.requests, api_server.responses = [], []
    api_server.default = (201, {"Content-Type": "application/json"}, CREATED)
    return api_server


@pytest.fixture
def environ(environ, provider):
    environ.update(twilio_environ(provider.url))
    return environ


@pytest.fixture
def doors(settings):
    return load_catalogue(settings).doors


def adapter(doors, settings, door_id: str, **options) -> TwilioAdapter:
    door = doors[door_id]
    return TwilioAdapter(replace(door, options={**door.options, **options}), settings)


def sent_form(provider: Receiver) -> dict:
    [request] = provider.requests
    assert (request["method"], request["path"]) == ("POST", MESSAGES_PATH)
    assert request["headers"]["authorization"] == BASIC
    assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"
    return {k: v[0] for k, v in parse_qs(request["body"].decode(), keep_blank_values=True).items()}


# ----- send ------------------------------------------------------------------------------------
def test_send_sms(provider, doors, settings, caplog):
    caplog.set_level(logging.DEBUG)
    adapter(doors, settings, "twilio-sms").send(OutboundMessage("twilio-sms", PHONE, STATUS_TEXT,
                                                                kind="status"))
    assert sent_form(provider) == {"To": PHONE, "From": SMS_NUMBER, "Body": STATUS_TEXT,
                                   "StatusCallback": SMS_REPORTS}
    assert "twilio status accepted door=twilio-sms" in caplog.text
    assert "81234567890" not in caplog.text and AUTH_TOKEN not in caplog.text


def test_send_whatsapp_adds_the_prefixes(provider, doors, settings):
    text = "LAPOR! Laporan Anda diterima \U0001F64F"
    adapter(doors, settings, "twilio-wa").send(OutboundMessage("twilio-wa", PHONE, text, kind="ack"))
    assert sent_form(provider) == {"To": "whatsapp:" + PHONE, "From": "whatsapp:" + WHATSAPP_NUMBER,
                                   "Body": text, "StatusCallback": WA_REPORTS}


def test_whatsapp_status_notice_goes_as_the_approved_template(provider, doors, settings):
    door = adapter(doors, settings, "twilio-wa", status_template_sid="HX" + "1f" * 16)
    door.send(OutboundMessage("twilio-wa", PHONE, STATUS_TEXT.replace(". Instansi", ".\nInstansi"),
                              kind="status"))
    form = sent_form(provider)
    assert form["ContentSid"] == "HX" + "1f" * 16 and "Body" not in form
    assert json.loads(form["ContentVariables"]) == {"1": STATUS_TEXT[len("LAPOR! "):]}
    assert (form["To"], form["From"]) == ("whatsapp:" + PHONE, "whatsapp:" + WHATSAPP_NUMBER)


def test_whatsapp_answers_stay_free_text_with_a_template(provider, doors, settings):
    door = adapter(doors, settings, "twilio-wa", status_template_sid="HX" + "1f" * 16)
    door.send(OutboundMessage("twilio-wa", PHONE, "LAPOR! Kirim CEK <nomor>.", kind="answer"))
    assert "ContentSid" not in sent_form(provider)


def test_send_through_a_messaging_service(provider, doors, settings):
    service = "MG" + "9c" * 16
    adapter(doors, settings, "twilio-sms", from_number=service).send(
        OutboundMessage("twilio-sms", PHONE, "LAPOR! tes"))
    assert sent_form(provider) == {"To": PHONE, "MessagingServiceSid": service, "Body": "LAPOR! tes",
                                   "StatusCallback": SMS_REPORTS}


def test_no_delivery_reports_without_a_public_address(provider, doors, settings):
    behind_a_proxy = replace(settings, public_base_url="", proxy_hops=1)
    TwilioAdapter(doors["twilio-sms"], behind_a_proxy).send(
        OutboundMessage("twilio-sms", PHONE, "LAPOR! tes"))
    assert "StatusCallback" not in sent_form(provider)


def test_send_cuts_a_body_to_twilio_limit(provider, doors, settings):
    adapter(doors, settings, "twilio-sms").send(OutboundMessage("twilio-sms", PHONE, "a" * 2000))
    assert len(sent_form(provider)["Body"]) == 1600


@pytest.mark.parametrize("status,code,permanent", [
    (400, 21211, True),      # invalid To number
    (400, 21610, True),      # the citizen sent STOP to Twilio itself (unsubscribed)
    (401, 20003, True),      # wrong credentials
    (429, 20429, False),     # too many requests
    (500, 20500, False),
    (503, 20503, False),
])
def test_send_errors(provider, doors, settings, status, code, permanent):
    provider.default = (status, {"Content-Type": "application/json"}, {
        "code": code, "status": status, "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "message": f"The 'To' number {PHONE} is not a valid phone number."})
    with pytest.raises(SendError) as failed:
        adapter(doors, settings, "twilio-sms").send(OutboundMessage("twilio-sms", PHONE, "x"))
    assert failed.value.permanent is permanent
    assert f"answered {status}" in failed.value.reason and f"code {code}" in failed.value.reason
    assert "81234567890" not in str(failed.value) and AUTH_TOKEN not in str(failed.value)
    assert failed.value.code == str(code)
    assert failed.value.opted_out is (code == 21610)          # the citizen's STOP at Twilio


def test_send_returns_the_message_sid(provider, doors, settings):
    sid = adapter(doors, settings, "twilio-sms").send(OutboundMessage("twilio-sms", PHONE, "x"))
    assert sid == CREATED["sid"]


def test_send_error_without_json_is_still_classified(provider, doors, settings):
    provider.default = (502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>")
    with pytest.raises(SendError) as failed:
        adapter(doors, settings, "twilio-sms").send(OutboundMessage("twilio-sms", PHONE, "x"))
    assert not failed.value.permanent and "answered 502" in failed.value.reason


def test_send_unreachable_is_retryable(doors, settings):
    door = adapter(doors, settings, "twilio-sms", api_base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SendError) as failed:
        door.send(OutboundMessage("twilio-sms", PHONE, "x"))
    assert not failed.value.permanent and "unreachable" in failed.value.reason
    assert failed.value.__suppress_context__ and ACCOUNT_SID not in failed.value.reason


def test_send_without_configuration_is_permanent(provider, doors, settings):
    for door, reason in ((adapter(doors, settings, "twilio-sms", from_number=""), "from_number"),
                         (TwilioAdapter(doors["twilio-unset"], settings), "auth_token")):
        with pytest.raises(SendError) as failed:
            door.send(OutboundMessage(door.door.id, PHONE, "x"))
        assert failed.value.permanent and reason in failed.value.reason
    assert provider.requests == []


# ----- fetch_media -----------------------------------------------------------------------------
def media_url(base: str, n: int = 1) -> str:
    return f"{base}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'5a' * 16}/Media/ME{n:032x}"


def test_fetch_media_follows_the_redirect_and_drops_credentials_off_host(provider, doors, settings):
    with Receiver(default=(200, {"Content-Type": "image/jpeg"}, JPEG)) as media_store:
        elsewhere = media_store.url.replace("127.0.0.1", "localhost")
        provider.responses.append((307, {"Location": elsewhere + "/media/abc?sig=x"}, b""))
        data, kind = adapter(doors, settings, "twilio-wa",
                             insecure_origins_for_tests=[provider.url, elsewhere]).fetch_media(
            Attachment("image", "image/jpeg", provider_ref=media_url(provider.url)))
        [store_request] = media_store.requests
    assert (data, kind) == (JPEG, "image/jpeg")
    [api_request] = provider.requests
    assert api_request["headers"]["authorization"] == BASIC
    assert "authorization" not in store_request["headers"]      # never sent to another host


def test_fetch_media_uses_the_header_content_type(provider, doors, settings):
    provider.default = (200, {"Content-Type": "audio/ogg; codecs=opus"}, b"OggS" + b"\x00" * 64)
    data, kind = adapter(doors, settings, "twilio-wa").fetch_media(
        Attachment("audio", "audio/ogg", provider_ref=media_url(provider.url)))
    assert kind == "audio/ogg" and data.startswith(b"OggS")


@pytest.mark.parametrize("status,permanent,retry_after", [
    (404, True, None), (403, True, None), (500, False, None), (429, False, 7.0)])
def test_fetch_media_errors(provider, doors, settings, status, permanent, retry_after):
    provider.default = (status, {"Retry-After": "7"} if status == 429 else {}, b"")
    with pytest.raises(SendError) as failed:
        adapter(doors, settings, "twilio-sms").fetch_media(
            Attachment("image", "image/jpeg", provider_ref=media_url(provider.url)))
    assert failed.value.permanent is permanent and failed.value.retry_after == retry_after


def test_fetch_media_is_bounded(provider, doors, settings):
    provider.default = (200, {"Content-Type": "image/jpeg"}, JPEG)
    small = adapter(doors, settings, "twilio-sms", max_media_bytes=1024)
    with pytest.raises(SendError) as failed:
        small.fetch_media(Attachment("image", "image/jpeg", provider_ref=media_url(provider.url)))
    assert failed.value.permanent and "larger than 1024" in failed.value.reason


def test_fetch_media_limit_defaults_to_the_media_workers(provider, doors, settings):
    provider.default = (200, {"Content-Type": "image/jpeg"}, JPEG)
    door = TwilioAdapter(doors["twilio-wa"], replace(settings, max_body_bytes=len(JPEG) - 1))
    with pytest.raises(SendError) as failed:
        door.fetch_media(Attachment("image", "image/jpeg", provider_ref=media_url(provider.url)))
    assert failed.value.permanent and f"larger than {len(JPEG) - 1}" in failed.value.reason


TWILIO_PATH = media_url("")


@pytest.mark.parametrize("url", [
    "https://evil.example" + TWILIO_PATH,
    "https://api.twilio.com.evil.example" + TWILIO_PATH,
    "http://api.twilio.com" + TWILIO_PATH,
    "https://api.twilio.com:8443" + TWILIO_PATH,
    "https://user:pass@api.twilio.com" + TWILIO_PATH,
    "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "https://api.twilio.com" + TWILIO_PATH.replace(ACCOUNT_SID, "AC" + "0" * 32),  # another account
    "https://api.twilio.com" + TWILIO_PATH + "/../../../../Calls.json",
    "https://api.twilio.com" + TWILIO_PATH + "?x=1",
    "file:///etc/passwd", "ME1234", ""])
def test_fetch_media_sends_credentials_only_to_twilio(provider, doors, settings, url):
    with pytest.raises(SendError) as failed:
        adapter(doors, settings, "twilio-sms").fetch_media(Attachment("image", "image/jpeg",
                                                                      provider_ref=url))
    assert failed.value.permanent and provider.requests == []


def test_twilio_hosts_are_trusted(doors, settings):
    door = adapter(doors, settings, "twilio-sms")
    assert door._trusted(media_url("https://api.twilio.com"))
    assert door._trusted(media_url("https://api.dublin.ie1.twilio.com"))


def test_fetch_media_unreachable_is_retryable(doors, settings):
    base = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SendError) as failed:
        adapter(doors, settings, "twilio-sms", api_base_url=base,
                insecure_origins_for_tests=base).fetch_media(
            Attachment("image", "image/jpeg", provider_ref=media_url(base)))
    assert not failed.value.permanent and failed.value.__suppress_context__


def test_fetch_media_refuses_a_redirect_off_the_allowed_hosts(provider, doors, settings):
    """Twilio's answer is followed only to its media store: a redirect to a loopback
    service (or any host not on the list) is refused before connecting."""
    with Listener() as internal:
        provider.responses.append((307, {"Location": internal.url + "/latest/meta-data/"}, b""))
        with pytest.raises(SendError) as refused:
            adapter(doors, settings, "twilio-wa").fetch_media(
                Attachment("image", "image/jpeg", provider_ref=media_url(provider.url)))
    assert refused.value.permanent and internal.connections == 0

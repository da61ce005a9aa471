"""Twilio end to end: webhooks signed with twilio's RequestValidator over the public URL
(the gateway sits behind a proxy at LAPOR_PUBLIC_BASE_URL), POSTed over real HTTP to the
gateway on loopback -> Redis -> forwarder -> central receiver; the acknowledgement back as
TwiML; a follow-up photo joins the complaint (an event, then the media worker downloads it
from a local stand-in for api.twilio.com with HTTP Basic auth, through Twilio's redirect);
a signed status callback from the central system, the notice sent to the citizen through
the notifier and twilio's REST client, and CEK answering the new status."""
from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs, urlencode

import pytest
import requests

from config import messages
from gateway.replytexts import colour_label
from normalizer import tracking
from tests.channels.twilio_support import (ACCOUNT_SID, AUTH_TOKEN, PUBLIC, SMS_NUMBER,
                                           WHATSAPP_NUMBER, sign, twilio_environ)
from tests.e2e.conftest import central_bodies
from tests.helpers import Receiver, wait_for

SITI = "+6281234567890"
BUDI = "+6281298765432"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 16 + b"\xff\xd9"
PHOTO_MESSAGE = "MM" + "5a1f0e2d3c4b5a69788796a5b4c3d2e1"
MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{PHOTO_MESSAGE}/Media/ME{'0' * 31}1"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


class TwilioStandIn(Receiver):
    """api.twilio.com on loopback, answering by path as Twilio does: Messages.json creates a
    message; a media URL redirects to the media store, which serves the bytes."""

    def __init__(self):
        self.created = 0
        super().__init__()

    @property
    def default(self):                  # read by the handler right after recording the request
        request = self.requests[-1]
        if request["method"] == "POST" and request["path"] == MESSAGES_PATH:
            self.created += 1
            return 201, {"Content-Type": "application/json"}, {
                "sid": f"SM{self.created:032x}", "status": "queued", "account_sid": ACCOUNT_SID}
        if request["method"] == "GET" and request["path"] == MEDIA_PATH:
            return 307, {"Location": f"{self.url}/media-store/{PHOTO_MESSAGE}/1"}, b""
        if request["method"] == "GET" and request["path"] == f"/media-store/{PHOTO_MESSAGE}/1":
            return 200, {"Content-Type": "image/jpeg"}, PHOTO
        return 404, {"Content-Type": "application/json"}, {"code": 20404, "status": 404,
                                                            "message": "not found"}

    @default.setter
    def default(self, value):
        pass

    def sent(self) -> list[dict]:
        with self._lock:
            return [{k: v[0] for k, v in parse_qs(r["body"].decode()).items()} | {
                "_auth": r["headers"].get("authorization", "")}
                    for r in self.requests if r["method"] == "POST" and r["path"] == MESSAGES_PATH]


@pytest.fixture
def twilio():
    with TwilioStandIn() as running:
        yield running


@pytest.fixture
def environ(environ, twilio):
    environ.update(twilio_environ(twilio.url))
    return environ


class Phone:
    """One citizen's phone, as Twilio delivers its messages to a door's webhook."""

    def __init__(self, gateway: str, door: str, number: str, whatsapp: bool, name: str = ""):
        self.gateway, self.door, self.number, self.whatsapp, self.name = gateway, door, number, whatsapp, name
        self.count = 0

    def send(self, body: str, **extra) -> requests.Response:
        self.count += 1
        prefix = "whatsapp:" if self.whatsapp else ""
        sid = extra.pop("MessageSid", f"SM{self.number[-8:]}{self.count:024x}")
        fields = {"SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
                  "Body": body, "To": prefix + (WHATSAPP_NUMBER if self.whatsapp else SMS_NUMBER),
                  "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT_SID,
                  "From": prefix + self.number, "ApiVersion": "2010-04-01"}
        if self.whatsapp:
            fields.update(ProfileName=self.name, WaId=self.number[1:], MessageType="text")
        fields.update(extra)
        signature = sign(f"{PUBLIC}/in/{self.door}", fields)
        return requests.post(f"{self.gateway}/in/{self.door}", data=urlencode(fields), timeout=10,
                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                      "X-Twilio-Signature": signature})


def twiml(response: requests.Response) -> list[str]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    return [m.text or "" for m in ElementTree.fromstring(response.content).findall("Message")]


def test_whatsapp_complaint_photo_status_and_cek(gateway, central, twilio, forwarder, notifier,
                                                 media_worker, status_callback, settings):
    siti = Phone(gateway, "twilio-wa", SITI, whatsapp=True, name="Siti Aminah")

    # 1. the complaint reaches central; the acknowledgement is the TwiML answer
    text = "Jalan rusak parah di Desa Sukamaju, mohon segera diperbaiki"
    [ack] = twiml(siti.send(text))
    [complaint] = wait_for(lambda: central_bodies(central, "/"), message="complaint at central")
    assert (complaint["door"], complaint["channel"], complaint["body"]) == ("twilio-wa", "twilio", text)
    assert complaint["reporter"]["contact"] == SITI and complaint["reporter"]["name"] == "Siti Aminah"
    assert complaint["meta"]["transport"] == "whatsapp"
    number = complaint["tracking_number"]
    assert ack == messages.text("ack", tracking=tracking.display(number), compact=number,
                                due=messages.format_date(complaint["service_level"]["due_date"]))

    # 2. a photo joins the complaint; the media worker fetches it from Twilio with the account's
    #    credentials, through the redirect to the media store
    [joined] = twiml(siti.send("ini fotonya", MessageSid=PHOTO_MESSAGE, SmsMessageSid=PHOTO_MESSAGE,
                               SmsSid=PHOTO_MESSAGE, NumMedia="1", MessageType="image",
                               MediaContentType0="image/jpeg", MediaUrl0=twilio.url + MEDIA_PATH))
    assert joined == messages.text("ack_followup", tracking=tracking.display(number))
    events = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(central_bodies(central, "/events")),
                      timeout=15, message="follow-up and media events at central")
    by_type = {event["type"]: event for event in events}
    followup, media = by_type["followup"], by_type["media"]
    assert followup["complaint_id"] == media["complaint_id"] == complaint["id"]
    assert followup["body"] == "ini fotonya" and followup["provider_message_id"] == PHOTO_MESSAGE
    assert followup["attachments"][0]["provider_ref"] == twilio.url + MEDIA_PATH
    [stored] = media["attachments"]
    assert (stored["size"], stored["content_type"]) == (len(PHOTO), "image/jpeg")
    digest = stored["sha256"]
    assert (settings.data_dir / "attachments" / digest[:2] / digest).read_bytes() == PHOTO
    media_request = next(r for r in twilio.requests if r["path"] == MEDIA_PATH)
    assert media_request["headers"]["authorization"] == requests.auth._basic_auth_str(ACCOUNT_SID, AUTH_TOKEN)
    assert len(central_bodies(central, "/")) == 1                     # no second complaint
    assert twilio.sent() == []                      # acknowledgements went as TwiML, not REST

    # 3. central says "proses": the citizen is told on WhatsApp; CEK answers the same
    answer = status_callback(number, "proses", "Dinas PU PERA", due_date="2027-02-19")
    assert answer.status_code == 200 and answer.json() == {"ok": True, "notified": True}
    [notice] = wait_for(twilio.sent, message="status notice through Twilio")
    assert (notice["To"], notice["From"]) == ("whatsapp:" + SITI, "whatsapp:" + WHATSAPP_NUMBER)
    assert notice["_auth"] == requests.auth._basic_auth_str(ACCOUNT_SID, AUTH_TOKEN)
    colour = colour_label({"classification": "pengaduan", "due_date": "2027-02-19"}, "id")
    assert notice["Body"] == messages.text(
        "status_notice", tracking=tracking.display(number), status=messages.status_label("proses"),
        agency="Dinas PU PERA", due="19-02-2027", colour=colour)
    [status] = twiml(siti.send(f"CEK {number}"))
    assert status == messages.text(
        "status", tracking=tracking.display(number), status=messages.status_label("proses"),
        agency="Dinas PU PERA", due="19-02-2027", colour=colour)
    assert len(central_bodies(central, "/")) == 1 and len(central_bodies(central, "/events")) == 2


def test_sms_complaint_and_status_notice_by_sms(gateway, central, twilio, forwarder, notifier,
                                                status_callback):
    budi = Phone(gateway, "twilio-sms", BUDI, whatsapp=False)
    [ack] = twiml(budi.send("LAPOR ANONIM guru minta uang PPDB 500 ribu"))
    [complaint] = wait_for(lambda: central_bodies(central, "/"), message="complaint at central")
    assert complaint["privacy"]["anonymous"] and complaint["reporter"]["contact"] is None
    assert BUDI[3:] not in json.dumps(complaint)
    number = complaint["tracking_number"]
    assert tracking.display(number) in ack
    answer = status_callback(number, "selesai", "Dinas Pendidikan")
    assert answer.json() == {"ok": True, "notified": True}   # anonymous to central, not to us
    [notice] = wait_for(twilio.sent, message="status notice by SMS")
    assert (notice["To"], notice["From"]) == (BUDI, SMS_NUMBER)
    assert tracking.display(number) in notice["Body"] and "selesai" in notice["Body"]
    [stopped] = twiml(budi.send("STOP"))
    assert stopped == messages.text("optout_done")
    assert status_callback(number, "ditolak", "Dinas Pendidikan").json() == {"ok": True, "notified": False}


def test_forged_and_status_callbacks_over_http(gateway, central, twilio):
    siti = Phone(gateway, "twilio-wa", SITI, whatsapp=True, name="Siti Aminah")
    fields = {"MessageSid": "SM" + "f" * 32, "From": "whatsapp:" + SITI, "Body": "palsu"}
    forged = requests.post(f"{gateway}/in/twilio-wa", data=fields, timeout=10,
                           headers={"X-Twilio-Signature": sign(f"{PUBLIC}/in/twilio-wa", fields, "x" * 32)})
    assert forged.status_code == 403 and forged.json() == {"error": "invalid signature"}
    delivered = siti.send("", MessageStatus="delivered", SmsStatus="delivered", NumMedia="")
    assert twiml(delivered) == []
    threading.Event().wait(0.3)
    assert central.requests == [] and twilio.requests == []
    assert re.fullmatch(r"<\?xml[^>]*\?><Response />", delivered.text)

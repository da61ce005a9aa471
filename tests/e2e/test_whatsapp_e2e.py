"""WhatsApp Cloud API end to end: signed webhooks over real HTTP to the gateway served on
loopback -> Redis -> forwarder -> central receiver; the acknowledgement out through the
notifier to a local stand-in for graph.facebook.com; a follow-up photo joins the complaint
(an event, then the media worker's download through the Graph API's two steps); a signed
status callback from the central system, the notice to the citizen, and CEK answering the
new status."""
from __future__ import annotations

import hashlib
import json
import re
import time

import pytest
import requests

from config import messages
from gateway.replytexts import colour_label
from normalizer import tracking
from tests.channels.whatsapp_support import (ACCESS_TOKEN, CASES, PHONE_NUMBER_ID, environ_for,
                                             meta_bytes, signature)
from tests.e2e.conftest import central_bodies
from tests.helpers import Receiver, wait_for

SITI = "6281234567890"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 16 + b"\xff\xd9"
MEDIA_ID = "1104480873777230"


class GraphStandIn(Receiver):
    """graph.facebook.com on loopback, answering by path as the Graph API does: the
    messages endpoint, the media lookup, and the short-lived media download URL."""

    def __init__(self, media: dict[str, tuple[bytes, str]]):
        self.media = media
        self.sent = 0
        super().__init__()

    @property
    def default(self):                  # read by the handler right after recording the request
        request = self.requests[-1]
        path = request["path"]
        if request["method"] == "POST" and path == f"/v25.0/{PHONE_NUMBER_ID}/messages":
            self.sent += 1
            return 200, {"Content-Type": "application/json"}, {
                "messaging_product": "whatsapp", "contacts": [{"input": SITI, "wa_id": SITI}],
                "messages": [{"id": f"wamid.HBgNNjI4MTIzNDU2Nzg5MBEAGBI{self.sent:06d}"}]}
        media_id = path.rsplit("/", 1)[-1]
        if request["method"] == "GET" and path.startswith("/v25.0/") and media_id in self.media:
            data, mime = self.media[media_id]
            return 200, {"Content-Type": "application/json"}, {
                "messaging_product": "whatsapp", "mime_type": mime, "id": media_id,
                "url": f"{self.url}/whatsapp_business/attachments/?mid={media_id}&ext=1795517259&hash=ATu",
                "sha256": hashlib.sha256(data).hexdigest(), "file_size": str(len(data))}
        found = re.fullmatch(r"/whatsapp_business/attachments/\?mid=(\d+)&.*", path)
        if request["method"] == "GET" and found and found.group(1) in self.media:
            data, mime = self.media[found.group(1)]
            return 200, {"Content-Type": mime}, data
        return 404, {"Content-Type": "application/json"}, {"error": {"message": "Unknown path", "code": 100}}

    @default.setter
    def default(self, value):
        pass

    def messages_to(self, number: str) -> list[dict]:
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests
                    if r["method"] == "POST" and json.loads(r["body"]).get("to") == number]


@pytest.fixture
def graph():
    with GraphStandIn({MEDIA_ID: (PHOTO, "image/jpeg")}) as running:
        yield running


@pytest.fixture
def environ(environ, graph):
    environ.update(environ_for(graph.url + "/v25.0"))
    return environ


def deliver(gateway: str, wamid: str, timestamp: str, **content) -> requests.Response:
    """POST one messages webhook for Siti, serialized and signed the way Meta does."""
    body = json.loads(json.dumps(CASES["text"]["request"]["body"]))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(id=wamid, timestamp=timestamp, **content)
    raw = meta_bytes(body)
    return requests.post(f"{gateway}/in/wa-cloud", data=raw, timeout=10, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature(raw)})


def test_whatsapp_complaint_photo_status_and_cek(gateway, central, graph, forwarder, notifier,
                                                 media_worker, status_callback, settings):
    # 1. the complaint: to central, the acknowledgement back on WhatsApp
    text = "Jalan rusak parah di Desa Sukamaju, mohon segera diperbaiki"
    first = deliver(gateway, "wamid.E2E-TEXT-0001", "1795516959", type="text", text={"body": text})
    assert first.status_code == 200
    [complaint] = wait_for(lambda: central_bodies(central, "/"), message="complaint at central")
    assert (complaint["door"], complaint["channel"], complaint["body"]) == ("wa-cloud", "whatsapp", text)
    assert complaint["reporter"]["contact"] == "+" + SITI and complaint["reporter"]["name"] == "Siti Aminah"
    assert complaint["provider_message_ids"] == ["wamid.E2E-TEXT-0001"]
    number = complaint["tracking_number"]
    [ack] = wait_for(lambda: graph.messages_to(SITI), message="acknowledgement on WhatsApp")
    assert ack["type"] == "text" and ack["text"]["body"] == messages.text(
        "ack", tracking=tracking.display(number), compact=number,
        due=messages.format_date(complaint["service_level"]["due_date"]))
    ack_request = next(r for r in graph.requests if r["method"] == "POST")
    assert ack_request["headers"]["authorization"] == f"Bearer {ACCESS_TOKEN}"

    # 2. a photo a minute later joins the complaint; the media worker downloads it
    photo = deliver(gateway, "wamid.E2E-PHOTO-0002", "1795517019", type="image",
                    image={"mime_type": "image/jpeg", "id": MEDIA_ID, "caption": "ini fotonya",
                           "sha256": "d2hhdGV2ZXIgTWV0YSBzZW5kcyBoZXJl"})
    assert photo.status_code == 200
    events = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(central_bodies(central, "/events")),
                      timeout=15, message="follow-up and media events at central")
    by_type = {event["type"]: event for event in events}
    followup, media = by_type["followup"], by_type["media"]
    assert followup["complaint_id"] == media["complaint_id"] == complaint["id"]
    assert followup["body"] == "ini fotonya" and followup["provider_message_id"] == "wamid.E2E-PHOTO-0002"
    assert followup["attachments"][0]["provider_ref"] == MEDIA_ID
    [stored] = media["attachments"]
    assert stored["sha256"] == hashlib.sha256(PHOTO).hexdigest() and stored["size"] == len(PHOTO)
    assert stored["content_type"] == "image/jpeg"
    digest = stored["sha256"]
    assert (settings.data_dir / "attachments" / digest[:2] / digest).read_bytes() == PHOTO
    assert len(central_bodies(central, "/")) == 1                     # no second complaint
    replies = wait_for(lambda: (lambda m: m if len(m) == 2 else None)(graph.messages_to(SITI)),
                       message="follow-up acknowledgement")
    assert replies[1]["text"]["body"] == messages.text("ack_followup", tracking=tracking.display(number))

    # 3. central says "proses": the citizen is told on WhatsApp, and CEK answers the same
    answer = status_callback(number, "proses", "Dinas PU PERA", due_date="2027-02-19")
    assert answer.status_code == 200 and answer.json() == {"ok": True, "notified": True}
    notice = wait_for(lambda: (lambda m: m[2] if len(m) >= 3 else None)(graph.messages_to(SITI)),
                      message="status notice on WhatsApp")
    assert notice["type"] == "text"
    for part in (tracking.display(number), messages.status_label("proses"), "Dinas PU PERA", "19-02-2027"):
        assert part in notice["text"]["body"]
    cek = deliver(gateway, "wamid.E2E-CEK-0003", "1795520000", type="text",
                  text={"body": f"CEK {number}"})
    assert cek.status_code == 200
    status = wait_for(lambda: (lambda m: m[3] if len(m) >= 4 else None)(graph.messages_to(SITI)),
                      message="CEK answer on WhatsApp")
    assert status["text"]["body"] == messages.text(
        "status", tracking=tracking.display(number), status=messages.status_label("proses"),
        agency="Dinas PU PERA", due="19-02-2027",
        colour=colour_label({"classification": "pengaduan", "due_date": "2027-02-19"}, "id"))
    assert len(central_bodies(central, "/")) == 1 and len(central_bodies(central, "/events")) == 2


def test_handshake_and_forged_delivery_over_http(gateway, central, forwarder, parts):
    token = environ_for()["LAPOR_WHATSAPP_VERIFY_TOKEN"]
    shake = requests.get(f"{gateway}/in/wa-cloud", timeout=10, params={
        "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"})
    assert (shake.status_code, shake.text) == (200, "1158201444")
    raw = meta_bytes(CASES["text"]["request"]["body"])
    forged = requests.post(f"{gateway}/in/wa-cloud", data=raw, timeout=10, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature(raw, "not-the-app-secret")})
    assert forged.status_code == 403 and forged.json() == {"error": "invalid signature"}
    genuine = requests.post(f"{gateway}/in/wa-cloud", data=raw, timeout=10, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature(raw)})
    assert genuine.status_code == 200
    wait_for(lambda: central.requests, message="the genuine delivery at central")
    time.sleep(0.3)
    assert len(central.requests) == 1 and len(parts.store.redis.keys("lapor:c:*")) == 1

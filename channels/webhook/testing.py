"""The webhook door's test sender (``channels.testing``): an agency app's JSON report, mapped
by the issue's JSON Pointers, signed as Standard Webhooks says by the ``standardwebhooks``
package itself (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>``
under a ``whsec_`` secret); a recorded case signed as its ``request.signature`` says."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from standardwebhooks import Webhook

from channels.testing import Request, Sender, json_bytes

SECRET = "whsec_" + base64.b64encode(b"security-webhook-door-secret-32b").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"a-webhook-secret-of-nobody-32byt").decode()
PATH = "/in/agency-app"
#: the issue's mapping, every field
MAPPING = {"text": "/laporan/isi", "sender": "/pelapor/hp", "sender_name": "/pelapor/nama",
           "message_id": "/id", "title": "/laporan/judul", "classification": "/jenis",
           "location_text": "/lokasi/alamat", "latitude": "/lokasi/lat", "longitude": "/lokasi/lng",
           "anonymous": "/anonim", "confidential": "/rahasia", "attachments": "/lampiran"}


def signature(secret: str, msg_id: str, stamp: int, raw: bytes) -> str:
    """``v1,<base64>`` over ``<id>.<timestamp>.<body>``: the library's own ``sign`` for a
    text body; for bytes that are not UTF-8 (which the library cannot take) the same HMAC
    over the bytes, as the specification defines it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, timezone.utc), text)


def headers_for(raw: bytes, msg_id: str, secret: str = SECRET, shift: timedelta = timedelta()) -> dict:
    stamp = int((datetime.now(timezone.utc) + shift).timestamp())
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp),
            "webhook-signature": signature(secret, msg_id, stamp, raw)}


def case_headers(case: dict, raw: bytes, secret: str) -> dict:
    """A case's headers, signed as its ``signature`` says: valid, forged (another secret),
    missing, tampered (for another body), stale (6 minutes old), other_id."""
    spec = case.get("request", case)
    kind, msg_id = spec["signature"], spec.get("webhook_id", "msg_case")
    if kind == "missing":
        return {}
    if kind == "forged":
        return headers_for(raw, msg_id, "whsec_" + base64.b64encode(b"another-apps-secret-32-bytes-abc").decode())
    if kind == "tampered":
        return headers_for(raw.replace(b"Jalan", b"Jalur"), msg_id, secret)
    if kind == "stale":
        return headers_for(raw, msg_id, secret, timedelta(minutes=-6))
    if kind == "other_id":
        return {**headers_for(raw, msg_id, secret), "webhook-id": msg_id + "x"}
    return headers_for(raw, msg_id, secret)


class WebhookSender(Sender):
    """An agency app's report to a webhook door, signed with the door's secret."""
    door = {"id": "agency-app", "channel": "webhook", "agency": "Pemprov Jawa Barat", "label": "Aplikasi Sapa Warga",
            "credentials": {"secret": "LAPOR_SEC_WEBHOOK_SECRET"}, "options": {"mapping": MAPPING}}
    environ = {"LAPOR_SEC_WEBHOOK_SECRET": SECRET}
    secrets = (SECRET, SECRET.removeprefix("whsec_"))
    inline = True
    forgeries = ("none", "wrong", "other_body", "stale")
    signature_headers = ("webhook-id", "webhook-timestamp", "webhook-signature")
    structured = True        # each report is a complaint of its own (docs/decisions.md)

    def payload(self, text: str, n: int, **extra) -> dict:
        return {"id": f"SW-{n:06d}", "jenis": "pengaduan",
                "laporan": {"isi": text, "judul": "Laporan warga"},
                "pelapor": {"hp": f"0812{n:08d}", "nama": "Siti Aminah"},
                "lokasi": {"alamat": "Jl. Merdeka 10, Bandung", "lat": -6.9147, "lng": 107.6098},
                "anonim": False, "rahasia": False, **extra}

    @staticmethod
    def serialize(payload) -> bytes:
        return json_bytes(payload)

    def _build(self, raw: bytes, headers: dict, expected: str = "") -> Request:
        return Request("POST", PATH, body=raw, headers=headers, content_type="application/json",
                       secrets=tuple(value for value in (expected, expected[3:]) if value))

    def signed(self, body: bytes) -> Request:
        msg_id = "msg_" + hashlib.sha256(body).hexdigest()[:24]
        headers = headers_for(body, msg_id)
        return self._build(body, headers, headers["webhook-signature"])

    def request(self, text: str, n: int) -> Request:
        return self.signed(self.serialize(self.payload(text, n)))

    def forged(self, kind: str, text: str, n: int) -> Request:
        raw = self.serialize(self.payload(text, n))
        msg_id = f"msg_forged_{n}"
        expected = headers_for(raw, msg_id)["webhook-signature"]
        if kind == "none":
            return self._build(raw, {}, expected)
        if kind == "wrong":
            return self._build(raw, headers_for(raw, msg_id, OTHER_SECRET), expected)
        if kind == "other_body":
            return self._build(raw, headers_for(self.serialize(self.payload(text + "!", n)), msg_id), expected)
        if kind == "stale":
            return self._build(raw, headers_for(raw, msg_id, shift=timedelta(minutes=-6)), expected)
        raise ValueError(kind)

    def case_request(self, table: dict, case: dict) -> Request:
        spec = case["request"]
        raw = bytes.fromhex(spec["body_hex"]) if "body_hex" in spec else json_bytes(spec["body"])
        headers = case_headers(case, raw, table["webhook_secret"])
        expected = headers_for(raw, spec.get("webhook_id", "msg_case"), table["webhook_secret"])
        return Request("POST", f"/in/{case.get('door', table['door'])}", body=raw, headers=headers,
                       content_type="application/json", secrets=(expected["webhook-signature"][3:],))

    def thread(self, text: str, message_no: int, n: int) -> Request:
        """An anonymous report (the app's ``anonim`` field), then a second one from the same
        reporter with an attachment: each its own complaint (reports are structured)."""
        extra = {"anonim": True, "id": f"SW-{message_no}-{n:06d}"}
        if message_no > 1:
            extra["lampiran"] = [f"https://sapawarga.example.go.id/f/{n}/bukti-{message_no}.jpg"]
        return self.signed(self.serialize(self.payload(text, n, **extra)))

    def thread_identifiers(self, n: int) -> list[str]:
        return [f"SW-1-{n:06d}", f"SW-2-{n:06d}", f"/f/{n}/bukti", "Siti Aminah"]

    def tracking_of(self, response, replies=()) -> str:
        return (response.get_json(silent=True) or {}).get("tracking_number", "")


SENDER = WebhookSender()

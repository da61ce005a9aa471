"""The webhook door's tests' shared parts: an agency app's door (the issue's mapping), its
``whsec_`` secret, and requests signed as a Standard Webhooks sender signs them, by the
``standardwebhooks`` package itself."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from standardwebhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"sapa-warga-webhook-secret-32byte").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-apps-secret-of-32-bytes!").decode()
DOOR_ID = "sapa-warga"
SECRET_VARIABLE = "LAPOR_SAPA_WARGA_SECRET"
#: the mapping of the issue, every field
MAPPING = {"text": "/laporan/isi", "sender": "/pelapor/hp", "sender_name": "/pelapor/nama",
           "message_id": "/id", "title": "/laporan/judul", "classification": "/jenis",
           "location_text": "/lokasi/alamat", "latitude": "/lokasi/lat", "longitude": "/lokasi/lng",
           "anonymous": "/anonim", "confidential": "/rahasia", "attachments": "/lampiran"}


def door(mapping: dict | None = None, **options) -> dict:
    return {"id": DOOR_ID, "channel": "webhook", "agency": "Pemprov Jawa Barat",
            "label": "Sapa Warga", "credentials": {"secret": SECRET_VARIABLE},
            "options": {"mapping": mapping or MAPPING, **options}}


def doors_file(tmp_path, *doors: dict) -> str:
    path = tmp_path / "webhook-doors.json"
    path.write_text(json.dumps({"extends": "defaults", "doors": list(doors)}), "utf-8")
    return str(path)


def report(text: str = "Jalan di depan SDN 3 berlubang besar sejak Januari", n: int = 1, **extra) -> dict:
    """An agency app's report, shaped as the issue's mapping reads it."""
    body = {"id": f"SW-{n:06d}", "laporan": {"isi": text, "judul": "Jalan rusak"},
            "pelapor": {"hp": f"0812{n:08d}", "nama": "Siti Aminah"}, "jenis": "pengaduan",
            "lokasi": {"alamat": "Jl. Merdeka 10, Bandung", "lat": -6.9147, "lng": 107.6098},
            "anonim": False, "rahasia": False}
    body.update(extra)
    return body


def signed_headers(raw: bytes, msg_id: str, secret: str = SECRET, when: datetime | None = None) -> dict:
    when = when or datetime.now(timezone.utc)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, when, raw.decode("utf-8")),
            "Content-Type": "application/json"}


def post(client, body, msg_id: str = "msg_2Lz1", secret: str = SECRET, when=None,
         headers: dict | None = None, door_id: str = DOOR_ID):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = signed_headers(raw, msg_id, secret, when) if headers is None else headers
    return client.post(f"/in/{door_id}", data=raw, headers=sent)


def stale(minutes: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


# ----- the gateway side -------------------------------------------------------------------------------------
def gateway(environ: dict):
    """(Flask test client, parts) of a gateway built on ``environ`` (real Redis)."""
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    parts = build_parts(load_settings(environ))
    return create_app(parts=parts).test_client(), parts


def complaints(parts) -> list[dict]:
    """The complaints queued for the central system, oldest first."""
    from forwarder.topology import COMPLAINTS
    from tests.helpers import queued_bodies

    return queued_bodies(parts.store.redis, COMPLAINTS)


def nothing_recorded(parts) -> None:
    """No ledger entry, dedup key, complaint, reply or media job."""
    from forwarder.topology import MEDIA, REPLIES

    assert not list(parts.store.redis.scan_iter("lapor:c:*"))
    assert complaints(parts) == []
    assert parts.store.redis.llen(REPLIES) == 0 and parts.store.redis.llen(MEDIA) == 0
    assert not list(parts.store.redis.scan_iter("lapor:dedup:*"))

"""The generic signed webhook door, end to end through the real gateway and Redis: Standard
Webhooks signatures (checked by the ``standardwebhooks`` package), the JSON Pointer mapping,
duplicates, the answers, and nothing recorded or queued for a refused request."""
from __future__ import annotations

import json

import pytest

from forwarder.topology import MEDIA, REPLIES
from tests.channels import webhook_support as wh
from tests.channels.cases_checks import ledger_count
from tests.channels.webhook_support import complaints, nothing_recorded
from tests.channels.webhook_support import gateway as _gateway
from tests.helpers import queued_bodies

PUBLIC = "https://lapor.example.go.id"


@pytest.fixture
def environ(environ, tmp_path):
    environ.update(LAPOR_DOORS_FILE=wh.doors_file(tmp_path, wh.door()),
                   **{wh.SECRET_VARIABLE: wh.SECRET}, LAPOR_PUBLIC_BASE_URL=PUBLIC)
    return environ


# ----- a new complaint, every field ------------------------------------------------------------
def test_a_signed_report_becomes_a_complaint_with_every_mapped_field(client, parts):
    answer = wh.post(client, wh.report(jenis="Aspirasi", lampiran=["https://cdn.sapawarga.example/f/jalan.jpg"]))
    assert answer.status_code == 201, answer.data
    data = answer.get_json()
    number = data["tracking_number"]
    assert data["status_url"] == f"{PUBLIC}/api/v1/complaints/{number}"
    [complaint] = complaints(parts)
    assert complaint["tracking_number"] == number
    assert complaint["door"] == wh.DOOR_ID and complaint["channel"] == "webhook"
    assert complaint["door_agency"] == "Pemprov Jawa Barat"
    assert complaint["body"] == "Jalan di depan SDN 3 berlubang besar sejak Januari"
    assert complaint["title"] == "Jalan rusak"
    assert complaint["classification"] == "aspirasi"
    assert complaint["provider_message_ids"] == ["SW-000001"]        # message_id beats webhook-id
    assert complaint["reporter"]["name"] == "Siti Aminah"
    assert complaint["reporter"]["contact"] == "+6281200000001"
    assert complaint["location"]["text"] == "Jl. Merdeka 10, Bandung"
    assert (complaint["location"]["latitude"], complaint["location"]["longitude"]) == (-6.9147, 107.6098)
    assert complaint["privacy"] == {"anonymous": False, "confidential": False}
    [item] = complaint["attachments"]
    assert item["provider_ref"] == "https://cdn.sapawarga.example/f/jalan.jpg"
    assert (item["kind"], item["content_type"]) == ("image", "image/jpeg")
    [job] = queued_bodies(parts.store.redis, MEDIA)      # the media worker fetches it later
    assert job["provider_ref"] == item["provider_ref"]
    assert parts.store.redis.llen(REPLIES) == 0          # the 201 answer is the acknowledgement


@pytest.mark.parametrize("word, expected", [
    ("pengaduan", "pengaduan"), ("PENGADUAN", "pengaduan"), ("complaint", "pengaduan"),
    ("aspirasi", "aspirasi"), ("aspiration", "aspirasi"),
    ("permintaan informasi", "permintaan_informasi"), ("Permintaan_Informasi", "permintaan_informasi"),
    ("information request", "permintaan_informasi"), ("request for information", "permintaan_informasi"),
    (None, "pengaduan")])
def test_classification_names_in_indonesian_and_english(client, parts, word, expected):
    answer = wh.post(client, wh.report(jenis=word))
    assert answer.status_code == 201, answer.data
    assert complaints(parts)[0]["classification"] == expected


def test_only_text_is_required_and_webhook_id_is_the_message_id(tmp_path, environ):
    environ["LAPOR_DOORS_FILE"] = wh.doors_file(tmp_path, wh.door({"text": "/data/0/pesan"}))
    client, parts = _gateway(environ)
    answer = wh.post(client, {"data": [{"pesan": "Lampu jalan mati"}]}, msg_id="msg_only_text")
    assert answer.status_code == 201, answer.data
    [complaint] = complaints(parts)
    assert complaint["body"] == "Lampu jalan mati" and complaint["classification"] == "pengaduan"
    assert complaint["provider_message_ids"] == ["msg_only_text"]
    assert complaint["reporter"]["kind"] == "none" and complaint["reporter"]["contact"] is None
    again = wh.post(client, {"data": [{"pesan": "Lampu jalan mati"}]}, msg_id="msg_only_text")
    assert again.status_code == 200 and again.get_json()["tracking_number"] == \
        answer.get_json()["tracking_number"]


def test_anonymous_and_confidential_keep_the_identity_out_and_key_the_ids(client, parts):
    answer = wh.post(client, wh.report(anonim=True), msg_id="msg_anon")
    assert answer.status_code == 201
    answer = wh.post(client, wh.report(n=2, rahasia="ya"), msg_id="msg_conf")
    assert answer.status_code == 201
    anonymous, confidential = complaints(parts)
    assert anonymous["privacy"]["anonymous"] and confidential["privacy"]["confidential"]
    for complaint in (anonymous, confidential):
        assert complaint["reporter"]["name"] is None and complaint["reporter"]["contact"] is None
        assert complaint["provider_message_ids"][0].startswith("k-")      # keyed, as every door
        text = json.dumps(complaint)
        # the number in every form (0812..., 62812..., +62812...); "0812" alone also turns up
        # by chance in random hex ids and tracking numbers (a fresh-clone run failed on it)
        assert "Siti" not in text and "SW-00000" not in text and "81200000" not in text


# ----- duplicates --------------------------------------------------------------------------------
def test_the_same_webhook_id_again_answers_200_with_the_same_number(client, parts):
    first = wh.post(client, wh.report(id=None), msg_id="msg_retry")
    again = wh.post(client, wh.report(id=None), msg_id="msg_retry")      # signed anew, later
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["tracking_number"] == first.get_json()["tracking_number"]
    assert again.get_json()["duplicate"] is True
    assert len(complaints(parts)) == 1 and ledger_count(parts) == 1


def test_a_replayed_request_is_one_complaint(client, parts):
    """The very same bytes and headers sent again (an attacker's replay within the
    5 minutes) find the dedup key: 200, the same number, nothing more queued."""
    raw = json.dumps(wh.report()).encode()
    headers = wh.signed_headers(raw, "msg_replay")
    first = wh.post(client, raw, headers=headers)
    replayed = [wh.post(client, raw, headers=headers) for _ in range(3)]
    assert first.status_code == 201 and {r.status_code for r in replayed} == {200}
    assert len(complaints(parts)) == 1


def test_the_same_id_with_another_body_is_refused(client, parts):
    assert wh.post(client, wh.report(), msg_id="msg_a").status_code == 201
    other = wh.post(client, wh.report("Teks yang lain sama sekali"), msg_id="msg_b")  # same /id
    assert other.status_code == 422
    assert len(complaints(parts)) == 1


# ----- signatures ---------------------------------------------------------------------------------
def _headers(**changes) -> tuple[bytes, dict]:
    raw = json.dumps(wh.report()).encode()
    headers = wh.signed_headers(raw, "msg_sig")
    headers.update(changes)
    return raw, {k: v for k, v in headers.items() if v is not None}


@pytest.mark.parametrize("name, build, reason", [
    ("missing signature", lambda: _headers(**{"webhook-signature": None}), "missing signature headers"),
    ("missing id", lambda: _headers(**{"webhook-id": None}), "missing signature headers"),
    ("missing timestamp", lambda: _headers(**{"webhook-timestamp": None}), "missing signature headers"),
    ("another secret", lambda: (json.dumps(wh.report()).encode(),
                                wh.signed_headers(json.dumps(wh.report()).encode(), "m", wh.OTHER_SECRET)),
     "invalid signature"),
    ("another body", lambda: (json.dumps(wh.report("ubah")).encode(), _headers()[1]), "invalid signature"),
    ("another id", lambda: _headers(**{"webhook-id": "msg_other"}), "invalid signature"),
    ("six minutes old", lambda: (json.dumps(wh.report()).encode(),
                                 wh.signed_headers(json.dumps(wh.report()).encode(), "m", when=wh.stale(-6))),
     "timestamp outside the 5-minute tolerance"),
    ("six minutes ahead", lambda: (json.dumps(wh.report()).encode(),
                                   wh.signed_headers(json.dumps(wh.report()).encode(), "m", when=wh.stale(6))),
     "timestamp outside the 5-minute tolerance"),
    ("timestamp not digits", lambda: _headers(**{"webhook-timestamp": "1.8e9"}), "malformed signature headers"),
    ("v2 scheme", lambda: _headers(**{"webhook-signature": "v2,AAAA"}), "malformed signature headers"),
    ("bad base64", lambda: _headers(**{"webhook-signature": "v1,AAAAA"}), "malformed signature headers"),
])
def test_bad_missing_or_stale_signatures_are_401_and_record_nothing(client, parts, caplog, name, build, reason):
    raw, headers = build()
    answer = wh.post(client, raw, headers=headers)
    assert answer.status_code == 401, (name, answer.data)
    assert answer.get_json() == {"error": reason}
    body_text = answer.get_data(as_text=True)
    assert wh.SECRET not in body_text and "Jalan" not in body_text
    assert headers.get("webhook-signature", "v1,")[3:] not in body_text or not headers.get("webhook-signature")
    assert wh.SECRET not in caplog.text
    nothing_recorded(parts)


def test_within_the_tolerance_is_taken(client, parts):
    assert wh.post(client, wh.report(), when=wh.stale(-4)).status_code == 201


# ----- mapping and bad input -------------------------------------------------------------------------
@pytest.mark.parametrize("body, status, reason", [
    ({"laporan": {"judul": "x"}}, 422, "no text at '/laporan/isi'"),
    ({"laporan": {"isi": "   "}}, 422, "no text at '/laporan/isi'"),
    ({"laporan": "isi"}, 422, "no text at '/laporan/isi'"),
    ({"laporan": {"isi": ["a"]}}, 422, "text at '/laporan/isi' must be a string"),
    ({"laporan": {"isi": "ok"}, "jenis": "keluhan"}, 422, None),
    ({"laporan": {"isi": "ok"}, "anonim": "mungkin"}, 422, "anonymous at '/anonim' must be true or false"),
    ({"laporan": {"isi": "ok"}, "lokasi": {"lat": "utara", "lng": 107}}, 422,
     "latitude at '/lokasi/lat' must be a number within +-90"),
    ({"laporan": {"isi": "ok"}, "lokasi": {"lat": 91, "lng": 107}}, 422,
     "latitude at '/lokasi/lat' must be a number within +-90"),
    ({"laporan": {"isi": "ok"}, "lokasi": {"lat": -6.9}}, 422,
     "latitude at '/lokasi/lat' and longitude at '/lokasi/lng' must be given together"),
    ({"laporan": {"isi": "ok"}, "pelapor": {"hp": {"no": 1}}}, 422, "sender at '/pelapor/hp' must be a string"),
    ({"laporan": {"isi": "ok"}, "pelapor": {"hp": "bukan nomor"}}, 422, None),
    ({"laporan": {"isi": "ok"}, "lampiran": "https://x.example/a.jpg"}, 422, None),
    ({"laporan": {"isi": "ok"}, "lampiran": ["http://x.example/a.jpg"]}, 422, None),
    ({"laporan": {"isi": "ok"}, "lampiran": ["https://x.example/1"] * 4}, 422, "attachments at '/lampiran': at most 3"),
    ([1, 2], 422, "no text at '/laporan/isi'"),
])
def test_bodies_the_mapping_cannot_read_are_422_naming_the_pointer(client, parts, body, status, reason):
    answer = wh.post(client, body)
    assert answer.status_code == status, answer.data
    error = answer.get_json()["error"]
    if reason:
        assert error == reason
    assert "'/" in error                                  # the pointer is named
    nothing_recorded(parts)


@pytest.mark.parametrize("raw", [b"{", b"", b"[" * 5000 + b"]" * 5000, b'{"a": 1' + b"0" * 400 + b"}"])
def test_malformed_json_is_400_and_records_nothing(client, parts, raw):
    answer = wh.post(client, raw)                        # properly signed
    assert answer.status_code == 400 and answer.get_json() == {"error": "body is not valid JSON"}
    nothing_recorded(parts)


def test_a_body_that_is_not_utf8_is_400_and_records_nothing(client, parts):
    headers = wh.signed_headers(b"{}", "msg_bytes")      # signed headers, bytes no signer writes
    answer = wh.post(client, b'{"laporan": {"isi": "\xff\xfe"}}', headers=headers)
    assert answer.status_code == 400 and answer.get_json() == {"error": "body is not valid JSON"}
    nothing_recorded(parts)


def test_a_long_text_is_kept_cut_and_flagged(tmp_path, environ):
    environ["LAPOR_MAX_TEXT_CHARS"] = "200"
    client, parts = _gateway(environ)
    assert wh.post(client, wh.report("a" * 250)).status_code == 201
    [complaint] = complaints(parts)
    assert complaint["body"] == "a" * 200 and "text_truncated_from_250_chars" in complaint["flags"]


def test_an_oversized_body_is_413(tmp_path, environ):
    environ["LAPOR_MAX_BODY_BYTES"] = "2048"
    client, parts = _gateway(environ)
    answer = wh.post(client, wh.report("x" * 4000))
    assert answer.status_code == 413
    nothing_recorded(parts)


@pytest.mark.parametrize("variant", [" {}", "{}.0", "{}.9", "0{}", "+{}", "{}\u00a0"])
def test_a_timestamp_the_library_alone_would_read_is_refused_unless_canonical(client, parts, variant):
    """``standardwebhooks`` reads the stamp with ``float()`` and signs its floor: the same
    signature would pass with `` T``, ``T.0``, ``0T``, ``+T``. Only plain digits are taken."""
    raw = json.dumps(wh.report()).encode()
    headers = wh.signed_headers(raw, "msg_stamp")
    headers["webhook-timestamp"] = variant.format(headers["webhook-timestamp"])
    answer = wh.post(client, raw, headers=headers)
    assert answer.status_code == 401 and answer.get_json() == {"error": "malformed signature headers"}
    nothing_recorded(parts)

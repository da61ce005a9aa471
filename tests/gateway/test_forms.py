"""The web form through Flask's test client, on a real Redis: what a citizen sees and what
reaches the queue (exactly one complaint, or nothing half-made)."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re

import pytest
import redis

from config import messages
from normalizer import tracking
from tests.gateway.support import TRACKING, png_bytes, queue_length, queued, store_keys

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')
PHONE = "0812 3456 7890"


@pytest.fixture
def environ(environ):
    environ.update(LAPOR_MAX_BODY_BYTES=str(256 * 1024), LAPOR_MAX_ATTACHMENT_BYTES=str(64 * 1024),
                   LAPOR_MAX_ATTACHMENTS="3")
    return environ


def open_form(client, query: str = ""):
    page = client.get("/lapor" + query)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return CSRF.search(text).group(1), SUBMISSION.search(text).group(1)


def fields(csrf: str, submission_id: str, **overrides) -> dict:
    data = {"csrf_token": csrf, "submission_id": submission_id, "classification": "pengaduan",
            "title": "Jalan berlubang", "body": "Jalan di depan SDN 3 Sukajadi berlubang besar.",
            "name": "Siti Aminah", "contact": PHONE, "location": "Jl. Merdeka 10, Bandung"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_block(html: str, name: str) -> str:
    """The HTML of one field's block (from its id to the next block)."""
    start = html.index(f'id="f-{name}"')
    end = html.find('id="f-', start + 1)
    return html[start:end if end > 0 else len(html)]


def nothing_recorded(redis_url: str) -> bool:
    return queue_length(redis_url) == 0 and not store_keys(redis_url, "lapor:c:*") \
        and not store_keys(redis_url, "lapor:dedup:*")


def test_form_page_is_indonesian_with_csrf_and_security_headers(client):
    page = client.get("/lapor")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert CSRF.search(html) and len(SUBMISSION.search(html).group(1)) >= 16
    assert '<html lang="id">' in html and 'name="viewport"' in html
    for text in ("Sampaikan laporan Anda", "Pengaduan", "Aspirasi", "Permintaan Informasi",
                 "Anonim", "Rahasia", 'type="file"', "multiple", 'enctype="multipart/form-data"',
                 "nama dan kontak tidak dikirim"):
        assert text in html, text
    assert "<script" not in html and "style=" not in html   # nothing the CSP would block
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] and page.headers["Cache-Control"] == "no-store"
    # a fresh one-time submission id per page
    assert SUBMISSION.search(client.get("/lapor").get_data(as_text=True)).group(1) != \
        SUBMISSION.search(html).group(1)


def test_form_in_english_and_style_sheet_served(client):
    html = client.get("/lapor?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Submit your report" in html
    assert 'name="language" value="en"' in html
    style = client.get("/lapor/static/style.css")
    assert style.status_code == 200 and style.mimetype == "text/css"
    assert style.headers["X-Content-Type-Options"] == "nosniff"


def test_valid_submission_with_photo_queues_exactly_one_complaint(client, redis_url, settings):
    csrf, submission_id = open_form(client)
    image = png_bytes()
    data = fields(csrf, submission_id, confidential=None)
    data["attachments"] = [(io.BytesIO(image), "foto jalan.png")]
    page = client.post("/lapor", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    shown = TRACKING.search(html).group(1)
    assert tracking.is_valid(shown)
    for text in ("Laporan Anda diterima", "Batas tindak lanjut", "Admin nasional LAPOR!",
                 "instansi yang berwenang", f"CEK {tracking.compact(shown)}", "1708",
                 f"/lapor/cek?nomor={tracking.compact(shown)}"):
        assert text in html, text
    assert queue_length(redis_url) == 1
    [complaint] = queued(redis_url)
    assert complaint["tracking_number"] == tracking.compact(shown)
    assert complaint["door"] == "web" and complaint["channel"] == "web"
    assert complaint["classification"] == "pengaduan"
    assert complaint["privacy"] == {"anonymous": False, "confidential": False}
    assert complaint["reporter"]["contact"] == "+6281234567890"
    assert complaint["reporter"]["name"] == "Siti Aminah" and complaint["reporter"]["kind"] == "phone"
    assert complaint["title"] == "Jalan berlubang" and complaint["location"]["text"].startswith("Jl. Merdeka")
    [attachment] = complaint["attachments"]
    digest = hashlib.sha256(image).hexdigest()
    assert attachment["sha256"] == digest and attachment["content_type"] == "image/png"
    assert attachment["stored_ref"] == f"attachment:{digest}" and attachment["filename"] == "foto jalan.png"
    stored = settings.data_dir / "attachments" / digest[:2] / digest
    assert stored.read_bytes() == image
    assert complaint["service_level"]["due_date"].replace("-", "") != ""
    day, month, year = re.search(r"Batas tindak lanjut: (\d\d)-(\d\d)-(\d{4})", html).groups()
    assert complaint["service_level"]["due_date"] == f"{year}-{month}-{day}"


def test_bad_field_shows_message_by_the_field_keeps_text_and_records_nothing(client, redis_url):
    csrf, submission_id = open_form(client)
    data = fields(csrf, submission_id, body="rusak", title="Pungli di <sekolah>",
                  contact="rumah pak RT")
    page = client.post("/lapor", data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Ada isian yang perlu diperbaiki" in html
    assert "paling sedikit 10 karakter" in field_block(html, "body")
    assert ">rusak</textarea>" in field_block(html, "body")
    assert "Tulis nomor HP" in field_block(html, "contact")
    assert 'value="rumah pak RT"' in field_block(html, "contact")
    assert 'value="Pungli di &lt;sekolah&gt;"' in html          # kept, and escaped
    assert 'value="Siti Aminah"' in html
    assert f'name="submission_id" value="{submission_id}"' in html   # same one-time id
    assert CSRF.search(html)
    assert nothing_recorded(redis_url)


def test_oversized_attachment_is_a_field_error_and_nothing_is_saved(client, redis_url, settings):
    csrf, submission_id = open_form(client)
    data = fields(csrf, submission_id)
    data["attachments"] = [(io.BytesIO(png_bytes() + b"\0" * (100 * 1024)), "besar.png")]
    page = client.post("/lapor", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Berkas besar.png lebih besar dari 64 KB." in field_block(html, "attachments")
    assert "Jalan di depan SDN 3 Sukajadi" in html
    assert nothing_recorded(redis_url)
    assert not [path for path in (settings.data_dir / "attachments").rglob("*") if path.is_file()]


def test_request_over_the_body_limit_gets_a_short_indonesian_413(client, redis_url):
    csrf, submission_id = open_form(client)
    data = fields(csrf, submission_id)
    data["attachments"] = [(io.BytesIO(png_bytes() + b"\0" * (300 * 1024)), "raksasa.png")]
    page = client.post("/lapor", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 413 and page.mimetype == "text/html"
    assert "Kiriman terlalu besar (lebih dari 256 KB)" in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert nothing_recorded(redis_url)


def test_html_named_png_is_refused(client, redis_url, settings):
    csrf, submission_id = open_form(client)
    data = fields(csrf, submission_id)
    data["attachments"] = [(io.BytesIO(b"<!doctype html><script>alert(1)</script>"), "foto.png")]
    page = client.post("/lapor", data=data, content_type="multipart/form-data")
    assert page.status_code == 422
    assert "bukan foto (JPEG, PNG, GIF, WebP) atau PDF" in field_block(page.get_data(as_text=True),
                                                                       "attachments")
    assert nothing_recorded(redis_url)
    assert not [path for path in (settings.data_dir / "attachments").rglob("*") if path.is_file()]


@pytest.mark.parametrize("token", [None, "not-a-token", "IjEyMyI.wrong.signature"])
def test_missing_or_wrong_csrf_is_400_and_nothing_is_queued(client, redis_url, token):
    _csrf, submission_id = open_form(client)
    page = client.post("/lapor", data=fields(token, submission_id))
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Formulir sudah kedaluwarsa atau tidak sah" in html
    assert nothing_recorded(redis_url)


def test_csrf_token_from_another_session_is_refused(app, client, redis_url):
    other_csrf, _ = open_form(app.test_client())
    _mine, submission_id = open_form(client)
    assert client.post("/lapor", data=fields(other_csrf, submission_id)).status_code == 400
    assert nothing_recorded(redis_url)


def test_anonymous_complaint_carries_no_name_or_contact(client, redis_url, caplog):
    caplog.set_level(logging.DEBUG)
    csrf, submission_id = open_form(client)
    page = client.post("/lapor", data=fields(csrf, submission_id, anonymous="on",
                                             name="Nama Rahasia", contact="081299887766"))
    assert page.status_code == 200
    [complaint] = queued(redis_url)
    assert complaint["privacy"]["anonymous"] is True
    assert complaint["reporter"]["name"] is None and complaint["reporter"]["contact"] is None
    assert complaint["reporter"]["kind"] == "none"
    everything = json.dumps(complaint) + caplog.text
    store = redis.Redis.from_url(redis_url)
    for key in store_keys(redis_url, "lapor:*"):             # ledger, status, route, ...
        everything += repr(store.dump(key))
    for secret in ("Nama Rahasia", "081299887766", "6281299887766"):
        assert secret not in everything


def test_contact_never_logged_in_clear(client, caplog):
    caplog.set_level(logging.DEBUG)
    csrf, submission_id = open_form(client)
    assert client.post("/lapor", data=fields(csrf, submission_id)).status_code == 200
    assert "6281234567890" not in caplog.text and "Siti Aminah" not in caplog.text


def test_double_submit_gives_the_same_tracking_number_and_one_complaint(client, redis_url):
    csrf, submission_id = open_form(client)
    data = fields(csrf, submission_id)
    first = client.post("/lapor", data=data).get_data(as_text=True)
    second = client.post("/lapor", data=dict(data)).get_data(as_text=True)
    assert TRACKING.search(first).group(1) == TRACKING.search(second).group(1)
    assert "sudah kami terima sebelumnya" in second
    assert queue_length(redis_url) == 1
    # a new page is a new submission
    csrf, another_id = open_form(client)
    third = client.post("/lapor", data=fields(csrf, another_id)).get_data(as_text=True)
    assert TRACKING.search(third).group(1) != TRACKING.search(first).group(1)
    assert queue_length(redis_url) == 2


def test_english_submission_answers_in_english(client, redis_url):
    csrf, submission_id = open_form(client, "?lang=en")
    page = client.post("/lapor?lang=en", data=fields(csrf, submission_id, language="en", body="short"))
    assert page.status_code == 422
    assert "Write your report, at least 10 characters." in page.get_data(as_text=True)
    page = client.post("/lapor?lang=en", data=fields(csrf, submission_id, language="en"))
    html = page.get_data(as_text=True)
    assert "Your report was received" in html and "Follow-up due" in html
    assert queued(redis_url)[0]["language"] == "en"


def test_status_page_found_mistyped_unknown(client, redis_url):
    csrf, submission_id = open_form(client)
    done = client.post("/lapor", data=fields(csrf, submission_id)).get_data(as_text=True)
    shown = TRACKING.search(done).group(1)
    page = client.get(f"/lapor/cek?nomor={shown}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in (shown, messages.status_label("diterima"), "Pengaduan", "Formulir web LAPOR!", "WIB",
                 "belum ditentukan"):
        assert text in html, text
    for personal in ("Siti", "6281234567890", PHONE, "Jalan di depan SDN", "Jl. Merdeka"):
        assert personal not in html, personal
    assert page.headers["Content-Security-Policy"]

    digits = tracking.compact(shown)
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    page = client.get(f"/lapor/cek?nomor={typo}")
    assert page.status_code == 400 and "salah ketik" in page.get_data(as_text=True)

    unknown = "1234567890" + tracking.check_digit("1234567890")
    page = client.get(f"/lapor/cek?nomor={unknown}")
    assert page.status_code == 404 and "tidak ditemukan" in page.get_data(as_text=True)

    page = client.get("/lapor/cek")
    assert page.status_code == 200 and 'name="nomor"' in page.get_data(as_text=True)
    assert "Number" in client.get(f"/lapor/cek?nomor={typo}&lang=en").get_data(as_text=True)


def test_no_file_chosen_is_not_an_attachment(client, redis_url):
    # a browser sends an empty part with an empty filename when no file was chosen
    csrf, submission_id = open_form(client)
    data = fields(csrf, submission_id)
    data["attachments"] = [(io.BytesIO(b""), "")]
    page = client.post("/lapor", data=data, content_type="multipart/form-data")
    assert page.status_code == 200
    assert queued(redis_url)[0]["attachments"] == []


def test_the_session_signer_is_made_once_per_key_and_follows_a_rotation():
    """``gateway.app.Sessions`` keeps the signing serializer between requests; a new secret
    key (or fallback) makes a new one, and a cookie signed with the old key still opens when
    that key is a fallback."""
    from flask import Flask

    from gateway.app import Sessions

    app = Flask(__name__)
    app.config.update(SECRET_KEY="k" * 32)
    sessions = Sessions()
    first = sessions.get_signing_serializer(app)
    assert sessions.get_signing_serializer(app) is first
    cookie = first.dumps({"csrf": "x"})
    app.config.update(SECRET_KEY="n" * 32, SECRET_KEY_FALLBACKS=["k" * 32])
    rotated = sessions.get_signing_serializer(app)
    assert rotated is not first and rotated.loads(cookie) == {"csrf": "x"}

"""The web door's adapter, with plain values (no Flask, no Redis), beyond its recorded
submissions (``testdata/web.json``, run by tests/channels/test_cases.py): the upload rules,
what an invalid form keeps, the JSON-only ``/in/web``, the answer."""
from __future__ import annotations

import hashlib
import json
import urllib.parse
from dataclasses import replace
from pathlib import Path

import pytest

from channels.base import Rejected, UploadedFile, WebRequest
from normalizer.values import Outcome
from channels.uploads import sanitize_filename, sniff, PNG
from channels.web.adapter import InvalidSubmission, WebFormAdapter
from channels.web.testing import SENDER
from config.doors import Door
from config.settings import Settings
from tests.gateway.support import png_bytes

TABLE = json.loads((Path(__file__).parent / "testdata" / "web.json").read_text("utf-8"))
CASES = {case["name"]: case for case in TABLE["cases"]}
DOOR = Door(id="web", channel="web", agency="KemenPANRB")
SETTINGS = replace(Settings(), max_text_chars=200, max_attachments=2, max_attachment_bytes=4096)
BODY = "Jalan di depan SDN 3 berlubang besar."


@pytest.fixture
def adapter():
    return WebFormAdapter(DOOR, SETTINGS)


def request_for(case: dict) -> WebRequest:
    headers = {k.lower(): v for k, v in case.get("headers", {}).items()}
    if case.get("kind") == "json" or case.get("content_type") == "application/json":
        content_type = case.get("content_type", "application/json")
        body = case["raw"] if "raw" in case else json.dumps(case["fields"])
    elif case.get("kind") == "form":
        content_type = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(case["fields"])
    else:
        content_type, body = case["content_type"], case["raw"]
    return WebRequest(method="POST", url="http://localhost/in/web", path="/in/web",
                      headers=headers, query_string=case.get("query", "").encode(),
                      body=body.encode(), content_type=content_type)


def recorded(name: str) -> WebRequest:
    """A recorded submission of testdata/web.json, as its test sender builds it."""
    return SENDER.case_request(TABLE, CASES[name]).web_request()


def multipart(fields: dict, files: list[tuple[str, bytes]]) -> WebRequest:
    uploads = tuple(UploadedFile("attachments", name, "image/png", data) for name, data in files)
    return WebRequest(method="POST", url="http://localhost/lapor", path="/lapor", headers={},
                      query_string=b"", body=b"", content_type="multipart/form-data; boundary=x",
                      form=fields, files=uploads)


def test_an_idempotency_key_is_scoped_to_its_caller(adapter):
    """The recorded JSON submission with an Idempotency-Key (its cases file says only the
    form of the id): exactly ``api:<the caller's scope>:<key>``."""
    request = recorded("json, full, phone contact, Idempotency-Key")
    [message] = adapter.parse(request)
    assert message.provider_message_id == f"api:{adapter.caller_scope(request)}:dinas-x-4711"


def test_invalid_submission_keeps_what_was_typed_but_not_the_csrf_token(adapter):
    fields = {"title": "Pungli <b>PPDB</b>", "body": "pendek", "contact": "0812 3456 7890",
              "anonymous": "on", "csrf_token": "secret-token", "submission_id": "s" * 20}
    with pytest.raises(InvalidSubmission) as caught:
        adapter.submission(multipart(fields, []))
    assert caught.value.values == {k: v for k, v in fields.items() if k != "csrf_token"}


def test_body_over_the_limit_is_an_error_never_a_silent_cut(adapter):
    long_body = "jalan rusak " * 20  # 240 characters, limit 200
    with pytest.raises(InvalidSubmission) as caught:
        adapter.submission(request_for({"kind": "form", "fields": {"body": long_body}}))
    [text] = caught.value.fields["body"]
    assert "200" in text and str(len(long_body.strip())) in text


def test_accepted_upload_is_described_by_its_bytes(adapter):
    image = png_bytes()
    message, uploads = adapter.submission(multipart({"body": BODY}, [("../../foto jalan.JPG", image)]))
    [attachment] = message.attachments
    assert uploads[0].data == image
    assert attachment.content_type == "image/png" and attachment.kind == "image"
    assert attachment.sha256 == hashlib.sha256(image).hexdigest()
    assert attachment.size == len(image)
    assert attachment.stored_ref == "attachment:" + attachment.sha256
    assert attachment.filename == "foto jalan.png"   # no path, the extension of the bytes


@pytest.mark.parametrize("files, expected", [
    ([("laporan.png", b"<!doctype html><script>alert(1)</script>")],
     "Berkas laporan.png bukan foto (JPEG, PNG, GIF, WebP) atau PDF."),
    ([("besar.png", png_bytes() + b"\0" * 5000)], "Berkas besar.png lebih besar dari 4 KB."),
    ([("kosong.pdf", b"")], "Berkas kosong.pdf kosong."),
    ([("a.png", png_bytes())] * 3, "Paling banyak 2 lampiran."),
], ids=["html named png", "too large", "empty", "too many"])
def test_upload_rules_are_field_errors_on_attachments(adapter, files, expected):
    with pytest.raises(InvalidSubmission) as caught:
        adapter.submission(multipart({"body": BODY}, files))
    assert expected in caught.value.fields["attachments"]
    assert set(caught.value.fields) == {"attachments"}


def test_files_are_refused_where_not_accepted(adapter):
    with pytest.raises(InvalidSubmission) as caught:
        adapter.submission(multipart({"body": BODY}, [("a.png", png_bytes())]), accept_files=False)
    assert caught.value.fields == {"attachments": ["Lampiran hanya dapat dikirim melalui formulir /lapor."]}


@pytest.mark.parametrize("request_", [
    multipart({"body": BODY}, [("a.png", png_bytes())]),
    multipart({"body": BODY, "submission_id": "k3Yf0-abcdefghijklmnop"}, []),
    request_for({"kind": "form", "fields": {"body": BODY, "contact": "0812 3456 7890"}}),
    request_for({"content_type": "text/plain", "raw": json.dumps({"body": BODY})}),
    request_for({"content_type": "", "raw": "body=" + BODY}),
], ids=["multipart with a file", "multipart", "urlencoded", "JSON sent as text/plain", "no type"])
def test_the_in_web_door_takes_json_only(adapter, request_):
    """What a cross-site page can make a browser send (a form, text) is refused: 415."""
    with pytest.raises(Rejected) as caught:
        adapter.parse(request_)
    assert caught.value.status == 415 and "application/json" in caught.value.reason


@pytest.mark.parametrize("data, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (png_bytes(), "image/png"),
    (b"GIF89a\x01\x00\x01\x00", "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
    (b"<html><body>", None),
    (b"MZ\x90\x00", None),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
    (b"", None),
])
def test_sniff_reads_magic_bytes(data, expected):
    found = sniff(data)
    assert (found.content_type if found else None) == expected


@pytest.mark.parametrize("raw, expected", [
    ("C:\\Users\\siti\\Foto Jalan.jpeg", "Foto Jalan.png"),
    ("../../etc/passwd", "passwd.png"),
    ("; rm -rf $HOME.png", "rm -rf HOME.png"),
    ("....png", "lampiran-abcdef01.png"),
    ("", "lampiran-abcdef01.png"),
])
def test_filenames_are_not_trusted(raw, expected):
    assert sanitize_filename(raw, PNG, "abcdef0123") == expected


def test_respond_gives_json_201_then_200_for_a_duplicate(adapter):
    [message] = adapter.parse(recorded("json, full, phone contact, Idempotency-Key"))
    created = adapter.respond([Outcome(message, "27410935882", "LAPOR! diterima")])
    assert created.status == 201 and created.content_type.startswith("application/json")
    assert json.loads(created.body) == {
        "tracking_number": "27410935882", "display": "2741-0935-882", "duplicate": False,
        "message": "LAPOR! diterima", "status_url": "/api/v1/complaints/27410935882"}
    again = adapter.respond([Outcome(message, "27410935882", "sudah", duplicate=True)])
    assert again.status == 200 and json.loads(again.body)["duplicate"] is True


def test_verify_accepts_the_public_form(adapter):
    assert adapter.verify(recorded("json, full, phone contact, Idempotency-Key")) is None

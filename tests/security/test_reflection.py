"""Nothing the caller chooses in the path or the Host header is written back as a link,
and with an https public address the session cookie is Secure and HSTS is on.

The attacks (issue 8, item 16): ``/%5Cevil.example`` rendered the language link as
``href="/\\evil.example/..."`` (browsers read ``/\\`` as ``//``: a link to another site);
``Host: evil.example`` came back in ``status_url`` and ``Location``.
"""
from __future__ import annotations

import re

import pytest

from channels.testing import PUBLIC

HREF = re.compile(r'<a class="lang" href="([^"]*)"')
SUBMISSION = {"classification": "pengaduan", "body": "Jalan rusak parah di depan pasar."}


@pytest.mark.parametrize("path", ["/%5Cevil.example", "/%5C%5Cevil.example/lapor",
                                  "/lapor/%2F%2Fevil.example", "/lapor?x=%5Cevil.example",
                                  "/lapor/cek?nomor=%2F%2Fevil.example", "/lapor?lang=en"])
def test_the_language_link_never_carries_the_path(client, path):
    page = client.get(path, headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    [href] = HREF.findall(html)
    assert href.startswith("?")
    links = re.findall(r'(?:href|action|src)="([^"]*)"', html)
    assert links and not [link for link in links if "evil" in link.split("?")[0]
                          or link.startswith(("//", "/\\", "\\"))]


def test_the_language_link_switches_and_keeps_the_query(client):
    [href] = HREF.findall(client.get("/lapor/cek?nomor=27410935882").get_data(as_text=True))
    assert href == "?nomor=27410935882&amp;lang=en"
    [back] = HREF.findall(client.get("/lapor?lang=en").get_data(as_text=True))
    assert back == "?lang=id"
    assert "Kirim laporan" in client.get("/lapor?lang=id").get_data(as_text=True)


def _app(environ, **extra):
    from config.settings import load_settings
    from gateway.app import create_app
    from gateway.wiring import build_parts

    parts = build_parts(load_settings({**environ, **extra}))
    return parts, create_app(parts=parts).test_client()


@pytest.mark.parametrize("path", ["/api/v1/complaints", "/in/web"])
def test_the_host_header_is_never_reflected(environ, path):
    environ = {k: v for k, v in environ.items() if k != "LAPOR_PUBLIC_BASE_URL"}
    # Production refuses a configured Twilio door without a public address (it would trust
    # the Host header too); the embedded mode still starts it, which is the case to test.
    parts, client = _app(environ, LAPOR_MODE="embedded")
    try:
        answer = client.post(path, json=SUBMISSION, headers={"Host": "evil.example"})
        assert answer.status_code == 201
        number = answer.get_json()["tracking_number"]
        assert answer.get_json()["status_url"] == f"/api/v1/complaints/{number}"
        assert "evil" not in answer.get_data(as_text=True)
        assert "evil" not in answer.headers.get("Location", "")
    finally:
        parts.publisher.close()


def test_with_a_public_address_links_are_built_on_it(client):
    answer = client.post("/api/v1/complaints", json=SUBMISSION, headers={"Host": "evil.example"})
    number = answer.get_json()["tracking_number"]
    assert answer.get_json()["status_url"] == f"{PUBLIC}/api/v1/complaints/{number}"
    assert answer.headers["Location"] == answer.get_json()["status_url"]


def test_https_public_address_gives_a_secure_cookie_and_hsts(client):
    page = client.get("/lapor")
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/healthz").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_address_sets_no_hsts(environ):
    parts, client = _app(environ, LAPOR_PUBLIC_BASE_URL="http://127.0.0.1:8000")
    try:
        page = client.get("/lapor")
        assert "Secure" not in page.headers["Set-Cookie"]
        assert "Strict-Transport-Security" not in page.headers
    finally:
        parts.publisher.close()

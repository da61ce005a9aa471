"""The one downloader (channels/download.py), alone and through the doors that use it: URLs
two parsers read differently, private and loopback addresses, redirects with and without
credentials, oversized bodies, and the test-only origins. Local servers stand in for the
providers; nothing leaves the machine."""
from __future__ import annotations

import base64
import socket
from dataclasses import replace

import pytest

from channels import download
from channels.base import SendError
from normalizer.values import Attachment
from channels.twilio.adapter import TwilioAdapter
from config.doors import load_catalogue
from config.settings import load_settings
from tests.channels.twilio_support import ACCOUNT_SID, AUTH_TOKEN, twilio_environ
from tests.helpers import Listener, Receiver

BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'5a' * 16}/Media/ME{'0' * 31}1"


def policy(**changes) -> download.Policy:
    return replace(download.Policy(frozenset({"api.twilio.com"}), 4096, what="test media"), **changes)


# ----- one parse: the host checked is the host connected to ---------------------------------------
def test_backslash_at_url_never_reaches_the_address_before_the_at(environ):
    """``urlsplit`` reads ``api.twilio.com``, the HTTP client ``127.0.0.1``: the worker
    once connected there with the Twilio credentials."""
    environ.update(twilio_environ("https://api.twilio.com"))
    settings = load_settings(environ)
    adapter = TwilioAdapter(load_catalogue(settings).doors["twilio-wa"], settings)
    with Listener() as listener:
        trick = f"https://127.0.0.1:{listener.port}\\@api.twilio.com{MEDIA_PATH}"
        with pytest.raises(SendError) as refused:
            adapter.fetch_media(Attachment("image", "image/jpeg", provider_ref=trick))
        with pytest.raises(SendError) as refused_too:      # and the downloader alone
            download.fetch(trick, policy(), {"Authorization": BASIC})
    assert refused.value.permanent and refused_too.value.permanent
    assert listener.connections == 0


@pytest.mark.parametrize("url", [
    "https://127.0.0.1:8443\\@api.twilio.com/x",
    "https://user:pass@api.twilio.com/x", "https://api.twilio.com@127.0.0.1/x",
    "http://api.twilio.com/x", "https://api.twilio.com:8443/x", "https://API.TWILIO.COM.evil.example/x",
    "https://api.twilio.com.evil.example/x", "ftp://api.twilio.com/x", "//api.twilio.com/x",
    "https:///x", "https://[::1]/x", ""])
def test_only_https_to_the_exact_host(url):
    with pytest.raises(SendError) as refused:
        download.fetch(url, policy(), {"Authorization": BASIC})
    assert refused.value.permanent and BASIC not in refused.value.reason


# ----- addresses -------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254",
                                  "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "::ffff:127.0.0.1"])
def test_private_and_loopback_addresses_are_refused(host):
    """Even a host on the list is refused when it resolves to a non-public address."""
    literal = f"[{host}]" if ":" in host else host
    with pytest.raises(SendError) as refused:
        download.fetch(f"https://{literal}/media/1", policy(hosts=frozenset({host})))
    assert refused.value.permanent and "private or loopback" in refused.value.reason


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    """DNS rebinding: the name is resolved once, checked, and that address is connected to
    (a second lookup would answer an unroutable address here)."""
    answers = iter([("127.0.0.1",)] + [("203.0.113.9",)] * 5)
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "media.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers)[0], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with Receiver(default=(200, {"Content-Type": "image/jpeg"}, b"\xff\xd8\xffok")) as store:
        origin = f"http://media.example:{store.server.server_address[1]}"
        answer = download.fetch(origin + "/m/1", policy(hosts=frozenset({"media.example"}),
                                                        test_origins=frozenset({origin}),
                                                        timeout=(1.0, 2.0)))
        [request] = store.requests
    assert answer.content == b"\xff\xd8\xffok" and request["headers"]["host"] == origin[7:]


# ----- redirects -------------------------------------------------------------------------------------
def test_redirect_on_the_same_origin_keeps_the_credentials():
    with Receiver(default=(200, {}, b"bytes")) as provider:
        provider.responses = [(302, {"Location": "/media/2"}, b"")]
        origins = download.test_origins({"insecure_origins_for_tests": provider.url})
        answer = download.fetch(provider.url + "/media/1", policy(test_origins=origins),
                                {"Authorization": BASIC})
        first, second = provider.requests
    assert answer.content == b"bytes" and second["path"] == "/media/2"
    assert first["headers"]["authorization"] == second["headers"]["authorization"] == BASIC


def test_redirect_to_another_host_goes_without_the_credentials():
    with Receiver(default=(200, {}, b"bytes")) as provider, Receiver(default=(200, {}, b"store")) as store:
        elsewhere = store.url.replace("127.0.0.1", "localhost")
        provider.responses = [(307, {"Location": elsewhere + "/s/1?sig=x"}, b"")]
        origins = download.test_origins({"insecure_origins_for_tests": [provider.url, elsewhere]})
        answer = download.fetch(provider.url + "/media/1", policy(test_origins=origins),
                                {"Authorization": BASIC})
        [at_store] = store.requests
    assert answer.content == b"store" and "authorization" not in at_store["headers"]


@pytest.mark.parametrize("location", ["https://evil.example/steal", "http://169.254.169.254/latest/meta-data/",
                                      "https://127.0.0.1/x", "https://user:pw@api.twilio.com/x"])
def test_redirect_targets_are_checked_like_the_first_url(location):
    with Receiver(default=(307, {"Location": location}, b"")) as provider:
        origins = download.test_origins({"insecure_origins_for_tests": provider.url})
        with pytest.raises(SendError) as refused:
            download.fetch(provider.url + "/media/1", policy(test_origins=origins),
                           {"Authorization": BASIC})
    assert refused.value.permanent and len(provider.requests) == 1


def test_redirect_to_the_media_store_without_credentials_only():
    """A redirect host (Twilio's media store) is allowed without credentials; one that would
    keep them (the same origin) must be a credential host."""
    refused = policy(redirect_hosts=frozenset({"mms.twiliocdn.com"}))
    with pytest.raises(SendError):     # never to a redirect host as the first URL
        download.fetch("https://mms.twiliocdn.com/x", refused, {"Authorization": BASIC})


def test_no_redirect_followed_when_the_url_holds_the_credential():
    with Receiver(default=(302, {"Location": "/other"}, b"")) as bot_api:
        origins = download.test_origins({"insecure_origins_for_tests": bot_api.url})
        with pytest.raises(SendError) as refused:
            download.fetch(bot_api.url + "/file/botTOKEN/x.jpg",
                           policy(test_origins=origins, follow_redirects=False))
    assert refused.value.permanent and "redirect" in refused.value.reason and len(bot_api.requests) == 1


def test_redirect_loops_end():
    with Receiver(default=(302, {"Location": "/again"}, b"")) as provider:
        origins = download.test_origins({"insecure_origins_for_tests": provider.url})
        with pytest.raises(SendError) as refused:
            download.fetch(provider.url + "/again", policy(test_origins=origins))
    assert refused.value.permanent and len(provider.requests) == 4


# ----- size -------------------------------------------------------------------------------------------
def test_declared_oversized_body_is_refused_before_reading():
    with Receiver(default=(200, {}, b"x" * 5000)) as provider:
        origins = download.test_origins({"insecure_origins_for_tests": provider.url})
        with pytest.raises(SendError) as refused:
            download.fetch(provider.url + "/big", policy(test_origins=origins))
    assert refused.value.permanent and "larger than 4096" in refused.value.reason


def test_undeclared_oversized_body_stops_at_the_limit():
    """No Content-Length: the body is read until the limit, then abandoned."""
    body = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nConnection: close\r\n\r\n" + b"y" * 200_000
    with Listener(body) as listener:
        origins = download.test_origins({"insecure_origins_for_tests": listener.url})
        with pytest.raises(SendError) as refused:
            download.fetch(listener.url + "/big", policy(test_origins=origins))
    assert refused.value.permanent and "larger than 4096" in refused.value.reason


def test_unreachable_is_retryable_and_says_no_address():
    with Listener() as listener:
        url = listener.url
    origins = download.test_origins({"insecure_origins_for_tests": url})
    with pytest.raises(SendError) as failed:
        download.fetch(url + "/x", policy(test_origins=origins, timeout=(1.0, 1.0)))
    assert not failed.value.permanent and "127.0.0.1" not in failed.value.reason


# ----- the test-only origins -------------------------------------------------------------------------
def test_test_origins_come_only_from_the_door_option():
    assert download.test_origins({}) == frozenset()
    assert download.test_origins({"insecure_origins_for_tests": "http://127.0.0.1:8080, HTTP://Localhost"}) \
        == {"http://127.0.0.1:8080", "http://localhost:80"}
    assert download.test_origins({"insecure_origins_for_tests": ["ftp://x", "", 42, "not a url"]}) == frozenset()
    with Listener() as listener:                      # without the option: refused, not connected
        with pytest.raises(SendError):
            download.fetch(listener.url + "/x", policy(hosts=frozenset({"127.0.0.1"})))
    assert listener.connections == 0

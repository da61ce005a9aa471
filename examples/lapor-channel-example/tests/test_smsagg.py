"""The example channel's own tests, written with the gateway's public test harness
(``channels.testing``) only: every recorded case through the adapter, the sender's
forgeries refused, and ``send`` against a local stand-in for the aggregator's API.

The gateway's suite runs the same cases through the real gateway (real Redis, the queue)
and covers the door in its security and fuzz tables, because the package is installed.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels.base import Rejected, SendError
from channels.registry import build_adapters
from channels.testing import check_case, load_cases
from config.doors import load_catalogue
from config.settings import load_settings
from lapor_channel_example.adapter import signature
from lapor_channel_example.testing import SENDER, TESTDATA
from normalizer.values import OutboundMessage

TABLE = load_cases(SENDER.cases_file)
CASES = {case["name"]: case for case in TABLE["cases"]}


def settings_for(tmp_path, **extra):
    """Production settings (no secret derived for an unconfigured door); nothing connects."""
    environ = {"LAPOR_SECRET_KEY": "test-secret-key-0123456789", "LAPOR_DATA_DIR": str(tmp_path),
               "LAPOR_MODE": "production", "LAPOR_REDIS_URL": "redis://127.0.0.1:9/0",
               "LAPOR_BROKER_URL": "redis://127.0.0.1:9/0",
               **TABLE["environ"], "LAPOR_DOORS_FILE": str(TESTDATA / TABLE["environ"]["LAPOR_DOORS_FILE"]),
               **extra}
    return load_settings(environ)


def adapter_for(tmp_path, door_id=TABLE["door"], **extra):
    settings = settings_for(tmp_path, **extra)
    door = load_catalogue(settings).doors[door_id]
    return build_adapters({door.id: door}, settings)[door.id]


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_case(tmp_path, name):
    check_case(adapter_for(tmp_path), SENDER, TABLE, CASES[name])


@pytest.mark.parametrize("kind", SENDER.forgeries)
def test_forgeries_are_refused(tmp_path, kind):
    adapter = adapter_for(tmp_path)
    request = SENDER.forged(kind, "Jalan rusak di depan SDN 3", 7)
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(request.web_request())
    assert refused.value.status in (401, 403)
    assert not any(secret in refused.value.reason for secret in request.secrets)


def test_the_sender_s_own_request_is_taken(tmp_path):
    adapter = adapter_for(tmp_path)
    request = SENDER.request("Jalan rusak di depan SDN 3", 7)
    adapter.authenticate(request.web_request())
    [message] = adapter.parse(request.web_request())
    assert (message.provider_message_id, message.sender) == ("dlv-20261124-00000007", "6281200000007")


def test_a_door_without_its_secret_refuses_every_call(tmp_path):
    adapter = adapter_for(tmp_path, door_id="sms-banten")
    assert adapter.missing(adapter.door) == ["secret"]
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(SENDER.request("halo", 1).web_request())
    assert (refused.value.status, refused.value.reason) == (503, "door not configured")


class Aggregator:
    """A local stand-in for the aggregator's send API: records each request, answers from
    a script (status, body, headers)."""

    def __init__(self, answers):
        self.requests, self.answers = [], list(answers)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.requests.append({"headers": dict(self.headers), "body": body})
                status, answer, headers = owner.answers.pop(0)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def aggregator(request):
    running = Aggregator(request.param)
    yield running
    running.close()


NOTICE = OutboundMessage(door_id="sms-jabar", to="+6281234567890", kind="status", reply_id="r" * 32,
                         text="LAPOR! Laporan 2741-0935-882: diproses.")


@pytest.mark.parametrize("aggregator", [[(202, b'{"message_id": "agg-991"}', {})]], indirect=True)
def test_send_posts_a_signed_json_message(tmp_path, aggregator):
    adapter = adapter_for(tmp_path, LAPOR_SMS_JABAR_SEND_URL=aggregator.url)
    assert adapter.send(NOTICE) == "agg-991"
    [sent] = aggregator.requests
    assert json.loads(sent["body"]) == {"to": "6281234567890", "text": NOTICE.text, "from": "1708",
                                        "client_ref": "r" * 32}
    stamp = sent["headers"]["X-Smsagg-Timestamp"]
    assert sent["headers"]["X-Smsagg-Signature"] == signature(TABLE["secret"], stamp, sent["body"])


@pytest.mark.parametrize("aggregator, permanent, retry_after", [
    ([(503, b"busy", {})], False, None),
    ([(429, b"slow down", {"Retry-After": "30"})], False, 30.0),
    ([(400, b'{"error": "bad number 6281234567890"}', {})], True, None),
], indirect=["aggregator"])
def test_send_failures_are_retried_or_permanent(tmp_path, aggregator, permanent, retry_after):
    adapter = adapter_for(tmp_path, LAPOR_SMS_JABAR_SEND_URL=aggregator.url)
    with pytest.raises(SendError) as failed:
        adapter.send(NOTICE)
    assert (failed.value.permanent, failed.value.retry_after) == (permanent, retry_after)
    assert "6281234567890" not in failed.value.reason       # the provider's text is never kept


def test_send_without_a_send_url_is_a_permanent_failure(tmp_path):
    with pytest.raises(SendError) as failed:
        adapter_for(tmp_path).send(NOTICE)
    assert failed.value.permanent and "send_url" in failed.value.reason


def test_send_to_nobody_listening_is_retried(tmp_path):
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = adapter_for(tmp_path, LAPOR_SMS_JABAR_SEND_URL=f"http://127.0.0.1:{port}/v1/sms")
    with pytest.raises(SendError) as failed:
        adapter.send(NOTICE)
    assert not failed.value.permanent and str(port) not in failed.value.reason

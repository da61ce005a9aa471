"""End-to-end fixtures: the gateway served on loopback over real HTTP, the forwarder,
notifier and media workers in threads, a local receiver standing in for the central
LAPOR! system with ``status_callback`` to send it signed status updates, and a real Kannel
for the SMS door.

Generic fixtures every channel's end-to-end test uses: ``central``, ``gateway``,
``forwarder``, ``notifier``, ``media_worker``, ``status_callback``.
"""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.e2e.kannel_fixture import Kannel, Ports, find_binaries, sms_service
from tests.helpers import Receiver, serving

CENTRAL_SECRET = "central-e2e-secret"
DOOR_SECRET = "kannel-door-secret"     # what tests/conftest.py gives the sms-1708 door


@pytest.fixture
def kannel_binaries():
    found = find_binaries()
    if found is None:
        pytest.skip("Kannel is not installed: needs bearerbox and smsbox (Debian package "
                    "'kannel') and fakesmsc (package 'kannel-extras')")
    return found


@pytest.fixture
def central():
    with Receiver() as running:
        yield running


@pytest.fixture
def kannel_ports():
    return Ports.pick()


@pytest.fixture
def environ(environ, central):
    assert environ["LAPOR_DOOR_SMS_1708_SECRET"] == DOOR_SECRET
    environ.update(LAPOR_CENTRAL_URL=central.url, LAPOR_CENTRAL_SECRET=CENTRAL_SECRET,
                   LAPOR_CENTRAL_TIMEOUT="2", LAPOR_RETRY_BASE_SECONDS="0.1",
                   LAPOR_RETRY_CAP_SECONDS="0.5")
    return environ


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):      # the URL carries the door secret
        pass


@pytest.fixture
def gateway(app):
    """The gateway app on a loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = serving(server)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


def _worker(run, settings):
    """``run`` (a worker's entry point) in a thread, on parts built as the CLI builds them."""
    from gateway.wiring import build_parts

    stop = threading.Event()
    thread = threading.Thread(target=run, args=(build_parts(settings), stop), daemon=True)
    thread.start()
    return stop, thread


def _running(run, settings):
    stop, thread = _worker(run, settings)
    yield thread
    stop.set()
    thread.join(15)


@pytest.fixture
def forwarder(settings):
    """The forwarder worker (queue -> central receiver) running in a thread."""
    from forwarder.worker import run_forwarder

    yield from _running(run_forwarder, settings)


@pytest.fixture
def notifier(settings):
    """The notifier worker (replies queue -> the door adapter's send) in a thread."""
    from forwarder.notifier import run_notifier

    yield from _running(run_notifier, settings)


@pytest.fixture
def media_worker(settings):
    """The media worker (media jobs -> the door adapter's fetch_media) in a thread."""
    from forwarder.media import run_media

    yield from _running(run_media, settings)


def central_bodies(central: Receiver, path: str, reply_status: bool = False) -> list[dict]:
    """The signed bodies the central receiver got on ``path`` (each signature checked);
    ``reply_status`` events (a reply's delivery state) only when asked for."""
    import json

    from forwarder import central as contract

    with central._lock:
        found = [r for r in central.requests if r["path"] == path]
    for request in found:
        headers = request["headers"]
        kind = contract.EVENT_TO_CENTRAL if path.endswith("/events") else contract.COMPLAINT_TO_CENTRAL
        assert contract.verify_signature(CENTRAL_SECRET, request["body"], headers["x-lapor-timestamp"],
                                         headers["x-lapor-signature"], kind) == ""
    bodies = [json.loads(r["body"]) for r in found]
    return [b for b in bodies if reply_status or b.get("type") != "reply_status"]


@pytest.fixture
def status_callback(gateway):
    """status_callback(tracking_number, status, agency="", **more) POSTs a correctly signed
    status update to the gateway, as the central system would; returns the response."""
    import json as _json

    import requests

    from forwarder.central import STATUS_TO_GATEWAY, signed_headers

    def send(tracking_number: str, status: str, agency: str = "", **more):
        body = _json.dumps({"tracking_number": tracking_number, "status": status,
                            "agency": agency, **more}).encode()
        headers = signed_headers(CENTRAL_SECRET, body, "callback", kind=STATUS_TO_GATEWAY)
        return requests.post(f"{gateway}/api/v1/central/status", data=body, headers=headers,
                             timeout=10)

    return send


@pytest.fixture
def kannel_environ(environ, kannel_ports):
    """The SMS door's sendsms URL for tests that run a Kannel."""
    environ["LAPOR_DOOR_SMS_1708_SENDSMS_URL"] = kannel_ports.sendsms_url
    return environ


@pytest.fixture
def kannel(request, kannel_binaries, kannel_ports, kannel_environ, gateway, tmp_path):
    """A running Kannel whose sms-service calls the gateway by get-url (the default) or
    post-url (``@pytest.mark.parametrize("kannel", ["post"], indirect=True)``)."""
    workdir = tmp_path / "kannel"
    workdir.mkdir()
    running = Kannel(kannel_binaries, workdir, kannel_ports,
                     sms_service(getattr(request, "param", "get"), gateway, DOOR_SECRET))
    try:
        running.start()
        yield running
    finally:
        running.stop()

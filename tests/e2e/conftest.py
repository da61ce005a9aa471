"""End-to-end fixtures: a real Kannel, the gateway served on loopback, the forwarder in a
thread and a local receiver standing in for the central LAPOR! system."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.e2e.kannel_fixture import Kannel, Ports, find_binaries, sms_service
from tests.helpers import Receiver

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
def environ(environ, central, kannel_ports):
    assert environ["LAPOR_DOOR_SMS_1708_SECRET"] == DOOR_SECRET
    environ.update(LAPOR_CENTRAL_URL=central.url, LAPOR_CENTRAL_SECRET=CENTRAL_SECRET,
                   LAPOR_DOOR_SMS_1708_SENDSMS_URL=kannel_ports.sendsms_url,
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def forwarder(settings):
    """The forwarder worker (queue -> central receiver) running in a thread."""
    from forwarder.worker import run_forwarder

    stop = threading.Event()
    thread = threading.Thread(target=run_forwarder, args=(settings, stop), daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join(15)


@pytest.fixture
def kannel(request, kannel_binaries, kannel_ports, gateway, tmp_path):
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

"""Officers' fixtures: ``officer_client(role, agency)`` is a Flask test client logged in,
through the real login form, as a fresh officer of that role and agency (its account is
``client.officer``). The browser fixtures (``browser``, ``axe_check``, ``screenshot``) come
from ``tests/browser/fixtures.py`` through ``tests/conftest.py``."""
from __future__ import annotations

import pytest

from tests.officers.support import PASSWORD, login, make_officer


@pytest.fixture
def officer_client(app, parts):
    def logged_in(role: str = "petugas", agency: str = "KemenPANRB", **fields):
        client = app.test_client()
        account = make_officer(parts, role, agency, **fields)
        answer = login(client, account["username"], PASSWORD)
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        client.officer = account
        return client
    return logged_in


OTHER_AGENCY = "Pemprov Jawa Timur"
DOORS = {"extends": "defaults", "doors": [
    {"id": "sms-jatim", "channel": "kannel", "agency": OTHER_AGENCY,
     "credentials": {"secret": "LAPOR_SMS_JATIM_SECRET"}, "options": {"short_code": "1708"}},
    {"id": "manual-pemprov-jawa-timur", "channel": "manual", "agency": OTHER_AGENCY,
     "label": "Loket Pemprov Jawa Timur"}]}


@pytest.fixture
def receiver():
    from tests.helpers import Receiver

    with Receiver() as running:
        yield running


@pytest.fixture
def environ(environ, receiver, tmp_path):
    """The default doors (KemenPANRB) and two doors of another agency (``sms-jatim``, its
    manual door); a local central system that the forwarder reaches quickly."""
    import json

    doors = tmp_path / "doors.json"
    doors.write_text(json.dumps(DOORS), encoding="utf-8")
    environ.update(LAPOR_DOORS_FILE=str(doors), LAPOR_SMS_JATIM_SECRET="jatim-door-secret",
                   LAPOR_CENTRAL_URL=receiver.url, LAPOR_CENTRAL_SECRET="central-secret-officers",
                   LAPOR_RETRY_BASE_SECONDS="0.05", LAPOR_RETRY_CAP_SECONDS="0.2",
                   LAPOR_CENTRAL_TIMEOUT="1", LAPOR_MAX_ATTEMPTS="2")
    return environ


@pytest.fixture
def forwarder(parts):
    """The real forwarder worker, in a thread, until the test ends."""
    import threading

    from forwarder.worker import ForwardWorker

    stop = threading.Event()
    thread = threading.Thread(target=ForwardWorker(parts, stop).run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(15)


@pytest.fixture
def dead_letters(parts, receiver, forwarder):
    """``dead_letters(messages)``: take each InboundMessage through the intake while central
    refuses (400), wait until the forwarder has dead-lettered them all, then let central
    accept again; their tracking numbers."""
    from forwarder import dead
    from tests.helpers import wait_for

    def make(messages) -> list[str]:
        receiver.default = (400, {}, b'{"error": "schema"}')
        before = len(dead.list_dead(parts))
        numbers = [parts.intake.take(message).tracking_number for message in messages]
        wait_for(lambda: len(dead.list_dead(parts)) == before + len(messages), timeout=60,
                 message="dead letters")
        receiver.default = (200, {}, b'{"ok": true}')
        return numbers
    return make

"""A webhook door's ``callback_url``: status changes from the central system reach the
agency's server (a real local HTTP receiver) through the replies queue and the notifier,
signed as Standard Webhooks says and checked here with ``standardwebhooks``' own verify;
retried when the receiver fails, dead-lettered when it refuses for good; https and public
addresses only unless the door names a test origin."""
from __future__ import annotations

import contextlib
import json
import threading

import pytest
from standardwebhooks import Webhook

from config.settings import load_settings
from forwarder import central as contract
from forwarder.notifier import NotifyWorker
from forwarder.topology import DEAD
from tests.channels import webhook_support as wh
from tests.forwarder.conftest import CENTRAL_SECRET
from tests.helpers import Listener, Receiver, queued_bodies, wait_for


@pytest.fixture
def agency():
    """The agency's own server, where the door's callbacks go."""
    with Receiver(default=(204, {}, b"")) as running:
        yield running


@contextlib.contextmanager
def gateway(environ: dict, tmp_path, door: dict):
    from gateway.app import create_app
    from gateway.wiring import build_parts

    env = {**environ, "LAPOR_DOORS_FILE": wh.doors_file(tmp_path, door), wh.SECRET_VARIABLE: wh.SECRET}
    parts = build_parts(load_settings(env))
    stop = threading.Event()
    thread = threading.Thread(target=NotifyWorker(parts, stop).run, daemon=True)
    thread.start()
    try:
        yield parts, create_app(parts=parts).test_client()
    finally:
        stop.set()
        thread.join(15)
        parts.publisher.close()


def status_change(client, number: str, status: str = "proses", note: str = "Tim sudah ke lokasi") -> dict:
    raw = json.dumps({"tracking_number": number, "status": status, "agency": "Dinas PU PERA",
                      "note": note, "due_date": "2027-02-19"}).encode()
    headers = contract.signed_headers(CENTRAL_SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    answer = client.post("/api/v1/central/status", data=raw, headers=headers)
    assert answer.status_code == 200, answer.data
    return answer.get_json()


def file_report(client, **extra) -> str:
    answer = wh.post(client, wh.report(**extra))
    assert answer.status_code == 201, answer.data
    return answer.get_json()["tracking_number"]


def verified(request: dict) -> dict:
    """The callback as the agency reads it: verified by the standardwebhooks library."""
    return Webhook(wh.SECRET).verify(request["body"].decode("utf-8"), request["headers"])


def test_status_changes_reach_the_callback_signed_and_verifiable(environ, tmp_path, agency):
    door = wh.door(callback_url=agency.url + "/lapor/status", insecure_origins_for_tests=[agency.url])
    with gateway(environ, tmp_path, door) as (parts, client):
        number = file_report(client, anonim=True)
        assert status_change(client, number)["notified"] is True
        wait_for(lambda: agency.requests, message="the callback")
        [request] = agency.requests
        assert request["method"] == "POST" and request["path"] == "/lapor/status"
        callback = verified(request)
        assert callback["type"] == "complaint.status"
        data = callback["data"]
        assert data["tracking_number"] == number and data["status"] == "proses"
        assert data["agency"] == "Dinas PU PERA" and data["note"] == "Tim sudah ke lokasi"
        assert data["due_date"] == "2027-02-19" and number[:4] in data["message"]
        raw = request["body"].decode()
        assert "Siti" not in raw and "81200000" not in raw and "SW-0000" not in raw   # nobody's identity
        assert status_change(client, number, "selesai", "Sudah diperbaiki")["notified"] is True
        wait_for(lambda: len(agency.requests) == 2, message="the second callback")
        second = agency.requests[1]
        assert verified(second)["data"]["status"] == "selesai"
        assert second["headers"]["webhook-id"] != request["headers"]["webhook-id"]   # one id per change


def test_a_failing_receiver_is_retried_with_the_same_id_until_it_answers(environ, tmp_path, agency):
    agency.responses = [(500, {}, b"down"), (503, {"Retry-After": "0"}, b""), (429, {}, b"")]
    door = wh.door(callback_url=agency.url + "/cb", insecure_origins_for_tests=[agency.url])
    with gateway(environ, tmp_path, door) as (parts, client):
        number = file_report(client)
        status_change(client, number)
        wait_for(lambda: len(agency.requests) == 4, timeout=20, message="three retries and a delivery")
        ids = {request["headers"]["webhook-id"] for request in agency.requests}
        assert len(ids) == 1                        # the same message, resent
        for request in agency.requests:             # each attempt signed anew, each verifies
            assert verified(request)["data"]["tracking_number"] == number
        assert parts.store.redis.llen(DEAD) == 0


def test_a_receiver_that_refuses_for_good_dead_letters_the_callback(environ, tmp_path, agency):
    agency.default = (410, {}, b"gone")
    door = wh.door(callback_url=agency.url + "/cb", insecure_origins_for_tests=[agency.url])
    with gateway(environ, tmp_path, door) as (parts, client):
        status_change(client, file_report(client))
        [dead] = wait_for(lambda: queued_bodies(parts.store.redis, DEAD), message="a dead letter")
        assert dead["door_id"] == wh.DOOR_ID and dead["kind"] == "status"
        assert len(agency.requests) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_a_callback_to_a_loopback_address_is_refused_without_connecting(environ, tmp_path, host):
    """The URL is the operator's, but the callback still goes only to public addresses:
    without the test-origin option nothing connects to a local port (a bare TCP listener
    counts connections), and the callback is dead-lettered."""
    with Listener() as listener:
        door = wh.door(callback_url=f"https://{host}:{listener.port}/cb")
        with gateway(environ, tmp_path, door) as (parts, client):
            status_change(client, file_report(client))
            [dead] = wait_for(lambda: queued_bodies(parts.store.redis, DEAD), message="a dead letter")
            assert dead["kind"] == "status"
        assert listener.connections == 0


def test_a_door_without_callback_url_tells_nobody(environ, tmp_path, agency):
    with gateway(environ, tmp_path, wh.door()) as (parts, client):
        assert status_change(client, file_report(client))["notified"] is False
        assert agency.requests == []

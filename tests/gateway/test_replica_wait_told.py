"""With LAPOR_REDIS_WAIT_REPLICAS, what a citizen is told besides a tracking number waits for
the replica too: a status change from the central system (the callback answers 503 and the
central system sends it again) and STOP (the door answers 503 and the provider retries), so
a failover cannot undo what they were told. Without WAIT, a store that is down is a 503 on
the status callback too, never a 500 (``gateway.errors``). Real primary and replica, as in
``test_replica_wait.py``."""
from __future__ import annotations

import json
import signal

import pytest
import redis

from forwarder import central as contract
from forwarder import keys
from forwarder.store import NotReplicated
from gateway.app import create_app
from tests.gateway import test_replica_wait as replica_wait
from tests.helpers import inbound

pair, gateway = replica_wait.pair, replica_wait.gateway      # the same fixtures

SECRET = "central-replica-wait-secret"


@pytest.fixture
def environ(environ):
    environ.update(LAPOR_CENTRAL_SECRET=SECRET)
    return environ


def _signed(number: str, status: str) -> dict:
    raw = json.dumps({"tracking_number": number, "status": status}).encode()
    headers = contract.signed_headers(SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    return {"data": raw, "headers": headers}


def _status(client, number: str, status: str):
    return client.post("/api/v1/central/status", **_signed(number, status))


def test_a_status_change_is_answered_once_the_replica_has_it(pair, gateway):
    primary, replica = pair
    client = create_app(parts=gateway).test_client()
    taken = gateway.intake.take(inbound("LAPOR jalan berlubang di depan pasar"))
    assert _status(client, taken.tracking_number, "proses").status_code == 200
    held = redis.Redis(port=replica.port).hget(keys.status(taken.tracking_number), "status")
    assert held == b"proses"                       # on the replica when the answer was given
    replica.stop(signal.SIGKILL)
    request = _signed(taken.tracking_number, "selesai")
    refused = client.post("/api/v1/central/status", **request)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "Traceback" not in refused.get_data(as_text=True)
    replica.start()
    replica_wait._wait_linked(primary)
    # the central system's retry, the very same signed bytes: not refused as a replay
    again = client.post("/api/v1/central/status", **request)
    assert again.status_code == 200 and again.get_json()["ok"] is True
    assert client.post("/api/v1/central/status", **request).status_code == 401   # applied: a replay now
    held = redis.Redis(port=replica.port).hget(keys.status(taken.tracking_number), "status")
    assert held == b"selesai"


def test_stop_is_refused_retryably_until_the_replica_has_it(pair, gateway):
    primary, replica = pair
    gateway.intake.take(inbound("LAPOR lampu jalan mati", sender="081234500021"))
    replica.stop(signal.SIGKILL)
    with pytest.raises(NotReplicated):             # /in/<door> answers 503: the provider retries
        gateway.intake.take(inbound("STOP", sender="081234500021", provider_id="sms-stop-1"))
    replica.start()
    replica_wait._wait_linked(primary)
    answer = gateway.intake.take(inbound("STOP", sender="081234500021", provider_id="sms-stop-1"))
    assert answer.kind == "answer"
    assert redis.Redis(port=replica.port).keys(keys.opt_out("sms-1708", "*"))


def test_without_wait_a_store_down_is_a_503_on_the_status_callback(pair, gateway, caplog):
    primary, _ = pair
    gateway.store.replicas.wait = gateway.store.replicas.wait._replace(replicas=0)
    client = create_app(parts=gateway).test_client()
    taken = gateway.intake.take(inbound("LAPOR saluran tersumbat"))
    primary.stop(signal.SIGKILL)
    answer = _status(client, taken.tracking_number, "proses")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert not [r for r in caplog.records if r.exc_info]        # one line, no traceback

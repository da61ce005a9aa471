"""LAPOR_REDIS_WAIT_REPLICAS on a real primary and replica (no Sentinel): a complaint is
answered from Redis only once the replica has it; with the replica down it is spooled with
its id and number, still answered, and the drain records it exactly once when the replica
is back (``forwarder.store_intake``, ``gateway.acceptance``); a follow-up is refused
retryably until then; after one short WAIT the next intakes spool without going to Redis.

Two redis-servers on loopback, the replica following the primary; the gateway's store and
broker are the primary (a same-Redis broker: the queue message is written by the intake
script too). The drainer thread is held back so the test drains by hand."""
from __future__ import annotations

import hashlib
import logging
import signal
from dataclasses import replace

import pytest
import redis

from config.settings import load_settings
from forwarder import keys, scripts, store_intake
from forwarder.store import NotReplicated
from gateway.wiring import build_parts
from tests.faults.procs import RedisServer
from tests.gateway.support import queued
from tests.helpers import free_port, inbound, wait_for

WAIT_MS = 500     # LAPOR_REDIS_WAIT_MS's default (was 200 here: little room on a loaded machine)
SYNC_AT_ONCE = ("--repl-diskless-sync-delay", "0")     # Redis waits 5 s for more replicas


@pytest.fixture
def pair(tmp_path):
    """(primary, replica): the replica following the primary and in sync."""
    primary = RedisServer(tmp_path / "primary", extra=SYNC_AT_ONCE).start()
    replica = RedisServer(tmp_path / "replica", port=free_port(),
                          extra=(*SYNC_AT_ONCE, "--replicaof", "127.0.0.1", str(primary.port)))
    servers = (primary, replica.start())
    _wait_linked(primary)
    yield servers
    for server in servers:
        server.stop(signal.SIGKILL)


def _wait_linked(primary: RedisServer) -> None:
    """Until the replica acknowledges a write. Just after a sync a replica is "online" at
    the primary, but the primary sends it the stream (and WAIT's request for an
    acknowledgement) only after its first REPLCONF ACK, which it sends once a second."""
    client = redis.Redis(port=primary.port)

    def acknowledged() -> bool:
        client.incr("replica-check")
        return client.wait(1, 100) == 1
    wait_for(acknowledged, timeout=30, interval=0.05, message="replica acknowledging")


@pytest.fixture
def gateway(pair, environ, tmp_path):
    primary, _ = pair
    parts = build_parts(load_settings(dict(
        environ, LAPOR_REDIS_URL=primary.url, LAPOR_BROKER_URL=primary.url,
        LAPOR_REDIS_WAIT_REPLICAS="1")))                        # WAIT_MS: the default
    parts.intake.acceptance.ensure_drainer = lambda: None       # drained by hand below
    yield parts
    parts.publisher.close()


def _no_provider_id(text: str, sender: str):
    """A JSON API call without Idempotency-Key: no dedup key, only the tracking number."""
    return replace(inbound(text, sender=sender), provider_message_id="")


def test_with_the_replica_up_the_answer_comes_from_redis_and_the_replica_has_it(pair, gateway):
    _, replica = pair
    outcome = gateway.intake.take(inbound("LAPOR jalan berlubang di depan sekolah"))
    assert gateway.spool.depth() == 0
    # WAIT confirmed it: the replica holds the ledger entry the moment the answer is given
    held = redis.Redis(port=replica.port).hget(keys.ledger(outcome.complaint_id), "tracking")
    assert held.decode() == outcome.tracking_number


@pytest.fixture
def every_intake_tried(monkeypatch):
    """No pause after a short WAIT: each intake goes to Redis and WAITs."""
    monkeypatch.setattr(store_intake, "SHORT_SECONDS", 0.0)


def test_with_the_replica_down_intake_spools_and_the_drain_records_it_once(
        pair, gateway, caplog, every_intake_tried):
    primary, replica = pair
    warm = gateway.intake.take(inbound("LAPOR jalan licin"))   # the script loaded, all well
    replica.stop(signal.SIGKILL)
    caplog.set_level(logging.WARNING, logger="lapor.intake")
    # first in the spool: one without a provider id (the replay finds its number taken by
    # itself: Store.confirm_recorded WAITs), then one with (the replay is a DUPLICATE of it)
    outcomes = [gateway.intake.take(_no_provider_id("LAPOR sampah menumpuk", "081234500002")),
                gateway.intake.take(inbound("LAPOR lampu jalan mati", provider_id="sms-77",
                                            sender="081234500001"))]
    issued = {outcome.complaint_id: outcome.tracking_number for outcome in outcomes}
    assert all(issued.values()) and gateway.spool.depth() == 2      # answered, kept on disk
    warned = [r.getMessage() for r in caplog.records if "spooled to disk" in r.getMessage()]
    assert len(warned) == 2 and all(r.startswith("not replicated, confirmed by 0 of 1 replica(s)")
                                    for r in warned)
    # the primary took both writes, unconfirmed; while the replica is down the drain pauses
    assert {gateway.store.tracking_owner(n) for n in issued.values()} == set(issued)
    assert gateway.spool.drain(gateway.intake.replay_spooled) == (0, 0)
    assert gateway.spool.depth() == 2

    replica.start()
    _wait_linked(primary)
    assert gateway.spool.drain(gateway.intake.replay_spooled) == (2, 0)
    assert gateway.spool.depth() == 0
    stats = gateway.store.stats()
    assert stats[("accepted", "sms-1708")] == 3                     # recorded once each
    for cid, number in issued.items():                              # same id, same number
        complaint = gateway.store.complaint(cid)
        assert complaint["tracking_number"] == number
        assert "tracking_number_reallocated" not in complaint["flags"]
        assert redis.Redis(port=replica.port).hget(keys.ledger(cid), "tracking").decode() == number
    # queued by the intake script, and published again by the replay (the central side
    # dedups by id): no message under any other id or number
    assert {(body["id"], body["tracking_number"]) for body in queued(primary.url)} == \
        set(issued.items()) | {(warm.complaint_id, warm.tracking_number)}


def test_a_followup_with_the_replica_down_is_refused_retryably_until_it_is_back(
        pair, gateway, every_intake_tried):
    primary, replica = pair
    first = gateway.intake.take(inbound("LAPOR jembatan retak", sender="081234500003"))
    replica.stop(signal.SIGKILL)
    followup = inbound("fotonya menyusul, retaknya makin lebar", sender="081234500003",
                       provider_id="sms-followup-1")
    with pytest.raises(NotReplicated):                # the door answers 503: retry later
        gateway.intake.take(followup)
    with pytest.raises(NotReplicated):                # the provider's retry: still not confirmed
        gateway.intake.take(followup)
    replica.start()
    _wait_linked(primary)
    again = gateway.intake.take(followup)          # the first copy, confirmed now: answered
    assert again.duplicate and again.tracking_number == first.tracking_number
    assert len(gateway.store.redis.lrange(keys.events(first.complaint_id), 0, -1)) == 1


def test_after_a_short_wait_intake_spools_at_once_without_writing(pair, gateway, caplog,
                                                                  monkeypatch):
    """While the replica is missing, only the first intake pays LAPOR_REDIS_WAIT_MS: the
    next ones (within SHORT_SECONDS) are spooled without going to Redis at all."""
    primary, replica = pair
    monkeypatch.setattr(store_intake, "SHORT_SECONDS", 60.0)      # the whole test long
    gateway.intake.take(inbound("LAPOR jalan licin"))     # the script loaded while all is well
    replica.stop(signal.SIGKILL)
    caplog.set_level(logging.WARNING, logger="lapor.intake")
    first, second = (gateway.intake.take(inbound(f"LAPOR saluran air mampet {n}",
                                                 sender=f"08123450001{n}")) for n in range(2))
    warned = [r.getMessage() for r in caplog.records if "spooled to disk" in r.getMessage()]
    assert warned[0].startswith(f"not replicated, confirmed by 0 of 1 replica(s) within {WAIT_MS} ms")
    assert warned[1].startswith("not replicated, a replica was missing in the last 60 s, not tried")
    assert gateway.spool.depth() == 2 and first.tracking_number and second.tracking_number
    assert gateway.store.tracking_owner(first.tracking_number) == first.complaint_id
    assert gateway.store.tracking_owner(second.tracking_number) is None     # never sent


def test_the_script_is_loaded_again_on_a_redis_that_lost_it(pair, gateway, every_intake_tried):
    primary, replica = pair
    first = gateway.intake.take(inbound("LAPOR pohon tumbang menutup jalan"))
    redis.Redis(port=primary.port).script_flush()       # as on a promoted replica
    second = gateway.intake.take(inbound("LAPOR pohon tumbang lagi", sender="081234500009"))
    assert gateway.spool.depth() == 0
    assert gateway.store.tracking_owner(second.tracking_number) == second.complaint_id
    # with the replica missing too: the script is loaded, not run (it would only wait again)
    redis.Redis(port=primary.port).script_flush()
    replica.stop(signal.SIGKILL)
    third = gateway.intake.take(inbound("LAPOR pohon tumbang ketiga", sender="081234500008"))
    assert gateway.spool.depth() == 1 and gateway.store.tracking_owner(third.tracking_number) is None
    accept_sha = hashlib.sha1(scripts.source("accept").encode()).hexdigest()
    assert first.tracking_number and redis.Redis(port=primary.port).script_exists(accept_sha) == [True]

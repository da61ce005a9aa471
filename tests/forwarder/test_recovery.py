"""What a dead consumer held comes back at once, and only that (Redis broker, for real).

A consumer's unacknowledged messages live in its own hash under a lease; ``sweep`` puts back
those of consumers whose lease is gone, never a live consumer's nor the backlog waiting in
the queue. A death found by any worker's sweep sets a forwarder's look for the complaints
taken unbacked going (its cases: ``test_lost_complaints.py``), and ``lapor-gateway
reconcile --older-than`` re-publishes the complaints that are in no queue and no hash
(kombu's BRPOP-then-backup gap), and only those.
A publish the broker refuses is scheduled for the forwarder instead of waiting for the
reconciler, also when the spool is replayed.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from forwarder import recovery, topology
from forwarder.worker import ForwardWorker
from gateway import cli
from tests.forwarder.lost_jobs import age_suspicions, queued_keys
from tests.helpers import free_port, inbound


def _held_by(url: str, count: int) -> tuple[recovery.Lease, object, list]:
    """A consumer that took ``count`` messages and never acknowledges them."""
    lease = recovery.Lease()
    connection = topology.connect(url, lease.held_key)
    connection.ensure_connection()
    lease.start(connection.default_channel)
    taken: list = []
    consumer = connection.Consumer([topology.Topology().queue(topology.COMPLAINTS)],
                                   callbacks=[lambda body, message: taken.append(message)],
                                   accept=["json"], prefetch_count=count)
    consumer.consume()
    deadline = time.monotonic() + 10
    while len(taken) < count and time.monotonic() < deadline:
        try:
            connection.drain_events(timeout=0.2)
        except socket.timeout:
            pass
    assert len(taken) == count
    return lease, connection, taken


def _dies(lease: recovery.Lease) -> None:
    """kill -9: the heartbeat stops; the lease runs out (here: at once)."""
    lease.stop()
    lease._client.delete(recovery.LEASE + lease.id)


def test_sweep_restores_only_what_a_dead_consumer_held(parts, redis_url):
    for n in range(6):
        parts.intake.take(inbound(f"LAPOR jalan rusak nomor {n}"))
    client = redis.Redis.from_url(redis_url)
    live, live_connection, live_taken = _held_by(redis_url, 2)
    dead, dead_connection, dead_taken = _held_by(redis_url, 2)
    backlog = queued_keys(client)
    assert len(backlog) == 2
    _dies(dead)
    with topology.connect(redis_url) as connection:
        assert recovery.sweep(connection.default_channel, redis_url) == (1, 2)
        assert recovery.sweep(connection.default_channel, redis_url) == (0, 0)   # once only
    dead_keys = {m.headers["idempotency_key"] for m in dead_taken}
    assert queued_keys(client) == backlog | dead_keys                # the backlog untouched
    assert client.hlen(live.held_key) == 2                    # the live consumer keeps its own
    assert client.zscore(recovery.CONSUMERS, dead.id) is None and not client.exists(dead.held_key)
    for message in live_taken:
        message.ack()
    live.stop(release=True)
    live_connection.release()
    dead_connection.release()


def test_cli_reconcile_older_than_leaves_the_backlog(parts, redis_url, environ, monkeypatch,
                                                     capsys):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    numbers = [parts.intake.take(inbound(f"LAPOR sampah menumpuk {n}")).tracking_number
               for n in range(3)]
    client = redis.Redis.from_url(redis_url)
    client.rpop("lapor.complaints")
    assert cli.main(["reconcile"]) == 0                       # 600 s: nothing is that old
    assert capsys.readouterr().out.strip() == "re-published 0 complaint(s)"
    assert cli.main(["reconcile", "--older-than", "0"]) == 0
    assert capsys.readouterr().out.strip() == "re-published 1 complaint(s)"
    ids = {client.get(f"lapor:t:{number}").decode() for number in numbers}
    assert queued_keys(client) == ids and client.llen("lapor.complaints") == 3


@pytest.fixture
def broker_down(environ):
    """A RabbitMQ URL where nothing listens: every publish is refused."""
    environ["LAPOR_BROKER_URL"] = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    return environ


def test_refused_publish_is_scheduled_for_the_forwarder(broker_down, parts):
    outcome = parts.intake.take(inbound("LAPOR lampu jalan mati"))
    assert outcome.tracking_number
    assert parts.store.is_scheduled("complaint", outcome.complaint_id)


def test_spool_replay_schedules_what_the_broker_refuses(broker_down, parts):
    outcome = parts.intake.take(inbound("LAPOR banjir di RT 5"))
    complaint = parts.store.complaint(outcome.complaint_id)
    parts.store.redis.flushdb()               # as if the store had been down at intake
    record = {"complaint": complaint, "dedup_id": "", "handle": ""}
    parts.intake.replay_spooled(record)
    assert parts.store.ledger(complaint["id"])["state"] == "accepted"
    assert parts.store.is_scheduled("complaint", complaint["id"])
    parts.store.redis.delete("lapor:retry:complaint")
    parts.intake.replay_spooled(record)       # replayed again: recorded already, still queued
    assert parts.store.is_scheduled("complaint", complaint["id"])


def test_forwarder_waits_for_a_store_that_is_restarting(environ, monkeypatch, tmp_path):
    """Redis down while the forwarder starts (a restart): it waits, then runs (was: exit 2)."""
    from tests.helpers import start_redis

    port = free_port()
    environ.update(LAPOR_REDIS_URL=f"redis://127.0.0.1:{port}/0",
                   LAPOR_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cli, "STOP", threading.Event())
    result = {}

    def forward():   # what ``main`` runs (main itself installs signal handlers: main thread)
        try:
            result["code"] = cli.cmd_forward(cli.build_parser().parse_args(["forward"]))
        except Exception as exc:  # noqa: BLE001 - main would answer exit 2
            result["error"] = type(exc).__name__

    forwarder = threading.Thread(target=forward)
    forwarder.start()
    time.sleep(1.5)
    assert forwarder.is_alive(), f"the forwarder gave up at once: {result}"
    server = start_redis(port, tmp_path)
    try:
        deadline = time.monotonic() + 20
        client = redis.Redis(port=port)
        while not client.exists(recovery.CONSUMERS) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.exists(recovery.CONSUMERS), "the forwarder never started consuming"
    finally:
        cli.STOP.set()
        forwarder.join(20)
        server.terminate()
        server.wait(10)
    assert result == {"code": 0}


def test_a_death_found_by_any_worker_is_looked_into_by_a_forwarder(parts, redis_url):
    """The notifier's sweep may be the one that finds a dead forwarder consumer: the
    forwarder still looks for what that consumer took unbacked, and its tick confirms."""
    ids = [parts.intake.take(inbound(f"LAPOR parkir liar {n}")).complaint_id for n in range(3)]
    client = redis.Redis.from_url(redis_url)
    forwarder = ForwardWorker(parts, threading.Event())
    with topology.connect(redis_url) as connection:
        forwarder.after_sweep(connection.default_channel)       # at start: nothing is lost
    client.zadd("lapor:pending", dict.fromkeys(ids, time.time() - 3600))
    dead, dead_connection, _ = _held_by(redis_url, 1)
    client.rpop("lapor.complaints")           # the next one it took by BRPOP, then was killed
    _dies(dead)
    with topology.connect(redis_url) as connection:
        channel = connection.default_channel
        assert recovery.sweep(channel, redis_url) == (1, 1)     # e.g. the notifier's sweep
        forwarder.after_sweep(channel)
        assert len(forwarder.lost.suspects) == 1 and client.llen("lapor.complaints") == 2
        forwarder.after_sweep(channel)                          # no new death: no new look
    age_suspicions(forwarder)
    forwarder.tick()
    assert queued_keys(client) == set(ids) and client.llen("lapor.complaints") == 3
    dead_connection.release()
    forwarder._pool.shutdown()


def test_a_clean_stop_is_no_death(parts, redis_url):
    """A consumer that stops cleanly with nothing held leaves no trace and no audit."""
    parts.intake.take(inbound("LAPOR trotoar rusak"))
    lease, connection, taken = _held_by(redis_url, 1)
    taken[0].ack()
    lease.stop(release=True)
    connection.release()
    client = redis.Redis.from_url(redis_url)
    assert client.zcard(recovery.CONSUMERS) == 0 and not client.exists(recovery.LEASE + lease.id)
    with topology.connect(redis_url) as checking:
        assert recovery.sweep(checking.default_channel, redis_url) == (0, 0)
    assert not client.exists(recovery.DEATHS)

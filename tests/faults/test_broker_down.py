"""Fault 4: the broker is down at intake; citizens still get tracking numbers, and every
complaint taken meanwhile is delivered once the broker is back.

Three cases, on both brokers:

``redis-broker-down``  the broker is the store's own Redis: stopping it takes the store
    down too, so intake writes each complaint to the fsynced disk spool
    (``forwarder.spool``, under LAPOR_DATA_DIR) and answers with its tracking number; the
    drainer replays the spool in order once Redis is back.
``amqp-broker-down``   RabbitMQ stops (``rabbitmqctl stop_app``) while the store (Redis)
    stays up: the store takes the complaint (ledger ``accepted``), the publish fails, the
    citizen is answered, and the forwarder's reconciler publishes it once RabbitMQ is back.
    The spool is not needed here: the ledger in Redis is the record.
``amqp-store-down``    Redis (the store) stops while RabbitMQ stays up: the spool again,
    then replay through the store and a publish to RabbitMQ.

Two settings: ``defaults`` (the reconciler at its 600 s, the forwarder with a data dir of
its own as on another host, so only the web side's drainer replays the spool; asserted:
every complaint answered before the return is at the central side within 60 s of it) and ``reconcile-2s``.

Intake runs from ``scale.down_threads`` threads (as a web server's threads would) for one
phase before, the outage, and one phase after. Asserted: every message got a tracking
number, every one reaches the central side exactly once by its Idempotency-Key, nothing is
dead-lettered, the spool ends empty with no corrupt record set aside, and ``/readyz``
said 503 during the outage.
"""
from __future__ import annotations

import signal
import time

import pytest
from tests.faults.conftest import RECOVERY_SECONDS
from tests.faults.figures import Figures, rounded, assert_all_issued, assert_exactly_once, fill
from tests.faults.load import IntakeLoad
from tests.faults.procs import RedisServer, rabbitmq_app
from tests.helpers import amqp_answers, wait_for

CASES = {"redis-broker-down": ("redis", "redis"),
         "amqp-broker-down": ("amqp", "rabbitmq"),
         "amqp-store-down": ("amqp", "redis")}


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis", appendfsync="everysec").start()
    yield server
    server.stop(signal.SIGKILL)


class Outage:
    """Takes down (and brings back) what the case names."""

    def __init__(self, request, down: str, redis_server: RedisServer, broker_url: str):
        self.down = down
        self.redis_server = redis_server
        self.broker_url = broker_url
        self.rabbitmq_env = request.getfixturevalue("rabbitmq")["env"] if down == "rabbitmq" else None
        self.is_down = False

    def begin(self) -> None:
        if self.down == "redis":
            self.redis_server.stop(signal.SIGTERM)
        else:
            rabbitmq_app(self.rabbitmq_env, "stop_app")
        self.is_down = True

    def end(self) -> None:
        if not self.is_down:
            return
        if self.down == "redis":
            self.redis_server.start()
        else:
            rabbitmq_app(self.rabbitmq_env, "start_app")
            wait_for(lambda: amqp_answers(self.broker_url), timeout=60, interval=0.2,
                     message="RabbitMQ back")
        self.is_down = False


@pytest.mark.parametrize("settings", ["defaults", "reconcile-2s"])
@pytest.mark.parametrize("case", list(CASES))
def test_broker_down_at_intake(request, case, settings, redis_server, make_rig, scale, tmp_path):
    broker, down = CASES[case]
    store_url = redis_server.url
    broker_url = store_url if broker == "redis" else request.getfixturevalue("amqp_url")
    rig = make_rig(store_url, broker_url, defaults=settings == "defaults")
    outage = Outage(request, down, redis_server, broker_url)
    request.addfinalizer(outage.end)          # never leave the shared RabbitMQ stopped
    app = _app(rig)
    phase = scale.down_seconds
    figures = Figures(f"broker-down-{case}", broker, scale.name, faults=1,
                      fault_kind=f"{down} down at intake for {phase:g}s",
                      extra={"settings": settings})

    started = time.monotonic()
    rig.forwarder.start()
    load = IntakeLoad(rig.parts.intake, scale.down_rate, duration=phase * 3,
                      threads=scale.down_threads).start()
    time.sleep(phase)
    before = len(load.issued)
    outage.begin()
    time.sleep(phase / 2)
    ready = app.get("/readyz")
    time.sleep(phase / 2)
    during = len(load.issued) - before
    outage.end()
    back = time.monotonic()
    recovered = rig.wait_delivered(load.answered(), scale.deadline_seconds)
    load.join(phase * 2 + scale.deadline_seconds)
    rig.wait_drained(load.issued, scale.deadline_seconds)
    drained = time.monotonic()
    figures.seconds = drained - started
    exit_code = rig.forwarder.terminate()

    details = fill(figures, load.issued, rig.central, rig.store)
    left, corrupt = rig.spool_left()
    figures.extra.update(spooled=rig.spooled, answered_during_outage=during,
                         slowest_answer_seconds=round(load.slowest, 2),
                         offered=load.sent, intake_refused=load.refused,
                         drain_seconds_after_back=round(drained - back, 1),
                         delivered_seconds_after_back=rounded(recovered),
                         readyz_during_outage=[ready.status_code, ready.get_json().get("spool")],
                         spool_left=left, corrupt=corrupt, reconciled=rig.forwarder.reconciled(),
                         forwarder_exit=exit_code)
    figures.report(tmp_path, load.issued)

    assert load.refused == 0 and load.numberless == 0, \
        f"citizens went without a tracking number: {load.errors[:3]}"
    assert figures.complaints == load.sent
    assert during > 0, "no complaint was answered during the outage: the test tested nothing"
    if down == "redis":
        assert rig.spooled > 0, "the store was down but nothing went to the spool"
    assert ready.status_code == 503
    assert_exactly_once(figures, details, rig.central)
    assert_all_issued(figures, details)
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert left == 0 and corrupt == [], f"spool not drained: {left} left, corrupt {corrupt}"
    assert rig.pending() == 0, "the ledger still lists undelivered complaints"
    assert exit_code == 0, f"forwarder did not stop cleanly on SIGTERM: {exit_code}"
    if settings == "defaults":
        assert recovered is not None and recovered <= RECOVERY_SECONDS, \
            f"answered before the return, delivered {recovered}s after it " \
            f"(limit {RECOVERY_SECONDS}s)"


def _app(rig):
    from gateway.app import create_app

    application = create_app(parts=rig.parts)
    application.config["TESTING"] = True
    return application.test_client()

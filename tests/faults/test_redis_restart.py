"""Fault 2: restart Redis (the store, and on the Redis broker also the queue) under steady
intake.

Two honest variants, each on both brokers:

``sigterm-everysec``  AOF with ``appendfsync everysec`` (the embedded default and the
    usual production setting), Redis stopped with SIGTERM: a clean shutdown writes and
    fsyncs the AOF before exiting, so nothing acknowledged is lost.
``kill9-always``      AOF with ``appendfsync always``, Redis killed with SIGKILL (a crash):
    Redis fsyncs the AOF before it sends a reply, so every write a client saw answered
    survives the crash.
(Not tested, because it is not a promise: SIGKILL with ``everysec`` may lose the last
second of acknowledged writes, tracking numbers included; docs/reliability.md says so.)

While Redis is down the intake fails (the gateway answers 503 and the provider delivers
again); the load retries the same provider message until it gets a tracking number.
Asserted: every complaint whose tracking number was handed out reaches the central side,
with that number, every copy under the same Idempotency-Key, none dead-lettered; with
``defaults`` (the reconciler at its 600 s, the forwarder on a data dir of its own), every
complaint answered before Redis's last return delivered within 60 s of it; ``reconcile-2s`` as the other fault tests.
"""
from __future__ import annotations

import signal
import time

import pytest

from tests.faults.conftest import RECOVERY_SECONDS, broker_url
from tests.faults.figures import Figures, rounded, assert_exactly_once, fill
from tests.faults.load import IntakeLoad
from tests.faults.procs import RedisServer

VARIANTS = {"sigterm-everysec": (signal.SIGTERM, "everysec"),
            "kill9-always": (signal.SIGKILL, "always")}


@pytest.fixture
def redis_server(tmp_path, variant):
    server = RedisServer(tmp_path / "redis", appendfsync=VARIANTS[variant][1]).start()
    yield server
    server.stop(signal.SIGKILL)


@pytest.mark.parametrize("settings", ["defaults", "reconcile-2s"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_restart_redis_under_steady_intake(request, broker, variant, settings, redis_server,
                                           make_rig, scale, tmp_path):
    signum, _ = VARIANTS[variant]
    rig = make_rig(redis_server.url, broker_url(request, broker, redis_server.url),
                   defaults=settings == "defaults")
    figures = Figures(f"redis-restart-{variant}", broker, scale.name,
                      fault_kind=f"redis {signal.Signals(signum).name} restart, "
                                 f"appendfsync {redis_server.appendfsync}",
                      extra={"settings": settings})
    started = time.monotonic()
    rig.forwarder.start()
    load = IntakeLoad(rig.parts.intake, scale.restart_rate, duration=scale.restart_seconds).start()
    gap = scale.restart_seconds / (scale.redis_restarts + 1)
    for _ in range(scale.redis_restarts):
        time.sleep(max(0.0, gap - scale.redis_down_seconds))
        redis_server.restart(signum, scale.redis_down_seconds)
    recovered = rig.wait_delivered(load.answered(), scale.deadline_seconds)
    load.join(scale.restart_seconds + scale.deadline_seconds)
    rig.wait_drained(load.issued, scale.deadline_seconds)
    figures.seconds = time.monotonic() - started
    exit_code = rig.forwarder.terminate()

    figures.faults = redis_server.restarts
    details = fill(figures, load.issued, rig.central, rig.store)
    figures.extra.update(intake_refused=load.refused, intake_retried_duplicates=load.duplicates,
                         reconciled=rig.forwarder.reconciled(), forwarder_exit=exit_code,
                         forwarder_restarts=rig.forwarder.starts - 1, spooled=rig.spooled,
                         slowest_answer_seconds=round(load.slowest, 2),
                         restored=rig.forwarder.restored(),
                         delivered_seconds_after_last_return=rounded(recovered),
                         intake_errors=sorted(set(load.errors))[:5])
    figures.report(tmp_path, load.issued)

    assert figures.faults == scale.redis_restarts
    assert figures.complaints > 0 and load.numberless == 0
    assert_exactly_once(figures, details, rig.central)
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert rig.pending() == 0, "the ledger still lists undelivered complaints"
    assert exit_code == 0, f"forwarder did not stop cleanly on SIGTERM: {exit_code}"
    if settings == "defaults":
        assert recovered is not None and recovered <= RECOVERY_SECONDS, \
            f"answered before Redis's last return, delivered {recovered}s after it " \
            f"(limit {RECOVERY_SECONDS}s)"

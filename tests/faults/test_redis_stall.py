"""Fault 5: Redis stalls past the store's client time-out (SIGSTOP, then SIGCONT), under
steady intake.

A stall (a disk that blocks fsync, a paused VM) is the fault where Redis does the work but
the gateway never hears the answer: the store client gives up after its 5 s socket
time-out, intake spools the complaint and answers the citizen with its tracking number,
and when Redis continues it runs the intake script that was waiting in its socket buffer.
The spool drain then meets a complaint that is already recorded. With a provider message
id the dedup key says so; a third of the messages here have none (a JSON API call without
an Idempotency-Key), where only the tracking number tells.

Asserted, as everywhere: every complaint handed out a tracking number reaches the central
side once by its Idempotency-Key *with the tracking number the citizen was given*, and the
citizen's number shows the complaint as forwarded.
"""
from __future__ import annotations

import signal
import time

import pytest

from tests.faults.conftest import RECOVERY_SECONDS, broker_url
from tests.faults.figures import Figures, rounded, assert_exactly_once, fill
from tests.faults.load import IntakeLoad
from tests.faults.procs import RedisServer


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis", appendfsync="everysec").start()
    yield server
    server.process.send_signal(signal.SIGCONT)
    server.stop(signal.SIGKILL)


@pytest.mark.parametrize("settings", ["defaults", "reconcile-2s"])
def test_redis_stalls_past_the_client_time_out(request, broker, settings, redis_server, make_rig,
                                               scale, tmp_path):
    rig = make_rig(redis_server.url, broker_url(request, broker, redis_server.url),
                   defaults=settings == "defaults")
    figures = Figures("redis-stall", broker, scale.name, faults=scale.stalls,
                      fault_kind=f"redis SIGSTOP {scale.stall_seconds:g}s, then SIGCONT",
                      extra={"settings": settings})
    stall, gap = scale.stall_seconds, scale.stall_seconds / 4
    started = time.monotonic()
    rig.forwarder.start()
    load = IntakeLoad(rig.parts.intake, scale.stall_rate,
                      duration=gap + scale.stalls * (stall + gap),
                      threads=8, without_id_every=3).start()
    for _ in range(scale.stalls):
        time.sleep(gap)
        redis_server.freeze(stall)
    recovered = rig.wait_delivered(load.answered(), scale.deadline_seconds)
    load.join(stall * 2 + scale.deadline_seconds)
    rig.wait_drained(load.issued, scale.deadline_seconds)
    figures.seconds = time.monotonic() - started
    exit_code = rig.forwarder.terminate()

    details = fill(figures, load.issued, rig.central, rig.store)
    stale = [cid for cid, number in load.issued.items()
             if (rig.store.status(number) or {}).get("status") != "diteruskan"]
    renumbered = [cid for cid, number in load.issued.items()
                  if rig.store.ledger(cid).get("tracking") != number]
    figures.extra.update(spooled=rig.spooled, without_provider_id=len(load.without_id),
                         slowest_answer_seconds=round(load.slowest, 2),
                         numbers_not_forwarded=len(stale), renumbered=len(renumbered),
                         renumbered_without_id=len(set(renumbered) & load.without_id),
                         reconciled=rig.forwarder.reconciled(),
                         restored=rig.forwarder.restored(),
                         delivered_seconds_after_last_stall=rounded(recovered),
                         intake_refused=load.refused, forwarder_exit=exit_code)
    figures.report(tmp_path, load.issued)

    assert load.refused == 0 and load.numberless == 0
    assert rig.spooled > 0, "no complaint was spooled: the stall tested nothing"
    assert_exactly_once(figures, details, rig.central)
    assert renumbered == [], f"{len(renumbered)} complaint(s) recorded under another number"
    assert stale == [], f"{len(stale)} citizen's number(s) never show 'diteruskan': {stale[:5]}"
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert rig.pending() == 0, "the ledger still lists undelivered complaints"
    assert exit_code == 0, f"forwarder did not stop cleanly on SIGTERM: {exit_code}"
    if settings == "defaults":
        assert recovered is not None and recovered <= RECOVERY_SECONDS, \
            f"answered before the last stall ended, delivered {recovered}s after it " \
            f"(limit {RECOVERY_SECONDS}s)"

"""Fault 3: the central system is down for a stretch, then back, under steady intake.

The stretch has three phases of ``scale.outage_seconds`` each, after a first phase where
all is well: connection refused (the central stand-in stops listening and cuts its open
keep-alive connections), then 503 on every request, then slow: every request is stored
but answered only after 1.5 s, past the forwarder's time-out (LAPOR_CENTRAL_TIMEOUT=0.5),
so the forwarder never hears the answer and retries a complaint the central side already
has. Then the central side is back to normal while intake goes on for one more phase.

Retries back off from 0.2 s to at most 2 s, with LAPOR_MAX_ATTEMPTS=1000 and
LAPOR_MAX_AGE_HOURS=100 so that an outage this long never dead-letters anything.
Asserted: the backlog drains, every complaint handed out a tracking number reaches the
central side (the slow phase's copies arrive again under the same Idempotency-Key),
nothing is dead-lettered, nothing is left pending.
"""
from __future__ import annotations

import time

from tests.faults.conftest import broker_url
from tests.faults.figures import Figures, assert_all_issued, assert_exactly_once, fill
from tests.faults.load import IntakeLoad


def test_central_down_then_back(request, broker, redis_url, make_rig, central, scale, tmp_path):
    rig = make_rig(redis_url, broker_url(request, broker, redis_url), LAPOR_CENTRAL_TIMEOUT="0.5")
    central.slow_seconds = 1.5
    phase = scale.outage_seconds
    figures = Figures("central-outage", broker, scale.name, faults=3,
                      fault_kind="central refused, then 503, then slow past the time-out")
    backlog = []

    def hold(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            backlog.append(rig.pending() or 0)
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))

    started = time.monotonic()
    rig.forwarder.start()
    load = IntakeLoad(rig.parts.intake, scale.outage_rate, duration=phase * 5).start()
    hold(phase)
    central.stop()                    # connection refused
    hold(phase)
    central.start(mode="503")
    hold(phase)
    central.mode = "slow"
    hold(phase)
    central.mode = "ok"
    back = time.monotonic()
    undelivered_when_back = rig.pending()
    load.join(phase * 2 + scale.deadline_seconds)
    rig.wait_drained(load.issued, scale.deadline_seconds)
    drained = time.monotonic()
    figures.seconds = drained - started
    exit_code = rig.forwarder.terminate()

    details = fill(figures, load.issued, rig.central, rig.store)
    stats = rig.store.stats()
    figures.extra.update(max_backlog=max(backlog, default=0),
                         undelivered_when_back=undelivered_when_back,
                         drain_seconds_after_back=round(drained - back, 1),
                         retries=sum(n for (event, _), n in stats.items() if event == "retried"),
                         reconciled=rig.forwarder.reconciled(), intake_refused=load.refused,
                         forwarder_exit=exit_code)
    figures.report(tmp_path, load.issued)

    assert figures.complaints > 0 and load.refused == 0
    assert_exactly_once(figures, details, rig.central)
    assert_all_issued(figures, details)
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert sum(n for (event, _), n in stats.items() if event == "dead") == 0
    assert rig.pending() == 0 and rig.store.scheduled("complaint") == 0
    assert max(backlog) > 0, "the outage never held anything back: the test tested nothing"
    assert exit_code == 0, f"forwarder did not stop cleanly on SIGTERM: {exit_code}"

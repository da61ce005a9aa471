"""Fault 1: ``kill -9`` the forwarder at random moments while complaints flow.

Intake feeds ``scale.kill_complaints`` complaints at a steady rate (in-process, the same
``Intake.take`` the doors call) while the forwarder runs as a real process
(``python -m gateway.cli forward``). At random moments, chosen as random counts of
complaints already stored by the central stand-in (seeded; the seed is printed), the
forwarder gets SIGKILL and is started again at once. On Redis a kill leaves messages in
the killed consumer's unacked hash (kombu would restore them after an hour) and can fall
between kombu's BRPOP and that backup (the message is gone from the queue): the fresh
forwarder restores the dead consumer's hash once its lease expires, and re-publishes what
is in no queue and no hash (``forwarder.recovery``). On RabbitMQ the broker requeues the
killed consumer's unacknowledged messages.

Two settings: ``defaults`` (the reconciler at its 600 s: recovery must not depend on it;
asserted: every complaint answered before the last restart is delivered within 60 s of it) and ``reconcile-2s``
(LAPOR_RECONCILE_AFTER_SECONDS=2 and short retries, as the other fault tests).

Asserted: the central side ends with exactly the complaint ids whose tracking numbers were
handed out (none lost, none invented), with the tracking numbers handed out, every repeat
delivery carrying the same Idempotency-Key, nothing dead-lettered, and the last forwarder
stopping cleanly on SIGTERM.
"""
from __future__ import annotations

import random
import time

import pytest

from tests.faults import scale as scales
from tests.faults.conftest import RECOVERY_SECONDS, broker_url
from tests.faults.figures import Figures, rounded, assert_all_issued, assert_exactly_once, fill
from tests.faults.load import IntakeLoad


def _kill_at(rig, point: int, rng: random.Random, up_since: float, deadline: float) -> bool:
    """Wait until the central side holds ``point`` complaints and the forwarder has run a
    random while; False if that never happens before ``deadline``."""
    linger = rng.uniform(0.3, 1.5)
    while time.monotonic() < deadline:
        if rig.central.distinct() >= point and time.monotonic() - up_since >= linger:
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("settings", ["defaults", "reconcile-2s"])
def test_kill_forwarder_at_random_moments(request, broker, settings, redis_url, make_rig, scale,
                                          tmp_path):
    seed = scales.seed()
    rng = random.Random(seed)
    rig = make_rig(redis_url, broker_url(request, broker, redis_url),
                   defaults=settings == "defaults")
    total = scale.kill_complaints
    points = sorted(rng.sample(range(1, total), min(scale.kills, total - 1)))
    figures = Figures("forwarder-kill-9", broker, scale.name, fault_kind="kill -9 forwarder",
                      extra={"seed": seed, "kill_points": points, "settings": settings})

    started = time.monotonic()
    rig.forwarder.start()
    up_since = time.monotonic()
    load = IntakeLoad(rig.parts.intake, scale.kill_rate, total=total).start()
    deadline = started + total / scale.kill_rate + scale.deadline_seconds
    for point in points:
        if not _kill_at(rig, point, rng, up_since, deadline):
            break
        rig.forwarder.kill9()
        rig.forwarder.start()
        up_since = time.monotonic()
    recovered = rig.wait_delivered(load.answered(), scale.deadline_seconds)
    load.join(deadline - time.monotonic() + 30)
    rig.wait_drained(load.issued, max(5.0, deadline - time.monotonic()))
    figures.seconds = time.monotonic() - started
    exit_code = rig.forwarder.terminate()

    figures.faults = rig.forwarder.kills
    details = fill(figures, load.issued, rig.central, rig.store)
    figures.extra.update(restarts=rig.forwarder.starts - 1, reconciled=rig.forwarder.reconciled(),
                         restored=rig.forwarder.restored(), put_back=rig.forwarder.put_back(),
                         delivered_seconds_after_last_restart=rounded(recovered),
                         intake_refused=load.refused, forwarder_exit=exit_code)
    figures.report(tmp_path, load.issued)

    assert figures.complaints == total and load.refused == 0
    assert_exactly_once(figures, details, rig.central)
    assert_all_issued(figures, details)
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert figures.faults == len(points), f"only {figures.faults} of {len(points)} kills happened"
    assert rig.pending() == 0, "the ledger still lists undelivered complaints"
    if settings == "defaults":
        assert recovered is not None and recovered <= RECOVERY_SECONDS, \
            f"answered before the last restart, delivered {recovered}s after it " \
            f"(limit {RECOVERY_SECONDS}s)"
    assert exit_code == 0, f"forwarder did not stop cleanly on SIGTERM: {exit_code}"

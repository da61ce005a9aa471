"""Fault 9: ``kill -9`` the notifier at random moments while acknowledgements flow.

Intake takes ``scale.kill_complaints`` WhatsApp messages at a steady rate (in-process, as
the door's webhook does: ``Intake.receive``): each new complaint's acknowledgement is queued
for the notifier (on the Redis broker in the intake script itself, with the complaint; on
RabbitMQ apart). The notifier runs as a real process (``python -m gateway.cli notify``) and
sends through a stand-in of Meta's Graph API on loopback. At random moments, chosen as
random counts of acknowledgements the stand-in already took (seeded; the seed is printed),
the notifier gets SIGKILL and is started again at once.

On Redis a kill leaves replies in the killed consumer's hash (restored once its lease
expires) and can fall between kombu's ``BRPOP`` and that backup: the reply's record
(``forwarder.store_jobs``) brings it back once a sweep finds the consumer dead
(``forwarder.recovery.LostJobs``). On RabbitMQ the broker requeues what the killed consumer
held. The production defaults throughout (the reconciler at its 600 s).

Asserted: every citizen who got a tracking number got its acknowledgement on WhatsApp (none
lost), those answered before the last restart within ``RECOVERY_SECONDS`` of it; a reply
sent again at most once per kill (a kill between the send and the acknowledgement to the
broker sends it again: at least once, never lost); nothing dead-lettered; no reply left
recorded as not done within ``RECOVERY_SECONDS`` after the last acknowledgement (a copy
put back by a sweep, of a reply already sent, clears its record when the notifier takes
it); the last notifier stopping cleanly on SIGTERM.
"""
from __future__ import annotations

import json
import random
import re
import time
from collections import Counter

import pytest

from forwarder import dead, keys
from tests.channels import whatsapp_support
from tests.faults import scale as scales
from tests.faults.conftest import RECOVERY_SECONDS, broker_url
from tests.faults.figures import Figures, rounded
from tests.faults.load import IntakeLoad
from tests.faults.procs import WorkerProcess
from tests.helpers import Receiver

TRACKING = re.compile(r"\b\d{11}\b")


@pytest.fixture
def graph():
    """Meta's Graph API: takes every message."""
    with Receiver(default=(200, {}, {"messages": [{"id": "wamid.FAULT"}]})) as api:
        yield api


def _acknowledged(graph: Receiver) -> Counter:
    """Tracking number -> how many acknowledgements carrying it the Graph API took."""
    sent = Counter()
    for request in list(graph.requests):
        sent.update(set(TRACKING.findall(json.loads(request["body"])["text"]["body"])))
    return sent


def _wait_acknowledged(graph: Receiver, numbers, timeout: float) -> float | None:
    wanted, started = set(numbers), time.monotonic()
    while time.monotonic() - started < timeout:
        if wanted <= set(_acknowledged(graph)):
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def _wait_cleared(rig, timeout: float) -> float | None:
    """Seconds until no reply is recorded as not done (None: still some after ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if rig.store.redis.hlen(keys.jobs("reply")) == 0:
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def test_kill_notifier_at_random_moments(request, broker, redis_url, make_rig, scale, graph, tmp_path):
    seed = scales.seed()
    rng = random.Random(seed)
    rig = make_rig(redis_url, broker_url(request, broker, redis_url), defaults=True,
                   **whatsapp_support.environ_for(graph.url))
    notifier = WorkerProcess(rig.forwarder.environ, tmp_path / "notifier.log", command="notify")
    total = scale.kill_complaints
    points = sorted(rng.sample(range(1, total), min(scale.kills, total - 1)))
    figures = Figures("notifier-kill-9", broker, scale.name, fault_kind="kill -9 notifier",
                      extra={"seed": seed, "kill_points": points, "settings": "defaults"})

    started = time.monotonic()
    notifier.start()
    up_since = time.monotonic()
    load = IntakeLoad(rig.parts.intake, scale.kill_rate, total=total,
                      adapter=rig.parts.adapters["wa-cloud"]).start()
    deadline = started + total / scale.kill_rate + scale.deadline_seconds
    try:
        for point in points:
            linger = rng.uniform(0.3, 1.5)
            while time.monotonic() < deadline and not (
                    len(_acknowledged(graph)) >= point and time.monotonic() - up_since >= linger):
                time.sleep(0.01)
            if time.monotonic() >= deadline:
                break
            notifier.kill9()
            notifier.start()
            up_since = time.monotonic()
        recovered = _wait_acknowledged(graph, [load.issued[c] for c in load.answered()],
                                       scale.deadline_seconds)
        load.join(deadline - time.monotonic() + 30)
        _wait_acknowledged(graph, load.issued.values(), max(5.0, deadline - time.monotonic()))
        # A copy put back by a sweep may still wait, its reply already sent (a kill between
        # the send and the record's clearing): the notifier is done once its records are.
        cleared = _wait_cleared(rig, RECOVERY_SECONDS)
        figures.seconds = time.monotonic() - started
        exit_code = notifier.terminate()
    finally:
        if notifier.alive():
            notifier.kill9()

    sent = _acknowledged(graph)
    numbers = set(load.issued.values())
    lost = sorted(numbers - set(sent))
    figures.complaints, figures.faults = len(numbers), notifier.kills
    figures.delivered, figures.lost = len(numbers & set(sent)), len(lost)
    figures.duplicates = sum(count - 1 for number, count in sent.items() if number in numbers)
    figures.unissued = len(set(sent) - numbers)
    figures.dead = len(dead.list_dead(rig.parts))
    figures.extra.update(restarts=notifier.starts - 1, intake_refused=load.refused,
                         restored=notifier.restored(), put_back=notifier.put_back(),
                         acknowledged_seconds_after_last_restart=rounded(recovered),
                         records_cleared_seconds_after_that=rounded(cleared),
                         most_sends_of_one=max(sent.values(), default=0), notifier_exit=exit_code)
    figures.report(tmp_path, load.issued)

    assert figures.complaints == total and load.refused == 0
    assert not lost, f"{len(lost)} acknowledgement(s) never sent, e.g. {lost[:5]}"
    assert figures.unissued == 0, "an acknowledgement for a number nobody was given"
    assert max(sent.values()) <= notifier.kills + 1, f"sent {max(sent.values())} times"
    assert figures.dead == 0
    assert figures.faults == len(points), f"only {figures.faults} of {len(points)} kills happened"
    assert recovered is not None and recovered <= RECOVERY_SECONDS, \
        f"answered before the last restart, acknowledged {recovered}s after it (limit {RECOVERY_SECONDS}s)"
    assert cleared is not None and rig.store.redis.hlen(keys.jobs("reply")) == 0, \
        f"replies still recorded as not done {RECOVERY_SECONDS}s after the last acknowledgement"
    assert exit_code == 0, f"notifier did not stop cleanly on SIGTERM: {exit_code}"

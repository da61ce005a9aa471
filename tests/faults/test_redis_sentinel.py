"""Fault 6: the store's Redis primary fails over under steady intake (Redis Sentinel).

A primary and a replica under three Sentinels (``tests/faults/sentinels.py``); the gateway
is configured only with ``LAPOR_REDIS_SENTINELS`` and ``LAPOR_REDIS_MASTER_NAME`` (the
broker is the same Redis, through kombu's ``sentinel://`` transport). Mid-intake:

``failover``  ``SENTINEL FAILOVER``: the replica is promoted, the old primary demoted;
``kill9``     SIGKILL of the primary: the Sentinels agree it is down (1 s) and promote
              the replica; the old primary is started again later and rejoins as a replica.

Each runs with Redis as configured by default (``none``) and with ``min-replicas``
(``min-replicas-to-write 1``, ``min-replicas-max-lag 1``: a primary without a replica that
answered in the last second refuses writes, so intake spools instead of writing where the
write would be thrown away).

Asserted: the gateway follows the new primary (every complaint answered after the
promotion is delivered and in the new primary's ledger), every copy under its own
Idempotency-Key, nothing dead-lettered, the forwarder stops cleanly. *Measured, not
asserted*: complaints answered but lost by the failover (replication is asynchronous:
writes the old primary acknowledged and had not passed on, or took after the promotion,
are discarded when it rejoins as a replica). docs/reliability.md reports them.
"""
from __future__ import annotations

import signal
import time

import pytest

from tests.faults.figures import Figures, fill, rounded
from tests.faults.load import IntakeLoad
from tests.faults.sentinels import MASTER_NAME, SentinelGroup
from tests.helpers import wait_for

GUARDS = {"none": (), "min-replicas": ("--min-replicas-to-write", "1",
                                        "--min-replicas-max-lag", "1")}


@pytest.fixture
def group(tmp_path, guard):
    running = SentinelGroup(tmp_path / "sentinel", GUARDS[guard]).start()
    yield running
    running.stop()


def _fail_over(group: SentinelGroup, fault: str) -> None:
    if fault == "failover":
        group.ask("SENTINEL", "FAILOVER", MASTER_NAME)
    else:
        group.primary.stop(signal.SIGKILL)
    group.wait_promoted(group.replica_port)
    if fault == "kill9":
        group.primary.start()          # back, and told by the Sentinels to follow the new one


@pytest.mark.parametrize("guard", list(GUARDS))
@pytest.mark.parametrize("fault", ["failover", "kill9"])
def test_redis_primary_fails_over_under_intake(fault, guard, group, make_rig, scale, tmp_path):
    store_url = "redis://127.0.0.1:1/0"     # host and port unused: the Sentinels name the primary
    rig = make_rig(store_url, store_url, defaults=True, LAPOR_REDIS_SENTINELS=group.addresses,
                   LAPOR_REDIS_MASTER_NAME=MASTER_NAME)
    figures = Figures(f"redis-sentinel-{fault}", "redis", scale.name,
                      fault_kind=f"Sentinel {fault}, {guard}", extra={"guard": guard})
    started = time.monotonic()
    rig.forwarder.start()
    load = IntakeLoad(rig.parts.intake, scale.sentinel_rate, duration=scale.sentinel_seconds).start()
    third = int(scale.sentinel_rate * scale.sentinel_seconds / 3)   # the first take warms up
    wait_for(lambda: len(load.answered()) >= third, timeout=60, message="a third of the intake")
    before = set(load.answered())
    began = time.monotonic()
    _fail_over(group, fault)
    switch_seconds = time.monotonic() - began
    after_switch = set(load.answered())
    load.join(scale.sentinel_seconds + scale.deadline_seconds)
    later = set(load.issued) - after_switch
    rig.wait_drained(load.issued, scale.deadline_seconds / 3)
    figures.seconds = time.monotonic() - started
    exit_code = rig.forwarder.terminate()

    figures.faults = 1
    details = fill(figures, load.issued, rig.central, rig.store)
    lost = set(load.issued) - rig.central.ids()
    figures.extra.update(switch_seconds=round(switch_seconds, 1), spooled=rig.spooled,
                         answered_before=len(before), answered_during=len(after_switch - before),
                         answered_after=len(later), intake_refused=load.refused,
                         slowest_answer_seconds=round(load.slowest, 2),
                         restored=rig.forwarder.restored(), forwarder_exit=exit_code,
                         drained_seconds=rounded(figures.seconds))
    figures.report(tmp_path, load.issued)

    assert group.primary_port() == group.replica_port
    assert later and not later & lost, f"not delivered after the promotion: {details}"
    states = rig.store.ledger_states(later)
    assert set(states) <= {"delivered"}, f"the new primary's ledger: {states}"
    assert not details["wrong_numbers"] and rig.central.key_mismatches == []
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert exit_code == 0, f"forwarder did not stop cleanly on SIGTERM: {exit_code}"

"""Fault 7: ``kill -9`` of a web process holding complaints in its spool (issue 12, "the
spool stays local by design").

The store (Redis) is down, so a real ``lapor-gateway web`` (gunicorn) writes every
complaint it takes through the Kannel door to its disk spool (``forwarder.spool``, under
its own ``LAPOR_DATA_DIR``) and answers the citizen with a tracking number. Then the web
process, master and worker, is killed with SIGKILL while those complaints are still on its
disk, and Redis comes back. The forwarder runs meanwhile on a data dir of its own (as on
another host), so it cannot replay that spool. The web process is started again with the
same data dir: at its start it finds the spool and replays it (``gateway.app``).

Asserted: every tracking number handed out reaches the central side under its own
complaint id (0 lost, copies only under the same Idempotency-Key), within 60 s of the
restart, nothing is dead-lettered, and the spool ends empty with no corrupt record set
aside. Runs on both brokers with the production defaults.
"""
from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from normalizer import tracking
from tests.faults.conftest import RECOVERY_SECONDS
from tests.faults.figures import Figures, assert_exactly_once, fill, rounded
from tests.faults.procs import RedisServer, WebProcess
from tests.gateway.support import TRACKING
from tests.helpers import wait_for


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis", appendfsync="everysec").start()
    yield server
    server.stop(signal.SIGKILL)


def _send(base: str, number: int) -> str:
    """One SMS through the Kannel door; the tracking number the citizen was told."""
    answer = requests.get(base + "/in/sms-1708", timeout=30, params={
        "secret": "kannel-door-secret", "from": f"0812{number:08d}", "to": "1708",
        "id": f"web-kill-{number}", "text": f"LAPOR lampu jalan {number} mati"})
    assert answer.status_code == 200, answer.text[:200]
    return tracking.compact(TRACKING.search(answer.text).group(1))


def test_a_killed_web_process_replays_its_spool_when_it_starts_again(
        request, broker, redis_server, make_rig, scale, tmp_path):
    from tests.faults.conftest import broker_url

    rig = make_rig(redis_server.url, broker_url(request, broker, redis_server.url), defaults=True)
    web_env = {**rig.env, "LAPOR_DATA_DIR": str(tmp_path / "web-data")}
    figures = Figures("web-kill9-spool", broker, scale.name, fault_kind="kill -9 of the web process",
                      extra={"settings": "defaults"})
    rig.forwarder.start()
    web = WebProcess(web_env, tmp_path / "web.log").start()
    started = time.monotonic()
    redis_server.stop(signal.SIGTERM)
    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(lambda n: _send(web.base, n), range(scale.web_kill_complaints)))
    spooled = requests.get(web.base + "/readyz", timeout=10).json()["spool"]
    web.kill9()
    figures.faults = 1
    redis_server.start()
    restarted = time.monotonic()
    web = WebProcess(web_env, tmp_path / "web.log").start()
    try:
        wait_for(lambda: all(rig.store.tracking_owner(n) for n in numbers), timeout=RECOVERY_SECONDS,
                 interval=0.2, message="the spool replayed into the store")
        issued = {rig.store.tracking_owner(n): n for n in numbers}
        delivered_after = rig.wait_delivered(issued, RECOVERY_SECONDS)
        delivered_at = time.monotonic()
        rig.wait_drained(issued, scale.deadline_seconds)
        figures.seconds = time.monotonic() - started
        left = requests.get(web.base + "/readyz", timeout=10).json()["spool"]
    finally:
        web_exit = web.terminate()
    details = fill(figures, issued, rig.central, rig.store)
    corrupt = sorted(p.name for p in (tmp_path / "web-data" / "spool").glob("corrupt-*"))
    figures.extra.update(spooled=spooled, spool_left=left, corrupt=corrupt,
                         delivered_seconds_after_restart=rounded(
                             None if delivered_after is None else delivered_at - restarted))
    figures.report(tmp_path, issued)
    assert len(numbers) == len(set(numbers)) == scale.web_kill_complaints
    assert spooled == scale.web_kill_complaints, "the store was down: every complaint is spooled"
    assert_exactly_once(figures, details, rig.central)
    assert delivered_after is not None, f"not delivered within {RECOVERY_SECONDS} s of the restart"
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert left == 0 and corrupt == []
    assert web_exit == 0 and rig.forwarder.terminate() == 0

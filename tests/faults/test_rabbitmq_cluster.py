"""Fault 8: a RabbitMQ cluster loses a node under steady HTTP intake, and gets it back.

Three RabbitMQ nodes clustered on loopback (``tests/faults/rabbits.py``, started once for
the module), quorum queues (``LAPOR_QUORUM_QUEUES=1``: each queue on the three nodes), the
store in Redis. The gateway knows the cluster only through ``LAPOR_BROKER_URL`` listing the
three nodes (``config.broker``); every part connects to the first that answers. Two web
processes (``lapor-gateway web``, one gunicorn worker each, a data dir each as on two hosts)
take complaints through the JSON API, each with its own ``Idempotency-Key``, from a client
that retries a 503 or a broken connection with the same key (``tests/faults/http_load.py``);
two forwarders (``lapor-gateway forward``, a data dir each) deliver to the central
stand-in. Production defaults otherwise (the reconciler at 600 s).

A third of the way in, the node that leads ``lapor.complaints`` (the first in the list,
where every part is connected) is killed with SIGKILL; two thirds in, it is started again
and rejoins. Asserted: every complaint answered 2xx reaches the central side (0 lost),
copies only under the key of the first (no complaint stored centrally that nobody was
told about), no answer but 201/200/503, nothing dead-lettered, the forwarders stop cleanly.
Measured (docs/reliability.md): answers by status, retries, the slowest answer, the
longest pause in deliveries after the kill (the failover as the central side sees it),
the new leader, how long the node took to come back.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from forwarder.topology import COMPLAINTS
from tests.faults.figures import Figures, assert_all_issued, assert_exactly_once, fill
from tests.faults.http_load import HttpLoad
from tests.faults.procs import WorkerProcess
from tests.faults.rabbits import RabbitCluster
from tests.gateway.webproc import WebCommand

from tests.faults import scale as scales

WEB_PROCESSES = FORWARDERS = 2
# Small size: quorum queues, the recommended setting; full size also measures classic
# queues (LAPOR_QUORUM_QUEUES=0), each queue on the one node that declared it.
RUN_QUEUES = ["quorum", "classic"] if scales.current().name == "full" else ["quorum"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = RabbitCluster(tmp_path_factory.mktemp("rabbit-cluster")).start()
    print(f"\nRabbitMQ cluster of three up in {running.started_seconds:.1f} s")
    yield running
    running.stop()


class DeliveryClock:
    """Samples how many complaints the central side holds, to find the pauses."""

    def __init__(self, central):
        self.central, self.samples = central, [(time.monotonic(), 0)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "DeliveryClock":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            count = self.central.distinct()
            if count != self.samples[-1][1]:
                self.samples.append((time.monotonic(), count))

    def longest_pause(self, since: float) -> float:
        """The longest time without a new delivery from ``since`` to the last delivery."""
        moments = [since] + [at for at, _ in self.samples if at > since]
        return max((later - earlier for earlier, later in zip(moments, moments[1:])), default=0.0)


def _start_parts(rig, tmp_path) -> tuple[list[WebCommand], list[WorkerProcess]]:
    forwarders = [rig.forwarder] + [
        WorkerProcess({**rig.forwarder.environ, "LAPOR_DATA_DIR": str(tmp_path / f"forwarder-{n}")},
                         tmp_path / f"forwarder-{n}.log") for n in range(2, FORWARDERS + 1)]
    for forwarder in forwarders:
        forwarder.start()
    with ThreadPoolExecutor(WEB_PROCESSES) as starting:       # at once: each takes seconds
        pending = [starting.submit(lambda n=n: WebCommand(
            {**rig.env, "LAPOR_DATA_DIR": str(tmp_path / f"web-{n}")},
            log_path=tmp_path / f"web-{n}.log", workers=1, start_timeout=180))
            for n in range(1, WEB_PROCESSES + 1)]
    if any(start.exception() for start in pending):           # leave no process behind
        _stop_parts([start.result() for start in pending if not start.exception()], forwarders)
        raise next(start.exception() for start in pending if start.exception())
    return [start.result() for start in pending], forwarders


def _stop_parts(webs, forwarders) -> tuple[list[str], list[int | None]]:
    """SIGTERM to all at once; their logs and the forwarders' exit codes."""
    with ThreadPoolExecutor(len(webs) + len(forwarders)) as stopping:
        logs = [stopping.submit(web.stop) for web in webs]
        exits = [stopping.submit(forwarder.terminate) for forwarder in forwarders]
        return [log.result() for log in logs], [code.result() for code in exits]


@pytest.mark.parametrize("queues", RUN_QUEUES)
def test_a_node_is_killed_and_restarted_under_intake(queues, cluster, redis_url, make_rig, scale,
                                                     tmp_path):
    vhost = f"cluster-{queues}-{tmp_path.name[-8:]}"
    cluster.add_vhost(vhost)
    rig = make_rig(redis_url, cluster.urls(vhost), defaults=True,
                   LAPOR_QUORUM_QUEUES="1" if queues == "quorum" else "0",
                   LAPOR_RATE_LIMIT_EXEMPT="127.0.0.0/8")
    rig.parts.publisher.ping()       # declares the queues: quorum on the three nodes, classic on the first
    before = cluster.queue_members(vhost, COMPLAINTS)
    victim = cluster.names.index(before["leader"])
    figures = Figures(f"rabbitmq-cluster-kill9-{queues}", "amqp", scale.name, faults=1,
                      fault_kind="SIGKILL of the node holding the queue, restarted later",
                      extra={"settings": "defaults", "queues": queues,
                             "cluster_start_seconds": round(cluster.started_seconds, 1)})
    started = time.monotonic()
    webs, forwarders = _start_parts(rig, tmp_path)
    try:
        with DeliveryClock(rig.central) as clock:
            load = HttpLoad([web.base for web in webs], scale.cluster_rate, scale.cluster_seconds).start()
            time.sleep(scale.cluster_seconds / 3)
            cluster.kill(victim)
            killed = time.monotonic()
            time.sleep(scale.cluster_seconds / 3)
            after = cluster.queue_members(vhost, COMPLAINTS)
            rejoined = cluster.restart(victim)
            load.join(scale.cluster_seconds + scale.deadline_seconds)
            issued = {rig.store.tracking_owner(number): number for number in load.numbers.values()}
            drained = rig.wait_drained(issued, scale.deadline_seconds)
            finished = time.monotonic()
        figures.seconds = finished - started
    finally:
        web_logs, exit_codes = _stop_parts(webs, forwarders)
        if not cluster.alive(victim):          # failed between the kill and the restart
            cluster.restart(victim)
    pause = clock.longest_pause(killed)

    details = fill(figures, issued, rig.central, rig.store)
    figures.extra.update(
        offered=load.sent, answers=load.answers, retried=load.retried, broken=load.broken[:10],
        killed_at=round(killed - load.started, 1),
        slowest_answer_seconds=round(load.slowest, 2), failover_seconds=round(pause, 1),
        leader_before=before["leader"], leader_after=after.get("leader"),
        rejoined_seconds=round(rejoined, 1), drained_seconds=drained and round(drained, 1),
        central_answers=dict(rig.central.answers), forwarder_exits=exit_codes,
        web_processes=WEB_PROCESSES, forwarders=FORWARDERS,
        reconciled=sum(forwarder.reconciled() for forwarder in forwarders))
    figures.report(tmp_path, issued)

    assert not load.unexpected, f"answers other than 201/200/503: {load.unexpected[:3]}"
    assert set(load.answers) <= {"201", "200", "503"}, f"broken connections: {load.answers}"
    assert len(load.numbers) == load.sent == len(issued) and None not in issued, \
        "a complaint went unanswered, or its tracking number is unknown to the store"
    if queues == "quorum":
        assert before["type"] == "quorum" and len(before["members"]) == 3, before
        assert after.get("leader") not in ("", None, before["leader"]), f"no new leader: {after}"
    assert_exactly_once(figures, details, rig.central)
    assert_all_issued(figures, details)
    assert figures.dead == 0 and rig.dead_letters() == 0
    assert rig.pending() == 0, "the ledger still lists undelivered complaints"
    assert exit_codes == [0] * FORWARDERS, f"forwarders did not stop cleanly: {exit_codes}"
    assert all("Traceback" not in log for log in web_logs), "a web process logged a traceback"

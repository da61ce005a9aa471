"""Three RabbitMQ nodes (Debian's ``rabbitmq-server``) clustered on loopback, for the
cluster fault test.

Each node has its own name (``rabbit1-<port>@localhost``: unique on the machine, which
shares one epmd), AMQP port, distribution port, Mnesia and log folders; the three share one
Erlang cookie through one HOME (``.erlang.cookie``, mode 400). They form the cluster at
boot through the ``classic_config`` peer discovery (every node lists the three; RabbitMQ's
own lock makes one of them the seed and the other two join it), started at once rather than
one after the other (``rabbitmqctl join_cluster`` would need three CLI calls and an app
restart per joining node). ``start`` returns once every node answers AMQP and the first
lists the three as running; ``started_seconds`` is how long that took.

``kill(n)`` is SIGKILL of node n's process group (its Erlang VM and helpers; epmd runs
detached and survives); ``restart(n)`` boots it again on the same ports and Mnesia folder,
and it rejoins the cluster.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

from tests.faults.procs import RABBITMQCTL
from tests.helpers import amqp_answers, free_port, rabbitmq_env, spawn_rabbitmq, wait_for

NODES = 3
START_TIMEOUT = 180.0


class RabbitCluster:
    def __init__(self, base: Path):
        self.base = Path(base)
        self.home = self.base / "home"
        self.ports = [free_port() for _ in range(NODES)]
        self.names = [f"rabbit{n + 1}-{self.ports[0]}@localhost" for n in range(NODES)]
        discovery = "cluster_formation.peer_discovery_backend = classic_config\n" + "".join(
            f"cluster_formation.classic_config.nodes.{n + 1} = {name}\n"
            for n, name in enumerate(self.names))
        self.envs = [rabbitmq_env(port, self.base / f"node{n + 1}", self.names[n], self.home,
                                  discovery) for n, port in enumerate(self.ports)]
        self.processes: list[subprocess.Popen | None] = [None] * NODES
        self.started_seconds = 0.0

    def url(self, n: int, vhost: str = "") -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.ports[n]}/{vhost}"

    def urls(self, vhost: str = "") -> str:
        """LAPOR_BROKER_URL: the three nodes, kombu's ``;``-separated failover list."""
        return ";".join(self.url(n, vhost) for n in range(NODES))

    def start(self) -> "RabbitCluster":
        began = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(os.urandom(16).hex())
        cookie.chmod(stat.S_IRUSR)
        for n in range(NODES):
            self.processes[n] = spawn_rabbitmq(self.envs[n])
        for n in range(NODES):
            self.wait_up(n)
        wait_for(lambda: len(self.running_nodes()) == NODES, timeout=START_TIMEOUT, interval=0.5,
                 message="three RabbitMQ nodes in one cluster")
        self.started_seconds = time.monotonic() - began
        return self

    def wait_up(self, n: int, timeout: float = START_TIMEOUT) -> None:
        wait_for(lambda: amqp_answers(self.url(n)), timeout=timeout, interval=0.5,
                 message=f"RabbitMQ node {self.names[n]}")

    def ctl(self, *args: str, node: int = 0) -> str:
        return subprocess.run([RABBITMQCTL, *args], env=self.envs[node], check=True,
                              capture_output=True, text=True, timeout=120).stdout

    def running_nodes(self, node: int = 0) -> list[str]:
        """The nodes ``node`` sees running in its cluster ([] while it does not answer)."""
        try:
            listed = self.ctl("eval", "rabbit_nodes:all_running().", node=node)
        except subprocess.SubprocessError:
            return []
        return [name for name in self.names if name in listed]

    def add_vhost(self, vhost: str) -> None:
        self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def queue_members(self, vhost: str, queue: str) -> dict:
        """A quorum queue's leader and members, or the one node holding a classic queue
        (``leader``, the only member), as the running nodes see them."""
        listed = json.loads(self.ctl("list_queues", "-p", vhost, "--formatter", "json",
                                     "name", "type", "leader", "members",
                                     node=self.alive_node()) or "[]")
        row = next((row for row in listed if row["name"] == queue), {})
        if row.get("type") == "classic":
            row["leader"] = next((self.names[n] for n in range(NODES) if self.alive(n) and queue in [
                item["name"] for item in json.loads(self.ctl(
                    "list_queues", "-p", vhost, "--local", "--formatter", "json", "name", node=n) or "[]")]), "")
            row["members"] = [row["leader"]]
        return row

    def alive(self, n: int) -> bool:
        return self.processes[n] is not None and self.processes[n].poll() is None

    def alive_node(self) -> int:
        return next(n for n in range(NODES) if self.alive(n))

    def kill(self, n: int) -> None:
        """SIGKILL of node n: no goodbye to its peers or its clients."""
        process = self.processes[n]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)

    def restart(self, n: int) -> float:
        """Boot node n again (same ports, same Mnesia); seconds until it is back in the cluster."""
        began = time.monotonic()
        self.processes[n] = spawn_rabbitmq(self.envs[n])
        self.wait_up(n)
        wait_for(lambda: self.names[n] in self.running_nodes(self.alive_node()),
                 timeout=START_TIMEOUT, interval=0.5, message=f"{self.names[n]} rejoined")
        return time.monotonic() - began

    def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(30)

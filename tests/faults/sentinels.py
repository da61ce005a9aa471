"""A Redis primary and replica under three Sentinels (Debian's ``redis-sentinel``), all on
loopback, for the Sentinel fault test. The Sentinels agree on a failure with a quorum of 2
after ``DOWN_AFTER_MS``; ``SENTINEL FAILOVER`` needs no agreement.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import redis

from tests.faults.procs import RedisServer
from tests.helpers import free_port, wait_for

MASTER_NAME = "lapor"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000


class SentinelGroup:
    def __init__(self, base: Path, redis_options: tuple[str, ...] = ()):
        self.base = Path(base)
        redis_options = (*redis_options, "--repl-diskless-sync-delay", "0")
        self.primary = RedisServer(self.base / "primary", extra=redis_options)
        self.replica_port = free_port()
        self.replica = RedisServer(self.base / "replica", port=self.replica_port,
                                   extra=(*redis_options, "--replicaof", "127.0.0.1",
                                          str(self.primary.port)))
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen] = []

    @property
    def addresses(self) -> str:
        """LAPOR_REDIS_SENTINELS."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def start(self) -> "SentinelGroup":
        self.primary.start()
        self.replica.start()
        binary = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
        for port in self.sentinel_ports:
            folder = self.base / f"sentinel-{port}"
            folder.mkdir(parents=True)
            config = folder / "sentinel.conf"
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {folder}\nlogfile {folder / 'sentinel.log'}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}\n")
            self.sentinels.append(subprocess.Popen(
                [binary, str(config)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True))
        wait_for(self._settled, timeout=30, interval=0.2,
                 message="three Sentinels that see each other and the replica")
        return self

    def ask(self, *command):
        """A command to the first Sentinel that answers."""
        for port in self.sentinel_ports:
            try:
                return redis.Redis(port=port, socket_timeout=2, decode_responses=True) \
                    .execute_command(*command)
            except redis.RedisError:
                continue
        raise RuntimeError("no Sentinel answered")

    def _settled(self) -> bool:
        try:
            replicas = self.ask("SENTINEL", "REPLICAS", MASTER_NAME)
            linked = redis.Redis(port=self.replica_port).info("replication")
            return all(len(redis.Redis(port=port, decode_responses=True).execute_command(
                "SENTINEL", "SENTINELS", MASTER_NAME)) == 2 for port in self.sentinel_ports) \
                and any("s_down" not in str(item) for item in replicas) \
                and linked.get("master_link_status") == "up"
        except (redis.RedisError, RuntimeError):
            return False

    def primary_port(self) -> int:
        return int(self.ask("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)[1])

    def wait_promoted(self, port: int, timeout: float = 30.0) -> None:
        """Until the Sentinels name ``port`` the primary and it answers as one."""
        def promoted() -> bool:
            try:
                role = redis.Redis(port=port, socket_timeout=1).execute_command("ROLE")[0]
                return self.primary_port() == port and role in (b"master", "master")
            except (redis.RedisError, RuntimeError):
                return False
        wait_for(promoted, timeout=timeout, interval=0.1, message=f"port {port} promoted")

    def wait_demoted(self, port: int, timeout: float = 60.0) -> None:
        """Until the server on ``port`` (the old primary) answers as a replica."""
        def demoted() -> bool:
            try:
                role = redis.Redis(port=port, socket_timeout=1).execute_command("ROLE")[0]
                return role in (b"slave", "slave")
            except redis.RedisError:
                return False
        wait_for(demoted, timeout=timeout, interval=0.1, message=f"port {port} demoted")

    def stop(self) -> None:
        for process in self.sentinels:
            process.kill()
            process.wait(10)
        self.primary.stop(signal.SIGKILL)
        self.replica.stop(signal.SIGKILL)

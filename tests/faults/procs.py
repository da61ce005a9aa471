"""Real processes the fault tests start, kill and restart: a worker (the forwarder, the
notifier), the web side (``lapor-gateway web``: gunicorn) and redis-server.

``WorkerProcess`` runs ``python -m gateway.cli forward`` (what ``lapor-gateway forward``
runs; ``notify`` for the notifier) with only the ``LAPOR_*`` environment the test gives it,
logging to one file across restarts; ``kill9`` is SIGKILL, ``terminate`` is SIGTERM
(graceful: the batch in flight finishes, nothing half-delivered is acknowledged).

``WebProcess`` runs ``lapor-gateway web`` (gunicorn, one worker) in a session of its own,
logging to a file; ``kill9`` sends SIGKILL to that session's process group: the master
and its workers die at once, as when the machine loses power.

``RedisServer`` is Debian's redis-server on a fixed loopback port with AOF on and the
``appendfsync`` policy the test chooses, so it can be stopped (SIGTERM: clean shutdown;
SIGKILL: crash) and started again on the same port and data folder, reloading its AOF, or
frozen (SIGSTOP, then SIGCONT).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SETTLE = 1.5          # seconds a forwarder runs before the tests stop it with SIGTERM


def clean_environ(extra: dict) -> dict:
    """This process's environment without any LAPOR_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, environ: dict, log_path: Path, command: str = "forward"):
        self.environ = clean_environ(environ)
        self.command = command
        self.log_path = Path(log_path)
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0
        self.started_at = 0.0

    def start(self) -> None:
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", self.command], cwd=ROOT, env=self.environ,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            log.close()
        self.starts += 1
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL, wait for it to be gone."""
        if self.alive():
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.kills += 1

    def terminate(self, timeout: float = 30.0) -> int | None:
        """SIGTERM; the exit code, or None if it did not stop within ``timeout`` (then killed).

        Sent no sooner than ``SETTLE`` seconds after the start: a signal that arrives while
        the interpreter itself is still starting (before ``gateway.cli.main`` installs its
        handler) ends the process with -15, having done nothing; that is not the graceful
        stop this checks."""
        if not self.alive():
            return self.process.returncode if self.process else None
        time.sleep(max(0.0, self.started_at + SETTLE - time.monotonic()))
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            return None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def reconciled(self) -> int:
        """Complaints the reconciler re-published, summed from the log over every run."""
        return self._sum_logged("reconciler re-published", "re-published")

    def restored(self) -> int:
        """Messages of dead consumers restored to their queues (Redis broker), from the log."""
        return self._sum_logged("held by", "restored")

    def put_back(self) -> int:
        """Complaints, replies or media jobs put back by the worker's look for lost ones
        (``recovery.LostJobs``), from the log."""
        return self._sum_logged("reconciler put back", "back")

    def _sum_logged(self, marker: str, word: str) -> int:
        total = 0
        for line in self.log_text().splitlines():
            if marker in line:
                total += int(line.rsplit(word, 1)[1].split()[0])
        return total


class WebProcess:
    def __init__(self, environ: dict, log_path: Path):
        self.environ = clean_environ(environ)
        self.log_path = Path(log_path)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "WebProcess":
        script = str(Path(sys.executable).with_name("lapor-gateway"))
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [script, "web", "--port", str(self.port), "--workers", "1"], cwd=ROOT,
                env=self.environ, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            wait_for(self._healthy, timeout=120, interval=0.2, message="lapor-gateway web serving")
        except BaseException:
            with contextlib.suppress(ProcessLookupError):   # a failed start leaves nothing behind
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise
        return self

    def _healthy(self) -> bool:
        import requests

        assert self.process.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
        try:
            return requests.get(self.base + "/healthz", timeout=1).ok
        except requests.RequestException:
            return False

    def kill9(self) -> None:
        """SIGKILL to the master and its workers together (its own process group)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 60.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            return None


class RedisServer:
    def __init__(self, data_dir: Path, appendfsync: str = "everysec", port: int | None = None,
                 extra: tuple[str, ...] = ()):
        self.data_dir = Path(data_dir)
        self.extra = extra                 # more redis-server options (replicaof, min-replicas)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.appendfsync = appendfsync
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
             "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "",
             "--maxmemory-policy", "noeviction", "--logfile", str(self.data_dir / "redis.log"),
             *self.extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        client = redis.Redis(port=self.port, socket_timeout=1)
        wait_for(lambda: _ready(client), timeout=30, message=f"redis-server on {self.port}")
        client.close()
        return self

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def freeze(self, seconds: float) -> None:
        """SIGSTOP for ``seconds``, then SIGCONT: a stall (a blocked disk, a paused VM).
        Connections stay open and new ones still complete in the kernel; whatever clients
        sent meanwhile runs when the process continues, answered or not."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            self.process.send_signal(signal.SIGCONT)

    def restart(self, signum: int, down_seconds: float) -> None:
        """Stop with ``signum``, stay down ``down_seconds``, start again (same port, same AOF)."""
        self.stop(signum)
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1


RABBITMQCTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def rabbitmq_app(env: dict, action: str) -> None:
    """``stop_app``: the RabbitMQ broker stops (connections closed, new ones refused) while
    its Erlang node and its disk stay; ``start_app``: it recovers its durable queues."""
    subprocess.run([RABBITMQCTL, action], env=env, check=True, capture_output=True, timeout=120)


def _ready(client) -> bool:
    try:
        return bool(client.ping())           # LOADING (replaying the AOF) raises: not ready
    except redis.RedisError:
        return False

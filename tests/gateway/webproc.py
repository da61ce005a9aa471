"""``lapor-gateway web`` and ``lapor-gateway media`` as real processes for tests: gunicorn
with the web command's own worker settings, on a free loopback port, stopped with SIGTERM;
the media worker, stopped with SIGTERM or killed with SIGKILL. Each runs with only the
``LAPOR_*`` settings the test gives it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from tests.helpers import free_port, wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))


def clean_environ(environ: dict) -> dict:
    """This process's environment without any LAPOR_* setting, plus ``environ``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}, **environ}


class WebCommand:
    """``lapor-gateway web --port N`` as a process; stopped with SIGTERM."""

    def __init__(self, environ: dict, cwd: str | None = None, workers: int = 2,
                 log_path: Path | None = None, start_timeout: float = 60.0):
        """``log_path``: its output goes to that file (a long run's access log would fill
        a pipe nobody reads) instead of a pipe ``stop`` returns; ``start_timeout``:
        seconds to wait for /healthz."""
        self.port = free_port()
        self.log_path = log_path
        output = open(log_path, "ab") if log_path else subprocess.PIPE
        try:
            self.process = subprocess.Popen(
                [SCRIPT, "web", "--port", str(self.port), "--workers", str(workers)], cwd=cwd,
                env=clean_environ(environ), stdout=output, stderr=subprocess.STDOUT,
                text=log_path is None)
        finally:
            if log_path:
                output.close()
        self.base = f"http://127.0.0.1:{self.port}"
        try:
            wait_for(self._healthy, timeout=start_timeout, interval=0.2, message="gunicorn serving /healthz")
            wait_for(self._settled, timeout=max(start_timeout, 120.0), interval=0.2,
                     message="the workers' suggestion data loaded")
        except BaseException:
            self.stop()         # a start that timed out leaves no gunicorn behind
            raise

    def _settled(self) -> bool:
        """The workers have loaded their suggestion data in the background (normalizer.warmup):
        timings measured from here on are the steady state's, not a starting process's. New
        connections each, so both workers are likely asked."""
        try:
            return all(requests.get(self.base + "/readyz", timeout=2).json().get("suggestions") == "ok"
                       for _ in range(4))
        except (requests.RequestException, ValueError):
            return False

    def _output(self) -> str:
        if self.log_path:
            return Path(self.log_path).read_text(errors="replace")
        return self.process.stdout.read() if self.process.stdout else ""

    def _healthy(self) -> bool:
        assert self.process.poll() is None, self._output()[-3000:]
        try:
            return requests.get(self.base + "/healthz", timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self) -> str:
        """SIGTERM; what it printed."""
        self.process.send_signal(signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return self._output() if self.log_path else output

    def stall(self, path: str, sent: bytes = b"{", length: int = 400) -> socket.socket:
        """A connection that sends the headers and ``sent`` of a ``length``-byte body."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n")
                     .encode("ascii") + sent)
        return sock


class MediaCommand:
    """``lapor-gateway media`` (one process) in ``cwd``, its output appended to ``log_path``."""

    def __init__(self, environ: dict, cwd: str, log_path: Path):
        self.log_path = Path(log_path)
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen([SCRIPT, "media"], cwd=cwd, env=clean_environ(environ),
                                            stdin=subprocess.DEVNULL, stdout=output,
                                            stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill9(self) -> None:
        """SIGKILL, as when its machine loses power; waits until it is gone."""
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> str:
        """SIGTERM (what is in flight finishes); what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        return self.output()

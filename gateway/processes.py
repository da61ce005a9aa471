"""How ``lapor-gateway run`` and ``web`` serve and supervise their processes: the gunicorn
command of the web side (gevent worker, access log without query strings), the environment
the children inherit, restarting a child that exited, stopping them all, the start banner,
and the store's durability checked before any of them serves.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from redis import RedisError

# Path only, never the query string: Kannel puts the sender's number in the URL.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def child_env(settings) -> dict:
    env = dict(os.environ)
    env.update(LAPOR_REDIS_URL=settings.redis_url, LAPOR_BROKER_URL=settings.broker_url,
               LAPOR_SECRET_KEY=settings.secret_key, LAPOR_DATA_DIR=str(settings.data_dir),
               LAPOR_MODE=settings.mode)
    return env


# The web side's gunicorn worker: gevent, each connection a greenlet, so clients that stall
# hold no thread (a gthread worker's 4 threads were taken by 4 stalled bodies); each body
# then has LAPOR_BODY_TIMEOUT_SECONDS to arrive (gateway.bodytime). docs/decisions.md.
WORKER_CLASS = "gevent"
WORKER_CONNECTIONS = 1000


def gunicorn_command(host: str, port: int, workers: int,
                     connections: int = WORKER_CONNECTIONS, json_logs: bool = False) -> list[str]:
    """The web side's gunicorn; ``json_logs`` (LAPOR_LOG_FORMAT=json): its own lines as JSON."""
    logger = ["--logger-class", "gateway.accesslog.JsonLogger"] if json_logs else []
    return [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--worker-class", WORKER_CLASS,
            "--worker-connections", str(connections),
            "--graceful-timeout", "20", "--access-logfile", "-", *logger,
            "--access-logformat", ACCESS_LOG_FORMAT, "gateway.app:create_app()"]


def wait_ready(host: str, port: int, stop, patience: float = 20.0) -> bool:
    """Wait until the web side answers 200 on ``/readyz`` (at most ``patience`` seconds, or
    until ``stop`` is set). ``run`` starts the workers only then: at start the web side has
    the machine's CPU to itself, so it is ready sooner (issue 12: under 2 s)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/readyz"
    deadline = time.monotonic() + patience
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        stop.wait(0.05)
    return False


def restart_exited(children: dict, commands: dict, env: dict) -> None:
    """Start again, by name, every child process of ``run`` that exited."""
    for name, child in children.items():
        if child.poll() is not None:
            print(f"lapor-gateway: {name} exited with {child.returncode}; restarting",
                  file=sys.stderr)
            time.sleep(1)
            children[name] = subprocess.Popen(commands[name], env=env)


def stop_children(children: dict) -> None:
    """SIGTERM every child still running, then wait up to 30 s each before SIGKILL."""
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def banner(parts, host: str, port: int, extra: list) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    print(f"lapor-gateway: web form        {base}/lapor")
    print(f"lapor-gateway: JSON API        {base}/api/v1/complaints  (OpenAPI {base}/openapi.json)")
    print(f"lapor-gateway: officers        {base}/petugas/login  (accounts: lapor-gateway officers add)")
    for door in parts.catalogue.doors.values():
        print(f"lapor-gateway: door {door.id:<10} {base}/in/{door.id}  ({door.channel})")
    for job in extra:
        for door_id in job.doors:
            print(f"lapor-gateway: door {door_id:<10} {job.note}")
    if not parts.settings.central_url:
        outbox = parts.settings.data_dir / "central-outbox.jsonl"
        print(f"lapor-gateway: no LAPOR_CENTRAL_URL: forwarded complaints go to {outbox}")
    sys.stdout.flush()


def durability(parts) -> int:
    """Print Redis durability problems; production refuses to start (returns 2)."""
    problems = parts.store.check_durability()
    for problem in problems:
        print(f"{'error' if parts.settings.mode == 'production' else 'warning'}: {problem}",
              file=sys.stderr)
    return 2 if problems and parts.settings.mode == "production" else 0


def durability_when_reachable(parts, stop, patience: float = 60.0) -> int:
    """``durability``, waiting up to ``patience`` seconds for a store that is restarting:
    a worker must not exit because Redis blinked while it started."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return durability(parts)
        except RedisError as exc:
            if stop.is_set() or time.monotonic() >= deadline:
                raise
            print(f"lapor-gateway: store not reachable yet ({type(exc).__name__}); waiting",
                  file=sys.stderr)
            stop.wait(1.0)

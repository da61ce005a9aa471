"""Fault-test fixtures: both brokers, a central stand-in that can go down, and a rig that
wires an in-process intake to a forwarder running as a real process.

Every fault test runs once per broker (``broker``: ``redis``, the same Redis as the store;
``amqp``, a RabbitMQ on loopback with the store still in Redis). The size comes from
``tests/faults/scale.py`` (``LAPOR_FAULT_SCALE=small|full``), and so does each test's
pytest time-out.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import redis

from config.settings import load_settings
from tests.faults import scale as scales
from tests.faults.central import CentralStub
from tests.faults.procs import WorkerProcess

CENTRAL_SECRET = "fault-central-secret"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    timeout = scales.current().timeout
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.timeout(timeout))


@pytest.fixture(scope="session")
def scale() -> scales.Scale:
    return scales.current()


@pytest.fixture(params=["redis", "amqp"])
def broker(request) -> str:
    return request.param


# The settings the fault tests shorten so that the reconciler and retries act within a
# test; ``defaults=True`` leaves them at their production defaults (the reconciler at
# 600 s), which is how recovery must work too.
FAST = {
    "LAPOR_CENTRAL_TIMEOUT": "2",
    "LAPOR_RECONCILE_AFTER_SECONDS": "2",
    "LAPOR_RETRY_BASE_SECONDS": "0.2",
    "LAPOR_RETRY_CAP_SECONDS": "2",
    "LAPOR_MAX_ATTEMPTS": "1000",
    "LAPOR_MAX_AGE_HOURS": "100",
}
RECOVERY_SECONDS = 60     # with default settings: what was answered before the recovery
                          # (restart, return) is at the central side within this of it


def broker_url(request, broker: str, store_url: str) -> str:
    """The broker URL for ``broker``: the store's own Redis, or a fresh RabbitMQ vhost."""
    return store_url if broker == "redis" else request.getfixturevalue("amqp_url")


@pytest.fixture
def central():
    with CentralStub(CENTRAL_SECRET) as running:
        yield running


class Rig:
    """One gateway under test: settings, in-process parts (intake), the forwarder process."""

    def __init__(self, tmp_path: Path, store_url: str, broker_url: str, central: CentralStub,
                 defaults: bool = False, **overrides: str):
        self.tmp_path = tmp_path
        self.central = central
        self.env = {
            "LAPOR_REDIS_URL": store_url,
            "LAPOR_BROKER_URL": broker_url,
            "LAPOR_DATA_DIR": str(tmp_path / "data"),
            "LAPOR_SECRET_KEY": "fault-test-secret-key-0123456789",
            "LAPOR_MODE": "production",
            "LAPOR_DOOR_SMS_1708_SECRET": "kannel-door-secret",
            "LAPOR_CENTRAL_URL": central.url,
            "LAPOR_CENTRAL_SECRET": CENTRAL_SECRET,
            "LAPOR_FOLLOWUP_MINUTES": "0",          # every message is its own complaint
            "LAPOR_LOG_LEVEL": "WARNING",
        }
        if not defaults:
            self.env.update(FAST)
        self.env.update(overrides)
        from gateway.wiring import build_parts

        self.settings = load_settings(self.env)
        self.parts = build_parts(self.settings)
        self.store = self.parts.store
        # With the defaults the forwarder gets a data dir of its own, as on its own host:
        # only the web side's drainer can replay the web side's spool.
        forwarder_env = {**self.env, "LAPOR_DATA_DIR": str(tmp_path / "forwarder-data")} \
            if defaults else self.env
        self.forwarder = WorkerProcess(forwarder_env, tmp_path / "forwarder.log")
        self.spooled = 0                 # complaints intake wrote to the disk spool
        self._count_spooled()

    def _count_spooled(self) -> None:
        """Count the complaints intake spools (the real Spool still writes every record)."""
        spool, append, lock = self.parts.spool, self.parts.spool.append, threading.Lock()

        def counting(record: dict) -> None:
            append(record)
            if "complaint" in record:
                with lock:
                    self.spooled += 1

        spool.append = counting

    def spool_left(self) -> tuple[int, list[str]]:
        """Records still in the spool, and the corrupt-record files kept aside."""
        folder = self.parts.spool.folder
        corrupt = sorted(p.name for p in folder.glob("corrupt-*")) if folder.is_dir() else []
        return self.parts.spool.depth(), corrupt

    def pending(self) -> int | None:
        """Undelivered complaints in the ledger (None while the store is unreachable)."""
        try:
            return int(self.store.redis.zcard("lapor:pending"))
        except redis.RedisError:
            return None

    def drained(self, issued: dict) -> bool:
        return self.pending() == 0 and set(issued) <= self.central.ids()

    def wait_drained(self, issued: dict, timeout: float) -> float | None:
        """Wait until every issued complaint is stored centrally and nothing is pending;
        the time it took, or None at the deadline (the test then reports what is lost)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.drained(issued):
                return time.monotonic() - started
            time.sleep(0.1)
        return None

    def wait_delivered(self, ids, timeout: float) -> float | None:
        """Wait until the central side holds every one of ``ids`` (what citizens were told
        before a recovery: later intake keeps flowing and is not counted); the time it
        took, or None at the deadline."""
        wanted, started = set(ids), time.monotonic()
        while time.monotonic() - started < timeout:
            if wanted <= self.central.ids():
                return time.monotonic() - started
            time.sleep(0.1)
        return None

    def dead_letters(self) -> int:
        from forwarder import dead

        return len(dead.list_dead(self.parts))

    def close(self) -> None:
        if self.forwarder.alive():
            self.forwarder.kill9()
        self.parts.publisher.close()
        log = self.forwarder.log_text()
        if "Traceback" in log:
            print(f"forwarder log (tail):\n{log[-3000:]}")


@pytest.fixture
def make_rig(tmp_path, central):
    """make_rig(store_url, broker_url, defaults=False, **LAPOR_overrides) -> Rig, closed at
    the end; ``defaults``: the production defaults instead of the shortened ``FAST``."""
    rigs = []

    def make(store_url: str, broker_url: str, defaults: bool = False, **overrides: str) -> Rig:
        rig = Rig(tmp_path, store_url, broker_url, central, defaults, **overrides)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()

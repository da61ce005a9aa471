"""Shared fixtures: a network guard, a real Redis on loopback, settings, app and client;
the browser fixtures (``browser``, ``axe_check``, ``screenshot``) of ``tests/browser/fixtures.py``.

Nothing in the tests may reach beyond this machine: ``socket.connect`` to any address
outside 127.0.0.0/8, ::1 and unix sockets fails the test at once.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
from pathlib import Path

import pytest
import redis

from config.settings import load_settings
from tests import harness
from tests.browser.fixtures import axe_check, browser, chromium, live_gateway, screenshot  # noqa: F401
from tests.helpers import free_port, start_redis

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(address) -> None:
    if isinstance(address, (str, bytes)):          # unix socket
        return
    host = address[0]
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        if host == "localhost":
            return
    raise RuntimeError(f"test tried to reach the network: {host}")


def _guarded_connect(self, address):
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_internet():
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory):
    port = free_port()
    process = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield port
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory):
    """A real RabbitMQ on loopback (session-wide; Debian's rabbitmq-server)."""
    import shutil

    from tests.helpers import start_rabbitmq, stop_rabbitmq

    if not shutil.which("rabbitmq-server") and not os.path.exists("/usr/lib/rabbitmq/bin/rabbitmq-server"):
        pytest.fail("rabbitmq-server is not installed; scripts/test.sh installs it")
    port = free_port()
    process, env = start_rabbitmq(port, tmp_path_factory.mktemp("rabbitmq"))
    yield {"port": port, "env": env}
    stop_rabbitmq(process, env)


_vhosts = iter(range(1, 10000))


@pytest.fixture
def amqp_url(rabbitmq):
    """A fresh virtual host per test on the session's RabbitMQ."""
    import subprocess

    vhost = f"t{next(_vhosts)}"
    ctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"
    env = rabbitmq["env"]
    subprocess.run([ctl, "add_vhost", vhost], env=env, check=True, capture_output=True, timeout=60)
    subprocess.run([ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], env=env,
                   check=True, capture_output=True, timeout=60)
    return f"amqp://guest:guest@127.0.0.1:{rabbitmq['port']}/{vhost}"


_next_db = iter(range(1, 64))


@pytest.fixture
def redis_url(redis_port):
    """A fresh Redis database for each test (db numbers rotate; flushed first)."""
    global _next_db
    try:
        db = next(_next_db)
    except StopIteration:
        _next_db = iter(range(1, 64))
        db = next(_next_db)
    url = f"redis://127.0.0.1:{redis_port}/{db}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def environ(redis_url, tmp_path):
    """The environment a test gateway runs with; tests may add to it before ``settings``."""
    return {
        "LAPOR_REDIS_URL": redis_url,
        "LAPOR_BROKER_URL": redis_url,
        "LAPOR_DATA_DIR": str(tmp_path / "data"),
        "LAPOR_SECRET_KEY": "test-secret-key-0123456789",
        "LAPOR_MODE": "production",
        "LAPOR_DOOR_SMS_1708_SECRET": "kannel-door-secret",
    }


@pytest.fixture(scope="session")
def security_environ(tmp_path_factory) -> dict:
    """The security and fuzz tests' environment: one door per registered channel, from each
    channel's test sender, in a doors file written here (tests/harness.py)."""
    return harness.security_environ(harness.write_security_doors(tmp_path_factory.mktemp("security") / "doors.json"))


@pytest.fixture
def settings(environ):
    return load_settings(environ)


@pytest.fixture
def parts(settings):
    from gateway.wiring import build_parts

    built = build_parts(settings)
    yield built
    built.publisher.close()


@pytest.fixture
def app(parts):
    from gateway.app import create_app

    application = create_app(parts=parts)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


# ----- privacy watch: no reporter identity in any log line of the whole run ---------------
class _LogWatch(logging.Handler):
    """Keeps every log line of the session (message, arguments and traceback), and the same
    record as the JSON line ``LAPOR_LOG_FORMAT=json`` writes (its context fields too)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[tuple[str, str]] = []
        self._format = logging.Formatter()
        from config.logs import json_formatter

        self._json = json_formatter()

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call still counts as text
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += "\n" + self._format.formatException(record.exc_info)
        try:
            text += "\n" + self._json.format(record)
        except Exception:  # noqa: BLE001 - the plain text is still watched
            pass
        self.lines.append((record.name, text))


WATCH = _LogWatch()
IDENTITIES: set[str] = set()


def _needles(identity: str) -> set[str]:
    """What a leak of this identity would look like: its national digits (9 or more, the
    country code and trunk zero dropped), or the text itself for names and e-mails."""
    digits = "".join(ch for ch in identity if ch.isdigit())
    if len(digits) >= 9:
        national = digits[2:] if digits.startswith("62") else digits.lstrip("0")
        return {national} if len(national) >= 9 else set()
    text = identity.strip()
    return {text} if len(text) >= 6 and not text.isdigit() else set()


def _stale_compiled_normalizer() -> list[str]:
    """The normalizer's modules whose compiled ``.so`` (``setup.py``) is missing or older
    than their ``.py``: Python would import the old build, and the run would test old code.
    None when nothing is compiled (``LAPOR_PURE_PYTHON=1``: the source runs as it is)."""
    folder = Path(__file__).resolve().parents[1] / "normalizer"
    built = {path.name.split(".")[0]: path.stat().st_mtime for path in folder.glob("*.so")}
    if not built:
        return []
    return sorted(path.name for path in folder.glob("*.py") if path.name != "__init__.py"
                  and path.stat().st_mtime > built.get(path.stem, 0))


def pytest_configure(config):
    stale = _stale_compiled_normalizer()
    if stale:
        pytest.exit(f"the compiled normalizer is older than its source ({', '.join(stale)}): "
                    "run scripts/setup.sh test (or .venv/bin/python setup.py build_ext "
                    "--inplace) first", returncode=4)
    import normalizer.normalize as normalize

    from config.logs import install_record_factory

    install_record_factory()          # request id, door, complaint id on every record
    logging.getLogger().addHandler(WATCH)
    logging.getLogger().setLevel(logging.DEBUG)
    from gateway.wiring import quiet_chatty_libraries

    quiet_chatty_libraries()          # exactly what the gateway does in production
    real = normalize._reporter

    def watched(message, parsed, ctx):
        for value in (message.sender, message.contact, message.sender_name):
            if value:
                IDENTITIES.update(_needles(value))
        return real(message, parsed, ctx)

    normalize._reporter = watched


#: the watch of each xdist worker, as the controller receives them (``pytest_testnodedown``)
WORKER_WATCHES: list[dict] = []


def _this_watch() -> dict:
    leaks = [(name, needle, text[:200]) for name, text in WATCH.lines
             for needle in IDENTITIES if needle in text]
    return {"identities": len(IDENTITIES), "lines": len(WATCH.lines), "leaks": len(leaks),
            "shown": leaks[:10]}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """An xdist worker finished: keep its privacy watch for the controller's verdict."""
    WORKER_WATCHES.append(node.workeroutput.get("privacy_watch",
                                                {"identities": 0, "lines": 0, "leaks": 1,
                                                 "shown": [("xdist", node.gateway.id, "sent no watch")]}))


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any reporter identity that went through the normalizer appears in
    any captured log line (the privacy promise of issue 5, over the whole suite). Under
    xdist each worker checks its own lines against the identities it saw (``--dist
    loadfile`` keeps a module's tests, and so each identity with its logs, in one worker)
    and the controller adds up the verdicts."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:                 # an xdist worker: the controller reports
        workeroutput["privacy_watch"] = _this_watch()
        return
    watches = [_this_watch(), *WORKER_WATCHES]
    leaks = sum(watch["leaks"] for watch in watches)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"privacy watch: {sum(w['identities'] for w in watches)} reporter identities, "
                            f"{sum(w['lines'] for w in watches)} log lines, {leaks} leaks")
        for name, needle, text in [shown for watch in watches for shown in watch["shown"]][:10]:
            reporter.write_line(f"  LEAK in logger {name}: {needle!r} in {text!r}")
    if leaks:
        session.exitstatus = 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A report's captured output and failure text as UTF-8 that xdist can send: a fuzz case's
    lone surrogates (``\\ud800``) in a captured log line would otherwise crash the worker
    (execnet refuses them) and stop the whole run."""
    outcome = yield
    report = outcome.get_result()
    report.sections = [(title, _sendable(text)) for title, text in report.sections]
    if report.longrepr is not None and _sendable(str(report.longrepr)) != str(report.longrepr):
        report.longrepr = _sendable(str(report.longrepr))


def _sendable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")

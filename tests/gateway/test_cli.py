"""The console script as an operator meets it: one clear line for a bad setting, Redis
durability checked at start, and a graceful stop that acknowledges nothing half-done."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.helpers import Receiver, inbound, wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))


def _run(env, *args, timeout=60):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return subprocess.run([SCRIPT, *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=timeout)


def test_a_malformed_setting_stops_with_one_line_naming_it(environ):
    result = _run({**environ, "LAPOR_CENTRAL_URL": "ftp://central.example"}, "check-config")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "LAPOR_CENTRAL_URL" in line and "Traceback" not in result.stderr


def test_a_missing_secret_in_production_is_named(environ):
    env = {k: v for k, v in environ.items() if k != "LAPOR_SECRET_KEY"}
    result = _run(env, "check-config")
    assert result.returncode == 2 and "LAPOR_SECRET_KEY" in result.stderr


def test_check_config_lists_doors_and_accepts_a_durable_redis(environ):
    result = _run(environ, "check-config")
    assert result.returncode == 0, result.stderr
    assert "door sms-1708: channel=kannel" in result.stdout and "ok: store reachable" in result.stdout


def test_production_refuses_a_redis_that_can_evict_or_forget(environ, redis_url):
    client = redis.Redis.from_url(redis_url)
    client.config_set("maxmemory-policy", "allkeys-lru")
    client.config_set("appendonly", "no")
    try:
        result = _run(environ, "check-config")
        assert result.returncode == 2
        assert "maxmemory-policy is 'allkeys-lru'" in result.stderr
        assert "appendonly is off" in result.stderr
        forward = _run(environ, "forward", timeout=30)
        assert forward.returncode == 2 and "noeviction" in forward.stderr
    finally:
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("appendonly", "yes")


def test_sigterm_lets_the_delivery_in_flight_finish(environ, parts, redis_url):
    with Receiver() as central:
        central.delay = 2.0
        env = {**environ, "LAPOR_CENTRAL_URL": central.url, "LAPOR_CENTRAL_SECRET": "s" * 20,
               "LAPOR_FORWARD_CONCURRENCY": "1"}
        outcome = parts.intake.take(inbound("LAPOR jalan rusak di Jl. Cempaka"))
        clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
        worker = subprocess.Popen([SCRIPT, "forward"], env={**clean, **env},
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for(lambda: central.requests, timeout=30, message="delivery in flight")
            started = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, output[-2000:]
        assert time.monotonic() - started >= 1.0, "it waited for the central answer"
        assert parts.store.status(outcome.tracking_number)["status"] == "diteruskan"
        client = redis.Redis.from_url(redis_url)
        assert client.llen("lapor.complaints") == 0 and client.hlen("unacked") == 0
        assert len(central.requests) == 1


def test_a_gateway_command_parses_without_loading_the_other_commands_modules():
    """``run`` and the workers build only the gateway's own commands: the officers', keys'
    and channels' command modules (flask, tweepy, ...) are not imported on their way to
    start; every other command, and ``--help``, still finds every command."""
    probe = ("import sys; from gateway import cli; "
             "parser = cli.build_parser(core_only=True); "
             "[parser.parse_args([name]) for name in cli.CORE_COMMANDS if name != 'dead']; "
             "print(sorted(m for m in sys.modules if m.endswith('_cli') or m.endswith('.cli') "
             "or m in ('flask', 'tweepy')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, cwd=str(Path(__file__).resolve().parents[2]))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "['gateway.cli']"
    from gateway.cli import CORE_COMMANDS, build_parser

    full = build_parser()
    for name in (*CORE_COMMANDS, "officers", "keys", "spool", "routing", "telegram", "twitter"):
        try:
            full.parse_args([name, "--help"])
        except SystemExit as stopped:
            assert stopped.code == 0, name
    assert _run({}, "--help").stdout.count("officers") >= 1

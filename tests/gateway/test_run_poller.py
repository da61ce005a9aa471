"""``lapor-gateway run`` starts the X mentions poller for a door whose options ask for it
(``"poll": true``): the real processes, a local stand-in for X's API, and a mention that
ends up in the local outbox the central system would receive."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.channels.twitter_support import DOORS_FILE, TABLE, environ_for, x_answer
from tests.helpers import Receiver, free_port, stop_gracefully, wait_for

SCRIPT = str(Path(sys.executable).with_name("lapor-gateway"))
PAGE1, PAGE2 = TABLE["mentions_pages"]


def test_run_starts_the_poller_of_a_door_that_asks_for_it(environ, tmp_path):
    [door] = json.loads(DOORS_FILE.read_text("utf-8"))["doors"]
    door["options"]["poll"] = True
    doors = tmp_path / "doors.json"
    doors.write_text(json.dumps({"extends": "defaults", "doors": [door]}), "utf-8")
    with Receiver(default=x_answer(200, {"meta": {"result_count": 0}})) as x_api:
        x_api.responses = [x_answer(200, PAGE1), x_answer(200, PAGE2)]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
        env = {**clean, **environ, **environ_for(x_api.url), "LAPOR_DOORS_FILE": str(doors)}
        process = subprocess.Popen([SCRIPT, "run", "--port", str(free_port())], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        outbox = Path(environ["LAPOR_DATA_DIR"]) / "central-outbox.jsonl"
        try:
            wait_for(lambda: any("/mentions" in r["path"] for r in x_api.requests), timeout=60,
                     interval=0.2, message="the poller read the mentions timeline")
            wait_for(lambda: outbox.exists() and "banjir setinggi lutut" in outbox.read_text("utf-8"),
                     timeout=60, interval=0.2, message="a mention delivered as a complaint")
        finally:
            output = stop_gracefully(process)
    assert process.returncode == 0, output[-3000:]
    assert "door twitter    X mentions poller started" in output
    assert "Traceback" not in output, output[-3000:]


def test_without_a_door_asking_run_starts_no_poller(environ, tmp_path):
    """The default doors: no twitter process, and ``twitter poll --all`` (the Procfile line)
    waits idle instead of failing over and over."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    idle = subprocess.Popen([SCRIPT, "twitter", "poll", "--all"], env={**clean, **environ},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        idle.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass                                          # still running: what the Procfile needs
    assert idle.poll() is None, idle.stdout.read()
    idle.send_signal(signal.SIGTERM)
    output, _ = idle.communicate(timeout=30)
    assert idle.returncode == 0 and "no door asks for the twitter poller" in output

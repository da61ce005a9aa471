"""An officer's login under gunicorn's gevent worker does not stop the worker's other requests:
the argon2id check (tens of milliseconds of one core, hundreds on a loaded machine, without a
yield) runs on gevent's OS threads. Checked in a monkey-patched process of its own: a greenlet
that ticks every millisecond must tick while the password is being checked (before, the hub
was blocked and it ticked 0 times), and the answers must be the same as without gevent."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
from gevent import monkey
monkey.patch_all()
import json, time
import gevent
from gateway.officers import auth

ticks = []
def tick():
    while True:
        ticks.append(time.monotonic())
        gevent.sleep(0.001)

gevent.spawn(tick)
gevent.sleep(0.01)
stored = auth.hash_password("kata sandi yang panjang")
started = time.monotonic()
right = auth.password_matches(stored, "kata sandi yang panjang")
ended = time.monotonic()
wrong = auth.password_matches(stored, "kata sandi yang salah")
unknown = auth.password_matches("", "kata sandi yang panjang")
print(json.dumps({"right": right, "wrong": wrong, "unknown": unknown,
                  "ticks_while_checking": sum(started < t < ended for t in ticks)}))
"""


def test_the_password_check_lets_the_other_greenlets_run():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert (seen["right"], seen["wrong"], seen["unknown"]) == (True, False, False)
    assert seen["ticks_while_checking"] >= 1

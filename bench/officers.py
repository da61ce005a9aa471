"""Benchmark: what the officers' desk costs.

    .venv/bin/python bench/officers.py [--logins 40] [--entries 20000] [--dead 500]

Starts a redis-server (AOF everysec) on loopback, then measures:

* ``argon2id``: hashing a password and checking one (``argon2-cffi``'s defaults), the work a
  login costs the web worker, and so what ``LAPOR_RATE_LIMIT_LOGIN`` bounds;
* ``login``: a whole POST ``/petugas/login`` through the Flask app (CSRF, the lockout check,
  argon2id, the audit entry), good and wrong;
* ``audit``: appending to the audit stream (``XADD MAXLEN ~``) and reading the newest 200 of
  an agency (``/petugas/audit``'s read) with ``--entries`` in the stream;
* ``dead``: ``/petugas/dead`` with ``--dead`` dead letters (``forwarder.dead.list_dead``: each
  taken and put back).

Figures only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local import local_parts  # noqa: E402  (bench/local.py)

from gateway.app import create_app  # noqa: E402
from gateway.officers.auth import hash_password, password_matches  # noqa: E402

PASSWORD = "kata-sandi-bench-2026"


def _per_call(function, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count


def _login(client, username: str, password: str) -> int:
    page = client.get("/petugas/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/petugas/login", data={"csrf_token": token, "username": username,
                                               "password": password}).status_code


def _run(parts, args) -> None:
    stored = hash_password(PASSWORD)
    print(f"argon2id hash {_per_call(lambda: hash_password(PASSWORD), args.logins) * 1e3:7.1f} ms   "
          f"check {_per_call(lambda: password_matches(stored, PASSWORD), args.logins) * 1e3:7.1f} ms")
    parts.store.officers.create({"username": "bench-admin", "agency": "KemenPANRB", "role": "admin",
                           "password": stored})
    app = create_app(parts=parts)
    good = _per_call(lambda: _login(app.test_client(), "bench-admin", PASSWORD), args.logins)
    names = iter(range(10 ** 6))
    wrong = _per_call(lambda: _login(app.test_client(), f"orang-{next(names)}", "salah-000000"), args.logins)
    print(f"POST /petugas/login (GET for the token included): good {good * 1e3:7.1f} ms   "
          f"wrong {wrong * 1e3:7.1f} ms   (Flask test client, one process)")

    entry = {"action": "login", "actor": "bench", "agency": "Dinas PU PERA", "address": "10.0.0.1",
             "details": "{}"}
    append = _per_call(lambda: parts.store.audit.append(entry, parts.settings.audit_max_entries), args.entries)
    read = _per_call(lambda: parts.store.audit.read(agency="Dinas PU PERA", limit=200, newest_first=True), 50)
    print(f"audit append (XADD MAXLEN ~) {append * 1e6:7.1f} us   newest 200 of an agency "
          f"({parts.store.audit.length()} entries) {read * 1e3:7.2f} ms")

    for index in range(args.dead):
        parts.publisher.publish("dead.complaint", {"id": f"c{index}", "tracking_number": "27410935882",
                                                   "door": "sms-1708", "channel": "kannel"},
                                f"c{index}", "dead", {"reason": "central refused with 400", "attempts": 1,
                                                      "failed_at": "2026-11-29T00:00:00Z"})
    client = app.test_client()
    _login(client, "bench-admin", PASSWORD)
    page = _per_call(lambda: client.get("/petugas/dead"), 5)
    print(f"GET /petugas/dead with {args.dead} dead letters {page * 1e3:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--dead", type=int, default=500)
    args = parser.parse_args()
    with local_parts(LAPOR_RATE_LIMIT_LOGIN="off") as parts:
        _run(parts, args)


if __name__ == "__main__":
    main()

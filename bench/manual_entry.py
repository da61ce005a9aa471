"""Benchmark: what a manual entry and the desk's complaint pages cost.

    .venv/bin/python bench/manual_entry.py [--entries 200] [--events 50]

Starts a redis-server (AOF everysec) on loopback, logs an officer in through the Flask app
(one process, the test client), then measures:

* ``entry``: after one warm-up entry (the region data loads on the first complaint, as a
  gunicorn worker does at its start), a whole POST ``/petugas/laporan/baru`` (CSRF, the manual adapter's checks, a
  100 kB PDF saved, the intake: normalizer, store and queue in one Lua step, the audit
  entry), the form's GET for its token and one-time id included;
* ``receipt``: GET ``/petugas/laporan/<number>/tanda-terima``;
* ``complaint page``: GET ``/petugas/laporan/<number>`` for a complaint with ``--events``
  follow-up events (``forwarder.store_complaints``: two pipelined round trips).

Figures only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local import local_parts  # noqa: E402  (bench/local.py)

from channels.manual.adapter import WIB  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.officers.auth import hash_password  # noqa: E402
from tests.helpers import inbound  # noqa: E402

PASSWORD = "kata-sandi-bench-2026"
SCAN = b"%PDF-1.4\n" + b"0" * 100_000
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


def _timed(function, count: int) -> tuple[float, list]:
    started, results = time.perf_counter(), []
    for _ in range(count):
        results.append(function())
    return (time.perf_counter() - started) / count, results


def _enter(client) -> str:
    form = client.get("/petugas/laporan/baru").get_data(as_text=True)
    answer = client.post("/petugas/laporan/baru", content_type="multipart/form-data", data={
        "csrf_token": _TOKEN.search(form).group(1), "submission_id": _SUBMISSION.search(form).group(1),
        "source": "surat", "received_on": datetime.now(WIB).date().isoformat(),
        "classification": "pengaduan", "title": "Jalan rusak",
        "body": "Surat warga: jalan di depan SDN 3 berlubang besar sejak Januari.",
        "name": "Bench", "contact": "081234567890", "attachments": [(io.BytesIO(SCAN), "surat.pdf")]})
    assert answer.status_code == 302, answer.status_code
    return answer.headers["Location"].split("/")[-2]


def _run(parts, args) -> None:
    for role in ("petugas", "supervisor"):
        parts.store.officers.create({"username": f"bench-{role}", "agency": "KemenPANRB", "role": role,
                                     "password": hash_password(PASSWORD)})
    app = create_app(parts=parts)
    clients = {}
    for role in ("petugas", "supervisor"):
        client = clients[role] = app.test_client()
        token = _TOKEN.search(client.get("/petugas/login").get_data(as_text=True)).group(1)
        client.post("/petugas/login", data={"csrf_token": token, "username": f"bench-{role}",
                                            "password": PASSWORD})
    _enter(clients["petugas"])       # the region data load on the first complaint (a worker's start)
    entry, numbers = _timed(lambda: _enter(clients["petugas"]), args.entries)
    print(f"POST /petugas/laporan/baru (with its GET, a 100 kB PDF) {entry * 1e3:7.2f} ms")
    receipt, _ = _timed(lambda: clients["petugas"].get(f"/petugas/laporan/{numbers[0]}/tanda-terima"), 100)
    print(f"GET  /petugas/laporan/<number>/tanda-terima {receipt * 1e3:7.2f} ms")
    first = parts.intake.take(inbound("LAPOR jalan rusak di depan pasar", sender="081299990000"))
    for n in range(args.events):
        parts.intake.take(inbound(f"tambahan nomor {n}: lubangnya makin besar", sender="081299990000"))
    page, _ = _timed(lambda: clients["supervisor"].get(f"/petugas/laporan/{first.tracking_number}"), 100)
    print(f"GET  /petugas/laporan/<number> with {args.events} events {page * 1e3:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()
    with local_parts(LAPOR_RATE_LIMIT_LOGIN="off", LAPOR_FOLLOWUP_MINUTES="600") as parts:
        _run(parts, args)


if __name__ == "__main__":
    main()

"""Two web replicas, as on two machines (issue 12, "Shared state"): two real
``lapor-gateway web`` processes (gunicorn) with their own data dir and working directory,
one Redis as store and broker, and one shared ``LAPOR_ATTACHMENTS_DIR`` (the shared volume).
A photo sent through the web form on replica A is served to the central system by replica
B (and by A); the same photo sent at the same moment to both replicas is stored once and
whole; neither data dir holds an attachment."""
from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.gateway.replicas import central_fetch, no_data_dir_holds_an_attachment, served_by_every_replica
from tests.gateway.support import png_bytes, queued

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


def _send_photo(base: str, photo: bytes, text: str) -> requests.Response:
    session = requests.Session()
    page = session.get(base + "/lapor", timeout=10).text
    return session.post(base + "/lapor", timeout=30, data={
        "csrf_token": CSRF.search(page).group(1), "submission_id": SUBMISSION.search(page).group(1),
        "classification": "pengaduan", "title": "Jalan berlubang", "body": text,
        "location": "Jl. Merdeka 10, Bandung"},
        files={"attachments": ("lubang.png", photo, "image/png")})


def test_photos_sent_to_one_replica_are_served_by_the_other_and_stored_once(replicas, redis_url):
    a, b, shared = replicas
    photo = png_bytes(5, 4)
    sent = _send_photo(a.base, photo, "Jalan di depan SDN 3 berlubang besar, fotonya terlampir.")
    assert sent.status_code == 200, sent.text[:300]
    [complaint] = queued(redis_url)
    [attachment] = complaint["attachments"]
    assert attachment["size"] == len(photo) and attachment["content_type"] == "image/png"
    served_by_every_replica((b, a), attachment["sha256"], photo)
    assert central_fetch(b.base, "0" * 64).status_code == 404
    _same_photo_to_both_at_once(a, b, shared, redis_url)


def _same_photo_to_both_at_once(a, b, shared, redis_url) -> None:
    """Six citizens send the same photo, three to each replica, at the same moment."""
    photo = png_bytes(64, 48)
    bases = [a.base, b.base] * 3
    with ThreadPoolExecutor(len(bases)) as pool:
        answers = list(pool.map(lambda pair: _send_photo(pair[1], photo, f"Lampu jalan mati, laporan {pair[0]}."),
                                enumerate(bases)))
    assert [answer.status_code for answer in answers] == [200] * len(bases)
    digest = hashlib.sha256(photo).hexdigest()
    complaints = queued(redis_url)
    assert len(complaints) == 1 + len(bases)               # with the first photo's complaint
    assert sum(complaint["attachments"][0]["sha256"] == digest for complaint in complaints) == len(bases)
    files = [path for path in shared.rglob("*") if path.is_file() and digest[:2] in path.parts]
    assert [path.name for path in files] == [digest]          # no temporary file left behind
    assert files[0].read_bytes() == photo
    assert not [path for path in shared.rglob(".upload-*")]
    served_by_every_replica((a, b), digest, photo)
    no_data_dir_holds_an_attachment(shared, "a", "b")

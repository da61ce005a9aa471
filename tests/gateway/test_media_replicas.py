"""Media fetched by one machine, served by any replica (issue 12, "Shared state"): the path of
every attachment a provider holds for us (WhatsApp, Telegram, Twilio MMS, webhook doors).

Real processes on machines of their own (``tests/gateway/replicas.py``): web replicas A and B,
and the media worker (``lapor-gateway media``) on machine c, each with its own data dir and
working directory, one Redis, one shared ``LAPOR_ATTACHMENTS_DIR``. The provider is a local
file server standing in for an agency app's (the signed webhook door, its ``lampiran`` URLs
admitted on loopback by ``insecure_origins_for_tests``). A complaint sent to A names a photo;
the media worker fetches it into the shared folder; B and A answer the central system's
signed GET with the exact bytes; the media event on the queue names the same sha256; the same
photo in a second complaint, through B, is stored once. Then the media worker is killed with
SIGKILL half-way through a download and started again on machine d: the job comes back
(``forwarder/recovery.py``: after the dead worker's 15 s lease), and the attachment arrives
exactly once: one file, one media event (the event is ledgered under a key derived from the
job, so a redelivered job can never queue a second one)."""
from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
import requests

from forwarder import keys
from forwarder.topology import MEDIA
from tests.channels import webhook_support as wh
from tests.gateway.replicas import machine, no_data_dir_holds_an_attachment, served_by_every_replica
from tests.gateway.support import png_bytes, queued
from tests.gateway.webproc import MediaCommand
from tests.helpers import serving, wait_for

PHOTO, SLOW_PHOTO = png_bytes(6, 5), png_bytes(40, 30)
SLOW_PATH = "/f/slow/banjir.png"


class ProviderFiles:
    """The agency app's file server on loopback: ``files`` by path (404 otherwise). The
    first request for ``SLOW_PATH`` sends its headers and half the bytes, then waits for
    ``release``: a download in the middle. ``asked`` counts the requests per path."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.asked = files, {}
        self.holding, self.release = threading.Event(), threading.Event()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                data = provider.files.get(self.path)
                provider.asked[self.path] = provider.asked.get(self.path, 0) + 1
                self.send_response(200 if data else 404)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                try:
                    if self.path == SLOW_PATH and provider.asked[self.path] == 1:
                        self.wfile.write(data[:len(data) // 2])
                        self.wfile.flush()
                        provider.holding.set()
                        provider.release.wait(120)
                        data = data[len(data) // 2:]
                    self.wfile.write(data or b"")
                except OSError:
                    pass                    # the worker that asked was killed meanwhile

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        serving(self.server).start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    with ProviderFiles({"/f/lubang.png": PHOTO, SLOW_PATH: SLOW_PHOTO}) as files:
        yield files


@pytest.fixture
def environ(environ, tmp_path, provider):
    """Every machine's settings: the webhook door (its provider origin admitted) and its secret."""
    environ.update(LAPOR_DOORS_FILE=wh.doors_file(tmp_path, wh.door(insecure_origins_for_tests=[provider.url])),
                   **{wh.SECRET_VARIABLE: wh.SECRET})
    return environ


@pytest.fixture
def media_worker(environ, tmp_path, replicas):
    """Start ``lapor-gateway media`` on machine ``name`` (after the replicas: the shared
    folder exists); every one started is stopped after, before the replicas."""
    started: list[MediaCommand] = []

    def start(name: str) -> MediaCommand:
        env, cwd = machine(environ, tmp_path, name)
        started.append(MediaCommand(env, cwd, tmp_path / f"media-{name}.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def _report(base: str, n: int, url: str) -> str:
    """An agency app's signed report naming one photo by URL; its tracking number."""
    raw = json.dumps(wh.report(n=n, lampiran=[url])).encode()
    answer = requests.post(f"{base}/in/{wh.DOOR_ID}", data=raw, headers=wh.signed_headers(raw, f"msg_{n}"),
                           timeout=30)
    assert answer.status_code == 201, answer.text[:300]
    return answer.json()["tracking_number"]


def _media_events(redis_url: str, tracking_number: str) -> list[dict]:
    return [item for item in queued(redis_url)
            if item.get("type") == "media" and item["tracking_number"] == tracking_number]


def _arrived(redis_url: str, tracking_number: str, timeout: float = 90) -> dict:
    """The complaint's media event, once the media worker queued it."""
    events = wait_for(lambda: _media_events(redis_url, tracking_number), timeout=timeout, interval=0.2,
                      message=f"the media event of {tracking_number}")
    return events[0]["attachments"][0]


def _stored(shared) -> dict[str, bytes]:
    """Every file of the shared folder by name (a temporary file would show here too)."""
    return {path.name: path.read_bytes() for path in shared.rglob("*") if path.is_file()}


def _nothing_left_to_fetch(redis_url: str) -> bool:
    """No media job waiting, held by any consumer (live or dead), or scheduled for a retry:
    no later delivery can make a second event."""
    client = redis.Redis.from_url(redis_url)
    held = sum(client.hlen(name) for name in client.scan_iter(keys.HELD + "*")
               if client.type(name) == b"hash")
    return client.llen(MEDIA) == 0 and held == 0 and client.zcard(keys.retry("media")) == 0


def test_media_fetched_on_one_machine_is_served_by_every_replica_and_survives_a_kill(
        replicas, media_worker, provider, redis_url):
    a, b, shared = replicas
    first_worker = media_worker("c")
    number = _report(a.base, 1, provider.url + "/f/lubang.png")
    stored = _arrived(redis_url, number)
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert stored["sha256"] == digest and stored["stored_ref"] == f"attachment:{digest}"
    assert stored["size"] == len(PHOTO) and stored["content_type"] == "image/png"
    served_by_every_replica((b, a), digest, PHOTO)
    assert _stored(shared) == {digest: PHOTO}
    first_copy = (shared / digest[:2] / digest).stat()

    slow_number = _report(b.base, 2, provider.url + SLOW_PATH)
    wait_for(provider.holding.is_set, timeout=60, interval=0.1, message="the slow download under way")
    first_worker.kill9()
    provider.release.set()
    second_worker = media_worker("d")

    again = _report(b.base, 3, provider.url + "/f/lubang.png")    # the same photo, while the job waits
    assert _arrived(redis_url, again)["sha256"] == digest
    copy = (shared / digest[:2] / digest).stat()
    assert (copy.st_ino, copy.st_mtime_ns) == (first_copy.st_ino, first_copy.st_mtime_ns)

    slow_digest = hashlib.sha256(SLOW_PHOTO).hexdigest()
    assert _arrived(redis_url, slow_number, timeout=120)["sha256"] == slow_digest
    wait_for(lambda: _nothing_left_to_fetch(redis_url), timeout=60, interval=0.2,
             message="every media job acknowledged")
    assert len(_media_events(redis_url, slow_number)) == 1
    assert provider.asked[SLOW_PATH] == 2                     # cut off once, then whole
    assert _stored(shared) == {digest: PHOTO, slow_digest: SLOW_PHOTO}
    served_by_every_replica((a, b), slow_digest, SLOW_PHOTO)
    no_data_dir_holds_an_attachment(shared, "a", "b", "c", "d")
    log = second_worker.output()
    assert "restored 1 message(s) held by 1 dead consumer(s)" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert "Siti Aminah" not in log and "81200000" not in log      # the reporter, never logged

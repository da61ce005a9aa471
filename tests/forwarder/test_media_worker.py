"""The media worker when an adapter fails in a way it did not foresee: the job is retried and
then dead-lettered like any failed fetch (never requeued forever), and the exception's text,
which may hold a provider URL with a token, reaches neither the logs nor the dead letter.
A job handled twice (delivered again after a worker was killed before its ack) makes one
file and one media event. The same across real processes and machines, with a SIGKILL in
the middle of a download: ``tests/gateway/test_media_replicas.py``."""
from __future__ import annotations

import logging
import threading

from channels.base import ChannelAdapter
from config.doors import Door
from forwarder.media import MediaWorker
from forwarder.topology import COMPLAINTS, DEAD, MEDIA
from tests.channels import webhook_support as wh
from tests.gateway.support import png_bytes
from tests.helpers import Receiver, queued_bodies

TOKEN_URL = "https://api.telegram.org/file/bot123456:AAE-secret-token/photos/file_1.jpg"


class _BrokenDoor(ChannelAdapter):
    name = "broken-test"

    def fetch_media(self, attachment):
        raise ValueError(f"cannot read {TOKEN_URL}")


def test_an_unforeseen_adapter_failure_is_dead_lettered_without_its_text(parts, caplog):
    caplog.set_level(logging.DEBUG)
    door = Door(id="broken-door", channel="broken-test", agency="KemenPANRB")
    parts.catalogue.doors[door.id] = door
    parts.adapters[door.id] = _BrokenDoor(door, parts.settings)
    worker = MediaWorker(parts, threading.Event())
    job = {"door_id": door.id, "complaint_id": "c1", "tracking_number": "27410935882",
           "provider_message_id": "m1", "index": 0, "kind": "image", "content_type": "image/jpeg",
           "provider_ref": "AgACAgUAAxk", "filename": "", "attempts": parts.settings.max_attempts - 1}
    worker.handle(job, {})                    # the last attempt: dead-lettered, not raised
    [dead] = queued_bodies(parts.store.redis, DEAD)
    assert dead["complaint_id"] == "c1" and dead["attempts"] == parts.settings.max_attempts
    assert "media fetch failed (ValueError)" in caplog.text
    assert "secret-token" not in caplog.text and "secret-token" not in str(dead)


def test_a_job_handled_again_after_its_event_was_queued_makes_no_second_event(environ, tmp_path):
    """The worker killed after it queued the media event, before the broker had the ack: the
    job comes back (``forwarder/recovery.py``) and is fetched again. The bytes land on the
    same file, and the event, ledgered under a key derived from the job (complaint, message,
    index), is not queued again: one event for the central system."""
    photo = png_bytes(3, 3)
    with Receiver(default=(200, {"Content-Type": "image/png"}, photo)) as files:
        environ.update(LAPOR_DOORS_FILE=wh.doors_file(tmp_path, wh.door(insecure_origins_for_tests=[files.url])),
                       **{wh.SECRET_VARIABLE: wh.SECRET})
        client, parts = wh.gateway(environ)
        try:
            assert wh.post(client, wh.report(lampiran=[files.url + "/f/foto.png"])).status_code == 201
            [job] = queued_bodies(parts.store.redis, MEDIA)
            worker = MediaWorker(parts, threading.Event())
            for _delivery in range(2):
                worker.handle(job, {})
            events = [item for item in queued_bodies(parts.store.redis, COMPLAINTS) if item.get("type") == "media"]
        finally:
            parts.publisher.close()
    assert len(files.requests) == 2 and len(events) == 1
    [stored] = events[0]["attachments"]
    assert [path.name for path in parts.settings.attachments_dir.rglob("*") if path.is_file()] == [stored["sha256"]]


def test_a_volume_that_cannot_take_the_file_retries_the_job_later(environ, tmp_path, caplog):
    """The shared attachments volume gone while the media worker runs: the job is scheduled
    again with backoff (not requeued at once in a loop, not lost), no event is queued, and
    no file lands anywhere else."""
    caplog.set_level(logging.INFO)
    volume = tmp_path / "volume"
    volume.mkdir()
    with Receiver(default=(200, {"Content-Type": "image/png"}, png_bytes(3, 3))) as files:
        environ.update(LAPOR_DOORS_FILE=wh.doors_file(tmp_path, wh.door(insecure_origins_for_tests=[files.url])),
                       LAPOR_ATTACHMENTS_DIR=str(volume), **{wh.SECRET_VARIABLE: wh.SECRET})
        client, parts = wh.gateway(environ)
        try:
            assert wh.post(client, wh.report(lampiran=[files.url + "/f/foto.png"])).status_code == 201
            [job] = queued_bodies(parts.store.redis, MEDIA)
            volume.rmdir()                                   # the volume goes away
            MediaWorker(parts, threading.Event()).handle(job, {})
            assert parts.store.scheduled("media") == 1
            events = [item for item in queued_bodies(parts.store.redis, COMPLAINTS) if item.get("type") == "media"]
        finally:
            parts.publisher.close()
    assert events == [] and not volume.exists()
    assert "media retry" in caplog.text and "no such file or directory" in caplog.text

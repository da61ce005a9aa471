"""The media worker when an adapter fails in a way it did not foresee: the job is retried and
then dead-lettered like any failed fetch (never requeued forever), and the exception's text,
which may hold a provider URL with a token, reaches neither the logs nor the dead letter."""
from __future__ import annotations

import logging
import threading

from channels.base import ChannelAdapter
from config.doors import Door
from forwarder.media import MediaWorker
from forwarder.topology import DEAD
from tests.helpers import queued_bodies

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

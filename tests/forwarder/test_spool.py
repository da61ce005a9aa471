"""The disk spool: fsynced appends, ordered replay, corrupt records kept aside, resumable
drains, and intake falling back to it when the store is down."""
from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import replace

import pytest

from config.settings import load_settings
from forwarder import spool as spool_module
from forwarder.spool import Spool
from gateway.app import create_app
from gateway.wiring import build_parts
from normalizer.grammar import parse_keywords
from normalizer.values import Attachment
from tests.helpers import free_port, inbound, queued_bodies


def test_records_replay_in_order_and_the_spool_empties(tmp_path):
    spool = Spool(tmp_path / "spool")
    for i in range(5):
        spool.append({"n": i, "text": "jalan rusak 😡"})
    assert spool.depth() == 5
    seen = []
    assert spool.drain(seen.append) == (5, 0)
    assert [r["n"] for r in seen] == [0, 1, 2, 3, 4] and seen[0]["text"] == "jalan rusak 😡"
    assert spool.depth() == 0 and spool.files() == []


def test_every_record_is_fsynced_and_each_new_file_once_in_its_folder(tmp_path, monkeypatch):
    synced = {"files": 0, "folders": 0}
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.__setitem__("files", synced["files"] + 1),
                                                 real_fsync(fd))[1])
    monkeypatch.setattr(spool_module, "fsync_dir", lambda folder: synced.__setitem__(
        "folders", synced["folders"] + 1))
    spool = Spool(tmp_path / "spool")
    for i in range(3):
        spool.append({"n": i})
    assert synced == {"files": 3, "folders": 1}
    assert spool.drain(lambda record: None) == (3, 0)       # the drainer takes the file away
    spool.append({"n": 3})                                  # a new file: its name synced too
    assert synced["folders"] == 2 and spool.depth() == 1


def test_corrupt_and_half_written_records_are_kept_aside(tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.append({"n": 1})
    path = spool.files()[0]
    with open(path, "ab") as handle:
        handle.write(b"17 deadbeef {\"n\": \"garbage\"}\n")   # bad checksum
    spool.append({"n": 2})
    with open(spool.files()[0], "ab") as handle:
        handle.write(b"40 0000")                                 # torn write at the end
    seen = []
    assert spool.drain(seen.append) == (2, 2)
    assert [r["n"] for r in seen] == [1, 2]
    aside = list((tmp_path / "spool").glob("corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().count(b"\n") == 2


def test_a_failed_replay_pauses_and_resumes_where_it_stopped(tmp_path):
    spool = Spool(tmp_path / "spool")
    for i in range(4):
        spool.append({"n": i})
    seen, failures = [], []

    def flaky(record):
        if record["n"] == 2 and not failures:
            failures.append(1)
            raise ConnectionError("store still down")
        seen.append(record["n"])

    assert spool.drain(flaky) == (2, 0)
    assert spool.depth() == 2
    assert spool.drain(flaky) == (2, 0)
    assert seen == [0, 1, 2, 3] and spool.files() == []


def test_appends_racing_a_drain_are_never_lost(tmp_path):
    spool = Spool(tmp_path / "spool")
    seen = []

    def writer(base):
        for i in range(200):
            spool.append({"n": base + i})

    threads = [threading.Thread(target=writer, args=(k * 1000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        spool.drain(lambda r: seen.append(r["n"]))
    spool.drain(lambda r: seen.append(r["n"]))
    assert sorted(seen) == sorted(k * 1000 + i for k in range(4) for i in range(200))


PHOTO = Attachment("image", "image/jpeg", provider_ref="MMS-ref-1", filename="jembatan.jpg")


@pytest.fixture
def down_then_up(environ, redis_url):
    """Parts whose store and broker are down, and the same gateway's parts once it is up."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    down = build_parts(load_settings(dict(environ, LAPOR_REDIS_URL=dead, LAPOR_BROKER_URL=dead)))
    up = build_parts(load_settings(environ))
    yield down, up
    down.publisher.close()
    up.publisher.close()


def test_intake_spools_when_the_store_is_down_and_replays_when_back(down_then_up):
    down, up = down_then_up
    outcome = down.intake.take(inbound("LAPOR jembatan putus 🌉", provider_id="k-1"))
    assert "No. lacak" in outcome.reply_text and down.spool.depth() == 1
    assert down.spool.drain(down.intake.replay_spooled) == (0, 0)        # still down
    assert down.spool.depth() == 1
    assert up.spool.drain(up.intake.replay_spooled) == (1, 0)            # back
    status = up.store.status(outcome.tracking_number)
    assert status["status"] == "diterima"
    [queued] = up.store.redis.lrange("lapor.complaints", 0, -1)
    body = json.loads(base64.b64decode(json.loads(queued)["body"]))
    assert body["tracking_number"] == outcome.tracking_number and body["body"] == "jembatan putus 🌉"
    again = up.intake.take(inbound("LAPOR jembatan putus 🌉", provider_id="k-1"))
    assert again.duplicate and again.tracking_number == outcome.tracking_number


def test_a_spooled_complaints_media_jobs_are_spooled_behind_it(down_then_up):
    down, up = down_then_up
    outcome = down.intake.take(replace(inbound("LAPOR banjir, ini fotonya", provider_id="k-media"),
                                       attachments=(PHOTO,)))
    assert down.spool.depth() == 2
    assert up.spool.drain(up.intake.replay_spooled) == (2, 0)
    [complaint] = queued_bodies(up.store.redis, "lapor.complaints")
    [job] = queued_bodies(up.store.redis, "lapor.media")
    assert complaint["id"] == job["complaint_id"] == outcome.complaint_id
    assert (job["tracking_number"], job["provider_ref"], job["index"]) == (
        outcome.tracking_number, "MMS-ref-1", 0)


def test_a_reply_that_cannot_be_queued_is_spooled(down_then_up):
    down, up = down_then_up
    door = down.catalogue.doors["sms-1708"]
    message = inbound("BANTUAN")
    outcome = down.intake.command(message, parse_keywords("BANTUAN"), "id")
    down.intake.reply(door, message, outcome)
    assert down.spool.depth() == 1
    assert up.spool.drain(up.intake.replay_spooled) == (1, 0)
    [queued] = up.store.redis.lrange("lapor.replies", 0, -1)
    assert json.loads(queued)["headers"]["kind"] == "reply"


def test_a_spooled_number_whose_retry_was_recorded_first_stays_an_alias(down_then_up):
    """The store was down: the message was spooled under number A and its acknowledgement
    too. The provider's retry reached the store once back and was recorded under B. On
    replay the copy is dropped as a duplicate; A keeps answering, as B's complaint, and the
    spooled acknowledgement of A is not sent (B's went out with B)."""
    down, up = down_then_up
    message = replace(inbound("LAPOR jembatan putus 🌉", provider_id="k-alias"), attachments=(PHOTO,))
    spooled = down.intake.take(message)
    down.intake.reply(down.catalogue.doors["sms-1708"], message, spooled)
    assert down.spool.depth() == 3                                    # complaint, media job, ack
    retried = up.intake.take(message)
    first, second = spooled.tracking_number, retried.tracking_number
    assert first != second and not retried.duplicate
    assert up.spool.drain(up.intake.replay_spooled) == (3, 0)
    [queued] = up.store.redis.lrange("lapor.complaints", 0, -1)
    assert json.loads(base64.b64decode(json.loads(queued)["body"]))["tracking_number"] == second
    assert up.store.redis.lrange("lapor.replies", 0, -1) == []         # A's ack: not sent
    [job] = queued_bodies(up.store.redis, "lapor.media")                # the retry's job only
    assert (job["complaint_id"], job["tracking_number"]) == (retried.complaint_id, second)
    verdict, found = up.intake.lookup(first)
    assert verdict == "ok" and found["id"] == retried.complaint_id
    page = up.store.complaints.by_tracking(first)
    assert page["complaint"]["tracking_number"] == second and page["status"]["status"] == "diterima"
    answer = create_app(parts=up).test_client().get(f"/open311/v2/requests/{first}.json")
    assert answer.status_code == 200 and answer.get_json()[0]["service_request_id"] == second
    followup = up.intake.take(replace(inbound("Foto menyusul.", provider_id="k-alias-2"),
                                      names_tracking=first))             # an e-mail subject's
    assert followup.tracking_number == second
    [event] = [body for body in queued_bodies(up.store.redis, "lapor.complaints") if "event_id" in body]
    assert (event["type"], event["complaint_id"], event["tracking_number"]) == (
        "followup", retried.complaint_id, second)
    # an acknowledgement naming the alias for its own complaint (a follow-up's) is sent
    up.spool.append({"channel": "kannel", "reply": {
        "door_id": "sms-1708", "to": "081234567890", "text": "Tambahan diterima", "kind": "ack",
        "tracking_number": first, "complaint_id": retried.complaint_id}})
    assert up.spool.drain(up.intake.replay_spooled) == (1, 0)
    assert len(up.store.redis.lrange("lapor.replies", 0, -1)) == 1

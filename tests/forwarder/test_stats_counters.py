"""The public statistics' daily counters (forwarder/store_stats.py, the intake and status
scripts): written in the same round trips, moved on delivery and status callbacks, bounded
by a fixed expiry, and never a reason to lose a complaint."""
from __future__ import annotations

import json
from collections import Counter
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import redis

from forwarder import central as contract
from forwarder import keys
from forwarder.store_stats import leaves_window
from normalizer.public_stats import WIB, stats_day
from tests.helpers import inbound

SECRET = "central-stats-secret"


@pytest.fixture
def environ(environ):
    environ.update(LAPOR_CENTRAL_SECRET=SECRET)
    return environ


def _sms(client, text):
    answer = client.get("/in/sms-1708", query_string={
        "secret": "kannel-door-secret", "from": "081234567890", "to": "1708", "text": text,
        "charset": "UTF-8", "coding": "0", "id": f"m-{uuid.uuid4().hex}"})
    assert answer.status_code == 200, answer.data
    return answer.get_data(as_text=True).split("No. lacak: ")[1][:13].replace("-", "")


def _api(client, body, classification="aspirasi"):
    answer = client.post("/api/v1/complaints", json={"classification": classification, "body": body})
    assert answer.status_code == 201, answer.data
    return answer.get_json()["tracking_number"]


def _callback(client, body: dict):
    raw = json.dumps(body).encode()
    headers = contract.signed_headers(SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    answer = client.post("/api/v1/central/status", data=raw, headers=headers)
    assert answer.status_code == 200, answer.data


def _today_counters(redis_url) -> dict[str, int]:
    db = redis.Redis.from_url(redis_url)
    day = stats_day(datetime.now(timezone.utc)).isoformat()
    return {k.decode(): int(v) for k, v in db.hgetall(keys.stats_day(day)).items() if int(v)}


def _complaint(parts, number):
    return parts.store.complaint(parts.store.tracking_owner(number))


def test_accept_counts_each_complaint_once_in_the_same_step(client, parts, redis_url):
    first = _sms(client, "LAPOR jalan rusak di depan SDN 3")
    _sms(client, "INFO jadwal vaksin")
    second = _api(client, "Mohon tambah lampu jalan di Jl. Melati.")
    retried = client.post("/api/v1/complaints", json={"classification": "aspirasi", "body": "Lampu jalan mati"},
                          headers={"Idempotency-Key": "k-1"})
    again = client.post("/api/v1/complaints", json={"classification": "aspirasi", "body": "Lampu jalan mati"},
                        headers={"Idempotency-Key": "k-1"})
    assert (retried.status_code, again.status_code) == (201, 200)      # a duplicate counts nothing
    buckets = Counter(f"open|pengaduan-14|{_complaint(parts, number)['service_level']['due_date']}"
                      for number in (first, second, retried.get_json()["tracking_number"]))
    assert _today_counters(redis_url) == {
        "total": 4, "channel|kannel": 2, "channel|web": 2, "classification|pengaduan": 1,
        "classification|permintaan_informasi": 1, "classification|aspirasi": 2,
        "province|unknown": 4, "status|diterima": 4,
        f"open|informasi-5|{_info_due(parts, redis_url)}": 1, **buckets}
    status = parts.store.status(first)
    assert status["stats_day"] == stats_day(datetime.now(timezone.utc)).isoformat()
    assert status["service_level"] == "pengaduan-14"


def _info_due(parts, redis_url) -> str:
    db = redis.Redis.from_url(redis_url)
    for key in db.scan_iter(keys.status("*")):
        found = parts.store.status(key.decode().rsplit(":", 1)[1])
        if found["classification"] == "permintaan_informasi":
            return found["due_date"]
    raise AssertionError("no information request")


def test_delivery_and_callbacks_move_status_colour_and_first_change(client, parts, redis_url):
    number = _sms(client, "LAPOR jalan rusak di depan SDN 3")
    cid = parts.store.tracking_owner(number)
    due = _complaint(parts, number)["service_level"]["due_date"]
    parts.store.mark_delivered(cid, number, "sms-1708", datetime.now(timezone.utc).isoformat())
    assert _today_counters(redis_url)["status|diteruskan"] == 1
    _callback(client, {"tracking_number": number, "status": "proses", "service_level": "pengaduan-60",
                       "due_date": "2027-03-01"})
    counters = _today_counters(redis_url)
    assert counters["status|proses"] == 1 and "status|diteruskan" not in counters
    assert counters["open|pengaduan-60|2027-03-01"] == 1 and f"open|pengaduan-14|{due}" not in counters
    _callback(client, {"tracking_number": number, "status": "selesai", "agency": "Dinas PU PERA"})
    counters = _today_counters(redis_url)
    assert counters == {"total": 1, "channel|kannel": 1, "classification|pengaduan": 1,
                        "province|unknown": 1, "status|selesai": 1, "closed": 1}
    db = redis.Redis.from_url(redis_url)
    day = parts.store.status(number)["stats_day"]
    waits = db.lrange(keys.stats_wait(day), 0, -1)
    assert len(waits) == 1 and 0 <= float(waits[0]) < 60     # the first change only
    assert abs(db.expiretime(keys.stats_wait(day)) - db.expiretime(keys.stats_day(day))) <= 1


def test_counters_expire_at_a_fixed_moment_after_the_window(client, parts, redis_url):
    number = _sms(client, "LAPOR jalan rusak")
    db = redis.Redis.from_url(redis_url)
    day = date.fromisoformat(parts.store.status(number)["stats_day"])
    key = keys.stats_day(day.isoformat())
    expected = leaves_window(day)
    assert abs(db.expiretime(key) - expected) <= 1
    assert datetime.fromtimestamp(expected, WIB).date() == day + timedelta(days=31)
    _callback(client, {"tracking_number": number, "status": "proses"})      # no push back
    assert abs(db.expiretime(key) - expected) <= 1


def test_a_day_that_left_the_window_is_not_brought_back(client, parts, redis_url):
    number = _sms(client, "LAPOR jalan rusak")
    db = redis.Redis.from_url(redis_url)
    day = parts.store.status(number)["stats_day"]
    db.delete(keys.stats_day(day))                  # as when its expiry has come
    _callback(client, {"tracking_number": number, "status": "proses"})
    assert not db.exists(keys.stats_day(day)) and not db.exists(keys.stats_wait(day))
    assert parts.store.status(number)["status"] == "proses"


def test_province_comes_from_the_region_and_unreadable_complaints_are_kept(parts, redis_url):
    service = parts.intake.complaints
    message = inbound("LAPOR jalan rusak di Sangatta", provider_id="p-1")
    complaint = _build(service, message)
    complaint["location"] = {"text": "Sangatta", "region": {"province": "Kalimantan Timur"}}
    parts.store.accept(complaint, "", "")
    broken = _build(service, inbound("LAPOR lampu mati", provider_id="p-2"))
    broken["received_at"] = "not a time"                  # cannot be counted: kept all the same
    assert parts.store.accept(broken, "", "").result == 1
    assert parts.store.ledger(broken["id"])["state"] == "accepted"
    assert _today_counters(redis_url)["province|Kalimantan Timur"] == 1
    assert _today_counters(redis_url)["total"] == 1


def _build(service, message):
    from normalizer import tracking
    from normalizer.normalize import build_complaint, interpret
    return build_complaint(message, interpret(message), uuid.uuid4().hex,
                           tracking.new_tracking_number(),
                           service.contexts[message.door_id])


def test_reading_the_window_is_one_snapshot(client, parts):
    _sms(client, "LAPOR jalan rusak")
    today = stats_day(datetime.now(timezone.utc))
    days, waits = parts.store.public_stats.read([today - timedelta(days=1), today])
    assert days[0] == (today - timedelta(days=1), {}) and days[1][1]["total"] == 1
    assert waits == []
    assert time.time() < leaves_window(today)


def test_a_failing_counter_never_refuses_delays_or_loses_a_complaint(client, parts, redis_url):
    """The counters are a help: with the day's key unusable (a string where a hash should
    be), complaints are still recorded, queued and answered, delivered and moved on."""
    from tests.gateway.support import queue_length

    db = redis.Redis.from_url(redis_url)
    day = stats_day(datetime.now(timezone.utc)).isoformat()
    db.set(keys.stats_day(day), "not a hash")
    number = _sms(client, "LAPOR jalan rusak di depan SDN 3")
    cid = parts.store.tracking_owner(number)
    assert parts.store.ledger(cid)["state"] == "accepted" and queue_length(redis_url) == 1
    parts.store.mark_delivered(cid, number, "sms-1708", datetime.now(timezone.utc).isoformat())
    assert parts.store.status(number)["status"] == "diteruskan"
    _callback(client, {"tracking_number": number, "status": "proses"})
    assert parts.store.status(number)["status"] == "proses"
    assert db.get(keys.stats_day(day)) == b"not a hash"

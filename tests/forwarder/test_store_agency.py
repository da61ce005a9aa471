"""The store's part for agency systems on a real Redis: the Open311 listing is written by the
accept script in the same step as the complaint (and never for a duplicate or a collision),
old entries are trimmed, and API key records hold a digest, never a key."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import redis

from forwarder import keys
from forwarder.store import AcceptResult
from forwarder.store_agency import LISTING_SECONDS
from gateway import agency_keys
from tests.helpers import inbound

PLACE = {"service_code": "aspirasi", "address": "Jl. Riau", "lat": -6.9, "long": 107.6,
         "agency": "Dinas X"}


def _complaint(parts, text: str = "LAPOR jalan rusak", received: datetime | None = None) -> dict:
    outcome = parts.intake.take(inbound(text))
    complaint = parts.store.complaint(outcome.complaint_id)
    stamp = (received or datetime.now(timezone.utc)).isoformat()
    return {**complaint, "id": f"x{time.time_ns()}", "tracking_number": f"{time.time_ns()}"[-11:],
            "received_at": stamp}


def test_a_listed_complaint_is_listed_with_it_and_nothing_else_is(parts, redis_url):
    client = redis.Redis.from_url(redis_url)
    complaint = _complaint(parts)
    recorded = parts.store.accept(complaint, "door:m-1", "", listed=PLACE)
    assert recorded.result is AcceptResult.ACCEPTED
    number = complaint["tracking_number"]
    assert client.zscore(keys.LISTING, number) == datetime.fromisoformat(complaint["received_at"]).timestamp()
    assert client.ttl(keys.listed(number)) > LISTING_SECONDS - 60
    [(found, status, listed)] = parts.store.listing.entries([number, "27410935882"])
    assert found == number and status["status"] == "diterima" and listed == PLACE

    again = parts.store.accept({**complaint, "id": "other", "tracking_number": "1" * 11},
                               "door:m-1", "", listed=PLACE)
    taken = parts.store.accept({**complaint, "id": "other"}, "", "", listed=PLACE)
    assert (again.result, taken.result) == (AcceptResult.DUPLICATE, AcceptResult.COLLISION)
    assert client.zcard(keys.LISTING) == 1 and not client.exists(keys.listed("1" * 11))
    assert parts.store.accept(_complaint(parts), "", "").result is AcceptResult.ACCEPTED
    assert client.zcard(keys.LISTING) == 1          # an unlisted complaint stays unlisted


def test_entries_older_than_the_listing_time_are_trimmed(parts, redis_url):
    old = _complaint(parts, received=datetime.now(timezone.utc) - timedelta(seconds=LISTING_SECONDS + 86400))
    parts.store.accept(old, "", "", listed=PLACE)
    assert parts.store.listing.numbers(0, time.time(), 0, 10) == [old["tracking_number"]]
    new = _complaint(parts, "LAPOR lampu mati")
    parts.store.accept(new, "", "", listed=PLACE)
    assert parts.store.listing.numbers(0, time.time(), 0, 10) == [new["tracking_number"]]


def test_key_records_hold_the_digest_only(parts, redis_url):
    key, token = agency_keys.create(parts.store, "Dinas Y")
    assert not parts.store.api_keys.create(key.id, {"sha256": "0" * 64})    # ids never reused
    record = parts.store.api_keys.get(key.id)
    assert set(record) == {"agency", "door", "created_at", "last_used", "revoked_at", "sha256"}
    assert token not in str(record) and token.split("_", 2)[2] not in str(record)
    assert [row["id"] for row in parts.store.api_keys.all()] == [key.id]
    assert parts.store.api_keys.revoke(key.id, "2026-11-29T00:00:00+00:00")
    assert not parts.store.api_keys.revoke("000000000000", "2026-11-29T00:00:00+00:00")

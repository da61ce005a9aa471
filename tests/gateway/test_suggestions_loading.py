"""While a web process still loads the region data in the background (``normalizer.warmup``,
started by ``create_app`` under gunicorn), complaints are accepted at once, without the
suggestions and flagged ``suggestions_loading``; ``/readyz`` is 200 and says ``loading``.
Once loaded, complaints carry their region and routing again. A load that fails counts as
done and its log line names only the exception's type."""
from __future__ import annotations

import logging
import threading

from normalizer import routing, warmup
from tests.gateway.support import queued
from tests.helpers import wait_for

SUBMISSION = {"classification": "pengaduan", "body": "Jalan rusak di Kec. Sangatta Utara, Kutai Timur",
              "contact": "+62 812-3333-4444"}


def test_complaints_are_accepted_while_the_data_loads_then_carry_suggestions(client, redis_url, monkeypatch):
    monkeypatch.setattr(warmup, "WARMUP", warmup.Warmup())
    release = threading.Event()
    warmup.WARMUP.start(load=lambda: release.wait(30))
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["suggestions"] == "loading"
    answer = client.post("/api/v1/complaints", json=SUBMISSION)
    assert answer.status_code == 201, answer.get_json()
    [complaint] = queued(redis_url)
    assert complaint["flags"] == ["suggestions_loading"]
    assert complaint["location"] is None
    assert complaint["routing"]["agency"] == routing.NATIONAL_ADMIN and complaint["routing"]["confidence"] == 0
    release.set()
    wait_for(warmup.ready, timeout=10, message="background load done")
    assert client.get("/readyz").get_json()["suggestions"] == "ok"
    assert client.post("/api/v1/complaints", json={**SUBMISSION, "contact": "+62 812-3333-5555"}).status_code == 201
    later = [c for c in queued(redis_url) if c["id"] != complaint["id"]]
    assert [c["location"]["region"]["district"] for c in later] == ["Sangatta Utara"]
    assert later[0]["routing"]["region_code"] == "64.08" and not later[0]["flags"]


def test_a_failed_load_counts_as_done_and_logs_the_type_only(monkeypatch, caplog):
    def broken():
        raise OSError("/data/regions Siti +6281233334444")

    monkeypatch.setattr(warmup, "WARMUP", warmup.Warmup())
    with caplog.at_level(logging.ERROR, logger="normalizer.warmup"):
        warmup.WARMUP.start(load=broken)
        wait_for(warmup.ready, timeout=10, message="background load done")
    assert [r.getMessage() for r in caplog.records if r.name == "normalizer.warmup"] == [
        "suggestion data not loaded in the background (OSError)"]


def test_a_process_that_never_started_a_load_loads_on_demand(monkeypatch):
    monkeypatch.setattr(warmup, "WARMUP", warmup.Warmup())
    assert warmup.ready()

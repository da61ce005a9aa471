"""``/petugas/dead``: dead letters made by the real forwarder (central refusing), listed with
reason, attempts and age, replayed one or all through the page (POST with the CSRF token),
delivered afterwards, and every replay in the audit stream."""
from __future__ import annotations

import json
import re

from forwarder import dead
from gateway.officers.pages import _age
from tests.helpers import inbound, wait_for
from tests.officers.support import token


def _delivered(parts, number):
    return (parts.store.status(number) or {}).get("status") == "diteruskan"


def test_the_page_lists_reason_attempts_and_age(officer_client, dead_letters):
    numbers = dead_letters([inbound("LAPOR lampu jalan mati"), inbound("LAPOR saluran tersumbat")])
    page = officer_client("supervisor", "KemenPANRB").get("/petugas/dead").get_data(as_text=True)
    records = re.findall(r'<li class="record" data-id="([^"]+)">(.*?)</li>', page, re.S)
    assert len(records) == 2
    for number in numbers:
        assert f"{number[:4]}-{number[4:8]}-{number[8:]}" in page
    for _id, record in records:
        assert "<dt>Alasan</dt><dd>central refused with 400" in record
        assert re.search(r"<dt>Percobaan</dt><dd>1</dd>", record)
        assert re.search(r"<dt>Umur</dt><dd>0 jam [01] menit</dd>", record)
        assert "sms-1708 · KemenPANRB" in record
    assert "Kirim ulang semua (2)" in page


def test_replaying_one_delivers_it_and_is_audited(officer_client, parts, receiver, dead_letters):
    first, second = dead_letters([inbound("LAPOR sampah menumpuk"), inbound("LAPOR jembatan retak")])
    client = officer_client("supervisor", "KemenPANRB")
    cid = parts.store.tracking_owner(first)
    answer = client.post("/petugas/dead/replay", data={"csrf_token": token(client, "/petugas/dead"), "id": cid})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/petugas/dead?replayed=1")
    wait_for(lambda: _delivered(parts, first), timeout=60, message="the replayed complaint delivered")
    assert [row["tracking_number"] for row in dead.list_dead(parts)] == [second]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "1 pesan dikirim ulang." in page and first not in page
    [entry] = [row for row in parts.store.audit.read() if row["action"] == "dead_replay"]
    assert entry["actor"] == client.officer["username"] and entry["address"] == "127.0.0.1"
    assert json.loads(entry["details"]) == {"all": False, "count": 1, "ids": [cid]}


def test_replaying_all_delivers_every_one(officer_client, parts, dead_letters):
    numbers = dead_letters([inbound(f"LAPOR pohon tumbang nomor {n}") for n in range(3)])
    client = officer_client("admin", "KemenPANRB")
    answer = client.post("/petugas/dead/replay", data={"csrf_token": token(client), "all": "1"})
    assert answer.headers["Location"].endswith("replayed=3")
    wait_for(lambda: all(_delivered(parts, number) for number in numbers), timeout=60, message="all delivered")
    assert dead.list_dead(parts) == []
    [entry] = [row for row in parts.store.audit.read() if row["action"] == "dead_replay"]
    assert json.loads(entry["details"])["count"] == 3


def test_a_replay_without_the_token_or_of_an_unknown_id_changes_nothing(officer_client, parts, dead_letters):
    [number] = dead_letters([inbound("LAPOR trotoar rusak")])
    client = officer_client("supervisor", "KemenPANRB")
    assert client.post("/petugas/dead/replay", data={"all": "1"}).status_code == 400
    assert client.post("/petugas/dead/replay", data={"all": "1", "csrf_token": "forged"}).status_code == 400
    assert client.post("/petugas/dead/replay", data={"csrf_token": token(client), "id": "nope"}).status_code == 404
    assert [row["tracking_number"] for row in dead.list_dead(parts)] == [number]
    assert not [row for row in parts.store.audit.read() if row["action"] == "dead_replay"]


def test_age_reads_hours_minutes_and_days():
    from datetime import datetime, timezone

    now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    assert _age("2026-11-29T11:58:00+00:00", now) == (0, 0, 2)
    assert _age("2026-11-29T08:30:00Z", now) == (0, 3, 30)
    assert _age("2026-11-26T10:00:00+00:00", now) == (3, 2, 0)
    assert _age("", now) is None and _age("kemarin", now) is None


def test_the_page_shows_the_first_ones_and_replay_all_takes_every_one(officer_client, parts, dead_letters,
                                                                    monkeypatch):
    from gateway.officers import pages

    numbers = dead_letters([inbound(f"LAPOR selokan mampet nomor {n}") for n in range(3)])
    monkeypatch.setattr(pages, "DEAD_ROWS", 2)
    client = officer_client("supervisor", "KemenPANRB")
    page = client.get("/petugas/dead").get_data(as_text=True)
    assert page.count('class="record"') == 2 and "Hanya 2 yang pertama ditampilkan" in page
    answer = client.post("/petugas/dead/replay", data={"csrf_token": token(client), "all": "1"})
    assert answer.headers["Location"].endswith("replayed=3")
    wait_for(lambda: all(_delivered(parts, number) for number in numbers), timeout=60, message="all delivered")

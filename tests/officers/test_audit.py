"""The audit stream: bounded by ``LAPOR_AUDIT_MAX_ENTRIES`` (XADD MAXLEN ~), read in order,
from a moment on, by agency; ``/petugas/audit`` shows who, what, when and from where."""
from __future__ import annotations

import time



def test_the_stream_keeps_about_the_newest_max_entries(parts):
    audit = parts.store.audit
    pipe_ids = [audit.append({"action": "login", "actor": f"petugas-{n}", "agency": "X"}, 1000)
                for n in range(3000)]
    kept = audit.length()
    assert 1000 <= kept < 1200                       # trimmed by whole blocks, never below the bound
    rows = audit.read(limit=5000)
    assert rows[-1]["id"] == pipe_ids[-1] and rows[-1]["actor"] == "petugas-2999"
    assert rows[0]["id"] != pipe_ids[0]


def test_read_from_a_moment_and_for_one_agency(parts):
    audit = parts.store.audit
    audit.append({"action": "login", "actor": "a", "agency": "A"}, 1000)
    time.sleep(0.01)
    cut = int(time.time() * 1000)
    audit.append({"action": "login", "actor": "b", "agency": "B"}, 1000)
    audit.append({"action": "logout", "actor": "a", "agency": "A"}, 1000)
    assert [r["actor"] for r in audit.read()] == ["a", "b", "a"]
    assert [r["action"] for r in audit.read(since_ms=cut)] == ["login", "logout"]
    assert [r["action"] for r in audit.read(agency="A")] == ["login", "logout"]
    assert [r["action"] for r in audit.read(agency="A", newest_first=True)] == ["logout", "login"]
    assert len(audit.read(limit=2)) == 2


def test_the_page_shows_who_what_when_and_from_where(officer_client, parts):
    client = officer_client("supervisor", "Dinas Kesehatan")
    page = client.get("/petugas/audit").get_data(as_text=True)
    assert 'data-action="login"' in page and client.officer["username"] in page
    assert "<dt>Dari alamat</dt><dd>127.0.0.1</dd>" in page and " WIB</dd>" in page
    english = client.get("/petugas/audit?lang=en").get_data(as_text=True)
    assert "Audit log" in english and "<dt>From address</dt>" in english

"""Nothing on the officer side shows an anonymous or confidential reporter's identity: every
officer page (as an admin, who sees most) and the whole audit stream are searched for the
reporters' numbers and names, with their complaints dead-lettered and replayed; and an
officer's username never reaches a log line (only their keyed id)."""
from __future__ import annotations

import logging

from tests.helpers import inbound
from tests.officers.support import token
from tests.officers.test_roles import PAGES

REPORTERS = [("081298765432", "Siti Aminah Rahayu", "LAPOR ANONIM kepala desa minta uang"),
             ("085711223344", "Bambang Sutrisno", "RAHASIA pungli di kantor kecamatan"),
             ("6281377788899", "Dewi Kartika Sari", "lapor anonim guru honorer tidak dibayar")]


def _needles():
    for phone, name, _text in REPORTERS:
        yield phone[-9:]
        yield name
        yield name.split()[0] + " " + name.split()[1]


def _pages(client) -> str:
    shown = []
    for method, path, _least in PAGES.values():
        if method == "GET":
            shown.append(client.get(path).get_data(as_text=True))
            shown.append(client.get(path + "?lang=en").get_data(as_text=True))
    return "\n".join(shown)


def test_no_officer_page_and_no_audit_entry_shows_a_private_reporter(officer_client, parts, dead_letters, caplog):
    caplog.set_level(logging.DEBUG)
    messages = [inbound(text, sender=phone, sender_name=name) for phone, name, text in REPORTERS]
    for number in dead_letters(messages):
        complaint = parts.store.complaint(parts.store.tracking_owner(number))
        assert complaint["privacy"]["anonymous"] or complaint["privacy"]["confidential"]
    admin = officer_client("admin", "KemenPANRB")
    supervisor = officer_client("supervisor", "KemenPANRB")
    seen = _pages(admin) + _pages(supervisor)
    assert "Kirim ulang semua (3)" in seen                 # the dead letters are on the page
    admin.post("/petugas/dead/replay", data={"csrf_token": token(admin), "all": "1"})
    seen += _pages(admin)
    stream = "\n".join(str(row) for row in parts.audit.read())
    assert "dead_replay" in stream
    for needle in _needles():
        assert needle not in seen, needle
        assert needle not in stream, needle
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for client in (admin, supervisor):
        assert client.officer["username"] not in logged
    assert "officer login officer=o-" in logged

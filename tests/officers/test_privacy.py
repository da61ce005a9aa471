"""Nothing on the officer side shows an anonymous or confidential reporter's identity: every
officer page (as an admin, who sees most; the complaint pages and receipts of each private
complaint) and the whole audit stream are searched for the reporters' numbers and names,
with their complaints dead-lettered and replayed, and one confidential complaint entered
at the desk with a name and a phone number; and an
officer's username never reaches a log line (only their keyed id)."""
from __future__ import annotations

import logging
import re
from datetime import datetime

from channels.manual.adapter import WIB

from tests.helpers import inbound
from tests.officers.support import token
from tests.officers.test_roles import PAGES

REPORTERS = [("081298765432", "Siti Aminah Rahayu", "LAPOR ANONIM kepala desa minta uang"),
             ("085711223344", "Bambang Sutrisno", "RAHASIA pungli di kantor kecamatan"),
             ("6281377788899", "Dewi Kartika Sari", "lapor anonim guru honorer tidak dibayar")]


MANUAL_REPORTER = ("081355566677", "Rina Wulandari Putri", "")


def _needles():
    for phone, name, _text in (*REPORTERS, MANUAL_REPORTER):
        yield phone[-9:]
        yield name
        yield name.split()[0] + " " + name.split()[1]


def _pages(client, numbers) -> str:
    """Every officer GET page, in both languages; a complaint's pages for each of ``numbers``
    (followed through redirects)."""
    shown = []
    for method, path, _least in PAGES.values():
        if method != "GET":
            continue
        for url in sorted({path.format(number=number) for number in numbers}):
            joiner = "&" if "?" in url else "?"
            for lang in ("", f"{joiner}lang=en"):
                answer = client.get(url + lang, follow_redirects=True)
                assert answer.status_code == 200, (url, answer.status_code)
                shown.append(answer.get_data(as_text=True))
    return "\n".join(shown)


def _enter_confidential(client) -> str:
    """A confidential complaint entered at the desk with the reporter's name and contact."""
    form = client.get("/petugas/laporan/baru").get_data(as_text=True)
    submission = re.search(r'name="submission_id" value="([^"]+)"', form).group(1)
    answer = client.post("/petugas/laporan/baru", data={
        "csrf_token": token(client, "/petugas/laporan/baru"), "submission_id": submission,
        "source": "telepon", "received_on": datetime.now(WIB).date().isoformat(),
        "classification": "pengaduan", "body": "Penelepon melaporkan pungutan liar di loket KTP.",
        "confidential": "on", "name": MANUAL_REPORTER[1], "contact": MANUAL_REPORTER[0]})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"].split("/")[-2]


def test_no_officer_page_and_no_audit_entry_shows_a_private_reporter(officer_client, parts, dead_letters, caplog):
    caplog.set_level(logging.DEBUG)
    messages = [inbound(text, sender=phone, sender_name=name) for phone, name, text in REPORTERS]
    numbers = dead_letters(messages)
    numbers.append(_enter_confidential(officer_client("petugas", "KemenPANRB")))
    for number in numbers:
        complaint = parts.store.complaint(parts.store.tracking_owner(number))
        assert complaint["privacy"]["anonymous"] or complaint["privacy"]["confidential"]
    admin = officer_client("admin", "KemenPANRB")
    supervisor = officer_client("supervisor", "KemenPANRB")
    seen = _pages(admin, numbers) + _pages(supervisor, numbers)
    # each dead complaint's page, opened directly and by number: 2 officers x 2 languages x 2 ways
    assert seen.count('id="forwarding-state" data-state="dead"') == 3 * 2 * 2 * 2
    assert "Kirim ulang semua (3)" in seen                 # the dead letters are on the page
    admin.post("/petugas/dead/replay", data={"csrf_token": token(admin), "all": "1"})
    seen += _pages(admin, numbers)
    stream = "\n".join(str(row) for row in parts.store.audit.read())
    assert "dead_replay" in stream
    for needle in _needles():
        assert needle not in seen, needle
        assert needle not in stream, needle
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for client in (admin, supervisor):
        assert client.officer["username"] not in logged
    assert "officer login officer=o-" in logged

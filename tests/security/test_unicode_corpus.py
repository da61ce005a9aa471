"""The unicode corpus (tests/testdata/unicode_corpus.json) through every door, properly
signed for each channel, and on to a local central receiver through the real forwarder.

Each entry is either stored and forwarded exactly (the complaint body in the ledger, on
the queue and in the JSON the central system receives equals the entry's expected text,
byte for byte) or refused with the 4xx status and reason the corpus names for that channel;
never a 500, never a changed text. The only changes are the documented ones
(docs/security.md): lone surrogates become U+FFFD, surrounding whitespace is stripped.

Entrances: Kannel (UCS-2 text), Twilio (UTF-8 form), WhatsApp Cloud API (ASCII-escaped
JSON, as Meta writes it), Telegram, X direct messages (X's HTML entities for & < >), the
JSON API, ``/in/web`` and the ``/lapor`` form (as a browser posts it: a browser itself
turns a lone surrogate into U+FFFD before sending).
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from forwarder.topology import COMPLAINTS
from forwarder.worker import ForwardWorker
from normalizer.text import usv
from tests.gateway.support import queued
from tests.helpers import Receiver, wait_for
from channels.web.testing import WebApiSender
from tests.harness import SENDERS

CORPUS = json.loads((Path(__file__).parents[1] / "testdata" / "unicode_corpus.json").read_text("utf-8"))
ENTRIES = CORPUS["entries"]
ENTRANCES = [*SENDERS, "web-api", "web-in", "web-form"]        # every signing channel's door
CHANNEL = {door: sender.channel for door, sender in SENDERS.items()}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


@pytest.fixture
def central():
    with Receiver() as running:
        yield running


@pytest.fixture
def environ(environ, central):
    environ.update(LAPOR_CENTRAL_URL=central.url, LAPOR_FOLLOWUP_MINUTES="0",
                   LAPOR_RETRY_BASE_SECONDS="0.05", LAPOR_RETRY_CAP_SECONDS="0.2")
    return environ


def expected_body(entry: dict) -> str:
    return entry.get("stored", entry["text"])


def send(client, entrance: str, text: str, n: int):
    if entrance in SENDERS:
        return SENDERS[entrance].request(text, n).send(client)
    if entrance in ("web-api", "web-in"):
        return WebApiSender("/api/v1/complaints" if entrance == "web-api" else "/in/web").request(text, n).send(client)
    page = client.get("/lapor").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1), "submission_id": SUBMISSION.search(page).group(1),
            "classification": "pengaduan", "body": usv(text), "name": "Siti",
            "contact": f"0812{n:08d}"}
    return client.post("/lapor", data=form, content_type="multipart/form-data")


def ledger_ids(parts) -> set[str]:
    return {key.decode()[len("lapor:c:"):] for key in parts.store.redis.scan_iter("lapor:c:*")}


def test_corpus_follows_the_documented_rule():
    """The expected texts are the documented normalization of the texts, nothing else."""
    assert len(ENTRIES) >= 35 and len({e["name"] for e in ENTRIES}) == len(ENTRIES)
    for entry in ENTRIES:
        assert expected_body(entry) == usv(entry["text"]).strip(), entry["name"]
        assert len(expected_body(entry)) >= 10, entry["name"]      # the web form's minimum
    kinds = {e["name"] for e in ENTRIES}
    assert {"nul_inside", "lone_high_surrogate", "rtl_marks", "zwj_family", "flags", "skin_tones",
            "javanese", "combining_zalgo", "very_long_word", "mixed_scripts"} <= kinds


@pytest.mark.parametrize("entrance", ENTRANCES)
def test_corpus_through_the_door_is_stored_and_forwarded_exactly(client, parts, central, entrance):
    channel = CHANNEL.get(entrance, "web")
    stored: dict[str, str] = {}                 # complaint id -> expected body
    for n, entry in enumerate(ENTRIES, start=1):
        before = ledger_ids(parts)
        response = send(client, entrance, entry["text"], n)
        refusal = entry.get("refused_by", {}).get(channel)
        if refusal:
            assert response.status_code == refusal["status"], (entry["name"], response.status_code)
            assert response.get_json()["error"] == refusal["reason"], entry["name"]
            assert ledger_ids(parts) == before, entry["name"]
            continue
        assert response.status_code in (200, 201), (entry["name"], response.status_code,
                                                    response.get_data()[:200])
        [cid] = ledger_ids(parts) - before
        complaint = parts.store.complaint(cid)
        assert complaint["body"].encode("utf-8") == expected_body(entry).encode("utf-8"), entry["name"]
        stored[cid] = expected_body(entry)
    refused = sum(1 for e in ENTRIES if channel in e.get("refused_by", {}))
    assert len(stored) == len(ENTRIES) - refused

    on_queue = {body["id"]: body["body"] for body in queued(parts.settings.redis_url, COMPLAINTS)}
    assert on_queue == stored

    stop = threading.Event()
    worker = threading.Thread(target=ForwardWorker(parts, stop).run, daemon=True)
    worker.start()
    try:
        wait_for(lambda: len(central.requests) >= len(stored), timeout=30,
                 message="every complaint at the central receiver")
    finally:
        stop.set()
        worker.join(15)
    received = {}
    for request in central.requests:
        body = json.loads(request["body"].decode("utf-8"))
        received[body["id"]] = body["body"]
    assert received == stored
    print(f"\n{entrance}: {len(stored)} stored and forwarded exactly, {refused} refused (4xx)")


BAD_UTF8 = [b"Jalan rusak \xff\xfe di desa kami", b"Jalan rusak \xed\xa0\x80 (surrogate) di desa",
            b"Jalan rusak \xe2\x82 terpotong di desa", b"Caf\xe9 latin-1 di jalan desa kami"]


@pytest.mark.parametrize("raw", BAD_UTF8, ids=["ff-fe", "encoded-surrogate", "cut-sequence", "latin-1"])
@pytest.mark.parametrize("how", ["urlencoded", "multipart"])
def test_web_form_fields_that_are_not_utf8_keep_the_rest(client, parts, raw, how):
    """A browser always posts the form in UTF-8; bytes that are not (from a script) are
    decoded with each invalid sequence replaced by U+FFFD (Python's errors="replace",
    Unicode's "maximal subpart" practice), the documented rule for form fields."""
    expected = raw.decode("utf-8", "replace")
    page = client.get("/lapor").get_data(as_text=True)
    fields = {"csrf_token": CSRF.search(page).group(1), "submission_id": SUBMISSION.search(page).group(1)}
    if how == "urlencoded":          # the form's own entrance (/in/web takes JSON only)
        from urllib.parse import quote_from_bytes, urlencode
        response = client.post("/lapor", data=urlencode(fields).encode() + b"&body="
                               + quote_from_bytes(raw).encode() + b"&contact=081234567890",
                               content_type="application/x-www-form-urlencoded")
    else:
        boundary = "lapor-boundary-4711"
        body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in fields.items())
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\n'.encode() + raw
        body += f"\r\n--{boundary}--\r\n".encode()
        response = client.post("/lapor", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (200, 201)
    [cid] = ledger_ids(parts)
    assert parts.store.complaint(cid)["body"] == expected.strip()

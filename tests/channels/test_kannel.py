"""The Kannel SMS door beyond its recorded cases (testdata/kannel.json, run by
tests/channels/test_cases.py): duplicates, status queries, the reply's alphabet, Kannel's
time forms, plus sendsms against a local HTTP server standing in for Kannel's sendsms
interface."""
from __future__ import annotations

import json
import logging
import re
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from hypothesis import given, settings, strategies as st

from channels.base import Rejected, SendError, WebRequest
from normalizer.values import OutboundMessage, Outcome
from channels import gsm7
from channels.gsm7 import fits_one_sms, is_gsm7, septets
from channels.kannel.adapter import KannelAdapter
from channels.kannel.payload import _TIME_FORMATS, parse_query, parse_time
from config import messages
from config.doors import Door
from forwarder.topology import COMPLAINTS
from normalizer import tracking
from tests.helpers import Receiver, free_port, inbound

TABLE = json.loads((Path(__file__).parent / "testdata" / "kannel.json").read_text("utf-8"))
SECRET = TABLE["secrets"][0]
CASES = {case["name"]: case for case in TABLE["cases"]}
REFUSED = [name for name, case in CASES.items() if case["expect"]["status"] != 200]
TRACKING = re.compile(r"No\. lacak: (\d{4}-\d{4}-\d{3})")
PHONE = "+6281234567890"


def door(secret: str = SECRET, **options) -> Door:
    return Door(id="sms-1708", channel="kannel", agency="KemenPANRB",
                credentials={"secret": secret}, options={"short_code": "1708", **options})


def web_request(case: dict) -> WebRequest:
    spec = case["request"]
    headers = dict(spec["headers"])
    return WebRequest(method=spec["method"], url="http://127.0.0.1/in/sms-1708",
                      path="/in/sms-1708", headers=headers,
                      query_string=spec["query"].encode("ascii"),
                      body=bytes.fromhex(spec["body_hex"]),
                      content_type=headers.get("content-type", ""))


def post_through(client, case: dict):
    spec = case["request"]
    headers = {k: v for k, v in spec["headers"].items() if k != "content-type"}
    return client.open("/in/sms-1708?" + spec["query"], method=spec["method"], headers=headers,
                       data=bytes.fromhex(spec["body_hex"]),
                       content_type=spec["headers"].get("content-type"))


def redis_of(parts) -> redis.Redis:
    return parts.store.redis


def queued(parts) -> int:
    return redis_of(parts).llen(COMPLAINTS)


def complaint_for(parts, reply: str) -> dict:
    number = tracking.compact(TRACKING.search(reply).group(1))
    cid = redis_of(parts).get("lapor:t:" + number).decode()
    return parts.store.complaint(cid)


# ----- the adapter alone ---------------------------------------------------------------------
def test_door_without_secret_refuses_everything():
    adapter = KannelAdapter(door(secret=""))
    for name in ("get_valid", "get_basic_auth", "missing_secret"):
        with pytest.raises(Rejected) as refused:
            adapter.authenticate(web_request(CASES[name]))
        assert (refused.value.status, refused.value.reason) == (403, "door has no secret configured")


def test_hashed_id_is_stable_and_tracks_content():
    adapter = KannelAdapter(door())
    case = CASES["get_missing_optional_fields"]
    first = adapter.parse(web_request(case))[0].provider_message_id
    again = adapter.parse(web_request(case))[0].provider_message_id
    changed = dict(case, request=dict(case["request"], query=case["request"]["query"] + "+lagi"))
    assert first == again
    assert adapter.parse(web_request(changed))[0].provider_message_id != first


def test_kannel_time_forms():
    assert parse_time("2026-11-24 10:42:39") == datetime(2026, 11, 24, 10, 42, 39, tzinfo=timezone.utc)
    assert parse_time("1999-09-21 14:18") == datetime(1999, 9, 21, 14, 18, tzinfo=timezone.utc)
    assert parse_time("1795516959") == datetime(2026, 11, 24, 10, 42, 39, tzinfo=timezone.utc)
    assert parse_time("kemarin") is None and parse_time("") is None


def test_respond_plain_gsm7_and_ucs2_when_needed():
    adapter = KannelAdapter(door())
    message = inbound("x")
    plain = adapter.respond([Outcome(message, "27410935882", "LAPOR! Laporan Anda diterima.")])
    assert (plain.status, plain.content_type) == (200, "text/plain; charset=utf-8")
    assert plain.body == b"LAPOR! Laporan Anda diterima." and plain.headers == {}
    wide = adapter.respond([Outcome(message, "", "Terima kasih \U0001F64F")])
    assert wide.body.decode("utf-8") == "Terima kasih \U0001F64F"
    assert wide.headers == {"X-Kannel-Coding": "2"}


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?\Z"))
def test_kannel_time_is_read_as_strptime_reads_it(value):
    """The fast reading of the usual form (``datetime.fromisoformat``) answers what
    ``strptime`` with Kannel's two formats answers, invalid dates included."""
    expected = None
    for fmt in _TIME_FORMATS:
        try:
            expected = datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
            break
        except ValueError:
            continue
    assert parse_time(value) == expected


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=6), st.binary(max_size=8)), max_size=6), st.booleans())
def test_kannel_query_is_unquoted_as_before(pairs, plus_for_space):
    """The query reader skips ``unquote_to_bytes`` for a part without ``%``: the same names
    and bytes as unquoting every part, whatever the encoding (``+``, ``%20``, raw bytes)."""
    quote = urllib.parse.quote_plus if plus_for_space else urllib.parse.quote
    raw = "&".join(f"{quote(name)}={quote(value)}" for name, value in pairs).encode() + b"&x=a+b%2"
    expected: dict[str, bytes] = {}
    for part in filter(None, raw.split(b"&")):
        key, _, value = part.partition(b"=")
        expected.setdefault(urllib.parse.unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8", "replace"),
                            urllib.parse.unquote_to_bytes(value.replace(b"+", b" ")))
    assert dict(parse_query(raw)) == expected


def test_gsm7_alphabet():
    assert is_gsm7("LAPOR! @£$ èé ÄÖ à {€}") and not is_gsm7("tolong 🙏") and not is_gsm7("ç")
    assert septets("a{b}€") == 8
    assert fits_one_sms("x" * 160) and not fits_one_sms("x" * 161) and not fits_one_sms("🙏")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(gsm7.BASIC | gsm7.EXTENSION)) | st.characters(), max_size=40))
def test_gsm7_check_is_the_tables_membership(text):
    """The one-scan check says what a look-up of every character in the two tables says
    (the regular expression's class escapes ``]``, ``\\``, ``^`` and ``-``)."""
    assert is_gsm7(text) == all(char in gsm7.BASIC or char in gsm7.EXTENSION for char in text)


# ----- through the pipeline ----------------------------------------------------------------------
def test_duplicate_message_id_same_tracking_no_second_complaint(client, parts):
    case = CASES["get_ucs2_emoji"]
    first = post_through(client, case).get_data(as_text=True)
    second = post_through(client, case).get_data(as_text=True)
    number = TRACKING.search(first).group(1)
    assert second == messages.text("ack_duplicate", tracking=number)
    assert fits_one_sms(second)
    assert queued(parts) == 1
    assert parts.store.queue_depths()["pending"] == 1
    assert parts.store.stats() == {("accepted", "sms-1708"): 1, ("duplicate", "sms-1708"): 1}


def test_retry_without_message_id_is_deduplicated(client, parts):
    case = CASES["get_missing_optional_fields"]
    first = post_through(client, case).get_data(as_text=True)
    second = post_through(client, case).get_data(as_text=True)
    assert TRACKING.search(first).group(1) in second and "sudah kami terima" in second
    assert queued(parts) == 1


def test_cek_answers_status_without_a_complaint(client, parts):
    ack = post_through(client, CASES["get_valid"]).get_data(as_text=True)
    number = TRACKING.search(ack).group(1)
    query = (f"secret={SECRET}&from=081234567890&to=1708&text=CEK+{number}&charset=UTF-8"
             "&coding=0&time=2026-11-24+11:00:00&smsc=FAKE&id=5d7d3a0e-0c44-4c1e-a7a5-1c2d3e4f5a6b")
    response = client.get("/in/sms-1708?" + query)
    reply = response.get_data(as_text=True)
    complaint = complaint_for(parts, ack)
    assert response.status_code == 200
    assert reply == messages.text(
        "status", tracking=number, status=messages.status_label("diterima"),
        agency=messages.text("not_assigned"),
        due=messages.format_date(complaint["service_level"]["due_date"]),
        colour=messages.text("colour_green"))         # a new complaint is on time
    assert fits_one_sms(reply)
    assert queued(parts) == 1 and parts.store.queue_depths()["pending"] == 1


def test_acknowledgement_is_gsm7_within_160(client, parts):
    """The real Indonesian acknowledgement for a real complaint (today's due date, 14 working
    days out) is what Kannel sends to the phone: plain GSM-7, one SMS."""
    response = post_through(client, CASES["get_ucs2_emoji"])
    reply = response.get_data(as_text=True)
    complaint = complaint_for(parts, reply)
    due = messages.format_date(complaint["service_level"]["due_date"])
    assert reply.startswith("LAPOR! Laporan Anda diterima.")
    assert f"CEK {complaint['tracking_number']} ke 1708" in reply and due in reply
    assert is_gsm7(reply) and septets(reply) <= 160
    assert "X-Kannel-Coding" not in response.headers


def test_unknown_door_is_404(client):
    response = client.get("/in/sms-9999?secret=" + SECRET + "&from=0812&text=x")
    assert response.status_code == 404


# ----- sendsms -----------------------------------------------------------------------------------
@pytest.fixture
def kannel_sendsms():
    with Receiver(default=(202, {"Content-Type": "text/html"}, b"0: Accepted for delivery")) as fake:
        yield fake


def sendsms_door(url: str) -> KannelAdapter:
    return KannelAdapter(door(sendsms_url=url + "/cgi-bin/sendsms?username=lapor&password=pw%26x"))


def sent_params(receiver: Receiver) -> dict:
    [request] = receiver.requests
    parts = urlsplit(request["path"])
    assert request["method"] == "GET" and parts.path == "/cgi-bin/sendsms"
    return {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}


def test_send_gsm7_text(kannel_sendsms, caplog):
    caplog.set_level(logging.INFO)
    text = "LAPOR! 2741-0935-882: selesai. Instansi: Dinas PU PERA. Batas: 14-12-2026."
    sendsms_door(kannel_sendsms.url).send(OutboundMessage("sms-1708", PHONE, text))
    params = sent_params(kannel_sendsms)
    assert params == {"username": "lapor", "password": "pw&x", "to": PHONE, "from": "1708",
                      "text": text, "charset": "UTF-8"}
    assert PHONE not in caplog.text and "sendsms accepted" in caplog.text


def test_send_non_gsm_text_as_ucs2(kannel_sendsms):
    text = "Laporan Anda selesai ditindaklanjuti \U0001F64F"
    sendsms_door(kannel_sendsms.url).send(OutboundMessage("sms-1708", PHONE, text))
    params = sent_params(kannel_sendsms)
    assert params["text"] == text and params["coding"] == "2" and params["charset"] == "UTF-8"


@pytest.mark.parametrize("status,permanent", [(503, False), (500, False), (403, True), (400, True)])
def test_send_failures(kannel_sendsms, status, permanent):
    kannel_sendsms.default = (status, {"Content-Type": "text/html"},
                              b"Refused for 6281234567890 by Kannel")
    with pytest.raises(SendError) as failed:
        sendsms_door(kannel_sendsms.url).send(OutboundMessage("sms-1708", PHONE, "x"))
    assert failed.value.permanent is permanent
    assert str(status) in failed.value.reason
    assert "81234567890" not in failed.value.reason and "pw" not in failed.value.reason


def test_send_unreachable_is_retryable_and_leaks_nothing():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SendError) as failed:
        sendsms_door(url).send(OutboundMessage("sms-1708", PHONE, "x"))
    assert not failed.value.permanent
    assert "81234567890" not in str(failed.value) and "password" not in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_send_without_sendsms_url_is_permanent():
    with pytest.raises(SendError) as failed:
        KannelAdapter(door()).send(OutboundMessage("sms-1708", PHONE, "x"))
    assert failed.value.permanent and "sendsms_url" in failed.value.reason


# ----- the operator's guide says what the tests run ---------------------------------------------
def test_docs_show_the_blocks_the_e2e_test_runs():
    from tests.e2e.kannel_fixture import sms_service

    guide = (Path(__file__).parents[2] / "docs" / "kannel.md").read_text("utf-8")
    for mode in ("get", "post"):
        assert sms_service(mode, "http://127.0.0.1:8000", "SECRET") in guide
    unavailable = messages.text("sms_unavailable")
    assert f'reply-couldnotfetch = "{unavailable}"' in guide
    assert fits_one_sms(unavailable)

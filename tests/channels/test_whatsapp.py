"""The WhatsApp Cloud API door, inbound, beyond its recorded deliveries (testdata/whatsapp.json,
run by tests/channels/test_cases.py): the GET verification handshake, signatures,
duplicates, odd bodies, BSUIDs and the privacy of logs.
Replies and media downloads are in test_whatsapp_graph.py."""
from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from channels.base import Rejected, WebRequest
from channels.whatsapp.adapter import WhatsAppAdapter
from config import messages
from forwarder.topology import COMPLAINTS, MEDIA, REPLIES
from normalizer import tracking
from tests.channels.whatsapp_support import (CASES, PATH, TABLE,
                                             VERIFY_TOKEN, door, environ_for, headers_for,
                                             meta_bytes, post_case, queued, signature,
                                             web_request)

PHONES = ("6281234567890", "6281298765432", "6285712345678", "14155550123")


@pytest.fixture
def environ(environ):
    environ.update(environ_for())
    return environ


def redis_of(parts):
    return parts.store.redis


@pytest.mark.parametrize("missing", ["app_secret", "access_token", "phone_number_id"])
def test_door_without_meta_credentials_answers_503(missing):
    base = door()
    credentials = {k: ("" if k == missing else v) for k, v in base.credentials.items()}
    options = {k: ("" if k == missing else v) for k, v in base.options.items()}
    adapter = WhatsAppAdapter(type(base)(**{**base.__dict__, "credentials": credentials, "options": options}))
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(web_request(CASES["text"]))
    assert (refused.value.status, refused.value.reason) == (503, "door not configured")


def test_signature_covers_the_raw_bytes_not_the_json():
    """Meta signs the bytes it sends (\\u escapes, escaped slashes); a signature over the
    same JSON serialized another way must not pass, and the real one must."""
    adapter = WhatsAppAdapter(door())
    body = CASES["text_keywords_emoji"]["request"]["body"]
    raw = meta_bytes(body)
    assert b"\\ud83d\\ude4f" in raw                      # the emoji as Meta escapes it
    pretty = json.dumps(body, ensure_ascii=False).encode()
    request = WebRequest("POST", "https://x" + PATH, PATH, {"x-hub-signature-256": signature(pretty)},
                         b"", raw, "application/json")
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(request)
    assert refused.value.status == 403
    upper = "sha256=" + signature(raw).split("=", 1)[1].upper()   # hex digits in either case
    good = WebRequest("POST", "https://x" + PATH, PATH, {"x-hub-signature-256": upper}, b"", raw,
                      "application/json")
    adapter.verify(good)
    assert adapter.parse(good)[0].text.endswith("\U0001F64F")


def test_oversized_body_is_refused_before_hashing():
    adapter = WhatsAppAdapter(door())
    adapter.max_body = 2048
    raw = meta_bytes(CASES["text"]["request"]["body"]) + b" " * 2048
    request = WebRequest("POST", "https://x" + PATH, PATH, {"x-hub-signature-256": signature(raw)},
                         b"", raw, "application/json")
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(request)
    assert refused.value.status == 413


@given(st.binary(max_size=600))
@hsettings(max_examples=300, deadline=None)
def test_parser_survives_any_bytes(data):
    adapter = WhatsAppAdapter(door())
    request = WebRequest("POST", "https://x" + PATH, PATH, {}, b"", data, "application/json")
    try:
        assert isinstance(adapter.parse(request), list)
    except Rejected as exc:
        assert exc.status == 400


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "from", "type", "text", "body", "image", "location", "latitude",
                         "interactive", "button_reply", "title", "contacts", "wa_id", "profile",
                         "name", "messages", "statuses", "errors", "metadata", "value", "changes"]),
        inner, max_size=5), max_leaves=30)


@given(entry=st.lists(_json_values, max_size=3))
@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parser_survives_any_json_shape(entry):
    adapter = WhatsAppAdapter(door())
    raw = json.dumps({"object": "whatsapp_business_account", "entry": entry}).encode()
    request = WebRequest("POST", "https://x" + PATH, PATH, {}, b"", raw, "application/json")
    for message in adapter.parse(request):
        assert message.provider_message_id and message.sender.startswith("+")


# ----- the GET handshake -------------------------------------------------------------------------
@pytest.mark.parametrize("shake", TABLE["handshakes"], ids=lambda s: s["name"])
def test_handshake(client, shake):
    response = client.get(PATH + ("?" + shake["query"].format(token=VERIFY_TOKEN) if shake["query"] else ""))
    assert response.status_code == shake["status"]
    if shake["status"] == 200:
        assert response.get_data(as_text=True) == shake["body"]
        assert response.headers["Content-Type"].startswith("text/plain")
    else:
        assert response.get_json() == {"error": shake["body"]}
        assert VERIFY_TOKEN not in response.get_data(as_text=True)


def test_handshake_without_a_verify_token_is_503():
    base = door()
    adapter = WhatsAppAdapter(type(base)(**{**base.__dict__, "credentials": {
        **base.credentials, "verify_token": ""}}))
    request = WebRequest("GET", "https://x" + PATH, PATH, {},
                         b"hub.mode=subscribe&hub.challenge=1&hub.verify_token=", b"")
    with pytest.raises(Rejected) as refused:
        adapter.authenticate(request)
    assert refused.value.status == 503
    assert adapter.challenge(web_request(CASES["text"])) is None        # POST: not a handshake


# ----- through the pipeline ----------------------------------------------------------------------
def test_same_message_delivered_twice_makes_one_complaint(client, parts):
    case = CASES["image"]
    first, second = post_case(client, case), post_case(client, case)
    assert first.status_code == second.status_code == 200
    redis = redis_of(parts)
    [complaint] = queued(redis, COMPLAINTS)
    assert len(redis.keys("lapor:c:*")) == 1 and len(queued(redis, MEDIA)) == 1
    acks = [reply["text"] for reply in queued(redis, REPLIES)]
    number = tracking.display(complaint["tracking_number"])
    assert acks[1] == messages.text("ack_duplicate", tracking=number)
    assert parts.store.stats()[("duplicate", "wa-cloud")] == 1


def test_one_request_decodes_its_body_once_and_leaves_it_as_it_was(client, monkeypatch):
    from channels import jsonbody
    from channels.whatsapp import payload

    payload.load.cache_clear()            # an earlier test may have read the same body
    decoded = []
    loaded = jsonbody.load
    monkeypatch.setattr(jsonbody, "load", lambda body: decoded.append(loaded(body)) or decoded[-1])
    body = meta_bytes(CASES["text"]["request"]["body"])
    assert post_case(client, CASES["text"]).status_code == 200
    assert len(decoded) == 1 and decoded[0] == json.loads(body)     # the readers changed nothing


def test_oversized_body_is_413(client, parts, environ):
    big = meta_bytes(CASES["text"]["request"]["body"]) + b" " * (parts.settings.max_body_bytes + 1)
    response = client.post(PATH, data=big, headers={"Content-Type": "application/json",
                                                    "X-Hub-Signature-256": signature(big)})
    assert response.status_code == 413
    assert redis_of(parts).llen(COMPLAINTS) == 0


@pytest.fixture
def no_app_secret(environ):
    environ["LAPOR_WHATSAPP_APP_SECRET"] = ""


def test_unconfigured_door_answers_503_so_meta_retries(no_app_secret, client, parts):
    response = post_case(client, CASES["text"])
    assert response.status_code == 503
    assert response.get_json() == {"error": "door not configured"}


def test_cek_on_whatsapp_answers_with_the_status(client, parts):
    post_case(client, CASES["text"])
    [complaint] = queued(redis_of(parts), COMPLAINTS)
    number = complaint["tracking_number"]
    body = json.loads(json.dumps(CASES["text"]["request"]["body"]))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id=message["id"] + "CEK", text={"body": f"cek {tracking.display(number)}"})
    raw = meta_bytes(body)
    assert client.post(PATH, data=raw, headers=headers_for({"signature": "valid"}, raw)).status_code == 200
    answer = queued(redis_of(parts), REPLIES)[-1]
    assert answer["kind"] == "answer" and answer["to"] == "+6281234567890"
    assert answer["text"] == messages.text(
        "status", tracking=tracking.display(number), status=messages.status_label("diterima"),
        agency=messages.text("not_assigned"),
        due=messages.format_date(complaint["service_level"]["due_date"]),
        colour=messages.text("colour_green"))         # a new complaint is on time
    assert redis_of(parts).llen(COMPLAINTS) == 1


def test_logs_never_show_the_number_or_the_name(client, parts, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("text", "batch", "reaction", "status_failed_window", "unsupported_edit"):
        post_case(client, CASES[name])
    assert "reply failed door=wa-cloud" in caplog.text and "code=131047" in caplog.text
    for phone in PHONES:
        assert phone[-9:] not in caplog.text
    assert "Siti" not in caplog.text and "Aminah" not in caplog.text


# ----- reporters known only by their business-scoped user id (issue 8, item 4) ---------------------
BSUID = CASES["bsuid_only"]["expect"]["messages"][0]["sender"]


def bsuid_message(suffix: str, **content) -> bytes:
    """The recorded username-only delivery with another message id and content."""
    body = json.loads(json.dumps(CASES["bsuid_only"]["request"]["body"]))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = message["id"][:-4] + suffix
    if content:
        message.pop("text")
        message.update(content)
    return meta_bytes(body)


def post_raw(client, raw: bytes):
    return client.post(PATH, data=raw, headers=headers_for({"signature": "valid"}, raw))


def test_a_bsuid_is_a_reporter_of_its_own(client, parts, caplog):
    """Complaint, acknowledgement, follow-up (a photo joins the open complaint) and CEK, all
    for a sender Meta names only by BSUID; the BSUID is never logged nor read as a number."""
    caplog.set_level(logging.DEBUG)
    assert post_case(client, CASES["bsuid_only"]).status_code == 200
    photo = {"type": "image", "image": {"id": "1104480873777231", "mime_type": "image/jpeg"}}
    assert post_raw(client, bsuid_message("AAAB", **photo)).status_code == 200
    redis = redis_of(parts)
    complaint, event = queued(redis, COMPLAINTS)
    assert complaint["reporter"]["kind"] == "bsuid" and complaint["reporter"]["contact"] == BSUID
    assert event["complaint_id"] == complaint["id"] and event["type"] == "followup"
    number = tracking.display(complaint["tracking_number"])
    assert post_raw(client, bsuid_message("AAAC", type="text", text={"body": f"CEK {number}"})).status_code == 200
    ack, followup, answer = queued(redis, REPLIES)
    assert {ack["to"], followup["to"], answer["to"]} == {BSUID}
    assert followup["text"] == messages.text("ack_followup", tracking=number)
    assert answer["kind"] == "answer" and number in answer["text"]
    assert len(queued(redis, COMPLAINTS)) == 2 and len(queued(redis, MEDIA)) == 1
    assert BSUID not in caplog.text and BSUID.split(".")[1] not in caplog.text
    assert "Dewi" not in caplog.text and "dewi.sukamaju" not in caplog.text


def test_a_bsuid_never_shares_a_pseudonym_with_a_phone_number(client, parts):
    """The same characters as a phone number and as a BSUID are two reporters."""
    assert post_case(client, CASES["bsuid_only"]).status_code == 200
    digits = BSUID.split(".")[1]
    phone = json.loads(json.dumps(CASES["text"]["request"]["body"]))
    value = phone["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = digits
    assert post_raw(client, meta_bytes(phone)).status_code == 200
    first, second = queued(redis_of(parts), COMPLAINTS)
    assert first["reporter"]["pseudonym"] != second["reporter"]["pseudonym"]
    assert second["reporter"]["kind"] == "phone" and first["tracking_number"] != second["tracking_number"]


@pytest.mark.parametrize("sender", [{"from_user_id": "1693028475610384"},            # no country
                                    {"from_user_id": "ID.ENT.11815799212886844830"},  # a parent id
                                    {"from_user_id": "id.1693028475610384"}, {"from_user_id": "ID."},
                                    {"from_user_id": "ID.16930 28475"}, {"from_user_id": 42}, {}])
def test_a_message_without_a_usable_sender_is_skipped(sender):
    body = json.loads(json.dumps(CASES["bsuid_only"]["request"]["body"]))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("from_user_id")
    message.update(sender)
    raw = meta_bytes(body)
    request = WebRequest(method="POST", url="https://lapor.example.go.id" + PATH, path=PATH,
                         headers={"x-hub-signature-256": signature(raw)}, query_string=b"", body=raw,
                         content_type="application/json")
    assert WhatsAppAdapter(door()).parse(request) == []


@pytest.fixture
def central_secret(environ):
    environ.update(LAPOR_CENTRAL_URL="http://127.0.0.1:9", LAPOR_CENTRAL_SECRET="central-secret-wa-bsuid")
    return environ["LAPOR_CENTRAL_SECRET"]


def test_status_notice_reaches_a_bsuid_reporter(central_secret, client, parts):
    """The central system's status change goes back to the BSUID the complaint came from."""
    from forwarder import central as contract

    assert post_case(client, CASES["bsuid_only"]).status_code == 200
    [complaint] = queued(redis_of(parts), COMPLAINTS)
    raw = json.dumps({"tracking_number": complaint["tracking_number"], "status": "proses",
                      "agency": "Dinas Lingkungan Hidup"}).encode()
    answer = client.post("/api/v1/central/status", data=raw,
                         headers=contract.signed_headers(central_secret, raw, "cb",
                                                          kind=contract.STATUS_TO_GATEWAY))
    assert answer.status_code == 200 and answer.get_json() == {"ok": True, "notified": True}
    notice = queued(redis_of(parts), REPLIES)[-1]
    assert (notice["kind"], notice["to"], notice["door_id"]) == ("status", BSUID, "wa-cloud")


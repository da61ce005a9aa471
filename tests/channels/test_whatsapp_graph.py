"""The WhatsApp door, outbound: replies through the Graph API messages endpoint and the
two-step media download, against a local HTTP server standing in for graph.facebook.com
(the door's ``graph_url`` points at it)."""
from __future__ import annotations

import hashlib
import json
import logging

import pytest

from channels.base import SendError
from normalizer.values import Attachment, OutboundMessage
from channels.whatsapp.adapter import MAX_TEXT, WhatsAppAdapter
from tests.channels.whatsapp_support import ACCESS_TOKEN, PHONE_NUMBER_ID, door
from tests.helpers import Listener, Receiver, free_port

PHONE = "+6281234567890"
WAMID = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBMQVBPUi1URVNULTAwMDE="
SENT = {"messaging_product": "whatsapp", "contacts": [{"input": "6281234567890", "wa_id": "6281234567890"}],
        "messages": [{"id": "wamid.HBgNNjI4MTIzNDU2Nzg5MBEAGBI2QjE5RkQ3QzU3MTNFRjA4RTQA"}]}
NOTICE = "LAPOR! Laporan 2741-0935-882: selesai. Instansi: Dinas PU PERA. Batas: 14-12-2026."
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
MEDIA_ID = "1104480873777230"


@pytest.fixture(scope="module")
def graph_server():
    with Receiver() as fake:
        yield fake


@pytest.fixture
def graph(graph_server):
    """The stand-in for graph.facebook.com, with a fresh script and record for each test."""
    graph_server.requests.clear()
    graph_server.responses = []
    graph_server.default = (200, {"Content-Type": "application/json"}, SENT)
    return graph_server


def adapter_for(graph: Receiver, **options) -> WhatsAppAdapter:
    options.setdefault("insecure_origins_for_tests", [graph.url])    # the local stand-in
    return WhatsAppAdapter(door(graph.url + "/v25.0", **options))


def sent(graph: Receiver) -> dict:
    [request] = graph.requests
    assert request["method"] == "POST"
    assert request["path"] == f"/v25.0/{PHONE_NUMBER_ID}/messages"
    assert request["headers"]["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request["headers"]["content-type"] == "application/json"
    return json.loads(request["body"])


# ----- replies ------------------------------------------------------------------------------------
def test_ack_is_a_text_quoting_the_citizens_message(graph, caplog):
    caplog.set_level(logging.INFO)
    text = "LAPOR! Laporan Anda diterima. No. lacak: 2741-0935-882."
    adapter_for(graph).send(OutboundMessage("wa-cloud", PHONE, text, kind="ack", reply_to=WAMID))
    assert sent(graph) == {"messaging_product": "whatsapp", "to": "6281234567890", "type": "text",
                           "text": {"body": text}, "context": {"message_id": WAMID}}
    assert "81234567890" not in caplog.text and "whatsapp ack accepted door=wa-cloud" in caplog.text


def test_answer_to_a_number_abroad(graph):
    adapter_for(graph).send(OutboundMessage("wa-cloud", "+14155550123", "LAPOR! ...", kind="answer"))
    body = sent(graph)
    assert body["to"] == "14155550123" and "context" not in body


def test_long_text_is_cut_to_whatsapps_limit(graph):
    adapter_for(graph).send(OutboundMessage("wa-cloud", PHONE, "x" * (MAX_TEXT + 50)))
    assert len(sent(graph)["text"]["body"]) == MAX_TEXT


def test_status_notice_without_a_template_is_text(graph):
    adapter_for(graph).send(OutboundMessage("wa-cloud", PHONE, NOTICE, kind="status"))
    assert sent(graph)["text"] == {"body": NOTICE}


@pytest.mark.parametrize("language", ["", "en"])
def test_status_notice_uses_the_doors_template(graph, language):
    options = {"status_template": "lapor_status_update"}
    if language:
        options["template_language"] = language
    text = NOTICE.replace(" Instansi", "\n Instansi")          # parameters may hold no newline
    adapter_for(graph, **options).send(OutboundMessage("wa-cloud", PHONE, text, kind="status"))
    assert sent(graph) == {
        "messaging_product": "whatsapp", "to": "6281234567890", "type": "template",
        "template": {"name": "lapor_status_update", "language": {"code": language or "id"},
                     "components": [{"type": "body", "parameters": [
                         {"type": "text", "text": NOTICE[len("LAPOR! "):]}]}]}}


def test_acknowledgements_never_use_the_template(graph):
    adapter_for(graph, status_template="lapor_status_update").send(
        OutboundMessage("wa-cloud", PHONE, "LAPOR! ...", kind="ack"))
    assert sent(graph)["type"] == "text"


GRAPH_ERRORS = [  # status, headers, body, permanent, retry_after
    (500, {}, {"error": {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1}},
     False, None),
    (503, {}, b"Service Unavailable", False, None),
    (429, {"Retry-After": "7"}, {"error": {"message": "(#130429) Rate limit hit", "code": 130429}}, False, 7.0),
    (400, {}, {"error": {"message": "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                         "code": 131056}}, False, None),
    (400, {}, {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
                         "error_data": {"messaging_product": "whatsapp",
                                        "details": "Invalid to: 6281234567890"}}}, True, None),
    (401, {}, {"error": {"message": "Error validating access token: Session has expired.",
                         "type": "OAuthException", "code": 190, "error_subcode": 463}}, True, None),
    (400, {}, {"error": {"message": "(#131030) Recipient phone number 6281234567890 not in allowed list",
                         "code": 131030}}, True, None),
]


@pytest.mark.parametrize("status,headers,body,permanent,retry_after", GRAPH_ERRORS,
                         ids=[f"{e[0]}-{e[2]['error']['code'] if isinstance(e[2], dict) else 'text'}"
                              for e in GRAPH_ERRORS])
def test_send_failures(graph, status, headers, body, permanent, retry_after):
    graph.default = (status, {"Content-Type": "application/json", **headers}, body)
    with pytest.raises(SendError) as failed:
        adapter_for(graph).send(OutboundMessage("wa-cloud", PHONE, "x"))
    assert failed.value.permanent is permanent
    assert failed.value.retry_after == retry_after
    assert f"answered {status}" in failed.value.reason
    if isinstance(body, dict):
        assert f"code {body['error']['code']}" in failed.value.reason
        assert failed.value.code == str(body["error"]["code"]) and not failed.value.opted_out
    assert "81234567890" not in failed.value.reason and ACCESS_TOKEN not in failed.value.reason


def test_opted_out_error_and_statuses(graph):
    """131050: the citizen stopped messages from the business (the WhatsApp STOP)."""
    graph.default = (400, {}, {"error": {"message": "(#131050) Unable to deliver the message. This "
                                          "recipient has chosen to stop receiving marketing messages",
                                         "code": 131050}})
    with pytest.raises(SendError) as failed:
        adapter_for(graph).send(OutboundMessage("wa-cloud", PHONE, "x"))
    assert failed.value.opted_out and failed.value.permanent and failed.value.code == "131050"
    from channels.whatsapp.payload import read_statuses

    body = {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
        "statuses": [{"id": "wamid.A", "status": "read"}, {"id": "wamid.B", "status": "failed",
                                                           "errors": [{"code": 131026}]},
                     {"id": "wamid.C", "status": "failed", "errors": [{"code": 131050}]},
                     {"id": "wamid.D", "status": "deleted"}, {"status": "sent"}, "junk",
                     {"id": "wamid.E", "status": "failed", "errors": [{"code": True}, "x"]}]}}]}]}
    assert [(r.ref, r.state, r.code, r.opted_out) for r in read_statuses(json.dumps(body).encode())] == [
        ("wamid.A", "read", "", False), ("wamid.B", "failed", "131026", False),
        ("wamid.C", "failed", "131050", True), ("wamid.E", "failed", "", False)]


def test_send_returns_the_wamid(graph):
    graph.default = (200, {}, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.XYZ"}]})
    assert adapter_for(graph).send(OutboundMessage("wa-cloud", PHONE, "x")) == "wamid.XYZ"


def test_send_unreachable_is_retryable_and_leaks_nothing():
    adapter = WhatsAppAdapter(door(f"http://127.0.0.1:{free_port()}/v25.0"))
    with pytest.raises(SendError) as failed:
        adapter.send(OutboundMessage("wa-cloud", PHONE, "x"))
    assert not failed.value.permanent and failed.value.__suppress_context__
    assert ACCESS_TOKEN not in str(failed.value) and "81234567890" not in str(failed.value)


def test_send_without_token_or_number_is_permanent(graph):
    base = door(graph.url)
    for credentials, options in (({**base.credentials, "access_token": ""}, base.options),
                                 (base.credentials, {**base.options, "phone_number_id": ""})):
        adapter = WhatsAppAdapter(type(base)(**{**base.__dict__, "credentials": credentials,
                                                "options": options}))
        with pytest.raises(SendError) as failed:
            adapter.send(OutboundMessage("wa-cloud", PHONE, "x"))
        assert failed.value.permanent and "not configured" in failed.value.reason
    with pytest.raises(SendError) as failed:
        adapter_for(graph).send(OutboundMessage("wa-cloud", "", "x"))
    assert failed.value.permanent and graph.requests == []


# ----- media ---------------------------------------------------------------------------------------
def media_info(graph: Receiver, data: bytes = JPEG, **changes) -> tuple:
    info = {"messaging_product": "whatsapp",
            "url": f"{graph.url}/whatsapp_business/attachments/?mid={MEDIA_ID}&ext=1795517259&hash=ATu2",
            "mime_type": "image/jpeg", "sha256": hashlib.sha256(data).hexdigest(),
            "file_size": str(len(data)), "id": MEDIA_ID, **changes}
    return 200, {"Content-Type": "application/json"}, info


PHOTO = Attachment(kind="image", content_type="image/jpeg", provider_ref=MEDIA_ID)


def test_fetch_media_two_steps_with_the_token(graph):
    graph.responses = [media_info(graph), (200, {"Content-Type": "image/jpeg"}, JPEG)]
    data, content_type = adapter_for(graph).fetch_media(PHOTO)
    assert (data, content_type) == (JPEG, "image/jpeg")
    lookup, download = graph.requests
    assert (lookup["method"], lookup["path"]) == ("GET", f"/v25.0/{MEDIA_ID}")
    assert download["path"] == f"/whatsapp_business/attachments/?mid={MEDIA_ID}&ext=1795517259&hash=ATu2"
    for request in (lookup, download):
        assert request["headers"]["authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_fetch_media_checks_the_bytes_against_metas_sha256(graph):
    graph.responses = [media_info(graph), (200, {"Content-Type": "image/jpeg"}, JPEG[:-10])]
    with pytest.raises(SendError) as failed:
        adapter_for(graph).fetch_media(PHOTO)
    assert not failed.value.permanent and "sha256" in failed.value.reason


@pytest.mark.parametrize("status,permanent", [(400, True), (404, True), (500, False), (429, False)])
def test_fetch_media_lookup_failures(graph, status, permanent):
    graph.responses = [(status, {"Content-Type": "application/json"}, {"error": {
        "message": f"Unsupported get request. Object with ID '{MEDIA_ID}' does not exist", "code": 100,
        "error_subcode": 33}} if status < 500 and status != 429 else {"error": {"message": "busy", "code": 2}})]
    with pytest.raises(SendError) as failed:
        adapter_for(graph).fetch_media(PHOTO)
    assert failed.value.permanent is permanent
    assert MEDIA_ID not in failed.value.reason and len(graph.requests) == 1


@pytest.mark.parametrize("status,permanent", [(404, False), (403, False), (500, False), (400, True)])
def test_fetch_media_download_failures(graph, status, permanent):
    """The download URL lives five minutes: 401/403/404/410 are retried with a fresh one."""
    graph.responses = [media_info(graph), (status, {"Content-Type": "text/plain"}, b"URL expired")]
    with pytest.raises(SendError) as failed:
        adapter_for(graph).fetch_media(PHOTO)
    assert failed.value.permanent is permanent and str(status) in failed.value.reason


def test_fetch_media_stops_at_the_size_limit(graph):
    big = JPEG * 4
    graph.responses = [media_info(graph, big), (200, {"Content-Type": "image/jpeg"}, big)]
    with pytest.raises(SendError) as failed:
        adapter_for(graph, max_media_bytes=str(len(JPEG) * 2)).fetch_media(PHOTO)
    assert failed.value.permanent and "larger than" in failed.value.reason


@pytest.mark.parametrize("url", ["http://10.1.2.3/whatsapp_business/attachments/?mid=1", "ftp://x/y",
                                 "", 42])
def test_fetch_media_sends_the_token_only_to_https_or_the_graph_origin(graph, url):
    graph.responses = [media_info(graph, url=url)]
    with pytest.raises(SendError) as failed:
        adapter_for(graph).fetch_media(PHOTO)
    assert failed.value.permanent and len(graph.requests) == 1


@pytest.mark.parametrize("ref", ["", "..", ".", "../me?fields=id", "1104480873777230/messages", "a b",
                                 "me", "1104480873777230?fields=url", "%2e%2e", "１２３"])
def test_fetch_media_refuses_what_is_not_a_media_id(graph, ref):
    with pytest.raises(SendError) as failed:
        adapter_for(graph).fetch_media(Attachment(kind="image", content_type="image/jpeg", provider_ref=ref))
    assert failed.value.permanent and graph.requests == []


# ----- replies to a reporter known only by their BSUID (issue 8, item 4) ----------------------------
BSUID = "ID.1693028475610384"


def test_reply_to_a_bsuid_goes_in_the_recipient_field(graph, caplog):
    """Meta: phone numbers in ``to``, business-scoped user ids in ``recipient``; a BSUID in
    ``to`` would be read as the phone number 1693028475610384."""
    caplog.set_level(logging.DEBUG)
    adapter_for(graph).send(OutboundMessage("wa-cloud", BSUID, "LAPOR! ok", kind="ack", reply_to=WAMID))
    body = sent(graph)
    assert body == {"messaging_product": "whatsapp", "recipient_type": "individual", "recipient": BSUID,
                    "type": "text", "text": {"body": "LAPOR! ok"}, "context": {"message_id": WAMID}}
    assert BSUID not in caplog.text and "1693028475610384" not in caplog.text


def test_status_template_to_a_bsuid(graph):
    adapter_for(graph, status_template="lapor_status_update").send(
        OutboundMessage("wa-cloud", BSUID, NOTICE, kind="status"))
    body = sent(graph)
    assert body["recipient"] == BSUID and "to" not in body and body["type"] == "template"


def test_media_url_on_a_loopback_address_is_never_connected_to(graph):
    """The Graph lookup's URL is checked by the downloader: https to Meta's media host
    only, so a URL naming an internal address gets neither a connection nor the token."""
    with Listener() as internal:
        for url in (f"https://127.0.0.1:{internal.port}/whatsapp_business/attachments/?mid=1",
                    f"https://127.0.0.1:{internal.port}\\@lookaside.fbsbx.com/whatsapp_business/attachments/"):
            graph.responses = [media_info(graph, url=url)]
            with pytest.raises(SendError) as refused:
                adapter_for(graph).fetch_media(PHOTO)
            assert refused.value.permanent
    assert internal.connections == 0

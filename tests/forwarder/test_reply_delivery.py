"""Every reply's fate, door by door, through the real gateway, notifier and forwarder (real
Redis; local stand-ins for Kannel's sendsms, Twilio's API, the Graph API, the Bot API and
the central system): the delivery state on the complaint, the ``reply_status`` events the
central system receives, ``lapor_reply_delivery_total``, and opt-out errors as STOP."""
from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from config.settings import load_settings
from forwarder import central as contract
from forwarder.delivery import ReplyTracker
from forwarder.notifier import NotifyWorker
from forwarder.worker import ForwardWorker
from normalizer.schema import FollowUpEventSchema
from tests.channels import telegram_support, twilio_support, whatsapp_support
from tests.channels.telegram_fake import FakeBotApi
from tests.helpers import Receiver, inbound, wait_for

SECRET = "central-delivery-secret"
PUBLIC = "https://lapor.example.go.id"


@pytest.fixture
def central(receiver):
    """The central system's stand-in (the forwarder tests' ``receiver``)."""
    return receiver


@contextlib.contextmanager
def gateway(environ: dict, central: Receiver, **extra):
    """The app, its parts and a forwarder and a notifier in threads, on ``environ``."""
    from gateway.app import create_app
    from gateway.wiring import build_parts

    env = {**environ, "LAPOR_CENTRAL_URL": central.url, "LAPOR_CENTRAL_SECRET": SECRET,
           "LAPOR_RETRY_BASE_SECONDS": "0.05", "LAPOR_RETRY_CAP_SECONDS": "0.2",
           "LAPOR_PUBLIC_BASE_URL": PUBLIC, "LAPOR_METRICS_TOKEN": METRICS_TOKEN, **extra}
    parts = build_parts(load_settings(env))
    app = create_app(parts=parts)
    stop = threading.Event()
    threads = [threading.Thread(target=cls(parts, stop).run, daemon=True)
               for cls in (ForwardWorker, NotifyWorker)]
    for thread in threads:
        thread.start()
    try:
        yield parts, app.test_client()
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        parts.publisher.close()


def notify(client, number: str, status: str = "proses") -> bool:
    """The central system's status callback (signed v2); whether a notice was queued."""
    raw = json.dumps({"tracking_number": number, "status": status}).encode()
    headers = contract.signed_headers(SECRET, raw, "cb", kind=contract.STATUS_TO_GATEWAY)
    answer = client.post("/api/v1/central/status", data=raw, headers=headers)
    assert answer.status_code == 200, answer.data
    return answer.get_json()["notified"]


def states(parts, cid: str) -> list[str]:
    return sorted(r["state"] for r in ReplyTracker(parts.settings, parts.catalogue, parts.store,
                                                  parts.publisher).of_complaint(cid).values())

METRICS_TOKEN = "metrics-token-for-tests"


def reply_events(central: Receiver) -> list[dict]:
    found = []
    for request in list(central.requests):
        body = json.loads(request["body"])
        if request["path"] == "/events" and body["type"] == "reply_status":
            assert FollowUpEventSchema().validate(body) == {}
            assert contract.verify_signature(SECRET, request["body"], request["headers"]["x-lapor-timestamp"],
                                             request["headers"]["x-lapor-signature"],
                                             contract.EVENT_TO_CENTRAL) == ""
            found.append(body)
    return found


def metric(client, door: str, state: str) -> float:
    text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_data(as_text=True)
    line = f'lapor_reply_delivery_total{{door="{door}",state="{state}"}} '
    found = [row for row in text.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


# ----- Kannel: sendsms with dlr-mask and a dlr-url carrying a per-reply token ------------------
def test_kannel_dlr_moves_the_reply_and_reaches_central(environ, central):
    with Receiver(default=(202, {}, b"0: Accepted for delivery")) as sendsms, \
            gateway(environ, central, LAPOR_DOOR_SMS_1708_SENDSMS_URL=sendsms.url + "/cgi-bin/sendsms") \
            as (parts, client):
        outcome = parts.intake.take(inbound("LAPOR jalan rusak", sender="081277700101"))
        assert notify(client, outcome.tracking_number)
        wait_for(lambda: sendsms.requests, message="notice through sendsms")
        query = parse_qs(urlsplit(sendsms.requests[0]["path"]).query)
        assert query["dlr-mask"] == ["31"]
        dlr = urlsplit(query["dlr-url"][0])
        assert dlr.netloc == urlsplit(PUBLIC).netloc and dlr.path == "/in/sms-1708"
        assert "secret=" not in dlr.query and "%d" in dlr.query
        wait_for(lambda: states(parts, outcome.complaint_id) == ["accepted"], message="accepted")
        report = dlr.path + "?" + dlr.query
        for kind in ("8", "1", "1"):                     # SMSC ack, handset, Kannel's retry
            assert client.get(report.replace("%d", kind)).status_code == 200
        assert states(parts, outcome.complaint_id) == ["delivered"]
        wait_for(lambda: len(reply_events(central)) == 3, message="three reply_status events")
        events = reply_events(central)
        assert [e["reply"]["state"] for e in sorted(events, key=lambda e: e["reply"]["updated_at"])] \
            == ["accepted", "sent", "delivered"]
        assert {e["complaint_id"] for e in events} == {outcome.complaint_id}
        assert {e["reply"]["kind"] for e in events} == {"status"}
        assert metric(client, "sms-1708", "delivered") == 1.0          # the retry counts nothing
        assert metric(client, "sms-1708", "sent") == 1.0


def test_kannel_dlr_needs_its_own_token_and_is_never_a_message(environ, central):
    with Receiver(default=(202, {}, b"0: Accepted")) as sendsms, \
            gateway(environ, central, LAPOR_DOOR_SMS_1708_SENDSMS_URL=sendsms.url + "/s") as (parts, client):
        outcome = parts.intake.take(inbound("LAPOR sampah", sender="081277700102"))
        assert notify(client, outcome.tracking_number)
        wait_for(lambda: sendsms.requests, message="notice through sendsms")
        dlr = urlsplit(parse_qs(urlsplit(sendsms.requests[0]["path"]).query)["dlr-url"][0])
        fields = parse_qs(dlr.query)
        ref, token = fields["dlr_ref"][0], fields["dlr_token"][0]
        # the notifier records "accepted" once sendsms has answered, a moment after the request
        wait_for(lambda: states(parts, outcome.complaint_id) == ["accepted"], message="accepted")
        forged = [f"dlr_ref={ref}&dlr_token={'0' * 64}&dlr_type=1",              # wrong token
                  f"dlr_ref={'a' * 32}&dlr_token={token}&dlr_type=1",            # another reply
                  f"dlr_ref={ref}&dlr_type=1",                                   # no token
                  f"dlr_ref={ref}&dlr_token={token.upper()}&dlr_type=1"]         # not canonical
        for query in forged:
            answer = client.get(f"/in/sms-1708?{query}")
            assert answer.status_code == 403 and token not in answer.get_data(as_text=True)
        assert states(parts, outcome.complaint_id) == ["accepted"]
        accepted = lambda: parts.store.stats().get(("accepted", "sms-1708"), 0)  # noqa: E731
        before = accepted()           # (the queue's length moves: a forwarder is consuming it)
        smuggled = client.get(f"/in/sms-1708?dlr_ref={ref}&dlr_token={token}&dlr_type=2"
                              "&from=081277700199&text=LAPOR+palsu")
        assert smuggled.status_code == 200 and smuggled.data == b""
        assert accepted() == before                                    # no complaint from a DLR
        assert states(parts, outcome.complaint_id) == ["failed"]


# ----- Twilio: StatusCallback, status webhooks signed by Twilio, 21610 ------------------------
def _twilio_report(client, sid: str, status: str, code: str = ""):
    pairs = [("MessageSid", sid), ("SmsSid", sid), ("MessageStatus", status), ("SmsStatus", status),
             ("To", "+6281277700111"), ("From", twilio_support.SMS_NUMBER),
             ("AccountSid", twilio_support.ACCOUNT_SID), ("ApiVersion", "2010-04-01")]
    if code:
        pairs.append(("ErrorCode", code))
    signature = twilio_support.sign(twilio_support.PUBLIC + "/in/twilio-sms", dict(pairs))
    return client.post("/in/twilio-sms", data=dict(pairs), headers={"X-Twilio-Signature": signature})


def test_twilio_status_callbacks_and_21610(environ, central):
    created = {"status": "queued", "account_sid": twilio_support.ACCOUNT_SID}
    unsubscribed = {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                    "status": 400, "more_info": "https://www.twilio.com/docs/errors/21610"}
    with Receiver() as api, gateway({**environ, **twilio_support.twilio_environ(api.url)}, central,
                                    LAPOR_PUBLIC_BASE_URL=twilio_support.PUBLIC) as (parts, client):
        api.responses = [(201, {}, {**created, "sid": "SM" + "1" * 32}),
                         (400, {}, unsubscribed)]
        one = parts.intake.take(inbound("LAPOR lampu mati", sender="+6281277700111",
                                        door="twilio-sms", channel="twilio"))
        assert notify(client, one.tracking_number)
        wait_for(lambda: states(parts, one.complaint_id) == ["accepted"], message="accepted")
        assert parse_qs(api.requests[0]["body"].decode())["StatusCallback"] == \
            [twilio_support.PUBLIC + "/in/twilio-sms"]
        forged = [("MessageSid", "SM" + "1" * 32), ("MessageStatus", "failed")]
        assert client.post("/in/twilio-sms", data=dict(forged),
                           headers={"X-Twilio-Signature": "x" * 28}).status_code == 403
        assert _twilio_report(client, "SM" + "1" * 32, "sent").status_code == 200
        assert _twilio_report(client, "SM" + "1" * 32, "delivered").status_code == 200
        assert states(parts, one.complaint_id) == ["delivered"]
        assert _twilio_report(client, "SM" + "9" * 32, "delivered").status_code == 200  # not ours
        assert notify(client, one.tracking_number, "selesai")        # REST answers 21610
        wait_for(lambda: states(parts, one.complaint_id) == ["delivered", "failed"], message="21610")
        assert notify(client, one.tracking_number, "ditolak") is False   # STOP recorded
        assert metric(client, "twilio-sms", "failed") == 1.0


def test_twilio_status_callback_with_21610_is_stop(environ, central):
    with Receiver() as api, gateway({**environ, **twilio_support.twilio_environ(api.url)}, central,
                                    LAPOR_PUBLIC_BASE_URL=twilio_support.PUBLIC) as (parts, client):
        api.default = (201, {}, {"sid": "SM" + "2" * 32, "status": "queued"})
        one = parts.intake.take(inbound("LAPOR banjir", sender="+6281277700112",
                                        door="twilio-sms", channel="twilio"))
        assert notify(client, one.tracking_number)
        wait_for(lambda: states(parts, one.complaint_id) == ["accepted"], message="accepted")
        assert _twilio_report(client, "SM" + "2" * 32, "undelivered", "21610").status_code == 200
        assert states(parts, one.complaint_id) == ["failed"]
        assert notify(client, one.tracking_number, "selesai") is False
        mulai = parts.intake.take(inbound("MULAI", sender="+6281277700112", door="twilio-sms",
                                          channel="twilio"))
        assert "akan kami kirim lagi" in mulai.reply_text
        # the same signed report again (Twilio's retry, or a replay): no second STOP
        assert _twilio_report(client, "SM" + "2" * 32, "undelivered", "21610").status_code == 200
        assert notify(client, one.tracking_number, "ditolak") is True


# ----- WhatsApp Cloud API: statuses, 131050 -------------------------------------------------
def _statuses(client, wamid: str, status: str, code: int | None = None):
    item = {"id": wamid, "status": status, "timestamp": str(int(time.time())),
            "recipient_id": "6281277700121"}
    if code is not None:
        item["errors"] = [{"code": code, "title": "x"}]
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [item]}}]}]}
    raw = whatsapp_support.meta_bytes(body)
    return client.post(whatsapp_support.PATH, data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": whatsapp_support.signature(raw)})


def test_whatsapp_statuses_and_131050(environ, central):
    with Receiver() as graph, gateway({**environ, **whatsapp_support.environ_for(graph.url)},
                                      central) as (parts, client):
        graph.responses = [(200, {}, {"messages": [{"id": "wamid.ONE"}]}),
                           (200, {}, {"messages": [{"id": "wamid.TWO"}]})]
        one = parts.intake.take(inbound("LAPOR pungli", sender="+6281277700121",
                                        door="wa-cloud", channel="whatsapp"))
        two = parts.intake.take(inbound("LAPOR sampah", sender="+6281277700122",
                                        door="wa-cloud", channel="whatsapp"))
        for each in (one, two):                              # one at a time: ONE, then TWO
            assert notify(client, each.tracking_number)
            wait_for(lambda: states(parts, each.complaint_id) == ["accepted"], message="accepted")
        assert json.loads(graph.requests[0]["body"])["to"] == "6281277700121"
        assert _statuses(client, "wamid.ONE", "delivered").status_code == 200
        assert _statuses(client, "wamid.ONE", "read").status_code == 200
        assert _statuses(client, "wamid.ONE", "delivered").status_code == 200   # late: no step back
        assert _statuses(client, "wamid.TWO", "failed", 131050).status_code == 200
        assert states(parts, one.complaint_id) == ["read"]
        assert states(parts, two.complaint_id) == ["failed"]
        assert notify(client, one.tracking_number, "selesai") is True
        assert notify(client, two.tracking_number, "selesai") is False      # 131050: STOP
        assert metric(client, "wa-cloud", "read") == 1.0
        wait_for(lambda: {e["reply"]["code"] for e in reply_events(central)
                          if e["reply"]["state"] == "failed"} == {"131050"}, message="event")


# ----- Telegram: 403 "bot was blocked by the user" ----------------------------------------
def test_telegram_blocked_bot_is_stop(environ, central):
    with FakeBotApi(telegram_support.BOT_TOKEN) as bot_api, \
            gateway({**environ, **telegram_support.environ_for(bot_api.url)}, central) as (parts, client):
        one = parts.intake.take(replace(inbound("LAPOR jalan", sender="7100000001", door="telegram",
                                                channel="telegram"), sender_kind="telegram"))
        assert notify(client, one.tracking_number)
        wait_for(lambda: states(parts, one.complaint_id) == ["accepted"], message="sent")
        bot_api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        assert notify(client, one.tracking_number, "selesai")
        wait_for(lambda: "failed" in states(parts, one.complaint_id), message="blocked")
        assert notify(client, one.tracking_number, "ditolak") is False
        assert metric(client, "telegram", "failed") == 1.0

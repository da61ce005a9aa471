"""SMS 1708 end to end: phone (fakesmsc) -> Kannel (bearerbox, smsbox) -> gateway -> Redis
-> forwarder -> central receiver, and the acknowledgement back to the phone; then a status
notice out through Kannel's sendsms. Runs once with get-url and once with post-url."""
from __future__ import annotations

import json
import re
import time

import pytest

from normalizer.values import OutboundMessage
from channels.gsm7 import fits_one_sms
from config import messages
from normalizer import tracking
from forwarder import central as central_contract
from tests.e2e.conftest import CENTRAL_SECRET
from tests.helpers import wait_for

TRACKING = re.compile(r"No\. lacak: (\d{4}-\d{4}-\d{3})")
SMS = [  # sender, text, ucs2, expected complaint fields
    ("081234567801", "Jalan rusak parah di Desa Sukamaju, mohon segera diperbaiki", False,
     {"classification": "pengaduan", "anonymous": False, "confidential": False,
      "body": "Jalan rusak parah di Desa Sukamaju, mohon segera diperbaiki",
      "contact": "+6281234567801", "topic": "infrastruktur"}),
    ("081234567802", "Pungli di SDN 3 \U0001F621 tolong ditindak \U0001F64F", True,
     {"classification": "pengaduan", "anonymous": False, "confidential": False,
      "body": "Pungli di SDN 3 \U0001F621 tolong ditindak \U0001F64F",
      "contact": "+6281234567802"}),
    ("081234567803", "LAPOR ANONIM guru minta uang PPDB 500 ribu", False,
     {"classification": "pengaduan", "anonymous": True, "confidential": False,
      "body": "guru minta uang PPDB 500 ribu", "contact": None, "topic": "pendidikan"}),
    ("6281234567804", "ASPIRASI RAHASIA tambah lampu jalan di gang 5", False,
     {"classification": "aspirasi", "anonymous": False, "confidential": True,
      "body": "tambah lampu jalan di gang 5", "contact": None}),
]


@pytest.fixture(params=["redis", "amqp"])
def broker(request, environ):
    """The same end-to-end run on both brokers (the store stays Redis)."""
    if request.param == "amqp":
        environ["LAPOR_BROKER_URL"] = request.getfixturevalue("amqp_url")
    return request.param


@pytest.mark.parametrize("kannel", ["get", "post"], ids=["get-url", "post-url"], indirect=True)
def test_sms_to_central_and_ack_to_phone(broker, kannel, central, forwarder, parts):
    assert parts.settings.broker_url.startswith("amqp" if broker == "amqp" else "redis")
    acks = {}
    for sender, text, ucs2, _ in SMS:
        kannel.send_sms(sender, text, ucs2=ucs2)
        [ack] = kannel.wait_sms_to(sender)
        acks[sender] = ack

    wait_for(lambda: len(central.requests) >= len(SMS), timeout=10, message="4 complaints at central")
    time.sleep(0.5)                                   # nothing more may arrive
    bodies = central.json_bodies()
    assert len(bodies) == len(SMS), [b["body"] for b in bodies]
    for request in central.requests:
        headers = request["headers"]
        assert central_contract.verify_signature(CENTRAL_SECRET, request["body"],
                                                 headers["x-lapor-timestamp"],
                                                 headers["x-lapor-signature"]) == ""
    by_body = {b["body"]: b for b in bodies}
    for sender, _text, ucs2, want in SMS:
        complaint = by_body[want["body"]]                 # exact text, emoji included
        assert complaint["door"] == "sms-1708" and complaint["channel"] == "kannel"
        assert complaint["classification"] == want["classification"]
        assert complaint["privacy"] == {"anonymous": want["anonymous"],
                                        "confidential": want["confidential"]}
        assert complaint["reporter"]["contact"] == want["contact"]
        assert complaint["reporter"]["pseudonym"].startswith("r-")
        if want["contact"] is None:
            assert sender[-6:] not in json.dumps(complaint)   # the number is not in clear
        if "topic" in want:
            assert complaint["routing"]["topic"] == want["topic"]
        assert len(complaint["provider_message_ids"]) == 1 and complaint["sent_at"]
        assert complaint["meta"]["smsc"] == "FAKE"
        assert complaint["meta"]["coding"] == (2 if ucs2 else 0)

        ack = acks[sender]                                 # the phone got the tracking number
        assert (ack.sender, ack.kind) == ("1708", "text")
        assert ack.text == messages.text(
            "ack", tracking=tracking.display(complaint["tracking_number"]),
            compact=complaint["tracking_number"], where_id=" ke 1708",
            due=messages.format_date(complaint["service_level"]["due_date"]))
        assert TRACKING.search(ack.text).group(1) == tracking.display(complaint["tracking_number"])
        assert fits_one_sms(ack.text)

    # CEK: the first reporter asks for the status by SMS; no complaint is made of it
    first = by_body[SMS[0][3]["body"]]
    wait_for(lambda: parts.store.status(first["tracking_number"])["status"] == "diteruskan",
             timeout=5, message="status diteruskan")
    kannel.send_sms(SMS[0][0], f"CEK {first['tracking_number']}")
    status_reply = kannel.wait_sms_to(SMS[0][0], count=2)[1]
    assert status_reply.text.startswith(
        f"LAPOR! {tracking.display(first['tracking_number'])}: "
        f"{messages.status_label('diteruskan')}.")
    time.sleep(0.3)
    assert len(central.requests) == len(SMS)


def test_status_notice_goes_out_through_sendsms(kannel, parts):
    adapter = parts.adapters["sms-1708"]
    plain = "LAPOR! 2741-0935-882: selesai. Instansi: Dinas PU PERA. Batas: 14-12-2026."
    wide = "LAPOR! Laporan Anda selesai ditindaklanjuti \U0001F64F"
    adapter.send(OutboundMessage("sms-1708", "+6281234567801", plain, kind="status"))
    adapter.send(OutboundMessage("sms-1708", "+6281234567802", wide, kind="status"))
    [got_plain] = kannel.wait_sms_to("+6281234567801")
    [got_wide] = kannel.wait_sms_to("+6281234567802")
    assert (got_plain.sender, got_plain.kind, got_plain.text) == ("1708", "text", plain)
    assert (got_wide.sender, got_wide.kind, got_wide.text) == ("1708", "ucs-2", wide)


def test_sendsms_asks_kannel_for_delivery_reports_and_they_verify(kannel, parts):
    """A real bearerbox/smsbox with fakesmsc: the SMSC's acknowledgement comes back as a
    DLR (type 8) at the dlr-url the adapter gave, and that request passes the adapter's
    per-reply token check and reads as the reply being ``sent``."""
    import uuid
    from dataclasses import replace

    from channels.base import WebRequest
    from channels.kannel.adapter import KannelAdapter
    from tests.helpers import Receiver

    with Receiver(default=(200, {}, b"")) as gateway:
        door = parts.catalogue.doors["sms-1708"]
        adapter = KannelAdapter(replace(door, options={**door.options, "dlr_base_url": gateway.url}),
                                parts.settings)
        reply_id = uuid.uuid4().hex
        adapter.send(OutboundMessage("sms-1708", "+6281234567809", "LAPOR! uji DLR", kind="status",
                                     reply_id=reply_id))
        kannel.wait_sms_to("+6281234567809")
        wait_for(lambda: any(f"dlr_ref={reply_id}" in r["path"] for r in gateway.requests),
                 timeout=15, message="a DLR from Kannel")
        [report] = [r for r in gateway.requests if f"dlr_ref={reply_id}" in r["path"]][:1]
    path, _, query = report["path"].partition("?")
    request = WebRequest(method="GET", url=gateway.url + report["path"], path=path,
                         headers=report["headers"], query_string=query.encode(), body=b"")
    adapter.verify(request)
    [dlr] = adapter.delivery_reports(request)
    assert (dlr.ref, dlr.by_reply_id) == (reply_id, True)
    assert dlr.state in ("sent", "delivered"), report["path"]
    assert adapter.parse(request) == []

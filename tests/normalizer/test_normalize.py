"""InboundMessage -> Complaint v1: the schema holds, privacy is applied once."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from nacl.public import PrivateKey, SealedBox

from normalizer.values import Attachment, InboundMessage, Location
from config.doors import RoutingRule
from normalizer.normalize import Context, build_complaint, interpret
from normalizer.schema import ComplaintSchema

RULES = (RoutingRule("infrastruktur", "Dinas PU PERA", ("jalan rusak", "jembatan")),
         RoutingRule("kesehatan", "Dinas Kesehatan", ("vaksin", "puskesmas")))


def _message(text, **fields):
    base = dict(door_id="sms-1708", channel="kannel", provider_message_id="m-1",
                sender="081234567890", sender_kind="phone", text=text,
                received_at=datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc))
    base.update(fields)
    return InboundMessage(**base)


def _complaint(message, ctx=None):
    ctx = ctx or Context(secret_key="k" * 20, routing_rules=RULES, door_agency="KemenPANRB")
    return build_complaint(message, interpret(message), "c1", "27410935882", ctx)


def test_sms_complaint_is_valid_v1():
    complaint = _complaint(_message("LAPOR jalan rusak di depan SDN 3 😡",
                                    location=Location(text="Desa Sukamaju")))
    assert ComplaintSchema().validate(complaint) == {}
    assert complaint["classification"] == "pengaduan"
    assert complaint["body"] == "jalan rusak di depan SDN 3 😡"
    assert complaint["reporter"]["contact"] == "+6281234567890"
    assert complaint["routing"]["agency"] == "Dinas PU PERA"
    assert complaint["service_level"] == {"class": "pengaduan-14", "due_date": "2026-12-14",
                                          "reminder_date": "2026-12-06", "provisional": True}
    assert complaint["location"]["text"] == "Desa Sukamaju"
    json.dumps(complaint)


def test_information_request_gets_five_days():
    complaint = _complaint(_message("INFO jadwal vaksin di puskesmas"))
    assert complaint["classification"] == "permintaan_informasi"
    assert complaint["service_level"]["class"] == "informasi-5"
    assert complaint["service_level"]["due_date"] == "2026-12-01"
    assert complaint["routing"]["topic"] == "kesehatan" and complaint["routing"]["confidence"] > 0.4


def test_anonymous_reporter_is_sealed_never_clear():
    private = PrivateKey.generate()
    ctx = Context(secret_key="k" * 20, central_public_key=bytes(private.public_key))
    complaint = _complaint(_message("LAPOR ANONIM kades minta uang", sender_name="Budi"), ctx)
    reporter = complaint["reporter"]
    assert reporter["name"] is None and reporter["contact"] is None
    assert "6281234567890" not in json.dumps(complaint) and "Budi" not in json.dumps(complaint)
    opened = json.loads(SealedBox(private).decrypt(base64.b64decode(reporter["sealed"])))
    assert opened["contact"] == "+6281234567890" and opened["name"] == "Budi"


def test_confidential_without_central_key_withholds_identity():
    complaint = _complaint(_message("RAHASIA pungli"))
    assert complaint["reporter"]["contact"] is None and complaint["reporter"]["sealed"] is None
    assert "identity_withheld_no_central_key" in complaint["flags"]
    assert complaint["reporter"]["pseudonym"].startswith("r-")


def test_empty_message_is_still_a_complaint():
    complaint = _complaint(_message(""))
    assert complaint["body"] == "" and "empty_body" in complaint["flags"]
    assert ComplaintSchema().validate(complaint) == {}


def test_long_text_is_cut_with_a_flag_never_silently():
    ctx = Context(secret_key="k" * 20, max_text_chars=200)
    complaint = _complaint(_message("x" * 250), ctx)
    assert len(complaint["body"]) == 200
    assert "text_truncated_from_250_chars" in complaint["flags"]


def test_structured_submission_keeps_its_fields():
    message = _message("Jembatan putus sejak minggu lalu", classification="aspirasi",
                       anonymous=False, confidential=True, title="Jembatan",
                       attachments=(Attachment("image", "image/png", 68, sha256="ab" * 32),))
    complaint = _complaint(message)
    assert complaint["classification"] == "aspirasi" and complaint["privacy"]["confidential"]
    assert complaint["attachments"][0]["sha256"] == "ab" * 32
    assert ComplaintSchema().validate(complaint) == {}


def test_an_owner_and_a_chosen_topic_are_kept():
    """An agency key's message names its agency (the door is the key's, not the doors
    file's); an Open311 client's service names a routing topic, taken over the keywords."""
    message = _message("Sampah menumpuk di jalan rusak dekat jembatan", owner="Dinas Kebersihan",
                       topic="kesehatan", classification="pengaduan")
    complaint = _complaint(message, Context(secret_key="k" * 20, routing_rules=RULES))
    assert complaint["door_agency"] == "Dinas Kebersihan"
    assert complaint["routing"] == {"topic": "kesehatan", "agency": "Dinas Kesehatan",
                                    "region_code": "", "confidence": 1.0,
                                    "why": "topic chosen by the sender", "alternatives": []}
    unknown = _complaint(_message("jalan rusak parah", topic="tidak-ada"), Context("k" * 20, RULES))
    assert unknown["routing"]["topic"] == "infrastruktur"        # no such topic: the keywords
    ComplaintSchema().load(complaint)


def test_a_chosen_topic_takes_the_rule_of_the_complaints_region():
    from normalizer import routing
    rules = (RoutingRule("infrastruktur", "Dinas PU PERA", ("jalan",)),
             RoutingRule("infrastruktur", "Dinas PU Kaltim", ("jalan",), region="64"))
    assert routing.chosen("infrastruktur", rules, {"code": "64.72"})["agency"] == "Dinas PU Kaltim"
    assert routing.chosen("infrastruktur", rules, {"code": "32.73"})["agency"] == "Dinas PU PERA"
    assert routing.chosen("kesehatan", rules, None) is None and routing.chosen("", rules) is None

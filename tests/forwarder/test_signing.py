"""Signing contract v2: kinds that cannot stand in for one another, canonical forms only,
a replay key taken from what was verified, and v1 accepted from central while the setting
says so. Driven through the real routes (Flask test client, real Redis)."""
from __future__ import annotations

import json
import time
from datetime import date

import pytest

from config.settings import V1_ACCEPTED_UNTIL, SettingsError, load_settings
from forwarder import central
from forwarder.attachments import write
from tests.forwarder.conftest import CENTRAL_SECRET
from tests.helpers import inbound

STATUS_PATH = "/api/v1/central/status"


def _callback(number: str, status: str = "proses") -> bytes:
    return json.dumps({"tracking_number": number, "status": status}).encode()


def _headers(signature: str, stamp: int | str) -> dict:
    return {"X-Lapor-Timestamp": str(stamp), "X-Lapor-Signature": signature,
            "Content-Type": "application/json"}


def test_signed_string_names_the_kind_and_every_kind_differs():
    body, stamp = b'{"a": 1}', 1_800_000_000
    assert central.signed_string(central.STATUS_TO_GATEWAY, stamp, body) == \
        b'lapor-v2|status-to-gateway|1800000000|{"a": 1}'
    signatures = {central.sign(CENTRAL_SECRET, body, stamp, kind) for kind in central.KINDS}
    assert len(signatures) == len(central.KINDS) == 4
    assert all(s.startswith("v2=") and len(s) == 67 for s in signatures)
    with pytest.raises(ValueError):
        central.sign(CENTRAL_SECRET, body, stamp, "anything-else")


@pytest.mark.parametrize("signed_as", sorted(central.KINDS - {central.STATUS_TO_GATEWAY}))
def test_v2_signature_of_another_kind_is_not_a_status_callback(client, parts, signed_as):
    number = parts.intake.take(inbound("LAPOR jalan rusak")).tracking_number
    body, stamp = _callback(number), int(time.time())
    answer = client.post(STATUS_PATH, data=body,
                         headers=_headers(central.sign(CENTRAL_SECRET, body, stamp, signed_as), stamp))
    assert answer.status_code == 401 and answer.get_json() == {"error": "bad signature"}
    assert parts.store.status(number)["status"] == "diterima"


def test_attachment_link_and_status_callback_cannot_pass_as_each_other(client, parts):
    """The attack of contract v1: the same MAC over "<ts>." + payload for both kinds. A
    status signature over the attachment path opens no attachment, and an attachment
    signature does not move a complaint; with v2 neither verifies at all."""
    digest = write(parts.settings.attachments_dir, b"%PDF-1.4 surat")
    path = f"/api/v1/central/attachments/{digest}"
    stamp = int(time.time())
    as_status = central.sign(CENTRAL_SECRET, path.encode(), stamp, central.STATUS_TO_GATEWAY)
    answer = client.get(path, headers=_headers(as_status, stamp))
    assert answer.status_code == 401 and answer.get_json() == {"error": "bad signature"}
    link = central.sign(CENTRAL_SECRET, path.encode(), stamp, central.ATTACHMENT_LINK)
    assert client.get(path, headers=_headers(link, stamp)).status_code == 200
    number = parts.intake.take(inbound("LAPOR lampu mati")).tracking_number
    body = _callback(number)
    as_link = central.sign(CENTRAL_SECRET, body, stamp, central.ATTACHMENT_LINK)
    assert client.post(STATUS_PATH, data=body, headers=_headers(as_link, stamp)).status_code == 401
    assert parts.store.status(number)["status"] == "diterima"


@pytest.fixture
def v1_on(environ):
    environ["LAPOR_ACCEPT_SIGNATURE_V1"] = "1"


def test_v1_default_ends_on_the_stated_day(environ):
    assert load_settings(environ).accept_signature_v1 is (date.today() <= V1_ACCEPTED_UNTIL)
    assert V1_ACCEPTED_UNTIL == date(2027, 5, 31)


def test_v1_still_accepted_for_its_own_kind_only_while_the_setting_allows(v1_on, client, parts):
    number = parts.intake.take(inbound("LAPOR sampah")).tracking_number
    body, stamp = _callback(number), int(time.time())
    v1 = central.sign_v1(CENTRAL_SECRET, body, stamp)
    assert parts.settings.accept_signature_v1
    assert client.post(STATUS_PATH, data=body, headers=_headers(v1, stamp)).status_code == 200
    # a v1 signature is checked under v1's string only; a v2 label never turns it into another
    digest = write(parts.settings.attachments_dir, b"bytes")
    path = f"/api/v1/central/attachments/{digest}"
    v1_link = central.sign_v1(CENTRAL_SECRET, path.encode(), stamp)
    assert client.get(path, headers=_headers(v1_link, stamp)).status_code == 200
    assert client.post(STATUS_PATH, data=body, headers=_headers(v1_link, stamp)).status_code == 401
    assert client.get(path, headers=_headers(v1, stamp)).status_code == 401


def test_v1_refused_when_switched_off(environ, redis_url):
    from gateway.app import create_app
    from gateway.wiring import build_parts

    environ["LAPOR_ACCEPT_SIGNATURE_V1"] = "0"
    settings = load_settings(environ)
    assert settings.accept_signature_v1 is False
    parts = build_parts(settings)
    app = create_app(parts=parts)
    number = parts.intake.take(inbound("LAPOR got")).tracking_number
    body, stamp = _callback(number), int(time.time())
    answer = app.test_client().post(STATUS_PATH, data=body,
                                    headers=_headers(central.sign_v1(CENTRAL_SECRET, body, stamp), stamp))
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "signature version 1 no longer accepted"}
    v2 = central.sign(CENTRAL_SECRET, body, stamp, central.STATUS_TO_GATEWAY)
    assert app.test_client().post(STATUS_PATH, data=body, headers=_headers(v2, stamp)).status_code == 200
    parts.publisher.close()


def test_accept_signature_v1_setting_is_validated(environ):
    for bad in ("yes", "2", "true", "0 1"):
        environ["LAPOR_ACCEPT_SIGNATURE_V1"] = bad
        with pytest.raises(SettingsError, match="LAPOR_ACCEPT_SIGNATURE_V1"):
            load_settings(environ)
    environ["LAPOR_ACCEPT_SIGNATURE_V1"] = "1"
    assert load_settings(environ).accept_signature_v1 is True


NON_CANONICAL = {
    "nbsp after": lambda s: s + "\xa0",
    "nel after": lambda s: s + "\x85",
    "tab after": lambda s: s + "\t",
    "space before": lambda s: " " + s,
    "ideographic space": lambda s: s + "\u3000",
    "upper-case hex": lambda s: s[:3] + s[3:].upper(),
    "upper-case prefix": lambda s: "V" + s[1:],
    "second value": lambda s: s + ",v2=" + "0" * 64,
    "first of two": lambda s: "v2=" + "0" * 64 + "," + s,
    "v1 and v2": lambda s: s + ",v1=" + "0" * 64,
}


@pytest.mark.parametrize("variant", sorted(NON_CANONICAL))
def test_non_canonical_signatures_are_refused_and_make_no_second_update(client, parts, variant):
    """Before v2 the signature was checked after strip() but the replay key was the raw
    header's last 64 characters: each whitespace variant replayed the callback once more."""
    number = parts.intake.take(inbound("LAPOR pungli")).tracking_number
    body, stamp = _callback(number), int(time.time())
    good = central.sign(CENTRAL_SECRET, body, stamp, central.STATUS_TO_GATEWAY)
    first = client.post(STATUS_PATH, data=body, headers=_headers(good, stamp))
    assert first.status_code == 200 and first.get_json()["ok"] is True
    parts.store.update_status(number, {"status": "diterima"})   # so a second update shows
    answer = client.post(STATUS_PATH, data=body, headers=_headers(NON_CANONICAL[variant](good), stamp))
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "malformed signature"
    assert parts.store.status(number)["status"] == "diterima"    # no second status update
    assert good[3:] not in answer.get_data(as_text=True)


@pytest.mark.parametrize("stamp_text", ["+{}", " {}", "{} ", "0{}", "{}.0", "١٢٣",
                                        "{}\xa0", "1_{}"])
def test_non_canonical_timestamps_are_refused(client, parts, stamp_text):
    number = parts.intake.take(inbound("LAPOR x")).tracking_number
    body, stamp = _callback(number), int(time.time())
    shown = stamp_text.format(stamp)
    signature = central.sign(CENTRAL_SECRET, body, stamp, central.STATUS_TO_GATEWAY)
    answer = client.post(STATUS_PATH, data=body, headers=_headers(signature, shown))
    assert answer.status_code == 401 and answer.get_json() == {"error": "malformed timestamp"}
    assert parts.store.status(number)["status"] == "diterima"


def test_replay_key_is_the_verified_mac(client, parts):
    number = parts.intake.take(inbound("LAPOR y")).tracking_number
    body, stamp = _callback(number), int(time.time())
    signature = central.sign(CENTRAL_SECRET, body, stamp, central.STATUS_TO_GATEWAY)
    verified = central.check_signature(CENTRAL_SECRET, body, str(stamp), signature,
                                       central.STATUS_TO_GATEWAY)
    assert verified.problem == "" and verified.replay_key == signature[3:]
    assert client.post(STATUS_PATH, data=body, headers=_headers(signature, stamp)).status_code == 200
    assert parts.store.redis.exists(f"lapor:callback:{verified.replay_key}")
    again = client.post(STATUS_PATH, data=body, headers=_headers(signature, stamp))
    assert again.status_code == 401 and again.get_json() == {"error": "replayed callback"}


def test_gateway_signs_complaints_and_events_with_their_own_kinds(parts, receiver, start_worker):
    from forwarder.worker import ForwardWorker
    from tests.helpers import wait_for

    parts.intake.take(inbound("Jalan rusak di depan SDN 3"))
    parts.intake.take(inbound("lubangnya dua meter"))            # a follow-up event
    start_worker(ForwardWorker)
    wait_for(lambda: len(receiver.requests) == 2, message="complaint and event delivered")
    for request in receiver.requests:
        headers = request["headers"]
        kind = central.EVENT_TO_CENTRAL if request["path"] == "/events" else central.COMPLAINT_TO_CENTRAL
        other = central.COMPLAINT_TO_CENTRAL if kind == central.EVENT_TO_CENTRAL else central.EVENT_TO_CENTRAL
        assert headers["x-lapor-signature"].startswith("v2=")
        assert central.verify_signature(CENTRAL_SECRET, request["body"], headers["x-lapor-timestamp"],
                                        headers["x-lapor-signature"], kind) == ""
        for wrong in (other, central.STATUS_TO_GATEWAY):
            assert central.verify_signature(CENTRAL_SECRET, request["body"],
                                            headers["x-lapor-timestamp"],
                                            headers["x-lapor-signature"], wrong) == "bad signature"

"""The Twilio doors' MessageSid rules (Twilio's format, the dedup key; issue 8, item 15) and
production's need of the public URL a Twilio door signs over."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict

from channels.base import Rejected, WebRequest
from channels.registry import build_adapters
from config.doors import load_catalogue
from config.settings import SettingsError, load_settings
from forwarder.topology import COMPLAINTS
from tests.channels.twilio_support import (CASES, PUBLIC, Signed, adapter_for, ledger_keys, pairs_of,
                                           redis_of, sign, twilio_environ, twiml_messages)


@pytest.fixture
def environ(environ):
    environ.update(twilio_environ("http://127.0.0.1:9"))   # nothing is sent in these tests
    return environ


# ----- MessageSid: Twilio's format, the dedup key (issue 8, item 15) -------------------------------
SID = "SM5e287d7109a5a925f182f0e07fe5b223"


@pytest.mark.parametrize("fields", [
    {"MessageSid": "SM1"}, {"MessageSid": "SM" + "g" * 32}, {"MessageSid": "XX" + "a" * 32},
    {"MessageSid": "sm" + "a" * 32}, {"MessageSid": SID + "0"}, {"MessageSid": SID + "NumMedia0"},
    {"MessageSid": "MG" + "a" * 32}, {"MessageSid": "AC" + "a" * 32},
    {"MessageSid": SID, "SmsMessageSid": "SM" + "0" * 32},            # the copies disagree
    {"SmsSid": SID + "NumSegments1"},
])
def test_malformed_message_sid_is_400(settings, fields):
    form = [(k, v) for k, v in pairs_of(CASES["sms_text"]) if k not in fields]
    form += list(fields.items())
    request = WebRequest(method="POST", url=PUBLIC + "/in/twilio-sms", path="/in/twilio-sms", headers={},
                         query_string=b"", body=urlencode(form).encode(),
                         content_type="application/x-www-form-urlencoded")
    with pytest.raises(Rejected) as refused:
        adapter_for(settings, "twilio-sms").parse(request)
    assert refused.value.status == 400 and "MessageSid" in refused.value.reason


def test_sid_copies_may_be_left_out_and_mm_is_a_message(settings):
    form = [("MessageSid", "MM" + "5A" * 16), ("From", "+6281234567890"), ("Body", "tes")]
    request = WebRequest(method="POST", url=PUBLIC + "/in/twilio-sms", path="/in/twilio-sms", headers={},
                         query_string=b"", body=urlencode(form).encode(),
                         content_type="application/x-www-form-urlencoded")
    [message] = adapter_for(settings, "twilio-sms").parse(request)
    assert message.provider_message_id == "MM" + "5A" * 16


def test_replay_that_moves_the_boundary_after_message_sid_is_refused(client, parts):
    """Twilio signs ``MessageSid<sid>NumMedia0...``: the same bytes read as a MessageSid of
    ``<sid>NumMedia0`` and no NumMedia. The signature still verifies; the SID format (and
    the dedup on the valid SID) keeps it from becoming a second complaint or follow-up."""
    case = CASES["sms_text"]
    original = Signed(case)
    twiml_messages(original.send(client))
    fields = pairs_of(case)
    moved = [(k, v + "NumMedia" + dict(fields)["NumMedia"] if k == "MessageSid" else v)
             for k, v in fields if k != "NumMedia"]
    signature = original.headers["X-Twilio-Signature"]
    assert sign(PUBLIC + original.path, MultiDict(moved)) == signature       # the attack verifies
    response = client.post(original.path, data=urlencode(moved), headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and b"MessageSid" in response.get_data()
    assert redis_of(parts).llen(COMPLAINTS) == 1 and len(ledger_keys(parts)) == 1


# ----- production needs the public URL (issue 8, item 15) ------------------------------------------
def test_production_refuses_a_twilio_door_that_would_trust_the_host_header(environ):
    environ.pop("LAPOR_PUBLIC_BASE_URL")
    settings = load_settings(environ)
    assert settings.mode == "production"
    with pytest.raises(SettingsError) as refused:
        build_adapters(load_catalogue(settings).doors, settings)
    assert "LAPOR_PUBLIC_BASE_URL" in str(refused.value) and "LAPOR_PROXY_HOPS" in str(refused.value)
    assert "\n" not in str(refused.value)
    for fix in ({"LAPOR_PROXY_HOPS": "1"}, {"LAPOR_PUBLIC_BASE_URL": PUBLIC}, {"LAPOR_MODE": "embedded"}):
        fixed = load_settings({**environ, **fix})
        assert set(build_adapters(load_catalogue(fixed).doors, fixed)) >= {"twilio-sms", "twilio-wa"}
    with pytest.raises(SettingsError):
        hops = load_settings({**environ, "LAPOR_PROXY_HOPS": "0"})
        build_adapters(load_catalogue(hops).doors, hops)


def test_production_starts_the_default_doors_while_twilio_is_not_configured(environ):
    unset = load_settings({k: v for k, v in environ.items() if not k.startswith("LAPOR_TWILIO_")
                           and k not in ("LAPOR_DOORS_FILE", "LAPOR_PUBLIC_BASE_URL")})
    adapters = build_adapters(load_catalogue(unset).doors, unset)    # defaults.json: Twilio unset
    assert "twilio-sms" in adapters and not adapters["twilio-sms"].configured()


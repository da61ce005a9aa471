"""The e-mail door's parser survives anything. The e-mail door is not HTTP (its ``/in/<door>``
refuses every request: the adapter fuzz's HTTP tables see only that), so its own property
tests drive ``read_mail`` the way the SMTP server and the IMAP poller do:

* arbitrary bytes as a whole mail;
* a real mail with any headers set to any text (encoded words, broken addresses, bad dates,
  hostile ``Authentication-Results``) and any body, as plain text, HTML or both, with
  attachments of any bytes;

each read gives a ``Reading`` (a message, or a reason to ignore or refuse it), never an
exception, and every message normalizes into a complaint that validates against the schema.
"""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from channels.email.adapter import EmailAdapter, Reading
from channels.email.testing import SENDER
from config.doors import Door
from config.settings import load_settings
from normalizer.normalize import Context, build_complaint, interpret
from normalizer.schema import ComplaintSchema
from tests.channels.email.support import PNG, mail
from tests.fuzz.profiles import fuzz, timeout_seconds

pytestmark = pytest.mark.timeout(timeout_seconds())
HEADERS = ["From", "Subject", "Message-ID", "In-Reply-To", "References", "Date", "Auto-Submitted",
           "Precedence", "Return-Path", "Content-Language", "Authentication-Results", "Reply-To",
           "Content-Type", "Content-Transfer-Encoding", "Content-Disposition"]
_hostile = st.sampled_from(["=?utf-8?b?////?=", "=?x-unknown?q?a?=", "<>", "<@>", "\x00", "\ud800",
                            "a@b@c", "\"unterminated", "(((", "mx.dinas.test; dmarc=pass (",
                            "mx.dinas.test; dkim=pass; dkim=fail; dmarc=fail", "=?utf-8?q?",
                            "Mon, 99 Feb 99999 99:99:99 +9999", "multipart/mixed; boundary=",
                            "base64", "attachment; filename*=utf-8''%ff%fe"])
_header_text = st.one_of(_hostile, st.text(max_size=80))


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    settings = load_settings({"LAPOR_DATA_DIR": str(tmp_path_factory.mktemp("data")),
                              "LAPOR_SECRET_KEY": "fuzz-secret-key-0123456789",
                              "LAPOR_MAX_ATTACHMENT_BYTES": "4096"})
    door = Door(id="lapor-mail", channel="email", agency="Dinas X",
                options={"address": "lapor@dinas.test", "authserv_id": "mx.dinas.test",
                         "trusted_relays": ["127.0.0.1/32"]})
    return EmailAdapter(door, settings)


def _check(adapter, reading: Reading) -> None:
    assert isinstance(reading, Reading)
    if reading.message is None:
        assert reading.ignored or reading.refused
        return
    message = reading.message
    assert message.channel == "email" and message.provider_message_id
    complaint = build_complaint(message, interpret(message), "c" * 32, "27410935882",
                                Context(secret_key=adapter.settings.secret_key))
    assert ComplaintSchema().validate(complaint) == {}
    assert len(reading.uploads) <= adapter.settings.max_attachments


@given(raw=st.binary(max_size=2000))
@fuzz()
def test_any_bytes_read_as_a_mail_or_a_reason(adapter, raw):
    _check(adapter, adapter.read_mail(raw, envelope_sender="budi@warga.test", peer="127.0.0.1"))


@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=400),
       n=st.integers(min_value=0, max_value=10 ** 6))
@fuzz()
def test_the_test_senders_mail_with_any_text_is_a_complaint(adapter, text, n):
    reading = adapter.read_mail(SENDER.mail(text, n), envelope_sender=f"warga{n}@warga.test",
                                peer="127.0.0.1")
    assert reading.message is not None and reading.message.sender == f"warga{n}@warga.test"
    _check(adapter, reading)


@given(headers=st.dictionaries(st.sampled_from(HEADERS), _header_text, max_size=6),
       text=st.one_of(st.none(), st.text(max_size=300)), html=st.one_of(st.none(), st.text(max_size=300)),
       files=st.lists(st.binary(max_size=300).map(lambda data: PNG + data) | st.binary(max_size=300),
                      max_size=5),
       envelope=st.one_of(st.none(), st.just(""), st.just("budi@warga.test")),
       peer=st.sampled_from([None, "127.0.0.1", "127.0.0.2", "not-an-address"]))
@fuzz(scale=2)
def test_a_real_mail_with_any_parts_changed(adapter, headers, text, html, files, envelope, peer):
    message = mail(text if text is not None or html is not None else "isi",
                   html=html, attachments=tuple((f"f{index}.bin", data, "application/octet-stream")
                                                for index, data in enumerate(files)))
    # the hostile headers written as raw bytes above the mail's own (a parser reads the first),
    # as a sender's client can: the email package would refuse to write many of them
    hostile = "".join(f"{name}: {value}\n" for name, value in headers.items())
    raw = hostile.encode("utf-8", "surrogatepass") + bytes(message)
    _check(adapter, adapter.read_mail(raw, envelope_sender=envelope, peer=peer))

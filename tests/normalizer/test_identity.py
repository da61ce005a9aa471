"""Phone numbers to E.164, keyed pseudonyms, masking and sealing."""
from __future__ import annotations

import base64
import json

import pytest
from nacl.public import PrivateKey, SealedBox

from normalizer import identity


@pytest.mark.parametrize("raw", ["081234567890", "6281234567890", "+6281234567890",
                                 "+62 812-3456-7890", "0062 812 3456 7890",
                                 "whatsapp:+6281234567890"])
def test_same_reporter_in_every_form(raw):
    assert identity.normalize_phone(raw) == "+6281234567890"


def test_short_codes_and_junk_survive():
    assert identity.normalize_phone("1708") == "1708"
    assert identity.normalize_phone("abc") == ""


def test_pseudonym_is_keyed_and_stable():
    one = identity.pseudonym("key-a", "phone", "+6281234567890")
    assert one == identity.pseudonym("key-a", "phone", "+6281234567890")
    assert one != identity.pseudonym("key-b", "phone", "+6281234567890")
    assert one != identity.pseudonym("key-a", "telegram", "+6281234567890")
    assert one.startswith("r-") and "6281234567890" not in one


@pytest.mark.parametrize("handle", ["+6281234567890", "081234567820", "5811230042",
                                    "siti@example.com", "@siti42", "12345", "7"])
def test_mask_shows_no_part_of_the_handle(handle):
    """Issue 8 item 7: logs said reporter=***20 (the last two digits) for anonymous
    reporters too; no character of any handle is shown now."""
    assert identity.mask(handle) == "***"
    assert identity.mask("") == "-"


def test_keyed_ref_is_stable_keyed_and_hides_the_value():
    one = identity.keyed_ref("key-a", "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIY")
    assert one == identity.keyed_ref("key-a", "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIY")
    assert one != identity.keyed_ref("key-b", "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIY")
    assert one.startswith("k-") and len(one) == 34 and "wamid" not in one
    assert identity.keyed_ref("key-a", "\ud800") != identity.keyed_ref("key-a", "\ufffd")


def test_seal_opens_only_with_the_central_key():
    private = PrivateKey.generate()
    sealed = identity.seal(bytes(private.public_key), {"name": "Siti", "contact": "+628123"})
    opened = json.loads(SealedBox(private).decrypt(base64.b64decode(sealed)))
    assert opened == {"contact": "+628123", "name": "Siti"}
    assert "Siti" not in sealed


@pytest.mark.parametrize("raw", ["081234567", "0812345678901", "+628111222333", "6285712345678",
                                 "08991234567"])
def test_fast_path_agrees_with_phonenumbers(raw):
    import phonenumbers

    expected = phonenumbers.format_number(phonenumbers.parse(raw, "ID"),
                                          phonenumbers.PhoneNumberFormat.E164)
    assert identity.normalize_phone(raw) == expected


def test_landlines_and_foreign_numbers_use_phonenumbers():
    assert identity.normalize_phone("021-5550123") == "+62215550123"
    assert identity.normalize_phone("+60 12-345 6789") == "+60123456789"

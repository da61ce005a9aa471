"""Phone numbers to E.164, keyed pseudonyms, masking and sealing."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings, strategies as st
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


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["0", "62", "+62", "+62 ", "62 "]), st.text("0123456789", min_size=7, max_size=12),
       st.lists(st.tuples(st.integers(0, 16), st.sampled_from([" ", "-", ".", " - ", "  "])), max_size=4),
       st.booleans())
def test_the_fast_path_reads_a_mobile_number_as_phonenumbers_does(prefix, rest, cuts, bracketed):
    """Separators (spaces, dashes, dots, brackets) are taken out before the fast path: the
    answer must be phonenumbers' own for every way of writing the number."""
    digits = "8" + rest
    for at, separator in sorted(cuts, reverse=True):
        at = min(at, len(digits))
        digits = digits[:at] + separator + digits[at:]
    raw = f"({prefix}{digits[:3]}){digits[3:]}" if bracketed else prefix + digits
    assert identity.normalize_phone(raw) == identity.parsed_phone(raw.strip())


def test_the_prepared_key_gives_the_plain_hmac():
    plain = hmac.new(b"key-a", b"phone:+6281234567890", hashlib.sha256).hexdigest()[:20]
    assert identity.pseudonym("key-a", "phone", "+6281234567890") == "r-" + plain
    assert identity.pseudonym("key-b", "phone", "+6281234567890") != "r-" + plain
    assert identity.pseudonym("key-a", "phone", "+6281234567890") == "r-" + plain   # the copy, again
    keyed = hmac.new(b"key-a", b"ref\x1fwamid.X", hashlib.sha256).hexdigest()[:32]
    assert identity.keyed_ref("key-a", "wamid.X") == "k-" + keyed

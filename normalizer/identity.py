"""Reporter identity: normalized handles, pseudonyms, masking and sealing.

Phone numbers become E.164 with ``phonenumbers`` (region ID), so 0812..., 62812... and
+62812... are the same reporter. The pseudonym is HMAC-SHA256(secret key, channel kind +
normalized handle), shortened: stable per reporter, useless without the key. ``keyed_ref``
does the same for a provider's identifiers (message ids, media references) in anonymous
and confidential complaints. ``mask`` gives the only form of a handle that may appear in a
log line (no part of it). ``seal`` encrypts identity
for the central system with a PyNaCl sealed box (only the holder of the central private
key can open it).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import phonenumbers

DEFAULT_REGION = "ID"
# Indonesian mobile numbers in their three everyday forms (08.., 628.., +628..) are by far
# the most common sender; they take this fast path, everything else goes to phonenumbers.
# Written with spaces, dashes, dots or brackets (``0856-1234-5678``, ``+62 812-...``), they are
# read the same once those are taken out: phonenumbers gives the same E.164
# (tests/normalizer/test_identity.py holds the two to each other), at a fiftieth of its cost;
# not so a bare ``62 8...`` with separators (phonenumbers reads some as national numbers).
_ID_MOBILE = re.compile(r"^(?:\+62|62|0)(8\d{7,11})$")
_SEPARATORS = str.maketrans("", "", " -.()")
_PREPARED_LIMIT = 16            # secret keys whose prepared HMAC is kept (one in a gateway)
_prepared: dict[bytes, "hmac.HMAC"] = {}


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 for anything phonenumbers can read; the digits otherwise (short codes, junk)."""
    text = raw.strip()
    if text.startswith("whatsapp:"):
        text = text[9:]
    mobile = _ID_MOBILE.match(text)
    if mobile is None:
        stripped = text.translate(_SEPARATORS)
        if stripped[:1] in "0+":          # "62 812 ..." with separators: phonenumbers decides
            mobile = _ID_MOBILE.match(stripped)
    if mobile and region == DEFAULT_REGION:
        return "+62" + mobile.group(1)
    return parsed_phone(text, region)


def parsed_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """``normalize_phone`` without its fast path: phonenumbers' reading of a stripped handle."""
    candidate = text
    if text.startswith("62") and text.isdigit():
        candidate = "+" + text
    elif text.startswith("00"):
        candidate = "+" + text[2:]
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "".join(ch for ch in text if ch.isdigit() or ch == "+")


def normalize_handle(kind: str, raw: str) -> str:
    """The canonical form of a sender handle of the given kind."""
    if kind == "phone":
        return normalize_phone(raw)
    if kind == "email":
        return raw.strip().lower()
    return raw.strip()


def _keyed_hmac(secret_key: str, message: bytes) -> hmac.HMAC:
    """HMAC-SHA256 of ``message`` under the key, from a copy of the key's prepared object
    (the key's padding and first block are hashed once per process, not per message)."""
    key = secret_key.encode()
    prepared = _prepared.get(key)
    if prepared is None:
        if len(_prepared) >= _PREPARED_LIMIT:
            _prepared.clear()
        prepared = _prepared[key] = hmac.new(key, digestmod=hashlib.sha256)
    digest = prepared.copy()
    digest.update(message)
    return digest


def pseudonym(secret_key: str, kind: str, handle: str) -> str:
    """A stable keyed pseudonym for a reporter: 'r-' + 20 hex characters."""
    return "r-" + _keyed_hmac(secret_key, f"{kind}:{handle}".encode()).hexdigest()[:20]


def officer_pseudonym(secret_key: str, username: str) -> str:
    """An officer's keyed id, 'o-' + 20 hex characters: what a complaint (``entered_by``) and
    a log line carry instead of the username."""
    digest = hmac.new(secret_key.encode(), b"officer\x1f" + username.encode(), hashlib.sha256)
    return "o-" + digest.hexdigest()[:20]


def keyed_ref(secret_key: str, value: str) -> str:
    """A provider's identifier (message id, media reference, update id ...) as it may leave
    the gateway for an anonymous or confidential reporter: 'k-' + 32 hex characters of
    HMAC-SHA256 under the secret key. The same id always keys the same (duplicates still
    match); without the key nobody can test a guess (a phone number, a tweet id) against it."""
    digest = _keyed_hmac(secret_key, b"ref\x1f" + value.encode("utf-8", "surrogatepass"))
    return "k-" + digest.hexdigest()[:32]


def mask(handle: str) -> str:
    """The only loggable form of a handle: '***', no part of it. Senders of replies do not
    know whether a reporter is anonymous, so no handle shows even its last digits."""
    return "***" if handle else "-"


def seal(public_key: bytes, identity: dict) -> str:
    """Encrypt identity for the central system (base64 of a NaCl sealed box)."""
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(public_key))
    payload = json.dumps(identity, ensure_ascii=False, sort_keys=True).encode()
    return base64.b64encode(box.encrypt(payload)).decode()

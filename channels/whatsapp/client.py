"""The WhatsApp Cloud API (Meta's Graph API) as the adapter calls it: whom a message goes
to, and what an error answer means (retry, dead-letter, opted out)."""
from __future__ import annotations

import requests

from channels.base import SendError
from channels.scrub import digit_runs
from channels.whatsapp.payload import BSUID, OPTED_OUT_CODES

RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131048,
                             131056, 133004})


def address(handle: str) -> dict:
    """Who a Graph API message goes to: a reporter known by their business-scoped user id
    goes in ``recipient`` (Meta: phone numbers in ``to``, BSUIDs in ``recipient``, with
    ``recipient_type`` individual); a phone number in ``to``, digits only."""
    if BSUID.fullmatch(handle):
        return {"recipient_type": "individual", "recipient": handle}
    digits = "".join(ch for ch in handle if ch.isascii() and ch.isdigit())
    if not digits:
        raise SendError("no WhatsApp number or user id to send to", permanent=True)
    return {"to": digits}


def answer_json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def graph_error(what: str, response: requests.Response) -> SendError:
    """A SendError from a Graph API error answer: 5xx, 429 and throttling codes are
    retried, other 4xx are permanent. Digit runs (phone numbers) are masked; the token and
    the URL never appear."""
    error = answer_json(response).get("error")
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    said = str(error.get("message") or response.text or "")[:120].strip()
    reason = f"whatsapp {what} answered {response.status_code}"
    if code is not None:
        reason += f" (code {code})"
    if said:
        reason += ": " + digit_runs(said)
    retry_after = None
    header = response.headers.get("Retry-After", "")
    if header.isascii() and header.isdigit():
        retry_after = float(header)
    retryable = (response.status_code >= 500 or response.status_code == 429
                 or code in RETRYABLE_CODES)
    return SendError(reason, permanent=not retryable, retry_after=retry_after,
                     code=str(code) if code is not None else "", opted_out=code in OPTED_OUT_CODES)

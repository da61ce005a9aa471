"""Twilio's REST side of the ``twilio`` channel: the REST client, the arguments of
``messages.create`` for one reply, and Twilio's answers turned into ``SendError``.

Sample call for a status notice on a WhatsApp door with a status template::

    client.messages.create(to="whatsapp:+6281234567890", from_="whatsapp:+14155238886",
                           status_callback="https://lapor.example.go.id/in/twilio-wa",
                           content_sid="HX...", content_variables='{"1": "Laporan ..."}')

-> POST {api_base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json (form, Basic auth).
"""
from __future__ import annotations

import json
import re

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels.base import SendError
from channels.scrub import digit_runs
from normalizer.values import OutboundMessage
from channels.twilio.payload import WHATSAPP_PREFIX

SEND_TIMEOUT = 15.0                      # seconds per REST call
MAX_BODY_CHARS = 1600                    # Twilio's limit for a message body
_SPACES = re.compile(r"\s+")
# The door's settings, never TWILIO_* environment variables, configure the REST client (an
# edge or region goes into api_base_url, e.g. https://api.singapore.us1.twilio.com).
_NO_ENVIRONMENT = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}


def rest_client(account_sid: str, auth_token: str, api_base_url: str) -> Client:
    """twilio's REST client with its API domain pointed at ``api_base_url``."""
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=SEND_TIMEOUT),
                    environment=_NO_ENVIRONMENT)
    client.api.base_url = api_base_url
    return client


def address(number: str, whatsapp: bool) -> str:
    """'+628...' as Twilio wants it on the door: 'whatsapp:+628...' in WhatsApp mode."""
    number = number.strip()
    bare = number[len(WHATSAPP_PREFIX):] if number.lower().startswith(WHATSAPP_PREFIX) else number
    return WHATSAPP_PREFIX + bare if whatsapp else bare


def message_params(message: OutboundMessage, sender: str, whatsapp: bool,
                   status_callback: str = "", template: str = "") -> dict:
    """Arguments of ``messages.create`` for one reply: a status notice goes as the approved
    WhatsApp template when there is one (its one variable is the notice), anything else as
    text; ``MG...`` senders are Messaging Services."""
    params: dict = {"to": address(message.to, whatsapp)}
    if sender.startswith("MG"):
        params["messaging_service_sid"] = sender
    else:
        params["from_"] = address(sender, whatsapp)
    if status_callback:
        params["status_callback"] = status_callback
    if whatsapp and template and message.kind == "status":
        notice = _SPACES.sub(" ", message.text).strip()          # no newlines in variables
        notice = notice[len("LAPOR! "):] if notice.startswith("LAPOR! ") else notice
        params["content_sid"] = template
        params["content_variables"] = json.dumps({"1": notice[:700]}, ensure_ascii=False)
    else:
        params["body"] = message.text[:MAX_BODY_CHARS]
    return params


def http_error(what: str, status: int, retry_after: str | None = None) -> SendError:
    """5xx and 429 are retried (after Retry-After when given); other answers are final."""
    delay = (float(retry_after) if retry_after and retry_after.strip().isascii()
             and retry_after.strip().isdigit() else None)
    reason = f"twilio {what} answered {status}"
    return SendError(reason, permanent=not (status >= 500 or status == 429), retry_after=delay)


def rest_error(exc: TwilioException) -> SendError:
    """A REST API error as a SendError; Twilio's message may quote the number: masked."""
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        return SendError(f"twilio client error ({type(exc).__name__})")
    code = getattr(exc, "code", None)
    said = str(getattr(exc, "msg", "") or getattr(exc, "detail", "") or getattr(exc, "title", ""))
    said = digit_runs(said.replace("Unable to create record: ", ""))[:120]
    failure = http_error("messages.create", status)
    failure.reason = f"{failure.reason} (code {code}): {said}".rstrip(": ")
    failure.args = (failure.reason,)
    failure.code = str(code) if isinstance(code, int) else ""
    return failure

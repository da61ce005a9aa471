"""Kannel's sendsms side of the ``kannel`` channel: one reply as one GET to the door's
``sendsms_url`` (Kannel's ``sendsms`` HTTP interface, its user and password in the URL),
and Kannel's answers turned into ``SendError``.

Sample call for a status notice (UCS-2 only when the text is not GSM-7; delivery reports
asked for every state when the door has a DLR URL, see ``docs/kannel.md``)::

    GET {sendsms_url}&to=%2B6281234567890&from=1708&text=...&charset=UTF-8
        &dlr-mask=31&dlr-url=https%3A%2F%2F...%2Fin%2Fsms-1708%3Fdlr_ref%3D...
"""
from __future__ import annotations

import logging
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from channels.base import SendError
from channels.gsm7 import is_gsm7
from channels.scrub import digit_runs
from normalizer.identity import mask
from normalizer.values import OutboundMessage

log = logging.getLogger("lapor.channels.kannel")

SEND_TIMEOUT = (3.05, 10.0)          # connect, read (seconds)
DLR_MASK = "31"                       # every report: delivered, failed, buffered, SMSC ack/nack


class SendsmsClient:
    """The sendsms calls of one door; one keep-alive session per thread."""

    def __init__(self, door_id: str, sendsms_url: str, short_code: str) -> None:
        self.door_id = door_id
        self.sendsms_url = sendsms_url
        self.short_code = short_code
        self._local = threading.local()

    def url(self, message: OutboundMessage, dlr_url: str) -> str:
        """The sendsms URL for one reply: the door's URL, its own parameters replaced."""
        params = {"to": message.to, "from": self.short_code, "text": message.text, "charset": "UTF-8"}
        if not is_gsm7(message.text):
            params["coding"] = "2"
        if dlr_url:
            params.update({"dlr-mask": DLR_MASK, "dlr-url": dlr_url})
        parts = urlsplit(self.sendsms_url)
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
        return urlunsplit(parts._replace(query=urlencode(kept + list(params.items()))))

    def send(self, message: OutboundMessage, dlr_url: str) -> None:
        """Hand one reply to Kannel; ``SendError`` (permanent for a 4xx but 429) otherwise."""
        if not self.sendsms_url:
            raise SendError(f"door {self.door_id}: no sendsms_url configured", permanent=True)
        try:
            response = self._session().get(self.url(message, dlr_url), timeout=SEND_TIMEOUT)
        except requests.RequestException as exc:   # its text holds the URL: never shown
            raise SendError(f"kannel sendsms unreachable ({type(exc).__name__})") from None
        if 200 <= response.status_code < 300:
            log.info("sendsms accepted door=%s to=%s", self.door_id, mask(message.to))
            return
        said = digit_runs(response.text[:100].strip())
        reason = f"kannel sendsms answered {response.status_code}: {said}"
        if response.status_code >= 500 or response.status_code == 429:
            raise SendError(reason)
        raise SendError(reason, permanent=True)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

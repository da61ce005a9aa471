"""Sending the e-mail doors' replies through an SMTP relay (``LAPOR_SMTP_RELAY_URL``).

    smtp://user:pass@smtp.example.go.id:587    STARTTLS, required (refused if not offered)
    smtps://user:pass@smtp.example.go.id:465   TLS from the first byte
    smtp://127.0.0.1:25                        a local MTA on a loopback address: plain

Certificates are checked against the system's trust store. User and password are
percent-decoded from the URL (``%40`` for ``@``); both are optional (a local MTA needs none).
The URL holds a password: it is never logged, and no error text repeats it or any address
(an SMTP error's text may quote the recipient): errors name the relay's reply code only.

Failures: a 5xx answer (the relay refuses the sender or the recipient for good) is
permanent (the reply is dead-lettered); anything else (connection refused, time-out, 4xx,
an authentication failure an operator can fix) is retried by the notifier with backoff.
"""
from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from channels.base import SendError

TIMEOUT = 30.0
AUTH_CODES = (530, 534, 535, 538)    # authentication problems: an operator fixes them; retried


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Relay:
    def __init__(self, url: str, timeout: float = TIMEOUT):
        parts = urlsplit(url or "")
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SendError("LAPOR_SMTP_RELAY_URL is not set: e-mail replies cannot be sent")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        try:
            self.port = parts.port or (465 if self.implicit_tls else 587)
        except ValueError:
            raise SendError("LAPOR_SMTP_RELAY_URL has a bad port", permanent=True) from None
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if loopback(self.host):
            return connection
        connection.ehlo()
        if not connection.has_extn("starttls"):
            connection.close()
            raise SendError("the SMTP relay does not offer STARTTLS; use smtps:// or a "
                            "relay that does")
        connection.starttls(context=context)
        return connection

    def send(self, mail: EmailMessage, sender: str, recipient: str) -> None:
        """Hand ``mail`` to the relay for ``recipient``; raise SendError on failure."""
        try:
            with self._connect() as connection:
                if self.user:
                    connection.login(self.user, self.password)
                refused = connection.send_message(mail, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise _error(codes[0] if codes else 550) from None
        except smtplib.SMTPResponseException as exc:
            raise _error(exc.smtp_code) from None
        except smtplib.SMTPNotSupportedError:      # a non-ASCII address, no SMTPUTF8 there
            raise SendError("the SMTP relay cannot take this address (no SMTPUTF8)",
                            permanent=True) from None
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise SendError(f"SMTP relay unreachable ({type(exc).__name__})") from None
        if refused:
            raise _error(next(iter(refused.values()))[0])


def _error(code: int) -> SendError:
    permanent = 500 <= code < 600 and code not in AUTH_CODES
    return SendError(f"SMTP relay answered {code}", permanent=permanent, code=str(code))

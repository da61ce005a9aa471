"""The e-mail door's test sender (``channels.testing``). The door takes no HTTP: mail comes
through the gateway's SMTP server or the IMAP poller (``channels/email/server.py``,
``poller.py``), so there is no signature to forge (``forgeries`` is empty and the signed-door
tables leave it out) and every HTTP request to ``/in/<door>`` is refused 405: what the
registry-derived tables that send arbitrary requests to every door see, and what its cases
file records. ``mail(text, n)`` is the ``n``-th citizen's mail as an MTA delivers it, for the
tests that go through SMTP or IMAP (``tests/channels/email/``) and the fuzz of
``read_mail`` (``tests/fuzz/test_email_fuzz.py``).
"""
from __future__ import annotations

from email import policy
from email.message import EmailMessage

from channels.testing import Request, Sender


class EmailSender(Sender):
    door = {"id": "lapor-mail", "channel": "email", "agency": "Dinas PU Kota Contoh",
            "label": "E-mail LAPOR!", "credentials": {}, "options": {"address": "lapor@dinas.test"}}
    environ: dict = {}
    forgeries = ()
    inline = False

    def mail(self, text: str, n: int) -> bytes:
        """The ``n``-th citizen's mail ``text`` to the door, CRLF as on the wire."""
        message = EmailMessage()
        message["From"] = f"Warga {n} <warga{n}@warga.test>"
        message["To"] = self.door["options"]["address"]
        message["Subject"] = "Laporan"
        message["Message-ID"] = f"<security-{n}@warga.test>"
        message.set_content(text)
        return message.as_bytes(policy=policy.SMTP)

    def request(self, text: str, n: int) -> Request:
        """The mail posted over HTTP, as someone might try: refused 405."""
        return self.signed(self.mail(text, n))

    def signed(self, body: bytes) -> Request:
        return Request("POST", f"/in/{self.door_id}", body=body, content_type="message/rfc822")

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        return Request(method, f"/in/{self.door_id}", query=query, body=body, content_type=content_type)


SENDER = EmailSender()

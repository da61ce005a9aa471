"""Kannel's test sender (``channels.testing``): the get-url call of Kannel's smsbox, the
door secret in the query (or Basic auth), the text as UCS-2 bytes (coding 2)."""
from __future__ import annotations

import base64
from urllib.parse import quote, quote_from_bytes, urlencode

from channels.testing import OTHER_SECRET, Request, Sender

SECRET = "kannelSecret4711"


class KannelSender(Sender):
    """Kannel's get-url: the door secret in the query, the text as UCS-2 bytes (coding 2)."""
    door = {"id": "sms-1708", "channel": "kannel", "agency": "KemenPANRB", "label": "SMS 1708",
            "credentials": {"secret": "LAPOR_DOOR_SMS_1708_SECRET"}, "options": {"short_code": "1708"}}
    environ = {"LAPOR_DOOR_SMS_1708_SECRET": SECRET}
    secrets = (SECRET,)
    forgeries = ("none", "wrong", "wrong_basic")
    signature_headers = ("authorization",)

    def _query(self, text: str, n: int, secret: str | None) -> str:
        fields = [("from", f"0812{n:08d}"), ("to", "1708")]
        query = urlencode(fields)
        query += "&text=" + quote_from_bytes(text.encode("utf-16-be", "surrogatepass"), safe="")
        query += "&" + urlencode([("charset", "UTF-16BE"), ("coding", "2"),
                                  ("time", "2026-11-24 10:42:40"), ("smsc", "FAKE"),
                                  ("id", f"9d3c{n:08d}-41e1-4e1d-bb66-3af5e85d498d")])
        if secret is not None:
            query = f"secret={quote(secret)}&" + query
        return query

    def request(self, text: str, n: int) -> Request:
        return Request("GET", "/in/sms-1708", self._query(text, n, SECRET))

    def forged(self, kind: str, text: str, n: int) -> Request:
        if kind == "none":
            return Request("GET", "/in/sms-1708", self._query(text, n, None), secrets=(SECRET,))
        if kind == "wrong":
            return Request("GET", "/in/sms-1708", self._query(text, n, OTHER_SECRET[:16]), secrets=(SECRET,))
        if kind == "wrong_basic":
            auth = base64.b64encode(f"kannel:{OTHER_SECRET[:16]}".encode()).decode()
            return Request("GET", "/in/sms-1708", self._query(text, n, None),
                           headers={"Authorization": f"Basic {auth}"}, secrets=(SECRET,))
        raise ValueError(kind)

    def thread(self, text: str, message_no: int, n: int) -> Request:
        request = self.request(text, n)
        request.query = request.query.replace("-41e1-", f"-41e{message_no}-")
        return request

    def thread_identifiers(self, n: int) -> list[str]:
        return [f"9d3c{n:08d}-41e1", f"9d3c{n:08d}-41e2"]

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        return Request(method, "/in/sms-1708", query=f"secret={SECRET}&{query}", body=body,
                       content_type=content_type)


SENDER = KannelSender()

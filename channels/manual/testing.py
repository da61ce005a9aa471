"""The manual door's test sender (``channels.testing``): no provider calls this door, so
every HTTP request to ``/in/<manual door>`` is refused; its cases file also reads the
officer's form with the adapter alone (``entry``; through the gateway it needs a login)."""
from __future__ import annotations


from channels.base import WebRequest
from channels.testing import Request, Sender, json_bytes
from channels.web.testing import submission_request

DOOR_PATH = "/in/manual-kemenpanrb"


class ManualSender(Sender):
    """Requests to the manual door (all refused), and the desk's form for ``entry``."""
    door = {"id": "manual-kemenpanrb", "channel": "manual", "agency": "KemenPANRB",
            "label": "Loket KemenPANRB", "credentials": {}, "options": {}}
    forgeries = ()
    signature_headers = ()

    def request(self, text: str, n: int) -> Request:
        body = json_bytes({"classification": "pengaduan", "body": text, "source": "surat"})
        return Request("POST", DOOR_PATH, body=body, content_type="application/json")

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        return Request(method, DOOR_PATH, query=query, body=body, content_type=content_type)

    def case_request(self, table: dict, case: dict) -> Request:
        """``request.path`` (the door's ``/in/`` path unless the desk's form), ``json`` or
        ``form`` (urlencoded) or ``raw`` with its ``content_type``."""
        return submission_request(case["request"], DOOR_PATH)

    def read(self, adapter, request: WebRequest) -> list:
        """The desk's form (``/petugas/laporan/baru``) is read by ``entry``; anything else
        by ``parse``, which refuses."""
        if request.path == "/petugas/laporan/baru":
            return [adapter.entry(request, "o-test")[0]]
        return adapter.parse(request)


SENDER = ManualSender()

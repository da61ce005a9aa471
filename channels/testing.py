"""The public test harness of a channel package (built-in, or a third-party one installed
under the ``lapor_gateway.channels`` entry point): what ``<package>/testing.py`` builds on.

A channel's ``testing`` module defines ``SENDER``, an instance of a ``Sender`` subclass
that speaks for the provider: its test door (``door``: a doors-file entry whose
credentials and options name environment variables; ``environ``: the values of those
variables), the ``secrets`` an answer must never echo, the ``forgeries`` its scheme has,
the ``signature_headers`` that carry the credential, and the requests it builds: properly
signed (``request``), forged (``forged``), any body signed (``signed_any``) and a recorded
case's request (``case_request``). ``channels.registry.sender_of(channel)`` finds it.

The adapter-level case runner (``check_case``) takes one case of a cases file (the format
is in ``tests/channels/test_cases.py``) through the door's adapter alone, ``authenticate``
then ``parse``, and checks it against ``expect``, so a third-party package can run its
cases file without this project's tests folder; the gateway-level runner (real gateway,
real Redis) is ``tests/channels/test_cases.py``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timezone
from pathlib import Path

from channels.base import Rejected, WebRequest
from normalizer import tracking

PUBLIC = "https://lapor.example.go.id"
OTHER_SECRET = "a-secret-that-belongs-to-nobody-0000"
SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = re.compile(r"\b(\d{4}-\d{4}-\d{3})\b")


def json_bytes(value, ascii_only: bool = False) -> bytes:
    """JSON as a provider writes it: UTF-8 (or all-ASCII escapes); lone surrogates, which
    UTF-8 cannot carry, as ``\\uXXXX`` escapes."""
    text = json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))
    return SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), text).encode("utf-8")


def hmac_hex(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def hmac_b64(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


@dataclass
class Request:
    """One HTTP request to the gateway, as raw as the provider sends it."""
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    content_type: str = ""
    #: values that must never appear in a refusal (the expected signature, the body's text)
    secrets: tuple = ()

    def send(self, client):
        """Through a Flask test client (the real gateway)."""
        target = self.path + (f"?{self.query}" if self.query else "")
        return client.open(target, method=self.method, data=self.body or None,
                           headers=self.headers, content_type=self.content_type or None)

    def web_request(self, base: str = PUBLIC) -> WebRequest:
        """Straight to an adapter, as the gateway hands it over."""
        return WebRequest(method=self.method, path=self.path,
                          url=base + self.path + (f"?{self.query}" if self.query else ""),
                          headers={k.lower(): v for k, v in self.headers.items()},
                          query_string=self.query.encode("latin-1"), body=self.body,
                          content_type=self.content_type)


class Sender:
    """Base: a channel's test door, how its provider calls it, where the answer has the
    tracking number. Subclasses set ``door``, ``environ``, ``secrets`` and build requests.
    A sender of a JSON webhook also has ``payload(text, n) -> dict`` (the provider's
    delivery of a text) and ``serialize(payload) -> bytes`` (as the provider writes JSON):
    the JSON fuzz and hostile-JSON tables mutate and sign those."""
    #: the doors-file entry of the test door: id, channel, agency, label, credentials and
    #: options (values naming environment variables, as in a real doors file)
    door: dict = {}
    #: the environment variables the door names, with their test values
    environ: dict = {}
    #: values no answer, refusal or log line may ever carry
    secrets: tuple[str, ...] = ()
    inline = True            # the provider's answer carries the acknowledgement
    #: forgery kinds this scheme has (the others do not apply; see docs/security.md)
    forgeries: tuple[str, ...] = ("none", "wrong")
    #: the headers that carry the door's credential or signature (the fuzz tests send any
    #: value in them)
    signature_headers: tuple[str, ...] = ()
    #: a third-party channel's cases file (the built-ins' are tests/channels/testdata/<name>.json)
    cases_file: Path | None = None
    #: each delivery is a complaint of its own (a structured report: the web door's JSON, a
    #: webhook door's), never a follow-up joining the reporter's open complaint
    structured: bool = False

    @property
    def door_id(self) -> str:
        return self.door["id"]

    @property
    def channel(self) -> str:
        return self.door["channel"]

    def request(self, text: str, n: int) -> Request:
        """The ``n``-th citizen's message ``text``, properly signed."""
        raise NotImplementedError

    def forged(self, kind: str, text: str, n: int) -> Request:
        """The same message with a forgery of ``kind`` (one of ``forgeries``)."""
        raise NotImplementedError

    def signed(self, body: bytes) -> Request:
        """Any body, signed as the provider signs a delivery."""
        raise NotImplementedError

    def signed_any(self, body: bytes, query: str, content_type: str, method: str) -> Request:
        """Any body (or query string, for a door that reads one), with the door's valid
        credential: what the fuzz tests send so that the parser sees arbitrary input."""
        return self.signed(body)

    def case_request(self, table: dict, case: dict) -> Request:
        """A recorded case's request as the provider sent it: ``method``, the raw ``query``,
        lower-case ``headers``, the raw body as ``body_hex``. A sender whose provider signs
        what it sends overrides this, reading the credentials of the cases file (``table``)."""
        spec = case["request"]
        headers = {k: v for k, v in spec.get("headers", {}).items() if k != "content-type"}
        return Request(spec["method"], f"/in/{case.get('door', table['door'])}", query=spec.get("query", ""),
                       body=bytes.fromhex(spec.get("body_hex", "")), headers=headers,
                       content_type=spec.get("headers", {}).get("content-type", ""))

    def thread(self, text: str, message_no: int, n: int) -> Request:
        """The ``n``-th citizen's ``message_no``-th message (1, then 2) of one thread, the
        second with an attachment where the channel has them: what the reporter-sealed
        test sends anonymously (tests/security/test_reporter_sealed.py)."""
        raise NotImplementedError(f"{type(self).__name__}.thread")

    def thread_identifiers(self, n: int) -> list[str]:
        """The provider identifiers of ``thread(..., n)`` that no forwarded record may hold."""
        return []

    def read(self, adapter, request: WebRequest) -> list:
        """What the door does with a verified request: the adapter's ``parse`` (the web
        door's form entrance overrides it)."""
        return adapter.parse(request)

    def reply_text(self, response, replies=()) -> str:
        """The text the citizen gets for a delivery: the answer itself, or the last of the
        ``replies`` queued for the notifier."""
        if self.inline:
            return response.get_data(as_text=True)
        return replies[-1].get("text", "") if replies else ""

    def tracking_of(self, response, replies=()) -> str:
        """The tracking number the answer to a delivery carries, or the last of the
        ``replies`` queued ('' if none)."""
        if self.inline:
            found = _NUMBER.search(response.get_data(as_text=True))
            return tracking.compact(found.group(1)) if found else ""
        return replies[-1].get("tracking_number", "") if replies else ""


# ----- the adapter-level case runner ---------------------------------------------------------------
def load_cases(path: Path) -> dict:
    """A cases file (``channel``, ``door``, ``environ``, ``secrets``, ``cases``)."""
    table = json.loads(Path(path).read_text("utf-8"))
    if not (isinstance(table, dict) and {"channel", "door", "cases"} <= set(table)):
        raise ValueError(f"{path}: not a cases file (channel, door, cases)")
    return table


def case_kind(case: dict) -> str:
    """``taken``, ``ignored`` (taken, no message in it) or ``refused`` (a 4xx or 5xx)."""
    expect = case["expect"]
    if expect["status"] >= 400:
        return "refused"
    return "ignored" if expect.get("ignored") else "taken"


def plain(got, want):
    """What the adapter produced, in the shape the case writes it: a datetime as ISO text,
    a value object as a dict of the fields the case names, lists item by item."""
    if isinstance(got, datetime):
        return got.isoformat()
    if is_dataclass(got) and isinstance(want, dict):
        names = {f.name for f in fields(got)}
        return {key: getattr(got, key) if key in names else "<no such field>" for key in want}
    if isinstance(got, (list, tuple)) and isinstance(want, list) and len(got) == len(want):
        return [plain(item, wanted) for item, wanted in zip(got, want)]
    return got


def expected_messages(expect: dict) -> list[dict]:
    """The messages a taken case holds: ``messages``, or the one ``message``."""
    return expect["messages"] if "messages" in expect else [expect["message"]]


def echoed(table: dict, request: Request) -> list[str]:
    """What a refusal must not echo: the file's secrets and the credential headers sent."""
    return [*table.get("secrets", ()), *(v for v in request.headers.values() if len(v) >= 16)]


def _check_messages(found: list, expect: dict) -> None:
    wanted = expected_messages(expect)
    assert len(found) == len(wanted), (len(found), len(wanted))
    for message, want in zip(found, wanted):
        for name, value in want.items():
            got = plain(getattr(message, name), value)
            assert got == value, (name, got)
        for name, pattern in expect.get("message_matches", {}).items():
            assert re.fullmatch(pattern, getattr(message, name)), name
        assert message.received_at.tzinfo is not None
        assert abs((datetime.now(timezone.utc) - message.received_at).total_seconds()) < 5


def _check_refusal(refused: Rejected, expect: dict, table: dict, request: Request) -> None:
    assert (refused.status, refused.reason) == (expect["status"], expect["reason"])
    assert getattr(refused, "fields", None) == expect.get("fields"), getattr(refused, "fields", None)
    assert not any(secret in refused.reason for secret in echoed(table, request))


def check_case(adapter, sender: Sender, table: dict, case: dict) -> None:
    """One recorded case through ``adapter`` alone (the adapter of the case's door):
    ``authenticate`` then ``parse`` (the sender's ``read``); the messages, the silence of an
    ignored case, or the refusal's status, reason and field errors (``fields``, the web
    door's 422; none otherwise), echoing no secret, are what ``expect`` says."""
    request = sender.case_request(table, case)
    expect, kind = case["expect"], case_kind(case)
    if kind == "refused":
        try:
            adapter.authenticate(request.web_request())
            sender.read(adapter, request.web_request())
        except Rejected as refused:
            _check_refusal(refused, expect, table, request)
            return
        raise AssertionError(f"{case['name']}: taken, expected a {expect['status']} refusal")
    adapter.authenticate(request.web_request())
    found = sender.read(adapter, request.web_request())
    if kind == "ignored":
        assert found == [], found
    else:
        _check_messages(found, expect)

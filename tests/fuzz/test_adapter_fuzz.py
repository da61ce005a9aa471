"""Property tests of every adapter's parser, run as the gateway runs them (``challenge``
for a GET, then ``verify``, ``parse``, the normalizer and ``respond``):

* arbitrary requests (any method, bytes, headers, query string): a typed refusal
  (``Rejected`` with a 4xx status and a short reason) or, for a GET, a handshake answer;
  never an exception, and never a message without a valid signature;
* the same arbitrary bodies and query strings, properly signed, so that the parsers see
  them: a 4xx refusal, or messages that normalize into complaints and events that
  validate against the schemas and can be stored;
* the providers' real payloads (the recorded tables in tests/channels/testdata and the
  channels' test senders) with any of their parts replaced, dropped or added, properly signed:
  the same.

The adapters are built from the test senders' doors (tests/harness.py) exactly as the
gateway builds them; nothing here touches Redis or the network.
"""
from __future__ import annotations

import json
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given, strategies as st

from channels.base import Rejected, UploadedFile, WebRequest, WebResponse
from channels.registry import build_adapters
from normalizer.values import Outcome
from config.doors import load_catalogue
from config.settings import load_settings
from tests.fuzz.profiles import fuzz, timeout_seconds
from tests.fuzz.strategies import any_text, check_outcome, json_values, mutated
from channels.kannel.testing import SECRET as KANNEL_SECRET
from channels.testing import PUBLIC, Request, json_bytes
from channels.twilio.testing import TwilioSender
from tests.harness import DOORS, JSON_SENDERS, SECRETS, SENDERS, SIGNERS, cases_path

pytestmark = pytest.mark.timeout(timeout_seconds())

#: channel -> the headers that carry its door's credential (from its signer)
SIGNATURE_HEADERS = {channel: signer.signature_headers for channel, signer in SIGNERS.items()}
SIGNERS_BY_DOOR = {signer.door_id: signer for signer in SIGNERS.values()}
CONTENT_TYPES = ["", "application/json", "application/json; charset=utf-8", "text/plain",
                 "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
                 "multipart/form-data; boundary=x", "application/octet-stream", "text/plain; charset=UCS-2",
                 "text/plain; charset=\"latin1\"", "text/plain; charset=bogus-42"]


@pytest.fixture(scope="module")
def adapters(tmp_path_factory, security_environ):
    environ = dict(security_environ, LAPOR_SECRET_KEY="fuzz-secret-key-0123456789",
                   LAPOR_DATA_DIR=str(tmp_path_factory.mktemp("fuzz-data")),
                   LAPOR_REDIS_URL="redis://127.0.0.1:1/0", LAPOR_BROKER_URL="redis://127.0.0.1:1/0")
    settings = load_settings(environ)
    return build_adapters(load_catalogue(settings).doors, settings)


def run(adapter, request: WebRequest) -> tuple[str, list]:
    """What the gateway does with a request: ('refused', [status]), ('answered', [status])
    for a handshake, or ('taken', messages) after normalizing and answering them."""
    try:
        if request.method == "GET":
            answer = adapter.challenge(request)
            if answer is not None:
                assert isinstance(answer, WebResponse) and answer.status == 200
                return "answered", [answer.status]
        adapter.authenticate(request)
        messages = adapter.parse(request)
    except Rejected as refused:
        # 4xx; or 503 "door not configured", the one 5xx an adapter may answer (the Twilio
        # door without a SharedKey answers it to a request that claims SharedKey signing)
        assert 400 <= refused.status < 500 or (
            refused.status == 503 and refused.reason.startswith("door not configured")), \
            (refused.status, refused.reason)
        assert isinstance(refused.reason, str) and 0 < len(refused.reason) <= 120, refused.reason
        assert not any(secret in refused.reason for secret in SECRETS)
        return "refused", [refused.status]
    assert isinstance(messages, list)
    check_outcome(messages)
    for message in messages:
        assert message.door_id == adapter.door.id and message.channel == adapter.name
    answer = adapter.respond([Outcome(m, "27410935882", "LAPOR! Laporan Anda diterima.")
                              for m in messages] or [])
    assert isinstance(answer, WebResponse) and 200 <= answer.status < 300
    return "taken", messages


# ----- arbitrary requests ------------------------------------------------------------------------
bodies = st.one_of(st.binary(max_size=600), json_values.map(lambda v: json_bytes(v)),
                   any_text(300).map(lambda t: t.encode("utf-8", "surrogatepass")))
queries = st.one_of(st.binary(max_size=200).map(lambda b: quote_from_bytes(b, safe="=&+%")),
                    st.lists(st.tuples(any_text(12), st.binary(max_size=60)), max_size=6).map(
                        lambda pairs: "&".join(quote_from_bytes(k.encode("utf-8", "surrogatepass"))
                                               + "=" + quote_from_bytes(v) for k, v in pairs)))


@st.composite
def raw_requests(draw, door_id: str, channel: str):
    headers = {name: draw(any_text(80).map(lambda t: t.encode("utf-8", "surrogatepass")
                                           .decode("latin-1")))
               for name in SIGNATURE_HEADERS[channel] if draw(st.booleans())}
    return Request(draw(st.sampled_from(["GET", "POST", "PUT"])), f"/in/{door_id}",
                   query=draw(queries), body=draw(bodies), headers=headers,
                   content_type=draw(st.sampled_from(CONTENT_TYPES))).web_request()


@pytest.mark.parametrize("door", DOORS)
@fuzz()
@given(data=st.data())
def test_arbitrary_requests_are_refused_or_answered(adapters, door, data):
    adapter = adapters[door]
    verdict, _ = run(adapter, data.draw(raw_requests(door, adapter.name)))
    if adapter.name != "web":                 # the web door is public: no signature to forge
        assert verdict != "taken", "an unsigned request was taken"


# ----- arbitrary bodies, properly signed ---------------------------------------------------------
def _signed(door: str, body: bytes, query: str, content_type: str, method: str) -> WebRequest:
    return SIGNERS_BY_DOOR[door].signed_any(body, query, content_type, method).web_request()


@pytest.mark.parametrize("door", DOORS)
@fuzz()
@given(body=bodies, query=queries, content_type=st.sampled_from(CONTENT_TYPES),
       method=st.sampled_from(["GET", "POST"]))
def test_arbitrary_signed_bodies_are_refused_or_taken(adapters, door, body, query, content_type, method):
    run(adapters[door], _signed(door, body, query, content_type, method))


# ----- real payloads, mutated, properly signed -----------------------------------------------------
def _table(name: str) -> list[dict]:
    path = cases_path(name, SIGNERS[name])
    return json.loads(path.read_text("utf-8"))["cases"] if path.exists() else []


def json_seeds(channel: str) -> list[dict]:
    seeds = [SIGNERS[channel].payload("Jalan rusak di depan SDN 3", 1)]
    seeds += [body for case in _table(channel)
              for body in (case.get("body"), case.get("request", {}).get("body")) if isinstance(body, dict)]
    return seeds


def form_seeds() -> list[list]:
    seeds = [TwilioSender().pairs("Jalan rusak di depan SDN 3", 1)]
    seeds += [[tuple(p) for p in case["request"]["form"]] for case in _table("twilio")
              if isinstance(case.get("request", {}).get("form"), list)]
    return seeds


def kannel_seeds() -> list[dict]:
    seeds = [SENDERS["sms-1708"].request("Jalan rusak di depan SDN 3", 1).query]
    seeds += [case["request"]["query"] for case in _table("kannel")]
    from urllib.parse import parse_qsl
    return [dict(parse_qsl(q, keep_blank_values=True)) for q in seeds]


def web_seeds() -> list[dict]:
    seeds = [fields for case in _table("web") for fields in (case["request"].get("json"),
                                                              case["request"].get("form"))
             if isinstance(fields, dict)]
    return seeds + [{"classification": "pengaduan", "body": "Jalan rusak di depan SDN 3",
                     "contact": "0812 3456 7890", "latitude": -6.9, "longitude": 107.6}]


SEEDS = {**{sender.channel: json_seeds(sender.channel) for sender in JSON_SENDERS.values()},
         "twilio": form_seeds(), "kannel": kannel_seeds(), "web": web_seeds()}


def test_the_recorded_tables_feed_the_mutations():
    """The mutations start from the providers' recorded payloads; a table format change
    that left them with nothing to start from would go unnoticed."""
    for channel, minimum in {"whatsapp": 20, "telegram": 20, "twitter": 15, "twilio": 20,
                             "kannel": 15, "web": 8}.items():
        assert len(SEEDS[channel]) >= minimum, channel


@pytest.mark.parametrize("door", sorted(JSON_SENDERS))
@fuzz()
@given(data=st.data())
def test_mutated_json_payloads_are_refused_or_taken(adapters, door, data):
    adapter = adapters[door]
    seed = data.draw(st.sampled_from(SEEDS[adapter.name]))
    body = data.draw(mutated(seed))
    serialize = SENDERS[door].serialize
    run(adapter, SENDERS[door].signed(serialize(body)).web_request())


@fuzz()
@given(data=st.data())
def test_mutated_twilio_forms_are_refused_or_taken(adapters, data):
    seed = data.draw(st.sampled_from(SEEDS["twilio"]))
    pairs = [(k, v if data.draw(st.integers(0, 4)) else data.draw(any_text(60))) for k, v in seed
             if data.draw(st.integers(0, 9))]
    pairs += data.draw(st.lists(st.tuples(st.sampled_from(
        ["MediaUrl0", "MediaContentType0", "NumMedia", "Latitude", "Longitude", "Label", "Address",
         "WaId", "ProfileName", "MessageStatus", "ButtonText", "From", "MessageSid"]), any_text(60)),
        max_size=4))
    run(adapters["twilio-sms"], TwilioSender().signed(pairs).web_request())


@fuzz()
@given(data=st.data())
def test_mutated_kannel_requests_are_refused_or_taken(adapters, data):
    seed = data.draw(st.sampled_from(SEEDS["kannel"]))
    fields = {k: v.encode("utf-8") for k, v in seed.items() if k != "secret" and data.draw(st.integers(0, 9))}
    for key in data.draw(st.lists(st.sampled_from(["text", "charset", "coding", "time", "from", "id",
                                                   "to", "smsc"]), max_size=4)):
        fields[key] = data.draw(st.binary(max_size=80) | st.sampled_from(
            [b"UTF-16BE", b"UCS-2", b"ISO-8859-1", b"8-bit", b"binary", b"no-such", b"2", b"1",
             b"1795516959", b"9" * 30, b"2026-02-30 25:61:61", b"\xc2\xb2", b"\xd9\xa3", b"\x00",
             b"hex", b"idna", b"rot13"]))
    query = f"secret={KANNEL_SECRET}&" + "&".join(quote_from_bytes(k.encode()) + "=" + quote_from_bytes(v)
                                                  for k, v in fields.items())
    post = data.draw(st.booleans())
    body = data.draw(st.binary(max_size=200)) if post else b""
    headers = {f"X-Kannel-{name}": data.draw(any_text(20).map(
        lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1")))
        for name in data.draw(st.lists(st.sampled_from(["From", "To", "Coding", "Time", "SMSC"]),
                                       max_size=3))}
    run(adapters["sms-1708"], Request("POST" if post else "GET", "/in/sms-1708", query=query,
                                      body=body, headers=headers,
                                      content_type=data.draw(st.sampled_from(CONTENT_TYPES))).web_request())


@fuzz()
@given(data=st.data())
def test_mutated_web_submissions_are_refused_or_taken(adapters, data):
    """The web door's submissions (JSON API and form fields), and uploads of any bytes."""
    adapter = adapters["web"]
    fields = data.draw(mutated(data.draw(st.sampled_from(SEEDS["web"]))))
    as_json = data.draw(st.booleans())
    files = tuple(UploadedFile(field="attachments", filename=data.draw(any_text(30)),
                               content_type=data.draw(any_text(20)), data=data.draw(st.binary(max_size=64)))
                  for _ in range(data.draw(st.integers(0, 4))))
    if as_json:
        request = WebRequest("POST", PUBLIC + "/in/web", "/in/web", {}, b"", json_bytes(fields),
                             "application/json")
    else:
        form = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        request = WebRequest("POST", PUBLIC + "/lapor", "/lapor", {}, b"", b"",
                             "multipart/form-data; boundary=x", form=form, files=files)
    try:
        message, uploads = adapter.submission(request, accept_files=not as_json)
    except Rejected as refused:
        assert 400 <= refused.status < 500
        return
    check_outcome([message])
    assert len(uploads) <= adapter.limits.max_attachments

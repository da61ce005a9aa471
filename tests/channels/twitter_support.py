"""Shared pieces of the Twitter/X tests: the recorded-payload table, X's way of serializing
and signing a webhook body, the door and the environment that configures it, a local
stand-in for X's API, and a reader for the messages kombu left on a Redis-backed queue."""
from __future__ import annotations

import json
from types import SimpleNamespace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from channels.base import WebRequest
from channels.twitter.adapter import TwitterAdapter
from channels.twitter import testing
from channels.twitter.testing import raw_body, x_bytes  # noqa: F401 (re-exported)
from config.doors import Door
from config.settings import Settings
from tests.helpers import queued_bodies as queued  # noqa: F401 (re-exported)

TESTDATA = Path(__file__).parent / "testdata"
TABLE = json.loads((TESTDATA / "twitter.json").read_text("utf-8"))
DOORS_FILE = TESTDATA / "twitter_doors.json"
CASES = {case["name"]: case for case in TABLE["cases"]}
CONSUMER_SECRET = TABLE["consumer_secret"]
ACCOUNT_ID = TABLE["account_id"]
USERNAME = TABLE["username"]
CREDENTIALS = {"consumer_key": "x-consumer-key-3rJOl1ODzm9yZy63FACdg", "consumer_secret": CONSUMER_SECRET,
               "access_token": "1708000000000000001-7fKq2JmZ9xW4vB8nT1cR6yH3pL5sD0gA",
               "access_token_secret": "x-access-secret-Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz",
               "bearer_token": "AAAAAAAAAAAAAAAAAAAAAx-bearer-token-for-tests"}
PATH = "/in/twitter"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


def door(api_base_url: str = "", **options) -> Door:
    """The twitter door as load_catalogue builds it from twitter_doors.json."""
    return Door(id="twitter", channel="twitter", agency="KemenPANRB", label="Twitter/X @LAPOR1708",
                credentials=dict(CREDENTIALS),
                options={"account_id": ACCOUNT_ID, "username": USERNAME,
                         "api_base_url": api_base_url, **options})


def environ_for(api_base_url: str = "") -> dict:
    """The environment variables the door JSON names."""
    return {"LAPOR_DOORS_FILE": str(DOORS_FILE),
            **{f"LAPOR_TWITTER_{key.upper()}": value for key, value in CREDENTIALS.items()},
            "LAPOR_TWITTER_ACCOUNT_ID": ACCOUNT_ID, "LAPOR_TWITTER_USERNAME": USERNAME,
            "LAPOR_TWITTER_API_BASE_URL": api_base_url, "LAPOR_TWITTER_TEST_ORIGINS": api_base_url}


def signature(raw: bytes, secret: str = CONSUMER_SECRET) -> str:
    """x-twitter-webhooks-signature as X computes it, with the table's consumer secret by default."""
    return testing.signature(raw, secret)


def headers_for(case: dict, raw: bytes) -> dict:
    """The request headers of a table case, signed the way the case says."""
    return testing.headers_for(case, raw, CONSUMER_SECRET)


def web_request(case: dict, method: str = "POST", query: str = "") -> WebRequest:
    raw = raw_body(case) if case else b""
    headers = {k.lower(): v for k, v in headers_for(case, raw).items()} if case else {}
    return WebRequest(method=method, url="https://lapor.example.go.id" + PATH, path=PATH,
                      headers=headers, query_string=query.encode("ascii"), body=raw,
                      content_type=headers.get("content-type", ""))


def post_case(client, case: dict):
    raw = raw_body(case)
    return client.post(PATH, data=raw, headers=headers_for(case, raw))




def as_dict(message) -> dict:
    """The InboundMessage fields the table names."""
    location = message.location
    return {"provider_message_id": message.provider_message_id, "sender": message.sender,
            "text": message.text, "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "sender_name": message.sender_name, "contact": message.contact, "public": message.public,
            "is_edit": message.is_edit,
            "attachments": [{"kind": a.kind, "content_type": a.content_type,
                             "provider_ref": a.provider_ref, "filename": a.filename, "size": a.size}
                            for a in message.attachments],
            "location": None if location is None else {
                "text": location.text, "latitude": location.latitude, "longitude": location.longitude},
            "meta": message.meta}


def request_query(request: dict) -> dict:
    """The query parameters of a request a Receiver recorded (first value of each)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(request["path"]).query).items()}


def x_answer(status: int, body, reset: int | None = None, remaining: int | None = None) -> tuple:
    """A scripted X API answer for tests.helpers.Receiver, with rate-limit headers."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if reset is not None:
        headers.update({"x-rate-limit-limit": "450", "x-rate-limit-reset": str(reset),
                        "x-rate-limit-remaining": str(0 if remaining is None else remaining)})
    return status, headers, json.dumps(body).encode()


def adapter_for(x_api, public_base_url: str = "", **options) -> TwitterAdapter:
    options.setdefault("insecure_origins_for_tests", [x_api.url])    # the local stand-in
    return TwitterAdapter(door(x_api.url, **options), Settings(public_base_url=public_base_url))


def oauth_signed(request: dict, base_url: str) -> bool:
    """Whether a recorded request carries a valid OAuth 1.0a HMAC-SHA1 signature made with
    the door's consumer secret and access token secret (what X verifies)."""
    header = request["headers"].get("authorization", "")
    if not header.startswith("OAuth "):
        return False
    params = dict(oauth_utils.parse_authorization_header(header))
    uri = base_url + request["path"]
    collected = oauth_signature.collect_parameters(
        uri_query=urlsplit(uri).query, headers={"Authorization": header}, exclude_oauth_signature=True)
    base = oauth_signature.signature_base_string(
        request["method"], oauth_signature.base_string_uri(uri),
        oauth_signature.normalize_parameters(collected))
    expected = oauth_signature.sign_hmac_sha1_with_client(base, SimpleNamespace(
        client_secret=CREDENTIALS["consumer_secret"],
        resource_owner_secret=CREDENTIALS["access_token_secret"]))
    return (params["oauth_consumer_key"] == CREDENTIALS["consumer_key"]
            and params["oauth_token"] == CREDENTIALS["access_token"]
            and oauth_signature.safe_string_equals(
                expected, oauth_utils.unescape(params["oauth_signature"])))

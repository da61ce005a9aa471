"""Shared pieces of the Telegram tests: the recorded-update table, the doors file and the
environment that configures the ``telegram`` door, requests as Telegram's webhook sends
them, and a reader for what kombu left on a Redis-backed queue."""
from __future__ import annotations

import json
from pathlib import Path

from channels.base import WebRequest
from config.doors import Door
from config.settings import Settings
from tests.helpers import queued_bodies as queued  # noqa: F401 (re-exported)

__all__ = ["HEADER"]
from channels.telegram.testing import HEADER, case_body, case_headers

TESTDATA = Path(__file__).parent / "testdata"
TABLE = json.loads((TESTDATA / "telegram.json").read_text("utf-8"))
DOORS_FILE = TESTDATA / "telegram_doors.json"
CASES = {case["name"]: case for case in TABLE["cases"]}
BOT_TOKEN = TABLE["bot_token"]
REF_KEY = TABLE["ref_key"]                  # the gateway secret key tests/conftest.py sets
SETTINGS = Settings(secret_key=REF_KEY)
SECRET_TOKEN = TABLE["secret_token"]
FORGED_TOKEN = TABLE["forged_token"]
PATH = "/in/telegram"


def door(api_base_url: str = "", bot_token: str = BOT_TOKEN, secret_token: str = SECRET_TOKEN) -> Door:
    """The telegram door as load_catalogue builds it from telegram_doors.json."""
    return Door(id="telegram", channel="telegram", agency="KemenPANRB", label="Bot Telegram LAPOR!",
                credentials={"bot_token": bot_token, "secret_token": secret_token},
                options={"api_base_url": api_base_url})


def adapter_for(api_base_url: str = "", **credentials):
    """A TelegramAdapter for the door, keyed like the gateway the pipeline tests run; the
    downloader may reach the local stand-in at ``api_base_url``."""
    from channels.telegram.adapter import TelegramAdapter

    built = door(api_base_url, **credentials)
    if api_base_url:
        built.options["insecure_origins_for_tests"] = [api_base_url]
    return TelegramAdapter(built, SETTINGS)


def environ_for(api_base_url: str = "") -> dict:
    """The environment variables the door JSON names."""
    return {"LAPOR_DOORS_FILE": str(DOORS_FILE), "LAPOR_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "LAPOR_TELEGRAM_SECRET_TOKEN": SECRET_TOKEN, "LAPOR_TELEGRAM_API_BASE_URL": api_base_url,
            "LAPOR_TELEGRAM_TEST_ORIGINS": api_base_url}


def raw_body(case: dict) -> bytes:
    """The bytes Telegram posts: compact JSON, UTF-8 (or the case's raw bytes)."""
    return case_body(case["request"])


def headers_for(case: dict) -> dict:
    """The webhook request headers, with the secret token the case says."""
    return {"Content-Type": "application/json",
            **case_headers(case["request"], SECRET_TOKEN, FORGED_TOKEN)}


def web_request(case: dict, body: bytes | None = None) -> WebRequest:
    headers = {k.lower(): v for k, v in headers_for(case).items()}
    return WebRequest(method="POST", url="https://lapor.example.go.id" + PATH, path=PATH,
                      headers=headers, query_string=b"", body=raw_body(case) if body is None else body,
                      content_type="application/json")


def post_case(client, case: dict, path: str = PATH):
    return client.post(path, data=raw_body(case), headers=headers_for(case))



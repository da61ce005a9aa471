"""The Twitter/X guide (docs/channels/twitter.md) shows what the code and the tests run: the
door JSON, every variable it names, the options the code reads, the public reply a citizen
gets, and tweepy calls that exist."""
from __future__ import annotations

import json
import re
from pathlib import Path

import tweepy

from config import messages
from tests.channels.twitter_support import DOORS_FILE
from tests.helpers import as_documented

ROOT = Path(__file__).parents[2]
GUIDE = (ROOT / "docs" / "channels" / "twitter.md").read_text("utf-8")
CODE = "".join((ROOT / "channels" / "twitter" / name).read_text("utf-8")
               for name in ("adapter.py", "client.py", "payload.py", "poller.py"))


def test_guide_shows_the_door_the_tests_load():
    [door] = [as_documented(door) for door in json.loads(DOORS_FILE.read_text("utf-8"))["doors"]]
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", GUIDE, re.S)]
    assert door in blocks
    for name in [*door["credentials"].values(), *door["options"].values(), "LAPOR_PUBLIC_BASE_URL"]:
        assert f"| `{name}` |" in GUIDE, name


def test_guide_options_are_the_ones_the_code_reads():
    table = GUIDE.split("Optional door options", 1)[1].split("## 3a", 1)[0]
    options = re.findall(r"^\| `([a-z_]+)` \|", table, re.M)
    assert options == ["poll", "poll_interval", "first_poll_hours", "max_media_bytes"]
    for option in options:
        assert f'options.get("{option}")' in CODE, option


def test_guide_shows_the_public_reply_citizens_get():
    where = messages.text("twitter_where_cek", mention="@LAPOR1708 ", compact="27410935882")
    sample = messages.text("ack_public", tracking="2741-0935-882", where=where)
    assert f"`{sample}`" in GUIDE
    assert len(sample) <= 280


def test_guide_names_the_webhook_path_and_the_tweepy_calls_it_shows():
    assert "<LAPOR_PUBLIC_BASE_URL>/in/twitter" in GUIDE and "crc_token" in GUIDE
    assert "lapor-gateway twitter set-webhook" in GUIDE and "curl -X POST" not in GUIDE
    assert "x-twitter-webhooks-signature" in GUIDE
    assert callable(tweepy.OAuth1UserHandler.get_authorization_url)
    assert callable(tweepy.OAuth1UserHandler.get_access_token)
    assert callable(tweepy.Client.request) and callable(tweepy.Client.get_me)

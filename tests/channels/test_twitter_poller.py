"""The Twitter/X mentions poller against a local stand-in for X's API v2 (recorded pages in
testdata/twitter.json): pages, the Redis cursor (nothing lost, nothing repeated across a
restart or a crash), backlogs, rate limits, and a run through the real intake."""
from __future__ import annotations

import threading
import time

import pytest

from channels.twitter import client as twitter_api
from channels.twitter.poller import RateLimited, TwitterPoller, run_poller
from config.settings import SettingsError
from forwarder.topology import COMPLAINTS, MEDIA, REPLIES
from tests.channels.twitter_support import (ACCOUNT_ID, CREDENTIALS, TABLE, as_dict, door,
                                            environ_for, queued, request_query, x_answer)

PAGE1, PAGE2 = TABLE["mentions_pages"]
EXPECTED = TABLE["mentions_expect"]
EMPTY = {"meta": {"result_count": 0}}
MENTIONS = f"/2/users/{ACCOUNT_ID}/mentions"


@pytest.fixture
def x_api(x_server):
    x_server.requests.clear()
    x_server.responses[:] = []
    x_server.default = x_answer(200, EMPTY)
    return x_server


@pytest.fixture
def environ(environ, x_server):
    environ.update(environ_for(x_server.url), LAPOR_FOLLOWUP_MINUTES="30")
    return environ


@pytest.fixture
def redis_client(redis_url):
    """The store the pollers keep their cursors in."""
    import redis

    from forwarder.store import Store

    return Store(redis.Redis.from_url(redis_url), 8 * 86400, 30 * 86400)


def poller(x_api, redis_client, **kwargs) -> TwitterPoller:
    options = kwargs.pop("options", {})
    return TwitterPoller(door(x_api.url, **options), redis_client, **kwargs)


def mention_requests(x_api) -> list[dict]:
    return [request_query(r) for r in x_api.requests if r["path"].startswith(MENTIONS)]


# ----- poll_once and the cursor ------------------------------------------------------------------
def test_poll_reads_every_page_oldest_first_and_stores_nothing_until_commit(x_api, redis_client):
    x_api.responses = [x_answer(200, PAGE1), x_answer(200, PAGE2)]
    reader = poller(x_api, redis_client)
    found = reader.poll_once()
    assert [as_dict(m) for m in found] == EXPECTED
    first, second = mention_requests(x_api)
    assert "since_id" not in first and first["start_time"].endswith("Z")
    assert first["max_results"] == "100" and "pagination_token" not in first
    assert set(first["expansions"].split(",")) == {"author_id", "attachments.media_keys", "geo.place_id"}
    assert "note_tweet" in first["tweet.fields"] and "variants" in first["media.fields"]
    assert second["pagination_token"] == PAGE1["meta"]["next_token"]
    assert all(r["headers"]["authorization"] == "Bearer " + CREDENTIALS["bearer_token"]
               for r in x_api.requests)
    assert reader.cursor() == {}
    reader.commit()
    assert reader.cursor() == {"since_id": PAGE1["meta"]["newest_id"]}


def test_restart_neither_loses_nor_repeats(x_api, redis_client):
    x_api.responses = [x_answer(200, PAGE1), x_answer(200, PAGE2)]
    first = poller(x_api, redis_client)
    first.poll_once()
    first.commit()
    again = poller(x_api, redis_client)            # a new process: the cursor is in Redis
    assert again.poll_once() == []
    assert mention_requests(x_api)[-1]["since_id"] == PAGE1["meta"]["newest_id"]
    assert "start_time" not in mention_requests(x_api)[-1]


def test_crash_before_commit_reads_the_same_tweets_again(x_api, redis_client):
    x_api.responses = [x_answer(200, PAGE1), x_answer(200, PAGE2)] * 2
    poller(x_api, redis_client).poll_once()         # taken by nobody: the process died
    again = poller(x_api, redis_client).poll_once()
    assert [m.provider_message_id for m in again] == [m["provider_message_id"] for m in EXPECTED]


def test_backlog_over_the_page_limit_is_worked_through_without_a_gap(x_api, redis_client):
    x_api.responses = [x_answer(200, PAGE1), x_answer(200, PAGE2)]
    reader = poller(x_api, redis_client, max_pages=1)
    first = reader.poll_once()
    reader.commit()
    assert reader.cursor() == {"until_id": PAGE1["meta"]["oldest_id"],
                               "pending_newest": PAGE1["meta"]["newest_id"]}
    assert reader.next_delay() == 1.0                # a backlog: poll again soon
    second = reader.poll_once()
    reader.commit()
    assert mention_requests(x_api)[1]["until_id"] == PAGE1["meta"]["oldest_id"]
    assert reader.cursor() == {"since_id": PAGE1["meta"]["newest_id"]}
    taken = sorted(m.provider_message_id for m in first + second)
    assert taken == sorted(m["provider_message_id"] for m in EXPECTED)


def test_rate_limit_in_the_middle_keeps_what_was_read(x_api, redis_client):
    reset = int(time.time()) + 300
    x_api.responses = [x_answer(200, PAGE1), x_answer(429, {"title": "Too Many Requests"}, reset=reset)]
    reader = poller(x_api, redis_client)
    found = reader.poll_once()
    reader.commit()
    assert [m.provider_message_id for m in found] == ["tweet:1861000000000000107", "tweet:1861000000000000110"]
    assert reader.cursor()["until_id"] == PAGE1["meta"]["oldest_id"]
    assert 295 <= reader.next_delay() <= 302          # x-rate-limit-remaining 0: wait for the reset


def test_rate_limit_first_waits_for_the_reset(x_api, redis_client):
    reset = int(time.time()) + 120
    x_api.responses = [x_answer(429, {"title": "Too Many Requests"}, reset=reset)]
    with pytest.raises(RateLimited) as limited:
        poller(x_api, redis_client).poll_once()
    assert 115 <= limited.value.wait <= 122


@pytest.mark.parametrize("remaining,left,expected", [(10, 600, 60.0), (2, 600, 300.0), (0, 100, 101.0),
                                                     (449, 900, 60.0)])
def test_next_poll_fits_the_rate_limit_window(x_api, redis_client, remaining, left, expected):
    now = 1_800_000_000
    x_api.responses = [x_answer(200, EMPTY, reset=now + left, remaining=remaining)]
    reader = poller(x_api, redis_client, clock=lambda: now)
    reader.poll_once()
    assert reader.next_delay() == pytest.approx(expected)


def test_account_id_is_asked_once_when_not_configured(x_api, redis_client):
    x_api.responses = [x_answer(200, {"data": {"id": ACCOUNT_ID, "name": "LAPOR! 1708",
                                               "username": "LAPOR1708"}}), x_answer(200, EMPTY),
                       x_answer(200, EMPTY)]
    reader = poller(x_api, redis_client, options={"account_id": ""})
    reader.poll_once()
    reader.poll_once()
    paths = [r["path"].split("?")[0] for r in x_api.requests]
    assert paths == ["/2/users/me", MENTIONS, MENTIONS]
    assert x_api.requests[0]["headers"]["authorization"].startswith("OAuth ")


def test_without_bearer_token_reads_with_user_context(x_api, redis_client):
    base = door(x_api.url)
    reader = TwitterPoller(type(base)(**{**base.__dict__, "credentials": {
        **base.credentials, "bearer_token": ""}}), redis_client)
    reader.poll_once()
    assert x_api.requests[0]["headers"]["authorization"].startswith("OAuth ")


def test_poller_needs_credentials(redis_client):
    base = door()
    bare = type(base)(**{**base.__dict__, "credentials": {"consumer_secret": "s"}})
    with pytest.raises(SettingsError):
        TwitterPoller(bare, redis_client)
    bearer_only = type(base)(**{**base.__dict__, "options": {"account_id": ""},
                                "credentials": {"bearer_token": "t"}})
    with pytest.raises(SettingsError) as refused:
        TwitterPoller(bearer_only, redis_client)
    assert "account_id" in str(refused.value)


# ----- the loop, through the intake --------------------------------------------------------------
class _Stop(threading.Event):
    """A stop event that records the waits the loop asks for and stops after ``after``."""

    def __init__(self, after: int):
        super().__init__()
        self.after, self.waits = after, []

    def wait(self, timeout=None):
        self.waits.append(timeout)
        if len(self.waits) >= self.after:
            self.set()
        return self.is_set()


def test_run_takes_mentions_through_the_intake_then_moves_the_cursor(x_api, parts):
    x_api.responses = [x_answer(200, PAGE1), x_answer(200, PAGE2)]
    stop = _Stop(after=2)
    TwitterPoller.from_parts(parts, "twitter").run(parts.intake, stop)
    redis_client = parts.store.redis
    bodies = queued(redis_client, COMPLAINTS)
    new = [b for b in bodies if "event_id" not in b]
    events = [b for b in bodies if "event_id" in b]
    # 103 (video) and 104 (photo) are complaints of two reporters; 106 joins 104's complaint
    # as a follow-up, 107 (an edit of 104) is an edit event; 110 is CEK: an answer
    assert sorted(c["provider_message_ids"][0] for c in new) == ["tweet:1861000000000000103",
                                                                  "tweet:1861000000000000104"]
    assert sorted(e["type"] for e in events) == ["edit", "followup"]
    by_id = {c["provider_message_ids"][0]: c for c in new}
    assert {e["complaint_id"] for e in events} == {by_id["tweet:1861000000000000104"]["id"]}
    assert len(queued(redis_client, MEDIA)) == 2
    replies = queued(redis_client, REPLIES)
    assert len(replies) == 5 and all(r["private"] is False for r in replies)
    assert [r["kind"] for r in replies].count("answer") == 1
    cursor = TwitterPoller.from_parts(parts, "twitter").cursor()
    assert cursor == {"since_id": PAGE1["meta"]["newest_id"]}
    assert stop.waits[0] == 60.0                       # poll_interval, no rate headers


def test_run_backs_off_on_refusal_and_errors(x_api, parts, caplog):
    x_api.responses = [x_answer(401, {"title": "Unauthorized", "status": 401}),
                       x_answer(503, {"title": "Service Unavailable"})]
    stop = _Stop(after=2)
    TwitterPoller.from_parts(parts, "twitter").run(parts.intake, stop)
    assert stop.waits[0] >= 300 and 120 <= stop.waits[1] <= 240
    assert "check the credentials" in caplog.text and parts.store.redis.llen(COMPLAINTS) == 0


def test_run_once_for_the_cli(x_api, parts):
    x_api.responses = [x_answer(200, PAGE1), x_answer(200, PAGE2)]
    assert run_poller(parts, "twitter", threading.Event(), once=True) == len(EXPECTED)
    assert run_poller(parts, "twitter", threading.Event(), once=True) == 0
    assert len([b for b in queued(parts.store.redis, COMPLAINTS) if "event_id" not in b]) == 2


def test_from_parts_refuses_other_doors(parts):
    with pytest.raises(SettingsError):
        TwitterPoller.from_parts(parts, "sms-1708")


def test_rate_limit_headers_are_read():
    limit = twitter_api.RateLimit.from_headers({"x-rate-limit-limit": "450",
                                               "x-rate-limit-remaining": "17",
                                               "x-rate-limit-reset": "1795517000"})
    assert (limit.limit, limit.remaining, limit.reset) == (450, 17, 1795517000)
    assert twitter_api.RateLimit.from_headers({}) == twitter_api.RateLimit()

"""The Twitter/X mentions poller: for accounts without Account Activity API access.

Reads the API v2 mentions timeline of the LAPOR account (``GET /2/users/:id/mentions``
through tweepy's ``Client.get_users_mentions``, with the bearer token; OAuth 1.0a user
context when the door has no bearer token) and hands each mention to the intake exactly
as the webhook would (``channels/twitter/payload.py`` ``tweet_v2``: same ``tweet:<id>`` message ids,
so a poller and a webhook on one door deduplicate each other).

Nothing lost, nothing repeated
==============================
The cursor lives in the store (``Store.poller_cursor``): ``since_id`` (newest
tweet fully taken) and, while a backlog is being worked through, ``until_id`` and
``pending_newest``. ``poll_once()`` walks the pages (newest first, ``max_pages`` of 100)
and returns the mentions oldest first, but stores nothing; ``commit()`` stores the new
cursor and is called by ``run`` only after every message of the poll went through the
intake. A crash in between re-reads the same tweets, which the intake's dedup answers as
duplicates. When a poll stops before the last page (page limit, or a 429 in the middle),
the cursor keeps ``since_id`` and records ``until_id`` = the oldest tweet taken, so the next
poll fetches exactly the tweets in between before moving ``since_id`` forward. The very
first poll (no cursor) looks back ``first_poll_hours``. Run one poller per door.

Rate limits
===========
After every poll the next one waits ``poll_interval`` seconds, or longer when the
``x-rate-limit-remaining``/``x-rate-limit-reset`` headers say the window would run out
first (the remaining calls are spread over the time left). A 429 waits until
``x-rate-limit-reset``; 401/403 (credentials or access level) and network or server
errors back off exponentially (401/403 at least 5 minutes).

Door options: ``poll`` (``true``: ``lapor-gateway run``, and the Procfile's ``twitter``
process, ``twitter poll --all``, start a poller for the door), ``account_id`` (else asked
once with ``GET /2/users/me``), ``poll_interval`` [60], ``first_poll_hours`` [24],
``api_base_url``. Sample v2 page::

    {"data": [{"id": "1861000000000000002", "author_id": "98765432", "text": "@LAPOR1708 CEK
      27410935882", "created_at": "2026-11-24T10:42:39.000Z",
      "edit_history_tweet_ids": ["1861000000000000002"]}],
     "includes": {"users": [{"id": "98765432", "name": "Siti", "username": "siti_bdg"}]},
     "meta": {"result_count": 1, "newest_id": "1861000000000000002",
              "oldest_id": "1861000000000000002"}}
"""
from __future__ import annotations

import logging
import random
import threading
import time
from datetime import datetime, timedelta, timezone

import redis
import requests
import tweepy

from channels.twitter import client as api
from channels.twitter import payload as parse_
from normalizer.values import InboundMessage
from config.settings import SettingsError

log = logging.getLogger("lapor.channels.twitter.poller")

EXPANSIONS = ["author_id", "attachments.media_keys", "geo.place_id"]
TWEET_FIELDS = ["created_at", "author_id", "attachments", "entities", "geo", "lang",
                "referenced_tweets", "edit_history_tweet_ids", "note_tweet", "conversation_id"]
MEDIA_FIELDS = ["type", "url", "variants", "preview_image_url"]
USER_FIELDS = ["name", "username"]
PLACE_FIELDS = ["full_name", "geo"]


class RateLimited(Exception):
    """X answered 429 before any tweet was read; ``wait`` seconds until the reset."""

    def __init__(self, wait: float):
        super().__init__(f"rate limited for {wait:.0f}s")
        self.wait = wait


def _models(includes: dict) -> dict:
    """tweepy's includes (Media, User, Place objects) as the raw dicts X sent."""
    return {name: [getattr(entry, "data", entry) for entry in entries]
            for name, entries in (includes or {}).items()}


class TwitterPoller:
    def __init__(self, door, cursors, client: api.XClient | None = None,
                 page_size: int = 100, max_pages: int = 8, clock=time.time):
        self.door = door
        self.cursors = cursors      # the store: poller_cursor / save_poller_cursor
        self.client = client or api.client_for(door)
        self.page_size = page_size
        self.max_pages = max_pages
        self.clock = clock
        self.interval = float(door.options.get("poll_interval") or 60)
        self.lookback = timedelta(hours=float(door.options.get("first_poll_hours") or 24))
        self.user_auth = not door.credentials.get("bearer_token")
        if self.user_auth and not api.can_write(door):
            raise SettingsError(f"door {door.id}: the mentions poller needs bearer_token "
                                "(or the four OAuth 1.0a credentials)")
        self._account_id = str(door.options.get("account_id") or "").strip()
        if not self._account_id and not api.can_write(door):
            raise SettingsError(f"door {door.id}: the mentions poller needs options.account_id "
                                "(or the OAuth 1.0a credentials to look it up)")
        self._pending: dict | None = None

    @classmethod
    def from_parts(cls, parts, door_id: str = "twitter") -> "TwitterPoller":
        door = parts.catalogue.doors.get(door_id)
        if door is None or door.channel != "twitter":
            raise SettingsError(f"no twitter door named {door_id!r}")
        return cls(door, parts.store)

    # ----- state ------------------------------------------------------------------------------
    def cursor(self) -> dict[str, str]:
        return self.cursors.poller_cursor(self.door.id)

    def account_id(self) -> str:
        if not self._account_id:
            me = self.client.get_me(user_auth=True)
            self._account_id = str(me.data.id)
        return self._account_id

    # ----- one poll ---------------------------------------------------------------------------
    def poll_once(self) -> list[InboundMessage]:
        """The new mentions, oldest first; the cursor moves only on ``commit()``."""
        cursor = self.cursor()
        since, until = cursor.get("since_id", ""), cursor.get("until_id", "")
        params = dict(max_results=self.page_size, expansions=EXPANSIONS, tweet_fields=TWEET_FIELDS,
                      media_fields=MEDIA_FIELDS, user_fields=USER_FIELDS, place_fields=PLACE_FIELDS)
        if since:
            params["since_id"] = since
        else:
            params["start_time"] = datetime.fromtimestamp(self.clock(), timezone.utc) - self.lookback
        if until:
            params["until_id"] = until
        account = parse_.Account(id=self.account_id(),
                                 username=str(self.door.options.get("username") or "").lstrip("@"))
        pages, exhausted = self._fetch_pages(account, params)
        found, seen = self._read_pages(pages, account)
        self._pending = self._next_cursor(cursor, seen, exhausted)
        found.sort(key=lambda m: int(m.provider_message_id.removeprefix(parse_.TWEET)))
        return found

    def _fetch_pages(self, account, params: dict) -> tuple[list, bool]:
        """Up to ``max_pages`` pages of mentions, and whether the last one was reached."""
        pages, token = [], None
        for _ in range(self.max_pages):
            try:
                response = self.client.get_users_mentions(
                    account.id, user_auth=self.user_auth, pagination_token=token, **params)
            except tweepy.TooManyRequests as exc:
                if not pages:
                    raise RateLimited(api.retry_after(exc.reset_time, self.clock()) or 60.0) from None
                return pages, False
            pages.append(response)
            token = (response.meta or {}).get("next_token")
            if not token:
                return pages, True
        return pages, False

    def _read_pages(self, pages: list, account) -> tuple[list[InboundMessage], list[int]]:
        """The messages in ``pages``, and the id of every tweet seen (unreadable ones too)."""
        found, seen = [], []
        for response in pages:
            includes = parse_.Includes.of(_models(response.includes))
            for tweet in response.data or []:
                raw = getattr(tweet, "data", tweet)
                try:
                    seen.append(int(parse_.ident(raw.get("id"), "tweet id")))
                    message = parse_.tweet_v2(raw, includes, self.door, account)
                except (parse_.Malformed, TypeError, ValueError, AttributeError) as exc:
                    log.warning("skipped an unreadable mention door=%s: %s", self.door.id, exc)
                    continue
                if message is not None:
                    found.append(message)
        return found, seen

    @staticmethod
    def _next_cursor(cursor: dict, seen: list[int], exhausted: bool) -> dict:
        """Exhausted: since_id = the newest tweet ever seen. Stopped early: keep since_id,
        remember the oldest tweet taken (until_id) and the newest (pending_newest)."""
        since = cursor.get("since_id", "")
        newest = max([int(i) for i in (since, cursor.get("pending_newest", "")) if i] + seen,
                     default=0)
        if exhausted:
            return {"since_id": str(newest)} if newest else {}
        if not seen:
            return dict(cursor)
        state = {"until_id": str(min(seen)), "pending_newest": str(newest)}
        return {**state, "since_id": since} if since else state

    def commit(self) -> None:
        """Store the cursor of the last poll: call once all its messages were taken."""
        if self._pending is None:
            return
        self.cursors.save_poller_cursor(self.door.id, self._pending)
        self._pending = None

    def next_delay(self) -> float:
        """Seconds to the next poll: the interval, stretched to fit the rate-limit window;
        short while a backlog is being worked through."""
        base = 1.0 if self.cursor().get("until_id") else self.interval
        rate = self.client.rate
        if rate.remaining is None or rate.reset is None:
            return base
        left = max(0.0, rate.reset - self.clock())
        if rate.remaining == 0:
            return max(base, left + 1)
        return max(base, left / rate.remaining)

    # ----- the loop ---------------------------------------------------------------------------
    def run(self, intake, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; every mention goes through ``intake.receive`` (which
        queues the reply) before the cursor moves."""
        adapter = intake.adapters[self.door.id]
        failures = 0
        log.info("twitter poller started door=%s", self.door.id)
        while not stop.is_set():
            try:
                for message in self.poll_once():
                    intake.receive(adapter, message)
                self.commit()
                failures, delay = 0, self.next_delay()
            except RateLimited as exc:
                failures, delay = 0, exc.wait
                log.warning("x rate limit reached door=%s: waiting %.0fs", self.door.id, delay)
            except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
                failures += 1
                delay = max(300.0, self._backoff(failures))
                log.error("x refused the mentions timeline door=%s (%s): check the credentials "
                          "and the access level; retry in %.0fs", self.door.id,
                          exc.response.status_code, delay)
            except (tweepy.TweepyException, requests.RequestException, redis.RedisError) as exc:
                failures += 1
                delay = self._backoff(failures)
                log.warning("mentions poll failed door=%s (%s); retry in %.1fs", self.door.id,
                            type(exc).__name__, delay)
            stop.wait(delay)
        log.info("twitter poller stopped door=%s", self.door.id)

    def _backoff(self, failures: int) -> float:
        ceiling = min(900.0, self.interval * 2 ** min(failures, 10))
        return random.uniform(ceiling / 2, ceiling)


def wants_poller(door) -> bool:
    """Whether a door asks for the mentions poller: ``"options": {"poll": true}`` (or a
    ``LAPOR_`` variable holding ``1``/``true``/``yes``/``on``)."""
    value = door.options.get("poll")
    return value is True or str(value or "").strip().lower() in ("1", "true", "yes", "on")


def polled_doors(catalogue) -> list[str]:
    """The ids of the X doors whose options ask for the mentions poller."""
    return [door.id for door in catalogue.doors.values()
            if door.channel == "twitter" and wants_poller(door)]


def run_pollers(parts, door_ids: list[str], stop: threading.Event) -> None:
    """One poller per door, each in its own thread, until ``stop`` is set. Every poller is
    built first, so a door's configuration error stops the start (SettingsError)."""
    pollers = [TwitterPoller.from_parts(parts, door_id) for door_id in door_ids]
    threads = [threading.Thread(target=poller.run, args=(parts.intake, stop), daemon=True,
                                name=f"twitter-poller-{poller.door.id}") for poller in pollers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_poller(parts, door_id: str, stop: threading.Event, once: bool = False) -> int:
    """What ``lapor-gateway twitter poll`` runs: the number of mentions taken when ``once``."""
    poller = TwitterPoller.from_parts(parts, door_id)
    if not once:
        poller.run(parts.intake, stop)
        return 0
    adapter = parts.adapters[door_id]
    found = poller.poll_once()
    for message in found:
        parts.intake.receive(adapter, message)
    poller.commit()
    return len(found)

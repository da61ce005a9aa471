"""The store of record in Redis: dedup keys, the ledger, public status, reply routes and
scheduled retries; the queue alone is not the record. Keys: ``forwarder.keys``; Lua:
``forwarder/lua``; its parts: ``store_replies``, ``store_officers`` (and the audit stream),
``store_metrics``, ``store_complaints`` (the desk's complaint page), ``store_links``,
``store_sla``, ``store_stats``, ``store_agency``, ``store_deliveries``, ``store_aliases``,
``store_jobs`` (the replies and media jobs not done yet), ``store_intake`` (the intake scripts'
answers, and ``WAIT`` behind them: LAPOR_REDIS_WAIT_REPLICAS). Only these talk to Redis
(kombu's queues and recovery's leases aside). ``accept`` writes dedup, ledger, status,
route, pending, the reminders and the "me too" entry in one Lua round trip, and on a
same-Redis broker the queue message too (``forwarder.queue``): the ledger and the queue in
one atomic step.
"""
from __future__ import annotations

import json
import time

import redis

from forwarder import keys, scripts, store_client, store_intake, topology
from forwarder.store_complaints import ComplaintRecords
from forwarder.store_deliveries import Deliveries
from forwarder.store_officers import AuditRecords, OfficerRecords
from forwarder.store_agency import LISTING_SECONDS, ApiKeyRecords, Listing
from forwarder.store_aliases import NumberAliases
from forwarder.store_checks import durability_problems
from forwarder.store_links import LinkIndex
from forwarder.store_rates import RateCounts
from forwarder.store_jobs import PendingComplaints, PendingJobs, job_key, reply_key
from forwarder.store_metrics import Observations
from forwarder.store_intake import (AcceptResult, NotReplicated, Recorded, ReplicaWait,  # noqa: F401 - re-exported
                                    Replicas, id_and_tracking)
from forwarder.store_replies import ReplyRecords
from forwarder.store_sla import SlaSchedule, reminder_args
from forwarder.store_stats import PublicStatsRecords, accept_part

ROUTE_EXTRA_SECONDS = 90 * 86400    # a reply route outlives the complaint body by this much


PUBLISH_ARITY = {"lpush": 2, "pexpire": 2, "hset": 3, "zadd": 3}   # lua/common.lua's too


def _commands(publish: list[tuple] | None) -> list:
    """kombu's prepared queue commands and the job records beside them, flat."""
    flat = []
    for command in publish or ():
        if PUBLISH_ARITY.get(command[0]) != len(command) - 1:
            raise ValueError(f"unsupported publish command {command[0]!r}")
        flat.extend(command)
    return flat


def _decoded(raw: dict) -> dict:
    return {k.decode(): v.decode() for k, v in raw.items()}


class Store:
    """Everything the gateway keeps in Redis."""

    def __init__(self, client: redis.Redis, dedup_ttl_seconds: int, retention_seconds: int,
                 link_window_seconds: int = 30 * 86400, wait: ReplicaWait = ReplicaWait(),
                 record_jobs: bool = True):
        self.redis = client
        self.replicas = Replicas(wait)      # WAIT after an intake write (``store_intake``)
        self.dedup_ttl = dedup_ttl_seconds
        self.retention = max(retention_seconds, 1)
        self._accept = scripts.register(client, "accept")
        self._accept_event = scripts.register(client, "accept_event")
        self._take_due = scripts.register(client, "take_due")
        self._status_update = scripts.register(client, "status_update")
        self.replies = ReplyRecords(client, self.retention)
        self.deliveries = Deliveries(client, self.retention)   # the forwarder's ledger, batched
        self.links = LinkIndex(client, link_window_seconds)
        self.sla = SlaSchedule(client)
        self.complaints = ComplaintRecords(client, self.replies)
        self.aliases = NumberAliases(client)   # numbers told before a spooled copy's replay
        self.reply_jobs = PendingJobs(client, "reply", reply_key, record_jobs)
        self.media_jobs = PendingJobs(client, "media", job_key, record_jobs)
        self.complaint_jobs = PendingComplaints(client, self.deliveries)   # the ledger's view
        self.public_stats = PublicStatsRecords(client)
        self.officers, self.audit = OfficerRecords(client), AuditRecords(client)
        self.observations = Observations(client)     # request latencies, worker heartbeats
        self.api_keys, self.listing = ApiKeyRecords(client), Listing(client)
        self.rates = RateCounts(client)           # the rate limits' windows (gateway.limits)

    @classmethod
    def from_url(cls, url: str, settings) -> "Store":
        """``url``: ``redis://``, ``unix://`` or ``sentinel://`` (``forwarder.store_client``)."""
        return cls(store_client.connect(url), settings.dedup_ttl_days * 86400,
                   settings.retention_days * 86400, settings.link_window_days * 86400,
                   ReplicaWait(settings.redis_wait_replicas, settings.redis_wait_ms),
                   record_jobs=not topology.is_amqp(settings.broker_url))

    def ping(self) -> bool:
        return bool(self.redis.ping())
    # ----- intake -------------------------------------------------------------------
    def accept(self, complaint: dict, dedup_id: str, handle: str,
               publish: list[tuple] | None = None, serialized: str = "",
               open_key: str = "", window: int = 0, join_open: bool = False,
               reply_to: str = "", public: bool = False, fingerprint: str = "",
               listed: dict | None = None, link=None) -> Recorded:
        """Record a new complaint (``forwarder/lua/accept.lua``); see ``AcceptResult``.

        ``publish``: the Redis commands from ``Publisher.prepare`` (queued in the same step);
        ``fingerprint``: a client-chosen id's body hash (another body: CONFLICT);
        ``open_key``/``window``: the reporter's open-complaint key, set for ``window``
        seconds on a new complaint; ``join_open``: check it first (follow-ups allowed);
        ``listed``: what Open311 lists of it (``forwarder.store_agency``), None: unlisted;
        ``link``: its "me too" index entry (``normalizer.linking.Fingerprint``), if any."""
        cid, tracking, now = complaint["id"], complaint["tracking_number"], time.time()
        day_key, counted = accept_part(complaint)        # the public statistics' counters
        script_keys = [keys.dedup(dedup_id), keys.tracking_owner(tracking), keys.ledger(cid),
                       keys.status(tracking), keys.PENDING, keys.route(cid), keys.STATS,
                       open_key or keys.NO_OPEN, keys.rate(open_key), day_key, keys.LISTING,
                       keys.listed(tracking) if listed is not None else keys.NO_LISTING, keys.SLA,
                       *self.links.entry_keys(link)]
        args = ["1" if dedup_id else "0", cid, tracking, self.dedup_ttl, now,
                complaint["door"], serialized or json.dumps(complaint, ensure_ascii=False),
                complaint["classification"], complaint["received_at"],
                complaint["service_level"]["due_date"], handle,
                self.retention + ROUTE_EXTRA_SECONDS, "1" if open_key and join_open else "0",
                complaint["reporter"]["kind"], window if open_key else 0, reply_to,
                "1" if public else "0", fingerprint, complaint.get("language") or "id",
                *counted, json.dumps(listed) if listed is not None else "", LISTING_SECONDS,
                *reminder_args(complaint), *self.links.entry_args(link, now),
                *_commands(publish)]
        return self.replicas.run(self.redis, self._accept, script_keys, args)

    def accept_event(self, event: dict, dedup_id: str, open_key: str, window: int,
                     publish: list[tuple] | None = None, serialized: str = "",
                     confirmed: bool = False) -> Recorded:
        """Record a follow-up/edit/media event of a complaint (ledger kind ``event``,
        ``forwarder/lua/accept_event.lua``): ACCEPTED or DUPLICATE, complaint id, number.
        ``confirmed``: a citizen's message, WAITed for like ``accept``."""
        parent = f"{event['complaint_id']}|{event['tracking_number']}"
        script_keys = [keys.dedup(dedup_id), keys.ledger(event["event_id"]), keys.PENDING,
                       keys.STATS, open_key, keys.rate(open_key), keys.events(event["complaint_id"])]
        args = ["1" if dedup_id else "0", event["event_id"], parent, self.dedup_ttl,
                event["door"], time.time(), serialized or json.dumps(event, ensure_ascii=False),
                window, event["type"], self.retention + ROUTE_EXTRA_SECONDS, *_commands(publish)]
        return self.replicas.run(self.redis, self._accept_event, script_keys, args, confirmed)

    def confirm_recorded(self, door: str) -> None:
        """A complaint found recorded already (a spool replay): ``WAIT`` until a replica has
        it too, counted as a duplicate (``NotReplicated`` when fewer replicas than asked)."""
        store_intake.confirm(self.redis, keys.STATS, f"duplicate|{door}", self.replicas.wait)

    def find_duplicate(self, dedup_id: str) -> tuple[str, str] | None:
        value = self.redis.get(keys.dedup(dedup_id))
        return id_and_tracking(value.decode()) if value else None

    def tracking_owner(self, tracking: str) -> str | None:
        """The id of the complaint that holds ``tracking`` (None when no complaint does)."""
        owner = self.redis.get(keys.tracking_owner(tracking))
        return owner.decode() if owner is not None else None

    # ----- ledger -------------------------------------------------------------------
    def ledger(self, cid: str) -> dict:
        return _decoded(self.redis.hgetall(keys.ledger(cid)))

    def ledger_states(self, ids) -> dict[str, int]:
        """How many of ``ids`` the ledger holds in each state ('missing' when absent)."""
        counts: dict[str, int] = {}
        ids = list(ids)
        for start in range(0, len(ids), 1000):
            pipe = self.redis.pipeline()
            for cid in ids[start:start + 1000]:
                pipe.hget(keys.ledger(cid), "state")
            for state in pipe.execute():
                name = state.decode() if state else "missing"
                counts[name] = counts.get(name, 0) + 1
        return counts

    def complaint(self, cid: str) -> dict | None:
        raw = self.redis.hget(keys.ledger(cid), "complaint")
        return json.loads(raw) if raw else None

    def count_attempt(self, cid: str, door: str, error: str) -> int:
        pipe = self.redis.pipeline()
        pipe.hincrby(keys.ledger(cid), "attempts", 1)
        pipe.hset(keys.ledger(cid), "last_error", error[:300])
        pipe.hincrby(keys.STATS, f"retried|{door}", 1)
        return int(pipe.execute()[0])

    def count(self, event: str, door: str) -> None:
        self.redis.hincrby(keys.STATS, f"{event}|{door}", 1)
    def stats(self) -> dict[tuple[str, str], int]:
        return {tuple(k.decode().split("|", 1)): int(v)
                for k, v in self.redis.hgetall(keys.STATS).items()}

    def queue_depths(self) -> dict[str, int]:
        """Scheduled retries and undelivered complaints (for /metrics and /readyz)."""
        pipe = self.redis.pipeline()
        pipe.zcard(keys.PENDING)
        pipe.zcard(keys.retry("complaint"))
        pipe.zcard(keys.retry("reply"))
        pending, retry_complaints, retry_replies = pipe.execute()
        return {"pending": pending, "retry_complaint": retry_complaints, "retry_reply": retry_replies}

    def mark_delivered(self, cid: str, tracking: str, door: str, now: str) -> None:
        self.deliveries.delivered([(cid, tracking, door)], now)

    def mark_dead(self, cid: str, reason: str, door: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hincrby(keys.STATS, f"dead|{door}", 1)
        pipe.hset(keys.ledger(cid), mapping={"state": "dead", "last_error": reason[:300]})
        pipe.zrem(keys.PENDING, cid)
        pipe.execute()

    def mark_replayed(self, cid: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(keys.ledger(cid), mapping={"state": "accepted", "attempts": 0})
        pipe.persist(keys.ledger(cid))
        pipe.zadd(keys.PENDING, {cid: time.time()})
        pipe.execute()

    # ----- public status ----------------------------------------------------------------
    def status(self, tracking: str) -> dict | None:
        return _decoded(self.redis.hgetall(keys.status(tracking))) or None

    def update_status(self, tracking: str, fields: dict) -> bool:
        """Apply a status change from the central system (``lua/status_update.lua``: the
        public statistics' counters move with it); False if the number is unknown."""
        pairs = [item for pair in fields.items() for item in pair]
        found = bool(self._status_update(keys=[keys.status(tracking)],
                                         args=[time.time(), keys.STATS_DAY, keys.STATS_WAIT, *pairs]))
        self._confirm("status")         # the citizen is told of it next
        return found

    def first_callback(self, replay_key: str, ttl: int) -> bool:
        """Remember a central callback for ``ttl`` seconds; False when it was seen already."""
        return bool(self.redis.set(keys.callback(replay_key), 1, nx=True, ex=ttl))

    def forget_callback(self, replay_key: str) -> None:
        """A callback the store could not apply: its very bytes may come again."""
        self.redis.delete(keys.callback(replay_key))
    # ----- reporters ----------------------------------------------------------------------
    @staticmethod
    def open_key(door: str, pseudonym: str) -> str:
        return keys.open_complaint(door, pseudonym)


    def set_opt_out(self, door: str, pseudonym: str, out: bool) -> None:
        if out:
            self.redis.set(keys.opt_out(door, pseudonym), time.time())
        else:
            self.redis.delete(keys.opt_out(door, pseudonym))
        self._confirm("opt_out")        # the citizen is told of it next

    def _confirm(self, what: str) -> None:
        """With ``LAPOR_REDIS_WAIT_REPLICAS``: ``WAIT`` for a write just made that a citizen
        is told of (a status, an opt-out), so a failover cannot undo what they were told;
        ``NotReplicated`` (a ``RedisError``: the caller answers 503, the sender retries)."""
        store_intake.confirm(self.redis, keys.CONFIRMS, what, self.replicas.wait)

    def opted_out(self, door: str, pseudonym: str) -> bool:
        return bool(self.redis.exists(keys.opt_out(door, pseudonym)))

    def route(self, cid: str) -> dict:
        return _decoded(self.redis.hgetall(keys.route(cid)))

    # ----- scheduled retries ----------------------------------------------------------------
    def schedule(self, kind: str, payload: str, delay: float) -> None:
        """Try ``payload`` (a complaint id, a reply JSON) again after ``delay`` seconds; a
        reply's or media job's record is dated then: no look takes it for lost meanwhile."""
        due = time.time() + delay
        self.redis.zadd(keys.retry(kind), {payload: due})
        jobs = {"reply": self.reply_jobs, "media": self.media_jobs}.get(kind)
        if jobs is not None:
            jobs.touch([jobs.key_of(json.loads(payload))], at=due)

    def take_due(self, kind: str, limit: int = 200) -> list[str]:
        """Remove and return the payloads of ``kind`` whose time has come."""
        return [i.decode() for i in self._take_due(keys=[keys.retry(kind)], args=[time.time(), limit])]

    def is_scheduled(self, kind: str, payload: str) -> bool:
        return self.redis.zscore(keys.retry(kind), payload) is not None
    def scheduled(self, kind: str) -> int:
        return int(self.redis.zcard(keys.retry(kind)))

    # ----- pollers ------------------------------------------------------------------------
    def poller_cursor(self, door_id: str) -> dict[str, str]:
        """Where a door's mentions poller stopped (empty before its first poll)."""
        return _decoded(self.redis.hgetall(keys.poller_cursor(door_id)))

    def save_poller_cursor(self, door_id: str, cursor: dict[str, str]) -> None:
        """Replace the door's poller cursor with ``cursor``, in one transaction."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(keys.poller_cursor(door_id))
        if cursor:
            pipe.hset(keys.poller_cursor(door_id), mapping=cursor)
        pipe.execute()

    # ----- start-up checks ----------------------------------------------------------------
    def check_durability(self) -> list[str]:
        """Problems with this Redis as a store of record (empty when fine)."""
        return durability_problems(self.redis)

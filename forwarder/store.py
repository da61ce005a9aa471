"""The store of record in Redis: dedup keys, the ledger, public status, reply routes and
scheduled retries. The queue alone is not the record; this is.

Keys (prefix ``lapor:``)::

    dedup:<door>:<provider id>  -> "<id>|<tracking>[|<fingerprint>]"  TTL LAPOR_DEDUP_TTL_DAYS
                  (fingerprint: keyed hash of a client-chosen id's request body; the same
                  id with another body is a CONFLICT, never a duplicate)
    c:<id>        hash  state accepted|delivered|dead, attempts, tracking, door, kind
                        (absent: complaint; "event": a follow-up, with parent "<id>|<tracking>"),
                        accepted_at, last_error, complaint (JSON; expires after delivery
                        plus LAPOR_RETENTION_DAYS)
    t:<tracking>  -> <id>
    s:<tracking>  hash  public status: status, classification, door, received_at,
                        due_date, agency, updated_at (nothing personal)
    route:<id>    hash  door, handle, kind, reply_to, public, lang: where and how to notify the
                        reporter (personal; retention)
    open:<door>:<pseudonym>  -> "<id>|<tracking>": the reporter's open complaint, for
                        LAPOR_FOLLOWUP_MINUTES; the next message joins it as an event
    optout:<door>:<pseudonym>  present: no status notices to this reporter (STOP / MULAI)
    rate:<door>:<pseudonym>    messages in the current minute (flood detection)
    pending       zset  id -> accepted time, until delivered or dead (the reconciler's list)
    retry:<kind>  zset  payload (complaint id, reply JSON) -> when to try again
    stats         hash  "<event>|<door>" -> count (accepted, duplicate, delivered, retried,
                        dead): shared by every process, read by /metrics

``accept`` does dedup, ledger, status, route and pending in one Lua script: one round trip;
when the broker is this same Redis, the script also pushes the queue message (see
``forwarder.queue``), so the ledger and the queue are written in one atomic step.
"""
from __future__ import annotations

import json
import time
from typing import NamedTuple

import redis

P = "lapor:"
PENDING = P + "pending"
RETRY = P + "retry"
STATS = P + "stats"

# Shared by both intake scripts (prepended to each).
_FUNCTIONS = """
-- messages this reporter sent on this door in the current minute (flood detection)
local function count_recent(key)
  if key == '' then return 0 end
  local recent = redis.call('INCR', key)
  if recent == 1 then redis.call('EXPIRE', key, 60) end
  return recent
end
-- same-Redis broker: run the queue commands kombu prepared, in this same atomic step;
-- ARGV[at] is how many, then (name, key, argument) triples
local function publish(at)
  for i = 0, tonumber(ARGV[at]) - 1 do
    local name, key, arg = ARGV[at + 1 + i * 3], ARGV[at + 2 + i * 3], ARGV[at + 3 + i * 3]
    if name == 'lpush' then redis.call('LPUSH', key, arg)
    elseif name == 'pexpire' then redis.call('PEXPIRE', key, arg)
    else return redis.error_reply('unsupported publish command ' .. name) end
  end
  return nil
end
"""

_ACCEPT = _FUNCTIONS + """
local dedup = KEYS[1]
local fingerprint = ARGV[19 + tonumber(ARGV[13]) * 3]
if ARGV[1] == '1' then
  local existing = redis.call('GET', dedup)
  if existing then
    local kept = string.match(existing, '^[^|]*|[^|]*|(.+)$')
    if fingerprint ~= '' and kept and kept ~= fingerprint then return {4, existing} end
    redis.call('HINCRBY', KEYS[7], 'duplicate|' .. ARGV[6], 1)
    return {0, existing}
  end
end
if ARGV[14 + tonumber(ARGV[13]) * 3] == '1' then
  local open = redis.call('GET', KEYS[8])
  if open then return {3, open} end
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {2, ''} end
local value = ARGV[2] .. '|' .. ARGV[3]
if ARGV[1] == '1' then
  local kept = value
  if fingerprint ~= '' then kept = value .. '|' .. fingerprint end
  redis.call('SET', dedup, kept, 'EX', ARGV[4])
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], 'state', 'accepted', 'attempts', 0, 'tracking', ARGV[3],
           'door', ARGV[6], 'accepted_at', ARGV[5], 'complaint', ARGV[7])
redis.call('HSET', KEYS[4], 'status', 'diterima', 'classification', ARGV[8], 'door', ARGV[6],
           'received_at', ARGV[9], 'due_date', ARGV[10], 'agency', '', 'updated_at', ARGV[9],
           'id', ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[2])
redis.call('HINCRBY', KEYS[7], 'accepted|' .. ARGV[6], 1)
local recent = count_recent(KEYS[9])
local failed = publish(13)
if failed then return failed end
if ARGV[11] ~= '' then
  redis.call('HSET', KEYS[6], 'door', ARGV[6], 'handle', ARGV[11],
             'kind', ARGV[15 + tonumber(ARGV[13]) * 3],
             'reply_to', ARGV[17 + tonumber(ARGV[13]) * 3],
             'public', ARGV[18 + tonumber(ARGV[13]) * 3],
             'lang', ARGV[20 + tonumber(ARGV[13]) * 3])
  redis.call('EXPIRE', KEYS[6], ARGV[12])
  local window = tonumber(ARGV[16 + tonumber(ARGV[13]) * 3])
  if window > 0 then redis.call('SET', KEYS[8], value, 'EX', window) end
end
return {1, value, recent}
"""

_ACCEPT_EVENT = _FUNCTIONS + """
if ARGV[1] == '1' then
  local existing = redis.call('GET', KEYS[1])
  if existing then
    redis.call('HINCRBY', KEYS[4], 'duplicate|' .. ARGV[5], 1)
    return {0, existing}
  end
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
end
redis.call('HSET', KEYS[2], 'state', 'accepted', 'attempts', 0, 'kind', 'event',
           'parent', ARGV[3], 'door', ARGV[5], 'accepted_at', ARGV[6], 'complaint', ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[2])
redis.call('HINCRBY', KEYS[4], ARGV[9] .. '|' .. ARGV[5], 1)
if tonumber(ARGV[8]) > 0 and KEYS[5] ~= '' then redis.call('EXPIRE', KEYS[5], ARGV[8]) end
local recent = count_recent(KEYS[6])
local failed = publish(10)
if failed then return failed end
return {1, ARGV[3], recent}
"""

_FORWARDED = """
if redis.call('HGET', KEYS[1], 'status') == 'diterima' then
  redis.call('HSET', KEYS[1], 'status', 'diteruskan', 'updated_at', ARGV[1])
end
"""

_TAKE_DUE = """
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #items > 0 then redis.call('ZREM', KEYS[1], unpack(items)) end
return items
"""

ACCEPTED, DUPLICATE, COLLISION, FOLLOWUP, CONFLICT = 1, 0, 2, 3, 4


class Accepted(NamedTuple):
    """What the intake scripts answer: the code, the complaint's id and tracking number
    (the original's for a duplicate, the open one's for a follow-up) and how many messages
    this reporter sent on this door in the current minute (0 unless recorded)."""
    code: int
    id: str
    tracking: str
    recent: int = 0


def _result(reply) -> Accepted:
    code, value, *recent = reply
    value = value.decode() if isinstance(value, bytes) else value
    cid, tracking = _id_and_tracking(value)
    return Accepted(int(code), cid, tracking, int(recent[0]) if recent else 0)


def _id_and_tracking(value: str) -> tuple[str, str]:
    """A dedup value ``<id>|<tracking>[|<fingerprint>]`` -> (id, tracking)."""
    cid, _, rest = value.partition("|")
    return cid, rest.partition("|")[0]


def _commands(publish: list[tuple] | None) -> list:
    flat = []
    for command in publish or ():
        if len(command) != 3:
            raise ValueError(f"unsupported publish command {command[0]!r}")
        flat.extend(command)
    return flat


class Store:
    """Everything the gateway keeps in Redis."""

    def __init__(self, client: redis.Redis, dedup_ttl_seconds: int, retention_seconds: int):
        self.redis = client
        self.dedup_ttl = dedup_ttl_seconds
        self.retention = max(retention_seconds, 1)
        self._accept = client.register_script(_ACCEPT)
        self._accept_event = client.register_script(_ACCEPT_EVENT)
        self._take_due = client.register_script(_TAKE_DUE)

    @classmethod
    def from_url(cls, url: str, settings) -> "Store":
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5,
                                      health_check_interval=30)
        return cls(client, settings.dedup_ttl_days * 86400, settings.retention_days * 86400)

    # ----- intake -------------------------------------------------------------------
    def accept(self, complaint: dict, dedup_id: str, handle: str,
               publish: list[tuple] | None = None, serialized: str = "",
               open_key: str = "", window: int = 0, join_open: bool = False,
               reply_to: str = "", public: bool = False, fingerprint: str = "") -> Accepted:
        """Record a new complaint. Returns (code, id, tracking):

        ACCEPTED: recorded (and queued when ``publish`` holds the Redis commands from
        ``Publisher.prepare``); DUPLICATE: this provider message was seen, the original's id
        and tracking number; CONFLICT: this id was seen with another ``fingerprint`` (a
        client-chosen id reused for a different body: nothing written, the original's id
        and tracking number); FOLLOWUP: ``open_key`` names an open complaint of this reporter
        (its id and tracking number), nothing was written; COLLISION: tracking number taken.
        ``open_key``/``window``: the reporter's open-complaint key, set for ``window``
        seconds on a new complaint; ``join_open``: check it first (follow-ups allowed)."""
        cid, tracking = complaint["id"], complaint["tracking_number"]
        keys = [P + "dedup:" + dedup_id if dedup_id else P + "dedup:-", P + "t:" + tracking,
                P + "c:" + cid, P + "s:" + tracking, PENDING, P + "route:" + cid, STATS,
                open_key or P + "open:-", self.rate_key(open_key)]
        commands = _commands(publish)
        args = ["1" if dedup_id else "0", cid, tracking, self.dedup_ttl, time.time(),
                complaint["door"], serialized or json.dumps(complaint, ensure_ascii=False),
                complaint["classification"], complaint["received_at"],
                complaint["service_level"]["due_date"], handle, self.retention + 90 * 86400,
                len(commands) // 3, *commands,
                "1" if open_key and join_open else "0", complaint["reporter"]["kind"],
                window if open_key else 0, reply_to, "1" if public else "0", fingerprint,
                complaint.get("language") or "id"]
        return _result(self._accept(keys=keys, args=args))

    def accept_event(self, event: dict, dedup_id: str, open_key: str, window: int,
                     publish: list[tuple] | None = None, serialized: str = "") -> Accepted:
        """Record a follow-up/edit/media event of a complaint (ledger kind ``event``).
        Returns (ACCEPTED|DUPLICATE, complaint id, tracking number)."""
        commands = _commands(publish)
        parent = f"{event['complaint_id']}|{event['tracking_number']}"
        keys = [P + "dedup:" + dedup_id if dedup_id else P + "dedup:-", P + "c:" + event["event_id"],
                PENDING, STATS, open_key, self.rate_key(open_key)]
        args = ["1" if dedup_id else "0", event["event_id"], parent, self.dedup_ttl,
                event["door"], time.time(), serialized or json.dumps(event, ensure_ascii=False),
                window, event["type"], len(commands) // 3, *commands]
        return _result(self._accept_event(keys=keys, args=args))

    def find_duplicate(self, dedup_id: str) -> tuple[str, str] | None:
        value = self.redis.get(P + "dedup:" + dedup_id)
        if not value:
            return None
        return _id_and_tracking(value.decode())

    # ----- ledger -------------------------------------------------------------------
    def ledger(self, cid: str) -> dict:
        raw = self.redis.hgetall(P + "c:" + cid)
        return {k.decode(): v.decode() for k, v in raw.items()}

    def complaint(self, cid: str) -> dict | None:
        raw = self.redis.hget(P + "c:" + cid, "complaint")
        return json.loads(raw) if raw else None

    def count_attempt(self, cid: str, door: str, error: str) -> int:
        pipe = self.redis.pipeline()
        pipe.hincrby(P + "c:" + cid, "attempts", 1)
        pipe.hset(P + "c:" + cid, "last_error", error[:300])
        pipe.hincrby(STATS, f"retried|{door}", 1)
        return int(pipe.execute()[0])

    def count(self, event: str, door: str) -> None:
        self.redis.hincrby(STATS, f"{event}|{door}", 1)

    def stats(self) -> dict[tuple[str, str], int]:
        return {tuple(k.decode().split("|", 1)): int(v) for k, v in self.redis.hgetall(STATS).items()}

    def queue_depths(self) -> dict[str, int]:
        """Scheduled retries and undelivered complaints (for /metrics and /readyz)."""
        pipe = self.redis.pipeline()
        pipe.zcard(PENDING)
        pipe.zcard(RETRY + ":complaint")
        pipe.zcard(RETRY + ":reply")
        pending, retry_complaints, retry_replies = pipe.execute()
        return {"pending": pending, "retry_complaint": retry_complaints, "retry_reply": retry_replies}

    def mark_delivered(self, cid: str, tracking: str, door: str, now: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hincrby(STATS, f"delivered|{door}", 1)
        pipe.hset(P + "c:" + cid, mapping={"state": "delivered", "last_error": ""})
        pipe.expire(P + "c:" + cid, self.retention)
        pipe.zrem(PENDING, cid)
        if tracking:   # a complaint, not an event: its public status moves on, never back
            pipe.eval(_FORWARDED, 1, P + "s:" + tracking, now)
        pipe.execute()

    def mark_dead(self, cid: str, reason: str, door: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hincrby(STATS, f"dead|{door}", 1)
        pipe.hset(P + "c:" + cid, mapping={"state": "dead", "last_error": reason[:300]})
        pipe.zrem(PENDING, cid)
        pipe.execute()

    def mark_replayed(self, cid: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(P + "c:" + cid, mapping={"state": "accepted", "attempts": 0})
        pipe.persist(P + "c:" + cid)
        pipe.zadd(PENDING, {cid: time.time()})
        pipe.execute()

    def stale_pending(self, older_than: float, limit: int = 500) -> list[str]:
        """Accepted complaints not delivered after ``older_than`` seconds (reconciler)."""
        ids = self.redis.zrangebyscore(PENDING, "-inf", time.time() - older_than, 0, limit)
        return [i.decode() for i in ids]

    def touch_pending(self, cid: str) -> None:
        self.redis.zadd(PENDING, {cid: time.time()}, xx=True)

    # ----- public status ----------------------------------------------------------------
    def status(self, tracking: str) -> dict | None:
        raw = self.redis.hgetall(P + "s:" + tracking)
        return {k.decode(): v.decode() for k, v in raw.items()} or None

    def update_status(self, tracking: str, fields: dict) -> bool:
        """Apply a status change from the central system; False if the number is unknown."""
        key = P + "s:" + tracking
        pipe = self.redis.pipeline()
        pipe.exists(key)
        pipe.hset(key, mapping=fields)
        exists, _ = pipe.execute()
        if not exists:
            self.redis.delete(key)
        return bool(exists)

    @staticmethod
    def open_key(door: str, pseudonym: str) -> str:
        return f"{P}open:{door}:{pseudonym}"

    @staticmethod
    def rate_key(open_key: str) -> str:
        """Messages this reporter sent on this door in the current minute."""
        return open_key.replace(f"{P}open:", f"{P}rate:", 1) if open_key else ""

    def set_opt_out(self, door: str, pseudonym: str, out: bool) -> None:
        key = f"{P}optout:{door}:{pseudonym}"
        if out:
            self.redis.set(key, time.time())
        else:
            self.redis.delete(key)

    def opted_out(self, door: str, pseudonym: str) -> bool:
        return bool(self.redis.exists(f"{P}optout:{door}:{pseudonym}"))

    def route(self, cid: str) -> dict:
        raw = self.redis.hgetall(P + "route:" + cid)
        return {k.decode(): v.decode() for k, v in raw.items()}

    # ----- scheduled retries ----------------------------------------------------------------
    def schedule(self, kind: str, payload: str, delay: float) -> None:
        """Try ``payload`` (a complaint id, a reply JSON) again after ``delay`` seconds."""
        self.redis.zadd(f"{RETRY}:{kind}", {payload: time.time() + delay})

    def take_due(self, kind: str, limit: int = 200) -> list[str]:
        """Remove and return the payloads of ``kind`` whose time has come."""
        items = self._take_due(keys=[f"{RETRY}:{kind}"], args=[time.time(), limit])
        return [i.decode() for i in items]

    def is_scheduled(self, kind: str, payload: str) -> bool:
        return self.redis.zscore(f"{RETRY}:{kind}", payload) is not None

    def scheduled(self, kind: str) -> int:
        return int(self.redis.zcard(f"{RETRY}:{kind}"))

    # ----- start-up checks ----------------------------------------------------------------
    def check_durability(self) -> list[str]:
        """Problems with this Redis as a store of record (empty when fine)."""
        problems = []
        config = {}
        for name in ("maxmemory-policy", "appendonly"):
            try:
                config.update(self.redis.config_get(name))
            except redis.ResponseError:
                return ["CONFIG GET is not allowed; cannot check maxmemory-policy and appendonly"]
        if config.get("maxmemory-policy") != "noeviction":
            problems.append(f"Redis maxmemory-policy is {config.get('maxmemory-policy')!r}; "
                            "it must be 'noeviction' or queued complaints can vanish")
        if config.get("appendonly") != "yes":
            problems.append("Redis appendonly is off; turn AOF on (appendfsync everysec or always)")
        return problems

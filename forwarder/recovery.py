"""What a dead consumer held, back on its queue within seconds (Redis broker).

kombu's Redis transport keeps every delivered, unacknowledged message in an "unacked" hash
until the consumer acknowledges it, and puts it back on its queue only after
``visibility_timeout`` (one hour). A consumer killed (``kill -9``, out of memory, a lost
machine) would strand what it held for that hour. So every consumer connection keeps its
own hash and holds a lease in the broker's Redis::

    lapor:held:<consumer id>          hash   kombu's unacked messages of this consumer
    lapor:held:<consumer id>:index    zset   (kombu's index and mutex beside it)
    lapor:consumer:<consumer id>      string the lease: expires LEASE_SECONDS after the
                                             last heartbeat (a thread, every LEASE_SECONDS/4)
    lapor:consumers                   zset   consumer id -> last heartbeat

``sweep`` (every worker runs it at start and every SWEEP_EVERY seconds) restores, onto
their queues, the messages of every consumer whose lease expired, then forgets it. Only a
dead consumer's messages come back: a backlog waiting in a queue is never touched, a live
consumer's messages stay with it. Two sweepers at once are safe: kombu restores each
message in a Redis transaction on the hash, so each is put back once.

kombu takes a message with BRPOP and writes it to the hash just after: a consumer killed in
between took a message that is in neither. ``LostJobs`` puts such a message back: every
complaint, reply and media job is on record until its worker is done with it (the ledger,
``forwarder.store_jobs``), and the sweeps count the consumers they find dead
(``lapor:consumers:deaths``) so that every worker looks, with ``present_keys`` (the
idempotency keys of every message in the queues and in every consumer's hash), for the
records that are nowhere: never one that is waiting in a queue.

RabbitMQ needs none of this: the broker returns a consumer's unacknowledged messages to
the queue as soon as its connection closes (the kernel closes a killed process's socket).
Settings: none; LEASE_SECONDS and SWEEP_EVERY bound the recovery to about 20 seconds.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid

import redis

from forwarder import keys, scripts, topology

log = logging.getLogger("lapor.recovery")
HELD, LEASE, CONSUMERS, DEATHS = keys.HELD, keys.LEASE, keys.CONSUMERS, keys.DEATHS
LEASE_SECONDS = 15
SWEEP_EVERY = 5.0
LEGACY_HELD = "unacked"      # kombu's default hash (``dead list``, consumers before leases)
RECONCILE_EVERY = 30.0       # seconds between two looks for lost replies or media jobs
PRESENCE_SCAN_LIMIT = 100_000  # past this many messages waiting, the look waits for the backlog
PRESENCE_CHUNK = 1_000       # messages of a queue read at once by a look
CONFIRM_SECONDS = 5.0        # a job found nowhere goes back only if still nowhere after this


class Lease:
    """One consumer connection's identity, hash name and heartbeat."""

    def __init__(self):
        self.id = uuid.uuid4().hex
        self.held_key = HELD + self.id
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: redis.Redis | None = None

    def start(self, channel) -> None:
        """Take the lease (in the broker's Redis, through ``channel``'s pool) and keep it."""
        self._client = redis.Redis(connection_pool=channel.pool)
        self.renew()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self._thread.start()

    def renew(self) -> None:
        pipe = self._client.pipeline()
        pipe.set(LEASE + self.id, 1, ex=LEASE_SECONDS)
        pipe.zadd(CONSUMERS, {self.id: time.time()})
        pipe.execute()

    def _beat(self) -> None:
        while not self._stopped.wait(LEASE_SECONDS / 4):
            try:
                self.renew()
            except redis.RedisError as exc:
                log.warning("lease heartbeat failed (%s)", type(exc).__name__)

    def stop(self, release: bool = False) -> None:
        """Stop the heartbeat; ``release`` (a clean stop): give the lease up now and, with
        nothing held, leave the registry (anything still held is restored by a sweep)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5)
        if release and self._client is not None:
            try:
                self._client.eval(scripts.source("lease_release"), 5, LEASE + self.id,
                                  self.held_key, CONSUMERS, self.held_key + ":index",
                                  self.held_key + ":mutex", self.id)
            except redis.RedisError:
                pass                 # the lease expires by itself


def sweep(channel, broker_url: str) -> tuple[int, int]:
    """Restore the messages of every consumer whose lease expired and forget it.
    Returns (dead consumers found, messages restored)."""
    with channel.conn_or_acquire() as client:
        registered = [raw.decode() for raw in client.zrange(CONSUMERS, 0, -1)]
        dead = [cid for cid in registered if not client.exists(LEASE + cid)]
        restored = 0
        for cid in dead:
            restored += _restore(client, broker_url, HELD + cid)
            client.eval(scripts.source("lease_forget"), 6, LEASE + cid, HELD + cid, CONSUMERS,
                        HELD + cid + ":index", HELD + cid + ":mutex", DEATHS, cid)
        if client.exists(LEGACY_HELD):   # what kombu itself would restore after the hour
            with topology.connect(broker_url) as connection:
                topology.EXCHANGE(connection.default_channel).declare()
                connection.default_channel.qos.restore_visible(num=1000, interval=1)
    if restored:
        log.warning("restored %d message(s) held by %d dead consumer(s)", restored, len(dead))
    return len(dead), restored


def _restore(client, broker_url: str, held_key: str) -> int:
    tags = client.hkeys(held_key)
    if not tags:
        return 0
    with topology.connect(broker_url, held_key) as connection:
        channel = connection.default_channel
        topology.EXCHANGE(channel).declare()      # kombu routes a restored message by it
        qos = channel.qos                         # kombu's, bound to that hash
        for tag in tags:
            qos.restore_by_tag(tag.decode(), client)
    return len(tags)


def present_keys(channel, queue_names) -> set[str]:
    """Idempotency keys of every message waiting in ``queue_names`` or held by any
    consumer (the queues are read first: a message moves from a queue to a hash)."""
    keys: set[str] = set()
    with channel.conn_or_acquire() as client:
        for name in queue_names:
            keys.update(_queued_keys(client, name))
        held = [HELD + raw.decode() for raw in client.zrange(CONSUMERS, 0, -1)] + [LEGACY_HELD]
        for name in held:
            for raw in client.hvals(name):
                try:
                    keys.add(_key(json.loads(raw)[0]))
                except (ValueError, TypeError, IndexError):
                    continue
    keys.discard("")
    return keys


def _queued_keys(client, name: str):
    """The idempotency keys waiting in queue ``name``, read PRESENCE_CHUNK at a time (a
    backlog's bodies are never all in memory at once). Nothing is skipped while the queue
    moves: kombu pushes on the left, which only moves what is unread to a higher index, and
    takes from the right, into a consumer's hash (read after the queues)."""
    start = 0
    while True:
        chunk = client.lrange(name, start, start + PRESENCE_CHUNK - 1)
        yield from (_key(raw) for raw in chunk)
        if len(chunk) < PRESENCE_CHUNK:
            return
        start += PRESENCE_CHUNK


def _key(envelope) -> str:
    """The idempotency key of one kombu message (raw JSON or already decoded)."""
    try:
        message = json.loads(envelope) if isinstance(envelope, (bytes, str)) else envelope
        return str((message.get("headers") or {}).get("idempotency_key") or "")
    except (ValueError, AttributeError):
        return ""


class LostJobs:
    """Puts back on its queue a complaint, reply or media job lost on its way to its worker
    (Redis broker: taken by ``BRPOP`` in the instant before a worker was killed, before kombu
    backed it up). A job of ``jobs`` (``forwarder.store_jobs``) not done, in none of
    ``queue_names``, no consumer's hash and not scheduled for a retry, in two looks
    CONFIRM_SECONDS apart, goes back through ``republish(job)``. One look is not enough:
    kombu keeps a ``BRPOP`` waiting on a live consumer's connection, and the job it takes
    sits in that socket, in no queue and no hash, until the consumer reads it into its hash
    a moment later (a job restored by a sweep is taken that way at once). The looks:

    * after a consumer was found dead (``after_sweep``: any worker's sweep counts the deaths
      in DEATHS), and once when the worker starts: the jobs older than half a lease (what a
      dead consumer took, it took before its lease ran out), so a killed worker's lost job
      is back within about 25 seconds;
    * with ``periodic``, every RECONCILE_EVERY seconds (``tick``), the jobs older than
      LAPOR_RECONCILE_AFTER_SECONDS: the last resort (the forwarder has its own reconciler
      for complaints, on either broker);
    * CONFIRM_SECONDS after a look that found a job nowhere (``tick``), the same look again.

    While more than PRESENCE_SCAN_LIMIT messages wait in the queues a look is put off: they
    are read in full to tell what is present, and a backlog's jobs are not lost."""

    def __init__(self, jobs, queue_names: tuple[str, ...], republish, settings,
                 periodic: bool = True):
        self.jobs = jobs
        self.queue_names = queue_names
        self.republish = republish
        self.settings = settings
        self.periodic = periodic
        self.last = 0.0
        self._deaths = None       # DEATHS when last looked (None: not yet, this process)
        self.suspects: dict[str, float] = {}   # job key -> when first found nowhere
        self._suspects_age = 0.0  # the age the look that found the suspects looked past

    def tick(self) -> None:
        if topology.is_amqp(self.settings.broker_url):
            return
        now = time.monotonic()
        if self.suspects:                 # the confirming look first, with the same age
            if now < min(self.suspects.values()) + CONFIRM_SECONDS:
                return
            older_than = self._suspects_age
        elif self.periodic and now - self.last >= RECONCILE_EVERY:
            self.last, older_than = now, self.settings.reconcile_after_seconds
        else:
            return
        with topology.connect(self.settings.broker_url) as connection:
            self.run(older_than, connection.default_channel)

    def after_sweep(self, channel) -> None:
        with channel.conn_or_acquire() as client:
            deaths = int(client.get(DEATHS) or 0)
        if deaths != self._deaths:
            self._deaths = deaths
            self.run(LEASE_SECONDS / 2, channel)

    def run(self, older_than: float, channel) -> int:
        """Look once: put back the jobs found nowhere now and in a look at least
        CONFIRM_SECONDS before; how many."""
        if not self.jobs.stale(older_than, limit=1):
            self.suspects.clear()
            return 0
        with channel.conn_or_acquire() as client:
            waiting = sum(client.llen(name) for name in self.queue_names)
        if waiting > PRESENCE_SCAN_LIMIT:   # no confirming look either until the next one
            log.info("%s reconciler put off: %d waiting", self.jobs.kind, waiting)
            self.suspects.clear()
            return 0
        present = present_keys(channel, self.queue_names)
        now, suspects, lost = time.monotonic(), {}, []
        # the stale read after the queues: one done meanwhile is gone
        self.jobs.walk_stale(older_than, lambda stale: self._look_at(stale, present, now, suspects, lost))
        self.suspects, self._suspects_age = suspects, older_than
        if lost:
            log.warning("%s reconciler put back %d job(s)", self.jobs.kind, len(lost))
        return len(lost)

    def _look_at(self, stale: list[str], present: set[str], now: float, suspects: dict,
                 lost: list[str]) -> int:
        """One slice of the stale jobs: put back (and add to ``lost``) those found nowhere in
        this look and the one before, add the others found nowhere to ``suspects``; how
        many it dated anew (seen waiting, or put back)."""
        seen = [key for key in stale if key in present]
        confirmed = []
        for key, job in self.jobs.lost([key for key in stale if key not in present]):
            first = self.suspects.get(key, now)
            if now - first < CONFIRM_SECONDS:
                suspects[key] = first
            else:
                confirmed.append((key, job))
        put_back = []
        for key, job in self.jobs.unscheduled(confirmed):
            self.republish(job)
            put_back.append(key)
        self.jobs.touch(seen + put_back)
        lost.extend(put_back)
        return len(seen) + len(put_back)

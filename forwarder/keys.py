"""Every Redis key of the store of record, built here and nowhere else (prefix ``lapor:``).

Only the store (``forwarder.store`` and its ``store_*`` parts) reads or writes them; the
queue keys belong to kombu (``forwarder.queue``), and the consumer leases (below, last) to
``forwarder.recovery``, which keeps them on the broker's Redis beside kombu's own.

::

    dedup:<door>:<keyed provider id>  -> "<id>|<tracking>[|<fingerprint>]"  TTL LAPOR_DEDUP_TTL_DAYS
                  (fingerprint: keyed hash of a client-chosen id's request body; the same
                  id with another body is a CONFLICT, never a duplicate)
    c:<id>        hash  state accepted|delivered|dead, attempts, tracking, door, kind
                        (absent: complaint; "event": a follow-up, with parent "<id>|<tracking>"),
                        accepted_at, last_error, complaint (JSON; expires after delivery
                        plus LAPOR_RETENTION_DAYS)
    t:<tracking>  -> <id>
    events:<id>   list  the complaint's events' ids, in order (follow-ups, edits, media,
                        reply states; ``lua/accept_event.lua``), for the desk's complaint
                        page; kept as long as the reply route
    s:<tracking>  hash  public status: status, classification, door, received_at,
                        due_date, agency, updated_at, id (nothing personal); note and
                        service_level from the central system; link (the "me too" region);
                        for the public statistics: stats_day, received_ts, first_change_at
    stats:day:<YYYY-MM-DD>   hash  counters of the complaints received that day (WIB) for
                        /statistik (``normalizer.public_stats``); expires after the window
    stats:wait:<YYYY-MM-DD>  list  seconds each of that day's complaints waited for its first
                        status change; expires with the day's counters
    route:<id>    hash  door, handle, kind, reply_to, public, lang: where and how to notify the
                        reporter (personal; retention)
    open:<door>:<pseudonym>  -> "<id>|<tracking>": the reporter's open complaint, for
                        LAPOR_FOLLOWUP_MINUTES; the next message joins it as an event
    optout:<door>:<pseudonym>  present: no status notices to this reporter (STOP / MULAI)
    rate:<door>:<pseudonym>    messages in the current minute (flood detection)
    pending       zset  id -> accepted time, until delivered or dead (the reconciler's list)
    retry:<kind>  zset  payload (complaint id, reply JSON) -> when to try again
    jobs:<kind>   hash  reply id, or "<complaint id>:<index>" of a media job -> the reply or
                        job not done yet (kind: reply, media)
    jobs:<kind>:since  zset  the same key -> when it was queued (``forwarder.store_jobs``)
    stats         hash  "<event>|<door>" -> count (accepted, duplicate, delivered, retried,
                        dead): shared by every process, read by /metrics
    reply:<reply id>   hash  a reply's delivery state (``forwarder.delivery``)
    replyref:<door>:<provider id>  -> reply id
    replies:<id>  hash  reply id -> JSON of the complaint's replies' latest states
    reply_stats   hash  "<state>|<door>" -> count
    callback:<replay key>      a central status callback already applied (replay guard)
    lsh:<region>:<band>:<hash>  zset  tracking -> accepted time: one LSH bucket of the "me too"
                        index (``normalizer.linking``); expires LAPOR_LINK_WINDOW_DAYS after
                        its last entry, entries older than that are dropped as new ones come
    lshsig:<region>    hash  tracking -> MinHash signature (256 bytes) of the region's open
                        complaints (same expiry; a finished complaint's is removed)
    sla           zset  "<tracking>|yellow" / "<tracking>|red" -> the instant the complaint
                        turns that colour (``forwarder.sla``); a claimed entry is pushed a
                        lease ahead until its reminder is recorded
    twitter:<door>:cursor      hash  the X mentions poller's cursor
    officer:<username>  hash  an officer's account (``forwarder.store_officers``): username,
                        agency, role, password (argon2id hash), disabled, generation,
                        totp_secret, totp_last, created_at
    officers      set   every officer's username
    rl:<scope>:<who>:<amount>/<seconds>  requests in the current fixed window of a rate
                        limit (``gateway.limits``; who: a keyed pseudonym of the client
                        address or of the contact); expires when the window ends
    login:fail:<username>  failed logins in the current window (expires with it)
    login:lock:<username>  present: the account is locked (expires when the lock ends)
    audit         stream  officers' actions (``forwarder.store_officers``), XADD MAXLEN ~
                        LAPOR_AUDIT_MAX_ENTRIES
    latency       hash  "<route>|<door>|<bucket>" -> requests, "<route>|<door>|sum" -> seconds
                        (``forwarder.store_metrics``, read by /metrics)
    heartbeats    hash  worker name -> unix time of its last tick
    apikey:<key id>  hash  an agency API key: agency, door, created_at, last_used,
                        revoked_at, sha256 (of the whole key; the key itself is never kept)
    apikeys       set   every key id (for ``keys list``)
    listing       zset  tracking number -> received time: the complaints Open311 lists
                        (those that came in through ``POST /open311/v2/requests``)
    listed:<tracking>  -> JSON {service_code, address, lat, long}: what Open311 shows of
                        a listed complaint besides its public status (nothing personal)
"""
from __future__ import annotations

PREFIX = "lapor:"
PENDING = PREFIX + "pending"
STATS = PREFIX + "stats"
REPLY_STATS = PREFIX + "reply_stats"
LATENCY = PREFIX + "latency"
HEARTBEATS = PREFIX + "heartbeats"
STATS_DAY = PREFIX + "stats:day:"     # + ISO date; the status scripts add the day themselves
STATS_WAIT = PREFIX + "stats:wait:"
NO_DEDUP = PREFIX + "dedup:-"     # a placeholder KEYS entry when a message has no id
NO_OPEN = PREFIX + "open:-"       # a placeholder KEYS entry when a reporter has no handle
NO_LISTING = PREFIX + "listed:-"  # a placeholder KEYS entry when a complaint is not listed
API_KEYS = PREFIX + "apikeys"
LISTING = PREFIX + "listing"
NO_LINK = PREFIX + "lshsig:-"     # a placeholder KEYS entry when a complaint is not indexed
SLA = PREFIX + "sla"
CONFIRMS = PREFIX + "confirms"    # a counter written before WAIT (store_intake.confirm)
PROVIDER_REF_CHARS = 200          # a provider's reply id is cut to this in its key

# The consumer leases on the broker's Redis (``forwarder.recovery`` documents them).
HELD = PREFIX + "held:"                 # + consumer id: kombu's unacked messages of a consumer
LEASE = PREFIX + "consumer:"            # + consumer id: the lease
CONSUMERS = PREFIX + "consumers"        # consumer id -> last heartbeat
DEATHS = PREFIX + "consumers:deaths"    # how many consumers were found dead, ever


OFFICERS = PREFIX + "officers"
AUDIT = PREFIX + "audit"


def officer(username: str) -> str:
    return PREFIX + "officer:" + username


def rate_window(name: str) -> str:
    return PREFIX + "rl:" + name


def login_failures(username: str) -> str:
    return PREFIX + "login:fail:" + username


def login_lock(username: str) -> str:
    return PREFIX + "login:lock:" + username


def dedup(dedup_id: str) -> str:
    return PREFIX + "dedup:" + dedup_id if dedup_id else NO_DEDUP


def ledger(cid: str) -> str:
    return PREFIX + "c:" + cid


def events(cid: str) -> str:
    """A complaint's events' ids, in order (``lua/accept_event.lua``; the desk reads it)."""
    return PREFIX + "events:" + cid


def tracking_owner(tracking: str) -> str:
    return PREFIX + "t:" + tracking


def status(tracking: str) -> str:
    return PREFIX + "s:" + tracking


def stats_day(day: str) -> str:
    """The public statistics' counters of the complaints received on ``day`` (ISO date)."""
    return STATS_DAY + day


def stats_wait(day: str) -> str:
    return STATS_WAIT + day


def route(cid: str) -> str:
    return PREFIX + "route:" + cid


def open_complaint(door: str, pseudonym: str) -> str:
    return f"{PREFIX}open:{door}:{pseudonym}"


def rate(open_key: str) -> str:
    """Messages this reporter sent on this door in the current minute ('' without a reporter)."""
    return open_key.replace(f"{PREFIX}open:", f"{PREFIX}rate:", 1) if open_key else ""


def opt_out(door: str, pseudonym: str) -> str:
    return f"{PREFIX}optout:{door}:{pseudonym}"


def retry(kind: str) -> str:
    return f"{PREFIX}retry:{kind}"


def jobs(kind: str) -> str:
    return PREFIX + "jobs:" + kind


def jobs_since(kind: str) -> str:
    return PREFIX + "jobs:" + kind + ":since"


def reply(rid: str) -> str:
    return PREFIX + "reply:" + rid


def reply_ref(door_id: str, provider_ref: str) -> str:
    return f"{PREFIX}replyref:{door_id}:{provider_ref[:PROVIDER_REF_CHARS]}"


def replies(cid: str) -> str:
    return PREFIX + "replies:" + cid if cid else ""


def callback(replay_key: str) -> str:
    return f"{PREFIX}callback:{replay_key}"


def link_bucket(region: str, band: str) -> str:
    return f"{PREFIX}lsh:{region}:{band}"


def link_signatures(region: str) -> str:
    return f"{PREFIX}lshsig:{region}" if region else NO_LINK


def poller_cursor(door_id: str) -> str:
    return f"{PREFIX}twitter:{door_id}:cursor"


def api_key(key_id: str) -> str:
    return PREFIX + "apikey:" + key_id


def listed(tracking: str) -> str:
    return PREFIX + "listed:" + tracking

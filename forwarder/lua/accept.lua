-- Record a new complaint: dedup, ledger, public status, route, pending, stats, its
-- service-level reminders and its "me too" index entry, and (on a same-Redis broker) its
-- queue message, in one atomic step. forwarder.store.Store.accept.
local dedup_key = KEYS[1]      -- dedup:<door>:<keyed provider id> (or the placeholder)
local owner_key = KEYS[2]      -- t:<tracking>: who holds this tracking number
local ledger_key = KEYS[3]     -- c:<id>
local status_key = KEYS[4]     -- s:<tracking>
local pending_key = KEYS[5]    -- pending
local route_key = KEYS[6]      -- route:<id>
local stats_key = KEYS[7]      -- stats
local open_key = KEYS[8]       -- open:<door>:<pseudonym> (or the placeholder)
local rate_key = KEYS[9]       -- rate:<door>:<pseudonym> ('' without a reporter)
local day_key = KEYS[10]       -- stats:day:<day>: the public statistics' counters
local listing_key = KEYS[11]   -- listing: what Open311 lists (zset)
local listed_key = KEYS[12]    -- listed:<tracking> (or the placeholder when not listed)
local sla_key = KEYS[13]       -- sla: "<tracking>|<colour>" -> when it turns that colour
local sig_key = KEYS[14]       -- lshsig:<region> (or the placeholder): the region's signatures
local BUCKETS_FROM = 15        -- then lsh:<region>:<band>:<hash>, one per band (none: not indexed)

local has_dedup = ARGV[1] == '1'     -- the message has a provider id
local id = ARGV[2]
local tracking = ARGV[3]
local dedup_ttl = ARGV[4]            -- seconds
local now = ARGV[5]                  -- epoch seconds (pending score)
local door = ARGV[6]
local complaint = ARGV[7]            -- the Complaint v1 JSON
local classification = ARGV[8]
local received_at = ARGV[9]
local due_date = ARGV[10]
local handle = ARGV[11]              -- the reporter's address on the door ('' when none)
local route_ttl = ARGV[12]           -- seconds
local join_open = ARGV[13] == '1'    -- a follow-up may join the reporter's open complaint
local reporter_kind = ARGV[14]
local window = tonumber(ARGV[15])    -- seconds the open complaint stays open (0: never)
local reply_to = ARGV[16]            -- the provider message id to answer
local public = ARGV[17]              -- '1': the reporter chose a public complaint
local fingerprint = ARGV[18]         -- keyed hash of a client-chosen id's body ('' when none)
local lang = ARGV[19]                -- the reporter's language for later notices (id, en)
local stats_day = ARGV[20]           -- the day it counts for ('' : not counted)
local channel = ARGV[21]
local province = ARGV[22]            -- location.region.province or 'unknown'
local service_class = ARGV[23]
local stats_expire_at = ARGV[24]     -- epoch seconds: the day leaves the window
local received_ts = ARGV[25]         -- epoch seconds of received_at
local listed = ARGV[26]              -- JSON of what Open311 shows ('' when not listed)
local listing_ttl = ARGV[27]         -- seconds a listing entry is kept
local yellow_at = ARGV[28]           -- epoch seconds it turns yellow ('' : no reminders)
local red_at = ARGV[29]              -- epoch seconds it turns red
local signature = ARGV[30]           -- MinHash signature for the "me too" index ('' : none)
local link_since = ARGV[31]          -- entries older than this (epoch seconds) are dropped
local link_ttl = ARGV[32]            -- seconds an index key outlives its last entry
local region = ARGV[33]              -- the region the index entry is kept under
local PUBLISH_FROM = 34              -- then the queue commands (lua/common.lua: publish)

if has_dedup then
  local existing = redis.call('GET', dedup_key)
  if existing then
    local kept = string.match(existing, '^[^|]*|[^|]*|(.+)$')
    if fingerprint ~= '' and kept and kept ~= fingerprint then return {4, existing} end
    redis.call('HINCRBY', stats_key, 'duplicate|' .. door, 1)
    return {0, existing}
  end
end
if join_open then
  local open = redis.call('GET', open_key)
  -- the open complaint may be this very one, should this script run twice for it (a
  -- client that resends after a lost answer); the owner check below answers it then
  if open and string.sub(open, 1, #id + 1) ~= id .. '|' then return {3, open} end
end
if redis.call('EXISTS', owner_key) == 1 then return {2, ''} end
local value = id .. '|' .. tracking
if has_dedup then
  local kept = value
  if fingerprint ~= '' then kept = value .. '|' .. fingerprint end
  redis.call('SET', dedup_key, kept, 'EX', dedup_ttl)
end
redis.call('SET', owner_key, id)
redis.call('HSET', ledger_key, 'state', 'accepted', 'attempts', 0, 'tracking', tracking,
           'door', door, 'accepted_at', now, 'complaint', complaint)
redis.call('HSET', status_key, 'status', 'diterima', 'classification', classification,
           'door', door, 'received_at', received_at, 'due_date', due_date, 'agency', '',
           'updated_at', received_at, 'id', id)
redis.call('ZADD', pending_key, now, id)
if listed ~= '' then
  redis.call('ZADD', listing_key, received_ts, tracking)
  redis.call('SET', listed_key, listed, 'EX', listing_ttl)
  redis.call('ZREMRANGEBYSCORE', listing_key, '-inf', tonumber(received_ts) - tonumber(listing_ttl))
end
redis.call('HINCRBY', stats_key, 'accepted|' .. door, 1)
local recent = count_recent(rate_key)
local failed = publish(PUBLISH_FROM)
if failed then return failed end
if handle ~= '' then
  redis.call('HSET', route_key, 'door', door, 'handle', handle, 'kind', reporter_kind,
             'reply_to', reply_to, 'public', public, 'lang', lang)
  redis.call('EXPIRE', route_key, route_ttl)
  if window > 0 then redis.call('SET', open_key, value, 'EX', window) end
end
-- the reminders and the "me too" entry are a help: whatever fails there (pcall), the
-- complaint above is recorded and queued all the same
local function remind_and_index()
  if yellow_at ~= '' then
    redis.call('ZADD', sla_key, yellow_at, tracking .. '|yellow', red_at, tracking .. '|red')
  end
  if signature == '' then return end
  for i = BUCKETS_FROM, #KEYS do
    local stale = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', link_since, 'LIMIT', 0, 200)
    if #stale > 0 then
      redis.call('ZREM', KEYS[i], unpack(stale))
      redis.call('HDEL', sig_key, unpack(stale))
    end
    redis.call('ZADD', KEYS[i], now, tracking)
    redis.call('EXPIRE', KEYS[i], link_ttl)
  end
  redis.call('HSET', sig_key, tracking, signature)
  redis.call('EXPIRE', sig_key, link_ttl)
  redis.call('HSET', status_key, 'link', region)
end
pcall(remind_and_index)
-- the public statistics' counters (normalizer.public_stats) are a help: whatever fails
-- there (pcall), the complaint above is recorded and queued all the same
local function count_for_statistics()
  if stats_day == '' then return end
  redis.call('HSET', status_key, 'stats_day', stats_day, 'received_ts', received_ts,
             'service_level', service_class)
  for _, field in ipairs({'total', 'channel|' .. channel, 'classification|' .. classification,
                          'province|' .. province, 'status|diterima',
                          'open|' .. service_class .. '|' .. due_date}) do
    redis.call('HINCRBY', day_key, field, 1)
  end
  redis.call('EXPIREAT', day_key, stats_expire_at)
end
pcall(count_for_statistics)
return {1, value, recent}

-- Record a follow-up, edit, media or reply-status event of a complaint (ledger kind
-- "event"), and (on a same-Redis broker) its queue message. forwarder.store.Store.accept_event.
local dedup_key = KEYS[1]      -- dedup:<door>:<keyed provider id> (or the placeholder)
local ledger_key = KEYS[2]     -- c:<event id>
local pending_key = KEYS[3]    -- pending
local stats_key = KEYS[4]      -- stats
local open_key = KEYS[5]       -- open:<door>:<pseudonym>: kept open a while longer ('' when none)
local rate_key = KEYS[6]       -- rate:<door>:<pseudonym> ('' without a reporter)
local events_key = KEYS[7]     -- events:<complaint id>: its events' ids, in order (the desk's page)

local has_dedup = ARGV[1] == '1'     -- the message has a provider id
local event_id = ARGV[2]
local parent = ARGV[3]               -- "<complaint id>|<tracking>"
local dedup_ttl = ARGV[4]            -- seconds
local door = ARGV[5]
local now = ARGV[6]                  -- epoch seconds (pending score)
local event = ARGV[7]                -- the event JSON
local window = tonumber(ARGV[8])     -- seconds the open complaint stays open (0: leave it)
local event_type = ARGV[9]           -- followup, edit, media, reply_status (the stats event)
local events_ttl = ARGV[10]          -- seconds the events' index is kept (the retention)
local PUBLISH_FROM = 11              -- then the queue commands (lua/common.lua: publish)

if has_dedup then
  local existing = redis.call('GET', dedup_key)
  if existing then
    redis.call('HINCRBY', stats_key, 'duplicate|' .. door, 1)
    return {0, existing}
  end
  redis.call('SET', dedup_key, parent, 'EX', dedup_ttl)
end
redis.call('HSET', ledger_key, 'state', 'accepted', 'attempts', 0, 'kind', 'event',
           'parent', parent, 'door', door, 'accepted_at', now, 'complaint', event)
redis.call('ZADD', pending_key, now, event_id)
redis.call('RPUSH', events_key, event_id)
redis.call('EXPIRE', events_key, events_ttl)
redis.call('HINCRBY', stats_key, event_type .. '|' .. door, 1)
if window > 0 and open_key ~= '' then redis.call('EXPIRE', open_key, window) end
local recent = count_recent(rate_key)
local failed = publish(PUBLISH_FROM)
if failed then return failed end
return {1, parent, recent}

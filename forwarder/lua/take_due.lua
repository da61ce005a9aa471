-- Remove and return the scheduled retries whose time has come. forwarder.store.Store.take_due.
local retry_key = KEYS[1]      -- retry:<kind>
local now = ARGV[1]            -- epoch seconds
local limit = ARGV[2]          -- at most this many

local items = redis.call('ZRANGEBYSCORE', retry_key, '-inf', now, 'LIMIT', 0, limit)
if #items > 0 then redis.call('ZREM', retry_key, unpack(items)) end
return items

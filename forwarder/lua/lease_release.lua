-- A clean stop: give the lease up; with nothing held, leave the registry too (no death).
-- forwarder.recovery.Lease.stop.
local lease_key = KEYS[1]      -- consumer:<consumer id>
local held_key = KEYS[2]       -- held:<consumer id>: kombu's unacked messages
local consumers_key = KEYS[3]  -- consumers: consumer id -> last heartbeat
local index_key = KEYS[4]      -- held:<consumer id>:index (kombu's)
local mutex_key = KEYS[5]      -- held:<consumer id>:mutex (kombu's)

local consumer = ARGV[1]

redis.call('DEL', lease_key)
if redis.call('HLEN', held_key) == 0 then
  redis.call('ZREM', consumers_key, consumer)
  redis.call('DEL', index_key, mutex_key)
end
return 1

-- Forget a consumer once its lease is gone and nothing is left in its hash; count its death
-- for every worker's look for what it took unbacked (forwarder.recovery.LostJobs), whichever
-- worker swept it. forwarder.recovery.sweep.
local lease_key = KEYS[1]      -- consumer:<consumer id>
local held_key = KEYS[2]       -- held:<consumer id>: kombu's unacked messages
local consumers_key = KEYS[3]  -- consumers: consumer id -> last heartbeat
local index_key = KEYS[4]      -- held:<consumer id>:index (kombu's)
local mutex_key = KEYS[5]      -- held:<consumer id>:mutex (kombu's)
local deaths_key = KEYS[6]     -- consumers:deaths: how many consumers were found dead

local consumer = ARGV[1]

if redis.call('EXISTS', lease_key) == 1 or redis.call('HLEN', held_key) > 0 then return 0 end
if redis.call('ZREM', consumers_key, consumer) == 1 then
  redis.call('INCR', deaths_key)
end
redis.call('DEL', held_key, index_key, mutex_key)
return 1

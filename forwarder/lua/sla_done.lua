-- A claimed reminder is recorded: remove it, unless it was moved meanwhile (reclassified:
-- its score is no longer the claim's). forwarder.store_sla.SlaSchedule.done.
local sla_key = KEYS[1]        -- sla
local member = ARGV[1]         -- "<tracking>|<colour>"
local claim = ARGV[2]          -- the score the claim gave it

local score = redis.call('ZSCORE', sla_key, member)
if score and tonumber(score) == tonumber(claim) then
  redis.call('ZREM', sla_key, member)
  return 1
end
return 0

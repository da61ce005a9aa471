-- Claim the service-level reminders whose instant has come: each is pushed a lease ahead
-- (another worker takes it only if this one dies before it is recorded) and returned with
-- its new score. forwarder.store_sla.SlaSchedule.claim.
local sla_key = KEYS[1]        -- sla: "<tracking>|<colour>" -> instant

local now = tonumber(ARGV[1])  -- epoch seconds (the caller's clock)
local lease = tonumber(ARGV[2])
local limit = ARGV[3]

local due = redis.call('ZRANGEBYSCORE', sla_key, '-inf', now, 'LIMIT', 0, limit)
local held_until = math.floor(now) + lease     -- whole seconds: compared exactly in sla_done
local claimed = {}
for _, member in ipairs(due) do
  redis.call('ZADD', sla_key, held_until, member)
  claimed[#claimed + 1] = member
  claimed[#claimed + 1] = tostring(held_until)
end
return claimed

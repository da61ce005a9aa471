-- A failed login (forwarder.store_officers.OfficerRecords.failed): count it and lock the
-- account when the count reaches the limit, in one step (two attempts at once never both
-- slip under it). Returns {failures, locked (1/0)}.
local failures_key = KEYS[1]    -- login:fail:<username>, expires with the window
local lock_key = KEYS[2]        -- login:lock:<username>, present while locked
local limit = tonumber(ARGV[1]) -- failures that lock
local window = ARGV[2]          -- the counting window and the lock, in milliseconds

local failures = redis.call('INCR', failures_key)
if failures == 1 then
  redis.call('PEXPIRE', failures_key, window)
end
if failures >= limit then
  redis.call('SET', lock_key, '1', 'PX', window)
  redis.call('DEL', failures_key)
  return {failures, 1}
end
return {failures, 0}

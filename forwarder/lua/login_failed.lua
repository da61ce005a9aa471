-- A failed login (forwarder.store_officers.OfficerRecords.failed): count it and lock the
-- account when the count reaches the limit, in one step (two attempts at once never both
-- slip under it).
-- KEYS[1] login:fail:<username>   KEYS[2] login:lock:<username>
-- ARGV[1] the limit   ARGV[2] the window and the lock, in milliseconds
-- Returns {failures, locked (1/0)}.
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if failures >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  redis.call('DEL', KEYS[1])
  return {failures, 1}
end
return {failures, 0}

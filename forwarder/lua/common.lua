-- Shared by the intake scripts (prepended to each by forwarder.lua_scripts).

-- messages this reporter sent on this door in the current minute (flood detection)
local function count_recent(key)
  if key == '' then return 0 end
  local recent = redis.call('INCR', key)
  if recent == 1 then redis.call('EXPIRE', key, 60) end
  return recent
end

-- same-Redis broker: run the queue commands kombu prepared, and the records of the replies
-- among them (forwarder.store_jobs), in this same atomic step; ARGV[first] to the end are
-- each a command's name then its arguments (forwarder.store.PUBLISH_ARITY)
local PUBLISH_ARITY = {lpush = 2, pexpire = 2, hset = 3, zadd = 3}
local function publish(first)
  local i = first
  while i <= #ARGV do
    local name = ARGV[i]
    local arity = PUBLISH_ARITY[name]
    if not arity then return redis.error_reply('unsupported publish command ' .. name) end
    redis.call(string.upper(name), unpack(ARGV, i + 1, i + arity))
    i = i + arity + 1
  end
  return nil
end

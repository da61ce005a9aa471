-- Shared by the intake scripts (prepended to each by forwarder.lua_scripts).

-- messages this reporter sent on this door in the current minute (flood detection)
local function count_recent(key)
  if key == '' then return 0 end
  local recent = redis.call('INCR', key)
  if recent == 1 then redis.call('EXPIRE', key, 60) end
  return recent
end

-- same-Redis broker: run the queue commands kombu prepared, in this same atomic step;
-- ARGV[first] to the end are (name, key, argument) triples
local function publish(first)
  for i = first, #ARGV, 3 do
    local name, key, arg = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    if name == 'lpush' then redis.call('LPUSH', key, arg)
    elseif name == 'pexpire' then redis.call('PEXPIRE', key, arg)
    else return redis.error_reply('unsupported publish command ' .. name) end
  end
  return nil
end

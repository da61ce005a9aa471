-- A status change from the central system (forwarder.store.Store.update_status): the public
-- status takes the fields; the public statistics' counters of the complaint's day (while
-- that day is in the window) move from the old status, class and due date to the new ones,
-- and the first change records how long the complaint waited for it.
local status_key = KEYS[1]     -- s:<tracking>
local now = tonumber(ARGV[1])  -- epoch seconds
local day_prefix = ARGV[2]     -- stats:day:
local wait_prefix = ARGV[3]    -- stats:wait:
local FIELDS_FROM = 4          -- then field, value pairs

if redis.call('EXISTS', status_key) == 0 then return 0 end
local WATCHED = {'status', 'service_level', 'due_date', 'stats_day', 'received_ts', 'first_change_at'}
local before = redis.call('HMGET', status_key, unpack(WATCHED))
redis.call('HSET', status_key, unpack(ARGV, FIELDS_FROM, #ARGV))
local after = redis.call('HMGET', status_key, unpack(WATCHED))
-- the statistics are a help: whatever fails in them (pcall), the status above is applied
local function count_for_statistics()
  local day = before[4]
  if not day or before[1] == after[1] and before[2] == after[2] and before[3] == after[3] then
    return
  end
  if not before[6] and before[1] ~= after[1] then
    redis.call('HSET', status_key, 'first_change_at', now)
  end
  local day_key = day_prefix .. day
  if redis.call('EXISTS', day_key) == 0 then return end   -- the day has left the window

  local function bucket(state)
    if state[1] == 'selesai' or state[1] == 'ditolak' then return 'closed' end
    return 'open|' .. (state[2] or '') .. '|' .. string.sub(state[3] or '', 1, 10)
  end

  local function move(from, to)
    if from ~= to then
      redis.call('HINCRBY', day_key, from, -1)
      redis.call('HINCRBY', day_key, to, 1)
    end
  end

  move('status|' .. before[1], 'status|' .. after[1])
  move(bucket(before), bucket(after))
  if not before[6] and before[1] ~= after[1] and before[5] then
    local wait_key = wait_prefix .. day
    redis.call('RPUSH', wait_key, math.max(0, now - tonumber(before[5])))
    redis.call('PEXPIRE', wait_key, redis.call('PTTL', day_key))
  end
end
pcall(count_for_statistics)
return 1

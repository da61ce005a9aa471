-- A complaint was delivered: its public status moves from received to forwarded, never back;
-- the public statistics' status counters of its day move with it.
local status_key = KEYS[1]     -- s:<tracking>
local now = ARGV[1]            -- ISO time of the change
local day_prefix = ARGV[2]     -- stats:day: (the day is the status' stats_day)

if redis.call('HGET', status_key, 'status') == 'diterima' then
  redis.call('HSET', status_key, 'status', 'diteruskan', 'updated_at', now)
  pcall(function()    -- the statistics are a help: a failure there changes nothing above
    local day = redis.call('HGET', status_key, 'stats_day')
    if day and redis.call('EXISTS', day_prefix .. day) == 1 then
      redis.call('HINCRBY', day_prefix .. day, 'status|diterima', -1)
      redis.call('HINCRBY', day_prefix .. day, 'status|diteruskan', 1)
    end
  end)
end

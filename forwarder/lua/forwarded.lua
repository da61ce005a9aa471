-- A complaint was delivered: its public status moves from received to forwarded, never back.
local status_key = KEYS[1]     -- s:<tracking>
local now = ARGV[1]            -- ISO time of the change

if redis.call('HGET', status_key, 'status') == 'diterima' then
  redis.call('HSET', status_key, 'status', 'diteruskan', 'updated_at', now)
end

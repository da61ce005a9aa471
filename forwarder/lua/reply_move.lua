-- Move a reply's delivery state on (never backwards); count it, and update the complaint's
-- view of its replies. Returns the reply's fields when the state moved on, else nil.
-- forwarder.store_replies.ReplyRecords.move.
local reply_key = KEYS[1]      -- reply:<reply id>
local replies_key = KEYS[2]    -- replies:<complaint id> ('' when none)
local stats_key = KEYS[3]      -- reply_stats

local state = ARGV[1]
local rank = tonumber(ARGV[2])   -- the new state's rank
local code = ARGV[3]             -- the provider's code ('' when none)
local now = ARGV[4]              -- ISO time of the change
local ttl = ARGV[5]              -- seconds the complaint's view is kept
local RANKS_FROM = 6             -- then every state's (name, rank) pairs

if redis.call('EXISTS', reply_key) == 0 then return nil end
local ranks = {}
for i = RANKS_FROM, #ARGV, 2 do ranks[ARGV[i]] = tonumber(ARGV[i + 1]) end
local current = redis.call('HGET', reply_key, 'state')
if current and ranks[current] and ranks[current] >= rank then return nil end
redis.call('HSET', reply_key, 'state', state, 'code', code, 'updated_at', now)
local door = redis.call('HGET', reply_key, 'door')
redis.call('HINCRBY', stats_key, state .. '|' .. door, 1)
local fields = redis.call('HGETALL', reply_key)
if replies_key ~= '' then
  local view = cjson.encode({kind = redis.call('HGET', reply_key, 'kind'), state = state,
                             code = code, updated_at = now})
  redis.call('HSET', replies_key, redis.call('HGET', reply_key, 'reply_id'), view)
  redis.call('EXPIRE', replies_key, ttl)
end
return fields

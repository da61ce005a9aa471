-- The "me too" candidates of a new complaint: the complaints that share an LSH bucket with
-- it, received since `since`, with their signatures. forwarder.store_links.LinkIndex.find.
local sig_key = KEYS[1]        -- lshsig:<region>: tracking -> signature
local BUCKETS_FROM = 2         -- then lsh:<region>:<band>:<hash>, one per band

local since = ARGV[1]          -- epoch seconds: older entries are not candidates
local per_bucket = ARGV[2]     -- the most recent this many of each bucket
local most = tonumber(ARGV[3]) -- at most this many candidates in all

local seen, found = {}, {}
for i = BUCKETS_FROM, #KEYS do
  local members = redis.call('ZREVRANGEBYSCORE', KEYS[i], '+inf', '(' .. since,
                             'LIMIT', 0, per_bucket)
  for _, member in ipairs(members) do
    if not seen[member] and #found < most then
      seen[member] = true
      found[#found + 1] = member
    end
  end
end
if #found == 0 then return {} end
local signatures = redis.call('HMGET', sig_key, unpack(found))
local answer = {}
for i, member in ipairs(found) do
  if signatures[i] then            -- a finished complaint's signature is gone: not a candidate
    answer[#answer + 1] = member
    answer[#answer + 1] = signatures[i]
  end
end
return answer

-- Rate limits (gateway.limits): count one request against each of its fixed windows, all in
-- one step. KEYS: a counter per window. ARGV: each window's length in seconds, in the
-- order of KEYS. Returns, for each window, its count so far and the seconds it has left.
local answers = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then
    redis.call('EXPIRE', key, ARGV[i])
  end
  answers[#answers + 1] = count
  answers[#answers + 1] = redis.call('TTL', key)
end
return answers

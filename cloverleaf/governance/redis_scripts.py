"""The Lua scripts that make Redis counters atomic across instances, versioned by name.

The name is the script's first line, so a changed script is a new SHA and instances running
different versions never share a cached script. A behaviour change gets a new version (`v2`),
and keys stay compatible or move to a new prefix.

Data layout (every key under one `{prefix}` hash tag, so a cluster keeps them on one slot):

- `{prefix}:c:<counter id>` — hash `s` window start (ms), `e` window end (ms), `u` used; expires
  at the window end plus slack.
- `{prefix}:r:<request id>` — the open reservation as JSON `[[key, unit, amount, start], ...]`,
  or `x` once settled/released (a tombstone, so a retried or late `reserve` cannot charge again).

Times come from the caller's clock (integer milliseconds), never Redis's, so an injected clock
drives windows in tests. Amounts stay strings and only change through HINCRBY: Redis integers
are exact, and Lua doubles are used only to compare (exact up to 2**53).
"""

from __future__ import annotations

RESERVE_NAME = "cloverleaf:reserve:v1"
SETTLE_NAME = "cloverleaf:settle:v1"

#: KEYS: reservation key, counter keys...
#: ARGV: now_ms, reservation_ttl_ms, slack_ms, then per counter: amount, max, start_if_new_ms,
#:       end_if_new_ms, unit
#: returns {1, starts...} granted; {2, starts...} already open (a retry);
#:         {0, index, retry_ms} refused (index of the first exceeded counter, 1-based);
#:         {3} the request id was already settled or released
RESERVE = f"""-- {RESERVE_NAME}
local now = tonumber(ARGV[1])
local existing = redis.call('GET', KEYS[1])
if existing == 'x' then return {{3}} end
if existing then
  local out = {{2}}
  for _, entry in ipairs(cjson.decode(existing)) do out[#out + 1] = entry[4] end
  return out
end
local n = #KEYS - 1
local starts, ends, used = {{}}, {{}}, {{}}
local first, wait = 0, 0
for i = 1, n do
  local base = 3 + (i - 1) * 5
  local state = redis.call('HMGET', KEYS[i + 1], 's', 'e', 'u')
  local s, e, u = state[1], tonumber(state[2]), tonumber(state[3]) or 0
  if (not s) or (not e) or now >= e then
    s, e, u = ARGV[base + 3], tonumber(ARGV[base + 4]), 0
    used[i] = false
  else
    used[i] = true
  end
  starts[i], ends[i] = s, e
  if u + tonumber(ARGV[base + 1]) > tonumber(ARGV[base + 2]) then
    if first == 0 then first = i end
    if e - now > wait then wait = e - now end
  end
end
if first > 0 then return {{0, first, wait}} end
local record, out = {{}}, {{1}}
for i = 1, n do
  local base = 3 + (i - 1) * 5
  local key, amount = KEYS[i + 1], ARGV[base + 1]
  if not used[i] then
    redis.call('HSET', key, 's', starts[i], 'e', ARGV[base + 4], 'u', '0')
  end
  redis.call('HINCRBY', key, 'u', amount)
  redis.call('PEXPIRE', key, math.floor(ends[i] - now) + tonumber(ARGV[3]))
  record[i] = {{key, ARGV[base + 5], amount, starts[i]}}
  out[i + 1] = starts[i]
end
redis.call('SET', KEYS[1], cjson.encode(record), 'PX', ARGV[2])
return out
"""

#: KEYS: reservation key
#: ARGV: tombstone_ttl_ms, actual_tokens, actual_nanos, mode ('s' settle, 'r' release)
#: returns 1 applied, 0 already finished (or never reserved: a tombstone is left either way)
SETTLE = f"""-- {SETTLE_NAME}
local existing = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'x', 'PX', ARGV[1])
if (not existing) or existing == 'x' then return 0 end
for _, entry in ipairs(cjson.decode(existing)) do
  local key, unit, amount, start = entry[1], entry[2], entry[3], entry[4]
  local actual = amount
  if ARGV[4] == 'r' then actual = '0'
  elseif unit == 't' then actual = ARGV[2]
  elseif unit == 'd' then actual = ARGV[3] end
  if actual ~= amount and redis.call('HGET', key, 's') == start then
    if amount ~= '0' then redis.call('HINCRBY', key, 'u', '-' .. amount) end
    redis.call('HINCRBY', key, 'u', actual)
  end
end
return 1
"""

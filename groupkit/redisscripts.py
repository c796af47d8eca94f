"""The Lua scripts a shared world runs in Redis (`groupkit.replica`): each one atomic, so the log's order is Redis's
order, and a reader gets a consistent view of a world's meta, log and snapshot in one round trip. Keys named inside a
script (`gk:behaviour:version`) rule out Redis Cluster (docs/deployment.md). `unavailable()` turns Redis's failures
into the mock's 503."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import RedisError

from .errors import SharedStoreUnavailable


@contextmanager
def unavailable() -> Iterator[None]:
    """Raise SharedStoreUnavailable (503, `Retry-After`) for what Redis answers with an error (unreachable, a time-
    out, a full Redis refusing a write) inside the block; the reason is Redis's own words."""
    try:
        yield
    except (OSError, RedisError) as error:
        raise SharedStoreUnavailable(f"Redis: {error}") from error


# A world's meta hash: `id` (this incarnation), `base` (the log index its snapshot holds), `start` (the index of the
# entry before the log list's first: the list keeps some entries the snapshot holds already, so that a replica a
# little behind a fold reads on from the list instead of loading the snapshot), `head` (the last index), `created`.

# KEYS: meta, log, snap[, registry]. ARGV: since (the replica's index, -1 for none), ttl in ms (0: none), member,
# now in ms. With a registry and a member, the member is marked used now there (a session; by pcall, so that a full
# Redis, which refuses the ZADD, still serves reads). Answers false if the world does not exist, else {id, start,
# head, the entries after `since` (none if the list no longer holds them: the caller loads the snapshot), the
# version of the latency and fault settings (`gk:behaviour:version`, groupkit.faults), base}.
SYNC = """
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return false end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
if #KEYS == 4 and ARGV[3] ~= '' then redis.pcall('ZADD', KEYS[4], ARGV[4], ARGV[3]) end
local meta = redis.call('HMGET', KEYS[1], 'base', 'start', 'head')
local base, start, head = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
local since = tonumber(ARGV[1])
local entries = {}
if since >= start and since < head then entries = redis.call('LRANGE', KEYS[2], since - start, -1) end
return {id, start, head, entries, redis.call('GET', 'gk:behaviour:version') or '0', base}
"""

# KEYS: meta, log, snap[, registry]. ARGV: world id, since, ttl in ms, command, member, now in ms. Appends the
# command if the world is still the incarnation `id`; answers as SYNC does (the entries include the command, at
# index `head`), or {id} (the world's current id, false if none) if it is not.
APPEND = """
local id = redis.call('HGET', KEYS[1], 'id')
if id ~= ARGV[1] then return {id} end
redis.call('RPUSH', KEYS[2], ARGV[4])
local head = redis.call('HINCRBY', KEYS[1], 'head', 1)
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
if #KEYS == 4 and ARGV[5] ~= '' then redis.pcall('ZADD', KEYS[4], ARGV[6], ARGV[5]) end
local meta = redis.call('HMGET', KEYS[1], 'base', 'start')
local base, start = tonumber(meta[1]), tonumber(meta[2])
local since = tonumber(ARGV[2])
local entries = {}
if since >= start then entries = redis.call('LRANGE', KEYS[2], since - start, -1) end
return {id, start, head, entries, redis.call('GET', 'gk:behaviour:version') or '0', base}
"""

# KEYS: meta, log, snap. ARGV: new world id, snapshot, ttl in ms, only-if-absent (1/0), now in ms. A new incarnation
# of the world: the snapshot, an empty log. Answers 1, or 0 if `only-if-absent` and the world exists.
INSTALL = """
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'base', 0, 'start', 0, 'head', 0, 'created', ARGV[5])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
"""

# KEYS: meta, log, snap. ARGV: world id, index, snapshot at that index, entries to keep. Makes the snapshot the one
# at `index` and trims the list to the entries after `index - keep`, unless the world changed or a newer snapshot
# is there already. Answers 1 if it did.
COMPACT = """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
local meta = redis.call('HMGET', KEYS[1], 'base', 'start')
local base, start = tonumber(meta[1]), tonumber(meta[2])
local index = tonumber(ARGV[2])
if index <= base then return 0 end
local first = math.max(start, index - tonumber(ARGV[4]))
local ttl = redis.call('PTTL', KEYS[1])
redis.call('LTRIM', KEYS[2], first - start, -1)
redis.call('SET', KEYS[3], ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
redis.call('HSET', KEYS[1], 'base', index, 'start', first)
return 1
"""

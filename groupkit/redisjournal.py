"""The request journal in Redis: one capped list per world, shared by every worker and replica of a mock
(`groupkit mock --store redis://...`), with the in-memory journal's entries, ids, filters and masking.

Two keys under the journal's prefix: `<prefix>:journal`, a list of the last `size` entries, oldest first, each
stored as compact JSON `[id, entry]` (bodies' bytes as base64, with their sizes; rendered and masked only when
read, as in memory), and `<prefix>:journal:id`, the counter the ids come from, so they increase across workers
and survive a clear. A record is one Lua script (one round trip, atomic): take an id, append, trim to `size`,
and set the keys' TTL when there is one, so a session's journal expires with the session.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any, NoReturn

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .journal import Body, Entry, Journal, matches
from .redisscripts import unavailable

logger = logging.getLogger("groupkit.journal")

KEY_ROOT = "gk:"  # every key groupkit writes in Redis starts with it

_RECORD = """
-- KEYS[1]: the list, KEYS[2]: the id counter; ARGV[1]: the entry's JSON, ARGV[2]: the cap, ARGV[3]: TTL in ms
local id = redis.call('INCR', KEYS[2])
local length = redis.call('RPUSH', KEYS[1], string.format('[%d,', id) .. ARGV[1] .. ']')
local cap = tonumber(ARGV[2])
if length > cap then
    redis.call('LTRIM', KEYS[1], -cap, -1)
    length = cap
end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('PEXPIRE', KEYS[2], ttl)
end
return length
"""


def encode(entry: Entry) -> str:
    """`entry` as compact JSON; `decode` gives it back equal."""
    return json.dumps(
        {
            "time": entry.time,
            "method": entry.method,
            "path": entry.path,
            "query": entry.query.decode("latin-1"),  # any bytes, one character each
            "operationId": entry.operation_id,
            "caller": entry.caller,
            "body": _body_json(entry.body),
            "status": entry.status,
            "response": _body_json(entry.response),
            "durationMs": entry.duration_ms,
        },
        separators=(",", ":"),
    )


def decode(data: Mapping[str, Any]) -> Entry:
    """The `Entry` whose `encode`d form, parsed, is `data`."""
    return Entry(
        time=data["time"],
        method=data["method"],
        path=data["path"],
        query=data["query"].encode("latin-1"),
        operation_id=data["operationId"],
        caller=data["caller"],
        body=_body(data["body"]),
        status=data["status"],
        response=_body(data["response"]),
        duration_ms=data["durationMs"],
    )


def _body_json(body: Body) -> dict[str, Any]:
    return {"head": base64.b64encode(body.head).decode("ascii"), "size": body.size}


def _body(data: Mapping[str, Any]) -> Body:
    return Body(base64.b64decode(data["head"], validate=True), data["size"])


class RedisJournal(Journal):
    """The last `size` entries of a world in Redis under `prefix` (which starts with `gk:`), through `client`;
    `operations` as for `Journal`; `ttl_ms` (0: none) set on the keys at each record.

    Only the async methods reach Redis. `len()` answers the length last seen by one of them; `record`,
    `entries` and `clear` raise `TypeError` naming the async method to await instead."""

    def __init__(
        self,
        client: Redis,
        prefix: str,
        size: int,
        operations: Mapping[tuple[str, str], str],
        ttl_ms: int = 0,
    ) -> None:
        if not prefix.startswith(KEY_ROOT):
            raise ValueError(f"a Redis key prefix must start with {KEY_ROOT!r}, not {prefix!r}")
        if ttl_ms < 0:
            raise ValueError(f"ttl_ms must be 0 (none) or more, not {ttl_ms}")
        # Journal.__init__ is not called: none of the in-memory list exists here, so nothing can read it by mistake.
        self.size = size
        self._operations = operations
        self.client = client
        self.key = f"{prefix}:journal"
        self.id_key = f"{prefix}:journal:id"
        self.ttl_ms = ttl_ms
        self._record = client.register_script(_RECORD)
        self._length = 0

    async def arecord(self, entry: Entry) -> None:
        """Append the entry; if Redis refuses (unreachable, full), the entry is lost and logged, and the request's
        answer goes out all the same: the journal never fails a request."""
        arguments: list[str | int] = [encode(entry), max(self.size, 1), self.ttl_ms]
        try:
            self._length = int(await self._record(keys=[self.key, self.id_key], args=arguments))
        except (OSError, RedisError) as error:
            logger.warning("journal entry of %s %s not recorded: %s", entry.method, entry.path, error)

    async def aentries(
        self, operation_id: str | None = None, method: str | None = None, path: str | None = None
    ) -> list[dict[str, Any]]:
        """The entries, oldest first, rendered and filtered as `Journal.entries` renders and filters them."""
        with unavailable():
            stored = await self.client.lrange(self.key, 0, -1)
        self._length = len(stored)
        chosen = ((entry_id, decode(data)) for entry_id, data in map(json.loads, stored))
        return [
            entry.render(entry_id) for entry_id, entry in chosen if matches(entry, operation_id, method, path)
        ]

    async def aclear(self) -> int:
        """Deletes the entries (the id counter goes on) and answers how many there were, in one transaction."""
        with unavailable():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.llen(self.key)
                pipe.delete(self.key)
                count, _deleted = await pipe.execute()
        self._length = 0
        return int(count)

    async def alength(self) -> int:
        with unavailable():
            self._length = int(await self.client.llen(self.key))
        return self._length

    def __len__(self) -> int:
        return self._length

    def record(self, entry: Entry) -> NoReturn:
        raise _sync_call("record", "arecord")

    def entries(
        self, operation_id: str | None = None, method: str | None = None, path: str | None = None
    ) -> NoReturn:
        raise _sync_call("entries", "aentries")

    def clear(self) -> NoReturn:
        raise _sync_call("clear", "aclear")


def _sync_call(name: str, instead: str) -> TypeError:
    return TypeError(
        f"RedisJournal.{name}() cannot answer without waiting for Redis: await .{instead}() instead"
    )

"""What the workers of a shared store share besides the worlds (`groupkit.redisworlds`): the sign-in's issued tokens
and the latency and fault settings, kept in Redis so that a token issued by one worker, or settings put through
one worker's control API, hold on every worker."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .redisscripts import unavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

BEHAVIOUR = "gk:behaviour"  # hash: session name ("" the mock's) -> its latency and fault settings (JSON)


class RedisTokens:
    """The sign-in's issued tokens in Redis (`gk:token:<token>` -> user id, expiring with the token), so a
    token one worker issued acts on every worker (`groupkit.signin`)."""

    def __init__(self, client: Redis) -> None:
        self.client = client

    async def publish(self, token: str, user_id: str, seconds: float) -> None:
        with unavailable():
            await self.client.set(f"gk:token:{token}", user_id, px=max(int(seconds * 1000), 1))

    async def lookup(self, token: str) -> tuple[str, float] | None:
        """The user the token acts as, and its seconds left; None if unknown or expired."""
        with unavailable():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(f"gk:token:{token}")
                pipe.pttl(f"gk:token:{token}")
                user_id, left = await pipe.execute()
        if user_id is None or left <= 0:
            return None
        return user_id.decode(), left / 1000


class RedisBehaviour:
    """The latency and fault settings in Redis (`gk:behaviour`, and a version every change raises, which each
    request's round trip reads: `groupkit.replica`), so every worker applies the same (`groupkit.faults`)."""

    def __init__(self, client: Redis) -> None:
        self.client = client

    async def publish(self, name: str, data: dict[str, Any] | None) -> None:
        with unavailable():
            async with self.client.pipeline(transaction=True) as pipe:
                if data is None:
                    pipe.hdel(BEHAVIOUR, name)
                else:
                    pipe.hset(BEHAVIOUR, name, json.dumps(data))
                pipe.incr(BEHAVIOUR + ":version")
                await pipe.execute()

    async def load(self) -> dict[str, Any]:
        with unavailable():
            found: Any = await self.client.hgetall(BEHAVIOUR)
        return {name.decode(): json.loads(data) for name, data in found.items()}

    async def version(self) -> int:
        with unavailable():
            return int(await self.client.get(BEHAVIOUR + ":version") or 0)

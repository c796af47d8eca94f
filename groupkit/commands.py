"""A shared world's write commands on their way through the log (`groupkit.replica`): a verb proposed by a handler
(`Proposed`), its outcome once applied (`Outcome`), the handler called again to answer it (`answering`), the
arguments as JSON, and an event loop for driving shared worlds from synchronous code (`BlockingLoop`)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .model import GroupChanges

if TYPE_CHECKING:
    from .replica import SharedWorld
    from .store import Store


@dataclass(frozen=True, slots=True)
class Outcome:
    """What applying a command answered: its value, or the error it raised."""

    value: Any = None
    error: BaseException | None = None

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class Proposed(Exception):  # noqa: N818 - not an error: control flow from a verb to `binding.bind`
    """Raised by a verb called on a served replica: the write `command` must go into `world`'s log first.
    `binding.bind` commits it and calls the handler again, which then gets the outcome (`answering`)."""

    def __init__(self, world: SharedWorld, command: dict[str, Any]) -> None:
        super().__init__(command["verb"])
        self.world = world
        self.command = command


OUTCOME: ContextVar[Outcome | None] = ContextVar("groupkit-outcome", default=None)


async def answering(call: Callable[[], Awaitable[Any]]) -> Any:
    """Await `call()` (a handler bound to its store); if it proposes a write, commit the write and await
    `call()` again, its verb now answering the write's outcome instead of proposing it."""
    try:
        return await call()
    except Proposed as proposed:
        outcome = await proposed.world.commit(proposed.command)
    token = OUTCOME.set(outcome)
    try:
        return await call()
    finally:
        OUTCOME.reset(token)


def new(verb: str, args: Sequence[Any], kwargs: dict[str, Any], today: str, seed: int) -> dict[str, Any]:
    """The command asking for `verb(*args, **kwargs)` on `today`, with ids drawn from `seed` (JSON-ready)."""
    return {
        "id": uuid.uuid4().hex,
        "verb": verb,
        "args": [encode_argument(a) for a in args],
        "kwargs": {k: encode_argument(v) for k, v in kwargs.items()},
        "today": today,
        "seed": seed,
    }


def run(store: Store, raw: bytes) -> tuple[str, Outcome]:
    """Apply one command of a log (its JSON) to `store`: its id and its outcome. A refused write changes
    nothing, and raises the same refusal on every replica alike."""
    command = json.loads(raw)
    try:
        value = store.apply(
            command["verb"],
            [decode_argument(a) for a in command["args"]],
            {k: decode_argument(v) for k, v in command["kwargs"].items()},
            command["today"],
            command["seed"],
        )
    except Exception as error:
        return command["id"], Outcome(error=error)
    return command["id"], Outcome(value)


def encode_argument(value: Any) -> Any:
    if isinstance(value, GroupChanges):
        return {"$changes": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(value).items()}}
    if isinstance(value, tuple):
        return list(value)
    return value


def decode_argument(value: Any) -> Any:
    if isinstance(value, dict) and "$changes" in value:
        fields = dict(value["$changes"])
        if fields.get("tags") is not None:
            fields["tags"] = tuple(fields["tags"])
        return GroupChanges(**fields)
    return value


class BlockingLoop:
    """An event loop on a thread of its own, to drive shared worlds from synchronous code (tests and tools):
    `world.blocking = loop.run` makes the verbs of `world.store` commit and answer at once."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="groupkit-redis", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

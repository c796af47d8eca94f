"""Latency and faults on demand: a delay (fixed, or with random jitter) and a seeded rate of documented error
answers and dropped connections, per operation, for the whole mock or for one `X-Mock-Session`.

`Faults` holds the settings (`groupkit.behaviour`) and, for the mock and for each session that has its own,
a random sequence seeded from them: every request to a documented operation draws the same three numbers
from it, whatever they decide, so the same seed and the same sequence of requests give the same delays,
faults and drops. `FaultMiddleware` decides on a request's arrival, before anything reads it (so a fault
never changes the state), sleeps the delay, then answers the contract's `Error` for the status drawn, or
raises `Dropped`, which `groupkit.server` turns into a connection closed without an answer (in process, the
client sees the exception). Without settings (the default) the middleware costs one attribute test.

    GET    /__mock__/behaviour     the settings in force (with X-Mock-Session: that session's)
    PUT    /__mock__/behaviour     replace them (the JSON form; 400 names each problem, nothing changes)
    DELETE /__mock__/behaviour     back to the start settings (a session: back to the mock's)
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import behaviour as settings
from . import contract, strict_json
from .behaviour import Behaviour, InvalidBehaviour
from .problems import MESSAGES, Problems
from .sessions import SESSION_HEADER, InvalidSessionName, Sessions, World, name_of

logger = logging.getLogger("groupkit")
EXTRA = "faults"  # the key of a session's own settings in its `World.extras`
FAULT_HEADER = "X-Mock-Fault"
_SESSION_KEY = SESSION_HEADER.lower().encode()


class SharedSettings(Protocol):
    """Where the workers of a shared store keep the settings (`groupkit.redisextras.RedisBehaviour`): by session
    name, "" for the mock's own, in the JSON form."""

    async def publish(self, name: str, data: dict[str, Any] | None) -> None: ...

    async def load(self) -> dict[str, Any]: ...

    async def version(self) -> int: ...


class Dropped(Exception):
    """Raised by the middleware to close the connection without an answer (a drop fault): `groupkit.server`
    closes the connection of an exception whose `drop_connection` is true."""

    drop_connection = True


@dataclass(frozen=True)
class Decision:
    """What happens to one request: `delay` seconds, then `status` (an error answer), a drop, or neither."""

    delay: float
    status: int | None = None
    drop: bool = False


class _Stream:
    """One behaviour and its sequence of decisions."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.rng = random.Random(behaviour.seed)
        self.decisions = 0

    def decide(self, operation_id: str, documented: tuple[int, ...]) -> Decision:
        rules = self.behaviour.rules_for(operation_id)
        # Always three draws, whatever they decide: the same seed gives the same sequence.
        chance, pick, jitter = self.rng.random(), self.rng.random(), self.rng.random()
        self.decisions += 1
        delay = rules.delay + jitter * rules.jitter
        if chance < rules.drop_rate:
            return Decision(delay, drop=True)
        statuses = [s for s in documented if s in rules.statuses] if rules.statuses else list(documented)
        if statuses and chance < rules.drop_rate + rules.fault_rate:
            return Decision(delay, status=statuses[int(pick * len(statuses))])
        return Decision(delay)


class Faults:
    """The latency and fault settings of one mock (its default world's, and each session's own, kept in the
    session's `extras` so that they live and go with it), over the contract's operations."""

    def __init__(
        self, problems: Problems, document: dict[str, Any], sessions: Sessions, start: Behaviour | None = None
    ) -> None:
        self.problems = problems
        self.sessions = sessions
        self.operations = contract.operations(document)  # (METHOD, path) -> operationId
        self.documented: dict[str, tuple[int, ...]] = {  # operationId -> the error statuses it documents
            operation_id: tuple(
                sorted(
                    int(key)
                    for key in document["paths"][path][method.lower()].get("responses", {})
                    if str(key).isdigit() and int(key) >= 400
                )
            )
            for (method, path), operation_id in self.operations.items()
        }
        self.start = start or Behaviour()
        self._default = _Stream(self.start)
        # the sessions given settings that do something (some may have ended since)
        self._busy_sessions: set[str] = set()
        self.active = self.start.active  # whether any world has settings that do something
        # With a shared store (`groupkit.redisextras.RedisBehaviour`), the settings every worker applies: PUT and
        # DELETE publish there, and each request catches up when their version moved (`catch_up`).
        self.shared: SharedSettings | None = None
        self._version = 0
        self._published: dict[str, Behaviour] = {}  # session name -> its own settings, as published

    # ----------------------------------------------------------------- settings

    def parse(self, data: Any, where: str = "the behaviour") -> Behaviour:
        """`data` checked against this contract's operations (InvalidBehaviour names each problem)."""
        return settings.parse(data, self.documented, where)

    def start_with(self, behaviour: Behaviour) -> None:
        """Make `behaviour` the start settings (what DELETE goes back to) and use it now."""
        self.start = behaviour
        self.clear()

    def set(self, behaviour: Behaviour, world: World | None = None) -> None:
        """Use `behaviour` for the mock (or for a session's `world` only), its sequence started afresh."""
        if world is None or world.name is None:
            self._default = _Stream(behaviour)
        else:
            world.extras[EXTRA] = _Stream(behaviour)
            self._mark(world.name, behaviour.active)
        self._update()

    def clear(self, world: World | None = None) -> None:
        """Back to the start settings; for a session's `world`, back to the mock's."""
        if world is None or world.name is None:
            self._default = _Stream(self.start)
        else:
            world.extras.pop(EXTRA, None)
            self._mark(world.name, False)
        self._update()

    def _mark(self, session: str, busy: bool) -> None:
        if busy:
            self._busy_sessions.add(session)
        else:
            self._busy_sessions.discard(session)

    def _update(self) -> None:
        """Back to the fast path when no world has settings that do something. A session that was evicted
        or deleted with settings keeps the full path on: requests then draw numbers that decide nothing."""
        self.active = self._default.behaviour.active or bool(self._busy_sessions)

    async def catch_up(self, version: int) -> None:
        """Apply the shared settings if their `version` moved since this worker last read them; a stream whose
        settings did not change keeps its place in its sequence."""
        if self.shared is None or version == self._version:
            return
        published = await self.shared.load()
        self._version = version
        found = {}
        for name, data in published.items():
            try:
                found[name] = self.parse(data, "the shared settings")
            except InvalidBehaviour as invalid:  # e.g. put by a mock serving another version of the contract
                logger.warning(
                    "shared settings of %r ignored: %s", name or "the mock", "; ".join(invalid.problems)
                )
        default = found.pop("", None) or self.start
        if default != self._default.behaviour:
            self._default = _Stream(default)
        self._published = found
        self._busy_sessions = {name for name, behaviour in found.items() if behaviour.active}
        self._update()

    async def publish(self, behaviour: Behaviour | None, world: World | None) -> None:
        """Publish the settings of the mock (or of a session's `world`) for every worker; None: cleared."""
        if self.shared is not None:
            name = world.name if world is not None and world.name is not None else ""
            await self.shared.publish(name, behaviour.to_json() if behaviour is not None else None)

    def stream(self, world: World | None = None) -> tuple[_Stream, bool]:
        """The stream a request of `world` uses, and whether it is the session's own."""
        if self.shared is not None and world is not None and world.name is not None:
            self._adopt(world)
        own = world.extras.get(EXTRA) if world is not None and world.name is not None else None
        return (own, True) if isinstance(own, _Stream) else (self._default, False)

    def _adopt(self, world: World) -> None:
        """Give a session's replica the settings published for it (or take away those no longer published)."""
        assert world.name is not None
        want = self._published.get(world.name)
        own = world.extras.get(EXTRA)
        if want is None:
            world.extras.pop(EXTRA, None)
        elif not isinstance(own, _Stream) or own.behaviour != want:
            world.extras[EXTRA] = _Stream(want)

    def decide(self, operation_id: str, world: World | None = None) -> Decision:
        stream, _ = self.stream(world)
        return stream.decide(operation_id, self.documented[operation_id])

    # ----------------------------------------------------------------- the ASGI layer and the control API

    def middleware(self, app: ASGIApp) -> ASGIApp:
        return FaultMiddleware(app, self)

    def routes(self, prefix: str) -> list[Route]:
        path = f"{prefix}/behaviour"
        return [
            Route(path, self._read, methods=["GET"]),
            Route(path, self._replace, methods=["PUT"]),
            Route(path, self._clear, methods=["DELETE"]),
        ]

    @staticmethod
    def _name(request: Request) -> str | None:
        """The session a control call's header names, None without one; InvalidSessionName for a bad one."""
        values = [value for key, value in request.scope["headers"] if key == _SESSION_KEY]
        return name_of(values) if values else None

    def _world(self, request: Request, create: bool) -> World | None:
        """The session a control call's header names (created if `create`), None for the mock's settings;
        InvalidSessionName for a bad header, LookupError for a session that does not exist."""
        name = self._name(request)
        if name is None:
            return None
        world = self.sessions.select(name) if create else self.sessions.find(name)
        if world is None:
            raise LookupError(f"No session {name!r}; GET /__mock__/sessions lists the live ones")
        return world

    def _view(self, world: World | None) -> dict[str, Any]:
        stream, own = self.stream(world)
        session = world.name if world is not None else None
        return {
            "session": session,
            "inherited": session is not None and not own,
            "decisions": stream.decisions,
            "behaviour": stream.behaviour.to_json(),
        }

    async def _read(self, request: Request) -> Response:
        if self.shared is not None:  # the settings another worker published count here too
            await self.catch_up(await self.shared.version())
        try:
            return JSONResponse(self._view(self._world(request, create=False)))
        except InvalidSessionName as error:
            return self.problems.starlette_response(400, str(error))
        except LookupError as error:
            return self.problems.starlette_response(404, str(error))

    async def _replace(self, request: Request) -> Response:
        try:
            self._name(request)  # a bad header is refused before the body is read
            data = strict_json.loads(await request.body())
            behaviour = self.parse(data)
            world = self._world(request, create=True)  # a session is created only for valid settings
        except InvalidSessionName as error:
            return self.problems.starlette_response(400, str(error))
        except InvalidBehaviour as invalid:
            return self.problems.starlette_response(
                400, "Not valid settings; nothing changed", invalid.problems
            )
        except ValueError as error:
            return self.problems.starlette_response(400, f"The body is not JSON: {error}")
        if world is not None:
            await world.fresh()  # a shared session exists in the store before its settings are published
        await self.publish(behaviour, world)
        self.set(behaviour, world)
        if world is not None and world.name is not None and self.shared is not None:
            self._published[world.name] = behaviour
        return JSONResponse(self._view(world))

    async def _clear(self, request: Request) -> Response:
        try:
            world = self._world(request, create=False)
        except InvalidSessionName as error:
            return self.problems.starlette_response(400, str(error))
        except LookupError as error:
            return self.problems.starlette_response(404, str(error))
        await self.publish(None, world)
        self.clear(world)
        if world is not None and world.name is not None:
            self._published.pop(world.name, None)
        return JSONResponse(self._view(world))


class FaultMiddleware:
    """Applies `faults` to each request of a documented operation (`faults.active` false: passes through)."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults = self.faults
        if faults.shared is not None and scope["type"] == "http":
            shared = faults.sessions.current().shared
            if shared is not None:
                await faults.catch_up(shared.settings_version)
        if not faults.active or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation_id = faults.operations.get((scope["method"], scope["path"]))
        if operation_id is None:  # Swagger UI, the contract, unknown paths: never delayed nor faulted
            await self.app(scope, receive, send)
            return
        decision = faults.decide(operation_id, faults.sessions.current())
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.drop:
            raise Dropped(f"{scope['method']} {scope['path']}: connection dropped by the mock's drop rate")
        if decision.status is not None:
            message = (
                f"{MESSAGES.get(decision.status, 'Error')} (a fault injected by the mock's fault rate, "
                "see /__mock__/behaviour; nothing was changed)"
            )
            await faults.problems.send(send, decision.status, message, {FAULT_HEADER: "error"})
            return
        await self.app(scope, receive, send)

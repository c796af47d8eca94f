"""Builds the mock: connexion 3 serving the contract, each operation bound to a store, wrapped in the
request journal, the request guard and the control API.

    MockApp ─> HostGuard ─┬─ /__mock__/* ──> Control (loopback only, no CORS)
                          └─ everything else ──> CORS ─> SessionMiddleware ─> JournalMiddleware ─> FaultMiddleware
                       ─> RequestGuard ─> middleware ─> connexion AsyncApp ─> Prefer ─> operations (handlers) ─> Store

`FaultMiddleware` (`faults.py`) delays, fails or drops requests when latency and fault settings are on;
`Prefer` (`prefer.py`) answers a `Prefer: code=/example=/dynamic=` choice in front of each handler.

`HostGuard` (`hosts.py`) answers only requests addressed to a loopback name or a configured one (DNS
rebinding). CORS (`cors.py`) wraps the API only: it is on for every origin and every request header by
default, because frontends under development are served from another origin (a dev server on another port)
and send `Authorization` and tracing headers. The control API sends no CORS headers at all (`control.py`).

`create_app()` gives a fresh mock per call (its own store and journal), so tests never share state. Its
extension points are `store_class`, `operations` and `middleware` (see `create_app`). Each request acts on
the world `sessions.py` selects (the default one, or the `X-Mock-Session` header's): handlers, the token
lookup, the journal and the control API all take the store and journal from `MockApp.sessions.current()`
(the token lookup and each handler's binding to that store are in `binding.py`).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.types import ASGIApp, Receive, Scope, Send

from groupkit.handlers import OPERATIONS

from . import binding, contract, lifespan, prefer, problems
from . import world as worlds
from .binding import Handler
from .control import PREFIX, Control
from .cors import Cors
from .fastconnexion import FastAsyncApp
from .faults import Faults
from .guard import DEFAULT_MAX_BODY, RequestGuard, operations_with_body
from .hosts import LOOPBACK_HOSTS, HostGuard
from .journal import Journal, JournalMiddleware
from .sessions import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_SESSIONS, SessionMiddleware, Sessions, World
from .signin import DEFAULT_LIFETIME, Signin
from .statefile import DEFAULT_INTERVAL, Saver
from .statefile import read as read_state_file
from .store import Store
from .validation import validator_map

__all__ = ["Handler", "Middleware", "MockApp", "create_app"]

Middleware = Callable[[ASGIApp], ASGIApp]
"""Wraps an ASGI application in another: a middleware class, or a function building one."""


class MockApp:
    """The mock as one ASGI application; `store` and `journal` are its default world, `sessions` holds it
    and the named sessions (`groupkit.sessions`)."""

    def __init__(
        self,
        store: Store,
        initial_world: dict[str, Any],
        *,
        validate_responses: bool,
        journal_size: int,
        control_from_anywhere: bool,
        max_body: int,
        contract_path: Path,
        cors_origins: tuple[str, ...],
        seed: int | None,
        allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
        admin_token: str | None = None,
        cors_allow_headers: Sequence[str] = ("*",),
        operations: Mapping[str, Handler] = OPERATIONS,
        middleware: Sequence[Middleware] = (),
        saver: Saver | None = None,
        new_store: Callable[[], Store] | None = None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        session_idle: float = DEFAULT_IDLE_SECONDS,
        token_lifetime: float = DEFAULT_LIFETIME,
        clock: Callable[[], float] | None = None,
        shared: str | None = None,
    ) -> None:
        self.saver = saver  # keeps the state file of `--state` up to date, between startup and shutdown
        document = contract.load(contract_path)
        operation_ids = contract.operations(document)
        start = new_store or functools.partial(binding.new_store, type(store), initial_world, seed)
        if shared is None:
            self.journal = Journal(journal_size, operation_ids)
            self.sessions = Sessions(
                World(store, self.journal),
                start,
                lambda: Journal(journal_size, operation_ids),
                start=initial_world,
                seed=seed,
                max_sessions=max_sessions,
                idle_seconds=session_idle,
            )
        else:  # every world in Redis (`--store redis://...`), this process holding replicas of them
            from . import redisworlds  # imported only here: the in-memory mock never loads the Redis client

            self.sessions = redisworlds.sessions(
                shared,
                store,
                start,
                initial_world,
                journal_size,
                operation_ids,
                seed,
                max_sessions,
                session_idle,
            )
            self.journal = self.sessions.default.journal
        self.store = self.sessions.default.store
        operations = prefer.selecting(operations, prefer.Selector(document, seed))  # Prefer: (prefer.py)
        bound = {op: binding.bind(handler, self.sessions) for op, handler in operations.items()}
        self.connexion = FastAsyncApp(  # connexion's AsyncApp, decorating each handler once
            __name__,
            pythonic_params=True,
            validate_responses=validate_responses,
            security_map=binding.security_map(self.sessions, lambda token: self.signin.user_of(token)),
            validator_map=validator_map(),  # the contract's e-mail addresses and integers (validation.py)
            resolver=Resolver(function_resolver=bound.__getitem__),
        )
        self.connexion.add_api(
            document,  # parsed once, here; connexion copies it (given a path, it would parse it again)
            base_path="",
            swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"),
        )
        self.problems = problems.Problems.of(document)  # every error, from every source, renders here
        self.problems.register(self.connexion)
        clocked = {"clock": clock} if clock is not None else {}
        self.signin = Signin.of_world(initial_world, self.problems, lifetime=token_lifetime, **clocked)
        self.faults = Faults(self.problems, document, self.sessions)  # latency and faults (faults.py)
        if shared is not None:
            redisworlds.share(
                self.sessions, self.signin, self.faults
            )  # tokens and settings, for every worker
        self.initial_world = initial_world
        self.seed = seed
        self.control = Control(
            self.sessions,
            self.problems,
            from_anywhere=control_from_anywhere,
            admin_token=admin_token,
            routes=self.faults.routes(PREFIX),  # /__mock__/behaviour
        )
        inner: ASGIApp = self.connexion
        for wrap in reversed(middleware):  # the first is the outermost
            inner = wrap(inner)
        guarded = RequestGuard(inner, self.problems, operations_with_body(document), max_body, ("/ui/",))
        faulty = self.faults.middleware(guarded)  # decides before the guard reads the request (faults.py)
        self._api: ASGIApp = JournalMiddleware(faulty, self._journal, PREFIX, self._caller)
        self._api = SessionMiddleware(self._api, self.sessions, self.problems)
        self._api = self.signin.route(self._api)  # POST /oauth2/token (signin.py), inside CORS
        if cors_origins:
            self._api = Cors(self._api, self.problems, cors_origins, cors_allow_headers)
        self._entry = HostGuard(self._dispatch, self.problems, allowed_hosts)

    def _caller(self, authorization: str) -> str | None:
        """The id of the user an `Authorization` value names, for the journal (which never keeps tokens)."""
        return binding.user_id(self.sessions, self.signin.user_of, authorization)

    def _journal(self) -> Journal:
        return self.sessions.current().journal

    def reset(self) -> None:
        """Back to the world the mock was built from (`--fixtures`, also when a state file held another);
        with a seed, ids are generated afresh from it too, so a test that resets before each scenario sees
        the same ids every time (hypothesis replays need it). A session resets the same way (`sessions.py`)."""
        self.sessions.reset(self.sessions.default)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            await self.control(scope, receive, send)
        else:
            await self._api(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and (
            self.saver is not None or self.sessions.default.shared is not None
        ):
            await self._lifespan(scope, receive, send)
        else:
            await self._entry(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI lifespan, with the state file's saver and the shared store's first load (`lifespan.py`)."""
        await lifespan.serve(self._entry, self.saver, self.sessions.default.shared, scope, receive, send)


def create_app(
    world: dict[str, Any] | str = "default",
    *,
    validate_responses: bool = True,
    journal_size: int = 1000,
    control_from_anywhere: bool = False,
    max_body: int = DEFAULT_MAX_BODY,
    seed: int | None = None,
    contract_path: Path | str = contract.CONTRACT_PATH,
    cors_origins: tuple[str, ...] = ("*",),
    cors_allow_headers: tuple[str, ...] = ("*",),
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
    admin_token: str | None = None,
    store_class: type[Store] = Store,
    operations: Mapping[str, Handler] = OPERATIONS,
    middleware: Sequence[Middleware] = (),
    state_file: Path | str | None = None,
    store: str = "memory",
    save_interval: float = DEFAULT_INTERVAL,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    session_idle: float = DEFAULT_IDLE_SECONDS,
    token_lifetime: float = DEFAULT_LIFETIME,
    clock: Callable[[], float] | None = None,
) -> MockApp:
    """A fresh mock holding `world` (a built-in name, a file path, or a world dict); a broken world is
    refused with `groupkit.world.InvalidWorld`, which names each problem.

    Three supported extension points change what the mock does without touching its code:

    * `store_class`: the store the world is built into, called as `store_class(state, rng=...)`. A
      subclass may override any public verb (and call `super()`), e.g. to add a rule or model a backend.
    * `operations`: the whole operationId -> handler table bound to that store (default
      `groupkit.handlers.OPERATIONS`; start from `{**OPERATIONS, "getGroup": mine}` to replace one).
    * `middleware`: ASGI middleware wrapped around connexion, the first outermost. They run inside the
      journal (which records what the client sent and what they answer) and the request guard (a body
      they read is within `max_body`, and UTF-8 if JSON), before routing, security and validation; the control
      API and CORS are outside them.

    With `state_file` the world lives in that file (`groupkit.statefile`): read from it if it exists
    (`StateFileError` if it cannot be read back), else built from `world` and written to it at once; then
    written again within `save_interval` seconds of each change, and at the ASGI lifespan's shutdown.
    `reset` still goes back to `world`.

    Sessions (`groupkit.sessions`, docs/sessions.md): a request with `X-Mock-Session: <name>` acts on that
    session's own copy of `world` (built by `store_class` on first use, its own journal), so parallel test
    suites never see each other's writes. At most `max_sessions` live at once (the least recently used is
    evicted first) and one unused for `session_idle` seconds expires. The state file keeps the default
    world only.

    Browsers and the mock (`hosts.py`, `cors.py`, `control.py`): the mock answers requests addressed to
    `allowed_hosts` only (any port; `("*",)` for any), so an in-process client must address it as one of
    them (`base_url="http://127.0.0.1"`, not starlette's `testserver`). `cors_origins` and
    `cors_allow_headers` are the API's CORS lists (`("*",)` for any, `()` origins for no CORS); the control
    API has none. With `admin_token`, every control call needs `X-Mock-Admin-Token: <admin_token>`.

    Sign-in (`groupkit.signin`): `POST /oauth2/token?grant_type=client_credentials` with the Basic
    credentials of one of the world's `clients` issues a Bearer token acting as the client's user, valid
    `token_lifetime` seconds by `clock` (default `time.monotonic`); the world's fixed tokens keep working.
    """
    shared = None if store == "memory" else store
    if shared is not None and state_file is not None:
        raise ValueError(
            "a state file keeps the in-memory store; a shared store (--store redis://...) keeps itself"
        )
    if shared is not None:
        from .workers import store_problem

        if (problem := store_problem(shared)) is not None:  # a URL it cannot take is refused now
            raise ValueError(problem)
    source = world if isinstance(world, str) else None
    data = worlds.read(world) if isinstance(world, str) else world
    state = worlds.build(data, source)  # InvalidWorld names each problem
    rng = random.Random(seed)
    saved = read_state_file(Path(state_file)) if state_file is not None else None
    if saved is not None:
        state, rng = saved
    built = store_class(state, rng=rng)
    saver = Saver(built, Path(state_file), save_interval) if state_file is not None else None
    if saver is not None and saved is None:
        saver.save()  # a new state file, so that a path that cannot be written fails now
    elif saver is not None:
        saver.saved_version = built.version  # the file holds what the store holds
    return MockApp(
        built,
        data,
        validate_responses=validate_responses,
        journal_size=journal_size,
        control_from_anywhere=control_from_anywhere,
        max_body=max_body,
        contract_path=Path(contract_path),
        cors_origins=cors_origins,
        seed=seed,
        allowed_hosts=allowed_hosts,
        admin_token=admin_token,
        cors_allow_headers=cors_allow_headers,
        operations=operations,
        middleware=middleware,
        saver=saver,
        max_sessions=max_sessions,
        session_idle=session_idle,
        token_lifetime=token_lifetime,
        clock=clock,
        shared=shared,
    )

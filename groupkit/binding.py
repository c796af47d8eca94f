"""Binds a request to its world: the token an `Authorization` value carries and the user it names,
connexion's apiKey handler over the request's store, and each operation's handler called with that store.

Everything here asks `sessions.current()` at call time, so one mock serves each session's own world.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import random
import re
from collections.abc import Callable
from typing import Any

from connexion.security import ApiKeySecurityHandler

from . import world as worlds
from .commands import answering
from .fastconnexion import accepts_kwarg
from .sessions import Sessions
from .store import Store

Handler = Callable[..., Any]
"""An operation's function, `handler(store, user, **parameters)`, answering the JSON body (see `handlers`)."""


# `Bearer` (any case), then spaces or tabs (HTTP's whitespace), then the token, which holds none.
_BEARER = re.compile(r"bearer[ \t]+([^ \t]+)", re.IGNORECASE)


def token_of(header: str) -> str:
    """The token an `Authorization` value carries: `Bearer <token>` or the raw token (anything else is
    looked up as it is, and found by no one)."""
    value = header.strip(" \t")
    bearer = _BEARER.fullmatch(value)
    return bearer.group(1) if bearer else value


def user_id(sessions: Sessions, issued: Callable[[str], str | None], authorization: str) -> str | None:
    """The user an `Authorization` value names in the request's store: a world's token, else a token the
    sign-in endpoint issued and that has not expired (`signin.py`)."""
    token = token_of(authorization)
    store = sessions.current().store
    user = store.user_for_token(token)
    if user is None and (issued_to := issued(token)) is not None:
        user = store.user(issued_to)
    return user.id if user is not None else None


def security_map(sessions: Sessions, issued: Callable[[str], str | None]) -> dict[str, type]:
    """connexion's apiKey handler, resolving tokens against the request's store (raw or `Bearer <token>`)."""

    def token_info(api_key: str, required_scopes: Any = None) -> dict[str, str] | None:
        found = user_id(sessions, issued, api_key)
        return {"sub": found} if found is not None else None

    class StoreApiKeyHandler(ApiKeySecurityHandler):  # type: ignore[misc]  # connexion ships no types
        def _resolve_func(self, security_scheme: Any) -> Any:
            return token_info

        _accepts_kwarg = staticmethod(accepts_kwarg)  # connexion's, the signature read once (fastconnexion)

    return {"apiKey": StoreApiKeyHandler}


def bind(handler: Handler, sessions: Sessions) -> Handler:
    """`handler` called with the request's store first (`sessions.current()`); connexion passes the other
    arguments by name, as the signature it reads (the handler's without the store) lists them. A coroutine
    function stays one, so connexion still awaits it on the event loop (`store.py`, Concurrency)."""

    async def awaited(**arguments: Any) -> Any:
        store = sessions.current().store
        if store.replicator is None:
            return await handler(store, **arguments)
        return await answering(lambda: handler(store, **arguments))  # a write goes to the log first

    def called(**arguments: Any) -> Any:  # run in connexion's thread pool, which copies the context
        return handler(sessions.current().store, **arguments)

    bound: Handler = awaited if asyncio.iscoroutinefunction(handler) else called
    functools.update_wrapper(bound, handler)
    bound.__signature__ = inspect.signature(functools.partial(handler, None))  # type: ignore[attr-defined]
    return bound


def new_store(store_class: type[Store], world: dict[str, Any], seed: int | None) -> Store:
    """A new session's store: the start world built afresh, its ids drawn from `seed` as the default world's
    were at start."""
    return store_class(worlds.build(world), rng=random.Random(seed))

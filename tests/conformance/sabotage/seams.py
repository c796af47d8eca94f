"""What every sabotage variant is made of: the `Variant` record, a mock built through `create_app`'s public
extension points (`store_class`, `operations`, `middleware`), and the plain requests a symptom makes.

Variants never edit `groupkit/` or `handlers/` and reach no private name: a defect is a `Store` subclass
overriding public verbs, a handler table wrapping the real handlers, or an ASGI middleware.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from groupkit.app import Handler, Middleware, MockApp, create_app
from groupkit.guard import replaying
from groupkit.handlers import OPERATIONS
from groupkit.state import State
from groupkit.store import Store, utc_today
from tests.conftest import DEFAULT_WORLD, TOKENS, group_id, user_id

SEED = 7
ALICE, EVA = TOKENS["alice"], TOKENS["eva"]
AS_ALICE = {"Authorization": ALICE}
ACME = group_id(DEFAULT_WORLD, "ACME Logistics")
DAN = user_id(DEFAULT_WORLD, "dan")

Symptom = Callable[[httpx.Client], bool]


@dataclass(frozen=True)
class Variant:
    """One broken mock: its `defect` (one sentence); `build()`, a fresh app holding it; `symptom(http)`,
    plain requests answering whether the defect shows; the kit options that exercise it (`include`,
    `max_examples`) and the checks that may report it (any one counts)."""

    name: str
    defect: str
    build: Callable[[], MockApp]
    symptom: Symptom
    include: tuple[str, ...]
    checks: frozenset[str]
    max_examples: int = 10


def variant(
    name: str,
    defect: str,
    *,
    build: Callable[[], MockApp],
    include: str | tuple[str, ...],
    checks: str | tuple[str, ...],
    max_examples: int = 10,
) -> Callable[[Symptom], Variant]:
    """Declares a variant around its symptom, the function decorated."""

    def describe(symptom: Symptom) -> Variant:
        operations = (include,) if isinstance(include, str) else include
        names = frozenset((checks,) if isinstance(checks, str) else checks)
        return Variant(name, defect, build, symptom, operations, names, max_examples)

    return describe


class SymptomUnclear(Exception):
    """Raised by a symptom when an answer it relies on is not the one it needs (the first call did not
    succeed, say): the requests neither show the defect nor show it absent."""


# --------------------------------------------------------------------------------------- the mock


def mock(
    *,
    store_class: type[Store] = Store,
    operations: Mapping[str, Handler] = OPERATIONS,
    middleware: Sequence[Middleware] = (),
) -> MockApp:
    """A fresh seeded mock with the given seams, response validation off (so connexion does not turn a
    defect into a 500)."""
    return create_app(
        seed=SEED,
        validate_responses=False,
        store_class=store_class,
        operations=operations,
        middleware=middleware,
    )


class ScratchStore(Store):
    """A store that can run a verb on a throwaway copy of its world (`scratch()`): the answer is the real
    one, the write is lost. Ids are drawn from this store's generator, so they stay unique."""

    def __init__(
        self,
        state: State | None = None,
        *,
        rng: random.Random | None = None,
        today: Callable[[], str] = utc_today,
    ) -> None:
        self.ids = rng or random.Random()
        self.clock = today
        super().__init__(state, rng=self.ids, today=today)

    def replace(self, world: Any, rng: random.Random | None = None) -> None:
        super().replace(world, rng)
        if rng is not None:
            self.ids = rng

    def scratch(self) -> Store:
        return Store.from_world(self.export(), rng=self.ids, today=self.clock)


def answering(handler: Handler, edit: Callable[[Any], Any]) -> Handler:
    """`handler` with its JSON answer passed through `edit`; it keeps the handler's signature, which
    connexion reads to pass the arguments."""

    @functools.wraps(handler)
    async def edited(*args: Any, **kwargs: Any) -> Any:
        return edit(await handler(*args, **kwargs))

    return edited


# --------------------------------------------------------------------------------------- middleware

Headers = list[tuple[bytes, bytes]]
Reply = tuple[int, Headers, bytes]  # a response's status, headers and body


def header(headers: Headers, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), None)


def with_header(headers: Headers, name: bytes, value: str) -> Headers:
    return [(k, v) for k, v in headers if k.lower() != name] + [(name, value.encode("latin-1"))]


class Rewrite:
    """ASGI middleware: for each request `match(method, path)` accepts, passes its headers through
    `request_headers`, its body through `request_body`, and the response (buffered) through `response`;
    a rewrite left out leaves that part alone."""

    def __init__(
        self,
        app: ASGIApp,
        match: Callable[[str, str], bool],
        *,
        request_headers: Callable[[Headers], Headers] | None = None,
        request_body: Callable[[bytes], bytes] | None = None,
        response: Callable[[int, Headers, bytes], Reply] | None = None,
    ) -> None:
        self.app = app
        self.match = match
        self.request_headers = request_headers
        self.request_body = request_body
        self.response = response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.match(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers: Headers = list(scope["headers"])
        if self.request_headers is not None:
            headers = self.request_headers(headers)
        if self.request_body is not None:
            body = self.request_body(await read_body(receive))
            headers = [(k, v) for k, v in headers if k.lower() != b"transfer-encoding"]
            headers = with_header(headers, b"content-length", str(len(body)))
            receive = replaying(body, receive)
        if self.response is not None:
            send = buffering(send, self.response)
        await self.app({**scope, "headers": headers}, receive, send)


def rewriting(
    match: Callable[[str, str], bool],
    *,
    request_headers: Callable[[Headers], Headers] | None = None,
    request_body: Callable[[bytes], bytes] | None = None,
    response: Callable[[int, Headers, bytes], Reply] | None = None,
) -> Middleware:
    """The `Rewrite` middleware, for `create_app(middleware=[...])`."""
    return lambda app: Rewrite(
        app, match, request_headers=request_headers, request_body=request_body, response=response
    )


def operation(method: str, path: str) -> Callable[[str, str], bool]:
    return lambda m, p: m == method and p == path


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def buffering(send: Send, rewrite: Callable[[int, Headers, bytes], Reply]) -> Send:
    """A `send` that holds the response back until its last body chunk, then sends `rewrite`'s version."""
    start: Message = {}
    chunks: list[bytes] = []

    async def rewritten(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        status, headers, body = rewrite(start["status"], list(start.get("headers", [])), b"".join(chunks))
        headers = with_header(headers, b"content-length", str(len(body)))
        await send({**start, "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return rewritten


# --------------------------------------------------------------------------------------- plain requests


def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    """`response`, if its status is one of `statuses`; otherwise the symptom cannot tell (SymptomUnclear)."""
    if response.status_code not in statuses:
        request = response.request
        raise SymptomUnclear(
            f"{request.method} {request.url} answered {response.status_code}, expected one of {statuses}: "
            + response.text[:300]
        )
    return response


def require(condition: bool, what: str) -> None:
    """Go on only if `condition` holds; otherwise the symptom cannot tell (SymptomUnclear naming `what`)."""
    if not condition:
        raise SymptomUnclear(what)


def walk(http: httpx.Client, path: str, limit: int, pages: int = 10, **params: Any) -> tuple[list[Any], bool]:
    """Follow nextTokens as Alice from the first page (at most `pages` pages): the items seen, and whether
    the walk ended."""
    items: list[Any] = []
    token: str | None = None
    for _ in range(pages):
        query = {**params, "limit": limit, **({"nextToken": token} if token else {})}
        body = expect(http.get(path, params=query, headers=AS_ALICE), 200).json()
        items += body["items"]
        token = body.get("nextToken")
        if token is None:
            return items, True
    return items, False
